// Reorganising the unit tree (the 2025 reform): renaming a unit, moving it with its
// subtree and work below another parent, merging units into a successor and dissolving
// one, each from a date (docs/reorganisation.md). Every operation begins a
// period of the unit's history (server/domain/unit_history.h) on its effective date;
// reports as of an earlier date read as they did before.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "common/limits.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/rules.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/names.h"
#include "server/domain/state_machine.h"
#include "server/domain/unit_history.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/reorganization.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

// An operation's effective date: required, a calendar date, not after `today`.
absl::Status CheckEffectiveDate(const v1::Date& date, absl::CivilDay today) {
  if (IsZeroDate(date)) {
    return InvalidField("effective_date",
                        "effective_date is required: the first day the change holds, e.g. "
                        "{year: 2025, month: 7, day: 1}");
  }
  RETURN_IF_ERROR(ValidateDate("effective_date", date));
  if (ToCivilDay(date) > today) {
    return InvalidField(
        "effective_date",
        absl::StrCat("effective_date ", FormatDate(date), " is after today (",
                     FormatDate(ToDate(today)), "): apply a change on or after its first day"));
  }
  return absl::OkStatus();
}

// The period of `unit`'s history that begins on `from`: a new one (a copy of the current
// one), or the current one when it begins that very day (its reason then also names
// `reason`); recorded by the change's actor. FAILED_PRECONDITION/EFFECTIVE_DATE_CONFLICT when the
// current period began after `from` (a history is written in date order).
absl::StatusOr<v1::UnitPeriod*> BeginPeriod(v1::Unit* unit, const v1::Date& from,
                                            const std::string& reason,
                                            const ChangeContext& change) {
  SeedHistory(unit);
  v1::UnitPeriod* current = unit->mutable_history(unit->history_size() - 1);
  const bool dated = !IsZeroDate(current->from());
  const int64_t day = DayNumber(ToCivilDay(from));
  const int64_t current_from = dated ? DayNumber(ToCivilDay(current->from())) : 0;
  if (dated && day < current_from) {
    return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kEffectiveDateConflict,
                 absl::StrCat(unit->name(), "'s current period began on ",
                              FormatDateVn(current->from()), "; a change from ", FormatDateVn(from),
                              " would rewrite it (a unit's history is written in date order)"),
                 {{"period_start", FormatDate(current->from())}});
  }
  if (!dated || day > current_from) {
    v1::UnitPeriod next = *current;
    current = unit->add_history();
    *current = std::move(next);
    *current->mutable_from() = from;
    current->set_reason(reason);
  } else if (!reason.empty() && current->reason() != reason) {
    // A second change from the same day (a move, then a rename): both decisions stay.
    current->set_reason(current->reason().empty() ? reason
                                                  : absl::StrCat(current->reason(), "; ", reason));
  }
  *current->mutable_record_time() = ToTimestamp(change.time);
  current->set_recorded_by(change.actor);
  return current;
}

absl::Status TreeCycle(const std::string& why, absl::string_view field) {
  return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kUnitTreeCycle, why,
               {{"field", std::string(field)}});
}

absl::Status NotANewValue(const std::string& what) {
  return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kEffectiveDateConflict, what,
               {{"period_start", ""}});
}

}  // namespace

