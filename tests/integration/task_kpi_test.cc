// Task KPI targets (d06.v1.KpiTarget): every validation rule of
// server/domain/validation.cc (PrepareTaskFields) on CreateTask and on UpdateTask with
// update_mask "kpi", and the valid forms round-tripping through GetTask.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

v1::KpiTarget Kpi(v1::KpiType type, double value, double denominator = 0,
                  const std::string& description = "Tỷ lệ hồ sơ trực tuyến") {
  v1::KpiTarget kpi;
  kpi.set_description(description);
  kpi.set_type(type);
  kpi.set_target_value(value);
  kpi.set_target_denominator(denominator);
  return kpi;
}

struct BadKpi {
  std::string field;  // the field the error must name
  v1::KpiTarget kpi;
};

// One case per rule (and per way of breaking it).
std::vector<BadKpi> BadKpis() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::string d501;
  for (int i = 0; i < 501; ++i) d501 += "ệ";  // 501 characters
  const std::string kDesc = "task.kpi.description", kType = "task.kpi.type",
                    kValue = "task.kpi.target_value", kDenom = "task.kpi.target_denominator";
  return {
      // description: required, at most 500 characters, valid UTF-8.
      {kDesc, Kpi(v1::KPI_TYPE_NUMBER, 1, 0, "")},
      {kDesc, Kpi(v1::KPI_TYPE_NUMBER, 1, 0, " \t ")},
      {kDesc, Kpi(v1::KPI_TYPE_NUMBER, 1, 0, d501)},
      {kDesc, Kpi(v1::KPI_TYPE_NUMBER, 1, 0, "T\xff l\xe1")},
      // type: required and known.
      {kType, Kpi(v1::KPI_TYPE_UNSPECIFIED, 1)},
      {kType, Kpi(static_cast<v1::KpiType>(99), 1)},
      // target_value: a finite number in 0..1e15.
      {kValue, Kpi(v1::KPI_TYPE_NUMBER, -1)},
      {kValue, Kpi(v1::KPI_TYPE_NUMBER, nan)},
      {kValue, Kpi(v1::KPI_TYPE_NUMBER, inf)},
      {kValue, Kpi(v1::KPI_TYPE_NUMBER, 1e16)},
      // percent: 0..100.
      {kValue, Kpi(v1::KPI_TYPE_PERCENT, 100.5)},
      {kValue, Kpi(v1::KPI_TYPE_PERCENT, 101)},
      {kValue, Kpi(v1::KPI_TYPE_PERCENT, -0.5)},
      // yes/no: 0 or 1.
      {kValue, Kpi(v1::KPI_TYPE_YES_NO, 0.5)},
      {kValue, Kpi(v1::KPI_TYPE_YES_NO, 2)},
      // ratio: a denominator in (0, 1e15], and the value not above it.
      {kDenom, Kpi(v1::KPI_TYPE_RATIO, 25)},  // missing
      {kDenom, Kpi(v1::KPI_TYPE_RATIO, 0, -53)},
      {kDenom, Kpi(v1::KPI_TYPE_RATIO, 25, nan)},
      {kDenom, Kpi(v1::KPI_TYPE_RATIO, 25, inf)},
      {kDenom, Kpi(v1::KPI_TYPE_RATIO, 25, 1e16)},
      {kValue, Kpi(v1::KPI_TYPE_RATIO, 54, 53)},
      {kValue, Kpi(v1::KPI_TYPE_RATIO, -1, 53)},
      // a denominator only on a ratio.
      {kDenom, Kpi(v1::KPI_TYPE_PERCENT, 80, 100)},
      {kDenom, Kpi(v1::KPI_TYPE_NUMBER, 10, 20)},
      {kDenom, Kpi(v1::KPI_TYPE_YES_NO, 1, 1)},
  };
}

// Valid targets, including every boundary.
std::vector<v1::KpiTarget> GoodKpis() {
  return {
      Kpi(v1::KPI_TYPE_PERCENT, 0),        Kpi(v1::KPI_TYPE_PERCENT, 80),
      Kpi(v1::KPI_TYPE_PERCENT, 100),      Kpi(v1::KPI_TYPE_PERCENT, 99.5),
      Kpi(v1::KPI_TYPE_NUMBER, 0),         Kpi(v1::KPI_TYPE_NUMBER, 1234.5),
      Kpi(v1::KPI_TYPE_NUMBER, 1e15),      Kpi(v1::KPI_TYPE_RATIO, 25, 53),
      Kpi(v1::KPI_TYPE_RATIO, 53, 53),     Kpi(v1::KPI_TYPE_RATIO, 0, 1),
      Kpi(v1::KPI_TYPE_RATIO, 1e15, 1e15), Kpi(v1::KPI_TYPE_YES_NO, 0),
      Kpi(v1::KPI_TYPE_YES_NO, 1),         Kpi(v1::KPI_TYPE_NUMBER, 7, 0, std::string(500, 'k')),
  };
}

class TaskKpiTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    MakeUnit("H29");
  }

  static v1::CreateTaskRequest TaskReq(const v1::KpiTarget& kpi) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title("Chỉ tiêu");
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    *req.mutable_task()->mutable_kpi() = kpi;
    return req;
  }

  static v1::UpdateTaskRequest KpiUpdate(const std::string& name,
                                         const std::vector<std::string>& paths) {
    v1::UpdateTaskRequest req;
    req.mutable_task()->set_name(name);
    for (const std::string& p : paths) req.mutable_update_mask()->add_paths(p);
    return req;
  }
};

