#include "server/domain/state_machine.h"

#include <map>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/domain/errors.h"

namespace d06 {
namespace {

using ::testing::HasSubstr;
using State = v1::AssignmentState;

constexpr State kUnspecified = v1::ASSIGNMENT_STATE_UNSPECIFIED;
constexpr State kNotStarted = v1::ASSIGNMENT_STATE_NOT_STARTED;
constexpr State kInProgress = v1::ASSIGNMENT_STATE_IN_PROGRESS;
constexpr State kPending = v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE;
constexpr State kCompleted = v1::ASSIGNMENT_STATE_COMPLETED;
constexpr State kDeclined = v1::ASSIGNMENT_STATE_DECLINED;
constexpr State kRevoked = v1::ASSIGNMENT_STATE_REVOKED;
// Its unit merged or dissolved: final, no action leads out of it (nor into it: only a
// reorganisation sets it).
constexpr State kTransferred = v1::ASSIGNMENT_STATE_TRANSFERRED;

constexpr State kAllStates[] = {kUnspecified, kNotStarted, kInProgress, kPending,
                                kCompleted,   kDeclined,   kRevoked,    kTransferred};

// The specification, written out by hand: every allowed (from, action) -> to. Every pair
// not listed here must be rejected.
const std::map<std::pair<State, Action>, State>& ExpectedTable() {
  static const auto* table = new std::map<std::pair<State, Action>, State>{
      {{kNotStarted, Action::kStart}, kInProgress},
      {{kNotStarted, Action::kReportProgress}, kInProgress},
      {{kInProgress, Action::kReportProgress}, kInProgress},
      {{kInProgress, Action::kSubmit}, kPending},
      {{kPending, Action::kApprove}, kCompleted},
      {{kPending, Action::kReturn}, kInProgress},
      {{kNotStarted, Action::kDecline}, kDeclined},
      {{kInProgress, Action::kDecline}, kDeclined},
      {{kNotStarted, Action::kRevoke}, kRevoked},
      {{kInProgress, Action::kRevoke}, kRevoked},
      {{kPending, Action::kRevoke}, kRevoked},
      {{kDeclined, Action::kRevoke}, kRevoked},
      {{kCompleted, Action::kReopen}, kInProgress},
      {{kDeclined, Action::kReopen}, kNotStarted},
  };
  return *table;
}

TEST(StateMachineTest, AllStatesAndActionsAreCovered) {
  // Guards the exhaustive test below against new enum values it would silently miss.
  EXPECT_EQ(std::size(kAllStates), static_cast<size_t>(v1::AssignmentState_ARRAYSIZE));
  EXPECT_EQ(std::size(kAllActions), 8u);
  EXPECT_EQ(ExpectedTable().size(), 14u);
}

TEST(StateMachineTest, EveryStateActionPairMatchesTheTable) {
  int allowed = 0;
  int rejected = 0;
  for (State from : kAllStates) {
    for (Action action : kAllActions) {
      SCOPED_TRACE(testing::Message() << "from " << v1::AssignmentState_Name(from) << " action "
                                      << ActionName(action));
      absl::StatusOr<State> got = NextState(from, action);
      auto it = ExpectedTable().find({from, action});
      if (it != ExpectedTable().end()) {
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, it->second);
        ++allowed;
        continue;
      }
      ++rejected;
      ASSERT_FALSE(got.ok()) << "unexpectedly allowed, went to " << v1::AssignmentState_Name(*got);
      EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
      v1::ErrorInfo info = ErrorInfoOf(got.status());
      EXPECT_EQ(info.reason(), "INVALID_TRANSITION");
      EXPECT_EQ(info.domain(), "d06.gov.vn");
      EXPECT_EQ(info.metadata().at("state"), ShortName(from));
      EXPECT_EQ(info.metadata().at("action"), ActionName(action));
      EXPECT_THAT(std::string(got.status().message()), HasSubstr(ShortName(from)));
      EXPECT_THAT(std::string(got.status().message()), HasSubstr(std::string(ActionName(action))));
    }
  }
  EXPECT_EQ(allowed, 14);
  EXPECT_EQ(rejected, 8 * 8 - 14);  // 8 states (with UNSPECIFIED), 8 actions
}

TEST(StateMachineTest, MessageListsWhatIsAllowed) {
  auto got = NextState(kCompleted, Action::kStart);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "cannot start an assignment that is COMPLETED; allowed: reopen");

