// Health, the client itself, and one success path through every RPC.
#include <string>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

class HealthTest : public ServerTest {};

TEST_F(HealthTest, OverallServiceIsServing) { EXPECT_THAT(client().CheckHealth(), IsOk()); }

TEST_F(HealthTest, UnreachableServerIsUnavailableAfterRetries) {
  ClientOptions options;
  options.target = "127.0.0.1:1";  // nothing listens on port 1
  options.max_retries = 2;
  options.initial_backoff = absl::Milliseconds(10);
  auto c = Client::Connect(options);
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Time start = absl::Now();
  EXPECT_EQ((*c)->CheckHealth().code(), absl::StatusCode::kUnavailable);
  v1::GetUnitRequest req;
  req.set_name("units/H29");
  auto got = (*c)->GetUnit(req);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client::ErrorReason(got.status()), "");  // raised by gRPC, no ErrorInfo
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(HealthTest, ConnectRejectsBadOptions) {
  ClientOptions options;
  options.target = "";
  EXPECT_EQ(Client::Connect(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.target = target();
  options.max_retries = -1;
  EXPECT_EQ(Client::Connect(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.max_retries = 3;
  options.default_timeout = absl::ZeroDuration();
  EXPECT_EQ(Client::Connect(options).status().code(), absl::StatusCode::kInvalidArgument);
  // Not ASCII is no longer refused: it travels as x-d06-actor-bin (actor_test.cc).
  options.default_timeout = absl::Seconds(10);
  options.actor = "Nguyễn Văn A";
  EXPECT_THAT(Client::Connect(options).status(), IsOk());
}

TEST_F(HealthTest, RequestIdsAreUuidV4) {
  std::string id = client::NewRequestId();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
  EXPECT_NE(id, client::NewRequestId());
}

TEST_F(HealthTest, ErrorsCarryErrorInfo) {
  v1::GetUnitRequest req;
  req.set_name("units/H99");
  auto got = client().GetUnit(req);
  EXPECT_THAT(got.status(), IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  EXPECT_FALSE(got.status().message().empty());
  EXPECT_EQ(client::ErrorInfoOf(got.status()).domain(), "d06.gov.vn");
  EXPECT_EQ(client::ErrorReason(absl::OkStatus()), "");
  EXPECT_EQ(client::ErrorReason(absl::InternalError("x")), "");
}

// One success path through every RPC of both services.
TEST_F(HealthTest, EveryRpcSucceeds) {
  // UnitService.
  v1::Unit h29 = MakeUnit("H29", v1::UNIT_KIND_PROVINCE, "", "UBND tỉnh Nghệ An");
  EXPECT_EQ(h29.name(), "units/H29");
  EXPECT_EQ(h29.state(), v1::UNIT_STATE_ACTIVE);
  EXPECT_FALSE(h29.etag().empty());
  EXPECT_TRUE(h29.has_create_time());
  v1::Unit dept = MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  v1::Unit dept2 = MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  EXPECT_EQ(GetUnit("units/H29").display_name(), "UBND tỉnh Nghệ An");
  EXPECT_THAT(Names(AllUnits()), ElementsAre("units/H29", "units/H29.01", "units/H29.02"));
  {
    v1::UpdateUnitRequest req;
    req.mutable_unit()->set_name("units/H29");
    req.mutable_unit()->set_display_name("Ủy ban nhân dân tỉnh Nghệ An");
    req.mutable_update_mask()->add_paths("display_name");
    auto got = client().UpdateUnit(req);
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(got->unit().display_name(), "Ủy ban nhân dân tỉnh Nghệ An");
    EXPECT_NE(got->unit().etag(), h29.etag());
  }

  // TaskService.
  v1::Task task = MakeTask("units/H29", "Đề án 06", Day(2026, 4, 30));
  EXPECT_EQ(task.name().rfind("tasks/", 0), 0u);
  EXPECT_EQ(task.state(), v1::TASK_STATE_ACTIVE);
  EXPECT_EQ(GetTask(task.name()).title(), "Đề án 06");
  EXPECT_THAT(AllTasks(), SizeIs(1));
  {
    v1::UpdateTaskRequest req;
    req.mutable_task()->set_name(task.name());
    req.mutable_task()->set_category("Dịch vụ công");
    req.mutable_update_mask()->add_paths("category");
    auto got = client().UpdateTask(req);
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(got->task().category(), "Dịch vụ công");
  }
  v1::Assignment a = Assign(task.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(a.name(), task.name() + "/assignments/H29.01");
  EXPECT_EQ(a.state(), v1::ASSIGNMENT_STATE_NOT_STARTED);
  v1::Assignment b = Assign(task.name(), "units/H29.02", v1::ASSIGNMENT_ROLE_SUPPORT);
  EXPECT_EQ(GetAssignment(a.name()).role(), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_THAT(AllAssignments(task.name()), SizeIs(2));
  EXPECT_THAT(AllAssignments("tasks/-"), SizeIs(2));

  EXPECT_EQ(Start(a.name()).state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  EXPECT_EQ(Progress(a.name(), 40, "40%").progress_percent(), 40);
  EXPECT_EQ(Submit(a.name()).state(), v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE);
  {
    auto got =
        client().ReturnAssignment(Named<v1::ReturnAssignmentRequest>(a.name(), "Bổ sung số liệu"));
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(got->assignment().state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
    EXPECT_EQ(got->assignment().last_reason(), "Bổ sung số liệu");
  }
  Submit(a.name());
  EXPECT_EQ(Approve(a.name()).state(), v1::ASSIGNMENT_STATE_COMPLETED);
  {
    auto got = client().ReopenAssignment(
        Named<v1::ReopenAssignmentRequest>(a.name(), "Phát hiện sai sót"));
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(got->assignment().state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  }
  EXPECT_EQ(Decline(b.name()).state(), v1::ASSIGNMENT_STATE_DECLINED);
  {
    auto got = client().ReopenAssignment(
        Named<v1::ReopenAssignmentRequest>(b.name(), "Đã bổ sung nguồn lực"));
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(got->assignment().state(), v1::ASSIGNMENT_STATE_NOT_STARTED);
  }
  EXPECT_EQ(Revoke(b.name()).state(), v1::ASSIGNMENT_STATE_REVOKED);
  EXPECT_THAT(AllEvents(task.name()), SizeIs(::testing::Ge(12u)));
  {
    v1::CancelTaskRequest req;
    req.set_name(task.name());
    req.set_reason("Không còn phù hợp");
    auto got = client().CancelTask(req);
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(got->task().state(), v1::TASK_STATE_CANCELLED);
    EXPECT_EQ(got->task().cancel_reason(), "Không còn phù hợp");
  }
}

}  // namespace
}  // namespace d06::testing
