// Exports for spreadsheets: the assignments of a list, and a summary table, as CSV or as
// an Excel workbook (server/core/export_table.h). Written in chunks through a callback, a
// page at a time, so an export of any size is never held in memory.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "server/core/core.h"
#include "server/core/export_table.h"
#include "server/domain/csv.h"
#include "server/domain/dates.h"
#include "server/domain/names.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

std::vector<ExportCell> SummaryCells(const std::string& label, const v1::SummaryCounts& c) {
  auto n = [](int64_t v) { return ExportCell::Number(static_cast<double>(v)); };
  return {ExportCell::Text(label),
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
          ExportCell::Percent(c.completed_percent())};
}

}  // namespace

absl::Status Core::ExportAssignments(const Caller& caller, v1::ExportAssignmentsRequest request,
                                     const ExportWrite& write) const {
  v1::ListAssignmentsRequest list;
  list.set_parent(request.parent());
  list.set_filter(request.filter());
  list.set_page_size(kMaxPageSize);
  // The first page is read before the file starts, so that its errors come first.
  v1::ListAssignmentsResponse page;
  RETURN_IF_ERROR(ListAssignments(caller, list, &page));
  ASSIGN_OR_RETURN(std::unique_ptr<ExportTable> out,
                   NewExportTable(request.format(), request.delimiter(),
                                  request.decimal_separator(), "Nhiệm vụ", write));
  RETURN_IF_ERROR(out->Title("DANH SÁCH PHÂN CÔNG THỰC HIỆN NHIỆM VỤ"));
  if (!request.filter().empty()) {
    RETURN_IF_ERROR(out->Title(absl::StrCat("Điều kiện lọc: ", request.filter()), false));
  }
  RETURN_IF_ERROR(out->Title(
      absl::StrCat("Ngày xuất: ", FormatDateVn(ToDate(TodayInVietnam(*options_.clock)))), false));
  RETURN_IF_ERROR(out->Header({{"Mã nhiệm vụ", 16},
                               {"Tên nhiệm vụ", 48},
                               {"Cơ quan giao", 14},
                               {"Đơn vị", 14},
                               {"Vai trò", 10},
                               {"Trạng thái", 16},
                               {"Tình trạng hạn", 18},
                               {"Hạn xử lý", 12},
                               {"Ngày báo cáo hoàn thành", 14},
                               {"Tiến độ (%)", 10},
                               {"Số lần gia hạn", 10},
                               {"Số lần đôn đốc", 10},
                               {"Chỉ tiêu", 24},
                               {"Giá trị chỉ tiêu", 12},
                               {"Giá trị đạt được", 12}}));
  // Consecutive rows often share a task: keep the last one read.
  v1::GetTaskResponse task;
  while (true) {
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
          out->Row({ExportCell::Text(t.name()), ExportCell::Text(t.title()),
                    ExportCell::Text(t.assigning_unit()), ExportCell::Text(a.unit()),
                    ExportCell::Text(RoleVn(a.role())), ExportCell::Text(StateVn(a.state())),
                    ExportCell::Text(TimelinessVn(a.timeliness())), ExportCell::Date(a.deadline()),
                    ExportCell::Date(a.submit_date()), ExportCell::Percent(a.progress_percent()),
                    ExportCell::Number(a.extension_count()), ExportCell::Number(a.urge_count()),
                    ExportCell::Text(t.kpi().description()),
                    t.has_kpi() ? ExportCell::Number(t.kpi().target_value()) : ExportCell(),
                    a.has_kpi_value() ? ExportCell::Number(a.kpi_value().value()) : ExportCell()}));
    }
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
    page.Clear();
    RETURN_IF_ERROR(ListAssignments(caller, list, &page));
  }
  return out->Finish();
}

absl::Status Core::ExportSummary(const Caller& caller, v1::ExportSummaryRequest request,
                                 const ExportWrite& write) const {
  v1::GetSummaryRequest get;
  get.set_unit(request.unit());
  *get.mutable_as_of() = request.as_of();
  get.set_group_by(request.group_by() == v1::SUMMARY_GROUP_BY_UNSPECIFIED
                       ? v1::SUMMARY_GROUP_BY_CHILD_UNIT
                       : request.group_by());
  get.set_filter(request.filter());
  v1::GetSummaryResponse summary;
  RETURN_IF_ERROR(GetSummary(caller, get, &summary));
  ASSIGN_OR_RETURN(std::unique_ptr<ExportTable> out,
                   NewExportTable(request.format(), request.delimiter(),
                                  request.decimal_separator(), "Tổng hợp", write));
  RETURN_IF_ERROR(out->Title(summary.display_name()));
  RETURN_IF_ERROR(out->Title("BÁO CÁO KẾT QUẢ THỰC HIỆN NHIỆM VỤ ĐỀ ÁN 06"));
  RETURN_IF_ERROR(out->Note(absl::StrCat("Số liệu tính đến ngày ", FormatDateVn(summary.as_of()))));
  if (!request.filter().empty()) {
    RETURN_IF_ERROR(out->Note(absl::StrCat("Chỉ các nhiệm vụ có ", request.filter())));
  }
  // The government's report lines, above the table they sum up.
  RETURN_IF_ERROR(out->Title(summary.completed_line(), false));
  RETURN_IF_ERROR(out->Title(summary.status_line(), false));
  RETURN_IF_ERROR(out->Header({{"Đơn vị", 40},
                               {"Tổng số", 9},
                               {"Đã hoàn thành", 11},
                               {"Hoàn thành đúng hạn", 11},
                               {"Hoàn thành quá hạn", 11},
                               {"Chưa hoàn thành, quá hạn", 12},
                               {"Đang triển khai, trong hạn", 12},
                               {"Thực hiện thường xuyên", 11},
                               {"Chưa triển khai", 11},
                               {"Từ chối", 9},
                               {"Thu hồi", 9},
                               {"Số lần đôn đốc", 10},
                               {"Tỷ lệ hoàn thành (%)", 11}}));
  for (const v1::SummaryRow& row : summary.rows()) {
    RETURN_IF_ERROR(out->Row(SummaryCells(
        row.own() ? absl::StrCat(row.display_name(), " (trực tiếp)") : row.display_name(),
        row.counts())));
  }
  RETURN_IF_ERROR(out->Row(SummaryCells("Tổng cộng", summary.total()), /*total=*/true));
  return out->Finish();
}

}  // namespace d06
