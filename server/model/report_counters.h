// Report counters: how many tasks each unit's report counts in each class, kept in the
// same batch as every change and versioned by day, so a report as of any date reads one
// version per counter row instead of replaying the event log.
//
// A task counts through its lead assignment (đơn vị chủ trì): in the report of the lead's
// unit (relation 0) and of every unit above it (relation 1); once in the ungrouped rows,
// and once under its category, its directive's number and each of its labels. A row is
//   "rc" unit_code 0x00 u8 relation u8 group_kind [group_value 0x00] u8 class
//        u64 deadline_key
// (no group value for kNone). Row + u64 0 holds the newest count and the day of its last
// change (u64 day_number, i64 count), so a write reads it with one Get; the first change
// of a later day also keeps the old count as that day's version, row + u64 ~day_number
// -> i64 count at the end of that day (newest first). The count as of day D is the newest
// one on or before D: the first key if its day is, else the version a seek finds.
//
// Writers stage deltas (StageLeadChange) while a mutation runs; the mutation runner
// applies them once per mutation (FlushReportCounters).
#ifndef D06_SERVER_MODEL_REPORT_COUNTERS_H_
#define D06_SERVER_MODEL_REPORT_COUNTERS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "d06/v1/task.pb.h"
#include "storage/store.h"

namespace d06 {

// What a task counts as, by its lead assignment's stored state. Open work's timeliness is
// not stored: a report derives on time / overdue from the row's deadline and its date.
enum class ReportClass : uint8_t {
  kNotStarted = 1,
  kInProgress = 2,
  kPendingAcceptance = 3,
  kCompletedOnTime = 4,
  kCompletedLate = 5,
  kDeclined = 6,
  kRevoked = 7,
  // A recurring task's live lead, whatever its state; while open, its deadline key is the
  // last day of the first period it has not reported on.
  kRecurring = 8,
  // Not tasks: the urges of lead assignments.
  kUrges = 9,
};

// How rows are grouped beyond the unit.
enum class GroupKind : uint8_t { kNone = 0, kCategory = 1, kDirective = 2, kLabel = 3 };

// One counter row of a unit as of a day.
struct ReportRow {
  // The category, directive number or label ("" for kNone, or a task without one).
  std::string group;
  ReportClass report_class;
  // The deadline the class is judged by (the deadline in force at submission for
  // completed work); keys::kNoDeadline for none.
  uint64_t deadline_key;
  int64_t count;
};

// Stages the change of a lead's contribution to the reports of `ancestry` (its unit's
// code, then its parent's, up to the root): from `before` under `task_before` (null
// assignment: a new one) to `after` under `task_after`. Other roles contribute nothing.
void StageLeadChange(Txn& txn, const v1::Task& task_before, const v1::Task& task_after,
                     const v1::Assignment* before, const v1::Assignment& after,
                     const std::vector<std::string>& ancestry);
// Stages one urge of a lead assignment of `task`.
void StageUrge(Txn& txn, const v1::Task& task, const std::vector<std::string>& ancestry);
// Whether a task change moves its lead between groups (category, directive, labels).
bool GroupsDiffer(const v1::Task& a, const v1::Task& b);
// Applies the staged deltas as the counts of `day_number` (the change's day in Vietnam).
absl::Status FlushReportCounters(Txn& txn, int64_t day_number);
// The counts of report rows changed day by day through one reorganisation (a move, a
// merge), gathered and then written once per row: writing a row reads its committed
// versions, so two writes of one row in one batch would lose the first. Nothing else may
// change counts in that batch.
class CountChanges {
 public:
  // Changes apply to every day from `from_day` on; earlier days stay as they were.
  explicit CountChanges(int64_t from_day) : from_day_(from_day) {}

  // A unit moved below another parent: the counts of its subtree (its rows of relation 0
  // and 1, as they stand on each day) leave the relation-1 rows of `from_units` (its old
  // ancestors but the shared ones) and join those of `to_units` (its new ones).
  absl::Status MoveSubtree(const ReadView& view, const std::string& unit,
                           const std::vector<std::string>& from_units,
                           const std::vector<std::string>& to_units);
  // A unit merged into `successor`: its own counts (relation 0, on each day) become the
  // successor's own, and leave the relation-1 rows of `from_units` (its ancestors but
  // those it shares with the successor) for those of `to_units` (the successor's).
  absl::Status MoveOwn(const ReadView& view, const std::string& unit, const std::string& successor,
                       const std::vector<std::string>& from_units,
                       const std::vector<std::string>& to_units);
  // Takes the changes staged in `txn` (StageLeadChange, StageUrge) as changes from
  // `day_number` on, leaving nothing for FlushReportCounters.
  void TakeStaged(Txn& txn, int64_t day_number);
  // Writes every changed row.
  absl::Status Write(Txn& txn) const;

 private:
  using Series = std::map<int64_t, int64_t>;
  // The versions of the rows under `prefix` by the rest of their key (without the
  // version).
  static absl::StatusOr<std::map<std::string, Series>> ReadRows(const ReadView& view,
                                                                const std::string& prefix);
  void Add(const std::string& row, int sign, const Series& series);

  const int64_t from_day_;
  std::map<std::string, Series> rows_;  // by row key, the change of each day
};

// For a recount (server/model/consistency.h): adds 1 to each row (its key without the
// version, as ScanReportCounts names it) that lead assignment `a` of `task` counts in,
// for the units of `ancestry`, exactly as StageLeadChange would stage it.
void CountLead(const v1::Task& task, const v1::Assignment& a,
               const std::vector<std::string>& ancestry, std::map<std::string, int64_t>* rows);
// Calls fn(row, count) for every report row with its count as of the end of
// `day_number` (rows not yet counted then are skipped), but the urges' rows: an urge
// counts under the groups its task had that day, which no recount from the entities
// reproduces.
absl::Status ScanReportCounts(const ReadView& view, int64_t day_number,
                              const std::function<void(const std::string& row, int64_t count)>& fn);
// A row for a report of problems: unit, group, class and deadline key.
std::string DescribeReportRow(absl::string_view row);

// Reads counter rows as of the end of one day, through one cursor for every unit of a
// report (a report by child unit reads a hundred units). Costs one seek per row when
// the row's newest version is on or before the day (always, for today), two otherwise.
class ReportReader {
 public:
  // `view` must outlive the reader.
  ReportReader(const ReadView& view, int64_t day_number);

  // The rows of `unit_code` (relation 0: its own leads; 1: the leads of units below it)
  // grouped by `kind`, with a count other than 0.
  absl::StatusOr<std::vector<ReportRow>> Rows(const std::string& unit_code, uint8_t relation,
                                              GroupKind kind);

 private:
  const int64_t day_number_;
  std::unique_ptr<PrefixCursor> cursor_;  // over every report row
};

}  // namespace d06

#endif  // D06_SERVER_MODEL_REPORT_COUNTERS_H_
