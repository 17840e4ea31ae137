// Calendar dates in Asia/Ho_Chi_Minh (UTC+07:00, no daylight saving time), shared by the
// server and the client. (The server's "today" from its Clock and its validation of
// request dates are server/domain/dates.h.)
//
// Deadlines and submit dates are calendar days, not instants; "today" is the day in
// Vietnam, which starts at 17:00 UTC of the previous UTC day. Example:
//
//   DayInVietnam(absl::FromCivil(absl::CivilSecond(2026, 3, 31, 17, 0, 0),
//                                absl::UTCTimeZone()));      // 2026-04-01
//   absl::StatusOr<v1::Date> d = ParseIsoDate("2026-03-31");
//   FormatDateVn(*d);                                        // "31/03/2026"
//   ParseDateVn("1/4/2026");                                 // 2026-04-01
//   DayNumber(absl::CivilDay(1970, 1, 2));                   // 1
#ifndef D06_COMMON_DATES_H_
#define D06_COMMON_DATES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "d06/v1/common.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace d06 {

// Smallest and largest year a v1::Date may carry.
inline constexpr int kMinDateYear = 1900;
inline constexpr int kMaxDateYear = 9999;

// Asia/Ho_Chi_Minh as a fixed UTC+07:00 zone (no tzdata needed; Vietnam has no DST).
absl::TimeZone VietnamTimeZone();

// `t` as a protobuf Timestamp (nanosecond precision).
google::protobuf::Timestamp ToTimestamp(absl::Time t);

// The calendar day in Vietnam at instant `t`.
absl::CivilDay DayInVietnam(absl::Time t);

// True for the 0/0/0 date, which means "no date".
bool IsZeroDate(const v1::Date& d);

// Days in `month` (1..12) of `year` (Gregorian).
int DaysInMonth(int64_t year, int month);

// True iff `d` is a real calendar day in years kMinDateYear..kMaxDateYear (the zero date
// is not).
bool IsCalendarDate(const v1::Date& d);

// The civil day of `d`. Precondition: IsCalendarDate(d).
absl::CivilDay ToCivilDay(const v1::Date& d);

// The v1::Date of `day`.
v1::Date ToDate(absl::CivilDay day);

// ISO 8601 "YYYY-MM-DD", e.g. "2026-03-31"; for the wire and error messages. Fields are
// printed as they are, so an invalid date still formats (e.g. "2026-02-30").
std::string FormatDate(const v1::Date& d);

// Vietnamese "DD/MM/YYYY", e.g. "31/03/2026"; for people.
std::string FormatDateVn(const v1::Date& d);

// Parses strict "YYYY-MM-DD" (exactly 4-2-2 digits) into a valid date; anything else,
// including "2026-1-5", "2026-01-05x", "" and "2026-02-30", is INVALID_ARGUMENT naming
// the expected format.
absl::StatusOr<v1::Date> ParseIsoDate(absl::string_view text);

// A date as people write it in Vietnam: dd/MM/yyyy, also d/M/yyyy, dd-MM-yyyy and
// dd.MM.yyyy, or yyyy-MM-dd (yyyy-M-d); surrounding ASCII spaces are ignored. A real
// calendar day in kMinDateYear..kMaxDateYear, else nullopt ("31/02/2026", "2026/03/31",
// "31/03/26").
std::optional<v1::Date> ParseDateVn(absl::string_view text);

// Days since 1970-01-01 (negative before it); used in index keys.
int64_t DayNumber(absl::CivilDay day);

// The inverse of DayNumber.
absl::CivilDay DayFromNumber(int64_t day_number);

}  // namespace d06

#endif  // D06_COMMON_DATES_H_
