#include "client/ctl/csv_import.h"

#include <csv.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/dates.h"
#include "common/limits.h"
#include "common/text.h"
#include "common/unit_code.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace d06::ctl {
namespace {

// A unit code's length (server/domain/names.h, ValidateUnitCode); the other limits are
// the server's own (common/limits.h).

// ---- text ----------------------------------------------------------------------------

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// Trims spaces, tabs, line breaks and no-break spaces at both ends.
absl::string_view Trim(absl::string_view s) {
  while (true) {
    absl::string_view before = s;
    s = absl::StripAsciiWhitespace(s);
    if (absl::ConsumePrefix(&s, "\xC2\xA0") || absl::ConsumeSuffix(&s, "\xC2\xA0")) continue;
    if (s == before) return s;
  }
}

// A cell as the server will store it: trimmed, line breaks as "\n".
std::string CleanCell(absl::string_view cell) {
  std::string out = absl::StrReplaceAll(Trim(cell), {{"\r\n", "\n"}});
  std::replace(out.begin(), out.end(), '\r', '\n');
  return out;
}

bool HasControlChar(absl::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7F) return true;
  }
  return false;
}

// ---- parsing -------------------------------------------------------------------------

struct ParseState {
  std::vector<CsvRecord> records;
  std::vector<std::string> cells;
  bool has_fields = false;
  bool last_was_cr = false;
  int row = 0;
  // Set when the file goes past kMaxImportRows or kMaxImportColumns: the row that did.
  int too_many_rows_at = 0;
  int too_many_columns_at = 0;
};

void OnField(void* data, size_t size, void* user) {
  auto* s = static_cast<ParseState*>(user);
  s->has_fields = true;
  if (s->cells.size() >= static_cast<size_t>(kMaxImportColumns)) {
    // Keep nothing more of an over-wide row; ReadCsv refuses the file.
    if (s->too_many_columns_at == 0) s->too_many_columns_at = s->row + 1;
    return;
  }
  s->cells.emplace_back(static_cast<const char*>(data), size);
}

void OnRow(int terminator, void* user) {
  auto* s = static_cast<ParseState*>(user);
  // With CSV_REPALL_NL every line end is reported; the LF of a CRLF comes as an empty
  // record right after the one the CR ended.
  if (!s->has_fields && terminator == '\n' && s->last_was_cr) {
    s->last_was_cr = false;
    return;
  }
  s->last_was_cr = terminator == '\r';
  ++s->row;
  const bool blank = std::all_of(s->cells.begin(), s->cells.end(),
                                 [](const std::string& c) { return Trim(c).empty(); });
  if (!blank) {
    // The header and kMaxImportRows data rows.
    if (s->records.size() > static_cast<size_t>(kMaxImportRows)) {
      if (s->too_many_rows_at == 0) s->too_many_rows_at = s->row;
    } else {
      s->records.push_back({s->row, std::move(s->cells)});
    }
  }
  s->cells.clear();
  s->has_fields = false;
}

char DetectDelimiter(absl::string_view body) {
  int counts[3] = {0, 0, 0};
  static constexpr char kCandidates[] = {',', ';', '\t'};
  bool quoted = false;
  bool seen = false;  // a non-space character on the line
  for (char c : body) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') {
      if (seen) break;  // the end of the first non-empty line
      continue;
    }
    if (c != ' ') seen = true;
    for (int k = 0; k < 3; ++k) counts[k] += c == kCandidates[k];
  }
  // On a tie ';' wins: Vietnamese column names hold commas ("Số, ký hiệu văn bản").
  int best = 1;
  for (int k : {0, 2}) {
    if (counts[k] > counts[best]) best = k;
  }
  return kCandidates[best];
}

// ---- columns -------------------------------------------------------------------------

struct ColumnSpec {
  const char* field;
  // The Vietnamese name, used in messages when the file lacks the column.
  const char* name;
  std::vector<const char*> aliases;
};

const std::vector<ColumnSpec>& UnitColumns() {
  static const auto* specs = new std::vector<ColumnSpec>{
      {"code", "Mã định danh", {"Mã đơn vị", "Mã định danh điện tử", "Mã", "unit code"}},
      {"name", "Tên đơn vị", {"Tên", "Đơn vị", "display_name", "unit name"}},
      {"kind", "Loại đơn vị", {"Loại", "Cấp", "Cấp đơn vị", "unit kind"}},
      {"parent", "Đơn vị cấp trên", {"Cấp trên", "Đơn vị chủ quản", "Trực thuộc", "parent unit"}},
      {"admin_code", "Mã đơn vị hành chính", {"Mã ĐVHC", "Mã hành chính", "administrative code"}},
      {"valid_from", "Hiệu lực từ", {"Từ ngày", "Ngày hiệu lực"}},
      {"valid_to", "Hiệu lực đến", {"Đến ngày", "Ngày hết hiệu lực"}},
  };
  return *specs;
}

const std::vector<ColumnSpec>& TaskColumns() {
  static const auto* specs = new std::vector<ColumnSpec>{
      {"title", "Tên nhiệm vụ", {"Nhiệm vụ", "Tiêu đề"}},
      {"content", "Nội dung", {"Nội dung nhiệm vụ", "Mô tả", "description"}},
      {"assigning_unit", "Cơ quan giao", {"Đơn vị giao", "Cơ quan giao nhiệm vụ", "assigner"}},
      {"lead", "Đơn vị chủ trì", {"Chủ trì", "Cơ quan chủ trì", "lead unit"}},
      {"support",
       "Đơn vị phối hợp",
       {"Phối hợp", "Cơ quan phối hợp", "supporting units", "coordinating units", "coordinators"}},
      {"deadline",
       "Hạn xử lý",
       {"Thời hạn", "Thời hạn hoàn thành", "Hạn hoàn thành", "Hạn", "Thời hạn xử lý"}},
      {"support_deadline", "Hạn phối hợp", {}},
      {"kind", "Loại nhiệm vụ", {"Loại", "task kind"}},
      {"cadence", "Kỳ báo cáo", {"Định kỳ báo cáo", "Chu kỳ báo cáo"}},
      {"urgency", "Mức độ", {"Tính chất", "Mức độ ưu tiên"}},
      {"category", "Lĩnh vực", {}},
      {"directive",
       "Số, ký hiệu văn bản",
       {"Số ký hiệu", "Số hiệu văn bản", "Văn bản giao", "Văn bản", "directive number",
        "directive.number"}},
      {"directive_summary", "Trích yếu", {"Trích yếu văn bản", "directive.summary"}},
      {"directive_issuer",
       "Cơ quan ban hành",
       {"Cơ quan ban hành văn bản", "issuer", "directive.issuer"}},
      {"directive_date",
       "Ngày ban hành",
       {"Ngày văn bản", "Ngày ban hành văn bản", "issue_date", "directive.issue_date"}},
      {"labels", "Nhãn", {"label"}},
      {"kpi", "Chỉ tiêu", {"kpi description", "kpi.description"}},
      {"kpi_type", "Loại chỉ tiêu", {"kpi.type"}},
      {"kpi_target",
       "Giá trị chỉ tiêu",
       {"Chỉ tiêu cần đạt", "kpi target value", "kpi.target_value", "target"}},
  };
  return *specs;
}

// Columns spreadsheets carry that an import has no use for.
bool IsIgnoredColumn(const std::string& key) {
  return key == "stt" || key == "tt" || key == "so thu tu" || key == "ghi chu";
}

