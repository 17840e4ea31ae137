// End-to-end tests of d06ctl: the built binary against a child d06d (the real server
// binary on 127.0.0.1:0 with a fresh data directory), one server for the whole suite;
// each test uses its own unit codes. Also the pure parts (naming rule, display width).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/ctl/catalog.h"
#include "client/ctl/display_width.h"
#include "client/ctl/suggest.h"
#include "client/ctl/table.h"
#include "d06/v1/access.grpc.pb.h"
#include "d06/v1/admin.pb.h"
#include "d06/v1/report.grpc.pb.h"
#include "d06/v1/task.grpc.pb.h"
#include "d06/v1/unit.grpc.pb.h"
#include "d06/v1/watch.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/ctl/spawn.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/xlsx.h"

namespace d06::ctl {
namespace {

using proc::ReadFile;
using proc::Result;
using proc::Spawn;
using proc::WaitExit;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class CtlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir("d06-ctl-test");
    const std::string log = dir_->path() + "/d06d.log";
    // Authentication off, deliberately: these tests are about commands, flags and output,
    // and one checks the actor recorded, which only --auth=off records. auth_test.cc runs
    // d06ctl against an authenticating d06d.
    server_pid_ =
        Spawn({D06D_PATH, "--auth=off", "--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0",
               "--metrics_listen=", "--data_dir=" + dir_->path() + "/data"},
              dir_->path() + "/d06d.out", log);
    ASSERT_GT(server_pid_, 0);
    const std::string port = proc::WaitForGrpcPort(log);
    ASSERT_FALSE(port.empty()) << ReadFile(log);
    setenv("D06_ADDRESS", absl::StrCat("127.0.0.1:", port).c_str(), 1);
    setenv("D06_ACTOR", "ctl-test", 1);
    unsetenv("D06_TIMEOUT");
    // Never the config file of whoever runs the tests.
    setenv("D06CONFIG", (dir_->path() + "/no-config.json").c_str(), 1);
    unsetenv("D06_CONTEXT");
    unsetenv("D06_TOKEN");
  }

  static void TearDownTestSuite() {
    if (server_pid_ > 0) {
      kill(server_pid_, SIGTERM);
      WaitExit(server_pid_);
    }
    delete dir_;
  }

  // Runs d06ctl with `args`.
  static Result Ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {D06CTL_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    return proc::Run(argv, dir_->path());
  }

  // Runs d06ctl and expects exit 0.
  static std::string MustCtl(const std::vector<std::string>& args) {
    Result result = Ctl(args);
    EXPECT_EQ(result.code, 0) << absl::StrJoin(args, " ") << "\n" << result.err;
    return result.out;
  }

  static std::string WriteTemp(const std::string& name, const std::string& text) {
    const std::string path = dir_->path() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Creates a province unit `code` and returns its name.
  static std::string MakeProvince(const std::string& code) {
    MustCtl({"units", "create", "--unit.code", code, "--unit.display_name", "Tỉnh " + code,
             "--unit.kind", "PROVINCE"});
    return "units/" + code;
  }

  // Creates a one-off task of `unit` and returns its name.
  static std::string MakeTask(const std::string& unit, const std::string& title) {
    const std::string json = MustCtl({"tasks", "create", "--task.title", title, "--task.kind",
                                      "ONE_OFF", "--task.assigning_unit", unit, "-o", "json"});
    v1::CreateTaskResponse response;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &response).ok()) << json;
    return response.task().name();
  }

  template <typename M>
  static M ParseJson(const std::string& json) {
    M message;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message).ok()) << json;
    return message;
  }

  static testing::TempDir* dir_;
  static pid_t server_pid_;
};

testing::TempDir* CtlTest::dir_ = nullptr;
pid_t CtlTest::server_pid_ = -1;

std::unique_ptr<Catalog> LoadCatalog() {
  absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Load(EmbeddedDescriptorSet());
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  return std::move(*catalog);
}

// Every method of every service of the API files compiled into the API library (the
// generated pool, independent of d06ctl's embedded copy).
std::vector<const google::protobuf::MethodDescriptor*> AllGeneratedMethods() {
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const auto* file :
       {v1::Unit::descriptor()->file(), v1::Task::descriptor()->file(),
        v1::GetSummaryRequest::descriptor()->file(), v1::WatchRequest::descriptor()->file(),
        v1::WhoAmIRequest::descriptor()->file(), v1::CreateBackupRequest::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) methods.push_back(service->method(m));
    }
  }
  EXPECT_GE(methods.size(), 32u);
  return methods;
}

// ---- naming and help ----------------------------------------------------------------

