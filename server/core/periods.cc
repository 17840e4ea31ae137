// Period reports of recurring tasks (báo cáo định kỳ): each assigned unit files one per
// period, in order; a period that ended without its report shows as missing on the
// assignment and in reports.
#include "server/domain/periods.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/limits.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/paging.h"
#include "server/core/rules.h"
#include "server/domain/authorization.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/names.h"
#include "server/domain/state_machine.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "storage/status_macros.h"

namespace d06 {

void Core::FilePeriodReport(const Caller& caller, const v1::FilePeriodReportRequest& request,
                            v1::FilePeriodReportResponse* response, Done done) {
  absl::StatusOr<AssignmentId> id = ParseAssignmentName("name", request.name());
  if (!id.ok()) return done(id.status());
  std::string note = request.note();
  absl::Status valid = [&]() -> absl::Status {
    if (IsZeroDate(request.period())) return Required("period");
    RETURN_IF_ERROR(ValidateDate("period", request.period()));
    return NormalizeText("note", &note, kMaxReason, false);
  }();
  if (!valid.ok()) return done(valid);
  Mutate(
      caller, request.request_id(), request, response,
      [this, &request, id = *id, note, response](Txn& txn,
                                                 const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(AssignmentOfTask found,
                         RequireChangeableAssignment(txn.reader(), *change.caller, id.task_id,
                                                     id.unit_code, request.etag()));
        const v1::Assignment& before = found.assignment;
        const v1::Task& task = found.task;
        if (task.kind() != v1::TASK_KIND_RECURRING) {
          return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kInvalidTransition,
                       absl::StrCat(task.name(),
                                    " is not a recurring task; report progress "
                                    "or submit instead"),
                       {{"state", ShortName(before.state())}, {"action", "file_period_report"}});
        }
        if (before.state() != v1::ASSIGNMENT_STATE_NOT_STARTED &&
            before.state() != v1::ASSIGNMENT_STATE_IN_PROGRESS) {
          return NotAllowedIn(before.state(), "file_period_report", "NOT_STARTED or IN_PROGRESS");
        }
        const absl::CivilDay today = DayInVietnam(change.time);
        const Period period = PeriodOf(task.cadence(), ToCivilDay(request.period()));
        if (period.start > today) {
          return InvalidField(
              "period", absl::StrCat("the period starting ", FormatDateVn(ToDate(period.start)),
                                     " has not begun; report it once it has"));
        }
        const Period next = FirstUnreportedPeriod(before);
        if (period.start != next.start) {
          const std::string next_start = FormatDateVn(ToDate(next.start));
          return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kPeriodNotNext,
                       absl::StrCat("the next period to report on is ", next_start, " - ",
                                    FormatDateVn(ToDate(next.end)),
                                    period.start < next.start ? " (this one is reported already)"
                                                              : " (report the earlier one first)"),
                       {{"next_period", next_start}});
        }
        v1::Assignment a = before;
        std::vector<std::string> changed = {"last_period_reported", "progress_note"};
        if (a.state() == v1::ASSIGNMENT_STATE_NOT_STARTED) {
          a.set_state(v1::ASSIGNMENT_STATE_IN_PROGRESS);
          changed.push_back("state");
        }
        *a.mutable_last_period_reported() = ToDate(period.start);
        a.set_progress_note(note);
        v1::PeriodReport report;
        report.set_name(
            absl::StrCat(before.name(), "/periodReports/", absl::FormatCivilTime(period.start)));
        *report.mutable_period_start() = ToDate(period.start);
        *report.mutable_period_end() = ToDate(period.end);
        report.set_note(note);
        report.set_reported_by(change.actor);
        *report.mutable_report_time() = ToTimestamp(change.time);
        report.set_late(today > period.end);
        if (request.has_kpi_value()) {
          RETURN_IF_ERROR(ValidateKpiValue("kpi_value", task, request.kpi_value()));
          report.set_kpi_value(request.kpi_value());
          a.mutable_kpi_value()->set_value(request.kpi_value());
          *a.mutable_kpi_value()->mutable_report_time() = ToTimestamp(change.time);
          changed.push_back("kpi_value");
        }
        PutPeriodReport(txn, id.task_id, id.unit_code, report);
        ASSIGN_OR_RETURN(v1::Event * event,
                         WriteAssignment(txn, change, task, &before, &a,
                                         v1::EVENT_ACTION_PERIOD_REPORT, changed));
        event->set_reason(note);
        *response->mutable_assignment() = std::move(a);
        *response->mutable_period_report() = std::move(report);
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status Core::ListPeriodReports(const Caller& caller,
                                     const v1::ListPeriodReportsRequest& request,
                                     v1::ListPeriodReportsResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(AssignmentId id, ParseAssignmentName("parent", request.parent()));
  const std::string scope = absl::StrCat("period reports\n", request.parent());
  ASSIGN_OR_RETURN(std::string after, page_tokens_.Decode(caller, request.page_token(), scope));
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(std::optional<v1::Assignment> found,
                   LoadAssignment(*view, id.task_id, id.unit_code));
  if (!found) return NotFound(AssignmentName(id.task_id, id.unit_code));
  if (Restricted(caller)) {
    ASSIGN_OR_RETURN(v1::Task task, RequireTask(*view, id.task_id));
    RETURN_IF_ERROR(
        AuthorizeTask(*view, caller, task, id.unit_code, AssignmentName(id.task_id, id.unit_code)));
  }
  ASSIGN_OR_RETURN(std::string next, ListPeriodReportPage(*view, id.task_id, id.unit_code, after,
                                                          PageSize(request.page_size()),
                                                          response->mutable_period_reports()));
  ASSIGN_OR_RETURN(*response->mutable_next_page_token(), page_tokens_.Encode(caller, scope, next));
  return absl::OkStatus();
}

}  // namespace d06
