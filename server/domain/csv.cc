#include "server/domain/csv.h"

#include <csv.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/domain/errors.h"

namespace d06 {

namespace {

// A decimal number as the exports write them ("-12", "3.5", "3,5", "1e+06"): a
// spreadsheet reads it as a number, never as a formula.
bool IsPlainNumber(absl::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (!digits()) return false;
  if (i < s.size() && (s[i] == '.' || s[i] == ',') && (++i, !digits())) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

}  // namespace

std::string NeutralizeFormula(absl::string_view field) {
  constexpr absl::string_view kFormulaStarts = "=+-@\t\r";
  if (field.empty() || kFormulaStarts.find(field.front()) == absl::string_view::npos ||
      IsPlainNumber(field)) {
    return std::string(field);
  }
  return absl::StrCat("'", field);
}

absl::StatusOr<CsvStyle> ParseCsvStyle(absl::string_view delimiter,
                                       absl::string_view decimal_separator) {
  CsvStyle style;
  if (delimiter == ";" || delimiter == "\t") {
    style.delimiter = delimiter[0];
  } else if (!delimiter.empty() && delimiter != ",") {
    return InvalidField("delimiter", absl::StrCat("delimiter must be \",\" (the default), "
                                                  "\";\" or a tab, not ",
                                                  Quote(delimiter)));
  }
  if (decimal_separator == ",") {
    style.decimal_separator = ',';
  } else if (!decimal_separator.empty() && decimal_separator != ".") {
    return InvalidField("decimal_separator",
                        absl::StrCat("decimal_separator must be \".\" (the default) or \",\", not ",
                                     Quote(decimal_separator)));
  }
  if (style.delimiter == ',' && style.decimal_separator == ',') {
    return InvalidField("decimal_separator",
                        "decimal_separator \",\" needs a delimiter other than \",\" (\";\" as "
                        "Excel in a Vietnamese locale saves, or a tab)");
  }
  return style;
}

std::string CsvNumber(double value, CsvStyle style) {
  std::string text = absl::StrFormat("%g", value);
  if (style.decimal_separator != '.') {
    for (char& c : text) {
      if (c == '.') c = style.decimal_separator;
    }
  }
  return text;
}

std::string CsvRow(const std::vector<std::string>& fields, CsvStyle style) {
  std::string row;
  std::string quoted;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) row += style.delimiter;
    const std::string field = NeutralizeFormula(fields[i]);
    // At most every byte doubled, and the two enclosing quotes.
    quoted.resize(2 * field.size() + 2);
    const size_t n = csv_write(quoted.data(), quoted.size(), field.data(), field.size());
    row.append(quoted.data(), n);
  }
  row += "\r\n";
  return row;
}

std::string StateVn(v1::AssignmentState state) {
  switch (state) {
    case v1::ASSIGNMENT_STATE_NOT_STARTED:
      return "Chưa triển khai";
    case v1::ASSIGNMENT_STATE_IN_PROGRESS:
      return "Đang triển khai";
    case v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE:
      return "Chờ xác nhận";
    case v1::ASSIGNMENT_STATE_COMPLETED:
      return "Hoàn thành";
    case v1::ASSIGNMENT_STATE_DECLINED:
      return "Từ chối";
    case v1::ASSIGNMENT_STATE_REVOKED:
      return "Đã thu hồi";
    case v1::ASSIGNMENT_STATE_TRANSFERRED:
      return "Đã chuyển giao";
    default:
      return "";
  }
}

std::string TimelinessVn(v1::Timeliness timeliness) {
  switch (timeliness) {
    case v1::TIMELINESS_NO_DEADLINE:
      return "Không có hạn";
    case v1::TIMELINESS_ON_TIME:
      return "Trong hạn";
    case v1::TIMELINESS_DUE_SOON:
      return "Sắp đến hạn";
    case v1::TIMELINESS_OVERDUE:
      return "Quá hạn";
    case v1::TIMELINESS_COMPLETED_ON_TIME:
      return "Hoàn thành đúng hạn";
    case v1::TIMELINESS_COMPLETED_LATE:
      return "Hoàn thành quá hạn";
    default:
      return "";
  }
}

std::string RoleVn(v1::AssignmentRole role) {
  switch (role) {
    case v1::ASSIGNMENT_ROLE_LEAD:
      return "Chủ trì";
    case v1::ASSIGNMENT_ROLE_SUPPORT:
      return "Phối hợp";
    default:
      return "";
  }
}

}  // namespace d06
