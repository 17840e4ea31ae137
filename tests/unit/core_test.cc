// The core runs without a network: operations called directly on a Store in a temporary
// directory (tests/testing/core_env.h). The caller reaches the audit history.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/domain/errors.h"
#include "tests/testing/core_env.h"
#include "tests/testing/pager.h"

namespace d06::testing {
namespace {

absl::Time Start() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 20, 9, 0, 0), absl::FixedTimeZone(7 * 3600));
}

TEST(CoreTest, OperationsRecordTheCallerAndReadsTakeOne) {
  CoreEnv env(Start());
  Caller alice;
  alice.actor = "alice@h29";
  v1::CreateUnitRequest unit;
  unit.mutable_unit()->set_code("H29");
  unit.mutable_unit()->set_display_name("Tỉnh H29");
  unit.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
  v1::CreateUnitResponse created_unit;
  ASSERT_TRUE(CoreEnv::Await([&](Core::Done done) {
                env.core().CreateUnit(alice, unit, &created_unit, std::move(done));
              }).ok());
  v1::CreateTaskRequest task;
  task.mutable_task()->set_title("Làm sạch dữ liệu dân cư");
  task.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  task.mutable_task()->set_assigning_unit("units/H29");
  v1::CreateTaskResponse created;
  ASSERT_TRUE(CoreEnv::Await([&](Core::Done done) {
                env.core().CreateTask(alice, task, &created, std::move(done));
              }).ok());

  v1::ListTaskEventsRequest history;
  history.set_parent(created.task().name());
  std::vector<v1::Event> events = ListAll(
      history,
      [&](const v1::ListTaskEventsRequest& r) -> absl::StatusOr<v1::ListTaskEventsResponse> {
        v1::ListTaskEventsResponse page;
        Caller bob;
        bob.actor = "bob";
        absl::Status s = env.core().ListTaskEvents(bob, r, &page);
        if (!s.ok()) return s;
        return page;
      },
      [](const v1::ListTaskEventsResponse& p) -> auto& { return p.events(); }, "history");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor(), "alice@h29");
  EXPECT_EQ(events[0].action(), v1::EVENT_ACTION_CREATE_TASK);

  v1::GetTaskRequest get;
  get.set_name("tasks/999");
  v1::GetTaskResponse missing;
  EXPECT_EQ(ErrorReason(env.core().GetTask(alice, get, &missing)), "NOT_FOUND");
}

}  // namespace
}  // namespace d06::testing
