// CSV for spreadsheets (server/domain/csv.h): formula neutralisation (CSV injection).
#include "server/domain/csv.h"

#include <string>

#include "gtest/gtest.h"

namespace d06 {
namespace {

TEST(NeutralizeFormulaTest, PrefixesWhatASpreadsheetWouldRun) {
  EXPECT_EQ(NeutralizeFormula("=1+1"), "'=1+1");
  EXPECT_EQ(NeutralizeFormula("+84 912 345 678"), "'+84 912 345 678");
  EXPECT_EQ(NeutralizeFormula("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
  EXPECT_EQ(NeutralizeFormula("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(NeutralizeFormula("\t=1"), "'\t=1");
  EXPECT_EQ(NeutralizeFormula("\r=1"), "'\r=1");
  EXPECT_EQ(NeutralizeFormula("-"), "'-");
  EXPECT_EQ(NeutralizeFormula("-.5"), "'-.5");
  EXPECT_EQ(NeutralizeFormula("-1-"), "'-1-");
  EXPECT_EQ(NeutralizeFormula("-1e"), "'-1e");
}

TEST(NeutralizeFormulaTest, LeavesNumbersAndOtherTextAlone) {
  for (const char* same : {"-12", "3.5", "-0.25", "1e+06", "-2E-3", "0", "", "Công an tỉnh", "a=b",
                           "'quoted", "1-2", " =1"}) {
    EXPECT_EQ(NeutralizeFormula(same), same);
  }
}

TEST(CsvRowTest, QuotesEveryFieldAndNeutralisesFormulas) {
  EXPECT_EQ(CsvRow({"=A1", "Rà soát, \"làm sạch\"", "-5"}),
            "\"'=A1\",\"Rà soát, \"\"làm sạch\"\"\",\"-5\"\r\n");
}

}  // namespace
}  // namespace d06
