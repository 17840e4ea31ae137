#include "server/core/export_table.h"

#include <fcntl.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/domain/csv.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

// Chunks are sent once they reach this size.
constexpr size_t kChunkBytes = 64 << 10;

absl::Status Cancelled() { return absl::CancelledError("the client stopped reading the export"); }

class CsvTable final : public ExportTable {
 public:
  CsvTable(CsvStyle style, Write write) : style_(style), write_(std::move(write)) {}

  absl::Status Title(absl::string_view, bool) override { return absl::OkStatus(); }
  absl::Status Note(absl::string_view text) override { return Add({std::string(text)}); }
  absl::Status Header(const std::vector<ExportColumn>& columns) override {
    std::vector<std::string> fields;
    for (const ExportColumn& column : columns) fields.push_back(column.name);
    return Add(fields);
  }
  absl::Status Row(const std::vector<ExportCell>& cells, bool) override {
    std::vector<std::string> fields;
    for (const ExportCell& cell : cells) {
      switch (cell.kind) {
        case ExportCell::Kind::kEmpty:
          fields.emplace_back();
          break;
        case ExportCell::Kind::kText:
          fields.push_back(cell.text);
          break;
        case ExportCell::Kind::kNumber:
        case ExportCell::Kind::kPercent:  // as the percentage (18.2), as the column says "(%)"
          fields.push_back(CsvNumber(cell.number, style_));
          break;
        case ExportCell::Kind::kDate:
          fields.push_back(IsZeroDate(cell.date) ? "" : FormatDateVn(cell.date));
          break;
      }
    }
    return Add(fields);
  }
  absl::Status Finish() override { return Flush(); }

 private:
  absl::Status Add(const std::vector<std::string>& fields) {
    buffer_ += CsvRow(fields, style_);
    if (buffer_.size() < kChunkBytes) return absl::OkStatus();
    return Flush();
  }
  absl::Status Flush() {
    if (buffer_.empty()) return absl::OkStatus();
    if (!write_(std::move(buffer_))) return Cancelled();
    buffer_.clear();
    return absl::OkStatus();
  }

  const CsvStyle style_;
  const Write write_;
  std::string buffer_{kUtf8Bom};
};

