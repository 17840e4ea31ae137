#include "server/model/deadline_queue.h"

#include <utility>

#include "google/protobuf/util/message_differencer.h"
#include "server/domain/dates.h"
#include "server/domain/state_machine.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

constexpr char kQueuePrefix[] = "dq";

std::string QueueKey(int64_t day_number, uint64_t task_id, absl::string_view code,
                     Crossing crossing) {
  std::string key = kQueuePrefix;
  keys::PutU64(&key, keys::DeadlineKey(day_number));
  keys::PutU64(&key, task_id);
  keys::PutString(&key, code);
  keys::PutU8(&key, static_cast<uint8_t>(crossing));
  return key;
}

bool SameDate(const v1::Date& a, const v1::Date& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

IndexEntries DeadlineQueueEntries(const v1::Assignment& a, uint64_t task_id, int due_soon_days) {
  IndexEntries out;
  if (!IsOpen(a.state()) || IsZeroDate(a.deadline())) return out;
  const int64_t deadline = DayNumber(ToCivilDay(a.deadline()));
  const std::string code = CodeOf(a.unit());
  if (!SameDate(a.due_soon_recorded_for(), a.deadline())) {
    out.push_back({QueueKey(deadline - due_soon_days, task_id, code, Crossing::kDueSoon), ""});
  }
  if (!SameDate(a.overdue_recorded_for(), a.deadline())) {
    out.push_back({QueueKey(deadline + 1, task_id, code, Crossing::kOverdue), ""});
  }
  return out;
}

absl::StatusOr<std::vector<QueuedCrossing>> DueCrossings(const ReadView& view, int64_t day_number,
                                                         size_t limit) {
  std::vector<QueuedCrossing> out;
  std::string end;
  keys::PutU64(&end, keys::DeadlineKey(day_number + 1));
  bool parsed = true;
  RETURN_IF_ERROR(view.ScanMerged(Cf::kIndexes, {{kQueuePrefix, "", end}}, "",
                                  [&](absl::string_view suffix, absl::string_view) {
                                    QueuedCrossing c;
                                    c.key = std::string(kQueuePrefix) + std::string(suffix);
                                    uint8_t crossing;
                                    parsed = keys::GetU64(&suffix, &c.day_key) &&
                                             keys::GetU64(&suffix, &c.task_id) &&
                                             keys::GetString(&suffix, &c.unit_code) &&
                                             keys::GetU8(&suffix, &crossing) && suffix.empty() &&
                                             (crossing == 1 || crossing == 2);
                                    if (!parsed) return false;
                                    c.crossing = static_cast<Crossing>(crossing);
                                    out.push_back(std::move(c));
                                    return out.size() < limit;
                                  }));
  if (!parsed) return absl::DataLossError("a deadline queue key is malformed");
  return out;
}

}  // namespace d06
