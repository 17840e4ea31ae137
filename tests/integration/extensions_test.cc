// Extensions (gia hạn) and urges (đôn đốc): the request / approve / refuse workflow, its
// cap, one pending request at a time, the history it leaves, completion judged against the
// deadline in force when it was reported, and urges that change nothing but their count.
#include <string>

#include "absl/strings/str_cat.h"
#include "d06/v1/api_names.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

class ExtensionsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    MakeUnit("H29");
    MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
    task_ = MakeTask("units/H29", "Số hoá hồ sơ", Day(2026, 3, 31));
    name_ = Assign(task_.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD).name();
  }

  absl::StatusOr<v1::RequestExtensionResponse> Ask(const v1::Date& deadline,
                                                   const std::string& reason = "Chờ thiết bị") {
    v1::RequestExtensionRequest req;
    req.set_name(name_);
    *req.mutable_deadline() = deadline;
    req.set_reason(reason);
    return client().RequestExtension(req);
  }
  absl::StatusOr<v1::ApproveExtensionResponse> ApproveExt(const std::string& note = "") {
    v1::ApproveExtensionRequest req;
    req.set_name(name_);
    req.set_note(note);
    return client().ApproveExtension(req);
  }
  absl::StatusOr<v1::RefuseExtensionResponse> RefuseExt(const std::string& note) {
    v1::RefuseExtensionRequest req;
    req.set_name(name_);
    req.set_note(note);
    return client().RefuseExtension(req);
  }
  absl::StatusOr<v1::UrgeAssignmentResponse> Urge(const std::string& message) {
    v1::UrgeAssignmentRequest req;
    req.set_name(name_);
    req.set_message(message);
    return client().UrgeAssignment(req);
  }

  void ConfigureServer(ServerOptions& options) override {
    options.max_extensions = max_extensions_;
  }

  int max_extensions_ = 2;
  v1::Task task_;
  std::string name_;
};

TEST_F(ExtensionsTest, ApprovalMovesTheDeadlineAndHistoryKeepsBothAndWhoDecided) {
  v1::Assignment asked = Must(Ask(Day(2026, 4, 15))).assignment();
  EXPECT_EQ(asked.deadline().month(), 3);  // unchanged until decided
  EXPECT_EQ(asked.pending_extension().deadline().day(), 15);
  EXPECT_EQ(asked.pending_extension().reason(), "Chờ thiết bị");
  EXPECT_EQ(asked.pending_extension().requested_by(), "tester");

  auto approver = NewClient("lanh-dao-tinh");
  v1::ApproveExtensionRequest approve;
  approve.set_name(name_);
  approve.set_note("Đồng ý");
  v1::Assignment approved = Must(approver->ApproveExtension(approve)).assignment();
  EXPECT_EQ(approved.deadline().month(), 4);
  EXPECT_EQ(approved.deadline().day(), 15);
  EXPECT_EQ(approved.extension_count(), 1);
  EXPECT_FALSE(approved.has_pending_extension());
  EXPECT_EQ(GetAssignment(name_).deadline().day(), 15);

  std::vector<v1::Event> events = AllEvents(task_.name());
  ASSERT_GE(events.size(), 2u);
  const v1::Event& request_event = events[events.size() - 2];
  const v1::Event& decision = events.back();
  EXPECT_EQ(request_event.action(), v1::EVENT_ACTION_REQUEST_EXTENSION);
  EXPECT_EQ(request_event.reason(), "Chờ thiết bị");
  EXPECT_EQ(decision.action(), v1::EVENT_ACTION_APPROVE_EXTENSION);
  EXPECT_EQ(decision.actor(), "lanh-dao-tinh");
  EXPECT_EQ(decision.reason(), "Đồng ý");
  EXPECT_EQ(decision.old_deadline().month(), 3);
  EXPECT_EQ(decision.old_deadline().day(), 31);
  EXPECT_EQ(decision.new_deadline().month(), 4);
  EXPECT_EQ(decision.new_deadline().day(), 15);
  EXPECT_THAT(decision.changed_fields(),
              ElementsAre("pending_extension", "deadline", "extension_count"));
}

