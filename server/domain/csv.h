// CSV as Vietnamese agencies open it in Excel: UTF-8 with a byte-order mark, comma
// separated (or ";" as Excel in a Vietnamese locale saves, or a tab), every field quoted
// (libcsv), CRLF line ends, decimals with a point or a comma; and the Vietnamese words a
// report table shows for states and timeliness.
//
//   std::string file = std::string(kUtf8Bom) + CsvRow({"Đơn vị", "Hạn xử lý"});
//   file += CsvRow({"Công an tỉnh", FormatDateVn(deadline)});  // "\"Công an
//   tỉnh\",\"31/03/2026\"\r\n"
#ifndef D06_SERVER_DOMAIN_CSV_H_
#define D06_SERVER_DOMAIN_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "d06/v1/task.pb.h"

namespace d06 {

inline constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// How a CSV file separates fields and writes decimals.
struct CsvStyle {
  char delimiter = ',';
  char decimal_separator = '.';
};

// The style of an export request's `delimiter` ("," default, ";" or a tab) and
// `decimal_separator` ("." default, or ","), or INVALID_FIELD naming the field (its name
// in the request) and what it takes; "," as both is refused (every number would split).
absl::StatusOr<CsvStyle> ParseCsvStyle(absl::string_view delimiter,
                                       absl::string_view decimal_separator);

// One CSV record: each field quoted (quotes inside doubled) after NeutralizeFormula,
// separated by `style.delimiter`, CRLF at the end.
std::string CsvRow(const std::vector<std::string>& fields, CsvStyle style = {});

// `value` as the exports write a number: the shortest of "%g" ("18.2", "3", "1e+06"),
// with `style.decimal_separator` for the point.
std::string CsvNumber(double value, CsvStyle style = {});

// `field` as a cell a spreadsheet shows as text, never runs (CSV injection, OWASP): one
// that starts with '=', '+', '-', '@', a tab or a carriage return gets a leading "'",
// unless it is a plain decimal number ("-12.5", "-12,5"). Excel and LibreOffice hide that quote
// and show the rest as typed. Titles, unit names, categories, labels and KPI texts come
// from users: `=HYPERLINK("http://…?d="&B3,"Bấm để xem")` becomes text.
std::string NeutralizeFormula(absl::string_view field);

// "Chưa triển khai", "Đang triển khai", "Chờ xác nhận", "Hoàn thành", "Từ chối",
// "Đã thu hồi".
std::string StateVn(v1::AssignmentState state);
// "Trong hạn", "Sắp đến hạn", "Quá hạn", "Không có hạn", "Hoàn thành đúng hạn",
// "Hoàn thành quá hạn"; "" when none applies.
std::string TimelinessVn(v1::Timeliness timeliness);
// "Chủ trì", "Phối hợp".
std::string RoleVn(v1::AssignmentRole role);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_CSV_H_
