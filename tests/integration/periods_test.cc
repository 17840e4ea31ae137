// Recurring tasks (thực hiện thường xuyên): a cadence, one period report per period filed
// in order, and the periods that ended without one shown on the assignment and counted in
// reports as of any date.
#include <string>
#include <vector>

#include "d06/v1/api_names.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;

class PeriodsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();  // today: 20/03/2026
    MakeUnit("H29", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Nghệ An");
    MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  }
  std::string Recurring(v1::Cadence cadence) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title("Báo cáo kết quả triển khai Đề án 06");
    req.mutable_task()->set_kind(v1::TASK_KIND_RECURRING);
    req.mutable_task()->set_cadence(cadence);
    req.mutable_task()->set_assigning_unit("units/H29");
    v1::KpiTarget* kpi = req.mutable_task()->mutable_kpi();
    kpi->set_description("Số tài khoản định danh được kích hoạt");
    kpi->set_type(v1::KPI_TYPE_NUMBER);
    kpi->set_target_value(10000);
    v1::Assignment* lead = req.add_assignments();
    lead->set_unit("units/H29.01");
    lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    return Must(client().CreateTask(req)).assignments(0).name();
  }
  absl::StatusOr<v1::FilePeriodReportResponse> File(const std::string& name, const v1::Date& period,
                                                    const std::string& note = "Đã thực hiện") {
    v1::FilePeriodReportRequest req;
    req.set_name(name);
    *req.mutable_period() = period;
    req.set_note(note);
    return client().FilePeriodReport(req);
  }
};

TEST_F(PeriodsTest, MonthlyReportsAreFiledInOrderAndMissingOnesShow) {
  const std::string name = Recurring(v1::CADENCE_MONTHLY);
  EXPECT_EQ(GetAssignment(name).missing_period_reports(), 0);
  EXPECT_EQ(GetAssignment(name).cadence(), v1::CADENCE_MONTHLY);
  SetToday(2026, 4, 2);
  EXPECT_EQ(GetAssignment(name).missing_period_reports(), 1);           // March ended unreported
  EXPECT_EQ(AllAssignments("tasks/-")[0].missing_period_reports(), 1);  // lists show it

  v1::FilePeriodReportRequest march;
  march.set_name(name);
  *march.mutable_period() = Day(2026, 3, 15);  // any day of the period
  march.set_note("Kích hoạt 4.200 tài khoản");
  march.set_kpi_value(4200);
  v1::FilePeriodReportResponse filed = Must(client().FilePeriodReport(march));
  EXPECT_EQ(filed.period_report().name(), name + "/periodReports/2026-03-01");
  EXPECT_EQ(filed.period_report().period_end().day(), 31);
  EXPECT_TRUE(filed.period_report().late());
  EXPECT_EQ(filed.period_report().kpi_value(), 4200);
  EXPECT_EQ(filed.period_report().reported_by(), "tester");
  EXPECT_EQ(filed.assignment().state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  EXPECT_EQ(filed.assignment().kpi_value().value(), 4200);
  EXPECT_EQ(GetAssignment(name).missing_period_reports(), 0);
  EXPECT_EQ(GetAssignment(name).last_period_reported().month(), 3);

  // April has begun: it may be reported, on time; then not again.
  EXPECT_FALSE(Must(File(name, Day(2026, 4, 30))).period_report().late());
  auto again = File(name, Day(2026, 4, 1));
  EXPECT_THAT(again.status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kPeriodNotNext));
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("01/05/2026"));
  // May has not begun.
  EXPECT_THAT(File(name, Day(2026, 5, 1)).status(), IsInvalidField("period"));
  // In June, May is missing and must come first.
  SetToday(2026, 6, 5);
  EXPECT_EQ(GetAssignment(name).missing_period_reports(), 1);
  EXPECT_THAT(File(name, Day(2026, 6, 1)).status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kPeriodNotNext));
  ASSERT_THAT(File(name, Day(2026, 5, 1)).status(), IsOk());

  // Listed oldest first, a page at a time.
  v1::ListPeriodReportsRequest list;
  list.set_parent(name);
  list.set_page_size(2);
  std::vector<std::string> periods;
  do {
    v1::ListPeriodReportsResponse page = Must(client().ListPeriodReports(list));
    for (const auto& r : page.period_reports()) periods.push_back(r.name().substr(name.size()));
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_EQ(periods,
            (std::vector<std::string>{"/periodReports/2026-03-01", "/periodReports/2026-04-01",
                                      "/periodReports/2026-05-01"}));
}

