// Event retention: the oldest events go once CoreOptions' retention no longer keeps them.
//
// What depends on old events, and why removing them changes no answer but the log's own:
// reports "as of" a date read the report counters (server/model/report_counters.h), which
// every write keeps per day, never the events; timeliness, extensions, urge counts and
// missing period reports live on the assignment itself. ListTaskEvents and ListUrges show
// what is kept; EventService.Watch from a removed revision is OUT_OF_RANGE.
#include "server/core/core.h"
#include "server/model/event_log.h"
#include "storage/status_macros.h"

namespace d06 {

absl::StatusOr<int> Core::RemoveOldEvents(size_t limit) {
  if (options_.event_retention_revisions <= 0 &&
      options_.event_retention_age <= absl::ZeroDuration()) {
    return 0;
  }
  size_t removed = 0;
  RETURN_IF_ERROR(MutateAsServer(
      [this, limit, &removed](Txn& txn, const ChangeContext& change) -> absl::Status {
        const int64_t keep_from = options_.event_retention_revisions > 0
                                      ? txn.revision() - options_.event_retention_revisions
                                      : 0;
        const absl::Time keep_since = options_.event_retention_age > absl::ZeroDuration()
                                          ? change.time - options_.event_retention_age
                                          : absl::InfinitePast();
        ASSIGN_OR_RETURN(removed, d06::RemoveOldEvents(txn, keep_from, keep_since, limit));
        return absl::OkStatus();
      }));
  return static_cast<int>(removed);
}

}  // namespace d06
