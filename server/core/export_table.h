// d06::ExportTable: the file an export writes (server/core/exports.cc), as CSV or as an
// Excel workbook (.xlsx), from the same calls: title rows, a header, typed rows.
//
// CSV (for scripts): UTF-8 with a byte-order mark, the request's delimiter and decimal
// separator, dates as dd/MM/yyyy; title rows are left out (a script reads the header on
// the first line), notes are one-field lines.
// XLSX (for people): Debian's libxlsxwriter builds the workbook in a temporary file in
// $TMPDIR (or /tmp) in its constant-memory mode (a row at a time reaches the file, so
// memory stays flat at any export size); Finish() streams the file's bytes in chunks and
// the file is gone once the table is destroyed, whether it finished, failed or was
// cancelled (the file is unlinked as soon as it is opened for reading, and on every other
// path by the destructor). Dates are date cells with a dd/mm/yyyy format, counts numbers,
// percentages numbers with a 0.0% format, so no locale has to guess; the header row is
// bold, frozen and has the columns' widths; titles are bold above it.
//
//   ASSIGN_OR_RETURN(auto table, NewExportTable(request.format(), request.delimiter(),
//                                                request.decimal_separator(), "Tổng hợp",
//                                                write));
//   RETURN_IF_ERROR(table->Title("UBND TỈNH NGHỆ AN"));
//   RETURN_IF_ERROR(table->Header({{"Đơn vị", 40}, {"Tỷ lệ hoàn thành", 14}}));
//   RETURN_IF_ERROR(table->Row({ExportCell::Text("Xã A"), ExportCell::Percent(94.4)}));
//   RETURN_IF_ERROR(table->Finish());
//
// Not thread-safe: one export uses one table.
#ifndef D06_SERVER_CORE_EXPORT_TABLE_H_
#define D06_SERVER_CORE_EXPORT_TABLE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "d06/v1/common.pb.h"

namespace d06 {

// One cell of a row: text, a number, a percentage (of 100: 94.4 is 94,4 %), a date (zero:
// an empty cell) or nothing.
struct ExportCell {
  enum class Kind { kEmpty, kText, kNumber, kPercent, kDate };
  Kind kind = Kind::kEmpty;
  std::string text;
  double number = 0;
  v1::Date date;

  static ExportCell Text(std::string text);
  static ExportCell Number(double number);
  static ExportCell Percent(double percent);
  static ExportCell Date(const v1::Date& date);
};

// A column of the header: its name and its width in characters (XLSX only).
struct ExportColumn {
  std::string name;
  double width = 12;
};

class ExportTable {
 public:
  // Takes a chunk of the file; false when the client went away (the export stops).
  using Write = std::function<bool(std::string chunk)>;

  virtual ~ExportTable() = default;
  // A title row above the table (XLSX only), bold or not.
  virtual absl::Status Title(absl::string_view text, bool bold = true) = 0;
  // A line above the table that both formats write.
  virtual absl::Status Note(absl::string_view text) = 0;
  // The header row; once, before any Row.
  virtual absl::Status Header(const std::vector<ExportColumn>& columns) = 0;
  // A row of the table; `total` rows are bold (XLSX).
  virtual absl::Status Row(const std::vector<ExportCell>& cells, bool total = false) = 0;
  // Sends the rest of the file. CANCELLED when the client went away.
  virtual absl::Status Finish() = 0;
};

// The table of `format` writing through `write`: CSV (UNSPECIFIED too) with the
// `delimiter` and `decimal_separator` of the request (ParseCsvStyle: INVALID_FIELD for
// one not taken), or XLSX with one sheet named `sheet` (at most 31 characters).
// INVALID_FIELD "format" for a value not listed; INTERNAL when the temporary file cannot
// be made.
absl::StatusOr<std::unique_ptr<ExportTable>> NewExportTable(v1::ExportFormat format,
                                                            absl::string_view delimiter,
                                                            absl::string_view decimal_separator,
                                                            absl::string_view sheet,
                                                            ExportTable::Write write);

}  // namespace d06

#endif  // D06_SERVER_CORE_EXPORT_TABLE_H_