TEST(CtlNamingTest, EveryRpcHasTheDocumentedCommand) {
  std::unique_ptr<Catalog> catalog = LoadCatalog();
  const std::map<std::string, std::string> expected = {
      {"CreateUnit", "units create"},
      {"GetUnit", "units get"},
      {"ListUnits", "units list"},
      {"UpdateUnit", "units update"},
      {"RenameUnit", "units rename"},
      {"MoveUnit", "units move"},
      {"MergeUnits", "units merge"},
      {"DissolveUnit", "units dissolve"},
      {"CreateTask", "tasks create"},
      {"GetTask", "tasks get"},
      {"ListTasks", "tasks list"},
      {"UpdateTask", "tasks update"},
      {"CancelTask", "tasks cancel"},
      {"ListTaskEvents", "tasks list-events"},
      {"CreateAssignment", "assignments create"},
      {"GetAssignment", "assignments get"},
      {"ListAssignments", "assignments list"},
      {"StartAssignment", "assignments start"},
      {"ReportAssignmentProgress", "assignments report-progress"},
      {"SubmitAssignment", "assignments submit"},
      {"ApproveAssignment", "assignments approve"},
      {"ReturnAssignment", "assignments return"},
      {"DeclineAssignment", "assignments decline"},
      {"RevokeAssignment", "assignments revoke"},
      {"ReopenAssignment", "assignments reopen"},
      {"RequestExtension", "assignments request-extension"},
      {"ApproveExtension", "assignments approve-extension"},
      {"RefuseExtension", "assignments refuse-extension"},
      {"UrgeAssignment", "assignments urge"},
      {"ListUrges", "assignments list-urges"},
      {"ExportAssignments", "assignments export"},
      {"FilePeriodReport", "assignments file-period-report"},
      {"ListPeriodReports", "assignments list-period-reports"},
      {"GetSummary", "reports get-summary"},
      {"ExportSummary", "reports export-summary"},
      {"Watch", "events watch"},
      {"CreatePrincipal", "access create-principal"},
      {"GetPrincipal", "access get-principal"},
      {"ListPrincipals", "access list-principals"},
      {"UpdatePrincipal", "access update-principal"},
      {"CreateToken", "access create-token"},
      {"ListTokens", "access list-tokens"},
      {"RevokeToken", "access revoke-token"},
      {"WhoAmI", "access who-am-i"},
      {"GetServerInfo", "access get-server-info"},
      {"CreateBackup", "admin create-backup"},
      {"ListBackups", "admin list-backups"},
      {"VerifyBackup", "admin verify-backup"},
      {"DeleteBackup", "admin delete-backup"},
      {"CheckConsistency", "admin check-consistency"},
  };
  for (const auto* method : AllGeneratedMethods()) {
    const auto* ours = catalog->pool().FindMethodByName(method->full_name());
    ASSERT_NE(ours, nullptr) << method->full_name() << " is not in the embedded descriptors";
    const MethodCommand* command = catalog->CommandOf(*ours);
    ASSERT_NE(command, nullptr) << method->full_name();
    auto it = expected.find(method->name());
    if (it != expected.end()) {
      EXPECT_EQ(absl::StrCat(command->group, " ", command->verb), it->second);
    }
  }
}

TEST(CtlNamingTest, RuleParts) {
  EXPECT_THAT(SplitCamelCase("ReportAssignmentProgress"),
              ::testing::ElementsAre("Report", "Assignment", "Progress"));
  EXPECT_EQ(PluralOf("Summary"), "Summaries");
  EXPECT_EQ(PluralOf("Unit"), "Units");
  EXPECT_EQ(PluralOf("Day"), "Days");
  EXPECT_EQ(PluralOf("Address"), "Addresses");
  EXPECT_EQ(KebabCase({"List", "Events"}), "list-events");
}

TEST(DisplayWidthTest, VietnameseAndWideText) {
  EXPECT_EQ(DisplayWidth("Nghệ An"), 7);
  EXPECT_EQ(DisplayWidth("Nghe\xcc\xa3\xcc\x82 An"), 7);  // NFD: e + dot below + circumflex
  EXPECT_EQ(DisplayWidth("Đề án 06"), 8);
  EXPECT_EQ(DisplayWidth("日本"), 4);
  EXPECT_EQ(TruncateToWidth("Sở Tư pháp tỉnh Bình Định", 10), "Sở Tư phá…");
  EXPECT_EQ(DisplayWidth(TruncateToWidth("Sở Tư pháp tỉnh Bình Định", 10)), 10);
  EXPECT_EQ(PadToWidth("Đề", 4), "Đề  ");
}

// A paragraph with a line too wide is rewrapped whole (no ragged short lines between long
// ones); list items keep their hanging indent; a label begins a line; lines that fit,
// flags and the items after a label stay as written.
TEST(DisplayWidthTest, ParagraphsTooWideAreRewrappedWhole) {
  const std::string help =
      "Moves a unit below another parent from a date (chuyển đơn vị): a new\n"
      "period begins.\n"
      "Called by: operations staff.\n"
      "\n"
      "Errors:\n"
      "- INVALID_ARGUMENT: name is not \"units/{code}\" or new_parent is missing\n"
      "  or the unit itself.\n"
      "  --lead UNIT   the lead unit\n"
      "Short line.\n"
      "Next short line.";
  EXPECT_EQ(FitLinesToWidth(help, 40),
            "Moves a unit below another parent from a\n"
            "date (chuyển đơn vị): a new period\n"
            "begins.\n"
            "Called by: operations staff.\n"
            "\n"
            "Errors:\n"
            "- INVALID_ARGUMENT: name is not\n"
            "  \"units/{code}\" or new_parent is\n"
            "  missing or the unit itself.\n"
            "  --lead UNIT   the lead unit\n"
            "Short line.\n"
            "Next short line.");
}

