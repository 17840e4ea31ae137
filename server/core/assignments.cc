// Assignments: create (one live lead per task), every transition of the state machine,
// get.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/paging.h"
#include "server/core/rules.h"
#include "server/domain/authorization.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/filter.h"
#include "server/domain/names.h"
#include "server/domain/state_machine.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {

using google::protobuf::Message;

absl::StatusOr<std::string> Core::ValidateNewAssignment(absl::string_view field,
                                                        const v1::Assignment& assignment) {
  const std::string unit_field = absl::StrCat(field, ".unit");
  if (assignment.unit().empty()) return Required(unit_field);
  ASSIGN_OR_RETURN(std::string code, ParseUnitName(unit_field, assignment.unit()));
  RETURN_IF_ERROR(CheckRequiredEnum(absl::StrCat(field, ".role"), assignment.role(),
                                    v1::AssignmentRole_IsValid));
  RETURN_IF_ERROR(ValidateDate(absl::StrCat(field, ".deadline"), assignment.deadline()));
  return code;
}

absl::Status Core::AddAssignment(Txn& txn, const ChangeContext& change, const v1::Task& task,
                                 absl::string_view field, const std::string& code,
                                 v1::Assignment* assignment,
                                 std::vector<v1::Assignment>* existing) const {
  if (task.kind() == v1::TASK_KIND_RECURRING && !IsZeroDate(assignment->deadline())) {
    return InvalidField(absl::StrCat(field, ".deadline"),
                        absl::StrCat(field, ".deadline must be empty on a recurring task"));
  }
  RETURN_IF_ERROR(RequireActiveUnit(txn.reader(), absl::StrCat(field, ".unit"), code));
  const uint64_t task_id = IdOf(task.name());
  const std::string name = AssignmentName(task_id, code);
  if (std::any_of(existing->begin(), existing->end(),
                  [&](const v1::Assignment& other) { return other.name() == name; })) {
    return Error(absl::StatusCode::kAlreadyExists, v1::reason::kAlreadyExists,
                 absl::StrCat("unit ", UnitName(code), " already has a role on ", task.name(), " (",
                              name, ")"),
                 {{"resource", name}});
  }
  const v1::Assignment* lead = LiveLead(*existing, name);
  if (assignment->role() == v1::ASSIGNMENT_ROLE_LEAD && lead != nullptr) {
    return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kLeadExists,
                 absl::StrCat(task.name(), " already has lead unit ", lead->unit(),
                              "; revoke it first or assign this unit as SUPPORT"),
                 {{"lead", lead->unit()}});
  }
  assignment->set_name(name);
  assignment->set_unit(UnitName(code));
  if (IsZeroDate(assignment->deadline())) *assignment->mutable_deadline() = task.deadline();
  assignment->set_state(v1::ASSIGNMENT_STATE_NOT_STARTED);
  assignment->set_progress_percent(0);
  assignment->clear_progress_note();
  assignment->clear_submit_date();
  assignment->clear_last_reason();
  assignment->clear_extension_count();
  assignment->clear_pending_extension();
  assignment->clear_submit_deadline();
  assignment->clear_urge_count();
  assignment->clear_due_soon_recorded_for();
  assignment->clear_overdue_recorded_for();
  assignment->clear_kpi_value();
  assignment->clear_last_period_reported();
  assignment->clear_missing_period_reports();
  assignment->set_cadence(task.kind() == v1::TASK_KIND_RECURRING ? task.cadence()
                                                                 : v1::CADENCE_UNSPECIFIED);
  *assignment->mutable_create_time() = ToTimestamp(change.time);
  ASSIGN_OR_RETURN(v1::Event * created, WriteAssignment(txn, change, task, nullptr, assignment,
                                                        v1::EVENT_ACTION_CREATE_ASSIGNMENT, {}));
  // The assignments this mutation staged before this one are its partners too.
  for (const v1::Assignment& partner : *existing) AddAudience(created, partner.unit());
  if (assignment->role() == v1::ASSIGNMENT_ROLE_LEAD) {
    RETURN_IF_ERROR(ReplaceFormerLeads(txn, change, task, *assignment, existing));
  }
  existing->push_back(*assignment);
  return absl::OkStatus();
}

absl::Status Core::ReplaceFormerLeads(Txn& txn, const ChangeContext& change, const v1::Task& task,
                                      const v1::Assignment& lead,
                                      std::vector<v1::Assignment>* assignments) const {
  for (v1::Assignment& former : *assignments) {
    if (former.name() == lead.name() || former.role() != v1::ASSIGNMENT_ROLE_LEAD ||
        !former.replaced_by().empty()) {
      continue;
    }
    const v1::Assignment before = former;
    former.set_replaced_by(lead.unit());
    ASSIGN_OR_RETURN(v1::Event * event,
                     WriteAssignment(txn, change, task, &before, &former,
                                     v1::EVENT_ACTION_UPDATE_ASSIGNMENT, {"replaced_by"}));
    event->set_reason(absl::StrCat("replaced as lead by ", lead.unit()));
  }
  return absl::OkStatus();
}