// The header of a file, mapped to fields.
struct Header {
  int row = 1;
  // field -> column index.
  std::map<std::string, int> index;
  // Column indexes with an empty name.
  std::set<int> unnamed;
  int width = 0;
};

Header MapHeader(const CsvRecord& record, const std::vector<ColumnSpec>& specs,
                 const CsvOptions& options, std::map<std::string, std::string>* columns,
                 std::vector<RowError>* errors, std::vector<std::string>* warnings) {
  Header header;
  header.row = record.row;
  header.width = static_cast<int>(record.cells.size());
  std::map<std::string, const ColumnSpec*> by_key;
  for (const ColumnSpec& spec : specs) {
    by_key[FoldKey(spec.field)] = &spec;
    by_key[FoldKey(spec.name)] = &spec;
    for (const char* alias : spec.aliases) by_key[FoldKey(alias)] = &spec;
  }
  for (const ColumnSpec& spec : specs) (*columns)[spec.field] = spec.name;
  for (int i = 0; i < header.width; ++i) {
    const std::string text = CleanCell(record.cells[i]);
    const std::string key = FoldKey(text);
    if (key.empty()) {
      header.unnamed.insert(i);
      continue;
    }
    if (IsIgnoredColumn(key)) continue;
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      std::vector<std::string> names;
      for (const ColumnSpec& spec : specs) names.push_back(Quoted(spec.name));
      const std::string message =
          absl::StrCat("unknown column; the columns are ", absl::StrJoin(names, ", "),
                       " (or their English field names)");
      if (options.ignore_unknown_columns) {
        warnings->push_back(FormatRowError({record.row, text, absl::StrCat(message, "; ignored")}));
      } else {
        errors->push_back({record.row, text, message});
      }
      continue;
    }
    const std::string field = it->second->field;
    if (auto [pos, added] = header.index.emplace(field, i); !added) {
      errors->push_back(
          {record.row, text,
           absl::StrCat("names the same field as column ",
                        Quoted(CleanCell(record.cells[pos->second])), "; keep one of them")});
      continue;
    }
    (*columns)[field] = text;
  }
  return header;
}

// Reads the cells of one data row by field and collects its errors.
class RowReader {
 public:
  RowReader(const CsvRecord& record, const Header& header,
            const std::map<std::string, std::string>& columns, std::vector<RowError>* errors)
      : record_(record), header_(header), columns_(columns), errors_(errors) {
    for (int i = 0; i < static_cast<int>(record.cells.size()); ++i) {
      const bool beyond = i >= header.width;
      if (!beyond && header.unnamed.count(i) == 0) continue;
      const std::string value = CleanCell(record.cells[i]);
      if (value.empty()) continue;
      Error("",
            absl::StrCat("column ", i + 1, " holds ", Quoted(Shorten(value)),
                         beyond ? " but the header has only " : " but has no name in the header",
                         beyond ? absl::StrCat(header.width, " columns") : ""));
    }
  }

  int row() const { return record_.row; }
  bool Has(const std::string& field) const { return header_.index.count(field) > 0; }
  bool ok() const { return errors_found_ == 0; }

  // The cleaned cell of `field`, "" when the column or the cell is absent. A cell that is
  // not valid text is an error (and read as "").
  std::string Get(const std::string& field) {
    auto it = header_.index.find(field);
    if (it == header_.index.end() || it->second >= static_cast<int>(record_.cells.size())) {
      return "";
    }
    std::string value = CleanCell(record_.cells[it->second]);
    if (HasControlChar(value)) {
      Error(field, "holds a control character (only line breaks and tabs are allowed)");
      return "";
    }
    return value;
  }

  // Get() checked against a length limit in characters (and required when asked).
  std::string Text(const std::string& field, size_t max_chars, bool required) {
    std::string value = Get(field);
    if (value.empty()) {
      if (required) Error(field, "is required");
      return "";
    }
    if (CodePointCount(value) > max_chars) {
      Error(field, absl::StrCat("is ", CodePointCount(value), " characters long; at most ",
                                max_chars, " are allowed"));
    }
    return value;
  }

  void Error(const std::string& field, std::string message) {
    ++errors_found_;
    std::string column;
    if (!field.empty()) {
      auto it = columns_.find(field);
      column = it == columns_.end() ? field : it->second;
    }
    errors_->push_back({record_.row, column, std::move(message)});
  }

  static std::string Shorten(const std::string& value) {
    if (CodePointCount(value) <= 60) return value;
    // Cut before the 58th character: at a byte that is not a UTF-8 continuation byte.
    size_t bytes = 0;
    for (int chars = 0; bytes < value.size(); ++bytes) {
      if ((static_cast<unsigned char>(value[bytes]) & 0xC0) != 0x80 && ++chars > 57) break;
    }
    return absl::StrCat(value.substr(0, bytes), "...");
  }

 private:
  const CsvRecord& record_;
  const Header& header_;
  const std::map<std::string, std::string>& columns_;
  std::vector<RowError>* errors_;
  int errors_found_ = 0;
};

// Reads the table and its header, or reports why not.
struct Table {
  CsvTable csv;
  Header header;
  // The header's index in csv.records; the data rows follow it.
  size_t header_index = 0;
  bool ok = false;
};

// How many cells of `record` name a column of `specs`.
int KnownColumns(const CsvRecord& record, const std::vector<ColumnSpec>& specs) {
  std::set<std::string> keys;
  for (const ColumnSpec& spec : specs) {
    keys.insert(FoldKey(spec.field));
    keys.insert(FoldKey(spec.name));
    for (const char* alias : spec.aliases) keys.insert(FoldKey(alias));
  }
  return static_cast<int>(std::count_if(
      record.cells.begin(), record.cells.end(),
      [&](const std::string& cell) { return keys.count(FoldKey(CleanCell(cell))) > 0; }));
}

// The index of the header among the first kHeaderSearchRows records of `csv` (the first
// naming the most known columns) and its score; score 0 when none names one.
std::pair<size_t, int> FindHeader(const CsvTable& csv, const std::vector<ColumnSpec>& specs) {
  std::pair<size_t, int> best = {0, 0};
  for (size_t i = 0; i < csv.records.size() && i < static_cast<size_t>(kHeaderSearchRows); ++i) {
    const int score = KnownColumns(csv.records[i], specs);
    if (score > best.second) best = {i, score};
  }
  return best;
}

// The file-level error of a file without a header: the columns it expected.
std::string NoHeaderMessage(const std::vector<ColumnSpec>& specs, absl::string_view where) {
  std::vector<std::string> names;
  for (const ColumnSpec& spec : specs) names.push_back(Quoted(spec.name));
  return absl::StrCat("cannot find the header row ", where,
                      ": no row names a column. The header is the row of column names, e.g. ",
                      absl::StrJoin(names, ", "),
                      " (or their English field names; README, \"Importing a province's "
                      "spreadsheet\"); title rows above it are skipped. If it is further "
                      "down, give --header-row=N");
}