void Core::RenameUnit(const Caller& caller, const v1::RenameUnitRequest& request,
                      v1::RenameUnitResponse* response, Done done) {
  v1::RenameUnitRequest r = request;
  absl::StatusOr<std::string> code = [&]() -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(std::string code, ParseUnitName("name", r.name()));
    RETURN_IF_ERROR(NormalizeText("display_name", r.mutable_display_name(), kMaxUnitName,
                                  /*required=*/true));
    RETURN_IF_ERROR(ValidateAdminCode("admin_code", r.admin_code()));
    RETURN_IF_ERROR(NormalizeText("reason", r.mutable_reason(), kMaxReason, false));
    RETURN_IF_ERROR(CheckEffectiveDate(r.effective_date(), TodayInVietnam(*options_.clock)));
    return code;
  }();
  if (!code.ok()) return done(code.status());
  Mutate(
      caller, r.request_id(), request, response,
      [r, code = *code, response](Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::Unit> stored, LoadUnit(txn.reader(), code));
        if (!stored) return NotFound(UnitName(code));
        RETURN_IF_ERROR(AuthorizeUnit(txn.reader(), *change.caller, code, UnitName(code)));
        RETURN_IF_ERROR(CheckEtag("etag", r.etag(), stored->etag(), stored->name()));
        RETURN_IF_ERROR(RequireActiveUnit(txn.reader(), "name", code));
        const std::string admin_code =
            r.admin_code().empty() ? stored->admin_code() : r.admin_code();
        if (r.display_name() == stored->display_name() && admin_code == stored->admin_code()) {
          return NotANewValue(
              absl::StrCat(stored->name(), " is already named ", Quote(r.display_name()),
                           admin_code.empty() ? "" : absl::StrCat(" (", admin_code, ")")));
        }
        v1::Unit unit = *stored;
        ASSIGN_OR_RETURN(v1::UnitPeriod * period,
                         BeginPeriod(&unit, r.effective_date(), r.reason(), change));
        period->set_display_name(r.display_name());
        period->set_admin_code(admin_code);
        std::vector<std::string> changed;
        if (unit.display_name() != r.display_name()) changed.push_back("display_name");
        if (unit.admin_code() != admin_code) changed.push_back("admin_code");
        unit.set_display_name(r.display_name());
        unit.set_admin_code(admin_code);
        *unit.mutable_update_time() = ToTimestamp(change.time);
        unit.set_etag(Etag(txn.revision()));
        v1::Event* event = PutUnit(txn, change, &*stored, unit, v1::EVENT_ACTION_RENAME_UNIT);
        event->set_reason(r.reason());
        for (const std::string& field : changed) event->add_changed_fields(field);
        *response->mutable_unit() = unit;
        return absl::OkStatus();
      },
      std::move(done));
}

void Core::MoveUnit(const Caller& caller, const v1::MoveUnitRequest& request,
                    v1::MoveUnitResponse* response, Done done) {
  v1::MoveUnitRequest r = request;
  std::string code, parent;
  absl::Status valid = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(code, ParseUnitName("name", r.name()));
    if (r.new_parent().empty()) {
      return InvalidField("new_parent",
                          "new_parent is required: the unit's parent from effective_date, e.g. "
                          "\"units/H29\"");
    }
    ASSIGN_OR_RETURN(parent, ParseUnitName("new_parent", r.new_parent()));
    if (parent == code) return InvalidField("new_parent", "a unit cannot be its own parent");
    RETURN_IF_ERROR(NormalizeText("reason", r.mutable_reason(), kMaxReason, false));
    return CheckEffectiveDate(r.effective_date(), TodayInVietnam(*options_.clock));
  }();
  if (!valid.ok()) return done(valid);
  Mutate(
      caller, r.request_id(), request, response,
      [r, code, parent, response](Txn& txn, const ChangeContext& change) -> absl::Status {
        const ReadView& view = txn.reader();
        ASSIGN_OR_RETURN(std::optional<v1::Unit> stored, LoadUnit(view, code));
        if (!stored) return NotFound(UnitName(code));
        // An admin of the unit where it stands, and of where it goes.
        RETURN_IF_ERROR(AuthorizeUnit(view, *change.caller, code, UnitName(code)));
        RETURN_IF_ERROR(CheckEtag("etag", r.etag(), stored->etag(), stored->name()));
        RETURN_IF_ERROR(RequireActiveUnit(view, "name", code));
        RETURN_IF_ERROR(AuthorizeUnit(view, *change.caller, parent, r.new_parent()));
        RETURN_IF_ERROR(RequireActiveUnit(view, "new_parent", parent));
        ASSIGN_OR_RETURN(Subtree subtree, ReadSubtree(view, code));
        if (CodeOf(stored->parent()) == parent) {
          return TreeCycle(absl::StrCat(stored->name(), " is already below ", r.new_parent()),
                           "new_parent");
        }
        if (std::find(subtree.codes.begin(), subtree.codes.end(), parent) != subtree.codes.end()) {
          return TreeCycle(absl::StrCat(r.new_parent(), " is below ", stored->name(),
                                        ": a unit cannot move into its own subtree"),
                           "new_parent");
        }
        std::vector<std::string> old_above;
        if (!stored->parent().empty()) {
          ASSIGN_OR_RETURN(old_above, Ancestry(view, CodeOf(stored->parent())));
        }
        ASSIGN_OR_RETURN(std::vector<std::string> new_above, Ancestry(view, parent));
        const int deepest = static_cast<int>(new_above.size()) + 1 + subtree.height();
        if (deepest > kMaxUnitDepth) {
          return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kUnitTreeTooDeep,
                       absl::StrCat("below ", r.new_parent(), " (level ", new_above.size(),
                                    ") the subtree of ", stored->name(), " would reach level ",
                                    deepest, "; a unit may be at most at level ", kMaxUnitDepth),
                       {{"field", "new_parent"}, {"max_depth", absl::StrCat(kMaxUnitDepth)}});
        }
        v1::Unit unit = *stored;
        ASSIGN_OR_RETURN(v1::UnitPeriod * period,
                         BeginPeriod(&unit, r.effective_date(), r.reason(), change));
        period->set_parent(r.new_parent());
        unit.set_parent(r.new_parent());
        *unit.mutable_update_time() = ToTimestamp(change.time);
        unit.set_etag(Etag(txn.revision()));
        CountChanges counts(DayNumber(ToCivilDay(r.effective_date())));
        ASSIGN_OR_RETURN(Moved moved,
                         MoveSubtrees(txn, {{subtree, old_above}}, new_above, &counts));
        RETURN_IF_ERROR(counts.Write(txn));
        v1::Event* event = PutUnit(txn, change, &*stored, unit, v1::EVENT_ACTION_MOVE_UNIT);
        event->set_reason(r.reason());
        event->add_changed_fields("parent");
        // Watchers of both parents see the move.
        if (!stored->parent().empty()) event->add_audience(stored->parent());
        event->add_audience(r.new_parent());
        *response->mutable_unit() = unit;
        response->set_moved_units(moved.units);
        response->set_moved_assignments(moved.assignments);
        return absl::OkStatus();
      },
      AfterTreeChange(std::move(done)));
}