std::string Show(const v1::KpiTarget& kpi) { return kpi.ShortDebugString().substr(0, 200); }

TEST_F(TaskKpiTest, CreateRejectsEachInvalidKpiNamingTheField) {
  v1::Task existing = MakeTask("units/H29", "Có sẵn");
  for (const BadKpi& c : BadKpis()) {
    SCOPED_TRACE(c.field + " " + Show(c.kpi));
    EXPECT_THAT(client().CreateTask(TaskReq(c.kpi)).status(), IsInvalidField(c.field));
  }
  EXPECT_THAT(Names(AllTasks()), ElementsAre(existing.name()));
}

TEST_F(TaskKpiTest, CreateAcceptsValidKpisAndGetReturnsThem) {
  for (const v1::KpiTarget& kpi : GoodKpis()) {
    SCOPED_TRACE(Show(kpi));
    auto got = client().CreateTask(TaskReq(kpi));
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(got->task().kpi().SerializeAsString(), kpi.SerializeAsString());
    v1::Task read = GetTask(got->task().name());
    ASSERT_TRUE(read.has_kpi());
    EXPECT_EQ(read.kpi().SerializeAsString(), kpi.SerializeAsString());
  }
  EXPECT_THAT(AllTasks(), SizeIs(GoodKpis().size()));
}

TEST_F(TaskKpiTest, DescriptionIsStoredNormalised) {
  // NFD "hồ sơ" (o + circumflex + grave, o + horn), padded.
  auto got = client().CreateTask(
      TaskReq(Kpi(v1::KPI_TYPE_NUMBER, 3, 0, "  Số ho\xCC\x82\xCC\x80 so\xCC\x9B  ")));
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->task().kpi().description(), "Số hồ sơ");
  EXPECT_EQ(GetTask(got->task().name()).kpi().description(), "Số hồ sơ");
}

TEST_F(TaskKpiTest, UpdateRejectsEachInvalidKpiAndChangesNothing) {
  v1::Task t = Must(client().CreateTask(TaskReq(Kpi(v1::KPI_TYPE_PERCENT, 80))), "create").task();
  for (const BadKpi& c : BadKpis()) {
    SCOPED_TRACE(c.field + " " + Show(c.kpi));
    v1::UpdateTaskRequest req = KpiUpdate(t.name(), {"kpi"});
    *req.mutable_task()->mutable_kpi() = c.kpi;
    EXPECT_THAT(client().UpdateTask(req).status(), IsInvalidField(c.field));
  }
  EXPECT_EQ(GetTask(t.name()).SerializeAsString(), t.SerializeAsString());
  EXPECT_THAT(AllEvents(t.name()), SizeIs(1));  // CREATE_TASK only
}

TEST_F(TaskKpiTest, UpdateSetsReplacesAndClearsTheKpi) {
  v1::Task t = MakeTask("units/H29", "Chưa có chỉ tiêu");
  ASSERT_FALSE(t.has_kpi());
  for (const v1::KpiTarget& kpi : GoodKpis()) {
    SCOPED_TRACE(Show(kpi));
    v1::UpdateTaskRequest req = KpiUpdate(t.name(), {"kpi"});
    *req.mutable_task()->mutable_kpi() = kpi;
    auto got = client().UpdateTask(req);
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(got->task().kpi().SerializeAsString(), kpi.SerializeAsString());
    v1::Task read = GetTask(t.name());
    EXPECT_EQ(read.kpi().SerializeAsString(), kpi.SerializeAsString());
    EXPECT_NE(read.etag(), t.etag());
    t = read;
  }
  std::vector<v1::Event> events = AllEvents(t.name());
  ASSERT_THAT(events, SizeIs(1 + GoodKpis().size()));
  EXPECT_EQ(events.back().action(), v1::EVENT_ACTION_UPDATE_TASK);
  EXPECT_THAT(events.back().changed_fields(), ElementsAre("kpi"));
  EXPECT_EQ(events.back().task().kpi().SerializeAsString(), GoodKpis().back().SerializeAsString());

  // A KPI outside the mask is ignored, even an invalid one.
  {
    v1::UpdateTaskRequest req = KpiUpdate(t.name(), {"title"});
    req.mutable_task()->set_title("Tiêu đề mới");
    *req.mutable_task()->mutable_kpi() = Kpi(v1::KPI_TYPE_PERCENT, 500);
    ASSERT_THAT(client().UpdateTask(req).status(), IsOk());
    v1::Task read = GetTask(t.name());
    EXPECT_EQ(read.title(), "Tiêu đề mới");
    EXPECT_EQ(read.kpi().SerializeAsString(), t.kpi().SerializeAsString());
  }
  // "kpi" in the mask with no kpi in the request clears it.
  {
    ASSERT_THAT(client().UpdateTask(KpiUpdate(t.name(), {"kpi"})).status(), IsOk());
    EXPECT_FALSE(GetTask(t.name()).has_kpi());
  }
}

}  // namespace
}  // namespace d06::testing