Table OpenTable(absl::string_view file, const std::vector<ColumnSpec>& specs,
                const CsvOptions& options, std::map<std::string, std::string>* columns,
                std::vector<RowError>* errors, std::vector<std::string>* warnings) {
  Table table;
  absl::StatusOr<CsvTable> csv = ReadCsv(file, options.delimiter);
  if (!csv.ok()) {
    errors->push_back({0, "", std::string(csv.status().message())});
    return table;
  }
  table.csv = *std::move(csv);
  if (table.csv.records.empty()) {
    errors->push_back({0, "", "the file is empty: it needs a header row and data rows"});
    return table;
  }
  if (options.header_row > 0) {
    const auto it =
        std::find_if(table.csv.records.begin(), table.csv.records.end(),
                     [&](const CsvRecord& record) { return record.row == options.header_row; });
    if (it == table.csv.records.end()) {
      errors->push_back({0, "",
                         absl::StrCat("--header-row=", options.header_row,
                                      ": that row is blank or beyond the end of the "
                                      "file")});
      return table;
    }
    table.header_index = static_cast<size_t>(it - table.csv.records.begin());
  } else {
    auto [index, score] = FindHeader(table.csv, specs);
    // Not on the first row: perhaps the delimiter was guessed from a title row.
    if (options.delimiter == 0 && (index != 0 || score == 0)) {
      for (char other : {';', ',', '\t'}) {
        if (other == table.csv.delimiter) continue;
        absl::StatusOr<CsvTable> retry = ReadCsv(file, other);
        if (!retry.ok()) continue;
        if (auto [i, n] = FindHeader(*retry, specs); n > score) {
          table.csv = *std::move(retry);
          index = i;
          score = n;
        }
      }
    }
    if (score == 0) {
      errors->push_back({0, "",
                         NoHeaderMessage(specs, absl::StrCat("in the first ", kHeaderSearchRows,
                                                             " non-blank rows"))});
      return table;
    }
    table.header_index = index;
  }
  table.header =
      MapHeader(table.csv.records[table.header_index], specs, options, columns, errors, warnings);
  table.ok = true;
  return table;
}

// A unit reference: "H29.01", "units/H29.01", lower case accepted. The code, or "" after
// reporting the error.
std::string ParseUnitRef(RowReader& r, const std::string& field, absl::string_view text) {
  absl::string_view code = Trim(text);
  absl::ConsumePrefix(&code, "units/");
  std::string upper = absl::AsciiStrToUpper(code);
  auto invalid = [&](absl::string_view why) {
    r.Error(field, absl::StrCat(Quoted(text), " is not a unit code (", why,
                                "; e.g. \"H29\" or \"units/H29.01\")"));
    return std::string();
  };
  switch (CheckUnitCode(upper)) {
    case UnitCodeProblem::kNone:
      return upper;
    case UnitCodeProblem::kEmpty:
      return invalid("empty");
    case UnitCodeProblem::kTooLong:
      return invalid(absl::StrCat("more than ", kMaxUnitCodeLength, " characters"));
    case UnitCodeProblem::kBadCharacter:
      return invalid("only 0-9, A-Z and dots");
    case UnitCodeProblem::kBadDots:
      return invalid("a dot at an end or two in a row");
  }
  return upper;
}

std::vector<std::string> SplitList(absl::string_view cell) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(cell, absl::ByAnyChar(",;\n"))) {
    part = Trim(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

// A date cell; "" is no date (zero). Reports a bad one.
v1::Date DateCell(RowReader& r, const std::string& field, const std::string& value) {
  if (value.empty()) return v1::Date();
  std::optional<v1::Date> date = ParseDateVn(value);
  if (!date.has_value()) {
    r.Error(field, absl::StrCat(Quoted(value), " is not a valid date (dd/MM/yyyy)"));
    return v1::Date();
  }
  return *date;
}

// A deadline cell: a date, or a day relative to `today` (ParseRelativeDay), whose
// canonical form goes to *as_written ("" for a date). "" is no date (zero). Reports a
// bad one.
v1::Date DeadlineCell(RowReader& r, const std::string& field, const std::string& value,
                      absl::CivilDay today, std::string* as_written) {
  as_written->clear();
  if (!absl::StartsWith(value, "+")) return DateCell(r, field, value);
  std::optional<absl::CivilDay> day = ParseRelativeDay(value, today, as_written);
  if (!day.has_value()) {
    r.Error(field, absl::StrCat(Quoted(value),
                                " is not a date: give dd/MM/yyyy, or a time from the day of "
                                "the import such as \"+30 ngày\", \"+2 tuần\", \"+3 tháng\""));
    return v1::Date();
  }
  return ToDate(*day);
}

// Looks a word up in `words` (folded keys), then among the enum's value names with or
// without `prefix`. 0 when unknown.
int ParseEnumWord(const std::string& value, const std::map<std::string, int>& words,
                  const google::protobuf::EnumDescriptor* descriptor, absl::string_view prefix) {
  const std::string key = FoldKey(value);
  if (auto it = words.find(key); it != words.end()) return it->second;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* v = descriptor->value(i);
    if (v->number() == 0) continue;
    absl::string_view short_name = v->name();
    absl::ConsumePrefix(&short_name, prefix);
    if (key == FoldKey(v->name()) || key == FoldKey(short_name)) return v->number();
  }
  return 0;
}

std::string WordList(const std::map<std::string, int>& words) {
  std::vector<std::string> names;
  for (const auto& [word, value] : words) names.push_back(word);
  return absl::StrJoin(names, ", ");
}

const std::map<std::string, int>& UnitKindWords() {
  static const auto* words = new std::map<std::string, int>{
      {"bo", v1::UNIT_KIND_MINISTRY},
      {"bo nganh", v1::UNIT_KIND_MINISTRY},
      {"co quan trung uong", v1::UNIT_KIND_MINISTRY},
      {"tinh", v1::UNIT_KIND_PROVINCE},
      {"thanh pho", v1::UNIT_KIND_PROVINCE},
      {"tinh thanh pho", v1::UNIT_KIND_PROVINCE},
      {"thanh pho truc thuoc trung uong", v1::UNIT_KIND_PROVINCE},
      {"so", v1::UNIT_KIND_DEPARTMENT},
      {"ban", v1::UNIT_KIND_DEPARTMENT},
      {"nganh", v1::UNIT_KIND_DEPARTMENT},
      {"so ban nganh", v1::UNIT_KIND_DEPARTMENT},
      {"ban nganh", v1::UNIT_KIND_DEPARTMENT},
      {"co quan chuyen mon", v1::UNIT_KIND_DEPARTMENT},
      {"huyen", v1::UNIT_KIND_DISTRICT},
      {"quan", v1::UNIT_KIND_DISTRICT},
      {"thi xa", v1::UNIT_KIND_DISTRICT},
      {"thanh pho thuoc tinh", v1::UNIT_KIND_DISTRICT},
      {"huyen quan thi xa", v1::UNIT_KIND_DISTRICT},
      {"xa", v1::UNIT_KIND_COMMUNE},
      {"phuong", v1::UNIT_KIND_COMMUNE},
      {"thi tran", v1::UNIT_KIND_COMMUNE},
      {"dac khu", v1::UNIT_KIND_COMMUNE},
      {"xa phuong thi tran", v1::UNIT_KIND_COMMUNE},
      {"ban chi dao", v1::UNIT_KIND_WORKING_GROUP},
      {"to cong tac", v1::UNIT_KIND_WORKING_GROUP},
      {"khac", v1::UNIT_KIND_OTHER},
  };
  return *words;
}

const std::map<std::string, int>& TaskKindWords() {
  static const auto* words = new std::map<std::string, int>{
      {"mot lan", v1::TASK_KIND_ONE_OFF},
      {"co thoi han", v1::TASK_KIND_ONE_OFF},
      {"thuong xuyen", v1::TASK_KIND_RECURRING},
      {"thuc hien thuong xuyen", v1::TASK_KIND_RECURRING},
      {"dinh ky", v1::TASK_KIND_RECURRING},
  };
  return *words;
}

const std::map<std::string, int>& CadenceWords() {
  static const auto* words = new std::map<std::string, int>{
      {"thang", v1::CADENCE_MONTHLY},
      {"hang thang", v1::CADENCE_MONTHLY},
      {"hang thang", v1::CADENCE_MONTHLY},
      {"quy", v1::CADENCE_QUARTERLY},
      {"hang quy", v1::CADENCE_QUARTERLY},
      {"6 thang", v1::CADENCE_SIX_MONTHLY},
      {"sau thang", v1::CADENCE_SIX_MONTHLY},
      {"nua nam", v1::CADENCE_SIX_MONTHLY},
      {"nam", v1::CADENCE_YEARLY},
      {"hang nam", v1::CADENCE_YEARLY},
  };
  return *words;
}

const std::map<std::string, int>& UrgencyWords() {
  static const auto* words = new std::map<std::string, int>{
      {"trong tam", v1::URGENCY_FOCUS},
      {"trong diem", v1::URGENCY_FOCUS},
      {"thuong xuyen", v1::URGENCY_ROUTINE},
      {"dot xuat", v1::URGENCY_AD_HOC},
  };
  return *words;
}

const std::map<std::string, int>& KpiTypeWords() {
  static const auto* words = new std::map<std::string, int>{
      {"ty le", v1::KPI_TYPE_PERCENT},
      {"phan tram", v1::KPI_TYPE_PERCENT},
      {"ty le phan tram", v1::KPI_TYPE_PERCENT},
      {"so luong", v1::KPI_TYPE_NUMBER},
      {"so", v1::KPI_TYPE_NUMBER},
      {"ty so", v1::KPI_TYPE_RATIO},
      {"phan so", v1::KPI_TYPE_RATIO},
      {"co khong", v1::KPI_TYPE_YES_NO},
      {"dat khong dat", v1::KPI_TYPE_YES_NO},
  };
  return *words;
}

// A number with a decimal comma or point ("42,67", "1.5"); several points or commas,
// or one point before exactly three digits, separate thousands ("1.000.000", "150.000").
std::optional<double> ParseNumber(absl::string_view text) {
  std::string s(Trim(text));
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  const size_t dots = std::count(s.begin(), s.end(), '.');
  const size_t commas = std::count(s.begin(), s.end(), ',');
  if (dots > 0 && commas > 0) {
    // The later one is the decimal mark.
    const char decimal = s.rfind('.') > s.rfind(',') ? '.' : ',';
    const char thousands = decimal == '.' ? ',' : '.';
    if ((decimal == '.' ? dots : commas) > 1) return std::nullopt;
    s.erase(std::remove(s.begin(), s.end(), thousands), s.end());
    std::replace(s.begin(), s.end(), ',', '.');
  } else if (dots > 1 || (dots == 1 && s.size() - s.find('.') == 4)) {
    // "1.000.000", "150.000": points between groups of three digits (Vietnamese style).
    s.erase(std::remove(s.begin(), s.end(), '.'), s.end());
  } else if (commas > 1) {
    s.erase(std::remove(s.begin(), s.end(), ','), s.end());
  } else {
    std::replace(s.begin(), s.end(), ',', '.');
  }
  double value;
  if (s.empty() || !absl::SimpleAtod(s, &value) || !std::isfinite(value)) return std::nullopt;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+')) return std::nullopt;
  }
  return value;
}