// ---- merging and dissolving ----

namespace {

// What a merge or a dissolution does, once checked: `sources` end (MERGED or
// DISSOLVED) and `successor` continues their work; their children move below
// `children_parent`.
struct Absorption {
  std::vector<v1::Unit> sources;
  std::string successor;
  std::vector<std::string> successor_above;  // its ancestry, its code first
  std::string children_parent;
  std::vector<std::string> children_above;  // its ancestry, its code first
  v1::UnitState end_state = v1::UNIT_STATE_MERGED;
  v1::Date effective_date;
  std::string reason;
};

// The work of `moved` (an open assignment) carried onto `into` (its continuation).
void CarryWork(const v1::Assignment& moved, v1::Assignment* into) {
  into->set_role(moved.role());
  into->set_state(moved.state());
  *into->mutable_deadline() = moved.deadline();
  *into->mutable_submit_date() = moved.submit_date();
  *into->mutable_submit_deadline() = moved.submit_deadline();
  into->set_cadence(moved.cadence());
  into->set_extension_count(moved.extension_count());
  *into->mutable_pending_extension() = moved.pending_extension();
  into->set_urge_count(moved.urge_count());
  into->set_progress_percent(moved.progress_percent());
  into->set_progress_note(moved.progress_note());
  *into->mutable_kpi_value() = moved.kpi_value();
  *into->mutable_last_period_reported() = moved.last_period_reported();
  into->clear_replaced_by();
  into->set_transferred_from(moved.name());
}

// Carries the open work of `plan.sources` to the successor, moves their children, gives
// their tasks to the successor, ends them, and moves their counts; all in `txn`.
absl::Status Absorb(Txn& txn, const ChangeContext& change, const Absorption& plan,
                    TreeOverlay* overlay, v1::ReorganizationResult* result,
                    std::vector<v1::Unit>* ended) {
  const ReadView& view = txn.reader();
  const int64_t from_day = DayNumber(ToCivilDay(plan.effective_date));
  const int64_t today = DayNumber(DayInVietnam(change.time));
  CountChanges counts(from_day);
  const std::vector<std::string> successor_strict(plan.successor_above.begin() + 1,
                                                  plan.successor_above.end());
  // The children of every source, with their subtrees, below the new parent.
  std::vector<SubtreeMove> moves;
  std::vector<std::pair<v1::Unit, v1::Unit>> moved_heads;  // before, after
  for (const v1::Unit& source : plan.sources) {
    ASSIGN_OR_RETURN(std::vector<std::string> above, Ancestry(view, source.code()));
    ASSIGN_OR_RETURN(const std::vector<std::string> children, ChildCodes(view, source.code()));
    for (const std::string& code : children) {
      ASSIGN_OR_RETURN(Subtree subtree, ReadSubtree(view, code));
      const int deepest = static_cast<int>(plan.children_above.size()) + 1 + subtree.height();
      if (deepest > kMaxUnitDepth) {
        return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kUnitTreeTooDeep,
                     absl::StrCat("below ", UnitName(plan.children_parent), " the subtree of ",
                                  UnitName(code), " would reach level ", deepest,
                                  "; a unit may be at most at level ", kMaxUnitDepth),
                     {{"max_depth", absl::StrCat(kMaxUnitDepth)}});
      }
      ASSIGN_OR_RETURN(std::optional<v1::Unit> child, LoadUnit(view, code));
      if (!child) continue;
      v1::Unit after = *child;
      ASSIGN_OR_RETURN(v1::UnitPeriod * period,
                       BeginPeriod(&after, plan.effective_date, plan.reason, change));
      period->set_parent(UnitName(plan.children_parent));
      after.set_parent(UnitName(plan.children_parent));
      moved_heads.emplace_back(*child, std::move(after));
      moves.push_back({std::move(subtree), above});
    }
  }
  ASSIGN_OR_RETURN(Moved moved, MoveSubtrees(txn, moves, plan.children_above, &counts,
                                             /*involvement=*/false));
  result->set_moved_units(moved.units);
  result->set_moved_assignments(moved.assignments);
  for (auto& [before, after] : moved_heads) {
    *after.mutable_update_time() = ToTimestamp(change.time);
    after.set_etag(Etag(txn.revision()));
    v1::Event* event = PutUnit(txn, change, &before, after, v1::EVENT_ACTION_MOVE_UNIT);
    event->set_reason(plan.reason);
    event->add_changed_fields("parent");
    event->add_audience(before.parent());
    event->add_audience(after.parent());
  }
  // The sources' own counts become the successor's from the effective day; their work
  // written below counts there too.
  for (const v1::Unit& source : plan.sources) {
    ASSIGN_OR_RETURN(std::vector<std::string> above, Ancestry(view, source.code()));
    const std::vector<std::string> strict(above.begin() + 1, above.end());
    RETURN_IF_ERROR(counts.MoveOwn(view, source.code(), plan.successor,
                                   Without(strict, successor_strict),
                                   Without(successor_strict, strict)));
    overlay->counted_at[source.code()] = plan.successor;
  }
  // Open work continues at the successor. Its records written here are kept by task:
  // this batch's reads do not see them.
  std::map<uint64_t, v1::Assignment> at_successor;
  std::set<uint64_t> reassigned;
  const std::string transfer_reason =
      absl::StrCat(plan.end_state == v1::UNIT_STATE_MERGED ? "merged into " : "dissolved; to ",
                   UnitName(plan.successor), plan.reason.empty() ? "" : ": ", plan.reason);
  for (const v1::Unit& source : plan.sources) {
    std::set<uint64_t> task_ids;
    RETURN_IF_ERROR(ScanUnitAssignments(
        view, source.code(),
        [&](uint64_t task_id, absl::string_view) { task_ids.insert(task_id); }));
    for (uint64_t task_id : task_ids) {
      ASSIGN_OR_RETURN(std::optional<v1::Assignment> found,
                       LoadAssignment(view, task_id, source.code()));
      if (!found || !IsOpen(found->state())) continue;
      ASSIGN_OR_RETURN(v1::Task task, RequireTask(view, task_id));
      const v1::Assignment moved_one = *found;
      std::optional<v1::Assignment> existing;
      if (auto it = at_successor.find(task_id); it != at_successor.end()) {
        existing = it->second;
      } else {
        ASSIGN_OR_RETURN(existing, LoadAssignment(view, task_id, plan.successor));
      }
      v1::Assignment continued;
      v1::TransferOutcome outcome = v1::TRANSFER_OUTCOME_UNSPECIFIED;
      bool carry = true;
      if (!existing) {
        continued = moved_one;
        continued.set_name(AssignmentName(task_id, plan.successor));
        continued.set_unit(UnitName(plan.successor));
        *continued.mutable_create_time() = ToTimestamp(change.time);
      } else {
        continued = *existing;
        const bool live = IsLive(existing->state());
        if (!live) {
          outcome = v1::TRANSFER_OUTCOME_REOPENED;
        } else if (moved_one.role() == v1::ASSIGNMENT_ROLE_LEAD &&
                   existing->role() == v1::ASSIGNMENT_ROLE_SUPPORT) {
          outcome = v1::TRANSFER_OUTCOME_LEAD_TAKEN_OVER;
        } else {
          outcome = v1::TRANSFER_OUTCOME_ALREADY_THERE;
          carry = false;
        }
      }
      if (carry) CarryWork(moved_one, &continued);
      *continued.mutable_update_time() = ToTimestamp(change.time);
      continued.set_etag(Etag(txn.revision()));
      if (carry) {
        ASSIGN_OR_RETURN(v1::Event * event,
                         PutAssignment(txn, change, task, existing ? &*existing : nullptr,
                                       continued, v1::EVENT_ACTION_TRANSFER_ASSIGNMENT, overlay));
        event->set_reason(transfer_reason);
        at_successor[task_id] = continued;
      }
      v1::Assignment closed = moved_one;
      closed.set_state(v1::ASSIGNMENT_STATE_TRANSFERRED);
      closed.set_transferred_to(continued.name());
      closed.clear_pending_extension();
      *closed.mutable_update_time() = ToTimestamp(change.time);
      closed.set_etag(Etag(txn.revision()));
      ASSIGN_OR_RETURN(v1::Event * event,
                       PutAssignment(txn, change, task, &moved_one, closed,
                                     v1::EVENT_ACTION_TRANSFER_ASSIGNMENT, overlay));
      event->set_reason(transfer_reason);
      result->set_transferred_assignments(result->transferred_assignments() + 1);
      if (outcome != v1::TRANSFER_OUTCOME_UNSPECIFIED) {
        v1::TransferConflict* conflict = result->add_conflicts();
        conflict->set_assignment(moved_one.name());
        conflict->set_successor_assignment(continued.name());
        conflict->set_outcome(outcome);
      }
    }
    // The tasks it assigned are the successor's to approve and return.
    std::vector<uint64_t> assigned;
    RETURN_IF_ERROR(ScanTasksAssignedBy(view, source.code(),
                                        [&](uint64_t task_id) { assigned.push_back(task_id); }));
    for (uint64_t task_id : assigned) {
      ASSIGN_OR_RETURN(v1::Task task, RequireTask(view, task_id));
      if (task.state() == v1::TASK_STATE_CANCELLED) continue;
      v1::Task after = task;
      after.set_assigning_unit(UnitName(plan.successor));
      *after.mutable_update_time() = ToTimestamp(change.time);
      after.set_etag(Etag(txn.revision()));
      ASSIGN_OR_RETURN(v1::Event * event,
                       PutTask(txn, change, &task, after, v1::EVENT_ACTION_UPDATE_TASK, overlay));
      event->set_reason(transfer_reason);
      event->add_changed_fields("assigning_unit");
      result->set_reassigned_tasks(result->reassigned_tasks() + 1);
      reassigned.insert(task_id);
    }
  }
  // The sources end the day before.
  const v1::Date last_day = ToDate(ToCivilDay(plan.effective_date) - 1);
  for (const v1::Unit& source : plan.sources) {
    v1::Unit after = source;
    ASSIGN_OR_RETURN(v1::UnitPeriod * period,
                     BeginPeriod(&after, plan.effective_date, plan.reason, change));
    period->set_state(plan.end_state);
    period->set_successor(UnitName(plan.successor));
    after.set_state(plan.end_state);
    after.set_successor(UnitName(plan.successor));
    *after.mutable_valid_to() = last_day;
    *after.mutable_update_time() = ToTimestamp(change.time);
    after.set_etag(Etag(txn.revision()));
    v1::Event* event =
        PutUnit(txn, change, &source, after,
                plan.end_state == v1::UNIT_STATE_MERGED ? v1::EVENT_ACTION_MERGE_UNITS
                                                        : v1::EVENT_ACTION_DISSOLVE_UNIT);
    event->set_reason(plan.reason);
    event->add_changed_fields("state");
    event->add_changed_fields("successor");
    event->add_changed_fields("valid_to");
    event->add_audience(UnitName(plan.successor));
    ended->push_back(std::move(after));
  }
  // Tasks involving a subtree ("ti"), for every task this touched, as the tree and the
  // task stand after the batch: moved units below the new parent, the tasks given to the
  // successor, and the successor's records.
  std::map<std::string, std::string> head_of;  // a moved unit: the head of its subtree
  for (const SubtreeMove& move : moves) {
    for (const std::string& code : move.subtree.codes) head_of[code] = move.subtree.codes.front();
  }
  // Each unit's chain before and after, read once (a province's tasks share few units).
  std::map<std::string, std::vector<std::string>> chains_before, chains_after;
  auto ancestry_before =
      [&](const std::string& code) -> absl::StatusOr<const std::vector<std::string>*> {
    auto it = chains_before.find(code);
    if (it == chains_before.end()) {
      ASSIGN_OR_RETURN(std::vector<std::string> chain, WalkableAncestry(view, code));
      it = chains_before.emplace(code, std::move(chain)).first;
    }
    return &it->second;
  };
  auto ancestry_after =
      [&](const std::string& code) -> absl::StatusOr<const std::vector<std::string>*> {
    auto it = chains_after.find(code);
    if (it == chains_after.end()) {
      std::vector<std::string> chain;
      if (auto known = overlay->ancestry.find(code); known != overlay->ancestry.end()) {
        chain = known->second;
      } else {
        ASSIGN_OR_RETURN(const std::vector<std::string>* before, ancestry_before(code));
        chain = *before;
        if (auto head = head_of.find(code); head != head_of.end()) {
          chain.erase(std::find(chain.begin(), chain.end(), head->second) + 1, chain.end());
          chain.insert(chain.end(), plan.children_above.begin(), plan.children_above.end());
        }
      }
      it = chains_after.emplace(code, std::move(chain)).first;
    }
    return &it->second;
  };
  std::set<uint64_t> touched = moved.tasks;
  touched.insert(reassigned.begin(), reassigned.end());
  for (const auto& [task_id, record] : at_successor) touched.insert(task_id);
  for (uint64_t task_id : touched) {
    ASSIGN_OR_RETURN(std::optional<v1::Task> task, LoadTask(view, task_id));
    if (!task) continue;
    ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments, LoadAssignments(view, task_id));
    std::set<std::string> units = {CodeOf(task->assigning_unit())};
    for (const v1::Assignment& a : assignments) units.insert(CodeOf(a.unit()));
    std::set<std::string> was, is;
    for (const std::string& unit : units) {
      ASSIGN_OR_RETURN(const std::vector<std::string>* chain, ancestry_before(unit));
      was.insert(chain->begin(), chain->end());
    }
    if (reassigned.count(task_id) > 0) {
      units.erase(CodeOf(task->assigning_unit()));
      units.insert(plan.successor);
    }
    if (at_successor.count(task_id) > 0) units.insert(plan.successor);
    for (const std::string& unit : units) {
      ASSIGN_OR_RETURN(const std::vector<std::string>* chain, ancestry_after(unit));
      is.insert(chain->begin(), chain->end());
    }
    const std::string suffix = TaskIndexSuffix(task_id);
    for (const std::string& code : was) {
      if (is.count(code) == 0) txn.Delete(Cf::kIndexes, TasksInvolvingPrefix(code) + suffix);
    }
    for (const std::string& code : is)
      txn.Put(Cf::kIndexes, TasksInvolvingPrefix(code) + suffix, "");
  }
  // Who must be rebound: principals of a source, or bound at one.
  std::set<std::string> codes;
  for (const v1::Unit& source : plan.sources) codes.insert(source.code());
  RETURN_IF_ERROR(ScanPrincipals(view, "", [&](const v1::Principal& p) {
    bool bound = codes.count(CodeOf(p.unit())) > 0;
    for (const v1::RoleBinding& b : p.bindings())
      bound = bound || codes.count(CodeOf(b.unit())) > 0;
    if (bound) result->add_principals(p.name());
    return true;
  }));
  counts.TakeStaged(txn, today);
  return counts.Write(txn);
}

