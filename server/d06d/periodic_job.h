// The background jobs of d06d: a thread that runs a job at start-up and then every
// `interval`. A run takes its work in steps of at most `step_limit` items, each one
// durable write, pausing `pause` after every full step, until a step finds less than a
// full step's work: a large catch-up never starves the API's writes.
//
// d06d runs two (server/d06d/server.cc): the deadline scheduler
// (Core::RecordDeadlineCrossings: due-soon and overdue events, recorded within `interval`
// of the day boundary that brings them, catching up after downtime) and the event
// retention (Core::RemoveOldEvents).
#ifndef D06_SERVER_D06D_PERIODIC_JOB_H_
#define D06_SERVER_D06D_PERIODIC_JOB_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace d06 {

class PeriodicJob {
 public:
  // What a job has done, for metrics; read from any thread.
  struct Counters {
    std::atomic<uint64_t> items{0};  // items done since start
    // When a run last found no work left (the job's start until then), in Unix
    // nanoseconds: now minus this is how far the job lags behind its work.
    std::atomic<int64_t> caught_up_unix_nanos{0};
  };
  struct Options {
    std::string what;  // for the log: e.g. "recording deadline events"
    size_t step_limit = 200;
    absl::Duration pause = absl::Milliseconds(100);
    absl::Duration interval = absl::Minutes(1);
    // Where the job counts what it does (null: nowhere); must outlive the job.
    Counters* counters = nullptr;
  };
  // Does at most `limit` items of work; returns how many it did.
  using Step = std::function<absl::StatusOr<int>(size_t limit)>;

  // Starts the thread; what `step` uses must outlive the job.
  PeriodicJob(Step step, Options options);
  // Stops the thread (a step in progress finishes its write first).
  ~PeriodicJob();
  PeriodicJob(const PeriodicJob&) = delete;
  PeriodicJob& operator=(const PeriodicJob&) = delete;

  // Runs the job now, step after step until the work is done; returns the items done.
  absl::StatusOr<int> RunOnce();

 private:
  void Loop();

  const Step step_;
  const Options options_;
  absl::Mutex run_mu_;  // one run at a time
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace d06

#endif  // D06_SERVER_D06D_PERIODIC_JOB_H_
