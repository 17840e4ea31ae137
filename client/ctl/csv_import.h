// The pure part of `d06ctl import`: reading an agency's CSV file (libcsv) into the
// CreateUnit / CreateTask requests it stands for, and every row error found on the way.
// Nothing here talks to a server; what must be checked against one (does a unit exist, is
// it active, was a task created already) goes through the lookup callbacks below, so
// tests pass maps and import.cc passes the client.
//
// The file:
//   * UTF-8, with or without a byte-order mark (a UTF-16 or non-UTF-8 file is refused as
//     a whole: "save it as CSV UTF-8");
//   * delimiter ',' or ';' (or a tab), detected from the header line: whichever of them
//     occurs most often outside quotes in it (';' on a tie or when none does), unless
//     given;
//   * quoting as Excel and LibreOffice write it: cells in double quotes may hold the
//     delimiter, doubled quotes and line breaks (parsed by libcsv, CSV_STRICT);
//   * the header is found by itself among the first kHeaderSearchRows non-blank rows:
//     the first of them that names the most known columns (at least one), so title rows
//     above it ("ỦY BAN NHÂN DÂN TỈNH …", "DANH MỤC NHIỆM VỤ …", as Vietnamese reports
//     carry them) are skipped; or CsvOptions::header_row. When the detected delimiter
//     finds no header in the first row, the other delimiters are tried too and the one
//     whose header names the most columns wins. A file where no row names a column is
//     refused with the columns it expected. Column names match ignoring case,
//     diacritics (đ = d), punctuation and spacing: "Hạn xử lý", "han xu ly", "HẠN XỬ LÝ"
//     and "deadline" name the same column. Columns "STT", "TT", "Số thứ tự" and "Ghi chú"
//     are ignored; any other unknown column is an error (a misspelt "Hạn xử lý" would
//     otherwise drop every deadline) unless ignore_unknown_columns;
//   * rows are numbered as a spreadsheet shows them: the header is row 1 (when it is the
//     first line), title rows count, a cell with line breaks stays in one row, blank lines count as
//     rows and are skipped, as are rows whose cells are all empty;
//   * at most kMaxImportRows data rows and kMaxImportColumns columns (and, read by
//     import.h, kMaxImportBytes): a larger file is refused as a whole, as soon as the
//     parser gets past the bound, with a message saying to split it;
//   * dates are dd/MM/yyyy (also d/M/yyyy, dd-MM-yyyy, dd.MM.yyyy) or yyyy-MM-dd
//     (ParseDateVn, common/dates.h);
//   * unit references are a code ("H29.01") or a resource name ("units/H29.01"); lower
//     case is accepted and upper-cased; cells listing several units or labels separate
//     them with ',', ';' or line breaks.
//
// Units file (one CreateUnit per row). Columns, with the names accepted (besides the
// field name in English):
//   code        required  Mã định danh | Mã đơn vị | Mã định danh điện tử | Mã | code
//   name        required  Tên đơn vị | Tên | Đơn vị | display_name | name
//   kind        required  Loại đơn vị | Loại | Cấp | kind — "Bộ", "Tỉnh", "Thành phố",
//                         "Sở", "Ban", "Huyện", "Quận", "Thị xã", "Xã", "Phường",
//                         "Thị trấn", "Đặc khu", "Ban Chỉ đạo", "Tổ công tác", "Khác", or
//                         the UnitKind names with or without prefix ("PROVINCE")
//   parent      optional  Đơn vị cấp trên | Cấp trên | Đơn vị chủ quản | Trực thuộc |
//                         parent — empty for a root; defined in the file (in any row:
//                         writes go parents first) or already on the server, active
//   admin_code  optional  Mã đơn vị hành chính | Mã ĐVHC | Mã hành chính | admin_code
//   valid_from  optional  Hiệu lực từ | Từ ngày | valid_from
//   valid_to    optional  Hiệu lực đến | Đến ngày | valid_to
//
// Tasks file (one CreateTask per row, with its lead and coordinating units as the
// request's assignments: one atomic write):
//   title        required  Tên nhiệm vụ | Nhiệm vụ | Tiêu đề | title — when there is no
//                          such column, "Nội dung" is the title
//   content      optional  Nội dung | Nội dung nhiệm vụ | Mô tả | content
//   assigning    required  Cơ quan giao | Đơn vị giao | Cơ quan giao nhiệm vụ |
//                          assigning_unit (an empty cell takes default_assigning_unit)
//   lead         required  Đơn vị chủ trì | Chủ trì | Cơ quan chủ trì | lead
//   support      optional  Đơn vị phối hợp | Phối hợp | Cơ quan phối hợp | support
//   deadline     optional  Hạn xử lý | Thời hạn | Thời hạn hoàn thành | Hạn hoàn thành |
//                          deadline — a date; or a time from the day of the import,
//                          "+30 ngày", "+2 tuần", "+3 tháng", "+1 năm" (ParseRelativeDay: for a
//                          plan used again, e.g. the example); or "Thường xuyên" for a
//                          recurring task
//   support_deadline       Hạn phối hợp | support_deadline — the coordinators' deadline
//                          (default: the task's; a date or relative like the deadline)
//   kind         optional  Loại nhiệm vụ | Loại | kind — "Một lần" / "Có thời hạn"
//                          (ONE_OFF, the default) or "Thường xuyên" / "Định kỳ" (RECURRING)
//   cadence      optional  Kỳ báo cáo | Định kỳ báo cáo | cadence — "Tháng", "Quý",
//                          "6 tháng", "Năm" (recurring only; default monthly)
//   urgency      optional  Mức độ | Tính chất | urgency — "Trọng tâm", "Thường xuyên",
//                          "Đột xuất" (default routine)
//   category     optional  Lĩnh vực | category
//   directive    optional  Số, ký hiệu văn bản | Số ký hiệu | Văn bản giao | directive
//   directive_summary      Trích yếu | directive_summary
//   directive_issuer       Cơ quan ban hành | issuer
//   directive_date         Ngày ban hành | Ngày văn bản | issue_date
//   labels       optional  Nhãn | labels — up to 20
//   kpi          optional  Chỉ tiêu | kpi — what is measured (as the export names it)
//   kpi_type     optional  Loại chỉ tiêu | kpi_type — "Tỷ lệ %", "Số lượng", "Tỷ số",
//                          "Có/Không" or the KpiType names; inferred from the target
//                          when empty ("42,5%" percent, "25/53" ratio, "Có" yes/no,
//                          otherwise a number)
//   kpi_target   optional  Giá trị chỉ tiêu | kpi_target — the target (decimal comma or
//                          point; a point before exactly three digits separates
//                          thousands: "150.000"; "25/53" for a ratio)
//
// Every rule the server applies that can be known here is checked (required fields,
// lengths in characters, codes, dates, enum words, a lead that is not also a
// coordinator, recurring tasks without deadlines, KPI ranges, at most 100 units per
// task); every failing cell is reported, not only the first.
//
// request_id (see RequestIdFor): derived from the request itself, so that the same
// row imported again, from the same file or an edited one, re-sends the same id and the
// server answers its first result without writing anything.
#ifndef D06_CLIENT_CTL_CSV_IMPORT_H_
#define D06_CLIENT_CTL_CSV_IMPORT_H_

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "d06/v1/common.pb.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "google/protobuf/message.h"