constexpr int kMaxMergedUnits = 100;

// The units of `plan.sources`, checked: they exist in the caller's admin scope, are
// active, and none is below another or above `successor_above`'s unit (the successor, or
// the new parent of their children, `field` naming it).
absl::Status CheckSources(
    const ReadView& view, const Caller& caller, const std::vector<std::string>& codes,
    absl::string_view names_field,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& targets,
    std::vector<v1::Unit>* sources) {
  for (size_t i = 0; i < codes.size(); ++i) {
    const std::string field =
        codes.size() == 1 ? std::string(names_field) : absl::StrCat(names_field, "[", i, "]");
    ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, codes[i]));
    if (!unit) return NotFound(UnitName(codes[i]));
    RETURN_IF_ERROR(AuthorizeUnit(view, caller, codes[i], UnitName(codes[i])));
    RETURN_IF_ERROR(RequireActiveUnit(view, field, codes[i]));
    ASSIGN_OR_RETURN(std::vector<std::string> above, Ancestry(view, codes[i]));
    for (const std::string& other : codes) {
      if (other != codes[i] && std::find(above.begin(), above.end(), other) != above.end()) {
        return InvalidField(field, absl::StrCat(UnitName(codes[i]), " is below ", UnitName(other),
                                                ", which goes too; it moves with it"));
      }
    }
    for (const auto& [target_field, target_above] : targets) {
      if (std::find(target_above.begin(), target_above.end(), codes[i]) != target_above.end()) {
        return TreeCycle(absl::StrCat(UnitName(target_above.front()), " is ",
                                      target_above.front() == codes[i] ? "" : "below ",
                                      UnitName(codes[i]), ", which ends"),
                         target_field);
      }
    }
    sources->push_back(*std::move(unit));
  }
  return absl::OkStatus();
}

