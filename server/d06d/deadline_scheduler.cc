#include "server/d06d/deadline_scheduler.h"

#include <iostream>

namespace d06 {
namespace {

// A catch-up (after downtime, or a plan imported with past deadlines) takes at most
// kCrossingsPerWrite crossings per write and pauses kPause between full writes: about
// 2,000 crossings a second, a small share of the writer, so the API's writes never wait
// behind it.
constexpr size_t kCrossingsPerWrite = 200;
constexpr absl::Duration kPause = absl::Milliseconds(100);

}  // namespace

DeadlineScheduler::DeadlineScheduler(Core* core, absl::Duration interval)
    : core_(core), interval_(interval), thread_([this] { Loop(); }) {}

DeadlineScheduler::~DeadlineScheduler() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

absl::StatusOr<int> DeadlineScheduler::RunOnce() {
  absl::MutexLock lock(&run_mu_);
  int total = 0;
  while (true) {
    absl::StatusOr<int> taken = core_->RecordDeadlineCrossings(kCrossingsPerWrite);
    if (!taken.ok()) return taken.status();
    total += *taken;
    if (*taken < static_cast<int>(kCrossingsPerWrite)) return total;
    absl::MutexLock stop_lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), kPause)) return total;
  }
}

void DeadlineScheduler::Loop() {
  while (true) {
    absl::StatusOr<int> recorded = RunOnce();
    if (!recorded.ok()) {
      // A store that failed stop, or shutting down: the next run retries.
      std::cerr << "d06d: recording deadline events: " << recorded.status() << "\n";
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) return;
  }
}

}  // namespace d06
