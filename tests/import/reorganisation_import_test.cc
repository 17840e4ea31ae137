// `d06ctl import reorganisation FILE.csv` against an in-process server: the published
// table of a reform (old code, new code, new name, effective date) is checked whole, then
// applied deepest units first (communes merged into a new one, a district dissolved, a
// province merged, a department renamed); a rerun applies nothing twice; a file with a
// bad row writes nothing.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "client/ctl/import.h"
#include "common/dates.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The 2025 table of a small country, with a title row above the header, as published
// (rows as a spreadsheet numbers them: the header is row 2, "STT 1" row 3).
constexpr char kTable[] =
    "BẢNG SẮP XẾP ĐƠN VỊ HÀNH CHÍNH NĂM 2025\n"
    "STT,Mã cũ,Mã mới,Tên mới,Ngày hiệu lực,Hình thức,Cấp trên mới,Căn cứ\n"
    "1,H02,H01,,01/07/2025,Sáp nhập,,Nghị quyết 202/2025/QH15\n"
    "2,H01.S1,H01.S1,Sở Nội vụ tỉnh Một,01/07/2025,,,Quyết định 1/QĐ-UBND\n"
    "3,H01.D1,H01,,01/07/2025,Giải thể,,Nghị quyết 1656/NQ-UBTVQH15\n"
    "4,h01.d1.x1,H01.XA,Phường Mới,01/07/2025,Hợp nhất,H01,Nghị quyết 1656/NQ-UBTVQH15\n"
    "5,H01.D1.X2,H01.XA,,1/7/2025,Hợp nhất,,Nghị quyết 1656/NQ-UBTVQH15\n";

class ReorganisationImportTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    SetToday(2025, 6, 1);
    MakeUnit("H01", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Một");
    MakeUnit("H01.S1", v1::UNIT_KIND_DEPARTMENT, "units/H01", "Sở Nội vụ");
    MakeUnit("H01.D1", v1::UNIT_KIND_DISTRICT, "units/H01", "Huyện Một");
    MakeUnit("H01.D1.X1", v1::UNIT_KIND_COMMUNE, "units/H01.D1", "Xã Một");
    MakeUnit("H01.D1.X2", v1::UNIT_KIND_COMMUNE, "units/H01.D1", "Xã Hai");
    MakeUnit("H02", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Hai");
    MakeUnit("H02.S1", v1::UNIT_KIND_DEPARTMENT, "units/H02", "Sở Tư pháp");
    const v1::Task task = MakeTask("units/H01", "Làm sạch dữ liệu", Day(2025, 9, 30));
    Assign(task.name(), "units/H01.D1.X1", v1::ASSIGNMENT_ROLE_LEAD);
    task_ = task.name();
    SetToday(2025, 7, 10);
  }

  struct Run {
    int code = -1;
    std::string out, err;
  };
  Run Import(const std::string& content, const std::vector<std::string>& options = {}) {
    const std::string path = dir_.path() + "/reform.csv";
    std::ofstream(path, std::ios::binary) << content;
    std::vector<std::string> args = {"reorganisation", path};
    args.insert(args.end(), options.begin(), options.end());
    std::ostringstream out, err;
    Run run;
    run.code = ctl::RunImport(client(), args, out, err);
    run.out = out.str();
    run.err = err.str();
    return run;
  }

  TempDir dir_{"d06-reorganisation-import"};
  std::string task_;
};

