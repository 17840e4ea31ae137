// The file downloads of the HTTP face (server/api/http_download.h) with authentication
// on: `GET /download/summary.xlsx?...` and the like answer the export's file (the .xlsx
// opened by openpyxl, tests/testing/xlsx.h) with its type and name, only with a token,
// through the export's policy (another province's unit is NOT_FOUND, as over gRPC), and
// a bad query is a 400 naming what is wrong, before any byte of a file.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/testing/raw_http.h"
#include "tests/testing/test_server.h"
#include "tests/testing/xlsx.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;

class DownloadsTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override { RequireAuthentication(options); }

  void SetUp() override {
    ServerTest::SetUp();
    ClientOptions options;
    options.target = target();
    options.token = admin_token_;
    admin_ = Must(Client::Connect(options));
    CreateUnit("H29", "", "Tỉnh Nghệ An");
    CreateUnit("H29.01", "units/H29", "Công an tỉnh Nghệ An");
    CreateUnit("H40", "", "Tỉnh Hà Tĩnh");
    CreateLedTask("Làm sạch dữ liệu dân cư", Day(2026, 3, 31));
    // A viewer of Nghệ An.
    v1::CreatePrincipalRequest principal;
    principal.set_principal_id("xem-h29");
    principal.mutable_principal()->set_display_name("Người xem Nghệ An");
    principal.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    principal.mutable_principal()->set_unit("units/H29");
    v1::RoleBinding* binding = principal.mutable_principal()->add_bindings();
    binding->set_role(v1::ROLE_VIEWER);
    binding->set_unit("units/H29");
    Must(admin_->CreatePrincipal(principal));
    v1::CreateTokenRequest token;
    token.set_parent("principals/xem-h29");
    token.mutable_token()->set_display_name("bảng theo dõi");
    *token.mutable_token()->mutable_expire_time() =
        ToTimestamp(clock().Now() + absl::Hours(24 * 30));
    viewer_token_ = Must(admin_->CreateToken(token)).secret();
  }

  void CreateUnit(const std::string& code, const std::string& parent, const std::string& name) {
    v1::CreateUnitRequest request;
    request.mutable_unit()->set_code(code);
    request.mutable_unit()->set_display_name(name);
    request.mutable_unit()->set_kind(parent.empty() ? v1::UNIT_KIND_PROVINCE
                                                    : v1::UNIT_KIND_DEPARTMENT);
    request.mutable_unit()->set_parent(parent);
    Must(admin_->CreateUnit(request));
  }

  // A one-off task of Nghệ An led by its police department.
  void CreateLedTask(const std::string& title, const v1::Date& deadline) {
    v1::CreateTaskRequest task;
    task.mutable_task()->set_title(title);
    task.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    task.mutable_task()->set_assigning_unit("units/H29");
    *task.mutable_task()->mutable_deadline() = deadline;
    v1::Assignment* lead = task.add_assignments();
    lead->set_unit("units/H29.01");
    lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    Must(admin_->CreateTask(task));
  }

  // GET `path` with `token` (none when empty).
  RawAnswer Get(const std::string& path, const std::string& token) {
    std::string request =
        absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if (!token.empty()) absl::StrAppend(&request, "Authorization: Bearer ", token, "\r\n");
    absl::StrAppend(&request, "\r\n");
    RawHttp http(server().http_port());
    return http.Exchange(request);
  }

  // The "code" and "message" of a Connect error body.
  static std::string ErrorCode(const RawAnswer& answer) {
    google::protobuf::Struct body;
    if (!google::protobuf::util::JsonStringToMessage(answer.body, &body).ok()) return "";
    return body.fields().at("code").string_value();
  }

  std::string viewer_token_;
  std::unique_ptr<Client> admin_;
};

