#include "server/core/rules.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "common/limits.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/names.h"
#include "server/domain/state_machine.h"
#include "server/domain/unit_history.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"

namespace d06 {

std::string Etag(int64_t revision) { return absl::StrCat("r", revision); }

absl::Status NotFound(absl::string_view what) {
  return Error(absl::StatusCode::kNotFound, v1::reason::kNotFound,
               absl::StrCat(what, " does not exist"), {{"resource", std::string(what)}});
}

absl::Status CheckEtag(absl::string_view field, absl::string_view sent, absl::string_view current,
                       absl::string_view resource) {
  if (sent.empty() || sent == current) return absl::OkStatus();
  return Error(absl::StatusCode::kAborted, v1::reason::kStaleEtag,
               absl::StrCat(resource,
                            " has changed since it was read: read it again and "
                            "retry with its etag \"",
                            current, "\"; ", field, " was ", Quote(sent)),
               {{"resource", std::string(resource)}});
}

absl::StatusOr<v1::Task> RequireTask(const ReadView& view, uint64_t id) {
  ASSIGN_OR_RETURN(std::optional<v1::Task> task, LoadTask(view, id));
  if (!task) return NotFound(TaskName(id));
  return *std::move(task);
}

absl::StatusOr<v1::Task> RequireTask(const ReadView& view, const Caller& caller, uint64_t id) {
  ASSIGN_OR_RETURN(v1::Task task, RequireTask(view, id));
  RETURN_IF_ERROR(AuthorizeTask(view, caller, task, "", task.name()));
  return task;
}

absl::StatusOr<v1::Task> ReadableTask(const ReadView& view, const Caller& caller, uint64_t id) {
  static const v1::Policy* const kRead = [] {
    auto* policy = new v1::Policy;
    policy->set_role(v1::ROLE_VIEWER);
    policy->set_scope(v1::POLICY_SCOPE_TASK);
    return policy;
  }();
  Caller reader = caller;
  if (reader.policy != nullptr) reader.policy = kRead;
  return RequireTask(view, reader, id);
}

absl::StatusOr<AssignmentOfTask> RequireChangeableAssignment(const ReadView& view,
                                                             const Caller& caller, uint64_t task_id,
                                                             const std::string& code,
                                                             absl::string_view etag) {
  const std::string name = AssignmentName(task_id, code);
  ASSIGN_OR_RETURN(std::optional<v1::Assignment> stored, LoadAssignment(view, task_id, code));
  if (!stored) return NotFound(name);
  ASSIGN_OR_RETURN(v1::Task task, RequireTask(view, task_id));
  RETURN_IF_ERROR(AuthorizeTask(view, caller, task, code, name));
  RETURN_IF_ERROR(CheckEtag("etag", etag, stored->etag(), name));
  RETURN_IF_ERROR(TaskNotCancelled(task));
  // A merged or dissolved unit's work continues at its successor; what stays is history.
  RETURN_IF_ERROR(RequireActiveUnit(view, "name", code));
  return AssignmentOfTask{*std::move(stored), std::move(task)};
}

// The task's live lead other than the assignment named `except`, or null.
const v1::Assignment* LiveLead(const std::vector<v1::Assignment>& assignments,
                               absl::string_view except) {
  for (const v1::Assignment& a : assignments) {
    if (a.name() != except && a.role() == v1::ASSIGNMENT_ROLE_LEAD && IsLive(a.state())) {
      return &a;
    }
  }
  return nullptr;
}

absl::Status RequireActiveUnit(const ReadView& view, absl::string_view field,
                               absl::string_view code) {
  ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, code));
  if (!unit) return NotFound(UnitName(code));
  if (unit->state() != v1::UNIT_STATE_ACTIVE) {
    return Error(
        absl::StatusCode::kFailedPrecondition, v1::reason::kUnitNotActive,
        absl::StrCat(field, ": unit ", unit->name(), " is ", v1::UnitState_Name(unit->state()),
                     unit->successor().empty()
                         ? std::string()
                         : absl::StrCat("; use its successor ", unit->successor())),
        {{"unit", unit->name()}});
  }
  return absl::OkStatus();
}

absl::Status TaskNotCancelled(const v1::Task& task) {
  if (task.state() != v1::TASK_STATE_CANCELLED) return absl::OkStatus();
  return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kTaskCancelled,
               absl::StrCat(task.name(), " is cancelled; it can no longer change"),
               {{"task", task.name()}});
}

