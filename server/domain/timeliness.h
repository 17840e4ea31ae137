// Timeliness of an assignment, derived from its state, deadline, submit date and today's
// date in Vietnam; never stored by hand. Example, with the default 3-day window:
//
//   const absl::CivilDay today(2026, 3, 31);
//   TimelinessInput in;
//   in.state = v1::ASSIGNMENT_STATE_IN_PROGRESS;
//   in.deadline = ToDate(absl::CivilDay(2026, 4, 3));
//   ComputeTimeliness(in, today, 3);                       // TIMELINESS_DUE_SOON
//   in.deadline = ToDate(absl::CivilDay(2026, 4, 4));
//   ComputeTimeliness(in, today, 3);                       // TIMELINESS_ON_TIME
//   DeadlineRangeFor(v1::TIMELINESS_DUE_SOON, today, 3);
//   // {DayNumber(2026-03-31), DayNumber(2026-04-03)}
#ifndef D06_SERVER_DOMAIN_TIMELINESS_H_
#define D06_SERVER_DOMAIN_TIMELINESS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "d06/v1/common.pb.h"
#include "d06/v1/task.pb.h"

namespace d06 {

// The due-soon window used when none is configured.
inline constexpr int kDefaultDueSoonDays = 3;
// Bounds of a configured due-soon window, in days.
inline constexpr int kMinDueSoonDays = 0;
inline constexpr int kMaxDueSoonDays = 60;

// What timeliness depends on. Dates must be valid (see ValidateDate) or zero.
struct TimelinessInput {
  v1::AssignmentState state = v1::ASSIGNMENT_STATE_UNSPECIFIED;
  // Zero: no deadline.
  v1::Date deadline;
  // Zero: completion never reported.
  v1::Date submit_date;
};

// The input of an assignment: a COMPLETED one is judged against the deadline in force
// when its completion was reported (submit_deadline), not a deadline changed afterwards.
TimelinessInput TimelinessInputOf(const v1::Assignment& a);

// The timeliness of `in` on `today` with a due-soon window of `due_soon_days`:
//   DECLINED, REVOKED                  -> NOT_APPLICABLE
//   COMPLETED, no deadline             -> COMPLETED_ON_TIME
//   COMPLETED, submit_date <= deadline -> COMPLETED_ON_TIME (also when submit_date is zero)
//   COMPLETED, submit_date > deadline  -> COMPLETED_LATE
//   open, no deadline                  -> NO_DEADLINE
//   open, today > deadline             -> OVERDUE
//   open, deadline - today <= window   -> DUE_SOON (window 0: the deadline day only)
//   open, otherwise                    -> ON_TIME
//   UNSPECIFIED state                  -> UNSPECIFIED
v1::Timeliness ComputeTimeliness(const TimelinessInput& in, absl::CivilDay today,
                                 int due_soon_days);

// An inclusive range of DayNumbers; INT64_MIN / INT64_MAX stand for open ends.
struct DayRange {
  int64_t first;
  int64_t last;
};

// For an open assignment with a deadline, the deadlines (as DayNumbers) that yield `t`
// on `today`, so list filters can scan a deadline index:
//   OVERDUE:  [INT64_MIN, today - 1]
//   DUE_SOON: [today, today + due_soon_days]
//   ON_TIME:  [today + due_soon_days + 1, INT64_MAX]
// Any other `t` gives the empty range {INT64_MAX, INT64_MIN} (first > last).
DayRange DeadlineRangeFor(v1::Timeliness t, absl::CivilDay today, int due_soon_days);

// OK for 0..60; INVALID_ARGUMENT otherwise.
absl::Status ValidateDueSoonDays(int days);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_TIMELINESS_H_
