// TaskService assignments: create/get/list, the workflow state machine over the wire,
// timeliness as the FakeClock moves, and the ListAssignments filters.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

class AssignmentsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    MakeUnit("H29");
    for (int i = 1; i <= 8; ++i) {
      MakeUnit(absl::StrCat("H29.0", i), v1::UNIT_KIND_DEPARTMENT, "units/H29");
    }
  }

  static std::string Dept(int i) { return absl::StrCat("units/H29.0", i); }

  // Performs `action` ("start", "report_progress", ...) on `name`.
  absl::StatusOr<v1::Assignment> Do(const std::string& action, const std::string& name,
                                    const std::string& reason = "Lý do", int percent = 10,
                                    const std::string& etag = "") {
    auto pick = [](auto r) -> absl::StatusOr<v1::Assignment> {
      if (!r.ok()) return r.status();
      return r->assignment();
    };
    if (action == "start") {
      auto req = Named<v1::StartAssignmentRequest>(name);
      req.set_etag(etag);
      return pick(client().StartAssignment(req));
    }
    if (action == "report_progress") {
      v1::ReportAssignmentProgressRequest req;
      req.set_name(name);
      req.set_percent(percent);
      req.set_etag(etag);
      return pick(client().ReportAssignmentProgress(req));
    }
    if (action == "submit") {
      auto req = Named<v1::SubmitAssignmentRequest>(name);
      req.set_etag(etag);
      return pick(client().SubmitAssignment(req));
    }
    if (action == "approve") {
      auto req = Named<v1::ApproveAssignmentRequest>(name);
      req.set_etag(etag);
      return pick(client().ApproveAssignment(req));
    }
    if (action == "return") {
      auto req = Named<v1::ReturnAssignmentRequest>(name, reason);
      req.set_etag(etag);
      return pick(client().ReturnAssignment(req));
    }
    if (action == "decline") {
      auto req = Named<v1::DeclineAssignmentRequest>(name, reason);
      req.set_etag(etag);
      return pick(client().DeclineAssignment(req));
    }
    if (action == "revoke") {
      auto req = Named<v1::RevokeAssignmentRequest>(name, reason);
      req.set_etag(etag);
      return pick(client().RevokeAssignment(req));
    }
    if (action == "reopen") {
      auto req = Named<v1::ReopenAssignmentRequest>(name, reason);
      req.set_etag(etag);
      return pick(client().ReopenAssignment(req));
    }
    throw std::runtime_error("unknown action " + action);
  }

  // Drives a fresh assignment into `state` by legal transitions.
  void DriveTo(const std::string& name, v1::AssignmentState state) {
    switch (state) {
      case v1::ASSIGNMENT_STATE_NOT_STARTED:
        return;
      case v1::ASSIGNMENT_STATE_IN_PROGRESS:
        Start(name);
        return;
      case v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE:
        Start(name);
        Submit(name);
        return;
      case v1::ASSIGNMENT_STATE_COMPLETED:
        Start(name);
        Submit(name);
        Approve(name);
        return;
      case v1::ASSIGNMENT_STATE_DECLINED:
        Decline(name);
        return;
      case v1::ASSIGNMENT_STATE_REVOKED:
        Revoke(name);
        return;
      default:
        throw std::runtime_error("bad state");
    }
  }
};

TEST_F(AssignmentsTest, CreateDefaultsAndGet) {
  v1::Task t = MakeTask("units/H29", "Nhiệm vụ", Day(2026, 4, 30));
  v1::Assignment lead = Assign(t.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(lead.name(), t.name() + "/assignments/H29.01");
  EXPECT_EQ(lead.unit(), Dept(1));
  EXPECT_EQ(DateString(lead.deadline()), "2026-4-30");  // inherited from the task
  EXPECT_EQ(lead.state(), v1::ASSIGNMENT_STATE_NOT_STARTED);
  EXPECT_EQ(lead.timeliness(), v1::TIMELINESS_ON_TIME);
  EXPECT_EQ(lead.progress_percent(), 0);
  EXPECT_FALSE(lead.etag().empty());
  EXPECT_EQ(GetAssignment(lead.name()).SerializeAsString(), lead.SerializeAsString());

  // Output-only fields on create are ignored; an own deadline is kept.
  v1::CreateAssignmentRequest req =
      AssignReq(t.name(), Dept(2), v1::ASSIGNMENT_ROLE_SUPPORT, Day(2026, 4, 10));
  req.mutable_assignment()->set_state(v1::ASSIGNMENT_STATE_COMPLETED);
  req.mutable_assignment()->set_progress_percent(100);
  req.mutable_assignment()->set_name("tasks/1/assignments/X");
  auto got = client().CreateAssignment(req);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->assignment().name(), t.name() + "/assignments/H29.02");
  EXPECT_EQ(got->assignment().state(), v1::ASSIGNMENT_STATE_NOT_STARTED);
  EXPECT_EQ(got->assignment().progress_percent(), 0);
  EXPECT_EQ(DateString(got->assignment().deadline()), "2026-4-10");
}

