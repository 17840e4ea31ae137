// The index schema: the only code that builds or reads the bytes of index keys (their
// layout is documented in storage/keys.h). A writer (server/model/entities.h) puts an
// entity's keys; a list planner (server/core/*_queries.cc) scans prefixes built here.
#ifndef D06_SERVER_MODEL_SCHEMA_H_
#define D06_SERVER_MODEL_SCHEMA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "storage/store.h"

namespace d06 {

// "units/H29" -> "H29"; "tasks/12" -> 12 (0 if not a task name). For names already valid.
std::string CodeOf(absl::string_view unit_name);
uint64_t IdOf(absl::string_view task_name);

// ---- units: "us"/"up" state kind code ----
// Units of one state and kind: all of them, or those whose parent is `parent_code`
// ("" for the roots).
std::string UnitsPrefix(const std::optional<std::string>& parent_code, v1::UnitState state,
                        v1::UnitKind kind);
// An index entry: key and value (empty but for postings).
struct IndexEntry {
  std::string key;
  std::string value;
};
using IndexEntries = std::vector<IndexEntry>;

IndexEntries UnitIndexEntries(const v1::Unit& unit);
// The unit code after a units prefix.
bool ParseUnitIndexSuffix(absl::string_view suffix, std::string* code);
// The units of `ancestor_code`'s subtree (itself included), whatever their state and
// kind; ParseUnitIndexSuffix reads the code after it.
std::string UnitSubtreePrefix(absl::string_view ancestor_code);
// The entries of a new unit `code` whose ancestry (its code first) is `ancestry`.
IndexEntries UnitSubtreeEntries(const std::vector<std::string>& ancestry);
// Every child of `parent_code`, whatever its state and kind; the child's code after it.
std::string ChildUnitsPrefix(absl::string_view parent_code);
bool ParseChildUnitSuffix(absl::string_view suffix, std::string* code);
// "uf" parent child: the units that were once children of `parent_code` and have moved
// away (MoveUnit), kept for reports as of a date before they left; ParseUnitIndexSuffix
// reads the child's code after the prefix.
std::string FormerChildrenPrefix(absl::string_view parent_code);
std::string FormerChildKey(absl::string_view parent_code, absl::string_view child_code);
// The "uf" entries of `unit`: one under each parent its history says it left.
IndexEntries FormerChildEntries(const v1::Unit& unit);

// ---- tasks: prefix [state] u64 id ----
// Tasks by state, assigning unit, label, kind or urgency are ranges of
// WithState(prefix, state); tasks by parent task have no state byte.
std::string WithState(std::string prefix, v1::TaskState state);
std::string TasksPrefix();
std::string TasksByAssigningUnitPrefix(absl::string_view unit_code);
std::string TasksByLabelPrefix(absl::string_view label);
std::string TasksByKindPrefix(v1::TaskKind kind);
std::string TasksByUrgencyPrefix(v1::Urgency urgency);
std::string TasksByParentPrefix(uint64_t parent_id);
// The tasks involving `unit_code`'s subtree (ParseTaskIndexSuffix reads the id after it),
// and the entries that put task `id` there for a unit whose ancestry is `ancestry`.
std::string TasksInvolvingPrefix(absl::string_view unit_code);
IndexEntries TaskInvolvementEntries(uint64_t id, const std::vector<std::string>& ancestry);
// The postings of one folded word (no diacritics) of titles and contents. A posting's
// value holds ExactFormHash of each distinct form of the word as typed in that task, so
// a search ranks the tasks that have the query's words as typed first without a second
// posting per word.
std::string PostingPrefix(absl::string_view folded_word);
uint32_t ExactFormHash(absl::string_view word);
// Whether a posting's value lists the form `hash`.
bool PostingHasForm(absl::string_view value, uint32_t hash);
// The task id after any task prefix above, and back.
bool ParseTaskIndexSuffix(absl::string_view suffix, uint64_t* id);
std::string TaskIndexSuffix(uint64_t id);
IndexEntries TaskIndexEntries(const v1::Task& task);

// ---- assignments: prefix bucket SORT, SORT = deadline task code ----
// The state bucket of an assignment (COMPLETED split by lateness, keys.h) and its index
// byte with the role.
uint8_t Bucket(const v1::Assignment& a);
uint8_t IndexBucket(v1::AssignmentRole role, uint8_t bucket);
// The deadline as it sorts in keys (no deadline sorts last).
uint64_t DeadlineKeyOf(const v1::Date& deadline);
std::string SortKey(const v1::Assignment& a, uint64_t task_id, absl::string_view code);
bool ParseAssignmentSortKey(absl::string_view suffix, uint64_t* task_id, std::string* code);
// The deadline key of a day number (days since 1970-01-01), and of no deadline (last).
uint64_t DeadlineKeyOfDay(int64_t day_number);
inline constexpr uint64_t kNoDeadlineKey = ~uint64_t{0};
// The state bucket of COMPLETED assignments finished late.
uint8_t CompletedLateBucket();
// The index ranges of assignments with one of `state_buckets` and `roles`, deadline keys
// within [lo, hi], of every unit, of `unit_code` itself, or (`subtree`) of it and the
// units below it. Each range is ordered by SortKey.
std::vector<IndexRange> AssignmentRanges(const std::optional<std::string>& unit_code, bool subtree,
                                         const std::vector<v1::AssignmentRole>& roles,
                                         const std::vector<uint8_t>& state_buckets, uint64_t lo,
                                         uint64_t hi);
// Assignments of `unit_code` itself (relation 0) or of the units below it (1), of one
// bucket or of all (bucket SORT after the prefix).
std::string AssignmentsByUnitPrefix(absl::string_view unit_code, uint8_t relation, uint8_t bucket);
std::string AssignmentsOfUnitPrefix(absl::string_view unit_code, uint8_t relation);
std::string AllAssignmentsPrefix(uint8_t bucket);
// `ancestry` is the assigned unit's code, then its parent's, up to the root.
IndexEntries AssignmentIndexEntries(const v1::Assignment& a, uint64_t task_id,
                                    const std::vector<std::string>& ancestry);

// ---- a task's history: "ht" task revision index ----
std::string TaskHistoryPrefix(uint64_t task_id);
std::string TaskHistoryKey(uint64_t task_id, int64_t revision, int32_t index);

}  // namespace d06

#endif  // D06_SERVER_MODEL_SCHEMA_H_
