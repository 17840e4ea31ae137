// Unit events (EVENT_ACTION_CREATE_UNIT / UPDATE_UNIT) are in the durable event log and
// survive a restart. No RPC reads them (ListTaskEvents is per task), so the test reads
// the "events" column family directly while the server is stopped: keys are
// u64 revision, u32 index (storage/keys.h), values serialized v1::Event.
#include <string>
#include <vector>

#include "storage/keys.h"
#include "storage/store.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;

class UnitEventsTest : public ServerTest {
 protected:
  // Every event in the log, in key order, checking that each key matches its event.
  static std::vector<v1::Event> ReadEventLog(Store& store) {
    std::vector<v1::Event> out;
    auto view = store.Snapshot();
    absl::Status status =
        view->ScanPrefix(Cf::kEvents, "", "", [&](absl::string_view key, absl::string_view value) {
          uint64_t revision = 0;
          uint32_t index = 0;
          absl::string_view in = key;
          EXPECT_TRUE(keys::GetU64(&in, &revision) && keys::GetU32(&in, &index) && in.empty())
              << "malformed event key";
          v1::Event& event = out.emplace_back();
          EXPECT_TRUE(event.ParseFromArray(value.data(), static_cast<int>(value.size())));
          EXPECT_EQ(event.revision(), static_cast<int64_t>(revision));
          EXPECT_EQ(event.index(), static_cast<int32_t>(index));
          return true;
        });
    EXPECT_THAT(status, IsOk());
    return out;
  }

  static bool IsUnitEvent(const v1::Event& e) {
    return e.action() == v1::EVENT_ACTION_CREATE_UNIT || e.action() == v1::EVENT_ACTION_UPDATE_UNIT;
  }
};