namespace d06::ctl {

// The bounds of one import file, so that what an import holds in memory and prints stays
// bounded: data rows (the header excluded; a province's plan has hundreds), columns of
// any row, and bytes of the file (checked by RunImport before reading it).
inline constexpr int kMaxImportRows = 100000;
inline constexpr int kMaxImportColumns = 100;
inline constexpr size_t kMaxImportBytes = 64 << 20;
// How many non-blank rows from the top the header is looked for in.
inline constexpr int kHeaderSearchRows = 20;

// One problem with the file. row 0 is the file as a whole; an empty column is the row
// as a whole.
struct RowError {
  int row = 0;
  std::string column;
  std::string message;
};

// `row 7, column "Hạn xử lý": "31/02/2026" is not a valid date (dd/MM/yyyy)`;
// `row 7: ...` without a column; the message alone for row 0.
std::string FormatRowError(const RowError& error);

struct CsvOptions {
  // ',', ';' or '\t'; 0 detects it from the header line.
  char delimiter = 0;
  // The header's row as a spreadsheet numbers it (1 = the first line); 0 finds it.
  int header_row = 0;
  // Unknown columns are warnings instead of errors.
  bool ignore_unknown_columns = false;
  // Tasks: the assigning unit of rows whose "Cơ quan giao" is empty or absent (a code
  // or "units/CODE"); empty: none.
  std::string default_assigning_unit;
  // The day relative deadlines ("+3 tháng") count from; nullopt: today in Vietnam.
  std::optional<absl::CivilDay> today;
};

// A record of the file, as libcsv split it.
struct CsvRecord {
  int row = 0;
  std::vector<std::string> cells;
};

struct CsvTable {
  // The delimiter used.
  char delimiter = ',';
  // Every non-blank record, in order; the first is the header.
  std::vector<CsvRecord> records;
};

// Splits `file` into records with libcsv (strict quoting), after a UTF-8 byte-order
// mark. INVALID_ARGUMENT, with the row, for a UTF-16 file, bytes that are not UTF-8,
// broken quoting, or more than kMaxImportRows data rows or kMaxImportColumns columns
// (parsing stops there). Cells are returned as written (not trimmed).
absl::StatusOr<CsvTable> ReadCsv(absl::string_view file, char delimiter = 0);

// The key column names and words are matched by: Fold() of common/text.h (lower case,
// diacritics removed, đ -> d; precomposed or combining), then every run of other
// characters than a-z and 0-9 one space, trimmed.
// "Số, ký hiệu văn bản" -> "so ky hieu van ban".
std::string FoldKey(absl::string_view text);

// A deadline relative to the day of the import: "+" then a number (at most 4 digits) of
// days, weeks, months or years: "+30 ngày" / "+30d", "+2 tuần" / "+2w", "+3 tháng" /
// "+3m", "+1 năm" / "+1y" (= "+12m"; unit words in Vietnamese or English, diacritics
// optional). The day that many days or
// weeks after `today`, or that many months after it on the same day of the month (the
// month's last day when it is shorter: +1 tháng from 31/01 is 28/02 or 29/02). nullopt
// when `text` is not one or the day is outside 1900..9999. *canonical (when not null)
// gets "+30d", "+2w" or "+3m".
std::optional<absl::CivilDay> ParseRelativeDay(absl::string_view text, absl::CivilDay today,
                                               std::string* canonical = nullptr);

// A unit kind as a file writes it ("Tỉnh", "Xã", "Phường", "PROVINCE", ...), as the units
// file's kind column takes it; UNIT_KIND_UNSPECIFIED when unknown.
v1::UnitKind UnitKindOfWord(const std::string& word);

// What the server holds under a unit code: nullopt when there is no such unit; an error
// when the read failed (the import then stops with it).
using UnitLookup = std::function<absl::StatusOr<std::optional<v1::Unit>>(const std::string& code)>;

// ---- units -----------------------------------------------------------------------------

struct UnitRow {
  int row = 0;
  // request_id set by ParseUnitsCsv.
  v1::CreateUnitRequest request;
  // Set by CheckUnits when the server already has a unit with this code: the row is not
  // written and counts as "already there".
  std::optional<v1::Unit> existing;
};

struct ParsedUnits {
  // The valid rows: in file order after ParseUnitsCsv, parents first after CheckUnits.
  std::vector<UnitRow> rows;
  // Every problem, ordered by row; nothing may be written unless empty.
  std::vector<RowError> errors;
  // Things worth saying that do not stop the import.
  std::vector<std::string> warnings;
  // Non-empty data rows in the file (valid or not).
  int data_rows = 0;
  // The row of the header (rows above it were skipped as titles); 0 when none was found.
  int header_row = 0;
  // Every unit code the file defines, on valid rows or not.
  std::set<std::string> defined_codes;
  // Field ("code", "parent", ...) -> the column's name as the header wrote it (or its
  // Vietnamese name when the file has no such column), for messages.
  std::map<std::string, std::string> columns;
};

// Parses and checks a units file; fills each request_id (RequestIdFor).
ParsedUnits ParseUnitsCsv(absl::string_view file, const CsvOptions& options = {});

// The checks that need the server, through `lookup` (reads only): each parent is in the
// file or an active unit on the server; no cycles; rows are ordered parents first (file
// order otherwise); a code the server already has marks its row `existing` (with a
// warning naming what differs from the file). Adds row errors; returns a lookup error.
absl::Status CheckUnits(ParsedUnits& units, const UnitLookup& lookup);

// ---- tasks -----------------------------------------------------------------------------

struct TaskRow {
  int row = 0;
  // Task, assignments (lead first, then coordinators in the cell's order) and request_id.
  v1::CreateTaskRequest request;
  // The deadlines the file gives relative to the day of the import, canonical ("+3m"),
  // or "" for a date or none; `request` holds the days they gave. The request_id hashes
  // these instead of those days, so the row imported again on a later day is the same
  // request: already there, not a second task.
  std::string deadline_as_written;
  std::string support_deadline_as_written;
  // Set by CheckExistingTasks when this row's request was already written: the task it
  // created ("tasks/12"); the row is not written again.
  std::string existing;
};

struct ParsedTasks {
  std::vector<TaskRow> rows;
  std::vector<RowError> errors;
  std::vector<std::string> warnings;
  int data_rows = 0;
  // As ParsedUnits::header_row.
  int header_row = 0;
  std::map<std::string, std::string> columns;
};

// Parses and checks a tasks file; fills each request_id (RequestIdFor); identical rows
// are two tasks (occurrence 1 and 2) and a warning.
ParsedTasks ParseTasksCsv(absl::string_view file, const CsvOptions& options = {});

// Every unit a row names (assigning, lead, coordinating) exists and is active.
absl::Status CheckTaskUnits(ParsedTasks& tasks, const UnitLookup& lookup);

// A task already on the server, as CheckExistingTasks needs it.
struct ExistingTask {
  std::string name;
  // The request_id of the CreateTask that created it (its first event's), "" if none.
  std::string request_id;
};
// The tasks on the server that an assigning unit ("units/H29") gave with exactly this
// title; an error when the read failed.
using TaskLookup = std::function<absl::StatusOr<std::vector<ExistingTask>>(
    const std::string& assigning_unit, const std::string& title)>;

// Marks the rows whose request_id created a task already (`existing`). A task of the same
// assigning unit with the same title that no row of this file created is an error of
// the row (it was entered otherwise or from an edited row: update it rather than import
// a second one), unless allow_same_title.
absl::Status CheckExistingTasks(ParsedTasks& tasks, const TaskLookup& lookup,
                                bool allow_same_title);

// ---- request ids -----------------------------------------------------------------------

// "imp-u-" / "imp-t-" + 16 hex digits of the 64-bit FNV-1a hash of the request's
// deterministic serialization (request_id empty) followed by `as_written` + "-" + n,
// where n counts identical requests in the file (1 for the first). At most 36 printable
// ASCII characters. So an id depends on what the row asks for, not on the file's other
// rows, its delimiter, date format or column order: rerunning a file, interrupted or not,
// or an edited copy of it re-sends the same id for each unchanged row. (Tasks pass their
// relative deadlines as `as_written`, with those dates cleared from `request`.)
std::string RequestIdFor(absl::string_view prefix, const google::protobuf::Message& request,
                         int occurrence, absl::string_view as_written = {});

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_CSV_IMPORT_H_