void AssignRequestIds(absl::string_view prefix, std::vector<UnitRow>* rows) {
  std::map<std::string, int> seen;
  for (UnitRow& row : *rows) {
    row.request.clear_request_id();
    const std::string base = RequestIdFor(prefix, row.request, 1);
    row.request.set_request_id(RequestIdFor(prefix, row.request, ++seen[base]));
  }
}

void AssignRequestIds(absl::string_view prefix, std::vector<TaskRow>* rows,
                      std::vector<std::string>* warnings) {
  std::map<std::string, std::pair<int, int>> seen;  // base id -> (count, first row)
  for (TaskRow& row : *rows) {
    row.request.clear_request_id();
    // A relative deadline counts as written ("+3m"), not as the day it gave today.
    v1::CreateTaskRequest basis = row.request;
    std::string as_written;
    if (!row.deadline_as_written.empty()) {
      basis.mutable_task()->clear_deadline();
      absl::StrAppend(&as_written, "deadline ", row.deadline_as_written, "\n");
    }
    if (!row.support_deadline_as_written.empty()) {
      for (v1::Assignment& a : *basis.mutable_assignments()) {
        if (a.role() == v1::ASSIGNMENT_ROLE_SUPPORT) a.clear_deadline();
      }
      absl::StrAppend(&as_written, "support_deadline ", row.support_deadline_as_written, "\n");
    }
    const std::string base = RequestIdFor(prefix, basis, 1, as_written);
    auto [it, added] = seen.emplace(base, std::make_pair(0, row.row));
    if (!added) {
      warnings->push_back(absl::StrCat("row ", row.row, " repeats row ", it->second.second,
                                       " exactly; both are imported (two tasks)"));
    }
    row.request.set_request_id(RequestIdFor(prefix, basis, ++it->second.first, as_written));
  }
}

void SortErrors(std::vector<RowError>* errors) {
  std::stable_sort(errors->begin(), errors->end(),
                   [](const RowError& a, const RowError& b) { return a.row < b.row; });
}

}  // namespace

// ---- public ----------------------------------------------------------------------------

std::string FormatRowError(const RowError& error) {
  if (error.row == 0) return error.message;
  if (error.column.empty()) return absl::StrCat("row ", error.row, ": ", error.message);
  return absl::StrCat("row ", error.row, ", column ", Quoted(error.column), ": ", error.message);
}

