#include "server/api/admission.h"

#include <algorithm>
#include <utility>

#include "d06/v1/api_names.h"
#include "server/domain/errors.h"

namespace d06::api {

Admission::Admission(Options options) : options_(options) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { Work(); });
}

Admission::~Admission() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

bool Admission::Submit(std::function<void()> read) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || static_cast<int>(queue_.size()) >= options_.queue) return false;
  queue_.push_back(std::move(read));
  return true;
}

void Admission::Work() {
  for (;;) {
    std::function<void()> read;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Admission* a)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(a->mu_) { return a->stopping_ || !a->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping, nothing left
      read = std::move(queue_.front());
      queue_.pop_front();
    }
    read();
  }
}

absl::Status Admission::Busy() {
  return Error(absl::StatusCode::kResourceExhausted, v1::reason::kServerBusy,
               "the server is busy with reports and list pages; retry in a moment");
}

}  // namespace d06::api
