// `d06ctl import` against an in-process server (RunImport, client/ctl/import.h): the
// shipped example files import; importing again creates nothing; an interrupted import
// finishes on a rerun without duplicates; a file with a bad row writes nothing.
#include "client/ctl/import.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/ctl/csv_import.h"
#include "common/dates.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

const std::string kExamples = D06_IMPORT_EXAMPLES_DIR;

struct ImportRun {
  int code = -1;
  std::string out;
  std::string err;
};

class ImportTest : public ServerTest {
 protected:
  ImportRun Import(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    ImportRun run;
    run.code = ctl::RunImport(client(), args, out, err);
    run.out = out.str();
    run.err = err.str();
    return run;
  }

  // A file in the test's temporary directory with `content`.
  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Assignments of `task` by unit: unit -> role.
  std::map<std::string, v1::AssignmentRole> Roles(const std::string& task) {
    std::map<std::string, v1::AssignmentRole> roles;
    for (const v1::Assignment& a : AllAssignments(task)) roles[a.unit()] = a.role();
    return roles;
  }

  void ImportExampleUnits() {
    ImportRun run = Import({"units", kExamples + "/units.csv"});
    ASSERT_EQ(run.code, 0) << run.err;
  }

  TempDir dir_{"d06-import-test"};
};

TEST_F(ImportTest, TheExampleFilesImport) {
  ImportRun units = Import({"units", kExamples + "/units.csv"});
  ASSERT_EQ(units.code, 0) << units.err;
  EXPECT_THAT(units.out, HasSubstr("12 rows: 12 created, 0 already there"));
  EXPECT_THAT(units.err, IsEmpty());
  EXPECT_THAT(AllUnits(), SizeIs(12));
  const v1::Unit province = GetUnit("units/H29");
  EXPECT_EQ(province.display_name(), "Ủy ban nhân dân tỉnh Nghệ An");
  EXPECT_EQ(province.kind(), v1::UNIT_KIND_PROVINCE);
  EXPECT_EQ(province.admin_code(), "40");
  EXPECT_EQ(GetUnit("units/H29.01").parent(), "units/H29");
  EXPECT_EQ(GetUnit("units/H29.10.CA").parent(), "units/H29.10");
  EXPECT_EQ(GetUnit("units/H29.BCD06").kind(), v1::UNIT_KIND_WORKING_GROUP);

  ImportRun tasks = Import({"tasks", kExamples + "/tasks.csv"});
  ASSERT_EQ(tasks.code, 0) << tasks.err;
  EXPECT_THAT(tasks.out, HasSubstr("8 rows: 8 created, 0 already there"));
  std::vector<v1::Task> all = AllTasks();
  ASSERT_THAT(all, SizeIs(8));
  std::map<std::string, v1::Task> by_title;
  for (const v1::Task& t : all) by_title[t.title()] = t;
  const v1::Task& clean = by_title.at("Rà soát, làm sạch dữ liệu dân cư trên địa bàn tỉnh");
  EXPECT_EQ(clean.assigning_unit(), "units/H29");
  // "+3 tháng": three months from the day of the import.
  const std::string in_three_months =
      DateString(ToDate(*ctl::ParseRelativeDay("+3 tháng", DayInVietnam(absl::Now()))));
  EXPECT_EQ(DateString(clean.deadline()), in_three_months);
  EXPECT_EQ(clean.urgency(), v1::URGENCY_FOCUS);
  EXPECT_EQ(clean.directive().number(), "06/QĐ-TTg");
  EXPECT_THAT(Roles(clean.name()),
              UnorderedElementsAre(::testing::Pair("units/H29.01", v1::ASSIGNMENT_ROLE_LEAD),
                                   ::testing::Pair("units/H29.02", v1::ASSIGNMENT_ROLE_SUPPORT),
                                   ::testing::Pair("units/H29.10", v1::ASSIGNMENT_ROLE_SUPPORT)));
  for (const v1::Assignment& a : AllAssignments(clean.name())) {
    EXPECT_EQ(DateString(a.deadline()), in_three_months) << a.name();
  }
  const v1::Task& services = by_title.at("Cung cấp dịch vụ công trực tuyến toàn trình thiết yếu");
  EXPECT_THAT(Roles(services.name()), SizeIs(4));
  EXPECT_EQ(services.kpi().type(), v1::KPI_TYPE_RATIO);
  const v1::Task& report = by_title.at("Báo cáo kết quả thực hiện Đề án 06");
  EXPECT_EQ(report.kind(), v1::TASK_KIND_RECURRING);
  EXPECT_EQ(report.cadence(), v1::CADENCE_QUARTERLY);
  EXPECT_FALSE(report.has_deadline() && report.deadline().year() != 0);
  EXPECT_EQ(Roles(report.name()).at("units/H29.BCD06"), v1::ASSIGNMENT_ROLE_LEAD);
  // 8 leads and 15 coordinators in the file.
  EXPECT_THAT(AllAssignments("tasks/-", "role = LEAD"), SizeIs(8));
  EXPECT_THAT(AllAssignments("tasks/-"), SizeIs(23));
}

