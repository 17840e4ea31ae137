// d06::api::DelayTimer: runs callbacks at their time on one thread of its own, so that an
// answer can be held back (a slowed-down refusal) without holding the thread that made
// it. Used by the authenticator (failing credentials) and the rate limiter (calls over
// budget); the gRPC transport's calls are answered from any thread, so a held answer
// costs a closure, not a thread.
//
// On destruction every waiting callback runs at once: no held call is left unanswered.
//
// Thread-safe.
#ifndef D06_SERVER_API_DELAY_TIMER_H_
#define D06_SERVER_API_DELAY_TIMER_H_

#include <functional>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace d06::api {

class DelayTimer {
 public:
  DelayTimer();
  DelayTimer(const DelayTimer&) = delete;
  DelayTimer& operator=(const DelayTimer&) = delete;
  ~DelayTimer();

  // Runs `fn` at `when` (at once if it has passed), on the timer's thread.
  void At(absl::Time when, std::function<void()> fn);

 private:
  void Loop();

  absl::Mutex mu_;
  std::multimap<absl::Time, std::function<void()>> due_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_DELAY_TIMER_H_
