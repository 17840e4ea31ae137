// A plan is entered task by task with each task's lead and coordinating units in the same
// CreateTask: one atomic write, or nothing at all.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class PlanEntryTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    MakeUnit("H29");
    for (const char* code : {"H29.01", "H29.02", "H29.03"}) {
      MakeUnit(code, v1::UNIT_KIND_DEPARTMENT, "units/H29");
    }
  }

  static v1::CreateTaskRequest TaskWith(
      const std::vector<std::pair<std::string, v1::AssignmentRole>>& units) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title("Làm sạch dữ liệu dân cư");
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    *req.mutable_task()->mutable_deadline() = Day(2026, 6, 30);
    for (const auto& [unit, role] : units) {
      v1::Assignment* a = req.add_assignments();
      a->set_unit(unit);
      a->set_role(role);
    }
    return req;
  }

  // Nothing was written: no task, no assignment, no event.
  void ExpectNothingWritten() {
    EXPECT_THAT(AllTasks(), IsEmpty());
    EXPECT_THAT(AllAssignments("tasks/-"), IsEmpty());
  }
};

TEST_F(PlanEntryTest, ATaskAndItsAssignmentsAreOneWrite) {
  v1::CreateTaskRequest req = TaskWith({{"units/H29.01", v1::ASSIGNMENT_ROLE_LEAD},
                                        {"units/H29.02", v1::ASSIGNMENT_ROLE_SUPPORT},
                                        {"units/H29.03", v1::ASSIGNMENT_ROLE_SUPPORT}});
  *req.mutable_assignments(2)->mutable_deadline() = Day(2026, 6, 15);  // earlier, as allowed
  req.set_request_id("plan-15-task-1");
  auto created = client().CreateTask(req);
  ASSERT_THAT(created.status(), IsOk());
  const v1::Task& task = created->task();
  ASSERT_THAT(created->assignments(), SizeIs(3));
  EXPECT_EQ(created->assignments(0).name(), task.name() + "/assignments/H29.01");
  EXPECT_EQ(created->assignments(0).role(), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(created->assignments(0).state(), v1::ASSIGNMENT_STATE_NOT_STARTED);
  EXPECT_EQ(DateString(created->assignments(1).deadline()), "2026-6-30");  // the task's
  EXPECT_EQ(DateString(created->assignments(2).deadline()), "2026-6-15");
  EXPECT_EQ(created->assignments(0).timeliness(), v1::TIMELINESS_ON_TIME);
  // One revision: the task's etag and every assignment's.
  for (const v1::Assignment& a : created->assignments()) EXPECT_EQ(a.etag(), task.etag());
  std::vector<v1::Event> events = AllEvents(task.name());
  ASSERT_THAT(events, SizeIs(4));
  EXPECT_EQ(events[0].action(), v1::EVENT_ACTION_CREATE_TASK);
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(events[i].action(), v1::EVENT_ACTION_CREATE_ASSIGNMENT);
    EXPECT_EQ(events[i].revision(), events[0].revision());
    EXPECT_EQ(events[i].request_id(), "plan-15-task-1");
  }
  // Listed by deadline: the earlier coordinating deadline first.
  EXPECT_THAT(Names(AllAssignments("tasks/-", "unit_tree = \"units/H29\"")),
              ElementsAre(created->assignments(2).name(), created->assignments(0).name(),
                          created->assignments(1).name()));
  // A retry returns the first answer and writes nothing more.
  auto retried = client().CreateTask(req);
  ASSERT_THAT(retried.status(), IsOk());
  EXPECT_EQ(retried->task().name(), task.name());
  EXPECT_THAT(retried->assignments(), SizeIs(3));
  EXPECT_THAT(AllTasks(), SizeIs(1));
  EXPECT_THAT(AllAssignments("tasks/-"), SizeIs(3));
}

TEST_F(PlanEntryTest, OneRefusedAssignmentWritesNothing) {
  EXPECT_THAT(client()
                  .CreateTask(TaskWith({{"units/H29.01", v1::ASSIGNMENT_ROLE_LEAD},
                                        {"units/H29.02", v1::ASSIGNMENT_ROLE_LEAD}}))
                  .status(),
              IsError(absl::StatusCode::kFailedPrecondition, "LEAD_EXISTS"));
  EXPECT_THAT(client()
                  .CreateTask(TaskWith({{"units/H29.01", v1::ASSIGNMENT_ROLE_LEAD},
                                        {"units/H29.01", v1::ASSIGNMENT_ROLE_SUPPORT}}))
                  .status(),
              IsError(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS"));
  EXPECT_THAT(client()
                  .CreateTask(TaskWith({{"units/H29.01", v1::ASSIGNMENT_ROLE_LEAD},
                                        {"units/H30", v1::ASSIGNMENT_ROLE_SUPPORT}}))
                  .status(),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  ExpectNothingWritten();
  // The next task still gets the next id: refused writes used none.
  auto created = client().CreateTask(TaskWith({{"units/H29.01", v1::ASSIGNMENT_ROLE_LEAD}}));
  ASSERT_THAT(created.status(), IsOk());
  EXPECT_EQ(created->task().name(), "tasks/1");
}

TEST_F(PlanEntryTest, BadAssignmentsAreNamedByTheirIndex) {
  auto field_of = [](const absl::Status& s) {
    const v1::ErrorInfo info = client::ErrorInfoOf(s);
    return info.metadata().count("field") ? info.metadata().at("field") : std::string();
  };
  v1::CreateTaskRequest req = TaskWith(
      {{"units/H29.01", v1::ASSIGNMENT_ROLE_LEAD}, {"H29.02", v1::ASSIGNMENT_ROLE_SUPPORT}});
  absl::Status status = client().CreateTask(req).status();
  EXPECT_THAT(status, IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  EXPECT_EQ(field_of(status), "assignments[1].unit");

  req = TaskWith({{"units/H29.01", v1::ASSIGNMENT_ROLE_UNSPECIFIED}});
  EXPECT_EQ(field_of(client().CreateTask(req).status()), "assignments[0].role");

  req = TaskWith({{"units/H29.01", v1::ASSIGNMENT_ROLE_LEAD}});
  req.mutable_task()->set_kind(v1::TASK_KIND_RECURRING);
  req.mutable_task()->clear_deadline();
  *req.mutable_assignments(0)->mutable_deadline() = Day(2026, 6, 30);
  status = client().CreateTask(req).status();
  EXPECT_THAT(status, IsInvalidField("assignments[0].deadline"));

  req = TaskWith({});
  for (int i = 0; i < 101; ++i) {
    v1::Assignment* a = req.add_assignments();
    a->set_unit("units/H29.01");
    a->set_role(v1::ASSIGNMENT_ROLE_SUPPORT);
  }
  status = client().CreateTask(req).status();
  EXPECT_THAT(status, IsInvalidField("assignments"));
  EXPECT_EQ(field_of(status), "assignments");
  ExpectNothingWritten();
}

TEST_F(PlanEntryTest, ATaskWithoutAssignmentsIsAsBefore) {
  auto created = client().CreateTask(TaskWith({}));
  ASSERT_THAT(created.status(), IsOk());
  EXPECT_THAT(created->assignments(), IsEmpty());
  EXPECT_THAT(AllEvents(created->task().name()), ElementsAre(::testing::_));
}

}  // namespace
}  // namespace d06::testing
