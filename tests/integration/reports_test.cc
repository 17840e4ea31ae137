// ReportService.GetSummary: the government's report lines reproduced through the API,
// numbers checked against an independent count of the assignments, roll-ups that add up,
// and past dates that keep their numbers after later changes.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "d06/v1/api_names.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

class ReportsTest : public ServerTest {
 protected:
  // A task assigned by `assigning` whose lead is `unit`, created in one request.
  std::string Lead(const std::string& unit, const v1::Date& deadline = v1::Date(),
                   v1::TaskKind kind = v1::TASK_KIND_ONE_OFF,
                   const std::string& assigning = "units/TW") {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title("Nhiệm vụ Đề án 06");
    req.mutable_task()->set_kind(kind);
    req.mutable_task()->set_assigning_unit(assigning);
    if (deadline.year() != 0) *req.mutable_task()->mutable_deadline() = deadline;
    v1::Assignment* lead = req.add_assignments();
    lead->set_unit(unit);
    lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    return Must(client().CreateTask(req), "CreateTask").assignments(0).name();
  }
  // A one-off task of units/TW led by `unit`, with a category, a directive number (none
  // when empty) and labels: the groups a report can be grouped or filtered by.
  std::string GroupedLead(const std::string& unit, const v1::Date& deadline,
                          const std::string& category, const std::string& directive,
                          const std::vector<std::string>& labels) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title("Nhiệm vụ");
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/TW");
    req.mutable_task()->set_category(category);
    if (!directive.empty()) req.mutable_task()->mutable_directive()->set_number(directive);
    for (const std::string& label : labels) req.mutable_task()->add_labels(label);
    *req.mutable_task()->mutable_deadline() = deadline;
    v1::Assignment* lead = req.add_assignments();
    lead->set_unit(unit);
    lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    return Must(client().CreateTask(req), "CreateTask").assignments(0).name();
  }
  void Complete(const std::string& name) {
    Start(name);
    Submit(name);
    Approve(name);
  }
  v1::GetSummaryResponse Summary(const std::string& unit, const v1::Date& as_of = v1::Date(),
                                 v1::SummaryGroupBy group_by = v1::SUMMARY_GROUP_BY_NONE) {
    v1::GetSummaryRequest req;
    req.set_unit(unit);
    *req.mutable_as_of() = as_of;
    req.set_group_by(group_by);
    return Must(client().GetSummary(req), "GetSummary " + unit);
  }
  void SetUp() override {
    ServerTest::SetUp();
    MakeUnit("TW", v1::UNIT_KIND_MINISTRY);
  }
};

// "Bình Định đã hoàn thành 67/71 nhiệm vụ".
TEST_F(ReportsTest, BinhDinhCompleted67Of71) {
  MakeUnit("H52", v1::UNIT_KIND_PROVINCE, "", "Bình Định");
  MakeUnit("H52.01", v1::UNIT_KIND_DEPARTMENT, "units/H52", "Công an tỉnh");
  std::vector<std::string> leads;
  for (int i = 0; i < 71; ++i) {
    leads.push_back(Lead(i % 2 ? "units/H52" : "units/H52.01", Day(2026, 6, 30)));
  }
  for (int i = 0; i < 67; ++i) Complete(leads[i]);
  v1::GetSummaryResponse s = Summary("units/H52");
  EXPECT_EQ(s.total().completed_ratio(), "67/71");
  EXPECT_EQ(s.total().completed(), 67);
  EXPECT_EQ(s.total().total(), 71);
  EXPECT_EQ(s.total().completed_percent(), 94.4);
  EXPECT_EQ(s.completed_line(), "Bình Định đã hoàn thành 67/71 nhiệm vụ (94,4%)");
}

