// The consistency check of a d06 database (d06d verify, AdminService.CheckConsistency):
// reads one snapshot and names every place where what is stored disagrees with what the
// writers would have stored. What an entity's index entries should be comes from the
// writers' own functions (server/model/schema.h, entities.h, deadline_queue.h), never a
// second copy of the layout:
//   - every index entry of every unit, task, assignment, principal and token, and the
//     task-history entry of every kept event, is there (a missing entry), and no other
//     entry is (an orphan), the deadline queue included;
//   - the report counters (server/model/report_counters.h) equal a recount from the
//     lead assignments as of today, and from the event log as of a sampled past day
//     (skipped when older events were removed: the report says so);
//   - every revision from the oldest kept to the last has its events, numbered from 0,
//     and none is beyond the last;
//   - every kept event with a request_id has the idempotency record of its request, and
//     each record holds a fingerprint.
// RocksDB's block checksums are the store's (Store::VerifyChecksums).
//
// Memory: 8 bytes per expected index entry, and the report counters; the past-day
// recount also holds the tasks and lead assignments of the events it replays.
#ifndef D06_SERVER_MODEL_CONSISTENCY_H_
#define D06_SERVER_MODEL_CONSISTENCY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace d06 {

struct ConsistencyOptions {
  // The server's due-soon window, which decides the deadline queue's entries.
  int due_soon_days = 3;
  // Today in Asia/Ho_Chi_Minh, as a day number (common/dates.h DayNumber).
  int64_t today = 0;
  // The past day to recount the report counters at; std::nullopt: the day of the event
  // halfway through the event log.
  std::optional<int64_t> past_day;
  // Pacing, so that an online check leaves the disk and a core to the server: after
  // every `pause_every` keys read, sleep `pause` (0: never).
  size_t pause_every = 0;
  absl::Duration pause = absl::ZeroDuration();
  // At most this many problems are described (all are counted).
  size_t max_problems = 1000;
};

struct ConsistencyReport {
  int64_t revision = 0;  // the snapshot's last revision
  int64_t entities = 0;
  int64_t index_entries = 0;
  int64_t events = 0;
  // Each problem found, one sentence naming the entity or key; empty: consistent.
  std::vector<std::string> problems;
  int64_t problem_count = 0;
  // The past day the counters were recounted at (-1: not recounted), and why not.
  int64_t past_day = -1;
  std::string notes;
};

// Checks the database as `view` shows it. Errors are for reads that fail; what is
// inconsistent goes into the report.
absl::StatusOr<ConsistencyReport> CheckConsistency(const ReadView& view,
                                                   const ConsistencyOptions& options);

}  // namespace d06

#endif  // D06_SERVER_MODEL_CONSISTENCY_H_
