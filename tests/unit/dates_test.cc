#include "server/domain/dates.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/domain/clock.h"
#include "server/domain/errors.h"

namespace d06 {
namespace {

using ::testing::HasSubstr;

v1::Date MakeDate(int year, int month, int day) {
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

TEST(DatesTest, VietnamIsUtcPlusSeven) {
  absl::TimeZone::CivilInfo info = VietnamTimeZone().At(Utc(2026, 7, 1, 0, 0, 0));
  EXPECT_EQ(info.offset, 7 * 3600);
  EXPECT_FALSE(info.is_dst);
  // No DST: same offset in January.
  EXPECT_EQ(VietnamTimeZone().At(Utc(2026, 1, 1, 0, 0, 0)).offset, 7 * 3600);
}

TEST(DatesTest, DayBoundaryIsSeventeenHundredUtc) {
  EXPECT_EQ(DayInVietnam(Utc(2026, 3, 31, 16, 59, 59)), absl::CivilDay(2026, 3, 31));
  EXPECT_EQ(DayInVietnam(Utc(2026, 3, 31, 17, 0, 0)), absl::CivilDay(2026, 4, 1));
  // Midnight in Vietnam is still the previous UTC day.
  EXPECT_EQ(DayInVietnam(Utc(2025, 12, 31, 17, 0, 0)), absl::CivilDay(2026, 1, 1));
  EXPECT_EQ(DayInVietnam(Utc(2025, 12, 31, 16, 59, 59)), absl::CivilDay(2025, 12, 31));
}

TEST(DatesTest, TodayFollowsTheClock) {
  FakeClock clock(Utc(2026, 3, 31, 16, 59, 59));
  EXPECT_EQ(TodayInVietnam(clock), absl::CivilDay(2026, 3, 31));
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(TodayInVietnam(clock), absl::CivilDay(2026, 4, 1));
  clock.Advance(absl::Hours(23) + absl::Minutes(59) + absl::Seconds(59));
  EXPECT_EQ(TodayInVietnam(clock), absl::CivilDay(2026, 4, 1));
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(TodayInVietnam(clock), absl::CivilDay(2026, 4, 2));
}

TEST(DatesTest, ZeroDate) {
  EXPECT_TRUE(IsZeroDate(v1::Date()));
  EXPECT_TRUE(IsZeroDate(MakeDate(0, 0, 0)));
  EXPECT_FALSE(IsZeroDate(MakeDate(0, 0, 1)));
  EXPECT_FALSE(IsZeroDate(MakeDate(0, 1, 0)));
  EXPECT_FALSE(IsZeroDate(MakeDate(2026, 0, 0)));
  EXPECT_TRUE(ValidateDate("task.deadline", v1::Date()).ok());
}

TEST(DatesTest, LeapYears) {
  EXPECT_TRUE(ValidateDate("d", MakeDate(2024, 2, 29)).ok());
  EXPECT_TRUE(ValidateDate("d", MakeDate(2000, 2, 29)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(2026, 2, 29)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(1900, 2, 29)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(2100, 2, 29)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(2024, 2, 30)).ok());
  EXPECT_TRUE(ValidateDate("d", MakeDate(2026, 2, 28)).ok());
}

TEST(DatesTest, DaysPerMonth) {
  const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int month = 1; month <= 12; ++month) {
    SCOPED_TRACE(month);
    EXPECT_TRUE(ValidateDate("d", MakeDate(2026, month, 1)).ok());
    EXPECT_TRUE(ValidateDate("d", MakeDate(2026, month, kDays[month - 1])).ok());
    EXPECT_FALSE(ValidateDate("d", MakeDate(2026, month, kDays[month - 1] + 1)).ok());
    EXPECT_FALSE(ValidateDate("d", MakeDate(2026, month, 0)).ok());
  }
}

TEST(DatesTest, Bounds) {
  EXPECT_TRUE(ValidateDate("d", MakeDate(1900, 1, 1)).ok());
  EXPECT_TRUE(ValidateDate("d", MakeDate(9999, 12, 31)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(1899, 12, 31)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(10000, 1, 1)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(-2026, 1, 1)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(0, 1, 1)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(2026, 0, 1)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(2026, 13, 1)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(2026, -1, 1)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(2026, 1, 32)).ok());
  EXPECT_FALSE(ValidateDate("d", MakeDate(2026, 1, -1)).ok());
}

TEST(DatesTest, ErrorsNameFieldAndProblem) {
  absl::Status s = ValidateDate("task.deadline", MakeDate(2026, 2, 30));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "task.deadline: 2026-02-30 is not a calendar date");
  v1::ErrorInfo info = ErrorInfoOf(s);
  EXPECT_EQ(info.reason(), "INVALID_FIELD");
  EXPECT_EQ(info.metadata().at("field"), "task.deadline");

