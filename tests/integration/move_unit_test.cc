// UnitService.MoveUnit: a commune moves, with its work, from one district to another from
// a date in the past (the 2025 reform applied after the fact). Reports as of the day
// before read exactly as before, field by field and row by row, for the old parent, the
// new one and the province; from the date on the work counts under the new district,
// the province's totals are conserved, lists and scopes follow the new tree, and the
// consistency check (which recounts a past day on the tree of that day) finds nothing.
#include <algorithm>
#include <string>
#include <tuple>
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

class MoveUnitTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    SetToday(2025, 6, 1);
    MakeUnit("H01", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Một");
    MakeUnit("H01.D1", v1::UNIT_KIND_DISTRICT, "units/H01", "Huyện Một");
    MakeUnit("H01.D2", v1::UNIT_KIND_DISTRICT, "units/H01", "Huyện Hai");
    MakeUnit("H01.D1.X1", v1::UNIT_KIND_COMMUNE, "units/H01.D1", "Xã Một");
    MakeUnit("H01.D1.X2", v1::UNIT_KIND_COMMUNE, "units/H01.D1", "Xã Hai");
    MakeUnit("H02", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Hai");
    // X1 leads two tasks (one started in June), X2 one, D1 one of its own.
    t1_ = Lead("Nhiệm vụ một", "units/H01.D1.X1", Day(2025, 6, 20));
    t2_ = Lead("Nhiệm vụ hai", "units/H01.D1.X1", Day(2025, 8, 30));
    Lead("Nhiệm vụ ba", "units/H01.D1.X2", Day(2025, 9, 30));
    Lead("Nhiệm vụ bốn", "units/H01.D1", Day(2025, 9, 30));
    SetToday(2025, 6, 10);
    Start(t1_ + "/assignments/H01.D1.X1");
    // After the effective date and before the move is recorded, X1 changes again.
    SetToday(2025, 7, 5);
    Start(t2_ + "/assignments/H01.D1.X1");
    SetToday(2025, 7, 10);
  }

  std::string Lead(const std::string& title, const std::string& unit, const v1::Date& deadline) {
    const v1::Task task = MakeTask("units/H01", title, deadline);
    Assign(task.name(), unit, v1::ASSIGNMENT_ROLE_LEAD);
    return task.name();
  }

  v1::GetSummaryResponse Summary(const std::string& unit, const v1::Date& as_of) {
    v1::GetSummaryRequest req;
    req.set_unit(unit);
    *req.mutable_as_of() = as_of;
    req.set_group_by(v1::SUMMARY_GROUP_BY_CHILD_UNIT);
    return Must(client().GetSummary(req), "GetSummary " + unit);
  }

  v1::MoveUnitResponse Move(const std::string& unit, const std::string& parent,
                            const v1::Date& from) {
    v1::MoveUnitRequest req;
    req.set_name(unit);
    req.set_new_parent(parent);
    *req.mutable_effective_date() = from;
    req.set_reason("Nghị quyết 1656/NQ-UBTVQH15");
    return Must(client().MoveUnit(req), "MoveUnit");
  }

  static std::vector<std::string> RowUnits(const v1::GetSummaryResponse& summary) {
    std::vector<std::string> units;
    for (const v1::SummaryRow& row : summary.rows()) {
      if (!row.own()) units.push_back(row.unit());
    }
    return units;
  }

  std::vector<std::string> AssignmentsBelow(const std::string& unit) {
    v1::ListAssignmentsRequest req;
    req.set_parent("tasks/-");
    req.set_filter(absl::StrCat("unit_tree = \"", unit, "\""));
    const v1::ListAssignmentsResponse listed = Must(client().ListAssignments(req));
    std::vector<std::string> names;
    for (const v1::Assignment& a : listed.assignments()) {
      names.push_back(a.name());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string t1_, t2_;
};

TEST_F(MoveUnitTest, PastReportsStayAndLaterOnesFollowTheNewTree) {
  const v1::Date june30 = Day(2025, 6, 30), july1 = Day(2025, 7, 1), july5 = Day(2025, 7, 5);
  std::vector<v1::GetSummaryResponse> before;
  for (const char* unit : {"units/H01", "units/H01.D1", "units/H01.D2"}) {
    before.push_back(Summary(unit, june30));
  }
  const v1::GetSummaryResponse province_july5 = Summary("units/H01", july5);
  const v1::GetSummaryResponse d1_july5 = Summary("units/H01.D1", july5);
  const v1::GetSummaryResponse x1_july5 = Summary("units/H01.D1.X1", july5);
  ASSERT_EQ(x1_july5.total().total(), 2);
  ASSERT_EQ(d1_july5.total().total(), 4);

  const v1::MoveUnitResponse moved = Move("units/H01.D1.X1", "units/H01.D2", july1);
  EXPECT_EQ(moved.unit().parent(), "units/H01.D2");
  EXPECT_EQ(moved.moved_units(), 1);
  EXPECT_EQ(moved.moved_assignments(), 2);
  ASSERT_EQ(moved.unit().history_size(), 2);
  EXPECT_EQ(moved.unit().history(0).parent(), "units/H01.D1");
  EXPECT_EQ(moved.unit().history(1).parent(), "units/H01.D2");
  EXPECT_EQ(FormatDate(moved.unit().history(1).from()), "2025-07-01");

  // As of 30/06/2025: every report reads as before, field by field, row by row.
  int i = 0;
  for (const char* unit : {"units/H01", "units/H01.D1", "units/H01.D2"}) {
    std::string differences;
    MessageDifferencer differ;
    differ.ReportDifferencesToString(&differences);
    EXPECT_TRUE(differ.Compare(before[i++], Summary(unit, june30))) << unit << "\n" << differences;
  }
  // From 01/07/2025: X1's work counts under D2, no longer under D1; the province keeps
  // its totals.
  for (const v1::Date& day : {july1, july5, Day(2025, 7, 10)}) {
    SCOPED_TRACE(FormatDate(day));
    const v1::GetSummaryResponse province = Summary("units/H01", day);
    const v1::GetSummaryResponse d1 = Summary("units/H01.D1", day);
    const v1::GetSummaryResponse d2 = Summary("units/H01.D2", day);
    EXPECT_EQ(province.total().total(), 4);
    EXPECT_EQ(d1.total().total(), 2);
    EXPECT_EQ(d2.total().total(), 2);
    EXPECT_EQ(RowUnits(d2), std::vector<std::string>{"units/H01.D1.X1"});
    EXPECT_EQ(RowUnits(d1), std::vector<std::string>{"units/H01.D1.X2"});
    int64_t rows = 0;
    for (const v1::SummaryRow& row : province.rows()) rows += row.counts().total();
    EXPECT_EQ(rows, province.total().total());
  }
  // The started counts moved day by day: on 05/07 both of X1's leads are in progress.
  const v1::GetSummaryResponse d2_july5 = Summary("units/H01.D2", july5);
  EXPECT_EQ(d2_july5.total().in_progress_on_time() + d2_july5.total().overdue(),
            x1_july5.total().in_progress_on_time() + x1_july5.total().overdue());
  EXPECT_EQ(Summary("units/H01", july5).total().total(), province_july5.total().total());

  // Lists and filters follow the new tree.
  EXPECT_EQ(
      AssignmentsBelow("units/H01.D2"),
      (std::vector<std::string>{t1_ + "/assignments/H01.D1.X1", t2_ + "/assignments/H01.D1.X1"}));
  EXPECT_EQ(AssignmentsBelow("units/H01.D1").size(), 2u);
  v1::ListUnitsRequest children;
  children.set_filter("parent = \"units/H01.D2\"");
  ASSERT_EQ(Must(client().ListUnits(children)).units_size(), 1);
  ExpectConsistent(june30);
  ExpectConsistent(july5);
}

TEST_F(MoveUnitTest, TheFeedFollowsTheNewTree) {
  Move("units/H01.D1.X1", "units/H01.D2", Day(2025, 7, 1));
  const v1::Assignment progressed = Progress(t2_ + "/assignments/H01.D1.X1", 40, "Đã rà soát");
  int64_t last = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripPrefix(progressed.etag(), "r"), &last));
  // The change after the move, by the feed's unit_tree filter.
  auto progress_events = [&](const std::string& tree) {
    return EventsInTree(tree, v1::EVENT_ACTION_REPORT_PROGRESS, 1, last);
  };
  EXPECT_EQ(progress_events("units/H01.D2"), 1);
  EXPECT_EQ(progress_events("units/H01.D1"), 0);
  EXPECT_EQ(progress_events("units/H01"), 1);
}