TEST_F(CtlTest, EveryMethodIsACommandWithItsProtoCommentAsHelp) {
  std::unique_ptr<Catalog> catalog = LoadCatalog();
  const std::string overview = MustCtl({"help"});
  for (const auto* method : AllGeneratedMethods()) {
    const auto* ours = catalog->pool().FindMethodByName(method->full_name());
    ASSERT_NE(ours, nullptr);
    const MethodCommand* command = catalog->CommandOf(*ours);
    ASSERT_NE(command, nullptr);
    const std::string comment = CommentOf(*ours);
    ASSERT_FALSE(comment.empty()) << method->full_name() << " has no comment";
    const std::string first_line = comment.substr(0, comment.find('\n'));
    const std::string help = MustCtl({command->group, command->verb, "--help"});
    // Lines wider than 80 columns are wrapped: compare the words.
    auto words = [](const std::string& text) {
      return absl::StrJoin(absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty()), " ");
    };
    EXPECT_THAT(words(help), HasSubstr(words(first_line))) << method->full_name();
    EXPECT_THAT(help, HasSubstr(method->full_name()));
    // The overview lists it with the start of its summary.
    EXPECT_THAT(overview, HasSubstr(absl::StrCat("  ", command->verb, " ")));
    EXPECT_THAT(overview, HasSubstr(SummaryOf(comment).substr(0, 30)));
    // The raw forms name the same command.
    EXPECT_EQ(MustCtl({method->service()->name(), method->name(), "--help"}), help);
    EXPECT_EQ(MustCtl({method->full_name(), "--help"}), help);
  }
  EXPECT_THAT(MustCtl({"tasks", "get", "--help"}), HasSubstr("Returns one task."));
  // Field comments are the flags' help.
  const std::string create_unit = MustCtl({"units", "create", "--help"});
  EXPECT_THAT(create_unit, HasSubstr("--unit.kind UNIT_KIND"));
  EXPECT_THAT(create_unit, HasSubstr("Electronic identifier (mã định danh điện tử)"));
  EXPECT_THAT(create_unit, HasSubstr("--unit.valid_from DATE"));
  EXPECT_THAT(create_unit, Not(HasSubstr("--unit.create_time")));  // Output only.
  EXPECT_THAT(MustCtl({"tasks", "--help"}), HasSubstr("Manages tasks (nhiệm vụ)"));
  EXPECT_THAT(MustCtl({"watch", "--help"}), HasSubstr("--unit-tree"));
  EXPECT_THAT(overview, HasSubstr("import"));
}

// ---- requests and output ------------------------------------------------------------

TEST_F(CtlTest, EnumAndDatesInBothFormatsAndOutputs) {
  MustCtl({"units", "create", "--unit.code", "C01", "--unit.display_name",
           "Sở Tư pháp tỉnh Bình Định", "--unit.kind", "unit_kind_province", "--unit.valid_from",
           "01/07/2025", "--unit.valid_to=2030-12-31"});
  const v1::GetUnitResponse got =
      ParseJson<v1::GetUnitResponse>(MustCtl({"units", "get", "units/C01", "-o", "json"}));
  EXPECT_EQ(got.unit().kind(), v1::UNIT_KIND_PROVINCE);
  EXPECT_EQ(got.unit().valid_from().day(), 1);
  EXPECT_EQ(got.unit().valid_from().month(), 7);
  EXPECT_EQ(got.unit().valid_to().year(), 2030);
  EXPECT_EQ(got.unit().display_name(), "Sở Tư pháp tỉnh Bình Định");

  const std::string table = MustCtl({"units", "get", "units/C01"});
  EXPECT_THAT(table, ContainsRegex("\ndisplay_name: +Sở Tư pháp tỉnh Bình Định\n"));
  EXPECT_THAT(table, ContainsRegex("\nkind: +PROVINCE\n"));
  EXPECT_THAT(table, ContainsRegex("\nvalid_from: +01/07/2025\n"));
  EXPECT_THAT(table, ContainsRegex("\ncreate_time: +20"));
  EXPECT_THAT(table, HasSubstr("+07:00"));
  EXPECT_THAT(table, ContainsRegex("\nhistory\\[0\\].from: +01/07/2025\n"));

  // A rename from a date, with its dates in the Vietnamese form.
  const std::string renamed =
      MustCtl({"units", "rename", "units/C01", "--display_name", "Sở Tư pháp", "--effective_date",
               "01/08/2025", "--reason", "Quyết định 9/QĐ-UBND"});
  EXPECT_THAT(renamed, ContainsRegex("\nhistory\\[1\\].from: +01/08/2025\n"));
  EXPECT_THAT(renamed, ContainsRegex("\nhistory\\[1\\].display_name: +Sở Tư pháp\n"));

  const std::string yaml = MustCtl({"units", "get", "units/C01", "-o", "yaml"});
  EXPECT_THAT(yaml, HasSubstr("unit:\n  name: \"units/C01\"\n"));
  EXPECT_THAT(yaml, HasSubstr("  display_name: \"Sở Tư pháp tỉnh Bình Định\"\n"));
  EXPECT_THAT(yaml, HasSubstr("  kind: UNIT_KIND_PROVINCE\n"));
  EXPECT_THAT(yaml, HasSubstr("  valid_from:\n    year: 2025\n    month: 7\n    day: 1\n"));
}

