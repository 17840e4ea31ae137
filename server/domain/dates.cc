#include "server/domain/dates.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/domain/errors.h"

namespace d06 {
namespace {

constexpr int kVietnamUtcOffsetSeconds = 7 * 3600;

const absl::CivilDay kEpochDay(1970, 1, 1);

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

// Parses exactly text.size() ASCII digits; false if any other character appears.
bool ParseDigits(absl::string_view text, int* out) {
  int value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

}  // namespace

absl::TimeZone VietnamTimeZone() { return absl::FixedTimeZone(kVietnamUtcOffsetSeconds); }

absl::CivilDay DayInVietnam(absl::Time t) { return absl::ToCivilDay(t, VietnamTimeZone()); }

absl::CivilDay TodayInVietnam(const Clock& clock) { return DayInVietnam(clock.Now()); }

bool IsZeroDate(const v1::Date& d) { return d.year() == 0 && d.month() == 0 && d.day() == 0; }

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

absl::CivilDay ToCivilDay(const v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

v1::Date ToDate(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

std::string FormatDate(const v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string FormatDateVn(const v1::Date& d) {
  return absl::StrFormat("%02d/%02d/%04d", d.day(), d.month(), d.year());
}

absl::StatusOr<v1::Date> ParseIsoDate(absl::string_view text) {
  auto malformed = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid date \"", text, "\": expected YYYY-MM-DD, e.g. 2026-03-31"));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return malformed();
  int year = 0, month = 0, day = 0;
  if (!ParseDigits(text.substr(0, 4), &year) || !ParseDigits(text.substr(5, 2), &month) ||
      !ParseDigits(text.substr(8, 2), &day)) {
    return malformed();
  }
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  // 0000-00-00 would be the zero date, which is "no date", not a date to filter on.
  if (IsZeroDate(d) || !ValidateDate("date", d).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid date \"", text,
                     "\": not a calendar date in years 1900..9999 (expected YYYY-MM-DD)"));
  }
  return d;
}

int64_t DayNumber(absl::CivilDay day) { return day - kEpochDay; }

absl::CivilDay DayFromNumber(int64_t day_number) { return kEpochDay + day_number; }

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  ts.set_seconds(nanos / 1000000000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return ts;
}

}  // namespace d06
