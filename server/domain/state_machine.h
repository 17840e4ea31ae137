// The one assignment state machine: which action moves an assignment from which state to
// which. Every transition RPC and the task cancellation go through NextState. Example:
//
//   NextState(v1::ASSIGNMENT_STATE_NOT_STARTED, Action::kStart);
//   // -> ASSIGNMENT_STATE_IN_PROGRESS
//   NextState(v1::ASSIGNMENT_STATE_COMPLETED, Action::kStart);
//   // -> FAILED_PRECONDITION, reason INVALID_TRANSITION,
//   //    metadata {"state": "COMPLETED", "action": "start"},
//   //    "cannot start an assignment that is COMPLETED; allowed: reopen"
//
// The table (anything else is INVALID_TRANSITION; UNSPECIFIED allows nothing):
//   start:           NOT_STARTED -> IN_PROGRESS
//   report_progress: NOT_STARTED, IN_PROGRESS -> IN_PROGRESS
//   submit:          IN_PROGRESS -> PENDING_ACCEPTANCE
//   approve:         PENDING_ACCEPTANCE -> COMPLETED
//   return:          PENDING_ACCEPTANCE -> IN_PROGRESS
//   decline:         NOT_STARTED, IN_PROGRESS -> DECLINED
//   revoke:          NOT_STARTED, IN_PROGRESS, PENDING_ACCEPTANCE, DECLINED -> REVOKED
//   reopen:          COMPLETED -> IN_PROGRESS; DECLINED -> NOT_STARTED
#ifndef D06_SERVER_DOMAIN_STATE_MACHINE_H_
#define D06_SERVER_DOMAIN_STATE_MACHINE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "d06/v1/task.pb.h"

namespace d06 {

// What a caller asks to do with an assignment.
enum class Action {
  kStart,
  kReportProgress,
  kSubmit,
  kApprove,
  kReturn,
  kDecline,
  kRevoke,
  kReopen,
};

// Every Action, in declaration order (for tests and exhaustive loops).
inline constexpr Action kAllActions[] = {
    Action::kStart,  Action::kReportProgress, Action::kSubmit, Action::kApprove,
    Action::kReturn, Action::kDecline,        Action::kRevoke, Action::kReopen,
};

// The snake_case name of `a`: "start", "report_progress", "submit", "approve", "return",
// "decline", "revoke", "reopen".
absl::string_view ActionName(Action a);

// True for the actions that require a reason: return, decline, revoke, reopen.
bool ActionNeedsReason(Action a);

// The state after `action` from `from`, or FAILED_PRECONDITION with reason
// INVALID_TRANSITION, metadata {"state": ShortName(from), "action": ActionName(action)}
// and a message naming both and what is allowed from `from`, e.g.
// "cannot start an assignment that is COMPLETED; allowed: reopen".
absl::StatusOr<v1::AssignmentState> NextState(v1::AssignmentState from, Action action);

// FAILED_PRECONDITION/INVALID_TRANSITION for an action outside the table (e.g.
// "request_extension", "urge") that `from` does not allow; `allowed` says in which states
// it is, e.g. "NOT_STARTED or IN_PROGRESS".
absl::Status NotAllowedIn(v1::AssignmentState from, absl::string_view action,
                          absl::string_view allowed);

// The audit event action recording `a`, e.g. Action::kStart -> EVENT_ACTION_START.
v1::EventAction EventActionFor(Action a);

// The state name without its "ASSIGNMENT_STATE_" prefix, e.g. "IN_PROGRESS";
// an unknown value prints as its number.
std::string ShortName(v1::AssignmentState s);

// NOT_STARTED, IN_PROGRESS and PENDING_ACCEPTANCE: work is still expected.
bool IsOpen(v1::AssignmentState s);

// Neither DECLINED nor REVOKED: a live lead blocks another lead. (UNSPECIFIED counts as
// live, so a malformed record blocks rather than admits a second lead.)
bool IsLive(v1::AssignmentState s);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_STATE_MACHINE_H_
