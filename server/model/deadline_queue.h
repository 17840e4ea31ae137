// The deadline queue: for every open assignment with a deadline, the days on which it
// becomes due soon and overdue, as index entries keyed by (day, assignment), so the
// scheduler's work follows the number of crossings, not of tasks:
//   "dq" u64 DeadlineKey(day) u64 task_id unit_code 0x00 u8 kind
// An entry exists while the assignment is open (not started, in progress or waiting for
// acceptance), has a deadline, and its event for that deadline was not yet recorded
// (Assignment.due_soon_recorded_for / overdue_recorded_for). PutAssignment keeps the
// entries with the assignment, so a new deadline moves them and re-arms both crossings,
// and recording a crossing (setting *_recorded_for) removes its entry.
#ifndef D06_SERVER_MODEL_DEADLINE_QUEUE_H_
#define D06_SERVER_MODEL_DEADLINE_QUEUE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "d06/v1/task.pb.h"
#include "server/model/schema.h"
#include "storage/store.h"

namespace d06 {

enum class Crossing : uint8_t { kDueSoon = 1, kOverdue = 2 };

// The queue entries of `a` with a due-soon window of `due_soon_days`.
IndexEntries DeadlineQueueEntries(const v1::Assignment& a, uint64_t task_id, int due_soon_days);

// One queued crossing.
struct QueuedCrossing {
  std::string key;   // the entry's key in Cf::kIndexes
  uint64_t day_key;  // keys::DeadlineKey of the day
  uint64_t task_id;
  std::string unit_code;
  Crossing crossing;
};

// Up to `limit` crossings on or before `day_number`, earliest first.
absl::StatusOr<std::vector<QueuedCrossing>> DueCrossings(const ReadView& view, int64_t day_number,
                                                         size_t limit);

}  // namespace d06

#endif  // D06_SERVER_MODEL_DEADLINE_QUEUE_H_
