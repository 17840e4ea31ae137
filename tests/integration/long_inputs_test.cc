// Inputs far over their limits get the error their field deserves, never a transport error:
// an error that echoes its input is cut short so it fits in gRPC's trailers (8 KiB).
#include <string>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

class LongInputsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    MakeUnit("H29");
  }
};

const std::string kHuge(20000, 'A');

TEST_F(LongInputsTest, HugeNamesAreInvalidNames) {
  v1::GetUnitRequest unit;
  unit.set_name("units/" + kHuge);
  EXPECT_THAT(client().GetUnit(unit).status(), IsInvalidField("name"));
  v1::GetTaskRequest task;
  task.set_name("tasks/" + kHuge);
  absl::Status status = client().GetTask(task).status();
  EXPECT_THAT(status, IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  EXPECT_LE(status.message().size(), 1010u);
  EXPECT_NE(status.message().find("…"), std::string::npos);
  v1::ListAssignmentsRequest list;
  list.set_parent("tasks/" + kHuge);
  EXPECT_THAT(client().ListAssignments(list).status(), IsInvalidField("parent"));
}

TEST_F(LongInputsTest, HugeFiltersAndTokensAreRefusedAsSuch) {
  v1::ListTasksRequest req;
  req.set_filter("label = \"" + kHuge + "\"");
  absl::Status status = client().ListTasks(req).status();
  EXPECT_THAT(status, IsError(absl::StatusCode::kInvalidArgument, "INVALID_FILTER"));
  EXPECT_EQ(status.message(), "filter: the filter is 20010 bytes long; at most 2000");
  req.set_filter(absl::StrCat("label = \"", std::string(101, 'x'), "\""));
  EXPECT_THAT(client().ListTasks(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_FILTER"));
  req.set_filter(absl::StrCat(std::string(1990, 'k'), " = 1"));
  EXPECT_THAT(client().ListTasks(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_FILTER"));
  req.clear_filter();
  req.set_page_token(kHuge);
  EXPECT_THAT(client().ListTasks(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

TEST_F(LongInputsTest, HugeStaleEtagIsAborted) {
  v1::Task t = MakeTask("units/H29");
  v1::CancelTaskRequest req;
  req.set_name(t.name());
  req.set_reason("Lý do");
  req.set_etag(kHuge);
  EXPECT_THAT(client().CancelTask(req).status(), IsError(absl::StatusCode::kAborted, "STALE_ETAG"));
  EXPECT_EQ(GetTask(t.name()).state(), v1::TASK_STATE_ACTIVE);
}

TEST_F(LongInputsTest, HugeTextFieldsNameTheirField) {
  v1::CreateUnitRequest req;
  req.mutable_unit()->set_code(kHuge);
  req.mutable_unit()->set_display_name("Đơn vị");
  req.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
  EXPECT_THAT(client().CreateUnit(req).status(), IsInvalidField("unit.code"));
  req.mutable_unit()->set_code("H30");
  req.mutable_unit()->set_display_name(kHuge);
  EXPECT_THAT(client().CreateUnit(req).status(), IsInvalidField("unit.display_name"));
  EXPECT_THAT(AllUnits(), ::testing::SizeIs(1));  // H29 from the fixture
}

// A message says the rule first and shows the value last, shortened.
TEST_F(LongInputsTest, MessagesStateTheRuleBeforeTheValue) {
  v1::CreateUnitRequest unit;
  unit.mutable_unit()->set_code(std::string(10000, 'A'));
  unit.mutable_unit()->set_display_name("Đơn vị");
  unit.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
  absl::Status status = client().CreateUnit(unit).status();
  EXPECT_THAT(status, IsInvalidField("unit.code"));
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("at most 35 characters"));
  EXPECT_LT(status.message().size(), 400u);

  v1::ListTasksRequest list;
  list.set_filter("kind = \"" + std::string(1900, 'x') + "\"");
  status = client().ListTasks(list).status();
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("ONE_OFF"));
  EXPECT_LT(status.message().size(), 400u);
  list.set_filter("assigning_unit = \"" + std::string(1900, 'x') + "\"");
  status = client().ListTasks(list).status();
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("units/H29"));
  EXPECT_LT(status.message().size(), 400u);

  v1::GetTaskRequest get;
  get.set_name("tasks/" + kHuge);
  status = client().GetTask(get).status();
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("tasks/{id}"));
  EXPECT_LT(status.message().size(), 400u);
}

// A label that breaks a rule is named by its place in the list.
TEST_F(LongInputsTest, ABadLabelIsNamedByItsIndex) {
  v1::CreateTaskRequest req;
  req.mutable_task()->set_title("Nhiệm vụ");
  req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  req.mutable_task()->set_assigning_unit("units/H29");
  req.mutable_task()->add_labels("2026");
  req.mutable_task()->add_labels(std::string(101, 'x'));
  absl::Status status = client().CreateTask(req).status();
  EXPECT_THAT(status, IsInvalidField("task.labels"));
  EXPECT_EQ(client::ErrorInfoOf(status).metadata().at("field"), "task.labels[1]");
  req.mutable_task()->set_labels(1, "  ");
  status = client().CreateTask(req).status();
  EXPECT_EQ(client::ErrorInfoOf(status).metadata().at("field"), "task.labels[1]");
}

}  // namespace
}  // namespace d06::testing
