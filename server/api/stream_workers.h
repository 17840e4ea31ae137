// Threads for server-streaming handlers. A stream's StreamWriter::Write blocks while the
// client reads slowly, so a handler that writes many messages (an export) runs on a
// thread of its own rather than on gRPC's. At most `max_streams` run at once; Join waits
// for every one (the server joins them before the store closes under them).
#ifndef D06_SERVER_API_STREAM_WORKERS_H_
#define D06_SERVER_API_STREAM_WORKERS_H_

#include <functional>
#include <list>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace d06::api {

class StreamWorkers {
 public:
  explicit StreamWorkers(int max_streams) : max_streams_(max_streams) {}
  ~StreamWorkers() { Join(); }
  StreamWorkers(const StreamWorkers&) = delete;
  StreamWorkers& operator=(const StreamWorkers&) = delete;

  // Runs `fn` on a new thread; false, without running it, when max_streams are running.
  bool Run(std::function<void()> fn);
  // Waits for every thread started so far.
  void Join();

 private:
  struct Worker {
    std::thread thread;
    bool done = false;
  };
  // Joins the threads that have finished.
  void Reap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int max_streams_;
  absl::Mutex mu_;
  std::list<Worker> workers_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_STREAM_WORKERS_H_
