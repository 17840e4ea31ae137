#include "server/model/reorganization.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "common/limits.h"
#include "server/domain/unit_history.h"
#include "server/model/entities.h"
#include "server/model/report_counters.h"
#include "server/model/schema.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {

std::vector<std::string> Without(const std::vector<std::string>& above,
                                 const std::vector<std::string>& other) {
  std::vector<std::string> out;
  for (const std::string& code : above) {
    if (std::find(other.begin(), other.end(), code) == other.end()) out.push_back(code);
  }
  return out;
}

namespace {

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("an index key of ", what, " is malformed"));
}

}  // namespace

absl::StatusOr<std::vector<v1::Unit>> ChildrenAsOf(const ReadView& view,
                                                   const std::string& parent_code,
                                                   int64_t day_number) {
  std::set<std::string> codes;
  bool parsed = true;
  for (const bool former : {false, true}) {
    RETURN_IF_ERROR(view.ScanPrefix(
        Cf::kIndexes, former ? FormerChildrenPrefix(parent_code) : ChildUnitsPrefix(parent_code),
        "", [&](absl::string_view suffix, absl::string_view) {
          std::string code;
          parsed =
              former ? ParseUnitIndexSuffix(suffix, &code) : ParseChildUnitSuffix(suffix, &code);
          if (parsed) codes.insert(std::move(code));
          return parsed;
        }));
    if (!parsed) return Malformed("the unit tree");
  }
  std::vector<v1::Unit> out;
  for (const std::string& code : codes) {
    ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, code));
    if (!unit) return absl::DataLossError(absl::StrCat("unit ", code, " is missing"));
    if (CodeOf(PeriodAsOf(*unit, day_number).parent()) == parent_code) {
      out.push_back(*std::move(unit));
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> AncestryAsOf(const ReadView& view, std::string code,
                                                      int64_t day_number) {
  std::vector<std::string> chain;
  while (!code.empty() && chain.size() < static_cast<size_t>(kMaxUnitDepth)) {
    if (std::find(chain.begin(), chain.end(), code) != chain.end()) break;  // a cycle
    chain.push_back(code);
    ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, code));
    if (!unit) break;
    code = CodeOf(PeriodAsOf(*unit, day_number).parent());
  }
  return chain;
}

int Subtree::height() const {
  return levels.empty() ? 0 : *std::max_element(levels.begin(), levels.end());
}

absl::StatusOr<std::vector<std::string>> ChildCodes(const ReadView& view, const std::string& code) {
  std::vector<std::string> children;
  bool parsed = true;
  RETURN_IF_ERROR(view.ScanPrefix(Cf::kIndexes, ChildUnitsPrefix(code), "",
                                  [&](absl::string_view suffix, absl::string_view) {
                                    std::string child;
                                    parsed = ParseChildUnitSuffix(suffix, &child);
                                    if (parsed) children.push_back(std::move(child));
                                    return parsed;
                                  }));
  if (!parsed) return Malformed("the unit tree");
  return children;
}

absl::StatusOr<Subtree> ReadSubtree(const ReadView& view, const std::string& code) {
  Subtree subtree;
  subtree.codes.push_back(code);
  subtree.levels.push_back(0);
  // Breadth first down the child index; a cycle (which CreateUnit never makes) stops at
  // the codes already seen.
  std::set<std::string> seen = {code};
  for (size_t next = 0; next < subtree.codes.size(); ++next) {
    const int level = subtree.levels[next] + 1;
    ASSIGN_OR_RETURN(std::vector<std::string> children, ChildCodes(view, subtree.codes[next]));
    for (std::string& child : children) {
      if (!seen.insert(child).second) continue;
      subtree.codes.push_back(std::move(child));
      subtree.levels.push_back(level);
    }
  }
  return subtree;
}

absl::Status ScanUnitAssignments(
    const ReadView& view, const std::string& code,
    absl::FunctionRef<void(uint64_t task_id, absl::string_view suffix)> fn) {
  bool parsed = true;
  RETURN_IF_ERROR(view.ScanPrefix(
      Cf::kIndexes, AssignmentsOfUnitPrefix(code, 0), "",
      [&](absl::string_view suffix, absl::string_view) {
        uint64_t task_id;
        std::string unit;
        parsed = suffix.size() > 1 && ParseAssignmentSortKey(suffix.substr(1), &task_id, &unit);
        if (parsed) fn(task_id, suffix);
        return parsed;
      }));
  return parsed ? absl::OkStatus() : Malformed("assignments by unit");
}

absl::Status ScanTasksAssignedBy(const ReadView& view, const std::string& code,
                                 absl::FunctionRef<void(uint64_t task_id)> fn) {
  bool parsed = true;
  RETURN_IF_ERROR(view.ScanPrefix(Cf::kIndexes, TasksByAssigningUnitPrefix(code), "",
                                  [&](absl::string_view suffix, absl::string_view) {
                                    uint64_t id;  // after the state byte
                                    parsed = !suffix.empty() &&
                                             ParseTaskIndexSuffix(suffix.substr(1), &id);
                                    if (parsed) fn(id);
                                    return parsed;
                                  }));
  return parsed ? absl::OkStatus() : Malformed("tasks by assigning unit");
}