TEST_F(ReorganisationImportTest, TheTableIsAppliedDeepestUnitsFirstAndOnlyOnce) {
  const Run dry = Import(kTable, {"--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("5 rows valid: 4 steps to apply, 0 already done"));
  EXPECT_EQ(GetUnit("units/H02").state(), v1::UNIT_STATE_ACTIVE);

  const Run run = Import(kTable);
  ASSERT_EQ(run.code, 0) << run.err << run.out;
  // The communes first, then the district, then the province; the rename last.
  const size_t communes = run.out.find(
      "rows 6, 7: merge units/H01.D1.X1, units/H01.D1.X2 into "
      "units/H01.XA (new: \"Phường Mới\")");
  const size_t district = run.out.find("row 5: dissolve units/H01.D1");
  const size_t province = run.out.find("row 3: merge units/H02 into units/H01");
  const size_t rename = run.out.find("row 4: rename units/H01.S1");
  ASSERT_NE(communes, std::string::npos) << run.out;
  ASSERT_NE(district, std::string::npos) << run.out;
  ASSERT_NE(province, std::string::npos) << run.out;
  ASSERT_NE(rename, std::string::npos) << run.out;
  EXPECT_LT(communes, district);
  EXPECT_LT(district, province);
  EXPECT_LT(province, rename);
  EXPECT_THAT(run.out, HasSubstr("5 rows: 4 steps applied, 0 already done"));

  const v1::Unit xa = GetUnit("units/H01.XA");
  EXPECT_EQ(xa.display_name(), "Phường Mới");
  EXPECT_EQ(xa.kind(), v1::UNIT_KIND_COMMUNE);
  EXPECT_EQ(xa.parent(), "units/H01");
  EXPECT_EQ(GetUnit("units/H01.D1.X1").successor(), "units/H01.XA");
  EXPECT_EQ(GetUnit("units/H01.D1").state(), v1::UNIT_STATE_DISSOLVED);
  EXPECT_EQ(GetUnit("units/H02").successor(), "units/H01");
  EXPECT_EQ(GetUnit("units/H02.S1").parent(), "units/H01");
  EXPECT_EQ(GetUnit("units/H01.S1").display_name(), "Sở Nội vụ tỉnh Một");
  EXPECT_EQ(GetAssignment(task_ + "/assignments/H01.XA").role(), v1::ASSIGNMENT_ROLE_LEAD);

  // Again: everything is already done.
  const Run again = Import(kTable);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("5 rows: 0 steps applied, 4 already done"));
}

TEST_F(ReorganisationImportTest, ABadRowWritesNothing) {
  const std::string bad = std::string(kTable) +
                          "6,H09.X1,H01.XA,,01/07/2025,,,\n"
                          "7,H01.S1,H01.S2,,31/02/2025,,,\n"
                          "8,H01.D1.X1,H01.XB,,01/07/2025,Giải tán,,\n";
  const Run run = Import(bad);
  EXPECT_EQ(run.code, 3);
  EXPECT_THAT(run.err, HasSubstr("row 8, column \"Mã cũ\": unit H09.X1 does not exist"));
  EXPECT_THAT(run.err, HasSubstr("row 9, column \"Ngày hiệu lực\": \"31/02/2025\" is not a date"));
  EXPECT_THAT(run.err, HasSubstr("row 10, column \"Hình thức\": \"Giải tán\" is not one of"));
  EXPECT_THAT(run.err, HasSubstr("nothing written"));
  EXPECT_EQ(GetUnit("units/H02").state(), v1::UNIT_STATE_ACTIVE);
  EXPECT_EQ(GetUnit("units/H01.S1").display_name(), "Sở Nội vụ");
  // A new unit needs its name; a missing column is named.
  const Run unnamed = Import(
      "Mã cũ,Mã mới,Ngày hiệu lực\n"
      "H01.D1.X1,H01.XC,01/07/2025\n");
  EXPECT_EQ(unnamed.code, 3);
  EXPECT_THAT(unnamed.err, HasSubstr("unit H01.XC does not exist yet: give its name (Tên mới)"));
  const Run no_date = Import("Mã cũ,Mã mới\nH01.D1.X1,H01.XC\n");
  EXPECT_EQ(no_date.code, 3);
  EXPECT_THAT(no_date.err, HasSubstr("missing column \"Ngày hiệu lực\""));
}

}  // namespace
}  // namespace d06::testing
