// Report counters: how many tasks each unit's report counts in each class, kept in the
// same batch as every change and versioned by day, so a report as of any date reads one
// version per counter row instead of replaying the event log.
//
// A task counts through its lead assignment (đơn vị chủ trì): in the report of the lead's
// unit (relation 0) and of every unit above it (relation 1). A row is
//   "rc" unit_code 0x00 u8 relation u8 class u64 deadline_key
// and its versions are row + u64 ~day_number -> i64 count at the end of that day (the
// newest version first), written on the days the row changed. The count as of day D is
// the newest version on or before D.
//
// Writers stage deltas (StageLeadChange, StageUrge) while a mutation runs; the mutation
// runner applies them once per mutation (FlushReportCounters).
#ifndef D06_SERVER_MODEL_REPORT_COUNTERS_H_
#define D06_SERVER_MODEL_REPORT_COUNTERS_H_

#include <cstdint>
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
  // A recurring task's live lead, whatever its state.
  kRecurring = 8,
  // Not tasks: the urges of lead assignments.
  kUrges = 9,
};

// One counter row of a unit as of a day.
struct ReportRow {
  ReportClass report_class;
  // The deadline the class is judged by (the deadline in force at submission for
  // completed work); keys::kNoDeadline for none.
  uint64_t deadline_key;
  int64_t count;
};

// Stages the change of one assignment's contribution (none unless it is a lead) to the
// reports of `ancestry` (its unit's code, then its parent's, up to the root). `before`
// null: a new assignment.
void StageLeadChange(Txn& txn, const v1::Task& task, const v1::Assignment* before,
                     const v1::Assignment& after, const std::vector<std::string>& ancestry);
// Stages one urge of a lead assignment.
void StageUrge(Txn& txn, const std::vector<std::string>& ancestry);
// Applies the staged deltas as the counts of `day_number` (the change's day in Vietnam).
absl::Status FlushReportCounters(Txn& txn, int64_t day_number);

// The rows of `unit_code` (relation 0: its own leads; 1: the leads of units below it) as
// of the end of `day_number`, with a count other than 0. Costs two seeks per row.
absl::StatusOr<std::vector<ReportRow>> ReadReportRows(const ReadView& view,
                                                      const std::string& unit_code,
                                                      uint8_t relation, int64_t day_number);

}  // namespace d06

#endif  // D06_SERVER_MODEL_REPORT_COUNTERS_H_