TEST_F(CtlTest, ListTableAlignsVietnameseByDisplayWidth) {
  const std::string parent = MakeProvince("C02");
  for (const auto& [code, name] :
       std::vector<std::pair<std::string, std::string>>{{"C02.01", "Sở Tư pháp"},
                                                        {"C02.02", "Sở Thông tin và Truyền thông"},
                                                        {"C02.03", "Công an tỉnh"}}) {
    MustCtl({"units", "create", "--unit.code", code, "--unit.display_name", name, "--unit.kind",
             "DEPARTMENT", "--unit.parent", parent});
  }
  const std::string table =
      MustCtl({"units", "list", "--filter", absl::StrCat("parent = \"", parent, "\"")});
  std::vector<std::string> lines = absl::StrSplit(table, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << table;
  EXPECT_THAT(lines[0], StartsWith("NAME"));
  // The KIND column starts at the same display column on every line.
  auto kind_column = [](const std::string& line, absl::string_view word) {
    return DisplayWidth(line.substr(0, line.find(std::string(word))));
  };
  const int column = kind_column(lines[0], "KIND");
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(kind_column(lines[i], "DEPARTMENT"), column) << table;
  }
}

TEST_F(CtlTest, NotFoundExitsFiveWithOneErrorLine) {
  Result result = Ctl({"tasks", "get", "tasks/999999"});
  EXPECT_EQ(result.code, 5);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, StartsWith("d06ctl: NOT_FOUND (NOT_FOUND, resource=tasks/999999): "));
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  // A server-side INVALID_ARGUMENT is 3, naming the field.
  result = Ctl({"units", "create", "--unit.code", "bad code", "--unit.display_name", "X",
                "--unit.kind", "PROVINCE"});
  EXPECT_EQ(result.code, 3);
  EXPECT_THAT(result.err, HasSubstr("INVALID_ARGUMENT (INVALID_FIELD, field=unit.code)"));
}

TEST_F(CtlTest, UsageErrorsExit64) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"frobnicate"}, "unknown command \"frobnicate\""},
           {{"tasks", "frobnicate"}, "unknown command \"tasks frobnicate\""},
           {{"tasks", "get", "--nope", "x"}, "--nope: unknown flag"},
           {{"units", "create", "--unit.kind", "PROVINCEE"},
            "--unit.kind: \"PROVINCEE\" is not one of MINISTRY, PROVINCE"},
           {{"units", "create", "--unit.valid_from", "31/02/2025"},
            "give dd/MM/yyyy or yyyy-MM-dd"},
           {{"tasks", "list", "--page_size", "ten"}, "--page_size: \"ten\" is not"},
           {{"tasks", "get", "tasks/1", "tasks/2"}, "only one name"},
           {{"tasks", "create", "--json", "{nope"}, "--json: not a d06.v1.CreateTaskRequest"},
           {{"tasks", "get", "-o", "xml"}, "is not one of table, wide, json, yaml"},
           {{"tasks", "create", "--assignments", "x"}, "give it as proto JSON"},
           {{"tasks", "create", "--assignments", "[{\"unit\": 7}]"},
            "--assignments: not a d06.v1.Assignment list in proto JSON"},
           {{"tasks", "create", "--task", "[]"}, "--task: \"[]\" is not a message"},
       }) {
    Result result = Ctl(c.args);
    EXPECT_EQ(result.code, 64) << absl::StrJoin(c.args, " ") << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
  }
}

TEST_F(CtlTest, JsonFileRepeatedNestedFlagsAndPositionalAssignment) {
  const std::string unit = MakeProvince("C03");
  MustCtl({"units", "create", "--unit.code", "C03.01", "--unit.display_name", "Sở Y tế",
           "--unit.kind", "DEPARTMENT", "--unit.parent", unit});
  // A whole request from a file (with a repeated message field), flags overriding it.
  const std::string file = WriteTemp("task.json", absl::StrCat(R"({"task": {
      "title": "from json", "kind": "TASK_KIND_ONE_OFF", "assigning_unit": ")",
                                                               unit, R"(",
      "labels": ["json"]},
    "assignments": [{"unit": "units/C03.01", "role": "ASSIGNMENT_ROLE_LEAD"}]})"));
  const v1::CreateTaskResponse created = ParseJson<v1::CreateTaskResponse>(
      MustCtl({"tasks", "create", "--json", "@" + file, "--task.title", "Triển khai VNeID",
               "--task.labels", "2026", "--task.labels", "kế hoạch 15", "--task.directive.number",
               "06/QĐ-TTg", "--task.deadline", "31/12/2026", "-o", "json"}));
  const v1::Task& task = created.task();
  EXPECT_EQ(task.title(), "Triển khai VNeID");
  EXPECT_THAT(task.labels(), ::testing::ElementsAre("2026", "kế hoạch 15"));
  EXPECT_EQ(task.directive().number(), "06/QĐ-TTg");
  EXPECT_EQ(task.deadline().year(), 2026);

  const std::string assignment = task.name() + "/assignments/C03.01";
  const v1::StartAssignmentResponse started = ParseJson<v1::StartAssignmentResponse>(
      MustCtl({"assignments", "start", assignment, "-o", "json"}));
  EXPECT_EQ(started.assignment().state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  const std::string listed = MustCtl({"assignments", "list", task.name()});
  EXPECT_THAT(listed, HasSubstr("IN_PROGRESS"));
  EXPECT_THAT(listed, HasSubstr("31/12/2026"));
  // The CSV export: its bytes to --out.
  const std::string csv = dir_->path() + "/export.csv";
  MustCtl({"assignments", "export", task.name(), "--out", csv});
  EXPECT_THAT(ReadFile(csv), StartsWith("\xEF\xBB\xBF"));
  EXPECT_THAT(ReadFile(csv), HasSubstr("C03.01"));
  // The same as an Excel workbook (--format from the request's field), as openpyxl reads
  // it: the header row under the title rows, the task's row with its deadline a date cell.
  const std::string xlsx = dir_->path() + "/export.xlsx";
  MustCtl({"assignments", "export", task.name(), "--format", "xlsx", "--out", xlsx});
  const testing::XlsxSheet sheet = testing::ReadXlsx(ReadFile(xlsx));
  const size_t header = sheet.RowStarting("Mã nhiệm vụ");
  ASSERT_GT(header, 0u);
  EXPECT_EQ(sheet.Cell(header + 1, 1).text, task.name());
  EXPECT_TRUE(std::any_of(sheet.rows[header].begin(), sheet.rows[header].end(),
                          [](const testing::XlsxCell& c) { return c.type == "date"; }));
  // History: the events of the task.
  EXPECT_THAT(MustCtl({"tasks", "list-events", task.name()}), HasSubstr("START"));
}

