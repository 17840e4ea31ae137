// The pure part of `d06ctl import` (client/ctl/csv_import.h): reading CSV files as
// agencies write them, mapping their columns and words, and reporting every bad row
// with its row and column, without a server (lookups are maps).
#include "client/ctl/csv_import.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace d06::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string ReadExample(const std::string& name) {
  std::ifstream in(std::string(D06_IMPORT_EXAMPLES_DIR) + "/" + name, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string DateText(const v1::Date& d) {
  return absl::StrCat(d.year(), "-", d.month(), "-", d.day());
}

std::vector<std::string> Formatted(const std::vector<RowError>& errors) {
  std::vector<std::string> out;
  for (const RowError& e : errors) out.push_back(FormatRowError(e));
  return out;
}

v1::Unit ActiveUnit(const std::string& code, v1::UnitKind kind = v1::UNIT_KIND_PROVINCE,
                    const std::string& parent = "") {
  v1::Unit u;
  u.set_name("units/" + code);
  u.set_code(code);
  u.set_display_name("Đơn vị " + code);
  u.set_kind(kind);
  u.set_parent(parent);
  u.set_state(v1::UNIT_STATE_ACTIVE);
  return u;
}

// A lookup over a fixed set of server units.
UnitLookup MapLookup(std::map<std::string, v1::Unit> units) {
  return [units](const std::string& code) -> absl::StatusOr<std::optional<v1::Unit>> {
    auto it = units.find(code);
    if (it == units.end()) return std::optional<v1::Unit>();
    return std::optional<v1::Unit>(it->second);
  };
}

std::map<std::string, v1::Unit> ExampleUnits() {
  std::map<std::string, v1::Unit> units;
  for (const char* code : {"H29", "H29.01", "H29.02", "H29.03", "H29.04", "H29.05", "H29.06",
                           "H29.BCD06", "H29.10", "H29.11", "H29.12"}) {
    units[code] = ActiveUnit(code);
  }
  return units;
}

// ---- words -------------------------------------------------------------------------

TEST(FoldKeyTest, IgnoresCaseDiacriticsAndPunctuation) {
  EXPECT_EQ(FoldKey("Hạn xử lý"), "han xu ly");
  EXPECT_EQ(FoldKey("  HẠN   XỬ LÝ "), "han xu ly");
  EXPECT_EQ(FoldKey("han_xu_ly"), "han xu ly");
  EXPECT_EQ(FoldKey("Số, ký hiệu văn bản"), "so ky hieu van ban");
  EXPECT_EQ(FoldKey("Đơn vị chủ trì"), "don vi chu tri");
  EXPECT_EQ(FoldKey("Tỉnh/Thành phố"), "tinh thanh pho");
  // Decomposed input (combining marks), as macOS and some keyboards write it.
  EXPECT_EQ(FoldKey("Ha\xCC\xA3n xu\xCC\x9B\xCC\x89 ly\xCC\x81"), "han xu ly");
  EXPECT_EQ(FoldKey("display_name"), "display name");
}

// ---- reading CSV -----------------------------------------------------------------------

TEST(ReadCsvTest, StripsTheBomAndDetectsSemicolons) {
  absl::StatusOr<CsvTable> t =
      ReadCsv("\xEF\xBB\xBFM\xC3\xA3;T\xC3\xAAn, \xC4\x91\xE1\xBB\x8Bnh\r\nH29;\"A; B\"\r\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->delimiter, ';');
  ASSERT_THAT(t->records, SizeIs(2));
  EXPECT_THAT(t->records[0].cells, ElementsAre("Mã", "Tên, định"));
  EXPECT_THAT(t->records[1].cells, ElementsAre("H29", "A; B"));
  EXPECT_EQ(t->records[1].row, 2);
}

TEST(ReadCsvTest, QuotedCellsKeepDelimitersQuotesAndLineBreaks) {
  absl::StatusOr<CsvTable> t =
      ReadCsv("a,b\r\n\"x, y\",\"line 1\r\nline \"\"2\"\"\"\r\nlast,row\r\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->delimiter, ',');
  ASSERT_THAT(t->records, SizeIs(3));
  EXPECT_THAT(t->records[1].cells, ElementsAre("x, y", "line 1\r\nline \"2\""));
  // A cell with a line break stays in one row, as in a spreadsheet.
  EXPECT_EQ(t->records[1].row, 2);
  EXPECT_EQ(t->records[2].row, 3);
}

TEST(ReadCsvTest, RowsAreCountedAsASpreadsheetShowsThem) {
  // Blank lines and rows of empty cells count as rows but are skipped; LF or CRLF.
  for (const std::string nl : {"\n", "\r\n"}) {
    absl::StatusOr<CsvTable> t =
        ReadCsv(absl::StrCat("a,b", nl, "1,2", nl, nl, ",", nl, "3,4", nl));
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_THAT(t->records, SizeIs(3));
    EXPECT_EQ(t->records[0].row, 1);
    EXPECT_EQ(t->records[1].row, 2);
    EXPECT_EQ(t->records[2].row, 5);
  }
}

TEST(ReadCsvTest, DelimiterCanBeForced) {
  absl::StatusOr<CsvTable> t = ReadCsv("a;b,c\n1;2,3\n", ',');
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->records[0].cells, ElementsAre("a;b", "c"));
  t = ReadCsv("a\tb\n1\t2\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->delimiter, '\t');
}

TEST(ReadCsvTest, RefusesWhatIsNotUtf8Csv) {
  absl::StatusOr<CsvTable> t = ReadCsv("\xFF\xFEM\0a\0");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("UTF-16"));
  // "Hạn" in Windows-1258 is not UTF-8.
  t = ReadCsv("a,b\nH\xE1n,c\n");
  EXPECT_THAT(t.status().message(), HasSubstr("line 2: the file is not UTF-8"));
  t = ReadCsv("a,b\n\"open,c\n");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("not valid CSV"));
  t = ReadCsv("a,b\n\"x\"y,c\n");
  EXPECT_THAT(t.status().message(), HasSubstr("row 2: the file is not valid CSV"));
}

// ---- units -----------------------------------------------------------------------------

TEST(ParseUnitsTest, TheExampleParses) {
  ParsedUnits units = ParseUnitsCsv(ReadExample("units.csv"));
  EXPECT_THAT(Formatted(units.errors), IsEmpty());
  EXPECT_THAT(units.warnings, IsEmpty());
  EXPECT_EQ(units.data_rows, 12);
  ASSERT_THAT(units.rows, SizeIs(12));
  const v1::Unit& police = units.rows[0].request.unit();
  EXPECT_EQ(units.rows[0].row, 2);
  EXPECT_EQ(police.code(), "H29.01");
  EXPECT_EQ(police.display_name(), "Công an tỉnh Nghệ An");
  EXPECT_EQ(police.kind(), v1::UNIT_KIND_DEPARTMENT);
  EXPECT_EQ(police.parent(), "units/H29");
  const v1::Unit& province = units.rows[1].request.unit();
  EXPECT_EQ(province.kind(), v1::UNIT_KIND_PROVINCE);
  EXPECT_EQ(province.parent(), "");
  EXPECT_EQ(province.admin_code(), "40");
  EXPECT_EQ(units.rows[5].request.unit().parent(), "units/H29");                // written units/H29
  EXPECT_EQ(units.rows[6].request.unit().kind(), v1::UNIT_KIND_DEPARTMENT);     // Ban
  EXPECT_EQ(units.rows[7].request.unit().kind(), v1::UNIT_KIND_WORKING_GROUP);  // Tổ công tác
  EXPECT_EQ(units.rows[8].request.unit().kind(), v1::UNIT_KIND_COMMUNE);        // Phường
  EXPECT_EQ(units.rows[8].request.unit().valid_from().year(), 2025);
  EXPECT_EQ(units.rows[10].request.unit().valid_from().month(), 7);  // 2025-07-01
  EXPECT_EQ(units.rows[11].request.unit().kind(), v1::UNIT_KIND_OTHER);
  std::set<std::string> ids;
  for (const UnitRow& row : units.rows) {
    EXPECT_LE(row.request.request_id().size(), 36u);
    EXPECT_EQ(row.request.request_id().rfind("imp-u-", 0), 0u);
    ids.insert(row.request.request_id());
  }
  EXPECT_THAT(ids, SizeIs(12));
}

TEST(ParseUnitsTest, EnglishAndFoldedColumnNamesAndEnumNames) {
  ParsedUnits units = ParseUnitsCsv(
      "CODE,display_name,Kind,parent,ma don vi hanh chinh\n"
      "h29,UBND tỉnh,PROVINCE,,40\n"
      "H29.01,Sở Tư pháp,unit_kind_department,h29,\n"
      "H29.02,Huyện A,huyen,H29,123\n"
      "H29.03,Xã B,XÃ,H29,04567\n");
  EXPECT_THAT(Formatted(units.errors), IsEmpty());
  ASSERT_THAT(units.rows, SizeIs(4));
  EXPECT_EQ(units.rows[0].request.unit().code(), "H29");
  EXPECT_EQ(units.rows[1].request.unit().kind(), v1::UNIT_KIND_DEPARTMENT);
  EXPECT_EQ(units.rows[1].request.unit().parent(), "units/H29");
  EXPECT_EQ(units.rows[2].request.unit().kind(), v1::UNIT_KIND_DISTRICT);
  EXPECT_EQ(units.rows[3].request.unit().kind(), v1::UNIT_KIND_COMMUNE);
  EXPECT_EQ(units.rows[3].request.unit().admin_code(), "04567");
}

TEST(ParseUnitsTest, EveryBadRowIsReportedWithRowAndColumn) {
  ParsedUnits units = ParseUnitsCsv(
      "Mã định danh,Tên đơn vị,Loại,Đơn vị cấp trên,Mã ĐVHC,Hiệu lực từ,Hiệu lực đến\n"
      "H29,UBND tỉnh,Tỉnh,,40,,\n"
      "h29-01,Sở A,Sở,H29,,,\n"
      ",Sở B,Sở,H29,,,\n"
      "H29.03,,Hành tinh,H29,,,\n"
      "H29.04,Sở D,Sở,H29,1,31/02/2026,\n"
      "H29,Trùng,Tỉnh,,,,\n"
      "H29.05,Sở E,Sở,H29.05,,01/07/2025,30/06/2025\n");
  EXPECT_THAT(
      Formatted(units.errors),
      ElementsAre(
          "row 3, column \"Mã định danh\": \"h29-01\" is not a unit code (only 0-9, A-Z and "
          "dots; e.g. \"H29\" or \"units/H29.01\")",
          "row 4, column \"Mã định danh\": is required",
          "row 5, column \"Tên đơn vị\": is required",
          HasSubstr("row 5, column \"Loại\": \"Hành tinh\" is not a unit kind; use one of: "),
          "row 6, column \"Mã ĐVHC\": \"1\" is not 2 (province), 3 (district) or 5 (commune) "
          "digits (a spreadsheet drops leading zeros: format the column as Text)",
          "row 6, column \"Hiệu lực từ\": \"31/02/2026\" is not a valid date (dd/MM/yyyy)",
          "row 7, column \"Mã định danh\": unit H29 is already defined on row 2",
          "row 8, column \"Đơn vị cấp trên\": a unit cannot be its own parent",
          "row 8, column \"Hiệu lực đến\": 30/06/2025 is before 01/07/2025"));
  ASSERT_THAT(units.rows, SizeIs(1));  // only row 2 is valid
  EXPECT_EQ(units.data_rows, 7);
}

TEST(ParseUnitsTest, MissingAndUnknownColumns) {
  ParsedUnits units = ParseUnitsCsv("STT,Mã,Tên đơn vị,Hạn xử lý,Ghi chú\n1,H29,A,x,y\n");
  EXPECT_THAT(Formatted(units.errors),
              ElementsAre(HasSubstr("row 1, column \"Hạn xử lý\": unknown column; the columns "
                                    "are \"Mã định danh\", \"Tên đơn vị\""),
                          "row 1: missing column \"Loại đơn vị\""));
  CsvOptions lenient;
  lenient.ignore_unknown_columns = true;
  units = ParseUnitsCsv("Mã,Tên đơn vị,Cấp,Hạn xử lý\nH29,A,Tỉnh,x\n", lenient);
  EXPECT_THAT(Formatted(units.errors), IsEmpty());
  EXPECT_THAT(units.warnings, ElementsAre(HasSubstr("row 1, column \"Hạn xử lý\": unknown")));
  EXPECT_THAT(units.rows, SizeIs(1));
  // Two names of one field.
  units = ParseUnitsCsv("Mã,Mã định danh,Tên,Loại\nH29,H29,A,Tỉnh\n");
  EXPECT_THAT(Formatted(units.errors),
              ElementsAre("row 1, column \"Mã định danh\": names the same field as column "
                          "\"Mã\"; keep one of them"));
  // Values in columns the header does not name.
  units = ParseUnitsCsv("Mã,Tên,Loại,\nH29,A,Tỉnh,\nH30,B,Tỉnh,oops,more\n");
  EXPECT_THAT(Formatted(units.errors),
              ElementsAre("row 3: column 4 holds \"oops\" but has no name in the header",
                          "row 3: column 5 holds \"more\" but the header has only 4 columns"));
  units = ParseUnitsCsv("");
  EXPECT_THAT(Formatted(units.errors), ElementsAre(HasSubstr("the file is empty")));
}

TEST(ParseTasksTest, TheHeaderIsFoundBelowTitleRows) {
  const std::string plan =
      "\xEF\xBB\xBFỦY BAN NHÂN DÂN TỈNH NGHỆ AN;;;\r\n"
      "DANH MỤC NHIỆM VỤ NĂM 2026;;;\r\n"
      "\r\n"
      "Tên nhiệm vụ;Cơ quan giao;Đơn vị chủ trì\r\n"
      "Cấp căn cước;H29;H29.01\r\n";
  ParsedTasks tasks = ParseTasksCsv(plan);
  EXPECT_THAT(Formatted(tasks.errors), IsEmpty());
  EXPECT_EQ(tasks.header_row, 4);  // the blank line counts, as a spreadsheet shows it
  ASSERT_THAT(tasks.rows, SizeIs(1));
  EXPECT_EQ(tasks.rows[0].row, 5);
  EXPECT_EQ(tasks.rows[0].request.task().title(), "Cấp căn cước");
  // The header named outright gives the same.
  CsvOptions named;
  named.header_row = 4;
  EXPECT_THAT(ParseTasksCsv(plan, named).rows, SizeIs(1));
}

TEST(ParseTasksTest, TheDelimiterIsFoundEvenWhenATitleRowHasCommas) {
  ParsedTasks tasks = ParseTasksCsv(
      "ỦY BAN NHÂN DÂN TỈNH NGHỆ AN, BAN CHỈ ĐẠO ĐỀ ÁN 06\n"
      "Tên nhiệm vụ;Cơ quan giao;Đơn vị chủ trì\n"
      "Rà soát, làm sạch dữ liệu;H29;H29.01\n");
  EXPECT_THAT(Formatted(tasks.errors), IsEmpty());
  EXPECT_EQ(tasks.header_row, 2);
  ASSERT_THAT(tasks.rows, SizeIs(1));
  EXPECT_EQ(tasks.rows[0].request.task().title(), "Rà soát, làm sạch dữ liệu");
}

TEST(ParseTasksTest, NoHeaderIsOneErrorListingTheColumnsExpected) {
  ParsedTasks tasks = ParseTasksCsv("ỦY BAN NHÂN DÂN\nDANH MỤC\nViệc 1;H29;H29.01\n");
  ASSERT_THAT(tasks.errors, SizeIs(1));
  EXPECT_EQ(tasks.errors[0].row, 0);
  EXPECT_THAT(tasks.errors[0].message, HasSubstr("cannot find the header row"));
  EXPECT_THAT(tasks.errors[0].message, HasSubstr("\"Đơn vị chủ trì\", \"Đơn vị phối hợp\""));
  EXPECT_THAT(tasks.errors[0].message, HasSubstr("--header-row=N"));
  EXPECT_THAT(tasks.rows, IsEmpty());
}

TEST(ParseUnitsTest, RequestIdsDependOnTheRequestNotTheFileLayout) {
  ParsedUnits a = ParseUnitsCsv("Mã,Tên,Loại,Cấp trên\nH29,Tỉnh A,Tỉnh,\nH29.01,Sở,Sở,H29\n");
  ParsedUnits b = ParseUnitsCsv(
      "\xEF\xBB\xBFparent;kind;name;code\r\n;province;Tỉnh A;H29\r\nH29;Sở;\"Sở\";h29.01\r\n");
  ASSERT_THAT(a.rows, SizeIs(2));
  ASSERT_THAT(b.rows, SizeIs(2));
  EXPECT_EQ(a.rows[0].request.request_id(), b.rows[0].request.request_id());
  EXPECT_EQ(a.rows[1].request.request_id(), b.rows[1].request.request_id());
  ParsedUnits c = ParseUnitsCsv("Mã,Tên,Loại,Cấp trên\nH29,Tỉnh B,Tỉnh,\n");
  EXPECT_NE(a.rows[0].request.request_id(), c.rows[0].request.request_id());
}

TEST(CheckUnitsTest, ParentsComeFirstAndMustExist) {
  ParsedUnits units = ParseUnitsCsv(ReadExample("units.csv"));
  ASSERT_TRUE(CheckUnits(units, MapLookup({})).ok());
  EXPECT_THAT(Formatted(units.errors), IsEmpty());
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < units.rows.size(); ++i) {
    position[units.rows[i].request.unit().code()] = i;
  }
  for (const UnitRow& row : units.rows) {
    const std::string& parent = row.request.unit().parent();
    if (parent.empty()) continue;
    EXPECT_LT(position.at(parent.substr(6)), position.at(row.request.unit().code()))
        << row.request.unit().code();
  }
  EXPECT_EQ(units.rows[0].request.unit().code(), "H29");

  units = ParseUnitsCsv(
      "Mã,Tên,Loại,Cấp trên\nH29.01,A,Sở,H29\nH30.01,B,Sở,H30\nH31.01,C,Sở,H31\n"
      "X1,D,Khác,X2\nX2,E,Khác,X1\n");
  v1::Unit merged = ActiveUnit("H31");
  merged.set_state(v1::UNIT_STATE_MERGED);
  ASSERT_TRUE(CheckUnits(units, MapLookup({{"H29", ActiveUnit("H29")}, {"H31", merged}})).ok());
  EXPECT_THAT(
      Formatted(units.errors),
      ElementsAre(
          "row 3, column \"Cấp trên\": \"H30\" is neither defined in this file nor on the "
          "server",
          "row 4, column \"Cấp trên\": units/H31 is UNIT_STATE_MERGED, not active: a new unit "
          "needs an active parent",
          "row 5, column \"Cấp trên\": the parents form a cycle: X1 -> X2 -> X1",
          "row 6, column \"Cấp trên\": the parents form a cycle: X1 -> X2 -> X1"));
}

