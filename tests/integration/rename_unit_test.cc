// UnitService.RenameUnit (the first of the reorganisation operations): a unit's new name
// from a date begins a period of its history (Unit.history). Reports and exports as of an
// earlier date read exactly as they did before, field by field; as of the date and later
// they show the new name. Refusals name what to fix and change nothing.
#include <string>

#include "absl/strings/match.h"
#include "common/dates.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

class RenameUnitTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    SetToday(2025, 6, 20);
    MakeUnit("H29", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Nghệ An");
    dept_ =
        MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29", "Sở Thông tin và Truyền thông");
    MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29", "Công an tỉnh");
    v1::Task task = MakeTask("units/H29", "Số hoá hồ sơ", Day(2025, 6, 25));
    Assign(task.name(), dept_.name(), v1::ASSIGNMENT_ROLE_LEAD);
    SetToday(2025, 7, 10);  // the reform took effect on 01/07/2025
  }

  v1::GetSummaryResponse Summary(const v1::Date& as_of) {
    v1::GetSummaryRequest req;
    req.set_unit("units/H29");
    *req.mutable_as_of() = as_of;
    req.set_group_by(v1::SUMMARY_GROUP_BY_CHILD_UNIT);
    return Must(client().GetSummary(req), "GetSummary");
  }

  static v1::RenameUnitRequest Rename(const std::string& name, const std::string& display_name,
                                      const v1::Date& from) {
    v1::RenameUnitRequest req;
    req.set_name(name);
    req.set_display_name(display_name);
    *req.mutable_effective_date() = from;
    req.set_reason("Quyết định 1234/QĐ-UBND ngày 25/6/2025");
    return req;
  }

  static std::string RowName(const v1::GetSummaryResponse& summary, const std::string& unit) {
    for (const v1::SummaryRow& row : summary.rows()) {
      if (row.unit() == unit && !row.own()) return row.display_name();
    }
    return "(no row)";
  }

  v1::Unit dept_;
};

TEST_F(RenameUnitTest, ReportsBeforeTheDateReadAsBeforeAndLaterOnesShowTheNewName) {
  const v1::GetSummaryResponse before = Summary(Day(2025, 6, 30));
  ASSERT_EQ(RowName(before, "units/H29.01"), "Sở Thông tin và Truyền thông");

  const v1::Unit renamed =
      Must(client().RenameUnit(Rename("units/H29.01", "Sở Khoa học và Công nghệ", Day(2025, 7, 1))))
          .unit();
  EXPECT_EQ(renamed.display_name(), "Sở Khoa học và Công nghệ");
  EXPECT_NE(renamed.etag(), dept_.etag());

  // As of 30/06/2025: the same report, field by field and row by row.
  const v1::GetSummaryResponse after = Summary(Day(2025, 6, 30));
  std::string differences;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differ.Compare(before, after)) << differences;
  // As of 01/07/2025 and later: the new name, and the same counts.
  const v1::GetSummaryResponse july = Summary(Day(2025, 7, 1));
  EXPECT_EQ(RowName(july, "units/H29.01"), "Sở Khoa học và Công nghệ");
  EXPECT_EQ(july.total().total(), before.total().total());
  EXPECT_EQ(RowName(Summary(Day(2025, 7, 10)), "units/H29.01"), "Sở Khoa học và Công nghệ");

  // The summary of the department itself, and its export, take the name of their date.
  v1::GetSummaryRequest own;
  own.set_unit("units/H29.01");
  *own.mutable_as_of() = Day(2025, 6, 30);
  EXPECT_EQ(Must(client().GetSummary(own)).display_name(), "Sở Thông tin và Truyền thông");
  v1::ExportSummaryRequest exported;
  exported.set_unit("units/H29.01");
  *exported.mutable_as_of() = Day(2025, 6, 30);
  std::string csv;
  ASSERT_THAT(client().ExportSummary(exported, [&](const std::string& chunk) { csv += chunk; }),
              IsOk());
  EXPECT_THAT(csv, HasSubstr("Sở Thông tin và Truyền thông"));
  EXPECT_FALSE(absl::StrContains(csv, "Sở Khoa học và Công nghệ")) << csv;
}