// "Tổng số 106 nhiệm vụ: đã hoàn thành 41; chưa hoàn thành 14; thực hiện thường xuyên 18;
// đang triển khai 33", and the four add up to the total.
TEST_F(ReportsTest, DongThap106Is41Plus14Plus18Plus33) {
  MakeUnit("H87", v1::UNIT_KIND_PROVINCE, "", "Đồng Tháp");
  MakeUnit("H87.01", v1::UNIT_KIND_DEPARTMENT, "units/H87");
  MakeUnit("H87.02", v1::UNIT_KIND_DISTRICT, "units/H87");
  auto unit = [](int i) {
    return i % 3 == 0 ? "units/H87" : i % 3 == 1 ? "units/H87.01" : "units/H87.02";
  };
  for (int i = 0; i < 41; ++i) Complete(Lead(unit(i), Day(2026, 3, 31)));
  std::vector<std::string> late;
  for (int i = 0; i < 14; ++i) late.push_back(Lead(unit(i), Day(2026, 3, 25)));
  for (int i = 0; i < 7; ++i) Start(late[i]);
  for (int i = 0; i < 18; ++i) Lead(unit(i), v1::Date(), v1::TASK_KIND_RECURRING);
  for (int i = 0; i < 33; ++i) {
    std::string name = Lead(unit(i), i < 30 ? Day(2026, 5, 15) : v1::Date());
    if (i % 2) Start(name);
  }
  SetToday(2026, 4, 2);  // the 14 are past their deadline now
  v1::GetSummaryResponse s = Summary("units/H87");
  EXPECT_EQ(s.total().total(), 106);
  EXPECT_EQ(s.total().completed(), 41);
  EXPECT_EQ(s.total().overdue(), 14);
  EXPECT_EQ(s.total().recurring(), 18);
  EXPECT_EQ(s.total().in_progress_on_time(), 33);
  EXPECT_EQ(s.status_line(),
            "Tổng số 106 nhiệm vụ: đã hoàn thành 41; chưa hoàn thành 14; thực hiện thường "
            "xuyên 18; đang triển khai 33");
  // The central form: of the 55 that came due, 41 done on time, 14 not done and overdue.
  EXPECT_EQ(s.total().due(), 55);
  EXPECT_EQ(s.total().due_completed_on_time(), 41);
  EXPECT_EQ(s.total().due_not_completed_overdue(), 14);
  EXPECT_EQ(s.total().due_completed_on_time_percent(), 74.5);
  EXPECT_EQ(s.total().due_not_completed_overdue_percent(), 25.5);
  EXPECT_EQ(s.total().not_started(), 7 + 17);
}

