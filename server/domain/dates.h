// The server's dates: "today" by its Clock and the validation of request dates, on top of
// the shared calendar functions of common/dates.h (Asia/Ho_Chi_Minh days, ISO and
// Vietnamese formats, day numbers), which this header includes for its users.
//
//   FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 3, 31, 17, 0, 0),
//                                   absl::UTCTimeZone()));
//   TodayInVietnam(clock);                          // 2026-04-01
//   ValidateDate("task.deadline", ToDate(absl::CivilDay(2026, 2, 28)));  // OK
#ifndef D06_SERVER_DOMAIN_DATES_H_
#define D06_SERVER_DOMAIN_DATES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/dates.h"
#include "d06/v1/common.pb.h"
#include "server/domain/clock.h"

namespace d06 {

// The calendar day in Vietnam at clock.Now().
absl::CivilDay TodayInVietnam(const Clock& clock);

// OK for the zero date and for real calendar dates in years 1900..9999; otherwise
// INVALID_ARGUMENT (reason INVALID_FIELD, metadata {"field": field}) whose message names
// the field and the problem, e.g. "task.deadline: 2026-02-30 is not a calendar date".
absl::Status ValidateDate(absl::string_view field, const v1::Date& d);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_DATES_H_
