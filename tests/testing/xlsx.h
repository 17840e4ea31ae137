// An .xlsx file as a reader that is not d06's sees it: tests/xlsx/read_xlsx.py (Python's
// openpyxl, Debian's python3-openpyxl) opens it and prints its first sheet as JSON.
//
//   XlsxSheet sheet = ReadXlsx(bytes);
//   EXPECT_EQ(sheet.Cell(7, 2).type, "number");
//   EXPECT_EQ(sheet.freeze, "A8");
#ifndef D06_TESTS_TESTING_XLSX_H_
#define D06_TESTS_TESTING_XLSX_H_

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/testing/temp_dir.h"

namespace d06::testing {

struct XlsxCell {
  std::string type;  // "date", "number", "text", "empty"
  std::string text;  // a text's value, a date as yyyy-mm-dd
  double number = 0;
  std::string format;  // the number format, e.g. "0.0%", "dd/mm/yyyy", "General"
  bool bold = false;
};

struct XlsxSheet {
  std::string name;
  std::string freeze;  // the top-left cell below and right of the frozen panes, e.g. "A8"
  std::map<std::string, double> widths;  // by column letter
  std::vector<std::vector<XlsxCell>> rows;

  // Row `row`, column `col`, both from 1 as a spreadsheet numbers them; empty beyond.
  XlsxCell Cell(size_t row, size_t col) const {
    if (row < 1 || row > rows.size() || col < 1 || col > rows[row - 1].size()) {
      XlsxCell empty;
      empty.type = "empty";
      return empty;
    }
    return rows[row - 1][col - 1];
  }
  // The 1-based row whose first cell is `text`; 0 when none is.
  size_t RowStarting(const std::string& text) const {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!rows[i].empty() && rows[i][0].text == text) return i + 1;
    }
    return 0;
  }
};

// Throws std::runtime_error when the reader cannot open the file (or is missing).
inline XlsxSheet ReadXlsx(const std::string& bytes) {
  TempDir dir("d06-xlsx-test");
  const std::string file = dir.path() + "/file.xlsx";
  const std::string json_file = dir.path() + "/file.json";
  std::ofstream(file, std::ios::binary) << bytes;
  const std::string command =
      absl::StrCat(D06_XLSX_PYTHON3, " ", D06_XLSX_READER, " ", file, " > ", json_file);
  if (const int status = std::system(command.c_str()); status != 0) {
    throw std::runtime_error(
        absl::StrCat("openpyxl could not read the workbook (", command, ": status ", status, ")"));
  }
  std::ifstream in(json_file);
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  google::protobuf::Struct dump;
  if (!google::protobuf::util::JsonStringToMessage(json, &dump).ok()) {
    throw std::runtime_error("read_xlsx.py printed no JSON: " + json);
  }
  const auto& f = dump.fields();
  XlsxSheet sheet;
  sheet.name = f.at("sheet").string_value();
  sheet.freeze = f.at("freeze").string_value();
  for (const auto& [column, width] : f.at("widths").struct_value().fields()) {
    sheet.widths[column] = width.number_value();
  }
  for (const google::protobuf::Value& row : f.at("rows").list_value().values()) {
    std::vector<XlsxCell>& cells = sheet.rows.emplace_back();
    for (const google::protobuf::Value& value : row.list_value().values()) {
      const auto& c = value.struct_value().fields();
      XlsxCell cell;
      cell.type = c.at("type").string_value();
      cell.format = c.at("format").string_value();
      cell.bold = c.at("bold").bool_value();
      if (cell.type == "number") {
        cell.number = c.at("value").number_value();
      } else {
        cell.text = c.at("value").string_value();
      }
      cells.push_back(cell);
    }
  }
  return sheet;
}

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_XLSX_H_