  s = ValidateDate("assignment.deadline", MakeDate(2026, 13, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("assignment.deadline"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("month 13"));
  EXPECT_EQ(ErrorInfoOf(s).metadata().at("field"), "assignment.deadline");

  s = ValidateDate("directive.issue_date", MakeDate(1899, 1, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("directive.issue_date"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("year 1899"));
}

TEST(DatesTest, CivilDayConversions) {
  EXPECT_EQ(ToCivilDay(MakeDate(2026, 3, 31)), absl::CivilDay(2026, 3, 31));
  v1::Date d = ToDate(absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(d.year(), 2024);
  EXPECT_EQ(d.month(), 2);
  EXPECT_EQ(d.day(), 29);
  EXPECT_EQ(ToCivilDay(ToDate(absl::CivilDay(9999, 12, 31))), absl::CivilDay(9999, 12, 31));
}

TEST(DatesTest, Format) {
  EXPECT_EQ(FormatDate(MakeDate(2026, 3, 31)), "2026-03-31");
  EXPECT_EQ(FormatDate(MakeDate(1900, 1, 5)), "1900-01-05");
  EXPECT_EQ(FormatDateVn(MakeDate(2026, 3, 31)), "31/03/2026");
  EXPECT_EQ(FormatDateVn(MakeDate(2026, 1, 5)), "05/01/2026");
}

TEST(DatesTest, ParseValid) {
  absl::StatusOr<v1::Date> d = ParseIsoDate("2026-03-31");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->year(), 2026);
  EXPECT_EQ(d->month(), 3);
  EXPECT_EQ(d->day(), 31);
  d = ParseIsoDate("2024-02-29");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->day(), 29);
}

TEST(DatesTest, ParseFormatRoundTrip) {
  // Every day of a leap year and a common year, plus the bounds.
  for (absl::CivilDay day(2024, 1, 1); day <= absl::CivilDay(2025, 12, 31); ++day) {
    v1::Date d = ToDate(day);
    absl::StatusOr<v1::Date> parsed = ParseIsoDate(FormatDate(d));
    ASSERT_TRUE(parsed.ok()) << FormatDate(d) << ": " << parsed.status();
    ASSERT_EQ(ToCivilDay(*parsed), day);
  }
  for (const char* text : {"1900-01-01", "9999-12-31", "2000-02-29"}) {
    absl::StatusOr<v1::Date> parsed = ParseIsoDate(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(FormatDate(*parsed), text);
  }
}

TEST(DatesTest, ParseRejectsMalformed) {
  for (const char* text :
       {"", "2026-1-5", "2026-01-5", "2026-1-05", "2026-01-05x", "x2026-01-05", " 2026-01-05",
        "2026-01-05 ", "2026/01/05", "05/01/2026", "20260105", "2026-01-0a", "+026-01-05",
        "2026-+1-05", "2026--1-05", "26-01-05", "12026-01-05", "2026-01-05T00:00:00Z"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<v1::Date> d = ParseIsoDate(text);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("YYYY-MM-DD"));
  }
}

TEST(DatesTest, ParseRejectsNonCalendarDates) {
  for (const char* text : {"2026-02-29", "1900-02-29", "2026-02-30", "2026-13-01", "2026-00-10",
                           "2026-04-31", "2026-01-00", "1899-12-31", "0000-00-00", "0000-01-01"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<v1::Date> d = ParseIsoDate(text);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(text));
  }
}

TEST(DatesTest, DayNumbers) {
  EXPECT_EQ(DayNumber(absl::CivilDay(1970, 1, 1)), 0);
  EXPECT_EQ(DayNumber(absl::CivilDay(1970, 1, 2)), 1);
  EXPECT_EQ(DayNumber(absl::CivilDay(1969, 12, 31)), -1);
  EXPECT_EQ(DayNumber(absl::CivilDay(2000, 1, 1)), 10957);
  EXPECT_EQ(DayNumber(absl::CivilDay(2026, 3, 31)), 20543);
  EXPECT_EQ(DayNumber(absl::CivilDay(1900, 1, 1)), -25567);
  EXPECT_EQ(DayFromNumber(20543), absl::CivilDay(2026, 3, 31));
  EXPECT_EQ(DayFromNumber(-25567), absl::CivilDay(1900, 1, 1));
  // Monotonic and round-tripping across the whole valid range, in steps.
  int64_t previous = DayNumber(absl::CivilDay(1900, 1, 1)) - 1;
  for (absl::CivilDay day(1900, 1, 1); day <= absl::CivilDay(9999, 12, 31); day += 97) {
    int64_t n = DayNumber(day);
    ASSERT_GT(n, previous);
    ASSERT_EQ(DayFromNumber(n), day);
    previous = n;
  }
}

TEST(DatesTest, ParseDateVnAcceptsVietnameseAndIsoDates) {
  auto date = [](const std::string& s) {
    std::optional<v1::Date> d = ParseDateVn(s);
    return d ? absl::StrCat(d->year(), "-", d->month(), "-", d->day()) : std::string("none");
  };
  EXPECT_EQ(date("31/03/2026"), "2026-3-31");
  EXPECT_EQ(date("5/3/2026"), "2026-3-5");
  EXPECT_EQ(date("05-03-2026"), "2026-3-5");
  EXPECT_EQ(date("05.03.2026"), "2026-3-5");
  EXPECT_EQ(date("2026-03-31"), "2026-3-31");
  EXPECT_EQ(date(" 29/02/2028 "), "2028-2-29");
  EXPECT_EQ(date("31/02/2026"), "none");
  EXPECT_EQ(date("29/02/2027"), "none");
  EXPECT_EQ(date("13/13/2026"), "none");
  EXPECT_EQ(date("31/03/26"), "none");
  EXPECT_EQ(date("2026/03/31"), "none");
  EXPECT_EQ(date("31/03/2026 10:00"), "none");
  EXPECT_EQ(date("Quý II/2026"), "none");
  EXPECT_EQ(date("01/01/1899"), "none");
}

}  // namespace
}  // namespace d06