// Numbers computed independently, from the lead assignments as ListAssignments shows them,
// for a province with departments, a district and its communes; and the roll-up.
TEST_F(ReportsTest, ProvinceMatchesAnIndependentCountAndRollUpsAddUp) {
  MakeUnit("H40", v1::UNIT_KIND_PROVINCE, "", "Nghệ An");
  MakeUnit("H40.01", v1::UNIT_KIND_DEPARTMENT, "units/H40");
  MakeUnit("H40.02", v1::UNIT_KIND_DEPARTMENT, "units/H40");
  MakeUnit("H40.10", v1::UNIT_KIND_DISTRICT, "units/H40");
  MakeUnit("H40.10.01", v1::UNIT_KIND_COMMUNE, "units/H40.10");
  MakeUnit("H40.10.02", v1::UNIT_KIND_COMMUNE, "units/H40.10");
  const std::vector<std::string> units = {"units/H40",    "units/H40.01",    "units/H40.02",
                                          "units/H40.10", "units/H40.10.01", "units/H40.10.02"};
  // A mix: 60 tasks whose leads end in every state, with three deadlines.
  for (int i = 0; i < 60; ++i) {
    const std::string& unit = units[i % units.size()];
    const v1::Date deadline = i % 4 == 0   ? Day(2026, 3, 22)
                              : i % 4 == 1 ? Day(2026, 3, 28)
                              : i % 4 == 2 ? Day(2026, 4, 30)
                                           : v1::Date();
    if (i % 11 == 5) {
      Lead(unit, v1::Date(), v1::TASK_KIND_RECURRING);
      continue;
    }
    std::string name = Lead(unit, deadline);
    switch (i % 7) {
      case 0:
        break;
      case 1:
        Start(name);
        break;
      case 2:
        Start(name);
        Submit(name);
        break;
      case 3:
        Complete(name);
        break;
      case 4:
        Decline(name);
        break;
      case 5:
        Revoke(name);
        break;
      case 6:
        SetToday(2026, 3, 25);
        Complete(name);  // late when the deadline was 22/03
        SetToday(2026, 3, 20);
        break;
    }
    if (i % 9 == 0) {
      v1::UrgeAssignmentRequest urge;
      urge.set_name(name);
      urge.set_message("Đôn đốc");
      (void)client().UrgeAssignment(urge);  // refused for closed work; counted when open
    }
  }
  // Support assignments do not count.
  MakeUnit("H41", v1::UNIT_KIND_PROVINCE);
  std::string support_task = Lead("units/H41", Day(2026, 3, 22));
  Assign(support_task.substr(0, support_task.find("/assignments")), "units/H40.01");
  SetToday(2026, 3, 29);

  // The independent count: every LEAD assignment in the subtree, judged by its fields.
  v1::SummaryCounts want;
  const absl::CivilDay today(2026, 3, 29);
  for (const v1::Assignment& a :
       AllAssignments("tasks/-", R"(unit_tree = "units/H40" AND role = LEAD)")) {
    v1::Task task = GetTask(a.name().substr(0, a.name().find("/assignments")));
    const bool open = a.state() == v1::ASSIGNMENT_STATE_NOT_STARTED ||
                      a.state() == v1::ASSIGNMENT_STATE_IN_PROGRESS ||
                      a.state() == v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE;
    want.set_urges(want.urges() + a.urge_count());
    if (a.state() == v1::ASSIGNMENT_STATE_DECLINED) {
      want.set_declined(want.declined() + 1);
      continue;
    }
    if (a.state() == v1::ASSIGNMENT_STATE_REVOKED) {
      want.set_revoked(want.revoked() + 1);
      continue;
    }
    want.set_total(want.total() + 1);
    if (task.kind() == v1::TASK_KIND_RECURRING) {
      want.set_recurring(want.recurring() + 1);
      continue;
    }
    const bool has_deadline = a.deadline().year() != 0;
    const absl::CivilDay deadline =
        has_deadline ? absl::CivilDay(a.deadline().year(), a.deadline().month(), a.deadline().day())
                     : absl::CivilDay();
    if (open) {
      if (a.state() == v1::ASSIGNMENT_STATE_NOT_STARTED)
        want.set_not_started(want.not_started() + 1);
      if (has_deadline && deadline < today) {
        want.set_overdue(want.overdue() + 1);
      } else {
        want.set_in_progress_on_time(want.in_progress_on_time() + 1);
      }
    } else {
      want.set_completed(want.completed() + 1);
      if (a.timeliness() == v1::TIMELINESS_COMPLETED_LATE) {
        want.set_completed_late(want.completed_late() + 1);
      } else {
        want.set_completed_on_time(want.completed_on_time() + 1);
      }
    }
  }
  ASSERT_GT(want.completed_late(), 0);
  ASSERT_GT(want.overdue(), 0);
  ASSERT_GT(want.urges(), 0);
  v1::GetSummaryResponse s = Summary("units/H40", v1::Date(), v1::SUMMARY_GROUP_BY_CHILD_UNIT);
  const v1::SummaryCounts& got = s.total();
  EXPECT_EQ(got.total(), want.total());
  EXPECT_EQ(got.completed(), want.completed());
  EXPECT_EQ(got.completed_on_time(), want.completed_on_time());
  EXPECT_EQ(got.completed_late(), want.completed_late());
  EXPECT_EQ(got.overdue(), want.overdue());
  EXPECT_EQ(got.in_progress_on_time(), want.in_progress_on_time());
  EXPECT_EQ(got.recurring(), want.recurring());
  EXPECT_EQ(got.not_started(), want.not_started());
  EXPECT_EQ(got.declined(), want.declined());
  EXPECT_EQ(got.revoked(), want.revoked());
  EXPECT_EQ(got.urges(), want.urges());
  EXPECT_EQ(got.total(),
            got.completed() + got.overdue() + got.in_progress_on_time() + got.recurring());

  // Rows: own first, then the three children; every field adds up to the total.
  ASSERT_THAT(s.rows(), SizeIs(4));
  EXPECT_TRUE(s.rows(0).own());
  EXPECT_EQ(s.rows(1).unit(), "units/H40.01");
  EXPECT_EQ(s.rows(3).unit(), "units/H40.10");
  const auto* reflection = got.GetReflection();
  const auto* descriptor = got.GetDescriptor();
  for (int f = 0; f < descriptor->field_count(); ++f) {
    const auto* field = descriptor->field(f);
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_INT64) continue;
    int64_t sum = 0;
    for (const v1::SummaryRow& row : s.rows()) sum += reflection->GetInt64(row.counts(), field);
    EXPECT_EQ(sum, reflection->GetInt64(got, field)) << field->name();
  }
  // A child's row is that child's own summary.
  EXPECT_EQ(s.rows(3).counts().total(), Summary("units/H40.10").total().total());
  EXPECT_EQ(Summary("units/H41").total().total(), 1);
}

