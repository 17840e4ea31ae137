#include "server/api/delay_timer.h"

#include <algorithm>
#include <utility>

namespace d06::api {

DelayTimer::DelayTimer() : thread_([this] { Loop(); }) {}

DelayTimer::~DelayTimer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void DelayTimer::At(absl::Time when, std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  due_.emplace(when, std::move(fn));
}

void DelayTimer::Loop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    const absl::Time next = due_.empty() ? absl::InfiniteFuture() : due_.begin()->first;
    mu_.AwaitWithDeadline(absl::Condition(
                              +[](DelayTimer* t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t->mu_) {
                                return t->stop_ ||
                                       (!t->due_.empty() && t->due_.begin()->first <= absl::Now());
                              },
                              this),
                          std::min(next, absl::Now() + absl::Milliseconds(100)));
    while (!due_.empty() && (stop_ || due_.begin()->first <= absl::Now())) {
      std::function<void()> fn = std::move(due_.begin()->second);
      due_.erase(due_.begin());
      mu_.Unlock();
      fn();
      mu_.Lock();
    }
    if (stop_) return;
  }
}

}  // namespace d06::api