std::string FoldKey(absl::string_view text) {
  // Fold (common/text.h) drops case and diacritics; then every run of anything but a-z
  // and 0-9 is one space.
  const std::string folded = Fold(text);
  std::string out;
  bool pending_space = false;
  for (char c : folded) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::optional<absl::CivilDay> ParseRelativeDay(absl::string_view text, absl::CivilDay today,
                                               std::string* canonical) {
  text = Trim(text);
  if (!absl::ConsumePrefix(&text, "+")) return std::nullopt;
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  int count = 0;
  if (digits == 0 || digits > 4 || !absl::SimpleAtoi(text.substr(0, digits), &count)) {
    return std::nullopt;
  }
  const std::string unit = FoldKey(text.substr(digits));
  char letter;
  if (unit == "d" || unit == "ngay" || unit == "day" || unit == "days") {
    letter = 'd';
  } else if (unit == "w" || unit == "tuan" || unit == "week" || unit == "weeks") {
    letter = 'w';
  } else if (unit == "m" || unit == "thang" || unit == "month" || unit == "months") {
    letter = 'm';
  } else if (unit == "y" || unit == "nam" || unit == "year" || unit == "years") {
    letter = 'm';  // a year is 12 months: 29/02 + 1 năm is 28/02
    count *= 12;
  } else {
    return std::nullopt;
  }
  absl::CivilDay day;
  if (letter == 'm') {
    const absl::CivilMonth month = absl::CivilMonth(today) + count;
    day = absl::CivilDay(month.year(), month.month(),
                         std::min(today.day(), DaysInMonth(month.year(), month.month())));
  } else {
    day = today + (letter == 'w' ? 7 * count : count);
  }
  if (!IsCalendarDate(ToDate(day))) return std::nullopt;
  if (canonical != nullptr) *canonical = absl::StrCat("+", count, std::string(1, letter));
  return day;
}

absl::StatusOr<CsvTable> ReadCsv(absl::string_view file, char delimiter) {
  if (absl::StartsWith(file, "\xFF\xFE") || absl::StartsWith(file, "\xFE\xFF")) {
    return absl::InvalidArgumentError(
        "the file is UTF-16 (\"Unicode text\"); save it as \"CSV UTF-8\"");
  }
  absl::ConsumePrefix(&file, "\xEF\xBB\xBF");
  if (size_t bad = FirstInvalidUtf8(file); bad != absl::string_view::npos) {
    const int line = 1 + static_cast<int>(std::count(file.begin(), file.begin() + bad, '\n'));
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line,
                     ": the file is not UTF-8 text (Excel's \"CSV (Comma delimited)\" "
                     "writes a legacy code page); save it as \"CSV UTF-8 (Comma delimited)\""));
  }
  CsvTable table;
  table.delimiter = delimiter != 0 ? delimiter : DetectDelimiter(file);
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
    return absl::InternalError("csv_init failed");
  }
  csv_set_delim(&parser, static_cast<unsigned char>(table.delimiter));
  ParseState state;
  // In slices, so that a file past the bounds is refused as soon as it gets there.
  constexpr size_t kSlice = 1 << 20;
  bool failed = false;
  for (size_t at = 0; at < file.size() && !failed; at += kSlice) {
    const size_t n = std::min(kSlice, file.size() - at);
    failed = csv_parse(&parser, file.data() + at, n, OnField, OnRow, &state) != n;
    if (state.too_many_rows_at != 0 || state.too_many_columns_at != 0) break;
  }
  const bool over = state.too_many_rows_at != 0 || state.too_many_columns_at != 0;
  if (!failed && !over) failed = csv_fini(&parser, OnField, OnRow, &state) != 0;
  if (state.too_many_columns_at != 0) {
    csv_free(&parser);
    return absl::InvalidArgumentError(absl::StrFormat(
        "row %d has more than %d columns; an import file has at most %d: remove the "
        "columns that are not listed in the import's documentation (README, \"Importing\")",
        state.too_many_columns_at, kMaxImportColumns, kMaxImportColumns));
  }
  if (state.too_many_rows_at != 0) {
    csv_free(&parser);
    return absl::InvalidArgumentError(absl::StrFormat(
        "the file has more than %d data rows (row %d is one too many); an import takes "
        "at most %d rows per file: split it into several files, each with the header row, "
        "and import them one after the other",
        kMaxImportRows, state.too_many_rows_at, kMaxImportRows));
  }
  if (failed) {
    const std::string why = csv_strerror(csv_error(&parser));
    csv_free(&parser);
    return absl::InvalidArgumentError(absl::StrCat(
        "row ", state.row + 1, ": the file is not valid CSV (", why,
        "): a quoted cell must end with a quote followed by the delimiter or a line end, "
        "and quotes inside it must be doubled"));
  }
  csv_free(&parser);
  table.records = std::move(state.records);
  return table;
}

std::string RequestIdFor(absl::string_view prefix, const google::protobuf::Message& request,
                         int occurrence, absl::string_view as_written) {
  std::string bytes = request.GetTypeName();
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  bytes.append(as_written.data(), as_written.size());
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return absl::StrCat(prefix, absl::Hex(hash, absl::kZeroPad16), "-", occurrence);
}

// ---- units -----------------------------------------------------------------------------

v1::UnitKind UnitKindOfWord(const std::string& word) {
  return static_cast<v1::UnitKind>(
      ParseEnumWord(word, UnitKindWords(), v1::UnitKind_descriptor(), "UNIT_KIND_"));
}

ParsedUnits ParseUnitsCsv(absl::string_view file, const CsvOptions& options) {
  ParsedUnits out;
  Table table = OpenTable(file, UnitColumns(), options, &out.columns, &out.errors, &out.warnings);
  if (!table.ok) return out;
  out.header_row = table.header.row;
  for (const char* field : {"code", "name", "kind"}) {
    if (!table.header.index.count(field)) {
      out.errors.push_back(
          {table.header.row, "", absl::StrCat("missing column ", Quoted(out.columns[field]))});
    }
  }
  std::map<std::string, int> defined;  // code -> row, valid or not
  for (size_t k = table.header_index + 1; k < table.csv.records.size(); ++k) {
    const CsvRecord& record = table.csv.records[k];
    ++out.data_rows;
    RowReader r(record, table.header, out.columns, &out.errors);
    UnitRow row;
    row.row = record.row;
    v1::Unit* unit = row.request.mutable_unit();
    const std::string code_text = r.Get("code");
    if (code_text.empty()) {
      if (table.header.index.count("code")) r.Error("code", "is required");
    } else {
      const std::string code = ParseUnitRef(r, "code", code_text);
      if (!code.empty()) {
        if (auto [it, added] = defined.emplace(code, record.row); !added) {
          r.Error("code", absl::StrCat("unit ", code, " is already defined on row ", it->second));
        }
        unit->set_code(code);
      }
    }
    unit->set_display_name(r.Text("name", kMaxUnitName, table.header.index.count("name") > 0));
    const std::string kind = r.Get("kind");
    if (kind.empty()) {
      if (table.header.index.count("kind")) r.Error("kind", "is required");
    } else if (int v =
                   ParseEnumWord(kind, UnitKindWords(), v1::UnitKind_descriptor(), "UNIT_KIND_");
               v != 0) {
      unit->set_kind(static_cast<v1::UnitKind>(v));
    } else {
      r.Error("kind", absl::StrCat(Quoted(kind),
                                   " is not a unit kind; use one of: ", WordList(UnitKindWords()),
                                   " (diacritics optional), or MINISTRY, PROVINCE, DEPARTMENT, "
                                   "DISTRICT, COMMUNE, WORKING_GROUP, OTHER"));
    }
    if (const std::string parent = r.Get("parent"); !parent.empty()) {
      const std::string code = ParseUnitRef(r, "parent", parent);
      if (!code.empty() && code == unit->code()) {
        r.Error("parent", "a unit cannot be its own parent");
      } else if (!code.empty()) {
        unit->set_parent(absl::StrCat("units/", code));
      }
    }
    if (const std::string admin = r.Get("admin_code"); !admin.empty()) {
      const bool digits = std::all_of(admin.begin(), admin.end(), absl::ascii_isdigit);
      if (!digits || (admin.size() != 2 && admin.size() != 3 && admin.size() != 5)) {
        std::string hint;
        if (digits && (admin.size() == 1 || admin.size() == 4)) {
          hint = " (a spreadsheet drops leading zeros: format the column as Text)";
        }
        r.Error("admin_code",
                absl::StrCat(Quoted(admin),
                             " is not 2 (province), 3 (district) or 5 (commune) digits", hint));
      } else {
        unit->set_admin_code(admin);
      }
    }
    *unit->mutable_valid_from() = DateCell(r, "valid_from", r.Get("valid_from"));
    *unit->mutable_valid_to() = DateCell(r, "valid_to", r.Get("valid_to"));
    if (!IsZeroDate(unit->valid_from()) && !IsZeroDate(unit->valid_to()) &&
        ToCivilDay(unit->valid_to()) < ToCivilDay(unit->valid_from())) {
      r.Error("valid_to", absl::StrCat(FormatDateVn(unit->valid_to()), " is before ",
                                       FormatDateVn(unit->valid_from())));
    }
    if (IsZeroDate(unit->valid_from())) unit->clear_valid_from();
    if (IsZeroDate(unit->valid_to())) unit->clear_valid_to();
    if (r.ok()) out.rows.push_back(std::move(row));
  }
  for (const auto& [code, row] : defined) out.defined_codes.insert(code);
  SortErrors(&out.errors);
  AssignRequestIds("imp-u-", &out.rows);
  return out;
}