TEST_F(DownloadsTest, SummaryXlsxIsTheWorkbookWithItsTypeAndName) {
  SetToday(2026, 3, 25);
  const RawAnswer answer = Get("/download/summary.xlsx?unit=units/H29", viewer_token_);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.header("Content-Type"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_EQ(answer.header("Content-Disposition"),
            "attachment; filename=\"bao-cao_H29_2026-03-25.xlsx\"");
  EXPECT_EQ(answer.header("Cache-Control"), "private, no-store");
  const XlsxSheet sheet = ReadXlsx(answer.body);
  EXPECT_EQ(sheet.Cell(1, 1).text, "Tỉnh Nghệ An");
  EXPECT_EQ(sheet.Cell(3, 1).text, "Số liệu tính đến ngày 25/03/2026");
  const size_t total = sheet.RowStarting("Tổng cộng");
  ASSERT_GT(total, 0u);
  EXPECT_EQ(sheet.Cell(total, 2).type, "number");
  EXPECT_EQ(sheet.Cell(total, 2).number, 1);
  // The report date, by proto JSON name, names the file.
  const RawAnswer dated =
      Get("/download/summary.csv?unit=units/H29&asOf=21/03/2026&groupBy=CHILD_UNIT", viewer_token_);
  ASSERT_EQ(dated.status, 200) << dated.body;
  EXPECT_EQ(dated.header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(dated.header("Content-Disposition"),
            "attachment; filename=\"bao-cao_H29_2026-03-21.csv\"");
  EXPECT_THAT(dated.body, HasSubstr("Số liệu tính đến ngày 21/03/2026"));
}

TEST_F(DownloadsTest, FileIsStreamedAndIsTheExportsBytes) {
  // Enough assignments for a file of several 64 KiB chunks.
  for (int i = 0; i < 300; ++i) {
    CreateLedTask(absl::StrCat("Nhiệm vụ số ", i, " ", std::string(400, 'x')), Day(2026, 6, 30));
  }
  const RawAnswer answer = Get("/download/assignments.csv?parent=tasks/-", viewer_token_);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(answer.header("Content-Length"), "");
  v1::ExportAssignmentsRequest request;
  request.set_parent("tasks/-");
  request.set_format(v1::EXPORT_FORMAT_CSV);
  std::string exported;
  int chunks = 0;
  ASSERT_TRUE(admin_
                  ->ExportAssignments(request,
                                      [&](const std::string& chunk) {
                                        exported += chunk;
                                        ++chunks;
                                      })
                  .ok());
  EXPECT_GT(chunks, 1);
  EXPECT_EQ(answer.body, exported);
}

TEST_F(DownloadsTest, AssignmentsCsvTakesTheCsvOptions) {
  const RawAnswer answer =
      Get("/download/assignments.csv?parent=tasks/-&filter=role%20%3D%20LEAD&delimiter=%3B"
          "&decimal_separator=%2C",
          viewer_token_);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.header("Content-Disposition"),
            "attachment; filename=\"nhiem-vu_tat-ca_2026-03-20.csv\"");
  EXPECT_TRUE(absl::StartsWith(answer.body, "\xEF\xBB\xBF\"Mã nhiệm vụ\";\"Tên nhiệm vụ\";"))
      << answer.body;
  EXPECT_THAT(answer.body, HasSubstr("\"Làm sạch dữ liệu dân cư\";\"units/H29\""));
  const RawAnswer xlsx = Get("/download/assignments.xlsx?parent=tasks/-", viewer_token_);
  ASSERT_EQ(xlsx.status, 200) << xlsx.body;
  const XlsxSheet sheet = ReadXlsx(xlsx.body);
  const size_t header = sheet.RowStarting("Mã nhiệm vụ");
  ASSERT_GT(header, 0u);
  EXPECT_EQ(sheet.freeze, absl::StrCat("A", header + 1));
  EXPECT_EQ(sheet.Cell(header + 1, 2).text, "Làm sạch dữ liệu dân cư");
  EXPECT_EQ(sheet.Cell(header + 1, 8).type, "date");
  EXPECT_EQ(sheet.Cell(header + 1, 8).text, "2026-03-31");
}

TEST_F(DownloadsTest, NeedsACredentialAndKeepsToTheCallersScope) {
  const RawAnswer anonymous = Get("/download/summary.xlsx?unit=units/H29", "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(ErrorCode(anonymous), "unauthenticated");
  EXPECT_THAT(anonymous.header("Content-Type"), HasSubstr("application/json"));
  EXPECT_EQ(anonymous.header("Content-Disposition"), "");
  // Another province does not exist for Nghệ An's viewer, as over gRPC.
  const RawAnswer other = Get("/download/summary.xlsx?unit=units/H40", viewer_token_);
  EXPECT_EQ(other.status, 404) << other.body;
  EXPECT_EQ(ErrorCode(other), "not_found");
  v1::ExportSummaryRequest request;
  request.set_unit("units/H40");
  ClientOptions options;
  options.target = target();
  options.token = viewer_token_;
  auto viewer = Must(Client::Connect(options));
  EXPECT_EQ(viewer->ExportSummary(request, [](const std::string&) {}).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(DownloadsTest, BadQueriesAre400NamingTheProblem) {
  for (const auto& [path, says] : std::vector<std::pair<std::string, std::string>>{
           {"/download/summary.xlsx?unit=units/H29&colour=red",
            "the fields of ExportSummaryRequest (unit, asOf, groupBy, delimiter, "
            "decimalSeparator, filter); not"},
           {"/download/summary.xlsx?unit=units/H29&asOf=31-02-2026", "asOf must be a date"},
           {"/download/summary.xlsx?unit=units/H29&groupBy=COUNTY", "groupBy must be one of"},
           {"/download/summary.xlsx?unit=units/H29&unit=units/H40", "given twice"},
           {"/download/summary.xlsx?unit=units/H29&format=CSV", "extension sets the format"},
           {"/download/summary.csv?unit=units/H29&delimiter=%7C", "delimiter must be"},
           {"/download/assignments.csv?parent=tasks/-&filter=state%20%3D%20NOPE", "NOPE"}}) {
    SCOPED_TRACE(path);
    const RawAnswer answer = Get(path, viewer_token_);
    EXPECT_EQ(answer.status, 400) << answer.body;
    EXPECT_EQ(ErrorCode(answer), "invalid_argument");
    EXPECT_THAT(answer.body, HasSubstr(says));
    EXPECT_EQ(answer.header("Content-Disposition"), "");
  }
  EXPECT_EQ(Get("/download/tasks.xlsx", viewer_token_).status, 404);
  EXPECT_EQ(Get("/download/summary.pdf", viewer_token_).status, 404);
}

}  // namespace
}  // namespace d06::testing