TEST_F(MoveUnitTest, ADistrictMovesWithItsSubtreeToAnotherProvince) {
  const v1::GetSummaryResponse h01_before = Summary("units/H01", Day(2025, 6, 30));
  const v1::MoveUnitResponse moved = Move("units/H01.D1", "units/H02", Day(2025, 7, 1));
  EXPECT_EQ(moved.moved_units(), 3);
  EXPECT_EQ(moved.moved_assignments(), 4);
  std::string differences;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differ.Compare(h01_before, Summary("units/H01", Day(2025, 6, 30)))) << differences;
  EXPECT_EQ(Summary("units/H01", Day(2025, 7, 1)).total().total(), 0);
  EXPECT_EQ(Summary("units/H02", Day(2025, 7, 1)).total().total(), 4);
  EXPECT_EQ(Summary("units/H02", Day(2025, 6, 30)).total().total(), 0);
  EXPECT_EQ(AssignmentsBelow("units/H02").size(), 4u);
  EXPECT_TRUE(AssignmentsBelow("units/H01").empty());
  ExpectConsistent(Day(2025, 7, 5));
  ExpectConsistent(Day(2025, 6, 30));
}

// ListUnits.as_of: the tree as it stood on a day, for pickers of a past date: the units
// that existed then, below their parent of that day, by their names of that day.
TEST_F(MoveUnitTest, ListUnitsAsOfShowsTheTreeOfThatDay) {
  Move("units/H01.D1.X1", "units/H01.D2", Day(2025, 7, 1));
  v1::RenameUnitRequest rename;
  rename.set_name("units/H01.D1.X2");
  rename.set_display_name("Phường Hai");
  *rename.mutable_effective_date() = Day(2025, 7, 1);
  rename.set_reason("Nghị quyết 1656/NQ-UBTVQH15");
  Must(client().RenameUnit(rename), "RenameUnit");
  // A commune that began on 3 July and one that ended on 30 June.
  for (const auto& [code, from, to] :
       {std::tuple(std::string("H01.D2.X3"), Day(2025, 7, 3), v1::Date()),
        std::tuple(std::string("H01.D2.X4"), v1::Date(), Day(2025, 6, 30))}) {
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_code(code);
    req.mutable_unit()->set_display_name("Xã " + code);
    req.mutable_unit()->set_kind(v1::UNIT_KIND_COMMUNE);
    req.mutable_unit()->set_parent("units/H01.D2");
    *req.mutable_unit()->mutable_valid_from() = from;
    *req.mutable_unit()->mutable_valid_to() = to;
    Must(client().CreateUnit(req), "CreateUnit " + code);
  }
  // Every page of ListUnits with `filter` as of `day`, one unit a page: "code name".
  auto as_of = [&](const std::string& filter, const v1::Date& day, const std::string& query = "") {
    v1::ListUnitsRequest req;
    req.set_filter(filter);
    req.set_query(query);
    *req.mutable_as_of() = day;
    req.set_page_size(1);
    std::vector<std::string> out;
    for (const v1::Unit& u : ListAll(
             req, [&](const v1::ListUnitsRequest& r) { return client().ListUnits(r); },
             [](const v1::ListUnitsResponse& p) -> auto& { return p.units(); }, "ListUnits")) {
      out.push_back(absl::StrCat(u.code(), " ", u.display_name()));
    }
    return out;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(as_of("parent = \"units/H01.D1\"", Day(2025, 6, 30)),
              ElementsAre("H01.D1.X1 Xã Một", "H01.D1.X2 Xã Hai"));
  EXPECT_THAT(as_of("parent = \"units/H01.D1\"", Day(2025, 7, 1)),
              ElementsAre("H01.D1.X2 Phường Hai"));
  EXPECT_THAT(as_of("parent = \"units/H01.D2\"", Day(2025, 6, 30)),
              ElementsAre("H01.D2.X4 Xã H01.D2.X4"));
  EXPECT_THAT(as_of("parent = \"units/H01.D2\"", Day(2025, 7, 2)), ElementsAre("H01.D1.X1 Xã Một"));
  EXPECT_THAT(as_of("parent = \"units/H01.D2\"", Day(2025, 7, 3)),
              ElementsAre("H01.D1.X1 Xã Một", "H01.D2.X3 Xã H01.D2.X3"));
  // The query matches the names of that day; without a filter, every unit of that day.
  EXPECT_THAT(as_of("", Day(2025, 6, 30), "xa hai"), ElementsAre("H01.D1.X2 Xã Hai"));
  EXPECT_TRUE(as_of("", Day(2025, 7, 1), "xa hai").empty());
  EXPECT_EQ(as_of("", Day(2025, 6, 30)).size(), 7u);  // all eight but X3
  // The parent a unit has now is of no account for a past day.
  v1::ListUnitsRequest req;
  req.set_filter("parent = \"units/H01.D2\"");
  *req.mutable_as_of() = Day(2025, 6, 30);
  const v1::ListUnitsResponse page = Must(client().ListUnits(req), "ListUnits");
  ASSERT_EQ(page.units_size(), 1);
  EXPECT_EQ(page.units(0).parent(), "units/H01.D2");
  // Refusals: a day after today, not a date, and a page token of another day.
  *req.mutable_as_of() = Day(2025, 7, 11);
  EXPECT_THAT(client().ListUnits(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_FIELD"));
  *req.mutable_as_of() = Day(2025, 2, 30);
  EXPECT_THAT(client().ListUnits(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_FIELD"));
  req.set_filter("");
  req.set_page_size(1);
  *req.mutable_as_of() = Day(2025, 6, 30);
  const std::string token = Must(client().ListUnits(req), "ListUnits").next_page_token();
  ASSERT_FALSE(token.empty());
  req.set_page_token(token);
  *req.mutable_as_of() = Day(2025, 7, 1);
  EXPECT_THAT(client().ListUnits(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

TEST_F(MoveUnitTest, RefusalsNameWhatToFixAndChangeNothing) {
  auto refused = [&](const std::string& unit, const std::string& parent, const v1::Date& from) {
    v1::MoveUnitRequest req;
    req.set_name(unit);
    req.set_new_parent(parent);
    *req.mutable_effective_date() = from;
    return client().MoveUnit(req).status();
  };
  const v1::Date july1 = Day(2025, 7, 1);
  EXPECT_THAT(refused("units/H01.D1.X1", "", july1), IsInvalidField("new_parent"));
  EXPECT_THAT(refused("units/H01.D1.X1", "units/H01.D1.X1", july1), IsInvalidField("new_parent"));
  EXPECT_THAT(refused("units/H01.D1.X1", "H01.D2", july1), IsInvalidField("new_parent"));
  EXPECT_THAT(refused("units/H01.D1.X1", "units/H01.D2", Day(2025, 7, 11)),
              IsInvalidField("effective_date"));
  EXPECT_THAT(refused("units/H01.D1.X1", "units/H99", july1),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  EXPECT_THAT(refused("units/H01.D1", "units/H01.D1.X1", july1),
              IsError(absl::StatusCode::kFailedPrecondition, "UNIT_TREE_CYCLE"));
  EXPECT_THAT(refused("units/H01.D1.X1", "units/H01.D1", july1),
              IsError(absl::StatusCode::kFailedPrecondition, "UNIT_TREE_CYCLE"));
  // Below a chain of 11 levels, a district with communes would reach level 13.
  const v1::Unit deep = MakeUnitChain(11);
  EXPECT_THAT(refused("units/H01.D1", deep.name(), july1),
              IsError(absl::StatusCode::kFailedPrecondition, "UNIT_TREE_TOO_DEEP"));
  v1::GetUnitRequest get;
  get.set_name("units/H01.D1.X1");
  EXPECT_EQ(Must(client().GetUnit(get)).unit().parent(), "units/H01.D1");
  EXPECT_EQ(AssignmentsBelow("units/H01.D2").size(), 0u);

  // A later change fixes the order of the history: no move from before it.
  Move("units/H01.D1.X1", "units/H01.D2", Day(2025, 7, 5));
  EXPECT_THAT(refused("units/H01.D1.X1", "units/H02", july1),
              IsError(absl::StatusCode::kFailedPrecondition, "EFFECTIVE_DATE_CONFLICT"));
}

}  // namespace
}  // namespace d06::testing
