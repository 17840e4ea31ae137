// The index side of reorganising the unit tree: what follows a unit when it moves below
// another parent. The indexes that fan out to every ancestor (the subtree index "ua",
// assignments by unit "au" relation 1, tasks involving a subtree "ti") are rewritten for
// the moved subtree, and the report counters move from `from_day` on
// (report_counters.h ShiftSubtreeCounts). The unit's own record, its history and its
// child index entry are the caller's (PutUnit), as is authorisation.
#ifndef D06_SERVER_MODEL_REORGANIZATION_H_
#define D06_SERVER_MODEL_REORGANIZATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "d06/v1/unit.pb.h"
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

// What moving a subtree changed.
struct Moved {
  int units = 0;
  int assignments = 0;
};

// Moves `subtree` (of subtree.codes[0]) from below the units `old_above` (its old parent,
// then that one's ancestors) to below `new_above`, from `from_day` on for the report
// counters; records the unit as a former child of its old parent (FormerChildrenPrefix).
absl::StatusOr<Moved> MoveSubtree(Txn& txn, const Subtree& subtree,
                                  const std::vector<std::string>& old_above,
                                  const std::vector<std::string>& new_above, int64_t from_day);

}  // namespace d06

#endif  // D06_SERVER_MODEL_REORGANIZATION_H_