absl::StatusOr<Moved> MoveSubtrees(Txn& txn, const std::vector<SubtreeMove>& moves,
                                   const std::vector<std::string>& new_above, CountChanges* counts,
                                   bool involvement) {
  std::set<std::string> inside;
  for (const SubtreeMove& move : moves) {
    inside.insert(move.subtree.codes.begin(), move.subtree.codes.end());
  }
  const ReadView& view = txn.reader();
  Moved moved;
  // Each task the moved units take part in or assigned, with the old ancestors it may
  // leave.
  std::map<uint64_t, std::set<std::string>> tasks;
  for (const SubtreeMove& move : moves) {
    const std::vector<std::string> leave = Without(move.old_above, new_above);
    const std::vector<std::string> join = Without(new_above, move.old_above);
    moved.units += static_cast<int>(move.subtree.codes.size());
    for (const std::string& code : move.subtree.codes) {
      // The subtree index: every unit of the subtree is in each ancestor's.
      std::string self;
      keys::PutString(&self, code);
      for (const std::string& a : leave) txn.Delete(Cf::kIndexes, UnitSubtreePrefix(a) + self);
      for (const std::string& a : join) txn.Put(Cf::kIndexes, UnitSubtreePrefix(a) + self, "");
      // Assignments by unit: each of the unit's own (relation 0) is under every ancestor
      // with relation 1, by the same bucket and sort key.
      RETURN_IF_ERROR(
          ScanUnitAssignments(view, code, [&](uint64_t task_id, absl::string_view suffix) {
            ++moved.assignments;
            tasks[task_id].insert(leave.begin(), leave.end());
            for (const std::string& a : leave) {
              txn.Delete(Cf::kIndexes, absl::StrCat(AssignmentsOfUnitPrefix(a, 1), suffix));
            }
            for (const std::string& a : join) {
              txn.Put(Cf::kIndexes, absl::StrCat(AssignmentsOfUnitPrefix(a, 1), suffix), "");
            }
          }));
      // Tasks the subtree's units assigned.
      RETURN_IF_ERROR(ScanTasksAssignedBy(
          view, code, [&](uint64_t id) { tasks[id].insert(leave.begin(), leave.end()); }));
    }
    // Reports as of a day before the move still list the unit under its old parent.
    if (!move.old_above.empty()) {
      txn.Put(Cf::kIndexes, FormerChildKey(move.old_above.front(), move.subtree.codes.front()), "");
    }
    RETURN_IF_ERROR(counts->MoveSubtree(view, move.subtree.codes.front(), leave, join));
  }
  // Tasks involving a subtree: each task the moved units take part in is now in the new
  // ancestors' ranges, and stays in an old ancestor's only through a unit outside every
  // moved subtree.
  std::map<std::string, std::vector<std::string>> chains;  // of units outside, read once
  for (const auto& [id, leave] : tasks) {
    moved.tasks.insert(id);
    if (!involvement) continue;
    ASSIGN_OR_RETURN(std::optional<v1::Task> task, LoadTask(view, id));
    if (!task) continue;
    ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments, LoadAssignments(view, id));
    std::set<std::string> kept;
    std::vector<std::string> involved = {CodeOf(task->assigning_unit())};
    for (const v1::Assignment& a : assignments) involved.push_back(CodeOf(a.unit()));
    for (const std::string& unit : involved) {
      if (inside.count(unit) > 0) continue;
      auto chain = chains.find(unit);
      if (chain == chains.end()) {
        ASSIGN_OR_RETURN(std::vector<std::string> walked, WalkableAncestry(view, unit));
        chain = chains.emplace(unit, std::move(walked)).first;
      }
      kept.insert(chain->second.begin(), chain->second.end());
    }
    const std::string suffix = TaskIndexSuffix(id);
    for (const std::string& a : leave) {
      if (kept.count(a) == 0) txn.Delete(Cf::kIndexes, TasksInvolvingPrefix(a) + suffix);
    }
    for (const std::string& a : new_above) {
      txn.Put(Cf::kIndexes, TasksInvolvingPrefix(a) + suffix, "");
    }
  }
  return moved;
}

absl::StatusOr<std::string> CountingUnit(const ReadView& view, std::string code,
                                         std::optional<int64_t> day_number) {
  for (int hops = 0; hops < kMaxUnitDepth; ++hops) {
    ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, code));
    if (!unit) return code;
    const v1::UnitPeriod then = day_number ? PeriodAsOf(*unit, *day_number) : CurrentFields(*unit);
    if (then.state() == v1::UNIT_STATE_ACTIVE || then.successor().empty()) return code;
    code = CodeOf(then.successor());
  }
  return code;  // a chain of successors this long is a cycle: stop anywhere
}

}  // namespace d06