TEST_F(PeriodsTest, QuarterlyPeriodsAndTheReportCountsAsOfAnyDate) {
  const std::string name = Recurring(v1::CADENCE_QUARTERLY);
  SetToday(2026, 7, 1);
  EXPECT_EQ(GetAssignment(name).missing_period_reports(), 2);  // Q1 and Q2
  v1::GetSummaryRequest summary;
  summary.set_unit("units/H29");
  v1::SummaryCounts now = Must(client().GetSummary(summary)).total();
  EXPECT_EQ(now.recurring(), 1);
  EXPECT_EQ(now.recurring_missing_report(), 1);
  EXPECT_EQ(now.overdue(), 0);  // recurring work is never overdue as such
  ASSERT_THAT(File(name, Day(2026, 2, 1)).status(), IsOk());   // Q1
  ASSERT_THAT(File(name, Day(2026, 6, 30)).status(), IsOk());  // Q2
  EXPECT_EQ(Must(client().GetSummary(summary)).total().recurring_missing_report(), 0);
  *summary.mutable_as_of() = Day(2026, 4, 5);  // then, Q1 had ended unreported
  EXPECT_EQ(Must(client().GetSummary(summary)).total().recurring_missing_report(), 1);
  *summary.mutable_as_of() = Day(2026, 3, 31);  // Q1 not over yet
  EXPECT_EQ(Must(client().GetSummary(summary)).total().recurring_missing_report(), 0);
}

TEST_F(PeriodsTest, CadenceIsForRecurringTasksOnlyAndImmutable) {
  v1::CreateTaskRequest one_off;
  one_off.mutable_task()->set_title("Một lần");
  one_off.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  one_off.mutable_task()->set_assigning_unit("units/H29");
  one_off.mutable_task()->set_cadence(v1::CADENCE_MONTHLY);
  EXPECT_THAT(client().CreateTask(one_off).status(), IsInvalidField("task.cadence"));
  one_off.mutable_task()->set_kind(v1::TASK_KIND_RECURRING);
  one_off.mutable_task()->set_cadence(static_cast<v1::Cadence>(9));
  EXPECT_THAT(client().CreateTask(one_off).status(), IsInvalidField("task.cadence"));
  one_off.mutable_task()->clear_cadence();
  v1::Task made = Must(client().CreateTask(one_off)).task();
  EXPECT_EQ(made.cadence(), v1::CADENCE_MONTHLY);  // the default

  v1::UpdateTaskRequest update;
  update.mutable_task()->set_name(made.name());
  update.mutable_task()->set_cadence(v1::CADENCE_YEARLY);
  update.mutable_update_mask()->add_paths("cadence");
  EXPECT_EQ(client().UpdateTask(update).status().code(), absl::StatusCode::kInvalidArgument);

  // Period reports are for recurring tasks, open work and a given period.
  v1::Task plain = MakeTask("units/H29", "Một lần", Day(2026, 6, 30));
  std::string one = Assign(plain.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD).name();
  EXPECT_THAT(File(one, Day(2026, 3, 1)).status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kInvalidTransition));
  const std::string name = Recurring(v1::CADENCE_MONTHLY);
  EXPECT_THAT(File(name, v1::Date()).status(), IsInvalidField("period"));
  EXPECT_THAT(File(name, Day(2026, 2, 30)).status(), IsInvalidField("period"));
  EXPECT_THAT(File(name, Day(2026, 3, 1), std::string(2001, 'x')).status(), IsInvalidField("note"));
  v1::FilePeriodReportRequest bad_kpi;
  bad_kpi.set_name(name);
  *bad_kpi.mutable_period() = Day(2026, 3, 1);
  bad_kpi.set_kpi_value(-5);
  EXPECT_THAT(client().FilePeriodReport(bad_kpi).status(), IsInvalidField("kpi_value"));
  Decline(name);
  EXPECT_THAT(File(name, Day(2026, 3, 1)).status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kInvalidTransition));
  v1::ListPeriodReportsRequest list;
  list.set_parent(name);
  EXPECT_TRUE(Must(client().ListPeriodReports(list)).period_reports().empty());
}

}  // namespace
}  // namespace d06::testing