TEST_F(ExtensionsTest, RefusalKeepsTheDeadlineAndNeedsANote) {
  ASSERT_THAT(Ask(Day(2026, 4, 15)).status(), IsOk());
  EXPECT_THAT(RefuseExt("").status(), IsInvalidField("note"));
  v1::Assignment refused = Must(RefuseExt("Không có lý do chính đáng")).assignment();
  EXPECT_EQ(refused.deadline().day(), 31);
  EXPECT_EQ(refused.extension_count(), 0);
  EXPECT_FALSE(refused.has_pending_extension());
  const v1::Event decision = AllEvents(task_.name()).back();
  EXPECT_EQ(decision.action(), v1::EVENT_ACTION_REFUSE_EXTENSION);
  EXPECT_EQ(decision.reason(), "Không có lý do chính đáng");
  EXPECT_EQ(decision.new_deadline().day(), 15);
  // Nothing waits any more.
  EXPECT_THAT(ApproveExt().status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kNoPendingExtension));
  EXPECT_THAT(RefuseExt("x").status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kNoPendingExtension));
}

TEST_F(ExtensionsTest, OnePendingRequestAtATime) {
  ASSERT_THAT(Ask(Day(2026, 4, 15)).status(), IsOk());
  const int events = static_cast<int>(AllEvents(task_.name()).size());
  EXPECT_THAT(Ask(Day(2026, 4, 30)).status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kExtensionPending));
  EXPECT_THAT(AllEvents(task_.name()), SizeIs(events));  // the refusal wrote nothing
  EXPECT_EQ(GetAssignment(name_).pending_extension().deadline().day(), 15);
}

TEST_F(ExtensionsTest, TheCapRefusesAThirdRequestWithItsOwnReason) {
  ASSERT_THAT(Ask(Day(2026, 4, 15)).status(), IsOk());
  ASSERT_THAT(ApproveExt().status(), IsOk());
  ASSERT_THAT(Ask(Day(2026, 4, 30)).status(), IsOk());
  ASSERT_THAT(ApproveExt().status(), IsOk());
  auto third = Ask(Day(2026, 5, 30));
  EXPECT_THAT(third.status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kExtensionLimit));
  EXPECT_EQ(GetAssignment(name_).extension_count(), 2);
  EXPECT_EQ(GetAssignment(name_).deadline().month(), 4);
}

TEST_F(ExtensionsTest, BadRequestsAreRefusedAndChangeNothing) {
  EXPECT_THAT(Ask(v1::Date()).status(), IsInvalidField("deadline"));
  EXPECT_THAT(Ask(Day(2026, 2, 30)).status(), IsInvalidField("deadline"));
  EXPECT_THAT(Ask(Day(2026, 3, 31)).status(), IsInvalidField("deadline"));  // not later
  EXPECT_THAT(Ask(Day(2026, 3, 1)).status(), IsInvalidField("deadline"));
  EXPECT_THAT(Ask(Day(2026, 4, 15), "").status(), IsInvalidField("reason"));
  v1::RequestExtensionRequest bad_name;
  bad_name.set_name("tasks/x/assignments/H29.01");
  *bad_name.mutable_deadline() = Day(2026, 4, 15);
  bad_name.set_reason("r");
  EXPECT_THAT(client().RequestExtension(bad_name).status(),
              IsError(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidName));
  bad_name.set_name(absl::StrCat(task_.name(), "/assignments/H30"));
  EXPECT_THAT(client().RequestExtension(bad_name).status(),
              IsError(absl::StatusCode::kNotFound, v1::reason::kNotFound));
  v1::RequestExtensionRequest stale;
  stale.set_name(name_);
  stale.set_etag("999");
  *stale.mutable_deadline() = Day(2026, 4, 15);
  stale.set_reason("r");
  EXPECT_THAT(client().RequestExtension(stale).status(),
              IsError(absl::StatusCode::kAborted, v1::reason::kStaleEtag));
  v1::Assignment now = GetAssignment(name_);
  EXPECT_FALSE(now.has_pending_extension());
  EXPECT_EQ(now.extension_count(), 0);

  // Only open, not yet submitted work with a deadline asks for one.
  Start(name_);
  Submit(name_);
  EXPECT_THAT(Ask(Day(2026, 4, 15)).status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kInvalidTransition));
  v1::Task recurring =
      MakeTask("units/H29", "Báo cáo định kỳ", v1::Date(), v1::TASK_KIND_RECURRING);
  name_ = Assign(recurring.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD).name();
  EXPECT_THAT(Ask(Day(2026, 4, 15)).status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kInvalidTransition));
}

TEST_F(ExtensionsTest, ACapOfZeroRefusesEveryRequest) {
  max_extensions_ = 0;
  Restart();
  EXPECT_THAT(Ask(Day(2026, 4, 15)).status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kExtensionLimit));
}

