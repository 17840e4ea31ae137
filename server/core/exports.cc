// CSV exports for spreadsheets: the assignments of a list, and a summary table. Written in
// chunks through a callback, a page at a time, so an export of any size is never held in
// memory.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/limits.h"
#include "server/core/core.h"
#include "server/domain/csv.h"
#include "server/domain/dates.h"
#include "server/domain/names.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

// Chunks are sent once they reach this size.
constexpr size_t kChunkBytes = 64 << 10;

absl::Status Cancelled() { return absl::CancelledError("the client stopped reading the export"); }

std::string DateVn(const v1::Date& date) { return IsZeroDate(date) ? "" : FormatDateVn(date); }

std::string Number(double value) { return absl::StrFormat("%g", value); }

// Collects CSV rows and hands them on in chunks.
class ChunkWriter {
 public:
  explicit ChunkWriter(const Core::ExportWrite& write) : write_(write) {}
  absl::Status Add(const std::vector<std::string>& fields) {
    buffer_ += CsvRow(fields);
    if (buffer_.size() < kChunkBytes) return absl::OkStatus();
    return Flush();
  }
  absl::Status Flush() {
    if (buffer_.empty()) return absl::OkStatus();
    if (!write_(std::move(buffer_))) return Cancelled();
    buffer_.clear();
    return absl::OkStatus();
  }

 private:
  const Core::ExportWrite& write_;
  std::string buffer_{kUtf8Bom};
};

std::vector<std::string> SummaryFields(const std::string& label, const v1::SummaryCounts& c) {
  auto n = [](int64_t v) { return absl::StrCat(v); };
  return {label,
          n(c.total()),
          n(c.completed()),
          n(c.completed_on_time()),
          n(c.completed_late()),
          n(c.overdue()),
          n(c.in_progress_on_time()),
          n(c.recurring()),
          n(c.not_started()),
          n(c.declined()),
          n(c.revoked()),
          n(c.urges()),
          Number(c.completed_percent())};
}

}  // namespace

absl::Status Core::ExportAssignments(const Caller& caller, v1::ExportAssignmentsRequest request,
                                     const ExportWrite& write) const {
  v1::ListAssignmentsRequest list;
  list.set_parent(request.parent());
  list.set_filter(request.filter());
  list.set_page_size(kMaxPageSize);
  ChunkWriter out(write);
  bool header = false;
  // Consecutive rows often share a task: keep the last one read.
  v1::GetTaskResponse task;
  do {
    v1::ListAssignmentsResponse page;
    RETURN_IF_ERROR(ListAssignments(caller, list, &page));  // errors before any chunk
    if (!header) {
      header = true;
      RETURN_IF_ERROR(
          out.Add({"Mã nhiệm vụ", "Tên nhiệm vụ", "Cơ quan giao", "Đơn vị", "Vai trò", "Trạng thái",
                   "Tình trạng hạn", "Hạn xử lý", "Ngày báo cáo hoàn thành", "Tiến độ (%)",
                   "Số lần gia hạn", "Số lần đôn đốc", "Chỉ tiêu", "Giá trị chỉ tiêu",
                   "Giá trị đạt được"}));
    }
    for (const v1::Assignment& a : page.assignments()) {
      ASSIGN_OR_RETURN(AssignmentId id, ParseAssignmentName("assignment", a.name()));
      const std::string task_name = TaskName(id.task_id);
      if (task.task().name() != task_name) {
        v1::GetTaskRequest get;
        get.set_name(task_name);
        task.Clear();
        RETURN_IF_ERROR(GetTask(caller, get, &task));
      }
      const v1::Task& t = task.task();
      RETURN_IF_ERROR(
          out.Add({t.name(), t.title(), t.assigning_unit(), a.unit(), RoleVn(a.role()),
                   StateVn(a.state()), TimelinessVn(a.timeliness()), DateVn(a.deadline()),
                   DateVn(a.submit_date()), absl::StrCat(a.progress_percent()),
                   absl::StrCat(a.extension_count()), absl::StrCat(a.urge_count()),
                   t.kpi().description(), t.has_kpi() ? Number(t.kpi().target_value()) : "",
                   a.has_kpi_value() ? Number(a.kpi_value().value()) : ""}));
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  return out.Flush();
}

absl::Status Core::ExportSummary(const Caller& caller, v1::ExportSummaryRequest request,
                                 const ExportWrite& write) const {
  v1::GetSummaryRequest get;
  get.set_unit(request.unit());
  *get.mutable_as_of() = request.as_of();
  get.set_group_by(request.group_by() == v1::SUMMARY_GROUP_BY_UNSPECIFIED
                       ? v1::SUMMARY_GROUP_BY_CHILD_UNIT
                       : request.group_by());
  v1::GetSummaryResponse summary;
  RETURN_IF_ERROR(GetSummary(caller, get, &summary));
  ChunkWriter out(write);
  RETURN_IF_ERROR(out.Add({absl::StrCat("Số liệu tính đến ngày ", FormatDateVn(summary.as_of()))}));
  RETURN_IF_ERROR(
      out.Add({"Đơn vị", "Tổng số", "Đã hoàn thành", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
               "Chưa hoàn thành, quá hạn", "Đang triển khai, trong hạn", "Thực hiện thường xuyên",
               "Chưa triển khai", "Từ chối", "Thu hồi", "Số lần đôn đốc", "Tỷ lệ hoàn thành (%)"}));
  for (const v1::SummaryRow& row : summary.rows()) {
    RETURN_IF_ERROR(out.Add(SummaryFields(
        row.own() ? absl::StrCat(row.display_name(), " (trực tiếp)") : row.display_name(),
        row.counts())));
  }
  RETURN_IF_ERROR(out.Add(SummaryFields("Tổng cộng", summary.total())));
  return out.Flush();
}

}  // namespace d06