TEST_F(RenameUnitTest, TheUnitKeepsItsHistory) {
  v1::RenameUnitRequest req = Rename("units/H29.01", "Sở Khoa học và Công nghệ", Day(2025, 7, 1));
  req.set_admin_code("52");
  Must(client().RenameUnit(req));
  v1::GetUnitRequest get;
  get.set_name("units/H29.01");
  const v1::Unit unit = Must(client().GetUnit(get)).unit();
  EXPECT_EQ(unit.admin_code(), "52");
  ASSERT_EQ(unit.history_size(), 2);
  EXPECT_EQ(unit.history(0).display_name(), "Sở Thông tin và Truyền thông");
  EXPECT_EQ(unit.history(0).admin_code(), "");
  EXPECT_EQ(unit.history(0).parent(), "units/H29");
  EXPECT_EQ(unit.history(0).state(), v1::UNIT_STATE_ACTIVE);
  EXPECT_EQ(FormatDate(unit.history(1).from()), "2025-07-01");
  EXPECT_EQ(unit.history(1).display_name(), "Sở Khoa học và Công nghệ");
  EXPECT_EQ(unit.history(1).admin_code(), "52");
  EXPECT_EQ(unit.history(1).reason(), "Quyết định 1234/QĐ-UBND ngày 25/6/2025");
  EXPECT_FALSE(unit.history(1).recorded_by().empty());
  EXPECT_TRUE(unit.history(1).has_record_time());

  // A second rename from the same day replaces that period's name (and adds its
  // decision); a later one adds a period.
  v1::RenameUnitRequest again = Rename("units/H29.01", "Sở KH&CN", Day(2025, 7, 1));
  again.set_reason("Quyết định 1300/QĐ-UBND");
  EXPECT_EQ(Must(client().RenameUnit(again)).unit().history(1).reason(),
            "Quyết định 1234/QĐ-UBND ngày 25/6/2025; Quyết định 1300/QĐ-UBND");
  Must(client().RenameUnit(Rename("units/H29.01", "Sở Khoa học, Công nghệ", Day(2025, 7, 5))));
  const v1::Unit later = Must(client().GetUnit(get)).unit();
  ASSERT_EQ(later.history_size(), 3);
  EXPECT_EQ(later.history(1).display_name(), "Sở KH&CN");
  EXPECT_EQ(later.history(2).display_name(), "Sở Khoa học, Công nghệ");
  EXPECT_EQ(RowName(Summary(Day(2025, 7, 3)), "units/H29.01"), "Sở KH&CN");

  // UpdateUnit corrects the current period, not a past one.
  v1::UpdateUnitRequest fix;
  fix.mutable_unit()->set_name("units/H29.01");
  fix.mutable_unit()->set_display_name("Sở Khoa học và Công nghệ");
  fix.mutable_update_mask()->add_paths("display_name");
  const v1::Unit fixed = Must(client().UpdateUnit(fix)).unit();
  EXPECT_EQ(fixed.history(2).display_name(), "Sở Khoa học và Công nghệ");
  EXPECT_EQ(fixed.history(1).display_name(), "Sở KH&CN");
}

TEST_F(RenameUnitTest, RefusalsNameWhatToFixAndChangeNothing) {
  auto refused = [&](v1::RenameUnitRequest req) { return client().RenameUnit(req).status(); };
  const v1::Date july = Day(2025, 7, 1);
  EXPECT_THAT(refused(Rename("units/H29.01", "Tên mới", Day(2025, 7, 11))),
              IsInvalidField("effective_date"));
  EXPECT_THAT(refused(Rename("units/H29.01", "Tên mới", v1::Date())),
              IsInvalidField("effective_date"));
  EXPECT_THAT(refused(Rename("units/H29.01", "Tên mới", Day(2025, 2, 30))),
              IsInvalidField("effective_date"));
  EXPECT_THAT(refused(Rename("units/H29.01", "", july)), IsInvalidField("display_name"));
  EXPECT_THAT(refused(Rename("units/H29.01", std::string(301, 'a'), july)),
              IsInvalidField("display_name"));
  v1::RenameUnitRequest bad_code = Rename("units/H29.01", "Tên mới", july);
  bad_code.set_admin_code("5x");
  EXPECT_THAT(refused(bad_code), IsInvalidField("admin_code"));
  EXPECT_THAT(refused(Rename("H29.01", "Tên mới", july)), IsInvalidField("name"));
  EXPECT_THAT(refused(Rename("units/H99", "Tên mới", july)),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  v1::RenameUnitRequest stale = Rename("units/H29.01", "Tên mới", july);
  stale.set_etag("not-the-etag");
  EXPECT_THAT(refused(stale), IsError(absl::StatusCode::kAborted, "STALE_ETAG"));
  EXPECT_THAT(refused(Rename("units/H29.01", "Sở Thông tin và Truyền thông", july)),
              IsError(absl::StatusCode::kFailedPrecondition, "EFFECTIVE_DATE_CONFLICT"));
  v1::RenameUnitRequest dry = Rename("units/H29.01", "Tên thử", july);
  dry.set_validate_only(true);
  EXPECT_EQ(Must(client().RenameUnit(dry)).unit().display_name(), "Tên thử");

  v1::GetUnitRequest get;
  get.set_name("units/H29.01");
  const v1::Unit unchanged = Must(client().GetUnit(get)).unit();
  EXPECT_EQ(unchanged.etag(), dept_.etag());
  EXPECT_EQ(unchanged.display_name(), "Sở Thông tin và Truyền thông");

  // Once renamed from 05/07, a rename from an earlier day would rewrite that period.
  Must(client().RenameUnit(Rename("units/H29.01", "Tên mới", Day(2025, 7, 5))));
  const absl::Status earlier = refused(Rename("units/H29.01", "Tên khác", july));
  EXPECT_THAT(earlier, IsError(absl::StatusCode::kFailedPrecondition, "EFFECTIVE_DATE_CONFLICT"));
  EXPECT_EQ(client::ErrorInfoOf(earlier).metadata().at("period_start"), "2025-07-05");
}

}  // namespace
}  // namespace d06::testing