// Whenever a newcomer tries the example, its plan lies ahead: on the day of the import no
// task is overdue, and the summary says so.
TEST_F(ImportTest, TheExamplePlanIsAheadOnTheDayItIsImported) {
  clock().Set(absl::Now());
  ImportExampleUnits();
  ImportRun tasks = Import({"tasks", kExamples + "/tasks.csv"});
  ASSERT_EQ(tasks.code, 0) << tasks.err;
  const absl::CivilDay today = DayInVietnam(absl::Now());
  for (const v1::Task& task : AllTasks()) {
    if (task.kind() == v1::TASK_KIND_RECURRING) continue;
    EXPECT_GT(ToCivilDay(task.deadline()), today) << task.title();
  }
  v1::GetSummaryRequest req;
  req.set_unit("units/H29");
  const v1::GetSummaryResponse summary = Must(client().GetSummary(req));
  EXPECT_EQ(summary.total().total(), 8);
  EXPECT_EQ(summary.total().overdue(), 0) << summary.status_line();
  EXPECT_EQ(summary.total().in_progress_on_time(), 7);
  EXPECT_EQ(summary.total().recurring(), 1);
  EXPECT_THAT(AllAssignments("tasks/-", "timeliness = OVERDUE"), IsEmpty());
}

TEST_F(ImportTest, ImportingAgainCreatesNothing) {
  ImportExampleUnits();
  ASSERT_EQ(Import({"tasks", kExamples + "/tasks.csv"}).code, 0);
  ImportRun units = Import({"units", kExamples + "/units.csv"});
  EXPECT_EQ(units.code, 0) << units.err;
  EXPECT_THAT(units.out, HasSubstr("12 rows: 0 created, 12 already there"));
  EXPECT_THAT(units.err, IsEmpty());  // the same units: no differences to warn about
  ImportRun tasks = Import({"tasks", kExamples + "/tasks.csv"});
  EXPECT_EQ(tasks.code, 0) << tasks.err;
  EXPECT_THAT(tasks.out, HasSubstr("8 rows: 0 created, 8 already there"));
  EXPECT_THAT(AllUnits(), SizeIs(12));
  EXPECT_THAT(AllTasks(), SizeIs(8));
  EXPECT_THAT(AllAssignments("tasks/-"), SizeIs(23));
}

