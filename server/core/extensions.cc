// Extensions (gia hạn): the assigned unit asks for a later deadline, the assigning side
// approves or refuses it; and urges (đôn đốc), which record a reminder and change nothing
// else.
#include <string>
#include <utility>

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
#include "server/domain/names.h"
#include "server/domain/state_machine.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/report_counters.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

using google::protobuf::Message;

// Extensions are asked for while work is still to be done and not yet reported done.
bool CanAskForExtension(v1::AssignmentState s) {
  return s == v1::ASSIGNMENT_STATE_NOT_STARTED || s == v1::ASSIGNMENT_STATE_IN_PROGRESS;
}

absl::Status NoPendingExtension(const std::string& name) {
  return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kNoPendingExtension,
               absl::StrCat(name, " has no extension waiting for a decision"),
               {{"resource", name}});
}

}  // namespace

void Core::RequestExtension(const Caller& caller, const v1::RequestExtensionRequest& request,
                            v1::RequestExtensionResponse* response, Done done) {
  absl::StatusOr<AssignmentId> id = ParseAssignmentName("name", request.name());
  if (!id.ok()) return done(id.status());
  std::string reason = request.reason();
  absl::Status valid = [&]() -> absl::Status {
    if (IsZeroDate(request.deadline())) return Required("deadline");
    RETURN_IF_ERROR(ValidateDate("deadline", request.deadline()));
    return ValidateReason(&reason, true);
  }();
  if (!valid.ok()) return done(valid);
  Mutate(
      caller, request.request_id(), request, response,
      [this, id = *id, etag = request.etag(), deadline = request.deadline(), reason, response](
          Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(AssignmentOfTask found,
                         RequireChangeableAssignment(txn.reader(), *change.caller, id.task_id,
                                                     id.unit_code, etag));
        const v1::Assignment& before = found.assignment;
        if (!CanAskForExtension(before.state())) {
          return NotAllowedIn(before.state(), "request_extension", "NOT_STARTED or IN_PROGRESS");
        }
        if (IsZeroDate(before.deadline())) {
          return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kInvalidTransition,
                       absl::StrCat(before.name(), " has no deadline to extend"),
                       {{"state", ShortName(before.state())}, {"action", "request_extension"}});
        }
        if (before.has_pending_extension()) {
          return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kExtensionPending,
                       absl::StrCat(before.name(), " already has an extension to ",
                                    FormatDate(before.pending_extension().deadline()),
                                    " waiting for a decision; wait for it or ask the assigning "
                                    "unit to decide it first"),
                       {{"resource", before.name()}});
        }
        if (before.extension_count() >= options_.max_extensions) {
          return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kExtensionLimit,
                       absl::StrCat(before.name(), " already had ", before.extension_count(),
                                    " extension(s), the most this server allows"),
                       {{"limit", absl::StrCat(options_.max_extensions)}});
        }
        if (ToCivilDay(deadline) <= ToCivilDay(before.deadline())) {
          return InvalidField("deadline", absl::StrCat("deadline must be later than the current "
                                                       "deadline ",
                                                       FormatDate(before.deadline())));
        }
        v1::Assignment a = before;
        v1::ExtensionRequest* pending = a.mutable_pending_extension();
        *pending->mutable_deadline() = deadline;
        pending->set_reason(reason);
        pending->set_requested_by(change.actor);
        *pending->mutable_request_time() = ToTimestamp(change.time);
        ASSIGN_OR_RETURN(v1::Event * event, WriteAssignment(txn, change, found.task, &before, &a,
                                                            v1::EVENT_ACTION_REQUEST_EXTENSION,
                                                            {"pending_extension"}));
        event->set_reason(reason);
        *event->mutable_old_deadline() = before.deadline();
        *event->mutable_new_deadline() = deadline;
        *response->mutable_assignment() = std::move(a);
        return absl::OkStatus();
      },
      std::move(done));
}