TEST(CheckUnitsTest, UnitsOnTheServerAreAlreadyThere) {
  ParsedUnits units =
      ParseUnitsCsv("Mã,Tên,Loại,Cấp trên\nH29,Đơn vị H29,Tỉnh,\nH29.01,Sở mới,Sở,H29\n");
  ASSERT_TRUE(
      CheckUnits(units, MapLookup({{"H29", ActiveUnit("H29")}, {"H29.01", ActiveUnit("H29.01")}}))
          .ok());
  EXPECT_THAT(Formatted(units.errors), IsEmpty());
  ASSERT_THAT(units.rows, SizeIs(2));
  EXPECT_TRUE(units.rows[0].existing.has_value());
  EXPECT_TRUE(units.rows[1].existing.has_value());
  EXPECT_THAT(units.warnings,
              ElementsAre("row 3: units/H29.01 already exists and is left as it is; it "
                          "differs from the file: name \"Đơn vị H29.01\", kind "
                          "UNIT_KIND_PROVINCE, parent (none) on the server"));
}

TEST(CheckUnitsTest, ALookupErrorStopsTheCheck) {
  ParsedUnits units = ParseUnitsCsv("Mã,Tên,Loại\nH29,A,Tỉnh\n");
  absl::Status s =
      CheckUnits(units, [](const std::string&) -> absl::StatusOr<std::optional<v1::Unit>> {
        return absl::UnavailableError("down");
      });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

// ---- tasks -----------------------------------------------------------------------------

// Options whose relative deadlines count from `today`.
CsvOptions On(absl::CivilDay today) {
  CsvOptions options;
  options.today = today;
  return options;
}

TEST(ParseTasksTest, TheExampleParses) {
  // The example's deadlines count from the day of the import: here 31/03/2026.
  ParsedTasks tasks = ParseTasksCsv(ReadExample("tasks.csv"), On(absl::CivilDay(2026, 3, 31)));
  EXPECT_THAT(Formatted(tasks.errors), IsEmpty());
  EXPECT_THAT(tasks.warnings, IsEmpty());
  ASSERT_THAT(tasks.rows, SizeIs(8));
  const v1::CreateTaskRequest& first = tasks.rows[0].request;
  EXPECT_EQ(first.task().title(), "Rà soát, làm sạch dữ liệu dân cư trên địa bàn tỉnh");
  EXPECT_THAT(first.task().content(), HasSubstr("\"đúng, đủ, sạch, sống\""));
  EXPECT_EQ(first.task().assigning_unit(), "units/H29");
  EXPECT_EQ(first.task().kind(), v1::TASK_KIND_ONE_OFF);
  EXPECT_EQ(first.task().urgency(), v1::URGENCY_FOCUS);
  // "+3 tháng" from 31/03: June has no 31st.
  EXPECT_EQ(first.task().deadline().day(), 30);
  EXPECT_EQ(first.task().deadline().month(), 6);
  EXPECT_EQ(first.task().deadline().year(), 2026);
  EXPECT_EQ(tasks.rows[0].deadline_as_written, "+3m");
  EXPECT_EQ(first.task().directive().number(), "06/QĐ-TTg");
  EXPECT_EQ(first.task().directive().issue_date().year(), 2022);
  EXPECT_THAT(first.task().labels(), ElementsAre("Kế hoạch năm"));
  ASSERT_EQ(first.assignments_size(), 3);
  EXPECT_EQ(first.assignments(0).unit(), "units/H29.01");
  EXPECT_EQ(first.assignments(0).role(), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(first.assignments(1).unit(), "units/H29.02");
  EXPECT_EQ(first.assignments(2).unit(), "units/H29.10");
  EXPECT_EQ(first.assignments(2).role(), v1::ASSIGNMENT_ROLE_SUPPORT);
  // Coordinators one per line in a quoted cell; a ratio KPI.
  const v1::CreateTaskRequest& second = tasks.rows[1].request;
  ASSERT_EQ(second.assignments_size(), 4);
  EXPECT_EQ(second.assignments(3).unit(), "units/H29.05");
  EXPECT_EQ(second.task().kpi().type(), v1::KPI_TYPE_RATIO);
  EXPECT_EQ(second.task().kpi().target_value(), 25);
  EXPECT_EQ(second.task().kpi().target_denominator(), 25);
  // "+6 tháng"; "Thường xuyên" as urgency; a percent KPI.
  const v1::CreateTaskRequest& third = tasks.rows[2].request;
  EXPECT_EQ(third.task().deadline().month(), 9);
  EXPECT_EQ(third.task().deadline().day(), 30);
  EXPECT_EQ(third.task().urgency(), v1::URGENCY_ROUTINE);
  EXPECT_EQ(third.task().kpi().type(), v1::KPI_TYPE_PERCENT);
  EXPECT_EQ(third.task().kpi().target_value(), 100);
  // "Thường xuyên" as the deadline: a recurring task, quarterly.
  const v1::CreateTaskRequest& fourth = tasks.rows[3].request;
  EXPECT_EQ(fourth.task().kind(), v1::TASK_KIND_RECURRING);
  EXPECT_FALSE(fourth.task().has_deadline());
  EXPECT_EQ(fourth.task().cadence(), v1::CADENCE_QUARTERLY);
  EXPECT_EQ(fourth.assignments_size(), 3);
  // "150.000": thousands separators.
  EXPECT_EQ(tasks.rows[5].request.task().kpi().type(), v1::KPI_TYPE_NUMBER);
  EXPECT_EQ(tasks.rows[5].request.task().kpi().target_value(), 150000);
  EXPECT_EQ(tasks.rows[5].request.task().urgency(), v1::URGENCY_AD_HOC);
  for (const TaskRow& row : tasks.rows) {
    EXPECT_LE(row.request.request_id().size(), 36u);
    EXPECT_EQ(row.request.request_id().rfind("imp-t-", 0), 0u);
  }
}

TEST(ParseTasksTest, TheExampleIsAlwaysAheadOfTheDayItIsImported) {
  for (const absl::CivilDay today :
       {absl::CivilDay(2026, 12, 3), absl::CivilDay(2027, 1, 31), absl::CivilDay(2031, 6, 15)}) {
    ParsedTasks tasks = ParseTasksCsv(ReadExample("tasks.csv"), On(today));
    ASSERT_THAT(Formatted(tasks.errors), IsEmpty()) << today;
    int one_off = 0;
    for (const TaskRow& row : tasks.rows) {
      const v1::Task& task = row.request.task();
      if (task.kind() != v1::TASK_KIND_ONE_OFF) continue;
      ++one_off;
      ASSERT_TRUE(task.has_deadline()) << task.title();
      EXPECT_GT(
          absl::CivilDay(task.deadline().year(), task.deadline().month(), task.deadline().day()),
          today)
          << task.title();
    }
    EXPECT_EQ(one_off, 7);
  }
}

TEST(ParseTasksTest, RelativeDeadlinesCountFromTheDayOfTheImport) {
  const absl::CivilDay today(2027, 1, 31);
  auto day = [&](absl::string_view text) {
    std::string canonical;
    std::optional<absl::CivilDay> d = ParseRelativeDay(text, today, &canonical);
    return d ? absl::StrCat(d->year(), "-", d->month(), "-", d->day(), " ", canonical)
             : std::string("none");
  };
  EXPECT_EQ(day("+30 ngày"), "2027-3-2 +30d");
  EXPECT_EQ(day("+30d"), "2027-3-2 +30d");
  EXPECT_EQ(day(" +30 Ngay "), "2027-3-2 +30d");
  EXPECT_EQ(day("+2 tuần"), "2027-2-14 +2w");
  EXPECT_EQ(day("+2w"), "2027-2-14 +2w");
  EXPECT_EQ(day("+1 tháng"), "2027-2-28 +1m");  // the last day of a shorter month
  EXPECT_EQ(day("+13 months"), "2028-2-29 +13m");
  EXPECT_EQ(day("+0d"), "2027-1-31 +0d");
  EXPECT_EQ(day("30 ngày"), "none");
  EXPECT_EQ(day("+ngày"), "none");
  EXPECT_EQ(day("+30"), "none");
  EXPECT_EQ(day("+1 năm"), "2028-1-31 +12m");
  EXPECT_EQ(day("+3 quý"), "none");
  EXPECT_EQ(day("+-3d"), "none");
  EXPECT_EQ(day("+99999d"), "none");

  const std::string file =
      "Tên nhiệm vụ,Cơ quan giao,Đơn vị chủ trì,Đơn vị phối hợp,Hạn xử lý,Hạn phối hợp\n"
      "Nhiệm vụ 1,H29,H29.01,H29.02,+3 tháng,+2 tháng\n"
      "Nhiệm vụ 2,H29,H29.01,,+3 thang,\n"
      "Nhiệm vụ 3,H29,H29.01,,+3 quý,\n";
  ParsedTasks tasks = ParseTasksCsv(file, On(today));
  EXPECT_THAT(Formatted(tasks.errors),
              ElementsAre(HasSubstr("row 4, column \"Hạn xử lý\": \"+3 quý\" is not a date")));
  ASSERT_THAT(tasks.rows, SizeIs(2));
  EXPECT_EQ(DateText(tasks.rows[0].request.task().deadline()), "2027-4-30");
  EXPECT_EQ(DateText(tasks.rows[0].request.assignments(1).deadline()), "2027-3-31");
  // Imported again a month later: other days, the same requests (the same request_ids),
  // so a rerun finds the tasks it created rather than making new ones.
  ParsedTasks later = ParseTasksCsv(file, On(absl::CivilDay(2027, 3, 5)));
  ASSERT_THAT(later.rows, SizeIs(2));
  EXPECT_EQ(DateText(later.rows[0].request.task().deadline()), "2027-6-5");
  EXPECT_EQ(later.rows[0].request.request_id(), tasks.rows[0].request.request_id());
  EXPECT_EQ(later.rows[1].request.request_id(), tasks.rows[1].request.request_id());
  // A fixed date is another request than a relative one.
  ParsedTasks fixed = ParseTasksCsv(
      "Tên nhiệm vụ,Cơ quan giao,Đơn vị chủ trì,Hạn xử lý\nNhiệm vụ 2,H29,H29.01,30/04/2027\n",
      On(today));
  ASSERT_THAT(fixed.rows, SizeIs(1));
  EXPECT_NE(fixed.rows[0].request.request_id(), tasks.rows[1].request.request_id());
}

TEST(ParseTasksTest, EveryBadRowIsReportedWithRowAndColumn) {
  ParsedTasks tasks = ParseTasksCsv(
      "Tên nhiệm vụ,Cơ quan giao,Đơn vị chủ trì,Đơn vị phối hợp,Hạn xử lý,Loại nhiệm vụ,"
      "Mức độ,Chỉ tiêu,Giá trị chỉ tiêu\n"
      "Nhiệm vụ 1,H29,H29.01,H29.02,30/06/2026,,,,\n"
      "Nhiệm vụ 2,H29,H29.01,,31/02/2026,,,,\n"
      ",H29,,H29.02,,,,,\n"
      "Nhiệm vụ 4,H29,\"H29.01, H29.02\",,,,,,\n"
      "Nhiệm vụ 5,H29,H29.01,\"H29.02;H29.01\",,Thường xuyên,Gấp,,\n"
      "Nhiệm vụ 6,H29,H29.01,,30/06/2026,thuong xuyen,,Tỷ lệ,120%\n"
      "Nhiệm vụ 7,H29,H29.01,,,,,,50\n");
  EXPECT_THAT(
      Formatted(tasks.errors),
      ElementsAre(
          "row 3, column \"Hạn xử lý\": \"31/02/2026\" is not a valid date (dd/MM/yyyy)",
          "row 4, column \"Tên nhiệm vụ\": is required",
          "row 4, column \"Đơn vị chủ trì\": is required",
          "row 5, column \"Đơn vị chủ trì\": \"H29.01, H29.02\" names 2 units; a task has one "
          "lead unit (put the others in \"Đơn vị phối hợp\")",
          "row 6, column \"Đơn vị phối hợp\": H29.01 is also the lead unit; a unit holds one "
          "role on a task",
          HasSubstr("row 6, column \"Mức độ\": \"Gấp\" is not an urgency; use "),
          "row 7, column \"Hạn xử lý\": a recurring task (thực hiện thường xuyên) has no "
          "deadline",
          "row 7, column \"Giá trị chỉ tiêu\": a percentage is at most 100",
          "row 8, column \"Chỉ tiêu\": is required with \"Giá trị chỉ tiêu\" or \"Loại chỉ "
          "tiêu\""));
  ASSERT_THAT(tasks.rows, SizeIs(1));
  EXPECT_EQ(tasks.rows[0].row, 2);
  EXPECT_EQ(tasks.data_rows, 7);
}

TEST(ParseTasksTest, ContentIsTheTitleWithoutATitleColumnAndDefaults) {
  CsvOptions options;
  options.default_assigning_unit = "units/h29";
  ParsedTasks tasks =
      ParseTasksCsv("Nội dung;Chủ trì;Thời hạn\nTriển khai VNeID;H29.01;\n", options);
  EXPECT_THAT(Formatted(tasks.errors), IsEmpty());
  ASSERT_THAT(tasks.rows, SizeIs(1));
  const v1::Task& task = tasks.rows[0].request.task();
  EXPECT_EQ(task.title(), "Triển khai VNeID");
  EXPECT_EQ(task.content(), "");
  EXPECT_EQ(task.assigning_unit(), "units/H29");
  EXPECT_EQ(task.kind(), v1::TASK_KIND_ONE_OFF);
  EXPECT_FALSE(task.has_deadline());
  EXPECT_FALSE(task.has_kpi());

  tasks = ParseTasksCsv("Tên nhiệm vụ,Phối hợp\nA,H29\n");
  EXPECT_THAT(Formatted(tasks.errors),
              ElementsAre("row 1: missing column \"Đơn vị chủ trì\"",
                          "row 1: missing column \"Cơ quan giao\" (or give --assigning-unit)"));
}

TEST(ParseTasksTest, IdenticalRowsAreTwoTasksWithAWarning) {
  ParsedTasks tasks = ParseTasksCsv(
      "Tên nhiệm vụ,Cơ quan giao,Chủ trì\nA,H29,H29.01\nB,H29,H29.01\nA,H29,H29.01\n");
  ASSERT_THAT(tasks.rows, SizeIs(3));
  EXPECT_THAT(tasks.warnings, ElementsAre("row 4 repeats row 2 exactly; both are imported "
                                          "(two tasks)"));
  const std::string& a1 = tasks.rows[0].request.request_id();
  const std::string& a2 = tasks.rows[2].request.request_id();
  EXPECT_NE(a1, a2);
  EXPECT_EQ(a1.substr(0, a1.size() - 2), a2.substr(0, a2.size() - 2));
}

TEST(CheckTasksTest, UnitsMustExistAndBeActive) {
  ParsedTasks tasks = ParseTasksCsv(
      "Tên nhiệm vụ,Cơ quan giao,Chủ trì,Phối hợp\nA,H29,H29.01,H29.09\nB,H28,H29.01,\n");
  std::map<std::string, v1::Unit> units = ExampleUnits();
  units["H29.01"].set_state(v1::UNIT_STATE_MERGED);
  units["H29.01"].set_successor("units/H29.02");
  ASSERT_TRUE(CheckTaskUnits(tasks, MapLookup(units)).ok());
  EXPECT_THAT(Formatted(tasks.errors),
              ElementsAre("row 2, column \"Chủ trì\": units/H29.01 is UNIT_STATE_MERGED (its "
                          "successor is units/H29.02), not active",
                          "row 2, column \"Phối hợp\": unit H29.09 does not exist on the "
                          "server (import the units first)",
                          "row 3, column \"Cơ quan giao\": unit H28 does not exist on the "
                          "server (import the units first)",
                          "row 3, column \"Chủ trì\": units/H29.01 is UNIT_STATE_MERGED (its "
                          "successor is units/H29.02), not active"));
}

TEST(CheckTasksTest, TasksThisFileCreatedAreAlreadyThereOthersWithTheTitleConflict) {
  ParsedTasks tasks = ParseTasksCsv(
      "Tên nhiệm vụ,Cơ quan giao,Chủ trì\nA,H29,H29.01\nB,H29,H29.01\nA,H29,H29.01\n");
  const std::string id_a1 = tasks.rows[0].request.request_id();
  // A created by row 2 (not yet by row 4, an interrupted run), B entered otherwise.
  TaskLookup lookup = [&](const std::string& unit,
                          const std::string& title) -> absl::StatusOr<std::vector<ExistingTask>> {
    EXPECT_EQ(unit, "units/H29");
    if (title == "A") return std::vector<ExistingTask>{{"tasks/1", id_a1}};
    if (title == "B") return std::vector<ExistingTask>{{"tasks/2", "by-hand"}};
    return std::vector<ExistingTask>{};
  };
  ASSERT_TRUE(CheckExistingTasks(tasks, lookup, false).ok());
  EXPECT_EQ(tasks.rows[0].existing, "tasks/1");
  EXPECT_EQ(tasks.rows[2].existing, "");
  EXPECT_THAT(Formatted(tasks.errors),
              ElementsAre(HasSubstr("row 3, column \"Tên nhiệm vụ\": units/H29 already has a "
                                    "task with this title (tasks/2) that this row did not "
                                    "create")));
  ParsedTasks again = ParseTasksCsv(
      "Tên nhiệm vụ,Cơ quan giao,Chủ trì\nA,H29,H29.01\nB,H29,H29.01\nA,H29,H29.01\n");
  ASSERT_TRUE(CheckExistingTasks(again, lookup, /*allow_same_title=*/true).ok());
  EXPECT_THAT(again.errors, IsEmpty());
}

}  // namespace
}  // namespace d06::ctl
