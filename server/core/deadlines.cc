// Deadline crossings: the DUE_SOON and OVERDUE events the server records, once per
// assignment and deadline, from the deadline queue (server/model/deadline_queue.h).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/core/core.h"
#include "server/domain/dates.h"
#include "server/model/deadline_queue.h"
#include "server/model/entities.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {

absl::StatusOr<int> Core::RecordDeadlineCrossings(size_t limit) {
  int recorded = 0;
  RETURN_IF_ERROR(MutateAsServer([this, limit, &recorded](
                                     Txn& txn, const ChangeContext& change) -> absl::Status {
    const ReadView& reader = txn.reader();
    const absl::CivilDay today = DayInVietnam(change.time);
    ASSIGN_OR_RETURN(std::vector<QueuedCrossing> due,
                     DueCrossings(reader, DayNumber(today), limit));
    for (const QueuedCrossing& c : due) {
      ++recorded;  // each entry leaves the queue, with or without an event
      ASSIGN_OR_RETURN(std::optional<v1::Assignment> a,
                       LoadAssignment(reader, c.task_id, c.unit_code));
      ASSIGN_OR_RETURN(std::optional<v1::Task> task, LoadTask(reader, c.task_id));
      const IndexEntries current =
          a ? DeadlineQueueEntries(*a, c.task_id, change.due_soon_days) : IndexEntries();
      if (!a || !task || std::none_of(current.begin(), current.end(), [&](const IndexEntry& e) {
            return e.key == c.key;
          })) {
        // Left by a server with another due-soon window: queue the assignment afresh.
        txn.Delete(Cf::kIndexes, c.key);
        for (const IndexEntry& e : current) txn.Put(Cf::kIndexes, e.key, e.value);
        continue;
      }
      const bool overdue_already = today > ToCivilDay(a->deadline());
      if (c.crossing == Crossing::kDueSoon && overdue_already) {
        // Past its deadline before the due-soon day was seen (downtime, or assigned
        // late): the overdue event says it all.
        txn.Delete(Cf::kIndexes, c.key);
        continue;
      }
      v1::Assignment after = *a;
      *after.mutable_due_soon_recorded_for() = a->deadline();
      std::vector<std::string> changed = {"due_soon_recorded_for"};
      v1::EventAction action = v1::EVENT_ACTION_DUE_SOON;
      if (c.crossing == Crossing::kOverdue) {
        *after.mutable_overdue_recorded_for() = a->deadline();
        changed.push_back("overdue_recorded_for");
        action = v1::EVENT_ACTION_OVERDUE;
      }
      // Neither the etag nor the update time moves: the assigned unit's next change
      // with the etag it holds still applies.
      ASSIGN_OR_RETURN(v1::Event * event, PutAssignment(txn, change, *task, &*a, after, action));
      for (const std::string& field : changed) event->add_changed_fields(field);
      Decorate(event->mutable_assignment(), today);
    }
    return absl::OkStatus();
  }));
  return recorded;
}

}  // namespace d06
