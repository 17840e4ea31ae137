#include "server/domain/csv.h"

#include <csv.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace d06 {

namespace {

// A decimal number as the exports write them ("-12", "3.5", "1e+06"): a spreadsheet
// reads it as a number, never as a formula.
bool IsPlainNumber(absl::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.' && (++i, !digits())) return false;
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

std::string CsvRow(const std::vector<std::string>& fields) {
  std::string row;
  std::string quoted;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) row += ',';
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
