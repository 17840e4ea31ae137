#include "server/core/rules.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/names.h"
#include "server/domain/state_machine.h"
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
