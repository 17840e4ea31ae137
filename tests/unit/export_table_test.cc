// The file of an export (server/core/export_table.h): CSV with the asked delimiter and
// decimal separator; XLSX opened by openpyxl (tests/testing/xlsx.h) with typed cells,
// titles and a frozen header; and the XLSX's temporary file gone on every path
// (finished, failed, cancelled by the client, dropped unfinished).
#include "server/core/export_table.h"

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "common/dates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/xlsx.h"

namespace d06 {
namespace {

using testing::ReadXlsx;
using testing::TempDir;
using testing::XlsxSheet;

// Points $TMPDIR at a fresh directory while it lives, so a test sees the temporary files.
class TmpDirScope {
 public:
  TmpDirScope() : dir_("d06-export-table-test") {
    const char* old = getenv("TMPDIR");
    if (old != nullptr) old_ = old;
    had_ = old != nullptr;
    setenv("TMPDIR", dir_.path().c_str(), 1);
  }
  ~TmpDirScope() {
    if (had_) {
      setenv("TMPDIR", old_.c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
  }
  // The files left in the directory.
  int Files() const {
    int n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_.path())) ++n;
    return n;
  }

 private:
  TempDir dir_;
  std::string old_;
  bool had_ = false;
};

// Writes a small table: two titles, a note, a header, two rows and a total.
absl::Status WriteSample(ExportTable& table) {
  if (auto s = table.Title("Tỉnh Nghệ An"); !s.ok()) return s;
  if (auto s = table.Title("Báo cáo", false); !s.ok()) return s;
  if (auto s = table.Note("Số liệu tính đến ngày 20/03/2026"); !s.ok()) return s;
  if (auto s = table.Header({{"Đơn vị", 40}, {"Hạn xử lý", 12}, {"Số", 8}, {"Tỷ lệ (%)", 10}});
      !s.ok()) {
    return s;
  }
  if (auto s = table.Row({ExportCell::Text("=1+1 Xã Đông Vĩnh"),
                          ExportCell::Date(ToDate(absl::CivilDay(2026, 3, 31))),
                          ExportCell::Number(3), ExportCell::Percent(18.2)});
      !s.ok()) {
    return s;
  }
  if (auto s = table.Row({ExportCell::Text("Phường Hưng Bình"), ExportCell::Date(v1::Date()),
                          ExportCell(), ExportCell::Percent(0)});
      !s.ok()) {
    return s;
  }
  return table.Row({ExportCell::Text("Tổng cộng"), ExportCell(), ExportCell::Number(3),
                    ExportCell::Percent(9.1)},
                   true);
}

std::string Export(v1::ExportFormat format, const std::string& delimiter = "",
                   const std::string& decimal = "") {
  std::string file;
  auto table = NewExportTable(format, delimiter, decimal, "Tổng hợp", [&](std::string chunk) {
    file += chunk;
    return true;
  });
  EXPECT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(WriteSample(**table).ok());
  EXPECT_TRUE((*table)->Finish().ok());
  return file;
}

TEST(ExportTableTest, CsvLeavesTitlesOutAndWritesTheAskedSeparators) {
  EXPECT_EQ(Export(v1::EXPORT_FORMAT_CSV),
            "\xEF\xBB\xBF\"Số liệu tính đến ngày 20/03/2026\"\r\n"
            "\"Đơn vị\",\"Hạn xử lý\",\"Số\",\"Tỷ lệ (%)\"\r\n"
            "\"'=1+1 Xã Đông Vĩnh\",\"31/03/2026\",\"3\",\"18.2\"\r\n"
            "\"Phường Hưng Bình\",\"\",\"\",\"0\"\r\n"
            "\"Tổng cộng\",\"\",\"3\",\"9.1\"\r\n");
  const std::string vn = Export(v1::EXPORT_FORMAT_UNSPECIFIED, ";", ",");
  EXPECT_TRUE(absl::StrContains(vn, "\"'=1+1 Xã Đông Vĩnh\";\"31/03/2026\";\"3\";\"18,2\"\r\n"))
      << vn;
}

TEST(ExportTableTest, BadFormatOrCsvOptionsAreRefusedBeforeAnyByte) {
  int chunks = 0;
  auto count = [&](std::string) {
    ++chunks;
    return true;
  };
  EXPECT_EQ(NewExportTable(static_cast<v1::ExportFormat>(7), "", "", "x", count).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewExportTable(v1::EXPORT_FORMAT_CSV, "|", "", "x", count).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(chunks, 0);
}

TEST(ExportTableTest, XlsxOpensInOpenpyxlWithTypesTitlesAndAFrozenHeader) {
  TmpDirScope tmp;
  const std::string file = Export(v1::EXPORT_FORMAT_XLSX);
  ASSERT_TRUE(absl::StartsWith(file, "PK"));  // a zip, as every .xlsx
  EXPECT_EQ(tmp.Files(), 0);
  const XlsxSheet sheet = ReadXlsx(file);
  EXPECT_EQ(sheet.name, "Tổng hợp");
  EXPECT_EQ(sheet.Cell(1, 1).text, "Tỉnh Nghệ An");
  EXPECT_TRUE(sheet.Cell(1, 1).bold);
  EXPECT_EQ(sheet.Cell(2, 1).text, "Báo cáo");
  EXPECT_FALSE(sheet.Cell(2, 1).bold);
  EXPECT_EQ(sheet.Cell(3, 1).text, "Số liệu tính đến ngày 20/03/2026");
  // A blank row, then the header, frozen.
  EXPECT_EQ(sheet.Cell(5, 1).text, "Đơn vị");
  EXPECT_TRUE(sheet.Cell(5, 1).bold);
  EXPECT_EQ(sheet.freeze, "A6");
  EXPECT_GE(sheet.widths.at("A"), 40);
  EXPECT_LT(sheet.widths.at("B"), 20);
  // Text stays text, never a formula; a date is a date; numbers are numbers.
  EXPECT_EQ(sheet.Cell(6, 1).type, "text");
  EXPECT_EQ(sheet.Cell(6, 1).text, "=1+1 Xã Đông Vĩnh");
  EXPECT_EQ(sheet.Cell(6, 2).type, "date");
  EXPECT_EQ(sheet.Cell(6, 2).text, "2026-03-31");
  EXPECT_EQ(sheet.Cell(6, 2).format, "dd/mm/yyyy");
  EXPECT_EQ(sheet.Cell(6, 3).type, "number");
  EXPECT_EQ(sheet.Cell(6, 3).number, 3);
  EXPECT_EQ(sheet.Cell(6, 4).type, "number");
  EXPECT_DOUBLE_EQ(sheet.Cell(6, 4).number, 0.182);
  EXPECT_EQ(sheet.Cell(6, 4).format, "0.0%");
  // No date, no number: empty cells.
  EXPECT_EQ(sheet.Cell(7, 2).type, "empty");
  EXPECT_EQ(sheet.Cell(7, 3).type, "empty");
  EXPECT_EQ(sheet.Cell(8, 1).text, "Tổng cộng");
  EXPECT_TRUE(sheet.Cell(8, 1).bold);
  EXPECT_TRUE(sheet.Cell(8, 4).bold);
  EXPECT_EQ(sheet.Cell(8, 4).format, "0.0%");
}

// The process's open file descriptors.
int OpenFiles() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

TEST(ExportTableTest, XlsxTemporaryFileIsGoneOnEveryPath) {
  TmpDirScope tmp;
  const int open_files = OpenFiles();
  {  // dropped unfinished (an error after it started)
    auto table =
        NewExportTable(v1::EXPORT_FORMAT_XLSX, "", "", "x", [](std::string) { return true; });
    ASSERT_TRUE(table.ok());
    ASSERT_TRUE(WriteSample(**table).ok());
    EXPECT_EQ(tmp.Files(), 1);  // the file it will be written to
  }
  EXPECT_EQ(tmp.Files(), 0);
  {  // the client goes away at the first chunk
    int chunks = 0;
    auto table = NewExportTable(v1::EXPORT_FORMAT_XLSX, "", "", "x", [&](std::string) {
      ++chunks;
      return false;
    });
    ASSERT_TRUE(table.ok());
    ASSERT_TRUE(WriteSample(**table).ok());
    EXPECT_EQ((*table)->Finish().code(), absl::StatusCode::kCancelled);
    EXPECT_EQ(chunks, 1);
    EXPECT_EQ(tmp.Files(), 0);
  }
  EXPECT_EQ(tmp.Files(), 0);
  // Nor is a file descriptor left open (libxlsxwriter's own temporary files included).
  EXPECT_EQ(OpenFiles(), open_files);
}

}  // namespace
}  // namespace d06
