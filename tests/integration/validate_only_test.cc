// validate_only (AIP-163, d06ctl --dry-run): every mutating request has the field, and a
// request with it is checked as the real one would be and answered as if applied, while
// nothing changes: no revision, no event in the history or the feed, no list entry. (The
// authorisation table, authz_test.cc, also sends every write of every principal as a dry
// run first and checks the answer and the revision.)
#include <memory>
#include <string>
#include <vector>

#include "server/api/core_methods.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::SizeIs;

class ValidateOnlyTest : public ServerTest {
 protected:
  // The store's revision, as the first response of a watch from now says.
  int64_t Revision() {
    int64_t revision = -1;
    (void)client().Watch(v1::WatchRequest(), [&](const v1::WatchResponse& response) {
      revision = response.revision();
      return false;
    });
    return revision;
  }
};

// A write is a method whose request takes a request_id (server/api/method_table.h finds
// writes the same way); each must also take validate_only.
TEST_F(ValidateOnlyTest, EveryMutatingRequestHasValidateOnly) {
  Core* no_core = nullptr;
  api::StreamRunners runners{nullptr, nullptr, nullptr};
  const std::unique_ptr<api::MethodTable> methods = api::NewCoreMethodTable(no_core, runners);
  int writes = 0;
  for (const google::protobuf::ServiceDescriptor* service : methods->services()) {
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::Descriptor& request = *service->method(m)->input_type();
      if (request.FindFieldByName("request_id") == nullptr) continue;
      ++writes;
      const google::protobuf::FieldDescriptor* field = request.FindFieldByName("validate_only");
      ASSERT_NE(field, nullptr) << request.full_name() << " has no validate_only";
      EXPECT_EQ(field->type(), google::protobuf::FieldDescriptor::TYPE_BOOL);
      EXPECT_FALSE(field->is_repeated());
    }
  }
  EXPECT_GE(writes, 20);
}

TEST_F(ValidateOnlyTest, AnsweredAsIfAppliedButNothingChanges) {
  MakeUnit("H30");
  MakeUnit("H30.01", v1::UNIT_KIND_DEPARTMENT, "units/H30");
  const v1::Task task = MakeTask("units/H30", "Thật", Day(2026, 6, 30));
  const v1::Assignment lead = Must(client().CreateAssignment(AssignReq(task.name(), "units/H30.01",
                                                                       v1::ASSIGNMENT_ROLE_LEAD)))
                                  .assignment();
  const int64_t revision = Revision();
  const size_t events = AllEvents(task.name()).size();
  v1::ListTasksRequest list;
  list.set_page_size(100);
  const int tasks = Must(client().ListTasks(list)).tasks_size();

  // A new task with its lead: the answer shows it as it would be.
  v1::CreateTaskRequest create;
  create.mutable_task()->set_title("Thử");
  create.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  create.mutable_task()->set_assigning_unit("units/H30");
  v1::Assignment* assignment = create.add_assignments();
  assignment->set_unit("units/H30.01");
  assignment->set_role(v1::ASSIGNMENT_ROLE_LEAD);
  create.set_validate_only(true);
  const v1::CreateTaskResponse created = Must(client().CreateTask(create));
  EXPECT_EQ(created.task().title(), "Thử");
  EXPECT_EQ(created.task().state(), v1::TASK_STATE_ACTIVE);
  // A transition: the new state in the answer, the old one stored.
  v1::StartAssignmentRequest start;
  start.set_name(lead.name());
  start.set_validate_only(true);
  EXPECT_EQ(Must(client().StartAssignment(start)).assignment().state(),
            v1::ASSIGNMENT_STATE_IN_PROGRESS);
  // The rules still apply: a dry run that would fail fails the same way.
  v1::ApproveAssignmentRequest approve;
  approve.set_name(lead.name());
  approve.set_validate_only(true);
  EXPECT_THAT(client().ApproveAssignment(approve).status(),
              IsError(absl::StatusCode::kFailedPrecondition, "INVALID_TRANSITION"));
  v1::UpdateTaskRequest stale;
  stale.mutable_task()->set_name(task.name());
  stale.mutable_task()->set_title("Cũ");
  stale.mutable_task()->set_etag("r1");
  stale.mutable_update_mask()->add_paths("title");
  stale.set_validate_only(true);
  EXPECT_THAT(client().UpdateTask(stale).status(),
              IsError(absl::StatusCode::kAborted, "STALE_ETAG"));
  v1::CreateUnitRequest unit;
  unit.mutable_unit()->set_code("H30.02");
  unit.mutable_unit()->set_display_name("Phòng thử");
  unit.mutable_unit()->set_kind(v1::UNIT_KIND_DEPARTMENT);
  unit.mutable_unit()->set_parent("units/H30");
  unit.set_validate_only(true);
  unit.set_request_id("dry-unit");
  EXPECT_EQ(Must(client().CreateUnit(unit)).unit().name(), "units/H30.02");

  // Nothing of it happened: the revision, the history, the lists.
  EXPECT_EQ(Revision(), revision);
  EXPECT_THAT(AllEvents(task.name()), SizeIs(events));
  EXPECT_EQ(Must(client().ListTasks(list)).tasks_size(), tasks);
  v1::GetAssignmentRequest get;
  get.set_name(lead.name());
  EXPECT_EQ(Must(client().GetAssignment(get)).assignment().state(),
            v1::ASSIGNMENT_STATE_NOT_STARTED);
  v1::GetUnitRequest get_unit;
  get_unit.set_name("units/H30.02");
  EXPECT_THAT(client().GetUnit(get_unit).status(),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  // No idempotency record either: the same request_id applies the request for real.
  unit.set_validate_only(false);
  EXPECT_THAT(client().CreateUnit(unit).status(), IsOk());
  EXPECT_THAT(client().GetUnit(get_unit).status(), IsOk());
}

}  // namespace
}  // namespace d06::testing