void Core::CreateAssignment(const Caller& caller, const v1::CreateAssignmentRequest& request,
                            v1::CreateAssignmentResponse* response, Done done) {
  absl::StatusOr<uint64_t> task_id = ParseTaskName("parent", request.parent());
  if (!task_id.ok()) return done(task_id.status());
  absl::StatusOr<std::string> code = ValidateNewAssignment("assignment", request.assignment());
  if (!code.ok()) return done(code.status());
  Mutate(
      caller, request.request_id(), request, response,
      [this, task_id = *task_id, code = *code, assignment = request.assignment(), response](
          Txn& txn, const ChangeContext& change) mutable -> absl::Status {
        ASSIGN_OR_RETURN(v1::Task task, RequireTask(txn.reader(), *change.caller, task_id));
        RETURN_IF_ERROR(TaskNotCancelled(task));
        ASSIGN_OR_RETURN(std::vector<v1::Assignment> existing,
                         LoadAssignments(txn.reader(), task_id));
        RETURN_IF_ERROR(
            AddAssignment(txn, change, task, "assignment", code, &assignment, &existing));
        *response->mutable_assignment() = assignment;
        return absl::OkStatus();
      },
      std::move(done));
}

void Core::Transition(const Caller& caller, const Message& request, const TransitionArgs& args,
                      v1::Assignment* out, Done done) {
  absl::StatusOr<AssignmentId> id = ParseAssignmentName("name", args.name);
  if (!id.ok()) return done(id.status());
  std::string reason = args.reason;
  std::string note = args.note;
  absl::Status valid = [&]() -> absl::Status {
    RETURN_IF_ERROR(ValidateReason(&reason, ActionNeedsReason(args.action)));
    RETURN_IF_ERROR(NormalizeText("note", &note, kMaxReason, false));
    if (args.action == Action::kReportProgress && (args.percent < 0 || args.percent > 100)) {
      return InvalidField("percent",
                          absl::StrCat("percent must be within 0..100, not ", args.percent));
    }
    return absl::OkStatus();
  }();
  if (!valid.ok()) return done(valid);
  Mutate(
      caller, args.request_id, request, out,
      [this, args, reason, note, id = *id, out](Txn& txn,
                                                const ChangeContext& change) -> absl::Status {
        const ReadView& reader = txn.reader();
        const std::string name = AssignmentName(id.task_id, id.unit_code);
        ASSIGN_OR_RETURN(AssignmentOfTask found,
                         RequireChangeableAssignment(reader, *change.caller, id.task_id,
                                                     id.unit_code, args.etag));
        const v1::Assignment& before = found.assignment;
        const v1::Task& task = found.task;
        ASSIGN_OR_RETURN(v1::AssignmentState next, NextState(before.state(), args.action));
        // A declined lead coming back must not make a second live lead; it takes the task
        // over from the leads that replaced it.
        const bool lead_returns = args.action == Action::kReopen &&
                                  before.role() == v1::ASSIGNMENT_ROLE_LEAD &&
                                  !IsLive(before.state());
        std::vector<v1::Assignment> others;
        if (lead_returns) {
          ASSIGN_OR_RETURN(others, LoadAssignments(reader, id.task_id));
          if (const v1::Assignment* lead = LiveLead(others, name)) {
            return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kLeadExists,
                         absl::StrCat(task.name(), " has another lead unit ", lead->unit(),
                                      "; revoke it first"),
                         {{"lead", lead->unit()}});
          }
        }
        const absl::Time now = change.time;
        v1::Assignment a = before;
        a.set_state(next);
        if (args.kpi_value) {
          RETURN_IF_ERROR(ValidateKpiValue("kpi_value", task, *args.kpi_value));
          a.mutable_kpi_value()->set_value(*args.kpi_value);
          *a.mutable_kpi_value()->mutable_report_time() = ToTimestamp(now);
        }
        std::vector<std::string> changed = {"state"};
        switch (args.action) {
          case Action::kReportProgress:
            a.set_progress_percent(args.percent);
            a.set_progress_note(note);
            changed = {"state", "progress_percent", "progress_note"};
            break;
          case Action::kSubmit:
            *a.mutable_submit_date() = ToDate(DayInVietnam(now));
            *a.mutable_submit_deadline() = a.deadline();
            if (!note.empty()) a.set_progress_note(note);
            changed = {"state", "submit_date", "submit_deadline", "progress_note"};
            break;
          case Action::kApprove:
            a.set_progress_percent(100);
            changed = {"state", "progress_percent"};
            break;
          case Action::kReturn:
          case Action::kDecline:
          case Action::kRevoke:
          case Action::kReopen:
            a.set_last_reason(reason);
            changed = {"state", "last_reason"};
            break;
          case Action::kStart:
            break;
        }
        if (args.kpi_value) changed.push_back("kpi_value");
        if (!IsOpen(next) && a.has_pending_extension()) {
          a.clear_pending_extension();  // no deadline to extend any more
          changed.push_back("pending_extension");
        }
        if (lead_returns && !a.replaced_by().empty()) {
          a.clear_replaced_by();
          changed.push_back("replaced_by");
        }
        ASSIGN_OR_RETURN(v1::Event * event, WriteAssignment(txn, change, task, &before, &a,
                                                            EventActionFor(args.action), changed));
        event->set_reason(ActionNeedsReason(args.action) ? reason : note);
        if (lead_returns) RETURN_IF_ERROR(ReplaceFormerLeads(txn, change, task, a, &others));
        *out = a;
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status Core::GetAssignment(const Caller& caller, const v1::GetAssignmentRequest& request,
                                 v1::GetAssignmentResponse* response) const {
  ASSIGN_OR_RETURN(AssignmentId id, ParseAssignmentName("name", request.name()));
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(std::optional<v1::Assignment> found,
                   LoadAssignment(*view, id.task_id, id.unit_code));
  if (!found) return NotFound(request.name());
  RETURN_IF_ERROR(AuthorizeAssignmentRead(*view, unit_parents_, caller, id.task_id, id.unit_code,
                                          request.name()));
  *response->mutable_assignment() = *std::move(found);
  Decorate(response->mutable_assignment(), TodayInVietnam(*options_.clock));
  return absl::OkStatus();
}

}  // namespace d06