// Completed on time only thanks to the approved extension; and judged against the
// deadline in force at submission, whatever the deadline became afterwards.
TEST_F(ExtensionsTest, CompletionIsJudgedByTheDeadlineInForceWhenReported) {
  ASSERT_THAT(Ask(Day(2026, 4, 15)).status(), IsOk());
  ASSERT_THAT(ApproveExt().status(), IsOk());
  Start(name_);
  SetToday(2026, 4, 10);  // after the first deadline, before the extended one
  Submit(name_);
  v1::Assignment done = Approve(name_);
  EXPECT_EQ(done.timeliness(), v1::TIMELINESS_COMPLETED_ON_TIME);
  EXPECT_EQ(done.submit_deadline().day(), 15);

  // A second assignment submitted late; the task's deadline then moves past its
  // submission: it stays late.
  MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  std::string late = Assign(task_.name(), "units/H29.02").name();
  Start(late);
  Submit(late);  // 10/04 against 31/03
  v1::UpdateTaskRequest move;
  move.mutable_task()->set_name(task_.name());
  *move.mutable_task()->mutable_deadline() = Day(2026, 4, 30);
  move.mutable_update_mask()->add_paths("deadline");
  ASSERT_THAT(client().UpdateTask(move).status(), IsOk());
  EXPECT_EQ(Approve(late).timeliness(), v1::TIMELINESS_COMPLETED_LATE);
  EXPECT_THAT(Names(AllAssignments("tasks/-", "timeliness = COMPLETED_LATE")), ElementsAre(late));
}

TEST_F(ExtensionsTest, APendingRequestEndsWhenTheWorkIsNoLongerOpen) {
  ASSERT_THAT(Ask(Day(2026, 4, 15)).status(), IsOk());
  v1::Assignment declined = Decline(name_);
  EXPECT_FALSE(declined.has_pending_extension());
  EXPECT_THAT(ApproveExt().status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kNoPendingExtension));
}

TEST_F(ExtensionsTest, UrgesAreCountedListedAndChangeNeitherStateNorEtag) {
  const v1::Assignment before = GetAssignment(name_);
  auto urger = NewClient("to-cong-tac");
  v1::UrgeAssignmentRequest req;
  req.set_name(name_);
  req.set_message("Đề nghị báo cáo tiến độ trước 25/3");
  v1::UrgeAssignmentResponse urged = Must(urger->UrgeAssignment(req));
  EXPECT_EQ(urged.assignment().urge_count(), 1);
  EXPECT_EQ(urged.assignment().etag(), before.etag());
  EXPECT_EQ(urged.assignment().state(), before.state());
  EXPECT_EQ(urged.event().action(), v1::EVENT_ACTION_URGE);
  EXPECT_EQ(urged.event().actor(), "to-cong-tac");
  EXPECT_EQ(urged.event().resource(), name_);
  ASSERT_THAT(Urge("Nhắc lần 2").status(), IsOk());
  // The assigned unit's change with the etag it had still applies.
  v1::StartAssignmentRequest start;
  start.set_name(name_);
  start.set_etag(before.etag());
  EXPECT_THAT(client().StartAssignment(start).status(), IsOk());
  EXPECT_EQ(GetAssignment(name_).urge_count(), 2);

  // Listed per assignment, oldest first, and not those of another assignment.
  MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  std::string other = Assign(task_.name(), "units/H29.02").name();
  v1::UrgeAssignmentRequest other_urge;
  other_urge.set_name(other);
  other_urge.set_message("Khác");
  ASSERT_THAT(client().UrgeAssignment(other_urge).status(), IsOk());
  v1::ListUrgesRequest list;
  list.set_parent(name_);
  list.set_page_size(1);
  std::vector<std::string> messages;
  do {
    v1::ListUrgesResponse page = Must(client().ListUrges(list));
    for (const v1::Event& e : page.events()) messages.push_back(e.reason());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_THAT(messages, ElementsAre("Đề nghị báo cáo tiến độ trước 25/3", "Nhắc lần 2"));

  // Errors.
  EXPECT_THAT(Urge("").status(), IsInvalidField("message"));
  Decline(name_);
  EXPECT_THAT(Urge("Muộn").status(),
              IsError(absl::StatusCode::kFailedPrecondition, v1::reason::kInvalidTransition));
  list.set_parent(absl::StrCat(task_.name(), "/assignments/H30"));
  list.clear_page_token();
  EXPECT_THAT(client().ListUrges(list).status(),
              IsError(absl::StatusCode::kNotFound, v1::reason::kNotFound));
  list.set_parent("units/H29");
  EXPECT_THAT(client().ListUrges(list).status(),
              IsError(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidName));
}

}  // namespace
}  // namespace d06::testing
