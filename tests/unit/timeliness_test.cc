#include "server/domain/timeliness.h"

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/domain/clock.h"
#include "server/domain/dates.h"

namespace d06 {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

constexpr v1::AssignmentState kOpenStates[] = {v1::ASSIGNMENT_STATE_NOT_STARTED,
                                               v1::ASSIGNMENT_STATE_IN_PROGRESS,
                                               v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE};

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

v1::Date D(int year, int month, int day) { return ToDate(absl::CivilDay(year, month, day)); }

TimelinessInput Open(absl::CivilDay deadline,
                     v1::AssignmentState state = v1::ASSIGNMENT_STATE_IN_PROGRESS) {
  TimelinessInput in;
  in.state = state;
  in.deadline = ToDate(deadline);
  return in;
}

TimelinessInput Completed(v1::Date deadline, v1::Date submit) {
  TimelinessInput in;
  in.state = v1::ASSIGNMENT_STATE_COMPLETED;
  in.deadline = deadline;
  in.submit_date = submit;
  return in;
}

// Noon in Vietnam on 2026-03-20.
class TimelinessTest : public ::testing::Test {
 protected:
  FakeClock clock_{Utc(2026, 3, 20, 5, 0, 0)};
  absl::CivilDay Today() const { return TodayInVietnam(clock_); }
};

TEST_F(TimelinessTest, OpenAroundTheDeadline) {
  const absl::CivilDay today = Today();
  ASSERT_EQ(today, absl::CivilDay(2026, 3, 20));
  for (v1::AssignmentState state : kOpenStates) {
    SCOPED_TRACE(v1::AssignmentState_Name(state));
    EXPECT_EQ(ComputeTimeliness(Open(today, state), today, 3), v1::TIMELINESS_DUE_SOON);
    EXPECT_EQ(ComputeTimeliness(Open(today - 1, state), today, 3), v1::TIMELINESS_OVERDUE);
    EXPECT_EQ(ComputeTimeliness(Open(today - 400, state), today, 3), v1::TIMELINESS_OVERDUE);
    EXPECT_EQ(ComputeTimeliness(Open(today + 1, state), today, 3), v1::TIMELINESS_DUE_SOON);
    EXPECT_EQ(ComputeTimeliness(Open(today + 3, state), today, 3), v1::TIMELINESS_DUE_SOON);
    EXPECT_EQ(ComputeTimeliness(Open(today + 4, state), today, 3), v1::TIMELINESS_ON_TIME);
    EXPECT_EQ(ComputeTimeliness(Open(today + 400, state), today, 3), v1::TIMELINESS_ON_TIME);
  }
}

TEST_F(TimelinessTest, ZeroDueSoonWindowIsOnlyTheDeadlineDay) {
  const absl::CivilDay today = Today();
  EXPECT_EQ(ComputeTimeliness(Open(today), today, 0), v1::TIMELINESS_DUE_SOON);
  EXPECT_EQ(ComputeTimeliness(Open(today + 1), today, 0), v1::TIMELINESS_ON_TIME);
  EXPECT_EQ(ComputeTimeliness(Open(today - 1), today, 0), v1::TIMELINESS_OVERDUE);
}

TEST_F(TimelinessTest, WiderWindow) {
  const absl::CivilDay today = Today();
  EXPECT_EQ(ComputeTimeliness(Open(today + 60), today, 60), v1::TIMELINESS_DUE_SOON);
  EXPECT_EQ(ComputeTimeliness(Open(today + 61), today, 60), v1::TIMELINESS_ON_TIME);
}

TEST_F(TimelinessTest, OpenWithoutDeadline) {
  for (v1::AssignmentState state : kOpenStates) {
    TimelinessInput in;
    in.state = state;
    EXPECT_EQ(ComputeTimeliness(in, Today(), 3), v1::TIMELINESS_NO_DEADLINE)
        << v1::AssignmentState_Name(state);
  }
}

TEST_F(TimelinessTest, ClockMovesThroughTheDays) {
  // Deadline three days ahead: ON_TIME with a 2-day window, then DUE_SOON, then OVERDUE.
  const TimelinessInput in = Open(absl::CivilDay(2026, 3, 23));
  EXPECT_EQ(ComputeTimeliness(in, Today(), 2), v1::TIMELINESS_ON_TIME);
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(ComputeTimeliness(in, Today(), 2), v1::TIMELINESS_DUE_SOON);
  clock_.Advance(absl::Hours(48));
  ASSERT_EQ(Today(), absl::CivilDay(2026, 3, 23));
  EXPECT_EQ(ComputeTimeliness(in, Today(), 2), v1::TIMELINESS_DUE_SOON);
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(ComputeTimeliness(in, Today(), 2), v1::TIMELINESS_OVERDUE);
}

TEST_F(TimelinessTest, VietnamDayBoundaryNotUtc) {
  const TimelinessInput in = Open(absl::CivilDay(2026, 3, 31));
  clock_.Set(Utc(2026, 3, 31, 16, 59, 59));  // 23:59:59 on 31/3 in Hà Nội.
  EXPECT_EQ(Today(), absl::CivilDay(2026, 3, 31));
  EXPECT_EQ(ComputeTimeliness(in, Today(), 3), v1::TIMELINESS_DUE_SOON);
  clock_.Set(Utc(2026, 3, 31, 17, 0, 0));  // 00:00:00 on 1/4 in Hà Nội, still 31/3 UTC.
  EXPECT_EQ(Today(), absl::CivilDay(2026, 4, 1));
  EXPECT_EQ(ComputeTimeliness(in, Today(), 3), v1::TIMELINESS_OVERDUE);
  // Early on 31/3 in Hà Nội is still 30/3 in UTC: it is already the deadline day.
  clock_.Set(Utc(2026, 3, 30, 17, 0, 0));
  EXPECT_EQ(Today(), absl::CivilDay(2026, 3, 31));
  EXPECT_EQ(ComputeTimeliness(in, Today(), 0), v1::TIMELINESS_DUE_SOON);
  clock_.Set(Utc(2026, 3, 30, 16, 59, 59));
  EXPECT_EQ(ComputeTimeliness(in, Today(), 0), v1::TIMELINESS_ON_TIME);
}

TEST_F(TimelinessTest, CompletedOnTimeOrLate) {
  const v1::Date deadline = ToDate(absl::CivilDay(2026, 3, 31));
  const absl::CivilDay today = Today();
  EXPECT_EQ(ComputeTimeliness(Completed(deadline, D(2026, 3, 1)), today, 3),
            v1::TIMELINESS_COMPLETED_ON_TIME);
  EXPECT_EQ(ComputeTimeliness(Completed(deadline, D(2026, 3, 31)), today, 3),
            v1::TIMELINESS_COMPLETED_ON_TIME);
  EXPECT_EQ(ComputeTimeliness(Completed(deadline, D(2026, 4, 1)), today, 3),
            v1::TIMELINESS_COMPLETED_LATE);
  EXPECT_EQ(ComputeTimeliness(Completed(deadline, D(2027, 1, 1)), today, 3),
            v1::TIMELINESS_COMPLETED_LATE);
  // Across a year boundary, compared as dates and not field by field.
  EXPECT_EQ(ComputeTimeliness(Completed(D(2025, 12, 31), D(2026, 1, 1)), today, 3),
            v1::TIMELINESS_COMPLETED_LATE);
  EXPECT_EQ(ComputeTimeliness(Completed(D(2026, 1, 1), D(2025, 12, 31)), today, 3),
            v1::TIMELINESS_COMPLETED_ON_TIME);
}

TEST_F(TimelinessTest, CompletedIgnoresToday) {
  // A late completion stays late and an on-time one stays on time, whatever today is.
  const TimelinessInput late = Completed(D(2026, 3, 10), D(2026, 3, 12));
  const TimelinessInput on_time = Completed(D(2026, 3, 31), D(2026, 3, 12));
  for (absl::CivilDay today(2026, 3, 1); today <= absl::CivilDay(2026, 5, 1); ++today) {
    EXPECT_EQ(ComputeTimeliness(late, today, 3), v1::TIMELINESS_COMPLETED_LATE);
    EXPECT_EQ(ComputeTimeliness(on_time, today, 3), v1::TIMELINESS_COMPLETED_ON_TIME);
  }
}

TEST_F(TimelinessTest, CompletedWithoutDeadlineOrSubmitDate) {
  EXPECT_EQ(ComputeTimeliness(Completed(v1::Date(), D(2026, 3, 12)), Today(), 3),
            v1::TIMELINESS_COMPLETED_ON_TIME);
  EXPECT_EQ(ComputeTimeliness(Completed(v1::Date(), v1::Date()), Today(), 3),
            v1::TIMELINESS_COMPLETED_ON_TIME);
  EXPECT_EQ(ComputeTimeliness(Completed(D(2026, 3, 1), v1::Date()), Today(), 3),
            v1::TIMELINESS_COMPLETED_ON_TIME);
}

TEST_F(TimelinessTest, DeclinedAndRevokedAreNotApplicable) {
  const absl::CivilDay today = Today();
  for (v1::AssignmentState state : {v1::ASSIGNMENT_STATE_DECLINED, v1::ASSIGNMENT_STATE_REVOKED}) {
    SCOPED_TRACE(v1::AssignmentState_Name(state));
    TimelinessInput in = Open(today - 5, state);  // Would be overdue if open.
    EXPECT_EQ(ComputeTimeliness(in, today, 3), v1::TIMELINESS_NOT_APPLICABLE);
    in.submit_date = ToDate(today);  // Would be completed late.
    EXPECT_EQ(ComputeTimeliness(in, today, 3), v1::TIMELINESS_NOT_APPLICABLE);
    in.deadline = v1::Date();
    EXPECT_EQ(ComputeTimeliness(in, today, 3), v1::TIMELINESS_NOT_APPLICABLE);
  }
}

TEST_F(TimelinessTest, UnspecifiedStateHasNoTimeliness) {
  TimelinessInput in = Open(Today(), v1::ASSIGNMENT_STATE_UNSPECIFIED);
  EXPECT_EQ(ComputeTimeliness(in, Today(), 3), v1::TIMELINESS_UNSPECIFIED);
}

TEST_F(TimelinessTest, DeadlineRanges) {
  const absl::CivilDay today = Today();
  const int64_t t = DayNumber(today);
  DayRange r = DeadlineRangeFor(v1::TIMELINESS_OVERDUE, today, 3);
  EXPECT_EQ(r.first, kMin);
  EXPECT_EQ(r.last, t - 1);
  r = DeadlineRangeFor(v1::TIMELINESS_DUE_SOON, today, 3);
  EXPECT_EQ(r.first, t);
  EXPECT_EQ(r.last, t + 3);
  r = DeadlineRangeFor(v1::TIMELINESS_ON_TIME, today, 3);
  EXPECT_EQ(r.first, t + 4);
  EXPECT_EQ(r.last, kMax);
  r = DeadlineRangeFor(v1::TIMELINESS_DUE_SOON, today, 0);
  EXPECT_EQ(r.first, t);
  EXPECT_EQ(r.last, t);
  for (v1::Timeliness other :
       {v1::TIMELINESS_UNSPECIFIED, v1::TIMELINESS_NO_DEADLINE, v1::TIMELINESS_COMPLETED_ON_TIME,
        v1::TIMELINESS_COMPLETED_LATE, v1::TIMELINESS_NOT_APPLICABLE}) {
    r = DeadlineRangeFor(other, today, 3);
    EXPECT_GT(r.first, r.last) << v1::Timeliness_Name(other);
  }
}

bool InRange(const DayRange& r, int64_t day) { return r.first <= day && day <= r.last; }

// Property: for every deadline within ±10 days of today (and a spread of todays and
// windows), the deadline falls in DeadlineRangeFor(t) exactly when ComputeTimeliness
// gives t, and in exactly one of the three ranges.
TEST_F(TimelinessTest, DeadlineRangeAgreesWithComputeTimeliness) {
  const v1::Timeliness kDerived[] = {v1::TIMELINESS_OVERDUE, v1::TIMELINESS_DUE_SOON,
                                     v1::TIMELINESS_ON_TIME};
  int checked = 0;
  for (absl::CivilDay today :
       {absl::CivilDay(2026, 3, 20), absl::CivilDay(2024, 2, 28), absl::CivilDay(2025, 12, 30),
        absl::CivilDay(1969, 12, 31), absl::CivilDay(1900, 1, 5)}) {
    for (int window : {0, 1, 3, 7, 10, 11, 60}) {
      for (int offset = -10; offset <= 10; ++offset) {
        const absl::CivilDay deadline = today + offset;
        const v1::Timeliness got = ComputeTimeliness(Open(deadline), today, window);
        int matches = 0;
        for (v1::Timeliness t : kDerived) {
          const bool in_range = InRange(DeadlineRangeFor(t, today, window), DayNumber(deadline));
          EXPECT_EQ(in_range, got == t)
              << "today " << today << " window " << window << " deadline " << deadline
              << " computed " << v1::Timeliness_Name(got) << " range of " << v1::Timeliness_Name(t);
          matches += in_range;
        }
        EXPECT_EQ(matches, 1);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 5 * 7 * 21);
}

TEST(TimelinessValidationTest, DueSoonDays) {
  EXPECT_TRUE(ValidateDueSoonDays(0).ok());
  EXPECT_TRUE(ValidateDueSoonDays(kDefaultDueSoonDays).ok());
  EXPECT_TRUE(ValidateDueSoonDays(60).ok());
  EXPECT_EQ(ValidateDueSoonDays(-1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateDueSoonDays(61).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateDueSoonDays(std::numeric_limits<int>::min()).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace d06