// A report for a past date keeps its numbers after later extensions, completions,
// reopenings and cancellations; each date has its own.
TEST_F(ReportsTest, PastDatesKeepTheirNumbers) {
  MakeUnit("H31", v1::UNIT_KIND_PROVINCE, "", "Hải Phòng");
  std::string a = Lead("units/H31", Day(2026, 3, 25));
  std::string b = Lead("units/H31", Day(2026, 3, 25));
  std::string c = Lead("units/H31", Day(2026, 3, 31));
  Complete(c);
  SetToday(2026, 3, 27);  // a and b overdue
  const v1::GetSummaryResponse march27 = Summary("units/H31");
  EXPECT_EQ(march27.total().overdue(), 2);
  EXPECT_EQ(march27.total().completed(), 1);

  // 28/03: an extension for a (back to on time), b completed late, c reopened.
  SetToday(2026, 3, 28);
  v1::RequestExtensionRequest ask;
  ask.set_name(a);
  *ask.mutable_deadline() = Day(2026, 4, 30);
  ask.set_reason("Chờ kinh phí");
  ASSERT_THAT(client().RequestExtension(ask).status(), IsOk());
  v1::ApproveExtensionRequest approve;
  approve.set_name(a);
  ASSERT_THAT(client().ApproveExtension(approve).status(), IsOk());
  Complete(b);
  v1::ReopenAssignmentRequest reopen;
  reopen.set_name(c);
  reopen.set_reason("Chưa đạt");
  ASSERT_THAT(client().ReopenAssignment(reopen).status(), IsOk());
  SetToday(2026, 4, 5);
  v1::CancelTaskRequest cancel;
  cancel.set_name(c.substr(0, c.find("/assignments")));
  cancel.set_reason("Không còn phù hợp");
  ASSERT_THAT(client().CancelTask(cancel).status(), IsOk());

  const v1::GetSummaryResponse again27 = Summary("units/H31", Day(2026, 3, 27));
  EXPECT_EQ(again27.total().DebugString(), march27.total().DebugString());
  EXPECT_EQ(again27.status_line(), march27.status_line());

  const v1::SummaryCounts march28 = Summary("units/H31", Day(2026, 3, 28)).total();
  EXPECT_EQ(march28.total(), 3);
  EXPECT_EQ(march28.completed_late(), 1);       // b
  EXPECT_EQ(march28.in_progress_on_time(), 2);  // a extended, c reopened
  EXPECT_EQ(march28.overdue(), 0);
  const v1::SummaryCounts april5 = Summary("units/H31").total();
  EXPECT_EQ(april5.total(), 2);
  EXPECT_EQ(april5.revoked(), 1);  // c, by the cancellation
  // Before anything existed.
  EXPECT_EQ(Summary("units/H31", Day(2026, 3, 19)).total().total(), 0);
  // The numbers survive a restart.
  Restart();
  EXPECT_EQ(Summary("units/H31", Day(2026, 3, 27)).total().DebugString(),
            march27.total().DebugString());
}