TEST_F(CtlTest, AllFollowsEveryPage) {
  const std::string parent = MakeProvince("C04");
  for (int i = 1; i <= 5; ++i) {
    MustCtl({"units", "create", "--unit.code", absl::StrCat("C04.0", i), "--unit.display_name",
             absl::StrCat("Phòng ", i), "--unit.kind", "DEPARTMENT", "--unit.parent", parent});
  }
  const std::string filter = absl::StrCat("parent = \"", parent, "\"");
  Result first = Ctl({"units", "list", "--filter", filter, "--page_size", "2"});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(std::count(first.out.begin(), first.out.end(), '\n'), 3) << first.out;
  EXPECT_THAT(first.err, HasSubstr("More: --page_token "));
  const v1::ListUnitsResponse all = ParseJson<v1::ListUnitsResponse>(
      MustCtl({"units", "list", "--filter", filter, "--page_size", "2", "--all", "-o", "json"}));
  ASSERT_EQ(all.units_size(), 5);
  EXPECT_EQ(all.units(4).name(), "units/C04.05");
  EXPECT_EQ(all.next_page_token(), "");
  Result table = Ctl({"units", "list", "--filter", filter, "--page_size", "2", "--all"});
  EXPECT_EQ(std::count(table.out.begin(), table.out.end(), '\n'), 6) << table.out;
  EXPECT_EQ(table.err, "");
}

TEST_F(CtlTest, SameRequestIdGivesTheSameResult) {
  const std::vector<std::string> create = {
      "units",    "create",      "--unit.code", "C05",          "--unit.display_name",
      "Tỉnh C05", "--unit.kind", "PROVINCE",    "--request_id", "ctl-test-c05",
      "-o",       "json"};
  const std::string first = MustCtl(create);
  const std::string second = MustCtl(create);  // A retry: answered, not applied again.
  EXPECT_EQ(first, second);
  std::vector<std::string> changed = create;
  changed[5] = "Another name";
  Result reused = Ctl(changed);
  EXPECT_EQ(reused.code, 3);
  EXPECT_THAT(reused.err, HasSubstr("REQUEST_ID_REUSED"));
  // Without --request_id, the client fills one: creating again is ALREADY_EXISTS (6).
  Result again = Ctl({"units", "create", "--unit.code", "C05", "--unit.display_name", "Tỉnh C05",
                      "--unit.kind", "PROVINCE"});
  EXPECT_EQ(again.code, 6);
}

// gRPC metadata is ASCII: the client library sends such an actor as x-d06-actor-bin, and
// the history shows it as typed, from --actor and from D06_ACTOR.
TEST_F(CtlTest, VietnameseActorIsRecordedInTheHistory) {
  const std::string unit = MakeProvince("C08");
  const std::string by_flag = ParseJson<v1::CreateTaskResponse>(
                                  MustCtl({"tasks", "create", "--task.title", "Nhiệm vụ của anh An",
                                           "--task.kind", "ONE_OFF", "--task.assigning_unit", unit,
                                           "--actor", "Nguyễn Văn An", "-o", "json"}))
                                  .task()
                                  .name();
  const v1::ListTaskEventsResponse events = ParseJson<v1::ListTaskEventsResponse>(
      MustCtl({"tasks", "list-events", by_flag, "-o", "json"}));
  ASSERT_GE(events.events_size(), 1);
  EXPECT_EQ(events.events(0).actor(), "Nguyễn Văn An");
  EXPECT_THAT(MustCtl({"tasks", "list-events", by_flag}), HasSubstr("Nguyễn Văn An"));

  setenv("D06_ACTOR", "Trần Thị Bình", 1);
  const std::string by_env = MakeTask(unit, "Nhiệm vụ của chị Bình");
  setenv("D06_ACTOR", "ctl-test", 1);
  EXPECT_THAT(MustCtl({"tasks", "list-events", by_env, "-o", "json"}),
              HasSubstr("\"actor\": \"Trần Thị Bình\""));
}

