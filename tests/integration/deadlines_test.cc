// The deadline scheduler: DUE_SOON and OVERDUE events recorded once per assignment and
// deadline at day boundaries (Asia/Ho_Chi_Minh), caught up after downtime without
// duplicates, re-armed by an approved extension, never for recurring or finished work;
// its work follows the crossings, not the tasks.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class DeadlinesTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();  // today: Friday 20/03/2026; due-soon window 3 days
    MakeUnit("H29");
    MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
    task_ = MakeTask("units/H29", "Số hoá hồ sơ", Day(2026, 3, 31)).name();
    name_ = Assign(task_, "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD).name();
  }

  int Run() {
    absl::StatusOr<int> taken = server().RecordDeadlineCrossings();
    if (!taken.ok()) throw std::runtime_error(taken.status().ToString());
    return *taken;
  }
  // "DUE_SOON 31/3" for each deadline event of the task's history, in order.
  std::vector<std::string> Crossings(const std::string& task) {
    std::vector<std::string> out;
    for (const v1::Event& e : AllEvents(task)) {
      if (e.action() != v1::EVENT_ACTION_DUE_SOON && e.action() != v1::EVENT_ACTION_OVERDUE) {
        continue;
      }
      EXPECT_EQ(e.actor(), "d06d");
      const v1::Date& d = e.assignment().deadline();
      out.push_back(absl::StrCat(e.action() == v1::EVENT_ACTION_DUE_SOON ? "DUE_SOON " : "OVERDUE ",
                                 d.day(), "/", d.month(), " ", e.resource()));
    }
    return out;
  }

  std::string task_;
  std::string name_;
};

TEST_F(DeadlinesTest, EachCrossingIsRecordedExactlyOnceOnItsDay) {
  const std::string etag = GetAssignment(name_).etag();
  EXPECT_EQ(Run(), 0);
  SetToday(2026, 3, 27, 23);  // the evening before the window opens
  EXPECT_EQ(Run(), 0);
  SetToday(2026, 3, 28, 0);  // 31/03 - 3 days
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(Run(), 0);
  EXPECT_THAT(Crossings(task_), ElementsAre("DUE_SOON 31/3 " + name_));
  SetToday(2026, 3, 31, 23);  // the deadline day itself is not overdue
  EXPECT_EQ(Run(), 0);
  SetToday(2026, 4, 1, 0);
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(Run(), 0);
  SetToday(2026, 4, 20);
  EXPECT_EQ(Run(), 0);
  EXPECT_THAT(Crossings(task_), ElementsAre("DUE_SOON 31/3 " + name_, "OVERDUE 31/3 " + name_));
  // Recorded on the assignment, which keeps its etag and state.
  v1::Assignment a = GetAssignment(name_);
  EXPECT_EQ(a.etag(), etag);
  EXPECT_EQ(a.state(), v1::ASSIGNMENT_STATE_NOT_STARTED);
  EXPECT_EQ(a.timeliness(), v1::TIMELINESS_OVERDUE);
  EXPECT_EQ(a.due_soon_recorded_for().day(), 31);
  EXPECT_EQ(a.overdue_recorded_for().day(), 31);
  // Later changes of the open assignment do not re-arm the same deadline.
  Start(name_);
  Progress(name_, 50);
  EXPECT_EQ(Run(), 0);
}

