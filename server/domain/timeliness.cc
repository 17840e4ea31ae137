#include "server/domain/timeliness.h"

#include <limits>

#include "absl/strings/str_format.h"
#include "server/domain/dates.h"

namespace d06 {

TimelinessInput TimelinessInputOf(const v1::Assignment& a) {
  return {a.state(),
          a.state() == v1::ASSIGNMENT_STATE_COMPLETED ? a.submit_deadline() : a.deadline(),
          a.submit_date()};
}

v1::Timeliness ComputeTimeliness(const TimelinessInput& in, absl::CivilDay today,
                                 int due_soon_days) {
  const bool has_deadline = !IsZeroDate(in.deadline);
  switch (in.state) {
    case v1::ASSIGNMENT_STATE_DECLINED:
    case v1::ASSIGNMENT_STATE_REVOKED:
    case v1::ASSIGNMENT_STATE_TRANSFERRED:
      return v1::TIMELINESS_NOT_APPLICABLE;
    case v1::ASSIGNMENT_STATE_COMPLETED:
      if (!has_deadline || IsZeroDate(in.submit_date) ||
          ToCivilDay(in.submit_date) <= ToCivilDay(in.deadline)) {
        return v1::TIMELINESS_COMPLETED_ON_TIME;
      }
      return v1::TIMELINESS_COMPLETED_LATE;
    case v1::ASSIGNMENT_STATE_NOT_STARTED:
    case v1::ASSIGNMENT_STATE_IN_PROGRESS:
    case v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE: {
      if (!has_deadline) return v1::TIMELINESS_NO_DEADLINE;
      const absl::CivilDay deadline = ToCivilDay(in.deadline);
      if (today > deadline) return v1::TIMELINESS_OVERDUE;
      if (deadline - today <= due_soon_days) return v1::TIMELINESS_DUE_SOON;
      return v1::TIMELINESS_ON_TIME;
    }
    default:
      return v1::TIMELINESS_UNSPECIFIED;
  }
}

DayRange DeadlineRangeFor(v1::Timeliness t, absl::CivilDay today, int due_soon_days) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t day = DayNumber(today);
  switch (t) {
    case v1::TIMELINESS_OVERDUE:
      return {kMin, day - 1};
    case v1::TIMELINESS_DUE_SOON:
      return {day, day + due_soon_days};
    case v1::TIMELINESS_ON_TIME:
      return {day + due_soon_days + 1, kMax};
    default:
      return {kMax, kMin};
  }
}

absl::Status ValidateDueSoonDays(int days) {
  if (days < kMinDueSoonDays || days > kMaxDueSoonDays) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "due-soon window of %d days is outside %d..%d", days, kMinDueSoonDays, kMaxDueSoonDays));
  }
  return absl::OkStatus();
}

}  // namespace d06