TEST_F(CtlTest, SummaryWithDateFlagAndEnum) {
  const std::string unit = MakeProvince("C06");
  MakeTask(unit, "Báo cáo tháng");
  const std::string out =
      MustCtl({"reports", "get-summary", "--unit", unit, "--group_by", "CHILD_UNIT"});
  EXPECT_THAT(out, StartsWith("units/C06  Tỉnh C06  (as of "));
  EXPECT_THAT(out, HasSubstr("\nTổng số "));
  EXPECT_THAT(out, HasSubstr("\nUNIT "));
  EXPECT_THAT(out, HasSubstr(" OVERDUE "));
  EXPECT_THAT(out, HasSubstr("\nTOTAL "));
  EXPECT_THAT(out, Not(HasSubstr("rows[")));
  Result bad_date = Ctl({"reports", "get-summary", "--unit", unit, "--as_of", "2026/01/01"});
  EXPECT_EQ(bad_date.code, 64);
}

TEST_F(CtlTest, WatchPrintsEventsAndStopsOnInterrupt) {
  const std::string unit = MakeProvince("C07");
  const std::string out = dir_->path() + "/watch.out", err = dir_->path() + "/watch.err";
  pid_t pid = Spawn({D06CTL_PATH, "watch", "--from", "1", "--unit-tree", unit}, out, err);
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline &&
         !absl::StrContains(ReadFile(out), "CREATE_UNIT")) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      if (code == 12) GTEST_SKIP() << "Client::Watch is not implemented yet: " << ReadFile(err);
      FAIL() << "watch exited with " << code << ": " << ReadFile(err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string lines = ReadFile(out);
  EXPECT_THAT(lines, HasSubstr("ctl-test  CREATE_UNIT  units/C07")) << ReadFile(err);
  EXPECT_THAT(lines, HasSubstr("+07:00"));
  kill(pid, SIGINT);
  EXPECT_EQ(WaitExit(pid), 0) << ReadFile(err);
}

// ---- at a terminal ----------------------------------------------------------------------

// The widest line of `text`, in display columns.
int WidestLine(const std::string& text) {
  int widest = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    widest = std::max(widest, DisplayWidth(line));
  }
  return widest;
}

TEST(CtlTableTest, RenderTableCutsFreeTextFirstByDisplayWidth) {
  const std::string table = RenderTable(
      {"NAME", "TITLE", "STATE"},
      {{"tasks/1", "Triển khai cấp căn cước điện tử cho công dân trên địa bàn tỉnh", "IN_PROGRESS"},
       {"tasks/22", "Số hoá hồ sơ", "NOT_STARTED"}},
      {false, true, false}, {false, false, false}, 40);
  EXPECT_LE(WidestLine(table), 40) << table;
  EXPECT_THAT(table, HasSubstr("tasks/22  Số hoá hồ sơ"));
  EXPECT_THAT(table, HasSubstr("…  IN_PROGRESS"));  // the title was cut, the state was not
  // No width: nothing is cut.
  EXPECT_THAT(RenderTable({"A"}, {{std::string(200, 'x')}}, {true}, {false}, 0),
              HasSubstr(std::string(200, 'x')));
}

TEST(CtlSuggestTest, ClosestWordByEditDistance) {
  EXPECT_EQ(EditDistance("taks", "tasks"), 1);
  EXPECT_EQ(ClosestMatch("taks", {"units", "tasks", "watch"}), "tasks");
  EXPECT_EQ(ClosestMatch("assign", {"assignments", "access"}), "assignments");
  EXPECT_EQ(ClosestMatch("frobnicate", {"units", "tasks"}), "");
}

