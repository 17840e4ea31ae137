// d06::api::Admission: bounded admission for the expensive reads (reports, list pages,
// searches): they run on a few threads of their own, in arrival order, with a bounded
// queue before them; beyond it a call is refused RESOURCE_EXHAUSTED/SERVER_BUSY at once.
// Cheap calls (point reads, writes) never wait behind them: one client's flood of
// summaries or large pages holds these threads and this queue, not the cores every other
// call needs (on 2 cores, one thread: another client's GetUnit keeps the other core).
//
// Thread-safe. Example:
//   Admission admission({.threads = 1, .queue = 64});
//   if (!admission.Submit([=] { RunTheRead(); })) done(Busy());
#ifndef D06_SERVER_API_ADMISSION_H_
#define D06_SERVER_API_ADMISSION_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace d06::api {

class Admission {
 public:
  struct Options {
    int threads = 1;  // reads running at once
    int queue = 64;   // reads waiting for a thread; more are refused
  };
  explicit Admission(Options options);
  // Runs what is queued, then joins the threads.
  ~Admission();
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // Queues `read`; false (without running it) when the queue is full.
  bool Submit(std::function<void()> read);

  // RESOURCE_EXHAUSTED/SERVER_BUSY: what a refused call answers.
  static absl::Status Busy();

 private:
  void Work();

  const Options options_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_ADMISSION_H_
