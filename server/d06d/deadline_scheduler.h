// The deadline scheduler of d06d: a thread that records the due-soon and overdue events of
// open assignments (Core::RecordDeadlineCrossings) at start-up (catching up after
// downtime across a day boundary) and then every `interval`, so a crossing is recorded
// within `interval` of the day boundary (Asia/Ho_Chi_Minh) that brings it. Each run takes
// what is due in writes of at most 200 queue entries, pausing between them (about 2,000
// a second: a catch-up never starves the API's writes), until none is left; its cost
// follows the number of crossings, not of tasks.
#ifndef D06_SERVER_D06D_DEADLINE_SCHEDULER_H_
#define D06_SERVER_D06D_DEADLINE_SCHEDULER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/core/core.h"

namespace d06 {

class DeadlineScheduler {
 public:
  // Starts the thread; `core` must outlive the scheduler.
  DeadlineScheduler(Core* core, absl::Duration interval);
  // Stops the thread (a run in progress finishes its write first).
  ~DeadlineScheduler();
  DeadlineScheduler(const DeadlineScheduler&) = delete;
  DeadlineScheduler& operator=(const DeadlineScheduler&) = delete;

  // Records every crossing due now; returns how many queue entries it took.
  absl::StatusOr<int> RunOnce();

 private:
  void Loop();

  Core* const core_;
  const absl::Duration interval_;
  absl::Mutex run_mu_;  // one run at a time
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace d06

#endif  // D06_SERVER_D06D_DEADLINE_SCHEDULER_H_