absl::Status CheckUnits(ParsedUnits& units, const UnitLookup& lookup) {
  std::map<std::string, size_t> by_code;
  for (size_t i = 0; i < units.rows.size(); ++i) by_code[units.rows[i].request.unit().code()] = i;
  std::vector<RowError> errors;
  // Parents outside the file: on the server and active.
  std::map<std::string, std::optional<v1::Unit>> server;
  auto fetch = [&](const std::string& code) -> absl::StatusOr<const std::optional<v1::Unit>*> {
    auto it = server.find(code);
    if (it == server.end()) {
      absl::StatusOr<std::optional<v1::Unit>> found = lookup(code);
      if (!found.ok()) return found.status();
      it = server.emplace(code, *std::move(found)).first;
    }
    return &it->second;
  };
  const std::string parent_column = units.columns["parent"];
  for (UnitRow& row : units.rows) {
    const v1::Unit& unit = row.request.unit();
    absl::StatusOr<const std::optional<v1::Unit>*> existing = fetch(unit.code());
    if (!existing.ok()) return existing.status();
    if ((*existing)->has_value()) {
      row.existing = **existing;
      const v1::Unit& there = *row.existing;
      std::vector<std::string> diffs;
      if (there.display_name() != unit.display_name()) {
        diffs.push_back(absl::StrCat("name ", Quoted(there.display_name())));
      }
      if (there.kind() != unit.kind()) {
        diffs.push_back(absl::StrCat("kind ", v1::UnitKind_Name(there.kind())));
      }
      if (there.parent() != unit.parent()) {
        diffs.push_back(
            absl::StrCat("parent ", there.parent().empty() ? "(none)" : there.parent()));
      }
      if (there.admin_code() != unit.admin_code()) {
        diffs.push_back(absl::StrCat("admin_code ", Quoted(there.admin_code())));
      }
      if (!diffs.empty()) {
        units.warnings.push_back(
            absl::StrCat("row ", row.row, ": ", there.name(),
                         " already exists and is left as it is; it differs from the file: ",
                         absl::StrJoin(diffs, ", "), " on the server"));
      }
    }
    if (unit.parent().empty()) continue;
    const std::string parent_code = unit.parent().substr(6);
    if (by_code.count(parent_code)) continue;
    // A parent on a row with errors: that row's errors say it.
    if (units.defined_codes.count(parent_code)) continue;
    absl::StatusOr<const std::optional<v1::Unit>*> parent = fetch(parent_code);
    if (!parent.ok()) return parent.status();
    if (!(*parent)->has_value()) {
      errors.push_back({row.row, parent_column,
                        absl::StrCat(Quoted(parent_code),
                                     " is neither defined in this file nor on the server")});
    } else if ((**parent)->state() != v1::UNIT_STATE_ACTIVE) {
      errors.push_back(
          {row.row, parent_column,
           absl::StrCat((**parent)->name(), " is ", v1::UnitState_Name((**parent)->state()),
                        ", not active: a new unit needs an active parent")});
    }
  }
  // Parents first, file order otherwise; a cycle is an error of each of its rows.
  std::vector<int> state(units.rows.size(), 0);  // 0 new, 1 on the path, 2 placed
  std::vector<UnitRow> ordered;
  std::set<size_t> in_cycle;
  std::function<void(size_t, std::vector<size_t>&)> visit = [&](size_t i,
                                                                std::vector<size_t>& path) {
    if (state[i] == 2) return;
    if (state[i] == 1) {
      auto start = std::find(path.begin(), path.end(), i);
      std::vector<std::string> codes;
      for (auto it = start; it != path.end(); ++it) {
        codes.push_back(units.rows[*it].request.unit().code());
      }
      codes.push_back(units.rows[i].request.unit().code());
      for (auto it = start; it != path.end(); ++it) {
        if (in_cycle.insert(*it).second) {
          errors.push_back(
              {units.rows[*it].row, parent_column,
               absl::StrCat("the parents form a cycle: ", absl::StrJoin(codes, " -> "))});
        }
      }
      return;
    }
    state[i] = 1;
    path.push_back(i);
    const std::string& parent = units.rows[i].request.unit().parent();
    if (!parent.empty()) {
      auto it = by_code.find(parent.substr(6));
      if (it != by_code.end()) visit(it->second, path);
    }
    path.pop_back();
    state[i] = 2;
    ordered.push_back(units.rows[i]);
  };
  for (size_t i = 0; i < units.rows.size(); ++i) {
    std::vector<size_t> path;
    visit(i, path);
  }
  units.rows = std::move(ordered);
  units.errors.insert(units.errors.end(), errors.begin(), errors.end());
  SortErrors(&units.errors);
  return absl::OkStatus();
}

// ---- tasks -----------------------------------------------------------------------------

