#include "server/domain/periods.h"

#include "server/domain/dates.h"
#include "server/domain/state_machine.h"

namespace d06 {
namespace {

int MonthsOf(v1::Cadence cadence) {
  switch (cadence) {
    case v1::CADENCE_QUARTERLY:
      return 3;
    case v1::CADENCE_SIX_MONTHLY:
      return 6;
    case v1::CADENCE_YEARLY:
      return 12;
    default:
      return 1;
  }
}

}  // namespace

Period PeriodOf(v1::Cadence cadence, absl::CivilDay day) {
  const int months = MonthsOf(cadence);
  const int first_month = (day.month() - 1) / months * months + 1;
  const absl::CivilMonth start(day.year(), first_month);
  return {absl::CivilDay(start), absl::CivilDay(start + months) - 1};
}

Period NextPeriod(v1::Cadence cadence, const Period& period) {
  return PeriodOf(cadence, period.end + 1);
}

int ClosedPeriodsFrom(v1::Cadence cadence, absl::CivilDay first, absl::CivilDay today) {
  const int months = MonthsOf(cadence);
  const absl::CivilMonth from(first.year(), first.month());
  const absl::CivilMonth current = absl::CivilMonth(PeriodOf(cadence, today).start);
  const auto diff = current - from;  // months between the starts
  return diff <= 0 ? 0 : static_cast<int>((diff + months - 1) / months);
}

Period FirstUnreportedPeriod(const v1::Assignment& a) {
  if (!IsZeroDate(a.last_period_reported())) {
    return NextPeriod(a.cadence(), PeriodOf(a.cadence(), ToCivilDay(a.last_period_reported())));
  }
  const absl::Time created = absl::FromUnixSeconds(a.create_time().seconds());
  return PeriodOf(a.cadence(), DayInVietnam(created));
}

int MissingPeriodReports(const v1::Assignment& a, absl::CivilDay today) {
  if (a.cadence() == v1::CADENCE_UNSPECIFIED || !IsOpen(a.state())) return 0;
  return ClosedPeriodsFrom(a.cadence(), FirstUnreportedPeriod(a).start, today);
}

}  // namespace d06
