// d06::WatchHub: the change feed (EventService.Watch) over the event log.
//
// One dispatch thread follows the store's durable revision (Store::WaitForRevision), reads
// each new range of events once, and hands every registered watcher the events its
// filters match (shared, not copied); a watcher's own thread sends them. So writers never
// wait for watchers, an idle watcher costs a filter check per event and is not woken, and
// nothing is shown before its batch is durable.
//
// A watch that starts in the past first catches up on its own thread, reading the log
// from its snapshot (and failing OUT_OF_RANGE if retention removed its start), then
// registers with the hub at the position it reached. A watcher whose unsent events pile
// up beyond `max_pending_events` (a consumer slower than the writes, or one write of
// tens of thousands of events, as a province merge) leaves the hub: its queue is dropped
// at once and it catches up from the log again, so memory stays bounded whatever the
// consumer does. Only a consumer that takes no response for `max_stall` is cut off
// (RESOURCE_EXHAUSTED/WATCHER_TOO_SLOW, with the revision to resume from). A revision
// too large for one response goes in several (WatchResponse.fragment).
//
// Thread-safe. Example (the transport runs Watch on a thread of its own):
//   WatchHub hub(store, {});
//   absl::Status s = hub.Watch(request, {.send = ..., .gone = ...});
#ifndef D06_SERVER_CORE_WATCH_HUB_H_
#define D06_SERVER_CORE_WATCH_HUB_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "d06/v1/watch.pb.h"
#include "server/model/event_log.h"
#include "storage/store.h"

namespace d06 {

class WatchHub {
 public:
  struct Options {
    // Events a watcher may have waiting to be sent; beyond, it reads from the log.
    size_t max_pending_events = 10000;
    // Events in one response, ending at the end of a revision; a revision larger than
    // four times this is split (fragment).
    size_t max_events_per_response = 500;
    // A watch whose client takes no response for this long is ended (WATCHER_TOO_SLOW).
    absl::Duration max_stall = absl::Seconds(30);
  };

  // Where a watch sends its responses, given by the transport.
  struct Stream {
    enum class Sent { kSent, kGone, kTimedOut };
    // Sends `response` or gives up at `deadline` (kTimedOut: not sent); kGone once the
    // client is away.
    std::function<Sent(const v1::WatchResponse& response, absl::Time deadline)> send;
    // True once the client is away (cancelled, disconnected).
    std::function<bool()> gone;
  };

  // Starts the dispatch thread; `store` is not owned and must outlive the hub.
  WatchHub(Store* store, Options options);
  // Close(), then joins the dispatch thread.
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Ends every watch with UNAVAILABLE (the server is shutting down) and refuses new ones.
  void Close();

  // Runs one watch on the calling thread until the client goes (CANCELLED), the hub
  // closes (UNAVAILABLE) or the watcher is cut off (RESOURCE_EXHAUSTED); request errors
  // before anything is sent (see EventService.Watch in proto/d06/v1/watch.proto). With
  // `reader`, only the events its bindings cover (Event.audience within a binding's
  // subtree: viewer or above; admin for principal and token events); revisions stay
  // global and progress responses advance past the events it does not receive.
  absl::Status Watch(const v1::WatchRequest& request, const Stream& stream,
                     std::shared_ptr<const v1::Principal> reader = nullptr);

  // Watchers registered with the dispatch thread (caught up), for tests and metrics.
  size_t watchers() const;
  // Since start, for metrics: events sent to watchers; times a watcher fell
  // max_pending_events behind and went back to reading the log; watches ended because
  // their client stopped taking responses (WATCHER_TOO_SLOW).
  uint64_t events_sent() const { return events_sent_.load(std::memory_order_relaxed); }
  uint64_t fell_behind() const { return fell_behind_.load(std::memory_order_relaxed); }
  uint64_t cut_off() const { return cut_off_.load(std::memory_order_relaxed); }

 private:
  struct Filter;
  struct Watcher;
  struct Progress;
  using EventPtr = std::shared_ptr<const v1::Event>;

  void DispatchLoop();
  // Reads and sends the log from progress->next on this thread until it is within
  // kRegisterGap revisions of the durable revision.
  absl::Status CatchUp(const Filter& filter, const Stream& stream, Progress* progress);
  // Registers a watcher with the dispatch thread and sends what it hands over, until the
  // watch ends (the status) or the watcher falls behind (OK: catch up again).
  absl::Status Follow(const Filter& filter, const Stream& stream, Progress* progress);
  // Whether `event` passes `filter`; reads unit ancestry from `view` on a cache miss.
  absl::StatusOr<bool> Matches(const Filter& filter, const v1::Event& event, const ReadView& view);
  // The unit code and its ancestors' codes, cached until a unit moves (MoveUnit): the
  // events after a move's are matched with the tree after it.
  absl::StatusOr<std::shared_ptr<const std::vector<std::string>>> AncestryOf(
      const ReadView& view, const std::string& code);
  // Reads the events from `from` through revision `to` that match `filter` into `out`, at
  // most `max_events` read; returns the next position (see ReadEvents in
  // server/model/event_log.h).
  absl::StatusOr<EventPosition> ReadMatching(const ReadView& view, const Filter& filter,
                                             EventPosition from, int64_t to, size_t max_events,
                                             std::vector<EventPtr>* out);
  // Sends `events` (in order, every matching one before `next`) in responses, and
  // advances *progress to `next`. Non-OK when the client is gone or the watch must end.
  absl::Status SendEvents(const std::vector<EventPtr>& events, EventPosition next,
                          const Stream& stream, Progress* progress);
  // Sends one response, retrying a timed-out send until it goes through, the client is
  // gone, the hub closes or max_stall passes.
  absl::Status Send(const v1::WatchResponse& response, const Stream& stream, Progress* progress);
  // Sends a progress response when nothing was sent for the progress interval.
  absl::Status MaybeSendProgress(const Stream& stream, Progress* progress);

  Store* const store_;
  const Options options_;
  std::atomic<uint64_t> events_sent_{0};
  std::atomic<uint64_t> fell_behind_{0};
  std::atomic<uint64_t> cut_off_{0};

  absl::Mutex ancestry_mu_;
  std::map<std::string, std::shared_ptr<const std::vector<std::string>>> ancestry_
      ABSL_GUARDED_BY(ancestry_mu_);

  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Every event before here has been handed to the registered watchers.
  EventPosition dispatched_ ABSL_GUARDED_BY(mu_);
  std::list<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  std::thread dispatcher_;
};

}  // namespace d06

#endif  // D06_SERVER_CORE_WATCH_HUB_H_