// An existing unit the work goes to: in the caller's admin scope, active; its ancestry.
absl::StatusOr<std::vector<std::string>> ExistingTarget(const ReadView& view, const Caller& caller,
                                                        absl::string_view field,
                                                        const std::string& code) {
  ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, code));
  if (!unit) return NotFound(UnitName(code));
  RETURN_IF_ERROR(AuthorizeUnit(view, caller, code, UnitName(code)));
  RETURN_IF_ERROR(RequireActiveUnit(view, field, code));
  return Ancestry(view, code);
}

}  // namespace

void Core::MergeUnits(const Caller& caller, const v1::MergeUnitsRequest& request,
                      v1::MergeUnitsResponse* response, Done done) {
  v1::MergeUnitsRequest r = request;
  std::vector<std::string> codes;
  std::string successor;
  v1::Unit fresh;  // new_successor, prepared
  const bool create = r.has_new_successor();
  absl::Status valid = [&]() -> absl::Status {
    if (r.names().empty()) {
      return InvalidField("names",
                          "names is required: the units merged away, e.g. "
                          "[\"units/H01.X1\", \"units/H01.X2\"]");
    }
    if (r.names_size() > kMaxMergedUnits) {
      return InvalidField("names", absl::StrCat("at most ", kMaxMergedUnits,
                                                " units merge in one call; got ", r.names_size()));
    }
    for (int i = 0; i < r.names_size(); ++i) {
      const std::string field = absl::StrCat("names[", i, "]");
      ASSIGN_OR_RETURN(std::string code, ParseUnitName(field, r.names(i)));
      if (std::find(codes.begin(), codes.end(), code) != codes.end()) {
        return InvalidField(field, absl::StrCat(r.names(i), " is named twice"));
      }
      codes.push_back(std::move(code));
    }
    if (create == !r.successor().empty()) {
      return InvalidField("successor",
                          "give the successor: an existing unit (successor) or one this call "
                          "creates (new_successor), one of the two");
    }
    if (create) {
      fresh = r.new_successor();
      RETURN_IF_ERROR(PrepareNewUnit("new_successor", &fresh));
      *fresh.mutable_valid_from() = r.effective_date();
      fresh.clear_valid_to();
      successor = fresh.code();
    } else {
      ASSIGN_OR_RETURN(successor, ParseUnitName("successor", r.successor()));
    }
    if (std::find(codes.begin(), codes.end(), successor) != codes.end()) {
      return InvalidField(create ? "new_successor.code" : "successor",
                          absl::StrCat(UnitName(successor),
                                       " is among the units merged away; it cannot succeed them"));
    }
    RETURN_IF_ERROR(NormalizeText("reason", r.mutable_reason(), kMaxReason, false));
    return CheckEffectiveDate(r.effective_date(), TodayInVietnam(*options_.clock));
  }();
  if (!valid.ok()) return done(valid);
  Mutate(
      caller, r.request_id(), request, response,
      [r, codes, successor, fresh, create, response](
          Txn& txn, const ChangeContext& change) mutable -> absl::Status {
        const ReadView& view = txn.reader();
        Absorption plan;
        plan.successor = plan.children_parent = successor;
        plan.end_state = v1::UNIT_STATE_MERGED;
        plan.effective_date = r.effective_date();
        plan.reason = r.reason();
        TreeOverlay overlay;
        if (create) {
          ASSIGN_OR_RETURN(plan.successor_above,
                           PlaceNewUnit(view, *change.caller, "new_successor", fresh));
          overlay.ancestry[successor] = plan.successor_above;
        } else {
          ASSIGN_OR_RETURN(plan.successor_above,
                           ExistingTarget(view, *change.caller, "successor", successor));
        }
        plan.children_above = plan.successor_above;
        RETURN_IF_ERROR(
            CheckSources(view, *change.caller, codes, "names",
                         {{create ? "new_successor.parent" : "successor", plan.successor_above}},
                         &plan.sources));
        if (create) {
          *response->mutable_successor() =
              WriteNewUnit(txn, change, fresh, plan.successor_above, r.reason());
        } else {
          ASSIGN_OR_RETURN(std::optional<v1::Unit> stored, LoadUnit(view, successor));
          *response->mutable_successor() = *std::move(stored);
        }
        std::vector<v1::Unit> ended;
        RETURN_IF_ERROR(Absorb(txn, change, plan, &overlay, response->mutable_result(), &ended));
        for (v1::Unit& unit : ended) *response->add_merged() = std::move(unit);
        return absl::OkStatus();
      },
      AfterTreeChange(std::move(done)));
}

