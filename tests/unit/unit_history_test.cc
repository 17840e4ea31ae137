// server/domain/unit_history.h: which period of a unit's history is in force on a day.
#include "server/domain/unit_history.h"

#include "absl/time/civil_time.h"
#include "common/dates.h"
#include "gtest/gtest.h"

namespace d06 {
namespace {

int64_t On(int year, int month, int day) { return DayNumber(absl::CivilDay(year, month, day)); }

v1::Unit Department() {
  v1::Unit unit;
  unit.set_name("units/H29.01");
  unit.set_display_name("Sở Thông tin và Truyền thông");
  unit.set_parent("units/H29");
  unit.set_state(v1::UNIT_STATE_ACTIVE);
  return unit;
}

TEST(UnitHistoryTest, AUnitWithoutHistoryHasAlwaysBeenAsItIs) {
  const v1::Unit unit = Department();
  EXPECT_EQ(PeriodAsOf(unit, On(1990, 1, 1)).display_name(), "Sở Thông tin và Truyền thông");
  EXPECT_EQ(PeriodAsOf(unit, On(2030, 1, 1)).parent(), "units/H29");
}

TEST(UnitHistoryTest, ThePeriodInForceIsTheLastBegunByTheDay) {
  v1::Unit unit = Department();
  SeedHistory(&unit);
  ASSERT_EQ(unit.history_size(), 1);
  v1::UnitPeriod* renamed = unit.add_history();
  *renamed = unit.history(0);
  *renamed->mutable_from() = ToDate(absl::CivilDay(2025, 7, 1));
  renamed->set_display_name("Sở Khoa học và Công nghệ");
  SeedHistory(&unit);  // has one already: left alone
  ASSERT_EQ(unit.history_size(), 2);

  EXPECT_EQ(PeriodAsOf(unit, On(2025, 6, 30)).display_name(), "Sở Thông tin và Truyền thông");
  EXPECT_EQ(PeriodAsOf(unit, On(2025, 7, 1)).display_name(), "Sở Khoa học và Công nghệ");
  EXPECT_EQ(PeriodAsOf(unit, On(2026, 1, 1)).display_name(), "Sở Khoa học và Công nghệ");
}

TEST(UnitHistoryTest, ADayBeforeEveryPeriodTakesTheFirst) {
  v1::Unit unit = Department();
  *unit.mutable_valid_from() = ToDate(absl::CivilDay(2020, 1, 1));
  SeedHistory(&unit);
  EXPECT_EQ(PeriodAsOf(unit, On(2019, 12, 31)).display_name(), "Sở Thông tin và Truyền thông");
}

TEST(UnitHistoryTest, ACorrectionChangesTheCurrentPeriodOnly) {
  v1::Unit unit = Department();
  SeedHistory(&unit);
  v1::UnitPeriod* next = unit.add_history();
  *next = unit.history(0);
  *next->mutable_from() = ToDate(absl::CivilDay(2025, 7, 1));
  unit.set_display_name("Sở Khoa học và Công nghệ (sửa)");
  CorrectCurrentPeriod(&unit);
  EXPECT_EQ(unit.history(0).display_name(), "Sở Thông tin và Truyền thông");
  EXPECT_EQ(unit.history(1).display_name(), "Sở Khoa học và Công nghệ (sửa)");
  EXPECT_EQ(unit.history(1).from().year(), 2025);  // a later period keeps its day

  v1::Unit single = Department();
  SeedHistory(&single);
  *single.mutable_valid_from() = ToDate(absl::CivilDay(2008, 8, 1));
  CorrectCurrentPeriod(&single);
  EXPECT_EQ(single.history(0).from().year(), 2008);  // the only period follows valid_from
}

}  // namespace
}  // namespace d06
