// History (ListTaskEvents), idempotent retries, concurrent transitions and durability
// across a restart.
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

class EventsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    MakeUnit("H29");
    for (int i = 1; i <= 4; ++i) {
      MakeUnit(absl::StrCat("H29.0", i), v1::UNIT_KIND_DEPARTMENT, "units/H29");
    }
  }
  static std::string Dept(int i) { return absl::StrCat("units/H29.0", i); }
};

TEST_F(EventsTest, HistoryRecordsActorActionStatesAndReason) {
  std::unique_ptr<Client> alice = NewClient("alice");
  std::unique_ptr<Client> bob = NewClient("bob");
  std::unique_ptr<Client> anon = NewClient("");

  v1::CreateTaskRequest create;
  create.mutable_task()->set_title("Lịch sử");
  create.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  create.mutable_task()->set_assigning_unit("units/H29");
  create.set_request_id("create-task-1");
  v1::Task t = Must(alice->CreateTask(create)).task();
  v1::Assignment a =
      Must(alice->CreateAssignment(AssignReq(t.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD)))
          .assignment();
  Must(bob->StartAssignment(Named<v1::StartAssignmentRequest>(a.name())));
  v1::DeclineAssignmentRequest decline =
      Named<v1::DeclineAssignmentRequest>(a.name(), "Ngoài chức năng");
  Must(bob->DeclineAssignment(decline));
  Must(anon->ReopenAssignment(Named<v1::ReopenAssignmentRequest>(a.name(), "Giao lại")));
  v1::UpdateTaskRequest update;
  update.mutable_task()->set_name(t.name());
  update.mutable_task()->set_content("Nội dung");
  update.mutable_update_mask()->add_paths("content");
  Must(alice->UpdateTask(update));

  std::vector<v1::Event> events = AllEvents(t.name());
  ASSERT_THAT(events, SizeIs(6));
  struct Want {
    std::string actor;
    v1::EventAction action;
    std::string resource;
    v1::AssignmentState old_state, new_state;
    std::string reason;
  };
  const v1::AssignmentState kNone = v1::ASSIGNMENT_STATE_UNSPECIFIED;
  std::vector<Want> want = {
      {"alice", v1::EVENT_ACTION_CREATE_TASK, t.name(), kNone, kNone, ""},
      {"alice", v1::EVENT_ACTION_CREATE_ASSIGNMENT, a.name(), kNone,
       v1::ASSIGNMENT_STATE_NOT_STARTED, ""},
      {"bob", v1::EVENT_ACTION_START, a.name(), v1::ASSIGNMENT_STATE_NOT_STARTED,
       v1::ASSIGNMENT_STATE_IN_PROGRESS, ""},
      {"bob", v1::EVENT_ACTION_DECLINE, a.name(), v1::ASSIGNMENT_STATE_IN_PROGRESS,
       v1::ASSIGNMENT_STATE_DECLINED, "Ngoài chức năng"},
      {"anonymous", v1::EVENT_ACTION_REOPEN, a.name(), v1::ASSIGNMENT_STATE_DECLINED,
       v1::ASSIGNMENT_STATE_NOT_STARTED, "Giao lại"},
      {"alice", v1::EVENT_ACTION_UPDATE_TASK, t.name(), kNone, kNone, ""},
  };
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    const v1::Event& e = events[i];
    EXPECT_EQ(e.actor(), want[i].actor);
    EXPECT_EQ(e.action(), want[i].action);
    EXPECT_EQ(e.resource(), want[i].resource);
    EXPECT_EQ(e.old_state(), want[i].old_state);
    EXPECT_EQ(e.new_state(), want[i].new_state);
    EXPECT_EQ(e.reason(), want[i].reason);
    EXPECT_EQ(e.time().seconds(), absl::ToUnixSeconds(TestStartTime()));
    if (i > 0) {
      EXPECT_EQ(e.request_id().size(), 36u) << e.request_id();  // filled by the client
    }
    if (i > 0) {
      EXPECT_GT(e.revision(), events[i - 1].revision());
    }
  }
  EXPECT_EQ(events[0].request_id(), "create-task-1");
  EXPECT_EQ(events[0].task().name(), t.name());
  EXPECT_EQ(events[3].assignment().state(), v1::ASSIGNMENT_STATE_DECLINED);
  EXPECT_EQ(events[3].assignment().last_reason(), "Ngoài chức năng");
  EXPECT_THAT(events[5].changed_fields(), ElementsAre("content"));

  // Paging gives the same sequence.
  std::vector<v1::Event> paged = AllEvents(t.name(), 4);
  ASSERT_EQ(paged.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(paged[i].SerializeAsString(), events[i].SerializeAsString());
  }
  v1::ListTaskEventsRequest first_page;
  first_page.set_parent(t.name());
  first_page.set_page_size(4);
  EXPECT_THAT(Must(client().ListTaskEvents(first_page)).events(), SizeIs(4));
}

