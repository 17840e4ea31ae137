// KPI values (chỉ tiêu): reported with progress and submission, checked against the task's
// KPI type, the latest shown with the assignment and every earlier one kept in the history.
#include <limits>
#include <string>
#include <vector>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;

class KpiValuesTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    MakeUnit("H29");
    MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title("Tỷ lệ hồ sơ trực tuyến");
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    v1::KpiTarget* kpi = req.mutable_task()->mutable_kpi();
    kpi->set_description("Tỷ lệ hồ sơ nộp trực tuyến");
    kpi->set_type(v1::KPI_TYPE_PERCENT);
    kpi->set_target_value(90);
    v1::Assignment* lead = req.add_assignments();
    lead->set_unit("units/H29.01");
    lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    v1::CreateTaskResponse created = Must(client().CreateTask(req));
    task_ = created.task().name();
    name_ = created.assignments(0).name();
  }
  absl::StatusOr<v1::ReportAssignmentProgressResponse> Report(double value, int percent = 50) {
    v1::ReportAssignmentProgressRequest req;
    req.set_name(name_);
    req.set_percent(percent);
    req.set_kpi_value(value);
    return client().ReportAssignmentProgress(req);
  }

  std::string task_;
  std::string name_;
};

TEST_F(KpiValuesTest, TheLatestShowsAndTheHistoryKeepsEveryValue) {
  EXPECT_FALSE(GetAssignment(name_).has_kpi_value());
  ASSERT_THAT(Report(40).status(), IsOk());
  clock().Advance(absl::Hours(24));
  v1::Assignment after = Must(Report(62.5)).assignment();
  EXPECT_EQ(after.kpi_value().value(), 62.5);
  EXPECT_EQ(after.kpi_value().report_time().seconds(), absl::ToUnixSeconds(clock().Now()));
  v1::SubmitAssignmentRequest submit;
  submit.set_name(name_);
  submit.set_kpi_value(91);
  ASSERT_THAT(client().SubmitAssignment(submit).status(), IsOk());
  // Progress without a value keeps the latest.
  EXPECT_EQ(GetAssignment(name_).kpi_value().value(), 91);

  std::vector<double> values;
  for (const v1::Event& e : AllEvents(task_)) {
    bool changed = false;
    for (const std::string& f : e.changed_fields()) changed = changed || f == "kpi_value";
    if (changed) values.push_back(e.assignment().kpi_value().value());
  }
  EXPECT_THAT(values, ElementsAre(40, 62.5, 91));
}

TEST_F(KpiValuesTest, ValuesTheTargetDoesNotAllowAreRefusedAndChangeNothing) {
  ASSERT_THAT(Report(40, 30).status(), IsOk());
  for (double bad : {-1.0, 100.5, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(Report(bad, 80).status(), IsInvalidField("kpi_value"));
  }
  v1::Assignment unchanged = GetAssignment(name_);
  EXPECT_EQ(unchanged.kpi_value().value(), 40);
  EXPECT_EQ(unchanged.progress_percent(), 30);

  // A task without a KPI target takes no value.
  v1::Task plain = MakeTask("units/H29", "Không có chỉ tiêu");
  std::string other = Assign(plain.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD).name();
  v1::ReportAssignmentProgressRequest req;
  req.set_name(other);
  req.set_percent(10);
  req.set_kpi_value(1);
  EXPECT_THAT(client().ReportAssignmentProgress(req).status(), IsInvalidField("kpi_value"));
}

}  // namespace
}  // namespace d06::testing
