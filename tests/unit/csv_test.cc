// CSV for spreadsheets (server/domain/csv.h): formula neutralisation (CSV injection), the
// delimiter and decimal separator an export asks for.
#include "server/domain/csv.h"

#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "server/domain/errors.h"

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
  for (const char* same : {"-12", "3.5", "3,5", "-0,25", "-0.25", "1e+06", "-2E-3", "0", "",
                           "Công an tỉnh", "a=b", "'quoted", "1-2", " =1"}) {
    EXPECT_EQ(NeutralizeFormula(same), same);
  }
}

TEST(CsvRowTest, QuotesEveryFieldAndNeutralisesFormulas) {
  EXPECT_EQ(CsvRow({"=A1", "Rà soát, \"làm sạch\"", "-5"}),
            "\"'=A1\",\"Rà soát, \"\"làm sạch\"\"\",\"-5\"\r\n");
}

TEST(CsvRowTest, SeparatesWithTheStylesDelimiter) {
  EXPECT_EQ(CsvRow({"Đơn vị", "18,2"}, CsvStyle{';', ','}), "\"Đơn vị\";\"18,2\"\r\n");
  EXPECT_EQ(CsvRow({"a", "b"}, CsvStyle{'\t', '.'}), "\"a\"\t\"b\"\r\n");
}

TEST(CsvNumberTest, WritesTheDecimalSeparatorAsked) {
  EXPECT_EQ(CsvNumber(18.2), "18.2");
  EXPECT_EQ(CsvNumber(18.2, CsvStyle{';', ','}), "18,2");
  EXPECT_EQ(CsvNumber(25, CsvStyle{';', ','}), "25");
  EXPECT_EQ(CsvNumber(-0.5, CsvStyle{';', ','}), "-0,5");
}

TEST(ParseCsvStyleTest, TakesTheListedDelimitersAndSeparators) {
  auto style = ParseCsvStyle("", "");
  ASSERT_TRUE(style.ok());
  EXPECT_EQ(style->delimiter, ',');
  EXPECT_EQ(style->decimal_separator, '.');
  style = ParseCsvStyle(";", ",");
  ASSERT_TRUE(style.ok());
  EXPECT_EQ(style->delimiter, ';');
  EXPECT_EQ(style->decimal_separator, ',');
  style = ParseCsvStyle("\t", ".");
  ASSERT_TRUE(style.ok());
  EXPECT_EQ(style->delimiter, '\t');
}

TEST(ParseCsvStyleTest, RefusesOthersNamingTheField) {
  for (const auto& [delimiter, decimal, field] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"|", "", "delimiter"},
           {";;", "", "delimiter"},
           {";", "·", "decimal_separator"},
           {",", ",", "decimal_separator"},
           {"", ",", "decimal_separator"}}) {
    SCOPED_TRACE(delimiter + " " + decimal);
    auto style = ParseCsvStyle(delimiter, decimal);
    ASSERT_FALSE(style.ok());
    EXPECT_EQ(style.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorInfoOf(style.status()).metadata().at("field"), field);
  }
}

}  // namespace
}  // namespace d06