// Đồng Tháp's 106 counted a task twice: its declined lead in `declined` and the lead that
// took over in the total. A task counts in exactly one class, through its newest lead.
TEST_F(ReportsTest, ATaskWhoseLeadWasReplacedCountsOnceThroughTheNewLead) {
  MakeUnit("H87", v1::UNIT_KIND_PROVINCE, "", "Đồng Tháp");
  MakeUnit("H87.01", v1::UNIT_KIND_DEPARTMENT, "units/H87");
  MakeUnit("H87.02", v1::UNIT_KIND_DEPARTMENT, "units/H87");
  MakeUnit("H87.03", v1::UNIT_KIND_DEPARTMENT, "units/H87");
  const std::string first = Lead("units/H87.01", Day(2026, 6, 30));
  const std::string task = first.substr(0, first.find("/assignments"));
  Decline(first);
  const v1::SummaryCounts declined = Summary("units/H87").total();
  EXPECT_EQ(declined.total(), 0);
  EXPECT_EQ(declined.declined(), 1);

  SetToday(2026, 3, 23);  // a new lead takes the task over
  const std::string second =
      Assign(task, "units/H87.02", v1::ASSIGNMENT_ROLE_LEAD, Day(2026, 6, 30)).name();
  const v1::Assignment replaced = GetAssignment(first);
  EXPECT_EQ(replaced.replaced_by(), "units/H87.02");
  EXPECT_EQ(replaced.state(), v1::ASSIGNMENT_STATE_DECLINED);
  const v1::SummaryCounts taken_over = Summary("units/H87").total();
  EXPECT_EQ(taken_over.total(), 1);
  EXPECT_EQ(taken_over.in_progress_on_time(), 1);
  EXPECT_EQ(taken_over.declined(), 0);
  // By child unit the rows still add up: the task is in H87.02's row only.
  const v1::GetSummaryResponse by_unit =
      Summary("units/H87", v1::Date(), v1::SUMMARY_GROUP_BY_CHILD_UNIT);
  int64_t rows_total = 0, rows_declined = 0;
  for (const v1::SummaryRow& row : by_unit.rows()) {
    rows_total += row.counts().total();
    rows_declined += row.counts().declined();
  }
  EXPECT_EQ(rows_total, 1);
  EXPECT_EQ(rows_declined, 0);
  // The change is recorded in the history of the replaced lead.
  bool recorded = false;
  for (const v1::Event& e : AllEvents(task)) {
    recorded |= e.resource() == first && e.action() == v1::EVENT_ACTION_UPDATE_ASSIGNMENT &&
                e.assignment().replaced_by() == "units/H87.02";
  }
  EXPECT_TRUE(recorded);

  // The new lead revoked: the task counts once, as revoked.
  SetToday(2026, 3, 24);
  Revoke(second);
  const v1::SummaryCounts revoked = Summary("units/H87").total();
  EXPECT_EQ(revoked.total(), 0);
  EXPECT_EQ(revoked.revoked(), 1);
  EXPECT_EQ(revoked.declined(), 0);

  // The first lead reopened takes the task back; the revoked one stops counting.
  SetToday(2026, 3, 25);
  v1::ReopenAssignmentRequest reopen;
  reopen.set_name(first);
  reopen.set_reason("Đã bố trí được nhân lực");
  ASSERT_THAT(client().ReopenAssignment(reopen).status(), IsOk());
  EXPECT_EQ(GetAssignment(first).replaced_by(), "");
  EXPECT_EQ(GetAssignment(second).replaced_by(), "units/H87.01");
  const v1::SummaryCounts back = Summary("units/H87").total();
  EXPECT_EQ(back.total(), 1);
  EXPECT_EQ(back.not_started(), 1);
  EXPECT_EQ(back.revoked(), 0);
  EXPECT_EQ(back.declined(), 0);

  // Past dates keep their numbers.
  EXPECT_EQ(Summary("units/H87", Day(2026, 3, 20)).total().DebugString(), declined.DebugString());
  EXPECT_EQ(Summary("units/H87", Day(2026, 3, 23)).total().DebugString(), taken_over.DebugString());
  EXPECT_EQ(Summary("units/H87", Day(2026, 3, 24)).total().DebugString(), revoked.DebugString());
}

