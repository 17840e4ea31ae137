// The event log as the change feed and retention see it: events in (revision, index) order
// (column family "events", storage/keys.h), the oldest revision kept, and the removal of
// old events together with their task-history index entries.
#ifndef D06_SERVER_MODEL_EVENT_LOG_H_
#define D06_SERVER_MODEL_EVENT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "d06/v1/task.pb.h"
#include "storage/store.h"

namespace d06 {

// The task of an event's resource ("tasks/7", "tasks/7/assignments/H29"): such an event
// has a task-history entry; 0 for others (a unit, a principal).
uint64_t TaskIdOfResource(absl::string_view resource);

// The oldest revision whose events are kept (1 until retention removed any).
absl::StatusOr<int64_t> OldestEventRevision(const ReadView& view);

// Where a reader of the log is: the next event to read is event `index` of `revision`.
// Every event before it (all of revision - 1 and earlier, and the first `index` of
// `revision`) has been read.
struct EventPosition {
  int64_t revision = 1;
  int32_t index = 0;

  static EventPosition Of(const v1::Event& event) { return {event.revision(), event.index()}; }
  friend bool operator<(const EventPosition& a, const EventPosition& b) {
    return a.revision != b.revision ? a.revision < b.revision : a.index < b.index;
  }
  friend bool operator==(const EventPosition& a, const EventPosition& b) {
    return a.revision == b.revision && a.index == b.index;
  }
};

// Calls fn(event) for the events from `from` through the end of revision `to`, in order,
// until fn returns false or `max_events` have been read: then it stops where the next
// revision begins, or inside a revision of more than `max_events` events on its own (one
// write can have tens of thousands). Returns the position of the next event not read:
// {to + 1, 0} once everything was read; the event fn refused.
absl::StatusOr<EventPosition> ReadEvents(const ReadView& view, EventPosition from, int64_t to,
                                         size_t max_events,
                                         const std::function<bool(v1::Event event)>& fn);

// Removes, oldest first, the events of revisions before `keep_from` and those recorded
// before `keep_since`, with their task-history entries, and advances the oldest revision
// kept. Removes whole revisions only, stopping once it removed at least `limit` events.
// Returns how many events it removed.
absl::StatusOr<size_t> RemoveOldEvents(Txn& txn, int64_t keep_from, absl::Time keep_since,
                                       size_t limit);

}  // namespace d06

#endif  // D06_SERVER_MODEL_EVENT_LOG_H_
