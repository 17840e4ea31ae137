#include "server/d06d/periodic_job.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace d06 {

PeriodicJob::PeriodicJob(Step step, Options options)
    : step_(std::move(step)), options_(std::move(options)) {
  if (options_.counters != nullptr) {
    options_.counters->caught_up_unix_nanos.store(absl::ToUnixNanos(absl::Now()));
  }
  thread_ = std::thread([this] { Loop(); });
}

PeriodicJob::~PeriodicJob() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

absl::StatusOr<int> PeriodicJob::RunOnce() {
  absl::MutexLock lock(&run_mu_);
  int total = 0;
  while (true) {
    absl::StatusOr<int> done = step_(options_.step_limit);
    if (!done.ok()) return done.status();
    total += *done;
    if (options_.counters != nullptr) {
      options_.counters->items.fetch_add(static_cast<uint64_t>(*done));
    }
    if (*done < static_cast<int>(options_.step_limit)) {
      if (options_.counters != nullptr) {
        options_.counters->caught_up_unix_nanos.store(absl::ToUnixNanos(absl::Now()));
      }
      return total;
    }
    absl::MutexLock stop_lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.pause)) return total;
  }
}

void PeriodicJob::Loop() {
  while (true) {
    absl::StatusOr<int> done = RunOnce();
    if (!done.ok()) {
      // A store that failed stop, or shutting down: the next run retries.
      log::Error(absl::StrCat(options_.what, ": ", done.status().ToString()));
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interval)) return;
  }
}

}  // namespace d06
