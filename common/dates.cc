#include "common/dates.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace d06 {
namespace {

constexpr int kVietnamUtcOffsetSeconds = 7 * 3600;

const absl::CivilDay kEpochDay(1970, 1, 1);

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

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

v1::Date MakeDate(int year, int month, int day) {
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

}  // namespace

absl::TimeZone VietnamTimeZone() { return absl::FixedTimeZone(kVietnamUtcOffsetSeconds); }

absl::CivilDay DayInVietnam(absl::Time t) { return absl::ToCivilDay(t, VietnamTimeZone()); }

bool IsZeroDate(const v1::Date& d) { return d.year() == 0 && d.month() == 0 && d.day() == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

bool IsCalendarDate(const v1::Date& d) {
  return d.year() >= kMinDateYear && d.year() <= kMaxDateYear && d.month() >= 1 &&
         d.month() <= 12 && d.day() >= 1 && d.day() <= DaysInMonth(d.year(), d.month());
}

absl::CivilDay ToCivilDay(const v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

v1::Date ToDate(absl::CivilDay day) {
  return MakeDate(static_cast<int32_t>(day.year()), day.month(), day.day());
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
  // 0000-00-00 would be the zero date, which is "no date", not a date to filter on.
  const v1::Date d = MakeDate(year, month, day);
  if (!IsCalendarDate(d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid date \"", text,
                     "\": not a calendar date in years 1900..9999 (expected YYYY-MM-DD)"));
  }
  return d;
}

std::optional<v1::Date> ParseDateVn(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::ByAnyChar("/-."));
  if (parts.size() != 3) return std::nullopt;
  int n[3];
  for (int k = 0; k < 3; ++k) {
    if (parts[k].empty() || parts[k].size() > 4 || !ParseDigits(parts[k], &n[k])) {
      return std::nullopt;
    }
  }
  v1::Date date;
  if (parts[0].size() == 4) {
    // yyyy-MM-dd: only with dashes.
    if (text[4] != '-' || parts[1].size() > 2 || parts[2].size() > 2) return std::nullopt;
    date = MakeDate(n[0], n[1], n[2]);
  } else {
    if (parts[0].size() > 2 || parts[1].size() > 2 || parts[2].size() != 4) return std::nullopt;
    date = MakeDate(n[2], n[1], n[0]);
  }
  if (!IsCalendarDate(date)) return std::nullopt;
  return date;
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
