#include "server/domain/state_machine.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "d06/v1/api_names.h"
#include "server/domain/errors.h"

namespace d06 {
namespace {

using v1::AssignmentState;

constexpr absl::string_view kStatePrefix = "ASSIGNMENT_STATE_";

// The transition table: the target state, or UNSPECIFIED when `action` is not allowed.
AssignmentState Target(AssignmentState from, Action action) {
  switch (action) {
    case Action::kStart:
      if (from == v1::ASSIGNMENT_STATE_NOT_STARTED) return v1::ASSIGNMENT_STATE_IN_PROGRESS;
      break;
    case Action::kReportProgress:
      if (from == v1::ASSIGNMENT_STATE_NOT_STARTED || from == v1::ASSIGNMENT_STATE_IN_PROGRESS) {
        return v1::ASSIGNMENT_STATE_IN_PROGRESS;
      }
      break;
    case Action::kSubmit:
      if (from == v1::ASSIGNMENT_STATE_IN_PROGRESS) {
        return v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE;
      }
      break;
    case Action::kApprove:
      if (from == v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE) {
        return v1::ASSIGNMENT_STATE_COMPLETED;
      }
      break;
    case Action::kReturn:
      if (from == v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE) {
        return v1::ASSIGNMENT_STATE_IN_PROGRESS;
      }
      break;
    case Action::kDecline:
      if (from == v1::ASSIGNMENT_STATE_NOT_STARTED || from == v1::ASSIGNMENT_STATE_IN_PROGRESS) {
        return v1::ASSIGNMENT_STATE_DECLINED;
      }
      break;
    case Action::kRevoke:
      if (from == v1::ASSIGNMENT_STATE_NOT_STARTED || from == v1::ASSIGNMENT_STATE_IN_PROGRESS ||
          from == v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE ||
          from == v1::ASSIGNMENT_STATE_DECLINED) {
        return v1::ASSIGNMENT_STATE_REVOKED;
      }
      break;
    case Action::kReopen:
      if (from == v1::ASSIGNMENT_STATE_COMPLETED) return v1::ASSIGNMENT_STATE_IN_PROGRESS;
      if (from == v1::ASSIGNMENT_STATE_DECLINED) return v1::ASSIGNMENT_STATE_NOT_STARTED;
      break;
  }
  return v1::ASSIGNMENT_STATE_UNSPECIFIED;
}

// "start, decline" or "nothing" for the actions allowed from `from`.
std::string AllowedFrom(AssignmentState from) {
  std::vector<absl::string_view> allowed;
  for (Action a : kAllActions) {
    if (Target(from, a) != v1::ASSIGNMENT_STATE_UNSPECIFIED) {
      allowed.push_back(ActionName(a));
    }
  }
  if (allowed.empty()) return "nothing";
  return absl::StrJoin(allowed, ", ");
}

}  // namespace

absl::string_view ActionName(Action a) {
  switch (a) {
    case Action::kStart:
      return "start";
    case Action::kReportProgress:
      return "report_progress";
    case Action::kSubmit:
      return "submit";
    case Action::kApprove:
      return "approve";
    case Action::kReturn:
      return "return";
    case Action::kDecline:
      return "decline";
    case Action::kRevoke:
      return "revoke";
    case Action::kReopen:
      return "reopen";
  }
  return "unknown";
}

bool ActionNeedsReason(Action a) {
  switch (a) {
    case Action::kReturn:
    case Action::kDecline:
    case Action::kRevoke:
    case Action::kReopen:
      return true;
    case Action::kStart:
    case Action::kReportProgress:
    case Action::kSubmit:
    case Action::kApprove:
      return false;
  }
  return false;
}

absl::StatusOr<AssignmentState> NextState(AssignmentState from, Action action) {
  AssignmentState to = Target(from, action);
  if (to != v1::ASSIGNMENT_STATE_UNSPECIFIED) return to;
  const std::string state = ShortName(from);
  return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kInvalidTransition,
               absl::StrCat("cannot ", ActionName(action), " an assignment that is ", state,
                            "; allowed: ", AllowedFrom(from)),
               {{"state", state}, {"action", std::string(ActionName(action))}});
}

absl::Status NotAllowedIn(AssignmentState from, absl::string_view action,
                          absl::string_view allowed) {
  const std::string state = ShortName(from);
  return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kInvalidTransition,
               absl::StrCat("cannot ", action, " an assignment that is ", state,
                            "; only while it is ", allowed),
               {{"state", state}, {"action", std::string(action)}});
}

v1::EventAction EventActionFor(Action a) {
  switch (a) {
    case Action::kStart:
      return v1::EVENT_ACTION_START;
    case Action::kReportProgress:
      return v1::EVENT_ACTION_REPORT_PROGRESS;
    case Action::kSubmit:
      return v1::EVENT_ACTION_SUBMIT;
    case Action::kApprove:
      return v1::EVENT_ACTION_APPROVE;
    case Action::kReturn:
      return v1::EVENT_ACTION_RETURN;
    case Action::kDecline:
      return v1::EVENT_ACTION_DECLINE;
    case Action::kRevoke:
      return v1::EVENT_ACTION_REVOKE;
    case Action::kReopen:
      return v1::EVENT_ACTION_REOPEN;
  }
  return v1::EVENT_ACTION_UNSPECIFIED;
}

std::string ShortName(AssignmentState s) {
  if (!v1::AssignmentState_IsValid(s)) return absl::StrCat(static_cast<int>(s));
  absl::string_view name = v1::AssignmentState_Name(s);
  absl::ConsumePrefix(&name, kStatePrefix);
  return std::string(name);
}

bool IsOpen(AssignmentState s) {
  return s == v1::ASSIGNMENT_STATE_NOT_STARTED || s == v1::ASSIGNMENT_STATE_IN_PROGRESS ||
         s == v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE;
}

bool IsLive(AssignmentState s) {
  return s != v1::ASSIGNMENT_STATE_DECLINED && s != v1::ASSIGNMENT_STATE_REVOKED &&
         s != v1::ASSIGNMENT_STATE_TRANSFERRED;
}

}  // namespace d06