absl::Status PrepareNewUnit(absl::string_view field, v1::Unit* unit) {
  RETURN_IF_ERROR(ValidateUnitCode(absl::StrCat(field, ".code"), unit->code()));
  RETURN_IF_ERROR(PrepareUnitFields(unit));
  RETURN_IF_ERROR(
      CheckRequiredEnum(absl::StrCat(field, ".kind"), unit->kind(), v1::UnitKind_IsValid));
  if (!unit->parent().empty()) {
    const std::string parent_field = absl::StrCat(field, ".parent");
    ASSIGN_OR_RETURN(std::string parent, ParseUnitName(parent_field, unit->parent()));
    if (parent == unit->code())
      return InvalidField(parent_field, "a unit cannot be its own parent");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PlaceNewUnit(const ReadView& view, const Caller& caller,
                                                      absl::string_view field,
                                                      const v1::Unit& unit) {
  // An admin of the parent (of every unit, for a root) first: outside the caller's scope
  // the parent does not exist.
  const std::string parent = unit.parent().empty() ? "" : CodeOf(unit.parent());
  RETURN_IF_ERROR(AuthorizeUnit(view, caller, parent, unit.parent()));
  ASSIGN_OR_RETURN(std::optional<v1::Unit> existing, LoadUnit(view, unit.code()));
  if (existing) {
    return Error(absl::StatusCode::kAlreadyExists, v1::reason::kAlreadyExists,
                 absl::StrCat("unit ", UnitName(unit.code()), " already exists"),
                 {{"resource", UnitName(unit.code())}});
  }
  std::vector<std::string> ancestry = {unit.code()};
  if (parent.empty()) return ancestry;
  const std::string parent_field = absl::StrCat(field, ".parent");
  RETURN_IF_ERROR(RequireActiveUnit(view, parent_field, parent));
  ASSIGN_OR_RETURN(std::vector<std::string> above, Ancestry(view, parent));
  if (above.size() >= static_cast<size_t>(kMaxUnitDepth)) {
    return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kUnitTreeTooDeep,
                 absl::StrCat(UnitName(parent), " is at level ", above.size(),
                              " of the unit tree; a unit may be at most at level ", kMaxUnitDepth,
                              ": attach it higher up"),
                 {{"field", parent_field}, {"max_depth", absl::StrCat(kMaxUnitDepth)}});
  }
  ancestry.insert(ancestry.end(), above.begin(), above.end());
  return ancestry;
}

v1::Unit WriteNewUnit(Txn& txn, const ChangeContext& change, v1::Unit unit,
                      const std::vector<std::string>& ancestry, const std::string& reason) {
  unit.set_name(UnitName(unit.code()));
  unit.set_state(v1::UNIT_STATE_ACTIVE);
  unit.clear_successor();
  unit.clear_history();
  SeedHistory(&unit);
  v1::UnitPeriod* first = unit.mutable_history(0);
  first->set_reason(reason);
  *first->mutable_record_time() = ToTimestamp(change.time);
  first->set_recorded_by(change.actor);
  *unit.mutable_create_time() = ToTimestamp(change.time);
  *unit.mutable_update_time() = ToTimestamp(change.time);
  unit.set_etag(Etag(txn.revision()));
  PutUnit(txn, change, nullptr, unit, v1::EVENT_ACTION_CREATE_UNIT)->set_reason(reason);
  PutUnitSubtree(txn, ancestry);
  return unit;
}

absl::StatusOr<absl::CivilDay> AsOfDay(absl::string_view field, const v1::Date& date,
                                       absl::CivilDay today) {
  if (IsZeroDate(date)) return today;
  RETURN_IF_ERROR(ValidateDate(field, date));
  const absl::CivilDay day = ToCivilDay(date);
  if (day > today) {
    return InvalidField(field, absl::StrCat(field, " ", FormatDateVn(date), " is after today, ",
                                            FormatDateVn(ToDate(today)),
                                            "; what has not happened yet cannot be shown"));
  }
  return day;
}

absl::Status FilterError(absl::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidFilter, message);
}

absl::StatusOr<std::string> FilterUnitCode(const FilterTerm& term, bool allow_empty) {
  if (allow_empty && term.value.empty()) return std::string();
  absl::StatusOr<std::string> code = ParseUnitName(term.key, term.value);
  if (!code.ok()) {
    return FilterError(absl::StrCat("filter: ", term.key,
                                    " must be a unit name like "
                                    "\"units/H29\"; got ",
                                    Quote(term.value)));
  }
  return code;
}

}  // namespace d06