void Core::DissolveUnit(const Caller& caller, const v1::DissolveUnitRequest& request,
                        v1::DissolveUnitResponse* response, Done done) {
  v1::DissolveUnitRequest r = request;
  std::string code, successor, children_parent;
  absl::Status valid = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(code, ParseUnitName("name", r.name()));
    if (r.successor().empty()) {
      return InvalidField("successor",
                          "successor is required: the unit that continues the dissolved one's "
                          "open work and the tasks it assigned, e.g. \"units/H01\"");
    }
    ASSIGN_OR_RETURN(successor, ParseUnitName("successor", r.successor()));
    if (r.children_parent().empty()) {
      children_parent = successor;
    } else {
      ASSIGN_OR_RETURN(children_parent, ParseUnitName("children_parent", r.children_parent()));
    }
    for (const auto& [field, target] :
         {std::pair("successor", successor), std::pair("children_parent", children_parent)}) {
      if (target == code) {
        return InvalidField(field, absl::StrCat(r.name(), " is the unit dissolved"));
      }
    }
    RETURN_IF_ERROR(NormalizeText("reason", r.mutable_reason(), kMaxReason, false));
    return CheckEffectiveDate(r.effective_date(), TodayInVietnam(*options_.clock));
  }();
  if (!valid.ok()) return done(valid);
  Mutate(
      caller, r.request_id(), request, response,
      [r, code, successor, children_parent, response](Txn& txn,
                                                      const ChangeContext& change) -> absl::Status {
        const ReadView& view = txn.reader();
        ASSIGN_OR_RETURN(std::optional<v1::Unit> stored, LoadUnit(view, code));
        if (!stored) return NotFound(UnitName(code));
        RETURN_IF_ERROR(AuthorizeUnit(view, *change.caller, code, UnitName(code)));
        RETURN_IF_ERROR(CheckEtag("etag", r.etag(), stored->etag(), stored->name()));
        Absorption plan;
        plan.successor = successor;
        plan.children_parent = children_parent;
        plan.end_state = v1::UNIT_STATE_DISSOLVED;
        plan.effective_date = r.effective_date();
        plan.reason = r.reason();
        ASSIGN_OR_RETURN(plan.successor_above,
                         ExistingTarget(view, *change.caller, "successor", successor));
        ASSIGN_OR_RETURN(plan.children_above,
                         ExistingTarget(view, *change.caller, "children_parent", children_parent));
        RETURN_IF_ERROR(CheckSources(
            view, *change.caller, {code}, "name",
            {{"successor", plan.successor_above}, {"children_parent", plan.children_above}},
            &plan.sources));
        TreeOverlay overlay;
        std::vector<v1::Unit> ended;
        RETURN_IF_ERROR(Absorb(txn, change, plan, &overlay, response->mutable_result(), &ended));
        *response->mutable_unit() = ended.front();
        return absl::OkStatus();
      },
      AfterTreeChange(std::move(done)));
}

}  // namespace d06