  got = NextState(kNotStarted, Action::kSubmit);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "cannot submit an assignment that is NOT_STARTED; allowed: start, "
            "report_progress, decline, revoke");

  got = NextState(kRevoked, Action::kReopen);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "cannot reopen an assignment that is REVOKED; allowed: nothing");

  got = NextState(kUnspecified, Action::kStart);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(ErrorInfoOf(got.status()).metadata().at("state"), "UNSPECIFIED");
}

TEST(StateMachineTest, UnknownStateValueIsRejected) {
  auto got = NextState(static_cast<State>(42), Action::kRevoke);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(got.status()), "INVALID_TRANSITION");
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("42"));
}

TEST(StateMachineTest, ActionNames) {
  const std::map<Action, std::string> expected = {
      {Action::kStart, "start"},   {Action::kReportProgress, "report_progress"},
      {Action::kSubmit, "submit"}, {Action::kApprove, "approve"},
      {Action::kReturn, "return"}, {Action::kDecline, "decline"},
      {Action::kRevoke, "revoke"}, {Action::kReopen, "reopen"},
  };
  for (Action a : kAllActions) EXPECT_EQ(ActionName(a), expected.at(a));
}

TEST(StateMachineTest, ActionsNeedingAReason) {
  const std::set<Action> needs = {Action::kReturn, Action::kDecline, Action::kRevoke,
                                  Action::kReopen};
  for (Action a : kAllActions) {
    EXPECT_EQ(ActionNeedsReason(a), needs.count(a) == 1) << ActionName(a);
  }
}

TEST(StateMachineTest, EventActions) {
  const std::map<Action, v1::EventAction> expected = {
      {Action::kStart, v1::EVENT_ACTION_START},
      {Action::kReportProgress, v1::EVENT_ACTION_REPORT_PROGRESS},
      {Action::kSubmit, v1::EVENT_ACTION_SUBMIT},
      {Action::kApprove, v1::EVENT_ACTION_APPROVE},
      {Action::kReturn, v1::EVENT_ACTION_RETURN},
      {Action::kDecline, v1::EVENT_ACTION_DECLINE},
      {Action::kRevoke, v1::EVENT_ACTION_REVOKE},
      {Action::kReopen, v1::EVENT_ACTION_REOPEN},
  };
  for (Action a : kAllActions) EXPECT_EQ(EventActionFor(a), expected.at(a)) << ActionName(a);
}

TEST(StateMachineTest, ShortNames) {
  EXPECT_EQ(ShortName(kUnspecified), "UNSPECIFIED");
  EXPECT_EQ(ShortName(kNotStarted), "NOT_STARTED");
  EXPECT_EQ(ShortName(kInProgress), "IN_PROGRESS");
  EXPECT_EQ(ShortName(kPending), "PENDING_ACCEPTANCE");
  EXPECT_EQ(ShortName(kCompleted), "COMPLETED");
  EXPECT_EQ(ShortName(kDeclined), "DECLINED");
  EXPECT_EQ(ShortName(kRevoked), "REVOKED");
  EXPECT_EQ(ShortName(static_cast<State>(42)), "42");
}

TEST(StateMachineTest, OpenAndLiveStates) {
  const std::set<State> open = {kNotStarted, kInProgress, kPending};
  const std::set<State> not_live = {kDeclined, kRevoked, kTransferred};
  for (State s : kAllStates) {
    EXPECT_EQ(IsOpen(s), open.count(s) == 1) << v1::AssignmentState_Name(s);
    EXPECT_EQ(IsLive(s), not_live.count(s) == 0) << v1::AssignmentState_Name(s);
  }
}

}  // namespace
}  // namespace d06