void Core::DecideExtension(const Caller& caller, const Message& request, const std::string& name,
                           const std::string& etag, const std::string& request_id, std::string note,
                           bool approve, v1::Assignment* out, Done done) {
  absl::StatusOr<AssignmentId> id = ParseAssignmentName("name", name);
  if (!id.ok()) return done(id.status());
  // A refusal says why; an approval may.
  if (absl::Status s = NormalizeText("note", &note, kMaxReason, !approve); !s.ok()) {
    return done(s);
  }
  Mutate(
      caller, request_id, request, out,
      [this, id = *id, etag, note, approve, out](Txn& txn,
                                                 const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(AssignmentOfTask found,
                         RequireChangeableAssignment(txn.reader(), *change.caller, id.task_id,
                                                     id.unit_code, etag));
        const v1::Assignment& before = found.assignment;
        if (!before.has_pending_extension()) return NoPendingExtension(before.name());
        v1::Assignment a = before;
        const v1::Date asked = before.pending_extension().deadline();
        a.clear_pending_extension();
        std::vector<std::string> changed = {"pending_extension"};
        if (approve) {
          *a.mutable_deadline() = asked;
          a.set_extension_count(before.extension_count() + 1);
          changed = {"pending_extension", "deadline", "extension_count"};
        }
        ASSIGN_OR_RETURN(v1::Event * event,
                         WriteAssignment(txn, change, found.task, &before, &a,
                                         approve ? v1::EVENT_ACTION_APPROVE_EXTENSION
                                                 : v1::EVENT_ACTION_REFUSE_EXTENSION,
                                         changed));
        event->set_reason(note);
        *event->mutable_old_deadline() = before.deadline();
        *event->mutable_new_deadline() = asked;
        *out = std::move(a);
        return absl::OkStatus();
      },
      std::move(done));
}

void Core::ApproveExtension(const Caller& caller, const v1::ApproveExtensionRequest& request,
                            v1::ApproveExtensionResponse* response, Done done) {
  DecideExtension(caller, request, request.name(), request.etag(), request.request_id(),
                  request.note(), true, response->mutable_assignment(), std::move(done));
}

void Core::RefuseExtension(const Caller& caller, const v1::RefuseExtensionRequest& request,
                           v1::RefuseExtensionResponse* response, Done done) {
  DecideExtension(caller, request, request.name(), request.etag(), request.request_id(),
                  request.note(), false, response->mutable_assignment(), std::move(done));
}

void Core::UrgeAssignment(const Caller& caller, const v1::UrgeAssignmentRequest& request,
                          v1::UrgeAssignmentResponse* response, Done done) {
  absl::StatusOr<AssignmentId> id = ParseAssignmentName("name", request.name());
  if (!id.ok()) return done(id.status());
  std::string message = request.message();
  if (absl::Status s = NormalizeText("message", &message, kMaxReason, true); !s.ok()) {
    return done(s);
  }
  Mutate(
      caller, request.request_id(), request, response,
      [this, id = *id, message, response](Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(AssignmentOfTask found,
                         RequireChangeableAssignment(txn.reader(), *change.caller, id.task_id,
                                                     id.unit_code, ""));
        const v1::Assignment& before = found.assignment;
        if (!IsOpen(before.state())) {
          return NotAllowedIn(before.state(), "urge",
                              "NOT_STARTED, IN_PROGRESS or PENDING_ACCEPTANCE");
        }
        // Only the count changes: the etag and update time stay, so an urge never makes
        // the assigned unit's next change STALE_ETAG.
        v1::Assignment a = before;
        a.set_urge_count(before.urge_count() + 1);
        ASSIGN_OR_RETURN(v1::Event * event,
                         PutAssignment(txn, change, found.task, &before, a, v1::EVENT_ACTION_URGE));
        if (before.role() == v1::ASSIGNMENT_ROLE_LEAD) {
          ASSIGN_OR_RETURN(std::vector<std::string> ancestry, Ancestry(txn.reader(), id.unit_code));
          StageUrge(txn, found.task, ancestry);
        }
        event->set_reason(message);
        event->add_changed_fields("urge_count");
        Decorate(event->mutable_assignment(), DayInVietnam(change.time));
        *response->mutable_event() = *event;
        *response->mutable_assignment() = std::move(a);
        Decorate(response->mutable_assignment(), DayInVietnam(change.time));
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status Core::ListUrges(const Caller& caller, const v1::ListUrgesRequest& request,
                             v1::ListUrgesResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(AssignmentId id, ParseAssignmentName("parent", request.parent()));
  const std::string name = AssignmentName(id.task_id, id.unit_code);
  {
    auto view = store_->Snapshot();
    ASSIGN_OR_RETURN(std::optional<v1::Assignment> found,
                     LoadAssignment(*view, id.task_id, id.unit_code));
    if (!found) return NotFound(name);
    // Outside the caller's scope the assignment does not exist, as worded for an absent
    // one (ListHistory's own check would name the task).
    if (Restricted(caller)) {
      ASSIGN_OR_RETURN(v1::Task task, RequireTask(*view, id.task_id));
      RETURN_IF_ERROR(AuthorizeTask(*view, caller, task, id.unit_code, name));
    }
  }
  return ListHistory(
      caller, id.task_id, absl::StrCat("urges\n", name), request.page_size(), request.page_token(),
      [&](const v1::Event& event) {
        return event.action() == v1::EVENT_ACTION_URGE && event.resource() == name;
      },
      response->mutable_events(), response->mutable_next_page_token());
}

}  // namespace d06
