#include "server/api/stream_workers.h"

#include <utility>

namespace d06::api {

bool StreamWorkers::Run(std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  Reap();
  if (running_ >= max_streams_) return false;
  ++running_;
  Worker& worker = workers_.emplace_back();
  worker.thread = std::thread([this, &worker, fn = std::move(fn)] {
    fn();
    absl::MutexLock lock(&mu_);
    worker.done = true;
    --running_;
  });
  return true;
}

void StreamWorkers::Reap() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    it->thread.join();  // it set done under mu_, which we hold now: it is past fn
    it = workers_.erase(it);
  }
}

void StreamWorkers::Join() {
  std::list<Worker> all;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &running_));
    all.swap(workers_);
  }
  for (Worker& worker : all) worker.thread.join();
}

}  // namespace d06::api
