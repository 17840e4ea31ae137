// The 2025 reform on a hand-built country, applied on 10/07/2025 with effect from
// 01/07/2025 (UnitService.MergeUnits, DissolveUnit, RenameUnit): two provinces merged into
// one, a district dissolved and its communes moved to the province, three communes merged
// into a new one, a department renamed. Every report of every affected unit as of
// 30/06/2025 reads exactly as before, row by row; as of 01/07/2025 the work counts under
// the new tree, the rows add up and the province's totals are conserved; lists, the feed
// and task histories follow; the consistency check (which recounts a past day on the tree
// of that day) finds nothing. Then the rule for a successor that already has an
// assignment on the task, and a merge that a refusal stops halfway, which writes nothing.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "common/dates.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/domain/dates.h"
#include "server/model/consistency.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kDecision[] = "Nghị quyết 202/2025/QH15";

class ReformTest : public ServerTest {
 protected:
  v1::GetSummaryResponse Summary(const std::string& unit, const v1::Date& as_of) {
    v1::GetSummaryRequest req;
    req.set_unit(unit);
    *req.mutable_as_of() = as_of;
    req.set_group_by(v1::SUMMARY_GROUP_BY_CHILD_UNIT);
    return Must(client().GetSummary(req), "GetSummary " + unit);
  }

  absl::StatusOr<v1::MergeUnitsResponse> Merge(const std::vector<std::string>& names,
                                               const std::string& successor,
                                               const v1::Unit* new_successor = nullptr) {
    v1::MergeUnitsRequest req;
    for (const std::string& name : names) req.add_names(name);
    if (new_successor != nullptr) {
      *req.mutable_new_successor() = *new_successor;
    } else {
      req.set_successor(successor);
    }
    *req.mutable_effective_date() = Day(2025, 7, 1);
    req.set_reason(kDecision);
    return client().MergeUnits(req);
  }

  absl::StatusOr<v1::DissolveUnitResponse> Dissolve(const std::string& name,
                                                    const std::string& successor) {
    v1::DissolveUnitRequest req;
    req.set_name(name);
    req.set_successor(successor);
    *req.mutable_effective_date() = Day(2025, 7, 1);
    req.set_reason(kDecision);
    return client().DissolveUnit(req);
  }

  std::string Lead(const std::string& assigning, const std::string& title, const std::string& unit,
                   const v1::Date& deadline) {
    const v1::Task task = MakeTask(assigning, title, deadline);
    Assign(task.name(), unit, v1::ASSIGNMENT_ROLE_LEAD);
    return task.name();
  }

  std::vector<std::string> AssignmentsIn(const std::string& filter) {
    v1::ListAssignmentsRequest req;
    req.set_parent("tasks/-");
    req.set_filter(filter);
    std::vector<std::string> names;
    for (const v1::Assignment& a : ListAll(
             req, [&](const v1::ListAssignmentsRequest& r) { return client().ListAssignments(r); },
             [](const v1::ListAssignmentsResponse& p) -> auto& { return p.assignments(); },
             "ListAssignments " + filter)) {
      names.push_back(a.name());
    }
    return names;
  }

  int64_t Revision() {
    v1::WatchRequest req;
    req.set_start_revision(0);
    int64_t revision = 0;
    EXPECT_THAT(client().Watch(req,
                               [&](const v1::WatchResponse& r) {
                                 revision = r.revision();
                                 return false;
                               }),
                IsOk());
    return revision;
  }

  static void ExpectSame(const v1::GetSummaryResponse& before, const v1::GetSummaryResponse& after,
                         const std::string& what) {
    std::string differences;
    MessageDifferencer differ;
    differ.ReportDifferencesToString(&differences);
    EXPECT_TRUE(differ.Compare(before, after)) << what << ": " << differences;
  }

  // The sum of the child rows and the unit's own row of `summary`.
  static int64_t RowsTotal(const v1::GetSummaryResponse& summary) {
    int64_t total = 0;
    for (const v1::SummaryRow& row : summary.rows()) total += row.counts().total();
    return total;
  }
};