TEST_F(UnitEventsTest, UnitEventsSurviveRestart) {
  std::unique_ptr<Client> alice = NewClient("alice");
  auto create = [&](const std::string& code, v1::UnitKind kind, const std::string& parent,
                    const std::string& request_id) {
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_code(code);
    req.mutable_unit()->set_display_name("Đơn vị " + code);
    req.mutable_unit()->set_kind(kind);
    req.mutable_unit()->set_parent(parent);
    req.set_request_id(request_id);
    return Must(alice->CreateUnit(req), "CreateUnit " + code).unit();
  };
  v1::Unit g01 = create("G01", v1::UNIT_KIND_MINISTRY, "", "create-g01");
  v1::Unit h29 = create("H29", v1::UNIT_KIND_PROVINCE, "", "create-h29");
  clock().Advance(absl::Hours(1));
  v1::Unit dept = create("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29", "create-h29-01");
  v1::Task task = MakeTask("units/H29", "Nhiệm vụ xen giữa");  // a task event in between
  clock().Advance(absl::Hours(2));
  v1::Unit h29_updated;
  {
    v1::UpdateUnitRequest req;
    req.mutable_unit()->set_name("units/H29");
    req.mutable_unit()->set_display_name("UBND tỉnh Nghệ An");
    req.mutable_unit()->set_admin_code("40");
    req.mutable_update_mask()->add_paths("display_name");
    req.mutable_update_mask()->add_paths("admin_code");
    req.set_request_id("update-h29");
    h29_updated = Must(alice->UpdateUnit(req), "UpdateUnit H29").unit();
  }
  v1::Unit dept_updated;
  {
    v1::UpdateUnitRequest req;
    req.mutable_unit()->set_name("units/H29.01");
    *req.mutable_unit()->mutable_valid_from() = Day(2025, 7, 1);
    req.mutable_update_mask()->add_paths("valid_from");
    req.set_request_id("update-h29-01");
    dept_updated = Must(alice->UpdateUnit(req), "UpdateUnit H29.01").unit();
  }
  alice.reset();

  ASSERT_NO_THROW(Restart());

  std::vector<v1::Event> log;
  ASSERT_NO_THROW(WithStoppedServer([&](Store& store) { log = ReadEventLog(store); }));

  // The log is ordered by revision and holds the task's event too.
  for (size_t i = 1; i < log.size(); ++i) {
    EXPECT_GT(log[i].revision(), log[i - 1].revision()) << i;
  }
  std::vector<v1::Event> units;
  std::vector<std::string> others;
  for (const v1::Event& e : log) {
    if (IsUnitEvent(e)) {
      units.push_back(e);
    } else {
      others.push_back(absl::StrCat(v1::EventAction_Name(e.action()), " ", e.resource()));
    }
  }
  EXPECT_THAT(others, ElementsAre("EVENT_ACTION_CREATE_TASK " + task.name()));

  struct Want {
    v1::EventAction action;
    const v1::Unit* unit;  // the unit as the RPC returned it
    std::string request_id;
    std::vector<std::string> changed;
    absl::Time time;
  };
  const v1::EventAction kCreate = v1::EVENT_ACTION_CREATE_UNIT;
  const v1::EventAction kUpdate = v1::EVENT_ACTION_UPDATE_UNIT;
  const absl::Time t0 = TestStartTime();
  std::vector<Want> want = {
      {kCreate, &g01, "create-g01", {}, t0},
      {kCreate, &h29, "create-h29", {}, t0},
      {kCreate, &dept, "create-h29-01", {}, t0 + absl::Hours(1)},
      {kUpdate, &h29_updated, "update-h29", {"display_name", "admin_code"}, t0 + absl::Hours(3)},
      {kUpdate, &dept_updated, "update-h29-01", {"valid_from"}, t0 + absl::Hours(3)},
  };
  ASSERT_EQ(units.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    const v1::Event& e = units[i];
    EXPECT_EQ(e.action(), want[i].action);
    EXPECT_EQ(e.resource(), want[i].unit->name());
    EXPECT_EQ(e.actor(), "alice");
    EXPECT_EQ(e.request_id(), want[i].request_id);
    EXPECT_EQ(std::vector<std::string>(e.changed_fields().begin(), e.changed_fields().end()),
              want[i].changed);
    EXPECT_EQ(e.time().seconds(), absl::ToUnixSeconds(want[i].time));
    // The event carries the unit exactly as it was answered (etag included).
    EXPECT_EQ(e.unit().SerializeAsString(), want[i].unit->SerializeAsString());
    EXPECT_EQ(e.unit().etag(), absl::StrCat("r", e.revision()));
  }
  EXPECT_EQ(units[3].unit().display_name(), "UBND tỉnh Nghệ An");
  EXPECT_EQ(units[3].unit().admin_code(), "40");
  EXPECT_EQ(units[4].unit().valid_from().year(), 2025);

  // And the server still serves what the events describe.
  EXPECT_EQ(GetUnit("units/H29").SerializeAsString(), h29_updated.SerializeAsString());
  EXPECT_EQ(GetUnit("units/H29.01").SerializeAsString(), dept_updated.SerializeAsString());
}

TEST_F(UnitEventsTest, RejectedUnitChangesLeaveNoEvent) {
  MakeUnit("H29");
  v1::CreateUnitRequest dup;
  dup.mutable_unit()->set_code("H29");
  dup.mutable_unit()->set_display_name("Trùng");
  dup.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
  EXPECT_THAT(client().CreateUnit(dup).status(),
              IsError(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS"));
  v1::UpdateUnitRequest stale;
  stale.mutable_unit()->set_name("units/H29");
  stale.mutable_unit()->set_display_name("Cũ");
  stale.mutable_unit()->set_etag("r999");
  stale.mutable_update_mask()->add_paths("display_name");
  EXPECT_THAT(client().UpdateUnit(stale).status(),
              IsError(absl::StatusCode::kAborted, "STALE_ETAG"));

  std::vector<v1::Event> log;
  ASSERT_NO_THROW(WithStoppedServer([&](Store& store) { log = ReadEventLog(store); }));
  std::vector<std::string> actions;
  for (const v1::Event& e : log) {
    actions.push_back(absl::StrCat(v1::EventAction_Name(e.action()), " ", e.resource()));
  }
  EXPECT_THAT(actions, ElementsAre("EVENT_ACTION_CREATE_UNIT units/H29"));
}

}  // namespace
}  // namespace d06::testing
