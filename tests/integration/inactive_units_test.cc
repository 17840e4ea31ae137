// Units that are no longer active (MERGED, DISSOLVED): nothing new may hang off them.
//
// No RPC merges or dissolves a unit yet, so the tests rewrite the stored unit while the
// server is stopped, through the model's writer of units (server/model/entities.h) that
// the core uses: entity, index entries moved to the new state, and an event.
#include <string>
#include <vector>

#include "server/model/entities.h"
#include "storage/store.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class InactiveUnitsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    MakeUnit("G01", v1::UNIT_KIND_MINISTRY);
    MakeUnit("H29");
    MakeUnit("H30");
    MakeUnit("H31");
    MakeUnit("H30.01", v1::UNIT_KIND_DEPARTMENT, "units/H30");
    task_ = MakeTask("units/H30", "Nhiệm vụ của H30");
    // H29 merged into H30; H31 dissolved.
    WithStoppedServer([](Store& store) {
      SetStoredState(store, "H29", v1::UNIT_STATE_MERGED, "units/H30");
      SetStoredState(store, "H31", v1::UNIT_STATE_DISSOLVED, "");
    });
  }

  // Rewrites the stored unit `code` with `state` and `successor` in one batch.
  static void SetStoredState(Store& store, const std::string& code, v1::UnitState state,
                             const std::string& successor) {
    absl::Status status = store.Apply([&](Txn& txn) -> absl::Status {
      absl::StatusOr<std::optional<v1::Unit>> before = LoadUnit(txn.reader(), code);
      if (!before.ok()) return before.status();
      if (!*before) return absl::NotFoundError("no stored unit " + code);
      v1::Unit after = **before;
      after.set_state(state);
      after.set_successor(successor);
      after.set_etag(absl::StrCat("r", txn.revision()));
      // Through the model's one writer of units (entity, index entries, event).
      PutUnit(txn, ChangeContext{"test", "", "", absl::Now()}, &**before, after,
              v1::EVENT_ACTION_UPDATE_UNIT);
      return absl::OkStatus();
    });
    ASSERT_THAT(status, IsOk());
  }

  // FAILED_PRECONDITION / UNIT_NOT_ACTIVE naming `unit` in the metadata.
  static void ExpectNotActive(const absl::Status& status, const std::string& unit) {
    EXPECT_THAT(status, IsError(absl::StatusCode::kFailedPrecondition, "UNIT_NOT_ACTIVE"));
    const v1::ErrorInfo info = client::ErrorInfoOf(status);
    auto it = info.metadata().find("unit");
    ASSERT_NE(it, info.metadata().end()) << Describe(status);
    EXPECT_EQ(it->second, unit);
    EXPECT_THAT(std::string(status.message()), HasSubstr(unit));
  }

  v1::Task task_;
};

TEST_F(InactiveUnitsTest, StoredStateIsServedAndIndexed) {
  v1::Unit h29 = GetUnit("units/H29");
  EXPECT_EQ(h29.state(), v1::UNIT_STATE_MERGED);
  EXPECT_EQ(h29.successor(), "units/H30");
  EXPECT_EQ(GetUnit("units/H31").state(), v1::UNIT_STATE_DISSOLVED);
  // The index entries moved with the state: the lists agree with the entities.
  EXPECT_THAT(Names(AllUnits("state = MERGED")), ElementsAre("units/H29"));
  EXPECT_THAT(Names(AllUnits("state = DISSOLVED")), ElementsAre("units/H31"));
  EXPECT_THAT(Names(AllUnits("state = ACTIVE")),
              ElementsAre("units/G01", "units/H30", "units/H30.01"));
  EXPECT_THAT(Names(AllUnits("parent = \"\" AND state = MERGED")), ElementsAre("units/H29"));
  EXPECT_THAT(Names(AllUnits()),
              ElementsAre("units/G01", "units/H29", "units/H30", "units/H30.01", "units/H31"));
}

TEST_F(InactiveUnitsTest, NothingNewHangsOffAnInactiveUnit) {
  const std::vector<v1::Unit> units_before = AllUnits();
  for (const std::string unit : {"units/H29", "units/H31"}) {
    SCOPED_TRACE(unit);
    {
      v1::CreateUnitRequest req;
      req.mutable_unit()->set_code(unit.substr(6) + ".05");
      req.mutable_unit()->set_display_name("Phòng mới");
      req.mutable_unit()->set_kind(v1::UNIT_KIND_DEPARTMENT);
      req.mutable_unit()->set_parent(unit);
      ExpectNotActive(client().CreateUnit(req).status(), unit);
    }
    {
      v1::CreateTaskRequest req;
      req.mutable_task()->set_title("Giao bởi đơn vị cũ");
      req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
      req.mutable_task()->set_assigning_unit(unit);
      ExpectNotActive(client().CreateTask(req).status(), unit);
    }
    for (v1::AssignmentRole role : {v1::ASSIGNMENT_ROLE_LEAD, v1::ASSIGNMENT_ROLE_SUPPORT}) {
      SCOPED_TRACE(v1::AssignmentRole_Name(role));
      ExpectNotActive(client().CreateAssignment(AssignReq(task_.name(), unit, role)).status(),
                      unit);
    }
  }
  // A merged unit's error points to its successor.
  {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title("x");
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    EXPECT_THAT(std::string(client().CreateTask(req).status().message()), HasSubstr("units/H30"));
  }

  // Nothing was created.
  std::vector<v1::Unit> units_after = AllUnits();
  ASSERT_EQ(units_after.size(), units_before.size());
  for (size_t i = 0; i < units_after.size(); ++i) {
    EXPECT_EQ(units_after[i].SerializeAsString(), units_before[i].SerializeAsString());
  }
  EXPECT_THAT(Names(AllTasks()), ElementsAre(task_.name()));
  EXPECT_EQ(GetTask(task_.name()).SerializeAsString(), task_.SerializeAsString());
  EXPECT_THAT(AllAssignments("tasks/-"), IsEmpty());
  EXPECT_THAT(AllAssignments(task_.name()), IsEmpty());
  EXPECT_EQ(AllEvents(task_.name()).size(), 1u);  // CREATE_TASK only

  // The active successor still works (the failures above were about the unit only).
  EXPECT_THAT(
      client()
          .CreateAssignment(AssignReq(task_.name(), "units/H30.01", v1::ASSIGNMENT_ROLE_LEAD))
          .status(),
      IsOk());
  v1::Task by_successor = MakeTask("units/H30", "Giao bởi đơn vị kế thừa");
  EXPECT_THAT(Names(AllTasks()), ElementsAre(task_.name(), by_successor.name()));
  EXPECT_THAT(Names(AllUnits("state = ACTIVE")), Not(::testing::Contains("units/H29")));
}

TEST_F(InactiveUnitsTest, RejectionIsTheSameAfterARestart) {
  Restart();
  ExpectNotActive(
      client()
          .CreateAssignment(AssignReq(task_.name(), "units/H29", v1::ASSIGNMENT_ROLE_SUPPORT))
          .status(),
      "units/H29");
  EXPECT_THAT(AllAssignments(task_.name()), IsEmpty());
}

}  // namespace
}  // namespace d06::testing