TEST_F(ReformTest, TheCountryOf2025) {
  SetToday(2025, 6, 1);
  MakeUnit("H01", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Một");
  MakeUnit("H01.S1", v1::UNIT_KIND_DEPARTMENT, "units/H01", "Sở Nội vụ");
  MakeUnit("H01.D1", v1::UNIT_KIND_DISTRICT, "units/H01", "Huyện Một");
  MakeUnit("H01.D1.X1", v1::UNIT_KIND_COMMUNE, "units/H01.D1", "Xã Một");
  MakeUnit("H01.D1.X2", v1::UNIT_KIND_COMMUNE, "units/H01.D1", "Xã Hai");
  MakeUnit("H01.D1.X3", v1::UNIT_KIND_COMMUNE, "units/H01.D1", "Xã Ba");
  MakeUnit("H02", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Hai");
  MakeUnit("H02.S1", v1::UNIT_KIND_DEPARTMENT, "units/H02", "Sở Tư pháp");
  MakeUnit("H02.D1", v1::UNIT_KIND_DISTRICT, "units/H02", "Huyện Bốn");
  MakeUnit("H02.D1.X1", v1::UNIT_KIND_COMMUNE, "units/H02.D1", "Xã Bốn");
  // The work, in every state.
  const v1::Task t1 = MakeTask("units/H01", "Làm sạch dữ liệu dân cư", Day(2025, 9, 30));
  Assign(t1.name(), "units/H01.D1.X1", v1::ASSIGNMENT_ROLE_LEAD);
  Assign(t1.name(), "units/H01.D1.X2", v1::ASSIGNMENT_ROLE_SUPPORT);
  const std::string t2 = Lead("units/H01", "Cấp căn cước", "units/H01.D1.X2", Day(2025, 6, 20));
  const std::string t3 = Lead("units/H01", "Kích hoạt VNeID", "units/H01.D1.X3", Day(2025, 6, 25));
  const std::string t4 = Lead("units/H02", "Số hoá hộ tịch", "units/H02.S1", Day(2025, 8, 31));
  Assign(t4, "units/H02.D1.X1", v1::ASSIGNMENT_ROLE_SUPPORT);
  const std::string t5 =
      Lead("units/H01.D1", "Rà soát hộ khẩu", "units/H01.D1.X1", Day(2025, 8, 1));
  const std::string t6 = Lead("units/H01", "Báo cáo của huyện", "units/H01.D1", Day(2025, 7, 31));
  const std::string t7 = Lead("units/H01", "Cải cách TTHC", "units/H01.S1", Day(2025, 12, 31));
  const std::string t8 = Lead("units/H02", "Dịch vụ công", "units/H02.D1.X1", Day(2025, 6, 15));
  SetToday(2025, 6, 10);
  Start(t1.name() + "/assignments/H01.D1.X1");
  Progress(t1.name() + "/assignments/H01.D1.X1", 30, "Đang rà soát");
  Start(t2 + "/assignments/H01.D1.X2");
  Submit(t2 + "/assignments/H01.D1.X2");
  Approve(t2 + "/assignments/H01.D1.X2");
  Start(t4 + "/assignments/H02.S1");
  Start(t6 + "/assignments/H01.D1");
  SetToday(2025, 7, 10);

  const v1::Date june30 = Day(2025, 6, 30), july1 = Day(2025, 7, 1);
  const std::vector<std::string> affected = {
      "units/H01",       "units/H01.S1", "units/H01.D1", "units/H01.D1.X1", "units/H01.D1.X2",
      "units/H01.D1.X3", "units/H02",    "units/H02.S1", "units/H02.D1",    "units/H02.D1.X1"};
  std::map<std::string, v1::GetSummaryResponse> before;
  for (const std::string& unit : affected) before[unit] = Summary(unit, june30);
  const int64_t h01_total = before["units/H01"].total().total();
  const int64_t h02_total = before["units/H02"].total().total();
  ASSERT_EQ(h01_total, 6);
  ASSERT_EQ(h02_total, 2);

  // The department renamed.
  v1::RenameUnitRequest rename;
  rename.set_name("units/H01.S1");
  rename.set_display_name("Sở Nội vụ tỉnh Một");
  *rename.mutable_effective_date() = july1;
  rename.set_reason(kDecision);
  Must(client().RenameUnit(rename), "RenameUnit");
  // Three communes merged into a new one, directly below the province.
  v1::Unit xa;
  xa.set_code("H01.XA");
  xa.set_display_name("Phường Mới");
  xa.set_kind(v1::UNIT_KIND_COMMUNE);
  xa.set_parent("units/H01");
  const v1::MergeUnitsResponse communes =
      Must(Merge({"units/H01.D1.X1", "units/H01.D1.X2", "units/H01.D1.X3"}, "", &xa), "merge");
  ASSERT_EQ(communes.merged_size(), 3);
  for (const v1::Unit& unit : communes.merged()) {
    EXPECT_EQ(unit.state(), v1::UNIT_STATE_MERGED) << unit.name();
    EXPECT_EQ(unit.successor(), "units/H01.XA");
    EXPECT_EQ(FormatDate(unit.valid_to()), "2025-06-30");
  }
  EXPECT_EQ(communes.successor().name(), "units/H01.XA");
  EXPECT_EQ(FormatDate(communes.successor().valid_from()), "2025-07-01");
  // T1's lead, T3's lead and T5's lead continue at XA; T1's coordinating X2 finds XA
  // already leading; T2 was completed and stays.
  EXPECT_EQ(communes.result().transferred_assignments(), 4);
  ASSERT_EQ(communes.result().conflicts_size(), 1);
  EXPECT_EQ(communes.result().conflicts(0).assignment(), t1.name() + "/assignments/H01.D1.X2");
  EXPECT_EQ(communes.result().conflicts(0).successor_assignment(),
            t1.name() + "/assignments/H01.XA");
  EXPECT_EQ(communes.result().conflicts(0).outcome(), v1::TRANSFER_OUTCOME_ALREADY_THERE);
  // The district dissolved: its (merged) communes to the province, its own work and the
  // tasks it assigned to the province.
  const v1::DissolveUnitResponse district = Must(Dissolve("units/H01.D1", "units/H01"), "dissolve");
  EXPECT_EQ(district.unit().state(), v1::UNIT_STATE_DISSOLVED);
  EXPECT_EQ(district.result().moved_units(), 3);
  EXPECT_EQ(district.result().transferred_assignments(), 1);  // T6
  EXPECT_EQ(district.result().reassigned_tasks(), 1);         // T5
  // The two provinces merged.
  const v1::MergeUnitsResponse provinces = Must(Merge({"units/H02"}, "units/H01"), "merge H02");
  EXPECT_EQ(provinces.result().moved_units(), 3);
  EXPECT_EQ(provinces.result().reassigned_tasks(), 2);  // T4, T8

  // Before 1 July every report reads as it did, row by row.
  for (const std::string& unit : affected) ExpectSame(before[unit], Summary(unit, june30), unit);
  // From 1 July the work counts under the new tree, and the province's rows add up.
  const v1::GetSummaryResponse h01 = Summary("units/H01", july1);
  EXPECT_EQ(h01.total().total(), h01_total + h02_total);
  EXPECT_EQ(RowsTotal(h01), h01.total().total());
  std::vector<std::string> rows;
  for (const v1::SummaryRow& row : h01.rows()) {
    if (!row.own()) rows.push_back(row.unit() + " " + row.display_name());
  }
  EXPECT_THAT(rows,
              UnorderedElementsAre("units/H01.S1 Sở Nội vụ tỉnh Một", "units/H01.XA Phường Mới",
                                   "units/H02.S1 Sở Tư pháp", "units/H02.D1 Huyện Bốn"));
  EXPECT_EQ(Summary("units/H01.XA", july1).total().total(), 4);  // T1, T2, T3, T5
  EXPECT_EQ(Summary("units/H02", july1).total().total(), 0);
  EXPECT_EQ(Summary("units/H01.D1", july1).total().total(), 0);

  // Open work continues at the successor; the old assignment ends TRANSFERRED, and the
  // completed one stays where it was.
  const v1::Assignment old_lead = GetAssignment(t1.name() + "/assignments/H01.D1.X1");
  EXPECT_EQ(old_lead.state(), v1::ASSIGNMENT_STATE_TRANSFERRED);
  EXPECT_EQ(old_lead.transferred_to(), t1.name() + "/assignments/H01.XA");
  const v1::Assignment new_lead = GetAssignment(t1.name() + "/assignments/H01.XA");
  EXPECT_EQ(new_lead.state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  EXPECT_EQ(new_lead.role(), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(new_lead.progress_percent(), 30);
  EXPECT_EQ(FormatDate(new_lead.deadline()), "2025-09-30");
  EXPECT_EQ(new_lead.transferred_from(), old_lead.name());
  EXPECT_EQ(GetAssignment(t2 + "/assignments/H01.D1.X2").state(), v1::ASSIGNMENT_STATE_COMPLETED);
  EXPECT_EQ(GetAssignment(t6 + "/assignments/H01").state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  EXPECT_EQ(GetTask(t5).assigning_unit(), "units/H01");
  EXPECT_EQ(GetTask(t4).assigning_unit(), "units/H01");
  // The old assignment takes no more changes; its continuation does.
  EXPECT_THAT(client()
                  .StartAssignment(Named<v1::StartAssignmentRequest>(t3 + "/assignments/H01.D1.X3"))
                  .status(),
              IsError(absl::StatusCode::kFailedPrecondition, "UNIT_NOT_ACTIVE"));
  Start(t3 + "/assignments/H01.XA");

  // The task's history: the old assignment, the transfer and the continuation, in order.
  std::vector<std::string> history;
  for (const v1::Event& e : AllEvents(t1.name())) {
    history.push_back(absl::StrCat(v1::EventAction_Name(e.action()), " ", e.resource()));
  }
  const std::string a = t1.name() + "/assignments/";
  EXPECT_THAT(history, ElementsAre("EVENT_ACTION_CREATE_TASK " + t1.name(),
                                   "EVENT_ACTION_CREATE_ASSIGNMENT " + a + "H01.D1.X1",
                                   "EVENT_ACTION_CREATE_ASSIGNMENT " + a + "H01.D1.X2",
                                   "EVENT_ACTION_START " + a + "H01.D1.X1",
                                   "EVENT_ACTION_REPORT_PROGRESS " + a + "H01.D1.X1",
                                   "EVENT_ACTION_TRANSFER_ASSIGNMENT " + a + "H01.XA",
                                   "EVENT_ACTION_TRANSFER_ASSIGNMENT " + a + "H01.D1.X1",
                                   "EVENT_ACTION_TRANSFER_ASSIGNMENT " + a + "H01.D1.X2"));

  // Lists follow the new tree: the province's open work, H02's included; nothing open is
  // left below a unit that ended.
  const std::vector<std::string> open_h01 =
      AssignmentsIn("unit_tree = \"units/H01\" AND state = IN_PROGRESS");
  EXPECT_THAT(open_h01,
              UnorderedElementsAre(t1.name() + "/assignments/H01.XA", t3 + "/assignments/H01.XA",
                                   t4 + "/assignments/H02.S1", t6 + "/assignments/H01"));
  EXPECT_TRUE(AssignmentsIn("unit_tree = \"units/H02\" AND state = IN_PROGRESS").empty());
  EXPECT_TRUE(AssignmentsIn("unit_tree = \"units/H01.D1\" AND state = NOT_STARTED").empty());

  // The feed: a change below H02's old department reaches the watchers of H01.
  const v1::Assignment progressed = Progress(t4 + "/assignments/H02.S1", 50, "Đã số hoá");
  int64_t last = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripPrefix(progressed.etag(), "r"), &last));
  auto progress_events = [&](const std::string& tree) {
    return EventsInTree(tree, v1::EVENT_ACTION_REPORT_PROGRESS, last, last);
  };
  EXPECT_EQ(progress_events("units/H01"), 1);
  EXPECT_EQ(progress_events("units/H02"), 0);

  ExpectConsistent(june30);
  ExpectConsistent(Day(2025, 7, 5));
}

// The successor already has an assignment on the task: each case of the rule.
TEST_F(ReformTest, TheSuccessorsOwnAssignmentDecides) {
  SetToday(2025, 6, 1);
  MakeUnit("H01", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Một");
  MakeUnit("H01.A", v1::UNIT_KIND_COMMUNE, "units/H01", "Xã A");
  MakeUnit("H01.S", v1::UNIT_KIND_COMMUNE, "units/H01", "Xã S");
  const v1::Date deadline = Day(2025, 12, 31);
  // 1: A leads (its completion reported), S coordinates: S takes the lead and the work.
  const std::string t1 = Lead("units/H01", "Một", "units/H01.A", deadline);
  Assign(t1, "units/H01.S");
  Start(t1 + "/assignments/H01.A");
  Submit(t1 + "/assignments/H01.A");
  // 2: S leads, A coordinates: S's stays, A's ends.
  const std::string t2 = Lead("units/H01", "Hai", "units/H01.S", deadline);
  Assign(t2, "units/H01.A");
  // 3: S declined its coordinating part, A leads: S's is reopened with A's lead work.
  const std::string t3 = Lead("units/H01", "Ba", "units/H01.A", deadline);
  Assign(t3, "units/H01.S");
  Decline(t3 + "/assignments/H01.S");
  // 4: only A: a fresh continuation, not a conflict.
  const std::string t4 = Lead("units/H01", "Bốn", "units/H01.A", deadline);
  SetToday(2025, 7, 10);
  const v1::GetSummaryResponse before = Summary("units/H01", Day(2025, 6, 30));

  const v1::MergeUnitsResponse merged = Must(Merge({"units/H01.A"}, "units/H01.S"), "merge");
  std::map<std::string, v1::TransferOutcome> outcomes;
  for (const v1::TransferConflict& c : merged.result().conflicts()) {
    outcomes[c.assignment()] = c.outcome();
  }
  EXPECT_THAT(outcomes,
              UnorderedElementsAre(
                  std::pair(t1 + "/assignments/H01.A", v1::TRANSFER_OUTCOME_LEAD_TAKEN_OVER),
                  std::pair(t2 + "/assignments/H01.A", v1::TRANSFER_OUTCOME_ALREADY_THERE),
                  std::pair(t3 + "/assignments/H01.A", v1::TRANSFER_OUTCOME_REOPENED)));
  EXPECT_EQ(merged.result().transferred_assignments(), 4);
  const v1::Assignment s1 = GetAssignment(t1 + "/assignments/H01.S");
  EXPECT_EQ(s1.role(), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(s1.state(), v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE);
  EXPECT_EQ(FormatDate(s1.submit_date()), "2025-06-01");
  EXPECT_EQ(s1.transferred_from(), t1 + "/assignments/H01.A");
  // The assigner approves it there, judged by the submission carried over.
  EXPECT_EQ(Approve(s1.name()).timeliness(), v1::TIMELINESS_COMPLETED_ON_TIME);
  const v1::Assignment s2 = GetAssignment(t2 + "/assignments/H01.S");
  EXPECT_EQ(s2.role(), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(s2.state(), v1::ASSIGNMENT_STATE_NOT_STARTED);
  EXPECT_EQ(GetAssignment(t2 + "/assignments/H01.A").state(), v1::ASSIGNMENT_STATE_TRANSFERRED);
  const v1::Assignment s3 = GetAssignment(t3 + "/assignments/H01.S");
  EXPECT_EQ(s3.role(), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(s3.state(), v1::ASSIGNMENT_STATE_NOT_STARTED);
  EXPECT_EQ(GetAssignment(t4 + "/assignments/H01.S").role(), v1::ASSIGNMENT_ROLE_LEAD);
  // Each task still counts once, now at S.
  ExpectSame(before, Summary("units/H01", Day(2025, 6, 30)), "H01 as of 30/06");
  const v1::GetSummaryResponse after = Summary("units/H01", Day(2025, 7, 1));
  EXPECT_EQ(after.total().total(), 4);
  ASSERT_EQ(after.rows_size(), 2);  // its own row and S's
  EXPECT_EQ(after.rows(1).unit(), "units/H01.S");
  EXPECT_EQ(after.rows(1).counts().total(), 4);
  ExpectConsistent(Day(2025, 7, 5));
}

// A merge that a check deep inside stops (a child's history begins after the effective
// date) writes nothing; so does one naming a unit that does not exist.
TEST_F(ReformTest, ARefusedMergeWritesNothing) {
  SetToday(2025, 6, 1);
  MakeUnit("H01", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Một");
  MakeUnit("H01.D1", v1::UNIT_KIND_DISTRICT, "units/H01", "Huyện Một");
  MakeUnit("H01.D1.X1", v1::UNIT_KIND_COMMUNE, "units/H01.D1", "Xã Một");
  MakeUnit("H01.D2", v1::UNIT_KIND_DISTRICT, "units/H01", "Huyện Hai");
  Lead("units/H01", "Một", "units/H01.D1", Day(2025, 12, 31));
  SetToday(2025, 7, 20);
  v1::RenameUnitRequest rename;
  rename.set_name("units/H01.D1.X1");
  rename.set_display_name("Phường Một");
  *rename.mutable_effective_date() = Day(2025, 7, 15);
  Must(client().RenameUnit(rename), "RenameUnit");
  const int64_t revision = Revision();
  const v1::GetSummaryResponse before = Summary("units/H01", Day(2025, 7, 20));
  EXPECT_THAT(Merge({"units/H01.D1"}, "units/H01.D2").status(),
              IsError(absl::StatusCode::kFailedPrecondition, "EFFECTIVE_DATE_CONFLICT"));
  EXPECT_THAT(Merge({"units/H01.D1", "units/H09"}, "units/H01.D2").status(),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  EXPECT_THAT(Merge({"units/H01.D1"}, "units/H01.D1.X1").status(),
              IsError(absl::StatusCode::kFailedPrecondition, "UNIT_TREE_CYCLE"));
  EXPECT_THAT(Merge({"units/H01.D1", "units/H01.D1"}, "units/H01.D2").status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_FIELD"));
  EXPECT_THAT(Merge({"units/H01.D2"}, "units/H01.D2").status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_FIELD"));
  EXPECT_THAT(Merge({}, "units/H01.D2").status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_FIELD"));
  EXPECT_THAT(Dissolve("units/H01.D1", "").status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_FIELD"));
  EXPECT_THAT(Dissolve("units/H01.D1", "units/H01.D1.X1").status(),
              IsError(absl::StatusCode::kFailedPrecondition, "UNIT_TREE_CYCLE"));
  EXPECT_EQ(Revision(), revision);
  ExpectSame(before, Summary("units/H01", Day(2025, 7, 20)), "H01");
  EXPECT_EQ(GetUnit("units/H01.D1").state(), v1::UNIT_STATE_ACTIVE);
  // A merged unit cannot merge again.
  v1::DissolveUnitRequest dissolve;
  Must(Merge({"units/H01.D2"}, "units/H01"), "merge D2");
  EXPECT_THAT(Merge({"units/H01.D2"}, "units/H01").status(),
              IsError(absl::StatusCode::kFailedPrecondition, "UNIT_NOT_ACTIVE"));
}

}  // namespace
}  // namespace d06::testing
