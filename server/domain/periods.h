// Reporting periods of recurring tasks (thực hiện thường xuyên): calendar months,
// quarters, half-years or years, in Asia/Ho_Chi_Minh dates.
//
//   Period q = PeriodOf(v1::CADENCE_QUARTERLY, absl::CivilDay(2026, 5, 9));
//   // q.start 2026-04-01, q.end 2026-06-30
//   NextPeriod(v1::CADENCE_QUARTERLY, q).start;                     // 2026-07-01
//   ClosedPeriodsFrom(v1::CADENCE_MONTHLY, absl::CivilDay(2026, 1, 1),
//                     absl::CivilDay(2026, 4, 2));                  // 3 (Jan, Feb, Mar)
#ifndef D06_SERVER_DOMAIN_PERIODS_H_
#define D06_SERVER_DOMAIN_PERIODS_H_

#include "absl/time/civil_time.h"
#include "d06/v1/task.pb.h"

namespace d06 {

struct Period {
  absl::CivilDay start;
  absl::CivilDay end;  // inclusive
};

// The period of `cadence` (UNSPECIFIED counts as MONTHLY) that contains `day`.
Period PeriodOf(v1::Cadence cadence, absl::CivilDay day);
// The period after `period`.
Period NextPeriod(v1::Cadence cadence, const Period& period);
// How many periods, from the one starting at `first` on, ended before `today`.
int ClosedPeriodsFrom(v1::Cadence cadence, absl::CivilDay first, absl::CivilDay today);

// The first period an assignment of a recurring task (its cadence set) has not reported
// on: the one after last_period_reported, or the period it was created in.
Period FirstUnreportedPeriod(const v1::Assignment& a);
// Its missing_period_reports on `today`: periods from the first unreported one on that
// ended before today, while the assignment is open; 0 otherwise.
int MissingPeriodReports(const v1::Assignment& a, absl::CivilDay today);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_PERIODS_H_
