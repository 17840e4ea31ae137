// The index side of reorganising the unit tree: what follows a unit when it moves below
// another parent. The indexes that fan out to every ancestor (the subtree index "ua",
// assignments by unit "au" relation 1, tasks involving a subtree "ti") are rewritten for
// the moved subtrees, and the report counters move from the effective day on
// (report_counters.h CountChanges). The unit's own record, its history and its
// child index entry are the caller's (PutUnit), as is authorisation.
#ifndef D06_SERVER_MODEL_REORGANIZATION_H_
#define D06_SERVER_MODEL_REORGANIZATION_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "d06/v1/unit.pb.h"
#include "server/model/report_counters.h"
#include "storage/store.h"

namespace d06 {

// A unit's subtree: its code and those of every unit below it, each with its level below
// it (0 for the unit), read from the child index.
struct Subtree {
  std::vector<std::string> codes;
  std::vector<int> levels;
  int height() const;  // the deepest level
};
absl::StatusOr<Subtree> ReadSubtree(const ReadView& view, const std::string& code);
// The codes of the units directly below `code`, in the child index's order.
absl::StatusOr<std::vector<std::string>> ChildCodes(const ReadView& view, const std::string& code);

// The units below `parent_code` on `day_number` (DayNumber), by code: its children now and
// those that have moved away since (FormerChildrenPrefix), each kept if its history puts
// it below the parent that day.
absl::StatusOr<std::vector<v1::Unit>> ChildrenAsOf(const ReadView& view,
                                                   const std::string& parent_code,
                                                   int64_t day_number);

// The unit's code and its ancestors' on `day_number`, by each one's history; a chain that
// cannot be walked to a root (DATA_LOSS) is what could be walked.
absl::StatusOr<std::vector<std::string>> AncestryAsOf(const ReadView& view, std::string code,
                                                      int64_t day_number);

// `above` without the units that are also in `other` (the ancestors two chains share
// keep their entries and counts).
std::vector<std::string> Without(const std::vector<std::string>& above,
                                 const std::vector<std::string>& other);

// Calls fn(task_id, suffix) for each of unit `code`'s own assignments (the assignments-by-
// unit index, relation 0; `suffix` is the rest of the key after AssignmentsOfUnitPrefix:
// the bucket and the sort key). DATA_LOSS for a malformed key.
absl::Status ScanUnitAssignments(
    const ReadView& view, const std::string& code,
    absl::FunctionRef<void(uint64_t task_id, absl::string_view suffix)> fn);
// Calls fn(task_id) for each task unit `code` assigned. DATA_LOSS for a malformed key.
absl::Status ScanTasksAssignedBy(const ReadView& view, const std::string& code,
                                 absl::FunctionRef<void(uint64_t task_id)> fn);

// What moving subtrees changed.
struct Moved {
  int units = 0;
  int assignments = 0;
  // The tasks the moved units take part in or assigned.
  std::set<uint64_t> tasks;
};

// A subtree leaving its parent: the subtree and its old ancestors (the old parent first).
struct SubtreeMove {
  Subtree subtree;
  std::vector<std::string> old_above;
};

// Moves the subtrees of `moves` (none inside another) below the units `new_above` (the
// new parent, then its ancestors), all in one batch; their report counts move in
// `counts` (the caller writes them); each head is recorded as a former child of its old
// parent (FormerChildrenPrefix). A task keeps an old ancestor's index entry only through
// a unit outside every moved subtree. With `involvement` false the tasks' "ti" entries
// are left to the caller (a merge, which recomputes them for the tasks it also changes).
absl::StatusOr<Moved> MoveSubtrees(Txn& txn, const std::vector<SubtreeMove>& moves,
                                   const std::vector<std::string>& new_above, CountChanges* counts,
                                   bool involvement = true);

// The unit whose reports count the work of unit `code` on `day_number` (std::nullopt:
// now): the unit itself, or, once it is merged or dissolved, its successor (and so on).
absl::StatusOr<std::string> CountingUnit(const ReadView& view, std::string code,
                                         std::optional<int64_t> day_number);

}  // namespace d06

#endif  // D06_SERVER_MODEL_REORGANIZATION_H_
