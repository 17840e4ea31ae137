#include "server/model/event_log.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/model/schema.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

absl::Time TimeOf(const v1::Event& event) {
  return absl::FromUnixSeconds(event.time().seconds()) + absl::Nanoseconds(event.time().nanos());
}

absl::StatusOr<v1::Event> EventAt(const PrefixCursor& cursor) {
  v1::Event event;
  const absl::string_view value = cursor.value();
  if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError("a stored event does not parse");
  }
  return event;
}

}  // namespace

uint64_t TaskIdOfResource(absl::string_view resource) {
  if (!absl::ConsumePrefix(&resource, "tasks/")) return 0;
  return IdOf(absl::StrCat("tasks/", resource.substr(0, resource.find('/'))));
}

absl::StatusOr<int64_t> OldestEventRevision(const ReadView& view) {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   view.Get(Cf::kMeta, keys::kMetaOldestEventRevision));
  if (!value) return 1;
  absl::string_view in = *value;
  uint64_t revision = 0;
  if (!keys::GetU64(&in, &revision) || !in.empty()) {
    return absl::DataLossError("the oldest event revision does not parse");
  }
  return static_cast<int64_t>(revision);
}

absl::StatusOr<EventPosition> ReadEvents(const ReadView& view, EventPosition from, int64_t to,
                                         size_t max_events,
                                         const std::function<bool(v1::Event event)>& fn) {
  std::unique_ptr<PrefixCursor> cursor = view.NewPrefixCursor(Cf::kEvents, "");
  RETURN_IF_ERROR(cursor->Seek(keys::EventKey(from.revision, from.index)));
  size_t of_revision = 0;  // events read of the current revision
  for (size_t read = 0; cursor->Valid(); ++read, ++of_revision) {
    ASSIGN_OR_RETURN(v1::Event event, EventAt(*cursor));
    if (event.revision() > to) break;
    const EventPosition here = EventPosition::Of(event);
    if (event.index() == 0) of_revision = 0;
    // Stop where a revision begins; inside one only when it alone has max_events.
    const bool stop = read >= max_events && (event.index() == 0 || of_revision >= max_events);
    if (stop || !fn(std::move(event))) return here;
    RETURN_IF_ERROR(cursor->Next());
  }
  return EventPosition{to + 1, 0};
}

absl::StatusOr<size_t> RemoveOldEvents(Txn& txn, int64_t keep_from, absl::Time keep_since,
                                       size_t limit) {
  const ReadView& view = txn.reader();
  ASSIGN_OR_RETURN(const int64_t oldest, OldestEventRevision(view));
  int64_t new_oldest = oldest;
  size_t removed = 0;
  std::unique_ptr<PrefixCursor> cursor = view.NewPrefixCursor(Cf::kEvents, "");
  RETURN_IF_ERROR(cursor->Seek(keys::EventKey(oldest, 0)));
  for (; cursor->Valid(); ++removed) {
    ASSIGN_OR_RETURN(const v1::Event event, EventAt(*cursor));
    const int64_t revision = event.revision();
    if (revision >= keep_from && TimeOf(event) >= keep_since) break;  // kept, as all after
    if (removed >= limit && event.index() == 0) break;                // whole revisions only
    txn.Delete(Cf::kEvents, cursor->suffix());
    const uint64_t task_id = TaskIdOfResource(event.resource());
    if (task_id != 0) {
      txn.Delete(Cf::kIndexes, TaskHistoryKey(task_id, revision, event.index()));
    }
    new_oldest = revision + 1;
    RETURN_IF_ERROR(cursor->Next());
  }
  if (removed > 0) {
    // Removing events is no change of the feed: it takes no revision, so that every
    // revision has events (server/model/consistency.h checks that none is missing).
    txn.SetBookkeeping();
    std::string value;
    keys::PutU64(&value, static_cast<uint64_t>(new_oldest));
    txn.Put(Cf::kMeta, keys::kMetaOldestEventRevision, value);
  }
  return removed;
}

}  // namespace d06