ParsedTasks ParseTasksCsv(absl::string_view file, const CsvOptions& options) {
  ParsedTasks out;
  Table table = OpenTable(file, TaskColumns(), options, &out.columns, &out.errors, &out.warnings);
  if (!table.ok) return out;
  out.header_row = table.header.row;
  const Header& header = table.header;
  const absl::CivilDay today = options.today.value_or(DayInVietnam(absl::Now()));
  // Without a title column, "Nội dung" is the title.
  const bool content_is_title = !header.index.count("title") && header.index.count("content");
  if (content_is_title) out.columns["title"] = out.columns["content"];
  if (!header.index.count("title") && !content_is_title) {
    out.errors.push_back({header.row, "",
                          absl::StrCat("missing column ", Quoted(out.columns["title"]), " (or ",
                                       Quoted(out.columns["content"]), ")")});
  }
  if (!header.index.count("lead")) {
    out.errors.push_back(
        {header.row, "", absl::StrCat("missing column ", Quoted(out.columns["lead"]))});
  }
  if (!header.index.count("assigning_unit") && options.default_assigning_unit.empty()) {
    out.errors.push_back({header.row, "",
                          absl::StrCat("missing column ", Quoted(out.columns["assigning_unit"]),
                                       " (or give --assigning-unit)")});
  }
  for (size_t k = table.header_index + 1; k < table.csv.records.size(); ++k) {
    const CsvRecord& record = table.csv.records[k];
    ++out.data_rows;
    RowReader r(record, header, out.columns, &out.errors);
    TaskRow row;
    row.row = record.row;
    v1::Task* task = row.request.mutable_task();
    if (content_is_title) {
      task->set_title(r.Text("content", kMaxTitle, true));
    } else {
      task->set_title(r.Text("title", kMaxTitle, header.index.count("title") > 0));
      task->set_content(r.Text("content", kMaxContent, false));
    }
    // Units.
    std::string assigning = r.Get("assigning_unit");
    std::string assigning_field = "assigning_unit";
    if (assigning.empty()) assigning = options.default_assigning_unit;
    if (assigning.empty()) {
      if (header.index.count("assigning_unit")) r.Error("assigning_unit", "is required");
    } else if (std::string code = ParseUnitRef(r, assigning_field, assigning); !code.empty()) {
      task->set_assigning_unit(absl::StrCat("units/", code));
    }
    std::string lead;
    if (const std::string cell = r.Get("lead"); !cell.empty()) {
      std::vector<std::string> leads = SplitList(cell);
      if (leads.size() > 1) {
        r.Error("lead", absl::StrCat(Quoted(cell), " names ", leads.size(),
                                     " units; a task has one lead unit (put the others in ",
                                     Quoted(out.columns["support"]), ")"));
      } else {
        lead = ParseUnitRef(r, "lead", leads[0]);
      }
    } else if (header.index.count("lead")) {
      r.Error("lead", "is required");
    }
    std::vector<std::string> supports;
    for (const std::string& part : SplitList(r.Get("support"))) {
      const std::string code = ParseUnitRef(r, "support", part);
      if (code.empty()) continue;
      if (code == lead) {
        r.Error("support", absl::StrCat(code,
                                        " is also the lead unit; a unit holds one role "
                                        "on a task"));
        continue;
      }
      if (std::find(supports.begin(), supports.end(), code) == supports.end()) {
        supports.push_back(code);
      }
    }
    if (1 + supports.size() > static_cast<size_t>(kMaxInitialAssignments)) {
      r.Error("support", absl::StrCat(supports.size(), " units; a task takes at most ",
                                      kMaxInitialAssignments - 1, " besides its lead"));
    }
    // Kind, deadline, cadence.
    const std::string kind_text = r.Get("kind");
    int kind = 0;
    if (!kind_text.empty()) {
      kind = ParseEnumWord(kind_text, TaskKindWords(), v1::TaskKind_descriptor(), "TASK_KIND_");
      if (kind == 0) {
        r.Error("kind", absl::StrCat(Quoted(kind_text), " is not a task kind; use ",
                                     WordList(TaskKindWords()), ", ONE_OFF or RECURRING"));
      }
    }
    const std::string deadline_text = r.Get("deadline");
    const bool deadline_says_recurring =
        !deadline_text.empty() && TaskKindWords().count(FoldKey(deadline_text)) > 0 &&
        TaskKindWords().at(FoldKey(deadline_text)) == v1::TASK_KIND_RECURRING;
    if (kind == 0 && kind_text.empty()) {
      kind = deadline_says_recurring ? v1::TASK_KIND_RECURRING : v1::TASK_KIND_ONE_OFF;
    }
    task->set_kind(static_cast<v1::TaskKind>(kind));
    if (deadline_says_recurring) {
      if (kind == v1::TASK_KIND_ONE_OFF) {
        r.Error("deadline", absl::StrCat(Quoted(deadline_text),
                                         " on a one-off task; give a "
                                         "date or leave it empty"));
      }
    } else if (!deadline_text.empty()) {
      v1::Date deadline =
          DeadlineCell(r, "deadline", deadline_text, today, &row.deadline_as_written);
      if (!IsZeroDate(deadline)) {
        if (kind == v1::TASK_KIND_RECURRING) {
          r.Error("deadline", "a recurring task (thực hiện thường xuyên) has no deadline");
        }
        *task->mutable_deadline() = deadline;
      }
    }
    if (const std::string cadence = r.Get("cadence"); !cadence.empty()) {
      const int v = ParseEnumWord(cadence, CadenceWords(), v1::Cadence_descriptor(), "CADENCE_");
      if (v == 0) {
        r.Error("cadence", absl::StrCat(Quoted(cadence), " is not a reporting period; use ",
                                        WordList(CadenceWords()),
                                        " or MONTHLY, QUARTERLY, SIX_MONTHLY, YEARLY"));
      } else if (kind != v1::TASK_KIND_RECURRING) {
        r.Error("cadence", "only a recurring task has a reporting period");
      } else {
        task->set_cadence(static_cast<v1::Cadence>(v));
      }
    }
    v1::Date support_deadline;
    if (const std::string text = r.Get("support_deadline"); !text.empty()) {
      support_deadline =
          DeadlineCell(r, "support_deadline", text, today, &row.support_deadline_as_written);
      if (kind == v1::TASK_KIND_RECURRING) {
        r.Error("support_deadline", "a recurring task (thực hiện thường xuyên) has no deadline");
      } else if (supports.empty()) {
        out.warnings.push_back(FormatRowError(
            {row.row, out.columns["support_deadline"], "no coordinating units; ignored"}));
        support_deadline = v1::Date();
        row.support_deadline_as_written.clear();
      }
    }
    // Other fields.
    if (const std::string urgency = r.Get("urgency"); !urgency.empty()) {
      const int v = ParseEnumWord(urgency, UrgencyWords(), v1::Urgency_descriptor(), "URGENCY_");
      if (v == 0) {
        r.Error("urgency", absl::StrCat(Quoted(urgency), " is not an urgency; use ",
                                        WordList(UrgencyWords()), " or FOCUS, ROUTINE, AD_HOC"));
      }
      task->set_urgency(static_cast<v1::Urgency>(v));
    }
    task->set_category(r.Text("category", kMaxCategory, false));
    v1::Directive directive;
    directive.set_number(r.Text("directive", kMaxDirectiveNumber, false));
    directive.set_summary(r.Text("directive_summary", kMaxDirectiveSummary, false));
    directive.set_issuer(r.Text("directive_issuer", kMaxIssuer, false));
    *directive.mutable_issue_date() = DateCell(r, "directive_date", r.Get("directive_date"));
    if (IsZeroDate(directive.issue_date())) directive.clear_issue_date();
    if (directive.ByteSizeLong() > 0) *task->mutable_directive() = directive;
    std::vector<std::string> labels;
    for (const std::string& label : SplitList(r.Get("labels"))) {
      if (CodePointCount(label) > kMaxLabel) {
        r.Error("labels", absl::StrCat("label ", Quoted(RowReader::Shorten(label)), " is over ",
                                       kMaxLabel, " characters"));
      } else if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
        labels.push_back(label);
      }
    }
    if (labels.size() > static_cast<size_t>(kMaxLabels)) {
      r.Error("labels", absl::StrCat(labels.size(), " labels; at most ", kMaxLabels));
    }
    for (const std::string& label : labels) task->add_labels(label);
    // KPI.
    const std::string kpi = r.Text("kpi", kMaxKpiDescription, false);
    const std::string kpi_type = r.Get("kpi_type");
    const std::string kpi_target = r.Get("kpi_target");
    if (kpi.empty() && (!kpi_type.empty() || !kpi_target.empty())) {
      r.Error("kpi", absl::StrCat("is required with ", Quoted(out.columns["kpi_target"]), " or ",
                                  Quoted(out.columns["kpi_type"])));
    } else if (!kpi.empty()) {
      v1::KpiTarget* target = task->mutable_kpi();
      target->set_description(kpi);
      int type = 0;
      if (kpi_type == "%") {
        type = v1::KPI_TYPE_PERCENT;
      } else if (!kpi_type.empty()) {
        type = ParseEnumWord(kpi_type, KpiTypeWords(), v1::KpiType_descriptor(), "KPI_TYPE_");
        if (type == 0) {
          r.Error("kpi_type",
                  absl::StrCat(Quoted(kpi_type), " is not a KPI type; use ",
                               WordList(KpiTypeWords()), " or PERCENT, NUMBER, RATIO, YES_NO"));
        }
      }
      std::string value(Trim(kpi_target));
      const std::string folded = FoldKey(value);
      double number = 0, denominator = 0;
      bool parsed = true;
      int inferred = v1::KPI_TYPE_NUMBER;
      if (value.empty()) {
        r.Error("kpi_target", absl::StrCat("is required with ", Quoted(out.columns["kpi"])));
        parsed = false;
      } else if (folded == "co" || folded == "dat" || folded == "yes") {
        inferred = v1::KPI_TYPE_YES_NO;
        number = 1;
      } else if (folded == "khong" || folded == "khong dat" || folded == "no") {
        inferred = v1::KPI_TYPE_YES_NO;
      } else if (size_t slash = value.find('/'); slash != std::string::npos) {
        inferred = v1::KPI_TYPE_RATIO;
        std::optional<double> a = ParseNumber(value.substr(0, slash));
        std::optional<double> b = ParseNumber(value.substr(slash + 1));
        parsed = a.has_value() && b.has_value();
        if (parsed) {
          number = *a;
          denominator = *b;
        }
      } else {
        if (absl::EndsWith(value, "%")) {
          inferred = v1::KPI_TYPE_PERCENT;
          value.pop_back();
        }
        std::optional<double> a = ParseNumber(value);
        parsed = a.has_value();
        if (parsed) number = *a;
      }
      if (!parsed && !value.empty()) {
        r.Error("kpi_target", absl::StrCat(Quoted(kpi_target),
                                           " is not a target (a number such as 42,5 or 42,5%; "
                                           "25/53 for a ratio; Có/Không)"));
      }
      if (type == 0 && kpi_type.empty()) type = inferred;
      if (parsed && type != 0) {
        if (type == v1::KPI_TYPE_RATIO && inferred != v1::KPI_TYPE_RATIO) {
          r.Error("kpi_target", "a ratio target is written as value/denominator, e.g. 25/53");
        } else if (type != v1::KPI_TYPE_RATIO && inferred == v1::KPI_TYPE_RATIO) {
          r.Error("kpi_target", "value/denominator is only for a ratio KPI (Tỷ số)");
        } else if (number < 0 || number > 1e15 || denominator > 1e15) {
          r.Error("kpi_target", "must be a number from 0 to 10^15");
        } else if (type == v1::KPI_TYPE_PERCENT && number > 100) {
          r.Error("kpi_target", "a percentage is at most 100");
        } else if (type == v1::KPI_TYPE_YES_NO && number != 0 && number != 1) {
          r.Error("kpi_target", "a yes/no target is Có (1) or Không (0)");
        } else if (type == v1::KPI_TYPE_RATIO && !(denominator > 0)) {
          r.Error("kpi_target", "the denominator of a ratio must be above 0");
        } else if (type == v1::KPI_TYPE_RATIO && number > denominator) {
          r.Error("kpi_target", "the value of a ratio must not exceed its denominator");
        }
      }
      target->set_type(static_cast<v1::KpiType>(type));
      target->set_target_value(number);
      target->set_target_denominator(denominator);
    }
    // Assignments: the lead, then the coordinators.
    if (!lead.empty()) {
      v1::Assignment* a = row.request.add_assignments();
      a->set_unit(absl::StrCat("units/", lead));
      a->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    }
    for (const std::string& code : supports) {
      v1::Assignment* a = row.request.add_assignments();
      a->set_unit(absl::StrCat("units/", code));
      a->set_role(v1::ASSIGNMENT_ROLE_SUPPORT);
      if (!IsZeroDate(support_deadline)) *a->mutable_deadline() = support_deadline;
    }
    if (r.ok()) out.rows.push_back(std::move(row));
  }
  SortErrors(&out.errors);
  AssignRequestIds("imp-t-", &out.rows, &out.warnings);
  return out;
}