TEST_F(DeadlinesTest, TheServerCatchesUpAfterDowntimeWithoutDuplicates) {
  SetToday(2026, 3, 28);
  EXPECT_EQ(Run(), 1);  // due soon, before the stop
  StopServer();
  SetToday(2026, 4, 3);  // down across the deadline
  StartAgain();          // the scheduler runs at start-up
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (Crossings(task_).size() < 2 && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(Run(), 0);
  Restart();
  EXPECT_EQ(Run(), 0);
  EXPECT_THAT(Crossings(task_), ElementsAre("DUE_SOON 31/3 " + name_, "OVERDUE 31/3 " + name_));

  // Down across both crossings of another assignment: only OVERDUE is recorded.
  MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  v1::Task later = MakeTask("units/H29", "Báo cáo", Day(2026, 4, 10));
  std::string other = Assign(later.name(), "units/H29.02", v1::ASSIGNMENT_ROLE_LEAD).name();
  StopServer();
  SetToday(2026, 4, 15);
  StartAgain();
  EXPECT_GE(Run(), 0);
  EXPECT_THAT(Crossings(later.name()), ElementsAre("OVERDUE 10/4 " + other));
}

TEST_F(DeadlinesTest, AnApprovedExtensionRearmsBothCrossings) {
  SetToday(2026, 4, 1);
  EXPECT_EQ(Run(), 2);  // both entries: due soon dropped (already overdue), overdue recorded
  EXPECT_THAT(Crossings(task_), ElementsAre("OVERDUE 31/3 " + name_));
  v1::RequestExtensionRequest ask;
  ask.set_name(name_);
  *ask.mutable_deadline() = Day(2026, 4, 15);
  ask.set_reason("Chờ thiết bị");
  ASSERT_THAT(client().RequestExtension(ask).status(), IsOk());
  EXPECT_EQ(Run(), 0);  // asked, not approved: nothing moves
  v1::ApproveExtensionRequest approve;
  approve.set_name(name_);
  ASSERT_THAT(client().ApproveExtension(approve).status(), IsOk());
  EXPECT_EQ(Run(), 0);
  SetToday(2026, 4, 12);
  EXPECT_EQ(Run(), 1);
  SetToday(2026, 4, 16);
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(Run(), 0);
  EXPECT_THAT(Crossings(task_), ElementsAre("OVERDUE 31/3 " + name_, "DUE_SOON 15/4 " + name_,
                                            "OVERDUE 15/4 " + name_));
}

TEST_F(DeadlinesTest, NoneForRecurringFinishedOrWithdrawnWork) {
  v1::Task recurring = MakeTask("units/H29", "Báo cáo tháng", v1::Date(), v1::TASK_KIND_RECURRING);
  Assign(recurring.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD);
  MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  MakeUnit("H29.03", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  std::string declined = Assign(task_, "units/H29.02").name();
  std::string done = Assign(task_, "units/H29.03").name();
  Decline(declined);
  Start(done);
  Submit(done);
  Approve(done);
  Start(name_);
  Submit(name_);
  Approve(name_);
  SetToday(2026, 5, 1);
  EXPECT_EQ(Run(), 0);
  EXPECT_THAT(Crossings(task_), IsEmpty());
  EXPECT_THAT(Crossings(recurring.name()), IsEmpty());
}

// The scheduler reads the queue of crossings, not the tasks: with a thousand open
// assignments due next year, a day with one crossing takes one entry.
TEST_F(DeadlinesTest, ItsWorkFollowsTheCrossingsNotTheTasks) {
  for (int i = 0; i < 1000; ++i) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title(absl::StrCat("Nhiệm vụ ", i));
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    *req.mutable_task()->mutable_deadline() = Day(2027, 6, 30);
    v1::Assignment* lead = req.add_assignments();
    lead->set_unit("units/H29.01");
    lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    Must(client().CreateTask(req));
  }
  SetToday(2026, 3, 28);
  EXPECT_EQ(Run(), 1);
}

// A run takes what is due in several paced writes and leaves nothing behind.
TEST_F(DeadlinesTest, ACatchUpOfManyCrossingsIsTakenInPacedWrites) {
  std::vector<std::string> units;
  for (int u = 2; u <= 91; ++u) {
    units.push_back(
        MakeUnit(absl::StrCat("H29.", u), v1::UNIT_KIND_DEPARTMENT, "units/H29").name());
  }
  for (int t = 0; t < 5; ++t) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title(absl::StrCat("Kế hoạch ", t));
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    *req.mutable_task()->mutable_deadline() = Day(2026, 3, 31);
    for (const std::string& unit : units) {
      v1::Assignment* a = req.add_assignments();
      a->set_unit(unit);
      a->set_role(v1::ASSIGNMENT_ROLE_SUPPORT);
    }
    Must(client().CreateTask(req));
  }
  SetToday(2026, 3, 28);
  EXPECT_EQ(Run(), 450 + 1);  // and the fixture's own assignment
  EXPECT_EQ(Run(), 0);
}

}  // namespace
}  // namespace d06::testing
