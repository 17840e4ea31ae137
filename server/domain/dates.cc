#include "server/domain/dates.h"

#include "absl/strings/str_format.h"
#include "server/domain/errors.h"

namespace d06 {

absl::CivilDay TodayInVietnam(const Clock& clock) { return DayInVietnam(clock.Now()); }

absl::Status ValidateDate(absl::string_view field, const v1::Date& d) {
  if (IsZeroDate(d)) return absl::OkStatus();
  if (d.year() < kMinDateYear || d.year() > kMaxDateYear) {
    return InvalidField(field, absl::StrFormat("%s: year %d is outside %d..%d", field, d.year(),
                                               kMinDateYear, kMaxDateYear));
  }
  if (d.month() < 1 || d.month() > 12) {
    return InvalidField(field, absl::StrFormat("%s: month %d is outside 1..12", field, d.month()));
  }
  if (d.day() < 1 || d.day() > DaysInMonth(d.year(), d.month())) {
    return InvalidField(field,
                        absl::StrFormat("%s: %s is not a calendar date", field, FormatDate(d)));
  }
  return absl::OkStatus();
}

}  // namespace d06