absl::Status CheckTaskUnits(ParsedTasks& tasks, const UnitLookup& lookup) {
  std::map<std::string, std::optional<v1::Unit>> server;
  std::vector<RowError> errors;
  for (const TaskRow& row : tasks.rows) {
    std::vector<std::pair<std::string, std::string>> refs;  // field, unit name
    refs.emplace_back("assigning_unit", row.request.task().assigning_unit());
    for (const v1::Assignment& a : row.request.assignments()) {
      refs.emplace_back(a.role() == v1::ASSIGNMENT_ROLE_LEAD ? "lead" : "support", a.unit());
    }
    for (const auto& [field, name] : refs) {
      if (!absl::StartsWith(name, "units/")) continue;  // its row has an error already
      const std::string code = name.substr(6);
      auto it = server.find(code);
      if (it == server.end()) {
        absl::StatusOr<std::optional<v1::Unit>> found = lookup(code);
        if (!found.ok()) return found.status();
        it = server.emplace(code, *std::move(found)).first;
      }
      if (!it->second.has_value()) {
        errors.push_back({row.row, tasks.columns[field],
                          absl::StrCat("unit ", code,
                                       " does not exist on the server (import "
                                       "the units first)")});
      } else if (it->second->state() != v1::UNIT_STATE_ACTIVE) {
        errors.push_back(
            {row.row, tasks.columns[field],
             absl::StrCat(name, " is ", v1::UnitState_Name(it->second->state()),
                          it->second->successor().empty()
                              ? ""
                              : absl::StrCat(" (its successor is ", it->second->successor(), ")"),
                          ", not active")});
      }
    }
  }
  tasks.errors.insert(tasks.errors.end(), errors.begin(), errors.end());
  SortErrors(&tasks.errors);
  return absl::OkStatus();
}

absl::Status CheckExistingTasks(ParsedTasks& tasks, const TaskLookup& lookup,
                                bool allow_same_title) {
  std::set<std::string> ours;
  for (const TaskRow& row : tasks.rows) ours.insert(row.request.request_id());
  std::vector<RowError> errors;
  for (TaskRow& row : tasks.rows) {
    const v1::Task& task = row.request.task();
    // Without an assigning unit the row has its error already (a missing column or
    // cell); there is nothing to look up.
    if (task.assigning_unit().empty()) continue;
    absl::StatusOr<std::vector<ExistingTask>> same = lookup(task.assigning_unit(), task.title());
    if (!same.ok()) return same.status();
    const ExistingTask* other = nullptr;
    for (const ExistingTask& e : *same) {
      if (e.request_id == row.request.request_id()) {
        row.existing = e.name;
      } else if (ours.count(e.request_id) == 0 && other == nullptr) {
        other = &e;
      }
    }
    if (row.existing.empty() && other != nullptr && !allow_same_title) {
      errors.push_back(
          {row.row, tasks.columns["title"],
           absl::StrCat(task.assigning_unit(), " already has a task with this title (", other->name,
                        ") that this row did not create (entered otherwise, or from an "
                        "earlier version of this row); change that task instead, or pass "
                        "--allow-same-title to create another")});
    }
  }
  tasks.errors.insert(tasks.errors.end(), errors.begin(), errors.end());
  SortErrors(&tasks.errors);
  return absl::OkStatus();
}

}  // namespace d06::ctl