TEST_F(EventsTest, HistoryKeepsTasksApartAndIsTimed) {
  v1::Task t1 = MakeTask("units/H29", "Một");
  v1::Task t2 = MakeTask("units/H29", "Hai");
  Assign(t2.name(), Dept(1));
  clock().Advance(absl::Hours(30));
  Start(t2.name() + "/assignments/H29.01");
  EXPECT_THAT(AllEvents(t1.name()), SizeIs(1));
  std::vector<v1::Event> e2 = AllEvents(t2.name());
  ASSERT_THAT(e2, SizeIs(3));
  EXPECT_EQ(e2[2].time().seconds(), absl::ToUnixSeconds(TestStartTime() + absl::Hours(30)));
}

TEST_F(EventsTest, HistoryErrors) {
  v1::ListTaskEventsRequest req;
  for (const std::string parent : {"", "tasks/", "tasks/x", "units/H29", "tasks/-"}) {
    SCOPED_TRACE(parent);
    req.set_parent(parent);
    EXPECT_THAT(client().ListTaskEvents(req).status(), IsInvalidField("parent"));
  }
  req.set_parent("tasks/987654321");
  EXPECT_THAT(client().ListTaskEvents(req).status(),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  v1::Task t = MakeTask("units/H29");
  req.set_parent(t.name());
  req.set_page_token("garbage");
  EXPECT_THAT(client().ListTaskEvents(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

TEST_F(EventsTest, SameRequestIdIsAppliedOnce) {
  v1::CreateTaskRequest create;
  create.mutable_task()->set_title("Một lần");
  create.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  create.mutable_task()->set_assigning_unit("units/H29");
  create.set_request_id("req-create-0001");
  v1::CreateTaskResponse first = Must(client().CreateTask(create));
  v1::CreateTaskResponse again = Must(client().CreateTask(create));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_THAT(AllTasks(), SizeIs(1));
  const std::string task = first.task().name();

  // A retry returns the first answer even after the state moved on.
  v1::CreateAssignmentRequest assign = AssignReq(task, Dept(1), v1::ASSIGNMENT_ROLE_LEAD);
  assign.set_request_id("req-assign-0001");
  v1::CreateAssignmentResponse a1 = Must(client().CreateAssignment(assign));
  v1::StartAssignmentRequest start = Named<v1::StartAssignmentRequest>(a1.assignment().name());
  start.set_request_id("req-start-0001");
  v1::StartAssignmentResponse s1 = Must(client().StartAssignment(start));
  v1::StartAssignmentResponse s2 = Must(client().StartAssignment(start));
  EXPECT_EQ(s2.SerializeAsString(), s1.SerializeAsString());
  v1::CreateAssignmentResponse a2 = Must(client().CreateAssignment(assign));
  EXPECT_EQ(a2.SerializeAsString(), a1.SerializeAsString());
  EXPECT_EQ(a2.assignment().state(), v1::ASSIGNMENT_STATE_NOT_STARTED);  // first answer

  // The same id with a different request: REQUEST_ID_REUSED, nothing applied.
  v1::CreateTaskRequest different = create;
  different.mutable_task()->set_title("Khác");
  EXPECT_THAT(client().CreateTask(different).status(),
              IsError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED"));
  v1::ReportAssignmentProgressRequest progress;
  progress.set_name(a1.assignment().name());
  progress.set_percent(30);
  progress.set_request_id("req-start-0001");  // an id used by another method
  EXPECT_THAT(client().ReportAssignmentProgress(progress).status(),
              IsError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED"));
  v1::StartAssignmentRequest start_other = start;
  start_other.set_etag("x");
  EXPECT_THAT(client().StartAssignment(start_other).status(),
              IsError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED"));
  EXPECT_THAT(AllTasks(), SizeIs(1));
  EXPECT_EQ(GetTask(task).title(), "Một lần");
  EXPECT_EQ(GetAssignment(a1.assignment().name()).progress_percent(), 0);

  std::vector<v1::Event> events = AllEvents(task);
  std::vector<v1::EventAction> actions;
  for (const auto& e : events) actions.push_back(e.action());
  EXPECT_THAT(actions, ElementsAre(v1::EVENT_ACTION_CREATE_TASK, v1::EVENT_ACTION_CREATE_ASSIGNMENT,
                                   v1::EVENT_ACTION_START));
  EXPECT_EQ(events[2].request_id(), "req-start-0001");

  // Ids are 1..36 ASCII characters.
  v1::CreateTaskRequest bad = create;
  bad.set_request_id(std::string(37, 'a'));
  EXPECT_THAT(client().CreateTask(bad).status(), IsInvalidField("request_id"));
  bad.set_request_id("mã-số");
  EXPECT_THAT(client().CreateTask(bad).status(), IsInvalidField("request_id"));
  EXPECT_THAT(AllTasks(), SizeIs(1));
}

TEST_F(EventsTest, IdempotencyCoversUnits) {
  v1::CreateUnitRequest unit;
  unit.mutable_unit()->set_code("H29.09");
  unit.mutable_unit()->set_display_name("Phòng 9");
  unit.mutable_unit()->set_kind(v1::UNIT_KIND_DEPARTMENT);
  unit.mutable_unit()->set_parent("units/H29");
  unit.set_request_id("unit-9");
  v1::CreateUnitResponse u1 = Must(client().CreateUnit(unit));
  v1::CreateUnitResponse u2 = Must(client().CreateUnit(unit));  // not ALREADY_EXISTS
  EXPECT_EQ(u1.SerializeAsString(), u2.SerializeAsString());
}

// Eight threads start the same assignment with distinct request ids: exactly one wins.
TEST_F(EventsTest, ConcurrentStartsExactlyOneWins) {
  v1::Task t = MakeTask("units/H29", "Đua");
  v1::Assignment a = Assign(t.name(), Dept(1), v1::ASSIGNMENT_ROLE_LEAD);
  for (int round = 0; round < 3; ++round) {
    // Round 0 races on NOT_STARTED; later rounds reopen-to-NOT_STARTED via decline.
    if (round > 0) {
      Decline(a.name());
      Must(client().ReopenAssignment(Named<v1::ReopenAssignmentRequest>(a.name(), "Lại")));
    }
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 8; ++i) clients.push_back(NewClient(absl::StrCat("racer", i)));
    std::vector<absl::Status> results(8);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&, i] {
        ready.fetch_add(1);
        while (ready.load() < 8) std::this_thread::yield();
        results[i] =
            clients[i]->StartAssignment(Named<v1::StartAssignmentRequest>(a.name())).status();
      });
    }
    for (auto& th : threads) th.join();
    int ok = 0;
    for (const absl::Status& s : results) {
      if (s.ok()) {
        ++ok;
      } else {
        EXPECT_THAT(s, IsError(absl::StatusCode::kFailedPrecondition, "INVALID_TRANSITION"));
      }
    }
    EXPECT_EQ(ok, 1) << "round " << round;
    EXPECT_EQ(GetAssignment(a.name()).state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  }
  int starts = 0;
  for (const auto& e : AllEvents(t.name())) {
    if (e.action() == v1::EVENT_ACTION_START) ++starts;
  }
  EXPECT_EQ(starts, 3);
}

// Concurrent creates of the same unit code / the same lead: one wins.
TEST_F(EventsTest, ConcurrentCreatesKeepInvariants) {
  v1::Task t = MakeTask("units/H29", "Chủ trì");
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      results[i] = client()
                       .CreateAssignment(AssignReq(t.name(), Dept(i + 1), v1::ASSIGNMENT_ROLE_LEAD))
                       .status();
    });
  }
  for (auto& th : threads) th.join();
  int ok = 0;
  for (const auto& s : results) {
    if (s.ok())
      ++ok;
    else
      EXPECT_THAT(s, IsError(absl::StatusCode::kFailedPrecondition, "LEAD_EXISTS"));
  }
  EXPECT_EQ(ok, 1);
  EXPECT_THAT(AllAssignments(t.name(), "role = LEAD"), SizeIs(1));
}

TEST_F(EventsTest, RestartKeepsEveryAcknowledgedChange) {
  std::vector<std::string> tasks;
  std::vector<std::string> assignments;
  for (int k = 0; k < 6; ++k) {
    v1::Task t = MakeTask("units/H29", absl::StrCat("Bền vững ", k), Day(2026, 4, 10 + k),
                          v1::TASK_KIND_ONE_OFF, {"2026"});
    tasks.push_back(t.name());
    for (int i = 1; i <= 4; ++i) {
      v1::Assignment a = Assign(t.name(), Dept(i),
                                i == 1 ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT);
      assignments.push_back(a.name());
      switch ((k + i) % 4) {
        case 0:
          Start(a.name());
          Progress(a.name(), 10 * k, "ghi chú");
          break;
        case 1:
          Start(a.name());
          Submit(a.name());
          Approve(a.name());
          break;
        case 2:
          Decline(a.name(), "Lý do " + std::to_string(k));
          break;
        default:
          break;
      }
    }
    if (k == 5) {
      v1::CancelTaskRequest cancel;
      cancel.set_name(t.name());
      cancel.set_reason("Hủy");
      Must(client().CancelTask(cancel));
    }
  }
  v1::UpdateUnitRequest uu;
  uu.mutable_unit()->set_name("units/H29.04");
  uu.mutable_unit()->set_display_name("Phòng đã đổi tên");
  uu.mutable_update_mask()->add_paths("display_name");
  Must(client().UpdateUnit(uu));

  // Snapshot everything, restart, compare.
  std::vector<v1::Unit> units = AllUnits();
  std::vector<v1::Task> task_list = AllTasks();
  std::vector<v1::Assignment> assignment_list = AllAssignments("tasks/-");
  std::map<std::string, std::vector<v1::Event>> events;
  for (const auto& t : tasks) events[t] = AllEvents(t);
  int64_t max_revision = 0;
  for (const auto& [t, list] : events) {
    for (const auto& e : list) max_revision = std::max(max_revision, e.revision());
  }

  ASSERT_NO_THROW(Restart());
  ASSERT_THAT(client().CheckHealth(), IsOk());

  auto same = [](const auto& a, const auto& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].SerializeAsString(), b[i].SerializeAsString()) << a[i].name();
    }
  };
  same(AllUnits(), units);
  same(AllTasks(), task_list);
  same(AllAssignments("tasks/-"), assignment_list);
  EXPECT_THAT(AllAssignments("tasks/-"), SizeIs(24));
  for (const auto& t : tasks) {
    SCOPED_TRACE(t);
    std::vector<v1::Event> after = AllEvents(t);
    ASSERT_EQ(after.size(), events[t].size());
    for (size_t i = 0; i < after.size(); ++i) {
      EXPECT_EQ(after[i].SerializeAsString(), events[t][i].SerializeAsString());
      if (i > 0) {
        EXPECT_TRUE(after[i].revision() > after[i - 1].revision() ||
                    (after[i].revision() == after[i - 1].revision() &&
                     after[i].index() > after[i - 1].index()))
            << i;
      }
    }
  }

  // Writes continue after the restart with higher revisions; request ids survive too.
  MakeUnit("H29.05", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  v1::Assignment fresh = Assign(tasks[0], "units/H29.05", v1::ASSIGNMENT_ROLE_SUPPORT);
  std::vector<v1::Event> e0 = AllEvents(tasks[0]);
  EXPECT_GT(e0.back().revision(), max_revision);
  EXPECT_EQ(e0.back().resource(), fresh.name());

  // And a second restart right after.
  ASSERT_NO_THROW(Restart());
  EXPECT_EQ(GetAssignment(fresh.name()).SerializeAsString(), fresh.SerializeAsString());
}

TEST_F(EventsTest, RequestIdsSurviveRestart) {
  v1::CreateTaskRequest create;
  create.mutable_task()->set_title("Trước khi khởi động lại");
  create.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  create.mutable_task()->set_assigning_unit("units/H29");
  create.set_request_id("survives-restart");
  v1::CreateTaskResponse first = Must(client().CreateTask(create));
  ASSERT_NO_THROW(Restart());
  v1::CreateTaskResponse again = Must(client().CreateTask(create));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_THAT(AllTasks(), SizeIs(1));
}

}  // namespace
}  // namespace d06::testing