// By category, directive or label, as of any date; a task whose category changes moves
// to its new row from that day on.
TEST_F(ReportsTest, GroupedByCategoryDirectiveAndLabel) {
  MakeUnit("H31", v1::UNIT_KIND_PROVINCE, "", "Hải Phòng");
  MakeUnit("H31.01", v1::UNIT_KIND_DEPARTMENT, "units/H31");
  auto lead = [&](const std::string& category, const std::string& directive,
                  const std::vector<std::string>& labels) {
    return GroupedLead("units/H31.01", Day(2026, 6, 30), category, directive, labels);
  };
  const std::string a = lead("Dịch vụ công", "06/QĐ-TTg", {"2026", "trọng tâm"});
  const std::string b = lead("Dân cư", "06/QĐ-TTg", {"2026"});
  lead("Dịch vụ công", "", {});
  Complete(a);
  auto rows = [&](v1::SummaryGroupBy by, const v1::Date& as_of = v1::Date()) {
    std::map<std::string, std::pair<int64_t, int64_t>> out;  // group -> (total, completed)
    const v1::GetSummaryResponse summary = Summary("units/H31", as_of, by);
    for (const v1::SummaryRow& row : summary.rows()) {
      EXPECT_EQ(row.unit(), "units/H31");
      out[row.group()] = {row.counts().total(), row.counts().completed()};
    }
    return out;
  };
  using Rows = std::map<std::string, std::pair<int64_t, int64_t>>;
  EXPECT_EQ(rows(v1::SUMMARY_GROUP_BY_CATEGORY),
            (Rows{{"Dân cư", {1, 0}}, {"Dịch vụ công", {2, 1}}}));
  EXPECT_EQ(rows(v1::SUMMARY_GROUP_BY_DIRECTIVE), (Rows{{"", {1, 0}}, {"06/QĐ-TTg", {2, 1}}}));
  EXPECT_EQ(rows(v1::SUMMARY_GROUP_BY_LABEL), (Rows{{"2026", {2, 1}}, {"trọng tâm", {1, 1}}}));
  EXPECT_EQ(Summary("units/H31", v1::Date(), v1::SUMMARY_GROUP_BY_CATEGORY).rows(0).display_name(),
            "Dân cư");  // Vietnamese order: "Dân" before "Dịch"

  // 25/03: b moves to another category and loses its label.
  SetToday(2026, 3, 25);
  v1::UpdateTaskRequest move;
  move.mutable_task()->set_name(b.substr(0, b.find("/assignments")));
  move.mutable_task()->set_category("Định danh điện tử");
  move.mutable_update_mask()->add_paths("category");
  move.mutable_update_mask()->add_paths("labels");
  ASSERT_THAT(client().UpdateTask(move).status(), IsOk());
  EXPECT_EQ(rows(v1::SUMMARY_GROUP_BY_CATEGORY),
            (Rows{{"Dịch vụ công", {2, 1}}, {"Định danh điện tử", {1, 0}}}));
  EXPECT_EQ(rows(v1::SUMMARY_GROUP_BY_LABEL), (Rows{{"2026", {1, 1}}, {"trọng tâm", {1, 1}}}));
  EXPECT_EQ(rows(v1::SUMMARY_GROUP_BY_CATEGORY, Day(2026, 3, 24)),
            (Rows{{"Dân cư", {1, 0}}, {"Dịch vụ công", {2, 1}}}));
  EXPECT_EQ(Summary("units/H31").total().total(), 3);
}