// The temporary directory: $TMPDIR, else /tmp.
std::string TempDir() {
  const char* dir = std::getenv("TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

class XlsxTable final : public ExportTable {
 public:
  // Makes the temporary file and the workbook.
  static absl::StatusOr<std::unique_ptr<XlsxTable>> Open(absl::string_view sheet, Write write) {
    std::unique_ptr<XlsxTable> table(new XlsxTable(std::move(write)));
    table->tmpdir_ = TempDir();
    std::string path = absl::StrCat(table->tmpdir_, "/d06-export-XXXXXX.xlsx");
    const int fd = mkstemps(path.data(), 5);
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("cannot make a temporary file in ", table->tmpdir_,
                                              " for the workbook: ", std::strerror(errno)));
    }
    close(fd);
    table->path_ = path;
    lxw_workbook_options options = {};
    options.constant_memory = LXW_TRUE;  // a row at a time in memory, whatever the size
    options.tmpdir = table->tmpdir_.data();
    table->workbook_ = workbook_new_opt(table->path_.c_str(), &options);
    if (table->workbook_ == nullptr) return absl::InternalError("cannot start the workbook");
    table->sheet_ = workbook_add_worksheet(table->workbook_, std::string(sheet).c_str());
    if (table->sheet_ == nullptr) return absl::InternalError("cannot add the workbook's sheet");
    table->MakeFormats();
    return table;
  }

  ~XlsxTable() override {
    // Unfinished (an error while reading the rows): closed, which writes the file, then
    // removed. lxw_workbook_free would not do: libxlsxwriter 1.1.4 frees a sheet without
    // closing its constant-memory temporary file (a file descriptor lost per export).
    if (workbook_ != nullptr) workbook_close(workbook_);
    if (!path_.empty()) unlink(path_.c_str());
  }

  absl::Status Title(absl::string_view text, bool bold) override {
    return Check(worksheet_write_string(sheet_, row_++, 0, std::string(text).c_str(),
                                        bold ? title_ : nullptr));
  }
  absl::Status Note(absl::string_view text) override {
    return Check(worksheet_write_string(sheet_, row_++, 0, std::string(text).c_str(), note_));
  }
  absl::Status Header(const std::vector<ExportColumn>& columns) override {
    ++row_;  // a blank row between the titles and the table
    for (size_t i = 0; i < columns.size(); ++i) {
      const auto col = static_cast<lxw_col_t>(i);
      RETURN_IF_ERROR(Check(worksheet_set_column(sheet_, col, col, columns[i].width, nullptr)));
      RETURN_IF_ERROR(
          Check(worksheet_write_string(sheet_, row_, col, columns[i].name.c_str(), header_)));
    }
    worksheet_freeze_panes(sheet_, row_ + 1, 0);
    ++row_;
    return absl::OkStatus();
  }
  absl::Status Row(const std::vector<ExportCell>& cells, bool total) override {
    for (size_t i = 0; i < cells.size(); ++i) {
      const ExportCell& cell = cells[i];
      const auto col = static_cast<lxw_col_t>(i);
      lxw_error error = LXW_NO_ERROR;
      switch (cell.kind) {
        case ExportCell::Kind::kEmpty:
          break;
        case ExportCell::Kind::kText:
          error = worksheet_write_string(sheet_, row_, col, cell.text.c_str(),
                                         total ? total_text_ : text_);
          break;
        case ExportCell::Kind::kNumber:
          error = worksheet_write_number(sheet_, row_, col, cell.number,
                                         total ? total_number_ : nullptr);
          break;
        case ExportCell::Kind::kPercent:
          error = worksheet_write_number(sheet_, row_, col, cell.number / 100,
                                         total ? total_percent_ : percent_);
          break;
        case ExportCell::Kind::kDate:
          if (!IsZeroDate(cell.date)) {
            lxw_datetime when = {cell.date.year(), cell.date.month(), cell.date.day(), 0, 0, 0};
            error = worksheet_write_datetime(sheet_, row_, col, &when, date_);
          }
          break;
      }
      RETURN_IF_ERROR(Check(error));
    }
    ++row_;
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    const lxw_error closed = workbook_close(workbook_);  // frees the workbook, writes the file
    workbook_ = nullptr;
    RETURN_IF_ERROR(Check(closed));
    const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::InternalError(
          absl::StrCat("cannot read the workbook back from ", path_, ": ", std::strerror(errno)));
    }
    // Gone from the directory now; its bytes stay readable through fd until it is closed.
    unlink(path_.c_str());
    path_.clear();
    absl::Status status;
    std::string chunk(kChunkBytes, '\0');
    while (status.ok()) {
      const ssize_t n = read(fd, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = absl::InternalError(
            absl::StrCat("cannot read the workbook back: ", std::strerror(errno)));
      } else if (n == 0) {
        break;
      } else if (!write_(chunk.substr(0, static_cast<size_t>(n)))) {
        status = Cancelled();
      }
    }
    close(fd);
    return status;
  }

 private:
  explicit XlsxTable(Write write) : write_(std::move(write)) {}

  void MakeFormats() {
    title_ = workbook_add_format(workbook_);
    format_set_bold(title_);
    format_set_font_size(title_, 13);
    note_ = workbook_add_format(workbook_);
    format_set_italic(note_);
    header_ = workbook_add_format(workbook_);
    format_set_bold(header_);
    format_set_text_wrap(header_);
    format_set_align(header_, LXW_ALIGN_VERTICAL_CENTER);
    format_set_bg_color(header_, 0xDDEBF7);
    format_set_border(header_, LXW_BORDER_THIN);
    text_ = workbook_add_format(workbook_);
    format_set_text_wrap(text_);
    format_set_align(text_, LXW_ALIGN_VERTICAL_TOP);
    percent_ = workbook_add_format(workbook_);
    format_set_num_format(percent_, "0.0%");
    date_ = workbook_add_format(workbook_);
    format_set_num_format(date_, "dd/mm/yyyy");
    total_text_ = workbook_add_format(workbook_);
    format_set_bold(total_text_);
    total_number_ = workbook_add_format(workbook_);
    format_set_bold(total_number_);
    total_percent_ = workbook_add_format(workbook_);
    format_set_bold(total_percent_);
    format_set_num_format(total_percent_, "0.0%");
  }

  static absl::Status Check(lxw_error error) {
    if (error == LXW_NO_ERROR) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("writing the workbook: ", lxw_strerror(error)));
  }

  const Write write_;
  std::string tmpdir_;
  std::string path_;  // the temporary file while it has a name
  lxw_workbook* workbook_ = nullptr;
  lxw_worksheet* sheet_ = nullptr;
  lxw_row_t row_ = 0;
  lxw_format *title_ = nullptr, *note_ = nullptr, *header_ = nullptr, *text_ = nullptr,
             *percent_ = nullptr, *date_ = nullptr, *total_text_ = nullptr,
             *total_number_ = nullptr, *total_percent_ = nullptr;
};

}  // namespace

ExportCell ExportCell::Text(std::string text) {
  ExportCell cell;
  cell.kind = Kind::kText;
  cell.text = std::move(text);
  return cell;
}

ExportCell ExportCell::Number(double number) {
  ExportCell cell;
  cell.kind = Kind::kNumber;
  cell.number = number;
  return cell;
}

ExportCell ExportCell::Percent(double percent) {
  ExportCell cell = Number(percent);
  cell.kind = Kind::kPercent;
  return cell;
}

ExportCell ExportCell::Date(const v1::Date& date) {
  ExportCell cell;
  cell.kind = Kind::kDate;
  cell.date = date;
  return cell;
}

absl::StatusOr<std::unique_ptr<ExportTable>> NewExportTable(v1::ExportFormat format,
                                                            absl::string_view delimiter,
                                                            absl::string_view decimal_separator,
                                                            absl::string_view sheet,
                                                            ExportTable::Write write) {
  switch (format) {
    case v1::EXPORT_FORMAT_UNSPECIFIED:
    case v1::EXPORT_FORMAT_CSV: {
      ASSIGN_OR_RETURN(CsvStyle style, ParseCsvStyle(delimiter, decimal_separator));
      return std::make_unique<CsvTable>(style, std::move(write));
    }
    case v1::EXPORT_FORMAT_XLSX: {
      ASSIGN_OR_RETURN(std::unique_ptr<XlsxTable> table, XlsxTable::Open(sheet, std::move(write)));
      return std::unique_ptr<ExportTable>(std::move(table));
    }
    default:
      return InvalidField("format", absl::StrCat("format must be CSV or XLSX, not ", format));
  }
}

}  // namespace d06