TEST_F(ImportTest, AnInterruptedImportFinishesOnARerun) {
  ImportRun first = Import({"units", kExamples + "/units.csv", "--limit=5"});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("12 rows: 5 created, 0 already there; stopped after 5"));
  EXPECT_THAT(AllUnits(), SizeIs(5));
  ImportRun units = Import({"units", kExamples + "/units.csv"});
  ASSERT_EQ(units.code, 0) << units.err;
  EXPECT_THAT(units.out, HasSubstr("12 rows: 7 created, 5 already there"));
  EXPECT_THAT(AllUnits(), SizeIs(12));

  ImportRun part = Import({"tasks", kExamples + "/tasks.csv", "--limit=3"});
  ASSERT_EQ(part.code, 0) << part.err;
  EXPECT_THAT(AllTasks(), SizeIs(3));
  ImportRun rest = Import({"tasks", kExamples + "/tasks.csv"});
  ASSERT_EQ(rest.code, 0) << rest.err;
  EXPECT_THAT(rest.out, HasSubstr("8 rows: 5 created, 3 already there"));
  EXPECT_THAT(AllTasks(), SizeIs(8));
  EXPECT_THAT(AllAssignments("tasks/-"), SizeIs(23));
}

TEST_F(ImportTest, AWriteThatWentThroughUnseenIsReplayedNotRepeated) {
  // The run died after the server wrote row 2 but before the client heard of it: the
  // rerun's pre-check sees it, and even a blind resend of the same request_id creates
  // nothing new.
  ImportExampleUnits();
  std::ifstream in(kExamples + "/tasks.csv", std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  ctl::ParsedTasks parsed = ctl::ParseTasksCsv(bytes.str());
  ASSERT_THAT(parsed.rows, SizeIs(8));
  const v1::Task written = Must(client().CreateTask(parsed.rows[0].request)).task();
  const v1::Task again = Must(client().CreateTask(parsed.rows[0].request)).task();
  EXPECT_EQ(again.name(), written.name());
  ImportRun run = Import({"tasks", kExamples + "/tasks.csv"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("row 2: already there " + written.name()));
  EXPECT_THAT(run.out, HasSubstr("8 rows: 7 created, 1 already there"));
  EXPECT_THAT(AllTasks(), SizeIs(8));
}

TEST_F(ImportTest, AFileWithABadRowWritesNothing) {
  ImportExampleUnits();
  const std::string path =
      WriteFile("bad.csv",
                "Tên nhiệm vụ,Cơ quan giao,Đơn vị chủ trì,Đơn vị phối hợp,Hạn xử lý\n"
                "Nhiệm vụ tốt,H29,H29.01,H29.02,30/06/2026\n"
                "Nhiệm vụ sai ngày,H29,H29.01,,31/02/2026\n"
                "Nhiệm vụ thiếu đơn vị,H29,H29.99,H29.02,30/06/2026\n");
  ImportRun run = Import({"tasks", path});
  EXPECT_EQ(run.code, 3);
  EXPECT_THAT(run.err, HasSubstr("row 3, column \"Hạn xử lý\": \"31/02/2026\" is not a valid date "
                                 "(dd/MM/yyyy)\n"));
  EXPECT_THAT(run.err, HasSubstr("row 4, column \"Đơn vị chủ trì\": unit H29.99 does not "
                                 "exist on the server"));
  EXPECT_THAT(run.err, HasSubstr("3 rows, 2 errors: nothing written"));
  EXPECT_THAT(AllTasks(), IsEmpty());

  const std::string units =
      WriteFile("units.csv", "Mã,Tên,Loại,Cấp trên\nH30,Tỉnh B,Tỉnh,\nH30.01,Sở,Sở,H31\n");
  run = Import({"units", units});
  EXPECT_EQ(run.code, 3);
  EXPECT_THAT(run.err, HasSubstr("row 3, column \"Cấp trên\": \"H31\" is neither defined in "
                                 "this file nor on the server"));
  EXPECT_THAT(AllUnits(), SizeIs(12));
}

// Rows whose codes the file got wrong are reported as such, not sent to the server as
// names it refuses (the whole check would then stop at the first).
TEST_F(ImportTest, MissingColumnsAndUnitsAreRowErrorsNotServerErrors) {
  ImportRun units = Import({"units", WriteFile("wrong.csv", "a,b\n1,2\n")});
  EXPECT_EQ(units.code, 3) << units.err;
  EXPECT_THAT(units.err, HasSubstr("cannot find the header row"));
  EXPECT_THAT(units.err, HasSubstr("\"Mã định danh\""));
  EXPECT_THAT(units.err, Not(HasSubstr("INVALID")));
  ImportRun tasks = Import({"tasks", WriteFile("tasks.csv",
                                               "Tên nhiệm vụ,Cơ quan giao,Đơn vị chủ trì\n"
                                               "Rà soát dữ liệu dân cư,,\n")});
  EXPECT_EQ(tasks.code, 3) << tasks.err;
  EXPECT_THAT(tasks.err, HasSubstr("row 2, column \"Cơ quan giao\": is required"));
  EXPECT_THAT(tasks.err, Not(HasSubstr("INVALID")));
}

TEST_F(ImportTest, DryRunWritesNothing) {
  ImportExampleUnits();
  ImportRun run = Import({"tasks", kExamples + "/tasks.csv", "--dry-run"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("8 rows valid: 8 to create, 0 already there (dry run"));
  EXPECT_THAT(AllTasks(), IsEmpty());
}

TEST_F(ImportTest, UnitsCreatedOtherwiseAreAlreadyThereWithAWarningWhenTheyDiffer) {
  MakeUnit("H29", v1::UNIT_KIND_PROVINCE, "", "UBND tỉnh Nghệ An");
  ImportRun run = Import({"units", kExamples + "/units.csv"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("12 rows: 11 created, 1 already there"));
  EXPECT_THAT(run.err, HasSubstr("warning: row 3: units/H29 already exists and is left as it "
                                 "is; it differs from the file: name \"UBND tỉnh Nghệ An\""));
  EXPECT_EQ(GetUnit("units/H29").display_name(), "UBND tỉnh Nghệ An");
}

TEST_F(ImportTest, ATaskWithTheSameTitleEnteredOtherwiseNeedsConsent) {
  ImportExampleUnits();
  MakeTask("units/H29", "Báo cáo kết quả thực hiện Đề án 06");
  ImportRun run = Import({"tasks", kExamples + "/tasks.csv"});
  EXPECT_EQ(run.code, 3);
  EXPECT_THAT(run.err, HasSubstr("row 5, column \"Tên nhiệm vụ\": units/H29 already has a "
                                 "task with this title"));
  EXPECT_THAT(AllTasks(), SizeIs(1));
  run = Import({"tasks", kExamples + "/tasks.csv", "--allow-same-title"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(AllTasks(), SizeIs(9));
}

TEST_F(ImportTest, AssigningUnitOptionAndSemicolonsWithoutBom) {
  ImportExampleUnits();
  const std::string path =
      WriteFile("plan.csv",
                "Nội dung;Chủ trì;Phối hợp;Thời hạn\n"
                "\"Triển khai, mở rộng VNeID\";H29.01;\"H29.02\nH29.03\";2026-12-31\n");
  ImportRun run = Import({"tasks", path, "--assigning-unit=H29"});
  ASSERT_EQ(run.code, 0) << run.err;
  std::vector<v1::Task> tasks = AllTasks();
  ASSERT_THAT(tasks, SizeIs(1));
  EXPECT_EQ(tasks[0].title(), "Triển khai, mở rộng VNeID");
  EXPECT_EQ(tasks[0].assigning_unit(), "units/H29");
  EXPECT_THAT(Roles(tasks[0].name()), SizeIs(3));
}

// A plan as Excel in Vietnam saves it ("CSV UTF-8": a byte-order mark, ';', CRLF) with the
// title rows a Vietnamese report carries above its header.
TEST_F(ImportTest, TitleRowsAboveTheHeaderAreSkippedAndSaid) {
  ImportExampleUnits();
  const std::string path =
      WriteFile("plan.csv",
                "\xEF\xBB\xBFỦY BAN NHÂN DÂN TỈNH NGHỆ AN;;;;\r\n"
                "DANH MỤC NHIỆM VỤ TRIỂN KHAI ĐỀ ÁN 06 NĂM 2026;;;;\r\n"
                ";;;;\r\n"
                "STT;Tên nhiệm vụ;Cơ quan giao;Đơn vị chủ trì;Hạn xử lý\r\n"
                "1;Rà soát, làm sạch dữ liệu dân cư;H29;H29.01;31/12/2026\r\n");
  ImportRun run = Import({"tasks", path});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("the header is row 4"));
  EXPECT_THAT(run.out, HasSubstr("row 5: created tasks/"));
  std::vector<v1::Task> tasks = AllTasks();
  ASSERT_THAT(tasks, SizeIs(1));
  EXPECT_EQ(tasks[0].title(), "Rà soát, làm sạch dữ liệu dân cư");
  // The header named outright.
  ImportRun again = Import({"tasks", path, "--header-row=4", "--dry-run"});
  EXPECT_EQ(again.code, 0) << again.err;
}

TEST_F(ImportTest, AFileWithoutAHeaderListsTheColumnsExpected) {
  ImportExampleUnits();
  ImportRun run = Import({"tasks", WriteFile("titles.csv",
                                             "ỦY BAN NHÂN DÂN TỈNH NGHỆ AN\n"
                                             "DANH MỤC NHIỆM VỤ\n"
                                             "Việc 1;H29;H29.01\n")});
  EXPECT_EQ(run.code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("cannot find the header row in the first 20 non-blank rows"));
  EXPECT_THAT(run.err, HasSubstr("\"Tên nhiệm vụ\", \"Nội dung\", \"Cơ quan giao\", "
                                 "\"Đơn vị chủ trì\""));
  EXPECT_THAT(run.err, Not(HasSubstr("listing the tasks")));
  // A header row named that is not one: its columns are unknown, and said so.
  ImportRun named = Import({"tasks",
                            WriteFile("titles2.csv",
                                      "ỦY BAN NHÂN DÂN TỈNH NGHỆ AN\n"
                                      "Tên nhiệm vụ;Cơ quan giao;Đơn vị chủ trì\n"
                                      "Việc 1;H29;H29.01\n"),
                            "--header-row=1"});
  EXPECT_EQ(named.code, 3) << named.err;
  EXPECT_THAT(named.err, HasSubstr("unknown column"));
  EXPECT_THAT(named.err, Not(HasSubstr("listing the tasks")));
  ImportRun beyond = Import({"tasks", WriteFile("titles3.csv", "a\n"), "--header-row=9"});
  EXPECT_EQ(beyond.code, 3) << beyond.err;
  EXPECT_THAT(beyond.err, HasSubstr("--header-row=9: that row is blank or beyond"));
}

// The bounds of a file (csv_import.h): a file past them is refused at once with one
// message saying to split it, and a file with many bad rows prints the first 20.
TEST_F(ImportTest, AMillionRowsAreRefusedEarlyWithOneMessage) {
  std::string file = "Mã định danh,Tên đơn vị,Loại,Đơn vị cấp trên\nH29,Tỉnh,Tỉnh,\n";
  for (int i = 1; i < 1000000; ++i) absl::StrAppend(&file, "H29.", i, ",Xã ", i, ",Xã,H29\n");
  absl::StrAppend(&file, "H29.X,Xã cuối,Không rõ,H29\n");  // the last row is bad
  ImportRun run = Import({"units", WriteFile("million.csv", file)});
  EXPECT_EQ(run.code, 3);
  EXPECT_THAT(run.err, HasSubstr("the file has more than 100000 data rows (row 100002 is one "
                                 "too many)"));
  EXPECT_THAT(run.err, HasSubstr("split it into several files"));
  EXPECT_LE(std::count(run.err.begin(), run.err.end(), '\n'), 2) << run.err.substr(0, 2000);
  EXPECT_THAT(AllUnits(), IsEmpty());
}

TEST_F(ImportTest, AFileOverTheByteLimitIsRefusedUnread) {
  std::string file = "Mã định danh,Tên đơn vị,Loại\n";
  file.resize(ctl::kMaxImportBytes + 1, 'x');
  ImportRun run = Import({"units", WriteFile("huge.csv", file)});
  EXPECT_EQ(run.code, 3);
  EXPECT_THAT(run.err, HasSubstr("huge.csv has 67108865 bytes; an import takes at most 64 MiB "
                                 "and 100000 rows per file: split it"));
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
}

TEST_F(ImportTest, AHundredThousandColumnsAreOneMessage) {
  std::string header = "Mã định danh,Tên đơn vị,Loại";
  for (int i = 0; i < 100000; ++i) absl::StrAppend(&header, ",Cột ", i);
  ImportRun run = Import({"units", WriteFile("wide.csv", header + "\nH29,Tỉnh,Tỉnh\n")});
  EXPECT_EQ(run.code, 3);
  EXPECT_THAT(run.err, HasSubstr("row 1 has more than 100 columns"));
  EXPECT_LE(std::count(run.err.begin(), run.err.end(), '\n'), 2) << run.err.substr(0, 2000);
}

TEST_F(ImportTest, ManyBadRowsPrintTheFirstTwentyAndACount) {
  std::string file = "Mã định danh,Tên đơn vị,Loại\n";
  for (int i = 1; i <= 300; ++i) absl::StrAppend(&file, "H29.", i, ",Xã ", i, ",Không rõ\n");
  ImportRun run = Import({"units", WriteFile("bad.csv", file)});
  EXPECT_EQ(run.code, 3);
  EXPECT_THAT(run.err, HasSubstr("row 2, column \"Loại\": \"Không rõ\" is not a unit kind"));
  EXPECT_THAT(run.err, HasSubstr("row 21, column \"Loại\""));
  EXPECT_THAT(run.err, Not(HasSubstr("row 22,")));
  EXPECT_THAT(run.err, HasSubstr("\n... and 280 more errors"));
  EXPECT_THAT(run.err, HasSubstr("300 rows, 300 errors: nothing written"));
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 22) << run.err;
}

TEST_F(ImportTest, UsageErrors) {
  EXPECT_EQ(Import({}).code, 64);
  EXPECT_EQ(Import({"people", "x.csv"}).code, 64);
  EXPECT_EQ(Import({"units"}).code, 64);
  EXPECT_EQ(Import({"units", "a.csv", "b.csv"}).code, 64);
  EXPECT_EQ(Import({"units", "a.csv", "--frobnicate"}).code, 64);
  EXPECT_EQ(Import({"units", "a.csv", "--delimiter=|"}).code, 64);
  EXPECT_EQ(Import({"units", "a.csv", "--limit=x"}).code, 64);
  EXPECT_EQ(Import({"units", "a.csv", "--allow-same-title"}).code, 64);
  EXPECT_EQ(Import({"units", dir_.path() + "/missing.csv"}).code, 66);
  ImportRun help = Import({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: d06ctl import units|tasks|reorganisation FILE.csv"));
}

TEST_F(ImportTest, AnUnreachableServerStopsWithItsCodeAndARerunFinishes) {
  // Validation reads the server: unreachable, the import stops with UNAVAILABLE (14)
  // before writing anything; run again once the server is back, it completes.
  ImportExampleUnits();
  const std::string path =
      WriteFile("two.csv", "Tên nhiệm vụ,Cơ quan giao,Chủ trì\nMột,H29,H29.01\nHai,H29,H29.02\n");
  StopServer();
  ClientOptions options;
  options.target = "127.0.0.1:1";
  options.max_retries = 0;
  options.default_timeout = absl::Seconds(2);
  std::unique_ptr<Client> dead = Must(Client::Connect(options));
  std::ostringstream out, err;
  const int code = ctl::RunImport(*dead, {"tasks", path}, out, err);
  EXPECT_EQ(code, static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(err.str(), HasSubstr("reading units/H29"));
  StartAgain();
  ImportRun run = Import({"tasks", path});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(AllTasks(), SizeIs(2));
}

}  // namespace
}  // namespace d06::testing