TEST_F(CtlTest, ListsFitTheTerminalWithNamesTitlesAndUnitNames) {
  const std::string unit = MakeProvince("C10");
  MustCtl({"units", "create", "--unit.code", "C10.01", "--unit.display_name",
           "Sở Thông tin và Truyền thông tỉnh Bình Định", "--unit.kind", "DEPARTMENT",
           "--unit.parent", unit});
  const std::string long_title =
      "Triển khai thí điểm cấp căn cước điện tử và tích hợp giấy tờ trên ứng dụng VNeID";
  MustCtl({"tasks", "create", "--task.title", long_title, "--task.kind", "ONE_OFF",
           "--task.assigning_unit", unit, "--task.deadline", "30/06/2026", "--lead", "C10.01"});
  MustCtl({"tasks", "create", "--task.title", "Báo cáo quý", "--task.kind", "ONE_OFF",
           "--task.assigning_unit", unit, "--task.deadline", "31/03/2026", "--lead", "C10.01"});
  const std::string filter = absl::StrCat("assigning_unit = \"", unit, "\"");

  setenv("COLUMNS", "80", 1);
  const std::string assignments = MustCtl(
      {"assignments", "list", "tasks/-", "--filter", absl::StrCat("unit = \"units/C10.01\"")});
  const std::string tasks = MustCtl({"tasks", "list", "--filter", filter});
  unsetenv("COLUMNS");
  const std::string wide = MustCtl({"tasks", "list", "--filter", filter, "-o", "wide"});
  EXPECT_LE(WidestLine(assignments), 80) << assignments;
  EXPECT_LE(WidestLine(tasks), 80) << tasks;
  // Curated columns: the task's title and the unit's name, not the scheduler's dates.
  EXPECT_THAT(assignments, StartsWith("TASK "));
  EXPECT_THAT(assignments, HasSubstr("Triển khai"));
  EXPECT_THAT(assignments, HasSubstr("C10.01 Sở"));
  EXPECT_THAT(assignments, HasSubstr("LEAD"));
  EXPECT_THAT(assignments, Not(HasSubstr("RECORDED")));
  EXPECT_THAT(tasks, HasSubstr("ASSIGNED_BY"));
  EXPECT_THAT(tasks, HasSubstr("C10 Tỉnh C10"));
  EXPECT_THAT(tasks, HasSubstr("…"));  // the long title, cut to fit
  EXPECT_THAT(wide, HasSubstr("URGENCY"));
  EXPECT_THAT(wide, HasSubstr(long_title));  // piped without COLUMNS: never cut

  // --columns and --sort-by (a date sorts as a date).
  const std::string picked = MustCtl({"tasks", "list", "--filter", filter, "--columns",
                                      "deadline,title", "--sort-by", "deadline"});
  std::vector<std::string> lines = absl::StrSplit(picked, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << picked;
  EXPECT_THAT(lines[0], StartsWith("DEADLINE    TITLE"));
  EXPECT_THAT(lines[1], StartsWith("31/03/2026  Báo cáo quý"));
  EXPECT_THAT(lines[2], StartsWith("30/06/2026  Triển khai"));
  Result bad = Ctl({"tasks", "list", "--columns", "nope"});
  EXPECT_EQ(bad.code, 64);
  EXPECT_THAT(bad.err, HasSubstr("Task has no column \"nope\" (columns: name, title"));
}

TEST_F(CtlTest, HelpFitsEightyColumns) {
  EXPECT_LE(WidestLine(MustCtl({"help"})), 80);
  std::unique_ptr<Catalog> catalog = LoadCatalog();
  for (const CommandGroup& group : catalog->groups()) {
    EXPECT_LE(WidestLine(MustCtl({group.name, "--help"})), 80) << group.name;
    for (const MethodCommand& command : group.commands) {
      EXPECT_LE(WidestLine(MustCtl({group.name, command.verb, "--help"})), 80)
          << group.name << " " << command.verb;
    }
  }
  for (const char* other : {"watch", "import", "config", "version", "completion"}) {
    EXPECT_LE(WidestLine(MustCtl({other, "--help"})), 80) << other;
  }
}

TEST_F(CtlTest, JsonIsConnectsAndJsonInputTakesWhatTheTablesPrint) {
  const std::string unit = MakeProvince("C11");
  const std::string json = MustCtl({"units", "get", unit, "-o", "json"});
  EXPECT_THAT(json, HasSubstr("\"displayName\": \"Tỉnh C11\""));
  EXPECT_THAT(json, HasSubstr("\"kind\": \"UNIT_KIND_PROVINCE\""));
  EXPECT_THAT(json, Not(HasSubstr("display_name")));
  // Short enum names, lower case too, camelCase and snake_case field names.
  const v1::CreateTaskResponse created = ParseJson<v1::CreateTaskResponse>(MustCtl(
      {"tasks", "create", "-o", "json", "--json",
       absl::StrCat(R"({"task": {"title": "Từ JSON", "kind": "ONE_OFF", "assigningUnit": ")", unit,
                    R"(", "urgency": "focus"}, "assignments": [{"unit": ")", unit,
                    R"(", "role": "LEAD"}]})")}));
  EXPECT_EQ(created.task().kind(), v1::TASK_KIND_ONE_OFF);
  EXPECT_EQ(created.task().urgency(), v1::URGENCY_FOCUS);
  const v1::ListAssignmentsResponse listed = ParseJson<v1::ListAssignmentsResponse>(
      MustCtl({"assignments", "list", created.task().name(), "-o", "json"}));
  ASSERT_EQ(listed.assignments_size(), 1);
  EXPECT_EQ(listed.assignments(0).role(), v1::ASSIGNMENT_ROLE_LEAD);
  Result bad = Ctl({"tasks", "create", "--json", R"({"task": {"kind": "WEEKLY"}})"});
  EXPECT_EQ(bad.code, 64);
  EXPECT_THAT(bad.err, HasSubstr("--json: not a d06.v1.CreateTaskRequest"));
}

TEST_F(CtlTest, LeadAndSupportUnitsOnCreateAndUpdate) {
  const std::string unit = MakeProvince("C12");
  for (const char* code : {"C12.01", "C12.02", "C12.03"}) {
    MustCtl({"units", "create", "--unit.code", code, "--unit.display_name",
             absl::StrCat("Phòng ", code), "--unit.kind", "DEPARTMENT", "--unit.parent", unit});
  }
  const v1::CreateTaskResponse created = ParseJson<v1::CreateTaskResponse>(
      MustCtl({"tasks", "create", "--task.title", "Có đơn vị", "--task.kind", "ONE_OFF",
               "--task.assigning_unit", unit, "--lead", "C12.01", "--support", "units/C12.02", "-o",
               "json"}));
  const std::string task = created.task().name();
  MustCtl({"tasks", "update", task, "--task.title", "Có thêm đơn vị", "--support", "C12.03"});
  const v1::ListAssignmentsResponse listed =
      ParseJson<v1::ListAssignmentsResponse>(MustCtl({"assignments", "list", task, "-o", "json"}));
  std::map<std::string, v1::AssignmentRole> roles;
  for (const v1::Assignment& a : listed.assignments()) roles[a.unit()] = a.role();
  EXPECT_EQ(roles, (std::map<std::string, v1::AssignmentRole>{
                       {"units/C12.01", v1::ASSIGNMENT_ROLE_LEAD},
                       {"units/C12.02", v1::ASSIGNMENT_ROLE_SUPPORT},
                       {"units/C12.03", v1::ASSIGNMENT_ROLE_SUPPORT}}));
  EXPECT_EQ(
      ParseJson<v1::GetTaskResponse>(MustCtl({"tasks", "get", task, "-o", "json"})).task().title(),
      "Có thêm đơn vị");
}

TEST_F(CtlTest, DryRunValidatesAndWritesNothing) {
  const std::string unit = MakeProvince("C13");
  Result dry = Ctl({"tasks", "create", "--task.title", "Thử", "--task.kind", "ONE_OFF",
                    "--task.assigning_unit", unit, "--lead", "C13", "--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("Thử"));
  EXPECT_THAT(dry.err, HasSubstr("dry run"));
  const std::string filter = absl::StrCat("assigning_unit = \"", unit, "\"");
  EXPECT_EQ(MustCtl({"tasks", "list", "--filter", filter}), "(no tasks)\n");
  // The server's checks run: a bad request fails as it would.
  Result refused = Ctl({"units", "create", "--unit.code", "C13", "--unit.display_name", "X",
                        "--unit.kind", "PROVINCE", "--dry-run"});
  EXPECT_EQ(refused.code, 6) << refused.err;  // ALREADY_EXISTS
  // The import's own --dry-run still reaches it (--dry-run is also a global option).
  const std::string csv = WriteTemp(
      "dry-units.csv",
      "STT,Mã định danh,Tên đơn vị,Loại,Đơn vị cấp trên,Mã đơn vị hành chính,Hiệu lực từ\n"
      "1,C14,Tỉnh C14,Tỉnh,,,\n");
  Result imported = Ctl({"import", "units", csv, "--dry-run"});
  EXPECT_EQ(imported.code, 0) << imported.err;
  EXPECT_EQ(Ctl({"units", "get", "units/C14"}).code, 5) << imported.out;
  // A read has nothing to try.
  Result read = Ctl({"tasks", "get", "tasks/1", "--dry-run"});
  EXPECT_EQ(read.code, 64);
  EXPECT_THAT(read.err, HasSubstr("changes nothing"));
}

TEST_F(CtlTest, VersionCompletionAndDidYouMean) {
  const std::string version = MustCtl({"version"});
  EXPECT_THAT(version, StartsWith("Client: d06ctl 0."));
  EXPECT_THAT(version, HasSubstr("\nServer: d06d 0."));
  EXPECT_THAT(version, HasSubstr(" at 127.0.0.1:"));
  EXPECT_THAT(MustCtl({"version", "--client"}), Not(HasSubstr("Server")));

  // The bash script completes groups, commands and flags.
  const std::string script = WriteTemp("completion.bash", MustCtl({"completion", "bash"}));
  auto complete = [&](const std::string& line) {
    const std::string probe =
        WriteTemp("probe.sh", absl::StrCat("source ", script, "\nCOMP_WORDS=(", line,
                                           ")\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n_d06ctl\n"
                                           "echo \"${COMPREPLY[*]}\"\n"));
    return proc::Run({"/bin/bash", probe}, dir_->path()).out;
  };
  EXPECT_EQ(complete("d06ctl tas"), "tasks\n");
  EXPECT_THAT(complete("d06ctl tasks cr"), HasSubstr("create"));
  EXPECT_THAT(complete("d06ctl tasks create --task.ti"), HasSubstr("--task.title"));
  EXPECT_THAT(complete("d06ctl tasks create --le"), HasSubstr("--lead"));
  EXPECT_THAT(complete("d06ctl watch --uni"), HasSubstr("--unit_tree"));
  EXPECT_THAT(complete("d06ctl completion ''"), HasSubstr("bash zsh"));
  EXPECT_THAT(MustCtl({"completion", "zsh"}), HasSubstr("bashcompinit"));

  Result group = Ctl({"taks", "list"});
  EXPECT_EQ(group.code, 64);
  EXPECT_THAT(group.err, HasSubstr("unknown command \"taks\" (did you mean \"tasks\"?)"));
  Result verb = Ctl({"tasks", "lst"});
  EXPECT_THAT(verb.err, HasSubstr("(did you mean \"tasks list\"?)"));
  Result flag = Ctl({"tasks", "create", "--task.titel", "x"});
  EXPECT_THAT(flag.err, HasSubstr("(did you mean \"--task.title\"?)"));
}

}  // namespace
}  // namespace d06::ctl