// The dashboard filters the whole page by a category, directive or label: the total and
// every row by child unit count only those tasks, and add up as without a filter.
TEST_F(ReportsTest, FilteredByCategoryDirectiveOrLabel) {
  MakeUnit("H31", v1::UNIT_KIND_PROVINCE, "", "Hải Phòng");
  MakeUnit("H31.01", v1::UNIT_KIND_DEPARTMENT, "units/H31");
  MakeUnit("H31.02", v1::UNIT_KIND_DEPARTMENT, "units/H31");
  auto lead = [&](const std::string& unit, const std::string& category,
                  const std::string& directive, const std::vector<std::string>& labels, int day) {
    return GroupedLead(unit, Day(2026, 3, day), category, directive, labels);
  };
  Complete(lead("units/H31.01", "Dịch vụ công", "06/QĐ-TTg", {"2026", "trọng tâm"}, 30));
  lead("units/H31.01", "Dân cư", "06/QĐ-TTg", {"2026"}, 19);  // overdue (today is 20/03)
  lead("units/H31.02", "Dịch vụ công", "", {}, 30);
  lead("units/H31.02", "Dịch vụ công", "", {"2026"}, 10);  // overdue
  auto summary = [&](const std::string& filter) {
    v1::GetSummaryRequest req;
    req.set_unit("units/H31");
    req.set_group_by(v1::SUMMARY_GROUP_BY_CHILD_UNIT);
    req.set_filter(filter);
    return Must(client().GetSummary(req), "GetSummary " + filter);
  };
  // (total, completed, overdue) of the total and of H31.01 and H31.02.
  auto counts = [&](const std::string& filter) {
    const v1::GetSummaryResponse s = summary(filter);
    std::vector<std::vector<int64_t>> out;
    auto add = [&](const v1::SummaryCounts& c) {
      out.push_back({c.total(), c.completed(), c.overdue()});
    };
    add(s.total());
    EXPECT_THAT(s.rows(), SizeIs(3));
    for (int i = 1; i < s.rows_size(); ++i) add(s.rows(i).counts());
    return out;
  };
  using Counts = std::vector<std::vector<int64_t>>;
  EXPECT_EQ(counts(""), (Counts{{4, 1, 2}, {2, 1, 1}, {2, 0, 1}}));
  EXPECT_EQ(counts(R"(category = "Dịch vụ công")"), (Counts{{3, 1, 1}, {1, 1, 0}, {2, 0, 1}}));
  EXPECT_EQ(counts(R"(directive = "06/QĐ-TTg")"), (Counts{{2, 1, 1}, {2, 1, 1}, {0, 0, 0}}));
  EXPECT_EQ(counts(R"(directive = "")"), (Counts{{2, 0, 1}, {0, 0, 0}, {2, 0, 1}}));
  EXPECT_EQ(counts("label = 2026"), (Counts{{3, 1, 2}, {2, 1, 1}, {1, 0, 1}}));
  EXPECT_EQ(counts(R"(label = "trọng tâm")"), (Counts{{1, 1, 0}, {1, 1, 0}, {0, 0, 0}}));
  EXPECT_EQ(counts(R"(category = "Không có")"), (Counts{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}));
  const v1::GetSummaryResponse filtered = summary(R"(category = "Dân cư")");
  EXPECT_EQ(filtered.completed_line(), "Hải Phòng đã hoàn thành 0/1 nhiệm vụ (0,0%)");
  EXPECT_EQ(filtered.total().due_not_completed_overdue(), 1);

  for (const std::string bad : {"unit = H31", "category != X", "category = A AND label = B",
                                "label = 2026 AND label = 2027", "category ="}) {
    SCOPED_TRACE(bad);
    v1::GetSummaryRequest req;
    req.set_unit("units/H31");
    req.set_filter(bad);
    EXPECT_THAT(client().GetSummary(req).status(),
                IsError(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidFilter));
  }
  v1::GetSummaryRequest grouped;
  grouped.set_unit("units/H31");
  grouped.set_filter("label = 2026");
  grouped.set_group_by(v1::SUMMARY_GROUP_BY_CATEGORY);
  EXPECT_THAT(client().GetSummary(grouped).status(),
              IsError(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidFilter));
}

TEST_F(ReportsTest, BadRequestsAreRefused) {
  MakeUnit("H31", v1::UNIT_KIND_PROVINCE);
  v1::GetSummaryRequest req;
  EXPECT_THAT(client().GetSummary(req).status(), IsInvalidField("unit"));
  req.set_unit("H31");
  EXPECT_THAT(client().GetSummary(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidName));
  req.set_unit("units/H99");
  EXPECT_THAT(client().GetSummary(req).status(),
              IsError(absl::StatusCode::kNotFound, v1::reason::kNotFound));
  req.set_unit("units/H31");
  *req.mutable_as_of() = Day(2026, 3, 21);  // tomorrow
  auto future = client().GetSummary(req);
  EXPECT_THAT(future.status(), IsInvalidField("as_of"));
  EXPECT_THAT(std::string(future.status().message()), HasSubstr("21/03/2026"));
  *req.mutable_as_of() = Day(2026, 2, 30);
  EXPECT_THAT(client().GetSummary(req).status(), IsInvalidField("as_of"));
  req.clear_as_of();
  req.set_group_by(static_cast<v1::SummaryGroupBy>(7));
  EXPECT_THAT(client().GetSummary(req).status(), IsInvalidField("group_by"));
  req.set_group_by(v1::SUMMARY_GROUP_BY_CHILD_UNIT);
  v1::GetSummaryResponse empty = Must(client().GetSummary(req));
  EXPECT_EQ(empty.total().total(), 0);
  EXPECT_EQ(empty.total().completed_percent(), 0);
  EXPECT_THAT(empty.rows(), SizeIs(1));  // the unit's own row
}

}  // namespace
}  // namespace d06::testing