TEST_F(AssignmentsTest, CreateErrorsChangeNothing) {
  v1::Task t = MakeTask("units/H29", "Nhiệm vụ", Day(2026, 4, 30));
  v1::Task recurring = MakeTask("units/H29", "Thường xuyên", v1::Date(), v1::TASK_KIND_RECURRING);
  Assign(t.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD);

  auto create = [&](const std::string& task, const std::string& unit, v1::AssignmentRole role,
                    const v1::Date& deadline = v1::Date()) {
    return client().CreateAssignment(AssignReq(task, unit, role, deadline)).status();
  };
  const auto kSupport = v1::ASSIGNMENT_ROLE_SUPPORT;
  EXPECT_THAT(create(t.name(), "", kSupport), IsInvalidField("assignment.unit"));
  EXPECT_THAT(create(t.name(), "units/h29.02", kSupport), IsInvalidField("assignment.unit"));
  EXPECT_THAT(create(t.name(), Dept(2), v1::ASSIGNMENT_ROLE_UNSPECIFIED),
              IsInvalidField("assignment.role"));
  EXPECT_THAT(create(t.name(), Dept(2), static_cast<v1::AssignmentRole>(9)),
              IsInvalidField("assignment.role"));
  EXPECT_THAT(create(t.name(), Dept(2), kSupport, Day(2026, 2, 29)),
              IsInvalidField("assignment.deadline"));
  EXPECT_THAT(create(recurring.name(), Dept(2), kSupport, Day(2026, 5, 1)),
              IsInvalidField("assignment.deadline"));
  EXPECT_THAT(create("tasks/x", Dept(2), kSupport), IsInvalidField("parent"));
  EXPECT_THAT(create("", Dept(2), kSupport), IsInvalidField("parent"));
  EXPECT_THAT(create("tasks/987654321", Dept(2), kSupport),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  EXPECT_THAT(create(t.name(), "units/H31", kSupport),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  // The same unit twice, whatever the role.
  EXPECT_THAT(create(t.name(), Dept(1), kSupport),
              IsError(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS"));
  EXPECT_THAT(create(t.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD),
              IsError(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS"));
  // A second live lead.
  EXPECT_THAT(create(t.name(), Dept(2), v1::ASSIGNMENT_ROLE_LEAD),
              IsError(absl::StatusCode::kFailedPrecondition, "LEAD_EXISTS"));
  // FAILED_PRECONDITION UNIT_NOT_ACTIVE needs a merged or dissolved unit; there is no RPC
  // to merge or dissolve a unit yet, so that path is not tested here.
  EXPECT_THAT(Names(AllAssignments(t.name())), ElementsAre(t.name() + "/assignments/H29.01"));
  EXPECT_THAT(AllAssignments(recurring.name()), IsEmpty());
}

TEST_F(AssignmentsTest, NewLeadAllowedOnceTheOldOneIsNotLive) {
  v1::Task t = MakeTask("units/H29");
  v1::Assignment lead = Assign(t.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD);
  Decline(lead.name());
  v1::Assignment second = Assign(t.name(), Dept(2), v1::ASSIGNMENT_ROLE_LEAD);
  // Reopening the declined lead would make two live leads.
  auto reopen =
      client().ReopenAssignment(Named<v1::ReopenAssignmentRequest>(lead.name(), "Mở lại"));
  EXPECT_THAT(reopen.status(), IsError(absl::StatusCode::kFailedPrecondition, "LEAD_EXISTS"));
  EXPECT_EQ(GetAssignment(lead.name()).state(), v1::ASSIGNMENT_STATE_DECLINED);
  Revoke(second.name());
  Assign(t.name(), Dept(3), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_THAT(AllAssignments(t.name(), "role = LEAD"), SizeIs(3));
}

TEST_F(AssignmentsTest, CancelledTaskTakesNoAssignments) {
  v1::Task t = MakeTask("units/H29");
  v1::CancelTaskRequest cancel;
  cancel.set_name(t.name());
  cancel.set_reason("Hủy");
  ASSERT_THAT(client().CancelTask(cancel).status(), IsOk());
  EXPECT_THAT(
      client().CreateAssignment(AssignReq(t.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD)).status(),
      IsError(absl::StatusCode::kFailedPrecondition, "TASK_CANCELLED"));
  EXPECT_THAT(AllAssignments(t.name()), IsEmpty());
}

TEST_F(AssignmentsTest, GetAndListErrors) {
  v1::Task t = MakeTask("units/H29");
  for (const std::string name :
       {"", "tasks/1", "tasks/1/assignments", "tasks/1/assignments/", "tasks/x/assignments/H29",
        "tasks/1/assignments/h29", "tasks/1/units/H29", "tasks/1/assignments/H29/x"}) {
    SCOPED_TRACE(name);
    v1::GetAssignmentRequest req;
    req.set_name(name);
    EXPECT_THAT(client().GetAssignment(req).status(),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  }
  v1::GetAssignmentRequest req;
  req.set_name(t.name() + "/assignments/H29.01");
  EXPECT_THAT(client().GetAssignment(req).status(),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  req.set_name("tasks/987654321/assignments/H29.01");
  EXPECT_THAT(client().GetAssignment(req).status(),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  {
    v1::ListAssignmentsRequest list;
    list.set_parent("tasks/987654321");
    EXPECT_THAT(client().ListAssignments(list).status(),
                IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  }

  for (const std::string parent : {"", "tasks", "tasks/", "tasks/x", "tasks/-/x", "units/H29"}) {
    SCOPED_TRACE(parent);
    v1::ListAssignmentsRequest list;
    list.set_parent(parent);
    EXPECT_THAT(client().ListAssignments(list).status(), IsInvalidField("parent"));
  }
  for (const std::string filter :
       {"colour = RED", "state = FINISHED", "state = UNSPECIFIED", "role = BOSS",
        "timeliness = LATE", "deadline >= 2026-13-01", "deadline >= tomorrow",
        "deadline >= 2026-1-5", "unit = H29", "unit_tree = \"units/h29\"", "state IN_PROGRESS",
        "state = IN_PROGRESS OR state = COMPLETED", "unit = \"units/H29\" AND unit = \"units/H30\"",
        "role = LEAD AND role = SUPPORT"}) {
    SCOPED_TRACE(filter);
    v1::ListAssignmentsRequest list;
    list.set_parent("tasks/-");
    list.set_filter(filter);
    EXPECT_THAT(client().ListAssignments(list).status(),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_FILTER"));
  }
  for (const std::string token : {"garbage", "Zm9vYmFy", "%%%"}) {
    v1::ListAssignmentsRequest list;
    list.set_parent("tasks/-");
    list.set_page_token(token);
    EXPECT_THAT(client().ListAssignments(list).status(),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  }
}

// Every (state, action) pair: allowed ones move the state as the proto says; the rest are
// FAILED_PRECONDITION / INVALID_TRANSITION naming state and action, and change nothing.
TEST_F(AssignmentsTest, TransitionTable) {
  const std::vector<v1::AssignmentState> states = {
      v1::ASSIGNMENT_STATE_NOT_STARTED,        v1::ASSIGNMENT_STATE_IN_PROGRESS,
      v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE, v1::ASSIGNMENT_STATE_COMPLETED,
      v1::ASSIGNMENT_STATE_DECLINED,           v1::ASSIGNMENT_STATE_REVOKED};
  const std::vector<std::string> actions = {"start",  "report_progress", "submit", "approve",
                                            "return", "decline",         "revoke", "reopen"};
  using S = v1::AssignmentState;
  const std::map<std::pair<S, std::string>, S> allowed = {
      {{v1::ASSIGNMENT_STATE_NOT_STARTED, "start"}, v1::ASSIGNMENT_STATE_IN_PROGRESS},
      {{v1::ASSIGNMENT_STATE_NOT_STARTED, "report_progress"}, v1::ASSIGNMENT_STATE_IN_PROGRESS},
      {{v1::ASSIGNMENT_STATE_IN_PROGRESS, "report_progress"}, v1::ASSIGNMENT_STATE_IN_PROGRESS},
      {{v1::ASSIGNMENT_STATE_IN_PROGRESS, "submit"}, v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE},
      {{v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE, "approve"}, v1::ASSIGNMENT_STATE_COMPLETED},
      {{v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE, "return"}, v1::ASSIGNMENT_STATE_IN_PROGRESS},
      {{v1::ASSIGNMENT_STATE_NOT_STARTED, "decline"}, v1::ASSIGNMENT_STATE_DECLINED},
      {{v1::ASSIGNMENT_STATE_IN_PROGRESS, "decline"}, v1::ASSIGNMENT_STATE_DECLINED},
      {{v1::ASSIGNMENT_STATE_NOT_STARTED, "revoke"}, v1::ASSIGNMENT_STATE_REVOKED},
      {{v1::ASSIGNMENT_STATE_IN_PROGRESS, "revoke"}, v1::ASSIGNMENT_STATE_REVOKED},
      {{v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE, "revoke"}, v1::ASSIGNMENT_STATE_REVOKED},
      {{v1::ASSIGNMENT_STATE_DECLINED, "revoke"}, v1::ASSIGNMENT_STATE_REVOKED},
      {{v1::ASSIGNMENT_STATE_COMPLETED, "reopen"}, v1::ASSIGNMENT_STATE_IN_PROGRESS},
      {{v1::ASSIGNMENT_STATE_DECLINED, "reopen"}, v1::ASSIGNMENT_STATE_NOT_STARTED},
  };
  // One task per action, one department per state: 8 tasks x 6 assignments.
  for (const std::string& action : actions) {
    v1::Task t = MakeTask("units/H29", "Bảng chuyển trạng thái " + action);
    for (size_t i = 0; i < states.size(); ++i) {
      const S from = states[i];
      SCOPED_TRACE(action + " from " + v1::AssignmentState_Name(from));
      v1::Assignment a = Assign(t.name(), Dept(static_cast<int>(i) + 1));
      DriveTo(a.name(), from);
      v1::Assignment before = GetAssignment(a.name());
      ASSERT_EQ(before.state(), from);
      absl::StatusOr<v1::Assignment> got = Do(action, a.name());
      auto it = allowed.find({from, action});
      if (it != allowed.end()) {
        ASSERT_THAT(got.status(), IsOk());
        EXPECT_EQ(got->state(), it->second);
        EXPECT_EQ(GetAssignment(a.name()).state(), it->second);
        EXPECT_NE(got->etag(), before.etag());
      } else {
        EXPECT_THAT(got.status(),
                    IsError(absl::StatusCode::kFailedPrecondition, "INVALID_TRANSITION"));
        auto md = client::ErrorInfoOf(got.status()).metadata();
        EXPECT_EQ(md["state"], v1::AssignmentState_Name(from).substr(17));
        EXPECT_EQ(md["action"], action);
        EXPECT_EQ(GetAssignment(a.name()).SerializeAsString(), before.SerializeAsString());
      }
    }
  }
}

TEST_F(AssignmentsTest, ReasonsAndValuesAreValidated) {
  v1::Task t = MakeTask("units/H29");
  v1::Assignment open = Assign(t.name(), Dept(1));
  Start(open.name());
  v1::Assignment pending = Assign(t.name(), Dept(2));
  DriveTo(pending.name(), v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE);
  v1::Assignment done = Assign(t.name(), Dept(3));
  DriveTo(done.name(), v1::ASSIGNMENT_STATE_COMPLETED);
  std::vector<v1::Assignment> before = AllAssignments(t.name());
  size_t events_before = AllEvents(t.name()).size();

  EXPECT_THAT(Do("return", pending.name(), "").status(), IsInvalidField("reason"));
  EXPECT_THAT(Do("return", pending.name(), " \n ").status(), IsInvalidField("reason"));
  EXPECT_THAT(Do("decline", open.name(), "").status(), IsInvalidField("reason"));
  EXPECT_THAT(Do("revoke", open.name(), "").status(), IsInvalidField("reason"));
  EXPECT_THAT(Do("reopen", done.name(), "").status(), IsInvalidField("reason"));
  EXPECT_THAT(Do("revoke", open.name(), std::string(2001, 'x')).status(), IsInvalidField("reason"));
  EXPECT_THAT(Do("decline", open.name(), "l\xffy do").status(), IsInvalidField("reason"));
  EXPECT_THAT(Do("report_progress", open.name(), "", -1).status(), IsInvalidField("percent"));
  EXPECT_THAT(Do("report_progress", open.name(), "", 101).status(), IsInvalidField("percent"));
  {
    v1::ReportAssignmentProgressRequest req;
    req.set_name(open.name());
    req.set_percent(10);
    req.set_note(std::string(2001, 'x'));
    EXPECT_THAT(client().ReportAssignmentProgress(req).status(), IsInvalidField("note"));
    req.set_note("\xC3");
    EXPECT_THAT(client().ReportAssignmentProgress(req).status(), IsInvalidField("note"));
  }
  {
    v1::SubmitAssignmentRequest req;
    req.set_name(open.name());
    req.set_note(std::string(2001, 'x'));
    EXPECT_THAT(client().SubmitAssignment(req).status(), IsInvalidField("note"));
  }
  // Stale etag: ABORTED, nothing changes.
  EXPECT_THAT(Do("report_progress", open.name(), "", 20, "W/\"stale\"").status(),
              IsError(absl::StatusCode::kAborted, "STALE_ETAG"));
  // Unknown or malformed names.
  EXPECT_THAT(Do("start", t.name() + "/assignments/H29.08").status(),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  EXPECT_THAT(Do("start", t.name()).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));

  std::vector<v1::Assignment> after = AllAssignments(t.name());
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].SerializeAsString(), before[i].SerializeAsString());
  }
  EXPECT_EQ(AllEvents(t.name()).size(), events_before);

  // A current etag works; the boundaries 0 and 100 are valid.
  v1::Assignment cur = GetAssignment(open.name());
  auto ok = Do("report_progress", open.name(), "", 100, cur.etag());
  ASSERT_THAT(ok.status(), IsOk());
  EXPECT_EQ(ok->progress_percent(), 100);
  EXPECT_THAT(Do("report_progress", open.name(), "", 0).status(), IsOk());
}

TEST_F(AssignmentsTest, WorkflowCompletedOnTime) {
  v1::Task t = MakeTask("units/H29", "Đúng hạn", Day(2026, 3, 30));
  v1::Assignment a = Assign(t.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(a.timeliness(), v1::TIMELINESS_ON_TIME);
  a = Start(a.name());
  EXPECT_EQ(a.state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  a = Progress(a.name(), 50, "Một nửa");
  EXPECT_EQ(a.progress_percent(), 50);
  EXPECT_EQ(a.progress_note(), "Một nửa");
  SetToday(2026, 3, 30, 23);  // the deadline day, 23:00 in Vietnam (16:00 UTC)
  a = Submit(a.name());
  EXPECT_EQ(a.state(), v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE);
  EXPECT_EQ(DateString(a.submit_date()), "2026-3-30");
  EXPECT_EQ(a.timeliness(), v1::TIMELINESS_DUE_SOON);
  SetToday(2026, 4, 10);  // accepted after the deadline: completion was reported in time
  a = Approve(a.name());
  EXPECT_EQ(a.state(), v1::ASSIGNMENT_STATE_COMPLETED);
  EXPECT_EQ(a.timeliness(), v1::TIMELINESS_COMPLETED_ON_TIME);
  EXPECT_EQ(GetAssignment(a.name()).timeliness(), v1::TIMELINESS_COMPLETED_ON_TIME);
  std::vector<v1::Event> events = AllEvents(t.name());
  std::vector<v1::EventAction> actions;
  for (const auto& e : events) actions.push_back(e.action());
  EXPECT_THAT(actions, ElementsAre(v1::EVENT_ACTION_CREATE_TASK, v1::EVENT_ACTION_CREATE_ASSIGNMENT,
                                   v1::EVENT_ACTION_START, v1::EVENT_ACTION_REPORT_PROGRESS,
                                   v1::EVENT_ACTION_SUBMIT, v1::EVENT_ACTION_APPROVE));
}

TEST_F(AssignmentsTest, WorkflowCompletedLate) {
  v1::Task t = MakeTask("units/H29", "Trễ hạn", Day(2026, 3, 25));
  v1::Assignment a = Assign(t.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD);
  v1::Assignment b = Assign(t.name(), Dept(2));
  Start(a.name());
  // b: submitted in time, returned; resubmitted late below (the last submit counts).
  Start(b.name());
  Submit(b.name());
  ASSERT_THAT(Do("return", b.name(), "Thiếu số liệu").status(), IsOk());

  // 00:30 on 26 March in Vietnam is still 25 March in UTC: already late.
  clock().Set(absl::FromCivil(absl::CivilSecond(2026, 3, 26, 0, 30, 0), VietnamZone()));
  EXPECT_EQ(GetAssignment(a.name()).timeliness(), v1::TIMELINESS_OVERDUE);
  a = Submit(a.name());
  EXPECT_EQ(DateString(a.submit_date()), "2026-3-26");
  EXPECT_EQ(a.timeliness(), v1::TIMELINESS_OVERDUE);
  a = Approve(a.name());
  EXPECT_EQ(a.timeliness(), v1::TIMELINESS_COMPLETED_LATE);
  EXPECT_EQ(GetAssignment(a.name()).timeliness(), v1::TIMELINESS_COMPLETED_LATE);

  Submit(b.name());
  EXPECT_EQ(Approve(b.name()).timeliness(), v1::TIMELINESS_COMPLETED_LATE);
  EXPECT_THAT(Names(AllAssignments("tasks/-", "timeliness = COMPLETED_LATE")),
              UnorderedElementsAre(a.name(), b.name()));
}

TEST_F(AssignmentsTest, TimelinessFollowsTheClock) {
  v1::Task t = MakeTask("units/H29", "Hạn 30/3", Day(2026, 3, 30));
  v1::Task none = MakeTask("units/H29", "Không hạn");
  v1::Task recurring = MakeTask("units/H29", "Thường xuyên", v1::Date(), v1::TASK_KIND_RECURRING);
  v1::Assignment a = Assign(t.name(), Dept(1));
  v1::Assignment declined = Assign(t.name(), Dept(2));
  Decline(declined.name());
  v1::Assignment no_deadline = Assign(none.name(), Dept(1));
  v1::Assignment rec = Assign(recurring.name(), Dept(1));
  Start(rec.name());

  auto timeliness = [&](const v1::Assignment& x) { return GetAssignment(x.name()).timeliness(); };
  struct Step {
    absl::CivilSecond vn;
    v1::Timeliness want;
  };
  for (const Step& s : std::vector<Step>{
           {absl::CivilSecond(2026, 3, 20, 9, 0, 0), v1::TIMELINESS_ON_TIME},
           {absl::CivilSecond(2026, 3, 26, 23, 59, 0), v1::TIMELINESS_ON_TIME},
           {absl::CivilSecond(2026, 3, 27, 0, 1, 0), v1::TIMELINESS_DUE_SOON},  // 3 days left
           {absl::CivilSecond(2026, 3, 30, 23, 59, 0), v1::TIMELINESS_DUE_SOON},
           {absl::CivilSecond(2026, 3, 31, 0, 1, 0), v1::TIMELINESS_OVERDUE},
           {absl::CivilSecond(2027, 1, 1, 0, 0, 0), v1::TIMELINESS_OVERDUE},
       }) {
    SCOPED_TRACE(absl::FormatCivilTime(s.vn));
    clock().Set(absl::FromCivil(s.vn, VietnamZone()));
    EXPECT_EQ(timeliness(a), s.want);
    EXPECT_EQ(timeliness(declined), v1::TIMELINESS_NOT_APPLICABLE);
    EXPECT_EQ(timeliness(no_deadline), v1::TIMELINESS_NO_DEADLINE);
    EXPECT_EQ(timeliness(rec), v1::TIMELINESS_NO_DEADLINE);
    // Lists agree with Get.
    for (const auto& x : AllAssignments("tasks/-")) {
      EXPECT_EQ(x.timeliness(), timeliness(x)) << x.name();
    }
  }
}

TEST_F(AssignmentsTest, OverdueFilterReturnsExactlyTheOverdueOnes) {
  // Deadlines 21..28 March on units 1..8 of one task; some closed.
  std::vector<v1::Task> tasks;
  for (int k = 0; k < 2; ++k) tasks.push_back(MakeTask("units/H29", absl::StrCat("T", k)));
  std::map<std::string, int> deadline_day;
  std::set<std::string> closed;
  for (const auto& t : tasks) {
    for (int i = 1; i <= 8; ++i) {
      v1::Assignment a =
          Assign(t.name(), Dept(i), v1::ASSIGNMENT_ROLE_SUPPORT, Day(2026, 3, 20 + i));
      deadline_day[a.name()] = 20 + i;
      if (i % 3 == 0) {
        DriveTo(a.name(), v1::ASSIGNMENT_STATE_COMPLETED);
        closed.insert(a.name());
      } else if (i % 4 == 0) {
        Decline(a.name());
        closed.insert(a.name());
      } else if (i % 2 == 0) {
        DriveTo(a.name(), v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE);
      }
    }
  }
  v1::Task no_deadline = MakeTask("units/H29", "Không hạn");
  Assign(no_deadline.name(), Dept(1));

  for (int today : {20, 22, 25, 29}) {
    SCOPED_TRACE(today);
    SetToday(2026, 3, today);
    std::vector<std::string> want_overdue, want_due_soon, want_on_time;
    for (const auto& [name, day] : deadline_day) {
      if (closed.count(name)) continue;
      if (day < today)
        want_overdue.push_back(name);
      else if (day - today <= 3)
        want_due_soon.push_back(name);
      else
        want_on_time.push_back(name);
    }
    EXPECT_THAT(Names(AllAssignments("tasks/-", "timeliness = OVERDUE", 3)),
                UnorderedElementsAreArray(want_overdue));
    EXPECT_THAT(Names(AllAssignments("tasks/-", "timeliness = DUE_SOON")),
                UnorderedElementsAreArray(want_due_soon));
    EXPECT_THAT(Names(AllAssignments("tasks/-", "timeliness = TIMELINESS_ON_TIME")),
                UnorderedElementsAreArray(want_on_time));
    for (const auto& a : AllAssignments("tasks/-", "timeliness = OVERDUE")) {
      EXPECT_EQ(a.timeliness(), v1::TIMELINESS_OVERDUE);
    }
    EXPECT_THAT(AllAssignments("tasks/-", "timeliness = NO_DEADLINE"), SizeIs(1));
    EXPECT_THAT(Names(AllAssignments(tasks[0].name(), "timeliness = OVERDUE")),
                SizeIs(want_overdue.size() / 2));
  }
}

TEST_F(AssignmentsTest, ListFiltersAndOrder) {
  MakeUnit("H29.01.1", v1::UNIT_KIND_COMMUNE, "units/H29.01");
  MakeUnit("H29.01.1.1", v1::UNIT_KIND_OTHER, "units/H29.01.1");
  MakeUnit("H30");
  // Trees follow `parent`, not code prefixes: K05 is below H29.01, H29.010 below H30.
  MakeUnit("K05", v1::UNIT_KIND_OTHER, "units/H29.01.1");
  MakeUnit("H29.010", v1::UNIT_KIND_OTHER, "units/H30");
  v1::Task t1 = MakeTask("units/H29", "T1", Day(2026, 5, 1));
  v1::Task t2 = MakeTask("units/H29", "T2", Day(2026, 4, 1));
  v1::Task t3 = MakeTask("units/H29", "T3");  // no deadline
  std::string n = "/assignments/";
  Assign(t1.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD);
  Assign(t1.name(), "units/H29.01.1", v1::ASSIGNMENT_ROLE_SUPPORT, Day(2026, 4, 15));
  Assign(t1.name(), "units/H30");
  Assign(t2.name(), Dept(2), v1::ASSIGNMENT_ROLE_LEAD);
  Assign(t2.name(), "units/H29.01.1.1");
  Assign(t2.name(), Dept(1));
  Assign(t3.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD);
  Assign(t3.name(), "units/K05");
  Assign(t3.name(), "units/H29.010");
  Start(t1.name() + n + "H29.01");
  Start(t2.name() + n + "H29.02");
  Decline(t2.name() + n + "H29.01");

  // Order: deadline (none last), then task, then unit.
  EXPECT_THAT(
      Names(AllAssignments("tasks/-", "", 2)),
      ElementsAre(t2.name() + n + "H29.01", t2.name() + n + "H29.01.1.1", t2.name() + n + "H29.02",
                  t1.name() + n + "H29.01.1", t1.name() + n + "H29.01", t1.name() + n + "H30",
                  t3.name() + n + "H29.01", t3.name() + n + "H29.010", t3.name() + n + "K05"));
  EXPECT_THAT(
      Names(AllAssignments(t1.name())),
      ElementsAre(t1.name() + n + "H29.01.1", t1.name() + n + "H29.01", t1.name() + n + "H30"));
  EXPECT_THAT(
      Names(AllAssignments("tasks/-", R"(unit = "units/H29.01")")),
      ElementsAre(t2.name() + n + "H29.01", t1.name() + n + "H29.01", t3.name() + n + "H29.01"));
  EXPECT_THAT(Names(AllAssignments("tasks/-", R"(unit_tree = "units/H29.01")")),
              ElementsAre(t2.name() + n + "H29.01", t2.name() + n + "H29.01.1.1",
                          t1.name() + n + "H29.01.1", t1.name() + n + "H29.01",
                          t3.name() + n + "H29.01", t3.name() + n + "K05"));
  EXPECT_THAT(AllAssignments("tasks/-", R"(unit_tree = "units/H29")"), SizeIs(7));
  EXPECT_THAT(Names(AllAssignments("tasks/-", R"(unit_tree = "units/H30")")),
              ElementsAre(t1.name() + n + "H30", t3.name() + n + "H29.010"));
  EXPECT_THAT(AllAssignments("tasks/-", R"(unit_tree = "units/H29.03")"), IsEmpty());
  EXPECT_THAT(Names(AllAssignments("tasks/-", "state = IN_PROGRESS")),
              ElementsAre(t2.name() + n + "H29.02", t1.name() + n + "H29.01"));
  EXPECT_THAT(Names(AllAssignments("tasks/-", "state = ASSIGNMENT_STATE_DECLINED")),
              ElementsAre(t2.name() + n + "H29.01"));
  EXPECT_THAT(
      Names(AllAssignments("tasks/-", "role = LEAD")),
      ElementsAre(t2.name() + n + "H29.02", t1.name() + n + "H29.01", t3.name() + n + "H29.01"));
  EXPECT_THAT(
      Names(AllAssignments("tasks/-", "deadline >= 2026-04-15 AND deadline <= 2026-05-01")),
      ElementsAre(t1.name() + n + "H29.01.1", t1.name() + n + "H29.01", t1.name() + n + "H30"));
  EXPECT_THAT(Names(AllAssignments("tasks/-", "deadline > 2026-04-15")),
              ElementsAre(t1.name() + n + "H29.01", t1.name() + n + "H30"));
  EXPECT_THAT(Names(AllAssignments("tasks/-", "deadline < 2026-04-15")),
              ElementsAre(t2.name() + n + "H29.01", t2.name() + n + "H29.01.1.1",
                          t2.name() + n + "H29.02"));
  EXPECT_THAT(AllAssignments("tasks/-", "deadline < 2026-04-01"), IsEmpty());
  EXPECT_THAT(
      Names(AllAssignments(
          "tasks/-", R"(unit_tree = "units/H29.01" AND role = LEAD AND state = IN_PROGRESS)")),
      ElementsAre(t1.name() + n + "H29.01"));
  EXPECT_THAT(Names(AllAssignments(t2.name(), "role = SUPPORT")),
              ElementsAre(t2.name() + n + "H29.01", t2.name() + n + "H29.01.1.1"));
}

// A page token taken before midnight (Vietnam) still works after it; the next page is
// judged by the new day.
TEST_F(AssignmentsTest, PageTokensOutliveMidnight) {
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back(Assign(MakeTask("units/H29", "Nhiệm vụ", Day(2026, 3, 21 + i)).name(),
                           "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD)
                        .name());
  }
  SetToday(2026, 3, 20, 23);
  for (const std::string filter : {"", "timeliness = DUE_SOON"}) {
    SCOPED_TRACE(filter);
    v1::ListAssignmentsRequest req;
    req.set_parent("tasks/-");
    req.set_filter(filter);
    req.set_page_size(2);
    auto first = client().ListAssignments(req);
    ASSERT_THAT(first.status(), IsOk());
    ASSERT_EQ(first->assignments_size(), 2);
    SetToday(2026, 3, 21, 1);  // past midnight in UTC+7
    req.set_page_token(first->next_page_token());
    auto second = client().ListAssignments(req);
    ASSERT_THAT(second.status(), IsOk());
    ASSERT_GE(second->assignments_size(), 1);
    EXPECT_EQ(second->assignments(0).name(), names[2]);
    SetToday(2026, 3, 20, 23);
  }
}

}  // namespace
}  // namespace d06::testing
