// TaskService tasks: create/get/list/update/cancel, their errors, filters, search and
// pagination.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "server/core/paging.h"
#include "storage/keys.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

class TasksTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    h29_ = MakeUnit("H29");
  }

  v1::CreateTaskRequest TaskReq(const std::string& title = "Nhiệm vụ") {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title(title);
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    return req;
  }

  // A task name that is well-formed but does not exist.
  static std::string MissingTask() { return "tasks/987654321"; }

  v1::Unit h29_;
};

TEST_F(TasksTest, CreateReturnsNormalisedTask) {
  v1::CreateTaskRequest req = TaskReq(
      "  \xC4\x90"
      "e\xCC\x82\xCC\x80 a\xCC\x81n 06  ");  // NFD, padded
  v1::Task* t = req.mutable_task();
  t->set_content("Nội dung");
  t->set_category("Dịch vụ công");
  t->set_urgency(v1::URGENCY_FOCUS);
  *t->mutable_deadline() = Day(2026, 6, 30);
  t->add_labels("2026");
  t->add_labels("kế hoạch 15");
  t->mutable_directive()->set_number("452/TTg-KSTT");
  t->mutable_directive()->set_issuer("Thủ tướng Chính phủ");
  *t->mutable_directive()->mutable_issue_date() = Day(2026, 1, 5);
  t->mutable_kpi()->set_description("Tỷ lệ hồ sơ trực tuyến");
  t->mutable_kpi()->set_type(v1::KPI_TYPE_PERCENT);
  t->mutable_kpi()->set_target_value(80);
  // Output-only fields are ignored.
  t->set_state(v1::TASK_STATE_CANCELLED);
  t->set_cancel_reason("x");
  auto got = client().CreateTask(req);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->task().title(), "Đề án 06");  // NFC, trimmed
  EXPECT_EQ(got->task().state(), v1::TASK_STATE_ACTIVE);
  EXPECT_EQ(got->task().cancel_reason(), "");
  EXPECT_THAT(got->task().labels(), ElementsAre("2026", "kế hoạch 15"));
  EXPECT_EQ(got->task().directive().number(), "452/TTg-KSTT");
  EXPECT_EQ(got->task().kpi().target_value(), 80);
  EXPECT_FALSE(got->task().etag().empty());
  EXPECT_EQ(GetTask(got->task().name()).SerializeAsString(), got->task().SerializeAsString());

  v1::Task child = MakeTask("units/H29", "Nhiệm vụ con");
  (void)child;
  v1::CreateTaskRequest sub = TaskReq("Con");
  sub.mutable_task()->set_parent_task(got->task().name());
  auto sub_got = client().CreateTask(sub);
  ASSERT_THAT(sub_got.status(), IsOk());
  EXPECT_EQ(sub_got->task().parent_task(), got->task().name());
  EXPECT_NE(sub_got->task().name(), got->task().name());
}

TEST_F(TasksTest, CreateErrorsChangeNothing) {
  MakeTask("units/H29", "Có sẵn");
  std::string s501(501, 'a');
  std::string s500;
  for (int i = 0; i < 501; ++i) s500 += "ệ";  // 501 characters
  struct Case {
    std::string field;
    std::function<void(v1::Task*)> mutate;
  };
  std::vector<Case> cases = {
      {"task.title", [](v1::Task* t) { t->clear_title(); }},
      {"task.title", [](v1::Task* t) { t->set_title(" \t "); }},
      {"task.title", [&](v1::Task* t) { t->set_title(s501); }},
      {"task.title", [&](v1::Task* t) { t->set_title(s500); }},
      {"task.title", [](v1::Task* t) { t->set_title("Đề \xff án"); }},
      {"task.title", [](v1::Task* t) { t->set_title("\xED\xA0\x80"); }},  // surrogate
      {"task.content", [](v1::Task* t) { t->set_content("abc\xC3"); }},
      {"task.content", [](v1::Task* t) { t->set_content(std::string(10001, 'x')); }},
      {"task.category", [](v1::Task* t) { t->set_category(std::string(201, 'x')); }},
      {"task.kind", [](v1::Task* t) { t->set_kind(v1::TASK_KIND_UNSPECIFIED); }},
      {"task.assigning_unit", [](v1::Task* t) { t->clear_assigning_unit(); }},
      {"task.assigning_unit", [](v1::Task* t) { t->set_assigning_unit("units/h29"); }},
      {"task.deadline",
       [](v1::Task* t) {
         t->set_kind(v1::TASK_KIND_RECURRING);
         *t->mutable_deadline() = Day(2026, 6, 30);
       }},
      {"task.deadline", [](v1::Task* t) { *t->mutable_deadline() = Day(2026, 2, 29); }},
      {"task.deadline", [](v1::Task* t) { *t->mutable_deadline() = Day(2026, 0, 1); }},
      {"task.labels",
       [](v1::Task* t) {
         for (int i = 0; i < 21; ++i) t->add_labels(absl::StrCat("l", i));
       }},
      {"task.labels", [](v1::Task* t) { t->add_labels(""); }},
      {"task.labels", [](v1::Task* t) { t->add_labels(std::string(101, 'x')); }},
      {"task.labels", [](v1::Task* t) { t->add_labels("nh\xe1n"); }},
      {"task.directive.number",
       [](v1::Task* t) { t->mutable_directive()->set_number(std::string(101, '1')); }},
      {"task.directive.issue_date",
       [](v1::Task* t) { *t->mutable_directive()->mutable_issue_date() = Day(2026, 4, 31); }},
      {"task.parent_task", [](v1::Task* t) { t->set_parent_task("tasks/abc"); }},
      {"task.urgency", [](v1::Task* t) { t->set_urgency(static_cast<v1::Urgency>(42)); }},
  };
  for (const Case& c : cases) {
    v1::CreateTaskRequest req = TaskReq();
    c.mutate(req.mutable_task());
    SCOPED_TRACE(c.field + " " + req.ShortDebugString().substr(0, 200));
    EXPECT_THAT(client().CreateTask(req).status(), IsInvalidField(c.field));
  }
  {
    v1::CreateTaskRequest req = TaskReq();
    req.mutable_task()->set_assigning_unit("units/H30");
    EXPECT_THAT(client().CreateTask(req).status(),
                IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  }
  {
    v1::CreateTaskRequest req = TaskReq();
    req.mutable_task()->set_parent_task(MissingTask());
    EXPECT_THAT(client().CreateTask(req).status(),
                IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  }
  // FAILED_PRECONDITION (assigning unit not active) needs a merged unit; there is no RPC
  // to merge or dissolve one yet.
  EXPECT_THAT(AllTasks(), SizeIs(1));
  {
    // Boundaries: exactly 500 characters / 20 labels / 100-character label are fine.
    v1::CreateTaskRequest req = TaskReq(std::string(500, 'a'));
    for (int i = 0; i < 19; ++i) req.mutable_task()->add_labels(absl::StrCat("l", i));
    req.mutable_task()->add_labels(std::string(100, 'x'));
    EXPECT_THAT(client().CreateTask(req).status(), IsOk());
  }
}

TEST_F(TasksTest, GetErrors) {
  MakeTask("units/H29");
  for (const std::string name :
       {"", "tasks/", "tasks/abc", "tasks/-1", "tasks/0", "task/1", "tasks/1/x", "tasks/01"}) {
    SCOPED_TRACE(name);
    v1::GetTaskRequest req;
    req.set_name(name);
    EXPECT_THAT(client().GetTask(req).status(),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  }
  v1::GetTaskRequest req;
  req.set_name(MissingTask());
  EXPECT_THAT(client().GetTask(req).status(), IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
}

TEST_F(TasksTest, UpdateChangesOnlyMaskedFields) {
  v1::CreateTaskRequest create = TaskReq("Tiêu đề cũ");
  create.mutable_task()->set_content("Nội dung cũ");
  create.mutable_task()->set_category("Cũ");
  create.mutable_task()->add_labels("a");
  v1::Task before = Must(client().CreateTask(create)).task();

  v1::UpdateTaskRequest req;
  *req.mutable_task() = before;
  req.mutable_task()->set_title("Tiêu đề mới");
  req.mutable_task()->set_content("Nội dung mới (không có trong mask)");
  req.mutable_task()->clear_labels();
  req.mutable_task()->add_labels("b");
  req.mutable_task()->add_labels("c");
  req.mutable_update_mask()->add_paths("title");
  req.mutable_update_mask()->add_paths("labels");
  auto got = client().UpdateTask(req);
  ASSERT_THAT(got.status(), IsOk());
  v1::Task read = GetTask(before.name());
  EXPECT_EQ(read.SerializeAsString(), got->task().SerializeAsString());
  EXPECT_EQ(read.title(), "Tiêu đề mới");
  EXPECT_THAT(read.labels(), ElementsAre("b", "c"));
  EXPECT_EQ(read.content(), "Nội dung cũ");
  EXPECT_EQ(read.category(), "Cũ");
  EXPECT_NE(read.etag(), before.etag());

  // Masked but unset clears the field; sub-messages as a whole.
  v1::UpdateTaskRequest clear;
  clear.mutable_task()->set_name(before.name());
  clear.mutable_update_mask()->add_paths("category");
  clear.mutable_update_mask()->add_paths("urgency");
  clear.mutable_task()->set_urgency(v1::URGENCY_AD_HOC);
  ASSERT_THAT(client().UpdateTask(clear).status(), IsOk());
  read = GetTask(before.name());
  EXPECT_EQ(read.category(), "");
  EXPECT_EQ(read.urgency(), v1::URGENCY_AD_HOC);
  EXPECT_EQ(read.title(), "Tiêu đề mới");

  // The history records the changed fields.
  std::vector<v1::Event> events = AllEvents(before.name());
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_EQ(events[1].action(), v1::EVENT_ACTION_UPDATE_TASK);
  EXPECT_THAT(events[1].changed_fields(), UnorderedElementsAre("title", "labels"));
}

TEST_F(TasksTest, UpdateStaleEtagIsAbortedAndChangesNothing) {
  v1::Task t = MakeTask("units/H29", "Cũ");
  v1::UpdateTaskRequest req;
  req.mutable_task()->set_name(t.name());
  req.mutable_task()->set_etag(t.etag());
  req.mutable_task()->set_title("Mới 1");
  req.mutable_update_mask()->add_paths("title");
  ASSERT_THAT(client().UpdateTask(req).status(), IsOk());
  v1::Task after = GetTask(t.name());

  req.clear_request_id();
  req.mutable_task()->set_title("Mới 2");
  EXPECT_THAT(client().UpdateTask(req).status(), IsError(absl::StatusCode::kAborted, "STALE_ETAG"));
  EXPECT_EQ(GetTask(t.name()).SerializeAsString(), after.SerializeAsString());
  EXPECT_THAT(AllEvents(t.name()), SizeIs(2));
}

TEST_F(TasksTest, UpdateErrors) {
  v1::Task recurring = MakeTask("units/H29", "Thường xuyên", v1::Date(), v1::TASK_KIND_RECURRING);
  v1::Task t = MakeTask("units/H29", "Cũ");
  auto update = [&](const std::string& name, std::vector<std::string> paths,
                    std::function<void(v1::Task*)> mutate) {
    v1::UpdateTaskRequest req;
    req.mutable_task()->set_name(name);
    req.mutable_task()->set_title("Mới");
    mutate(req.mutable_task());
    for (auto& p : paths) req.mutable_update_mask()->add_paths(p);
    return client().UpdateTask(req).status();
  };
  auto noop = [](v1::Task*) {};
  EXPECT_THAT(update(t.name(), {}, noop), IsInvalidField("update_mask"));
  for (const std::string path :
       {"state", "kind", "assigning_unit", "parent_task", "name", "etag", "cancel_reason",
        "create_time", "update_time", "bogus", "title.x"}) {
    SCOPED_TRACE(path);
    EXPECT_THAT(update(t.name(), {"title", path}, noop), IsInvalidField("update_mask"));
  }
  {
    absl::Status nested = update(t.name(), {"directive.number"}, noop);
    EXPECT_THAT(nested, IsInvalidField("update_mask"));
    EXPECT_THAT(std::string(nested.message()),
                ::testing::HasSubstr("send the whole field as \"directive\""));
  }
  EXPECT_THAT(update(t.name(), {"title"}, [](v1::Task* x) { x->clear_title(); }),
              IsInvalidField("task.title"));
  EXPECT_THAT(update(t.name(), {"title"},
                     [](v1::Task* x) {
                       x->set_title(
                           "a\xff"
                           "b");
                     }),
              IsInvalidField("task.title"));
  EXPECT_THAT(update(t.name(), {"deadline"},
                     [](v1::Task* x) { *x->mutable_deadline() = Day(2026, 2, 30); }),
              IsInvalidField("task.deadline"));
  EXPECT_THAT(update(recurring.name(), {"deadline"},
                     [](v1::Task* x) { *x->mutable_deadline() = Day(2026, 5, 30); }),
              IsInvalidField("task.deadline"));
  EXPECT_THAT(update(MissingTask(), {"title"}, noop),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  EXPECT_THAT(update("tasks/x", {"title"}, noop),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  EXPECT_EQ(GetTask(t.name()).SerializeAsString(), t.SerializeAsString());
  EXPECT_EQ(GetTask(recurring.name()).SerializeAsString(), recurring.SerializeAsString());

  // A cancelled task cannot be updated.
  v1::CancelTaskRequest cancel;
  cancel.set_name(t.name());
  cancel.set_reason("Hủy");
  ASSERT_THAT(client().CancelTask(cancel).status(), IsOk());
  v1::Task cancelled = GetTask(t.name());
  EXPECT_THAT(update(t.name(), {"title"}, noop),
              IsError(absl::StatusCode::kFailedPrecondition, "TASK_CANCELLED"));
  EXPECT_EQ(GetTask(t.name()).SerializeAsString(), cancelled.SerializeAsString());
}

TEST_F(TasksTest, DeadlineChangeMovesInheritedAssignmentDeadlines) {
  MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  v1::Task t = MakeTask("units/H29", "Hạn", Day(2026, 4, 30));
  v1::Assignment inherited = Assign(t.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD);
  v1::Assignment own =
      Assign(t.name(), "units/H29.02", v1::ASSIGNMENT_ROLE_SUPPORT, Day(2026, 4, 15));
  EXPECT_EQ(DateString(inherited.deadline()), "2026-4-30");

  v1::UpdateTaskRequest req;
  req.mutable_task()->set_name(t.name());
  *req.mutable_task()->mutable_deadline() = Day(2026, 5, 31);
  req.mutable_update_mask()->add_paths("deadline");
  ASSERT_THAT(client().UpdateTask(req).status(), IsOk());
  EXPECT_EQ(DateString(GetAssignment(inherited.name()).deadline()), "2026-5-31");
  EXPECT_EQ(DateString(GetAssignment(own.name()).deadline()), "2026-4-15");
  int updates = 0;
  for (const auto& e : AllEvents(t.name())) {
    if (e.action() == v1::EVENT_ACTION_UPDATE_ASSIGNMENT) {
      ++updates;
      EXPECT_EQ(e.resource(), inherited.name());
    }
  }
  EXPECT_EQ(updates, 1);
}

TEST_F(TasksTest, CancelRevokesOpenAssignmentsOnly) {
  MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  MakeUnit("H29.03", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  v1::Task t = MakeTask("units/H29", "Sẽ hủy", Day(2026, 4, 30));
  v1::Assignment done = Assign(t.name(), "units/H29.01", v1::ASSIGNMENT_ROLE_LEAD);
  Start(done.name());
  Submit(done.name());
  Approve(done.name());
  v1::Assignment open = Assign(t.name(), "units/H29.02");
  Start(open.name());
  v1::Assignment fresh = Assign(t.name(), "units/H29.03");

  v1::CancelTaskRequest req;
  req.set_name(t.name());
  req.set_reason("Không còn phù hợp");
  req.set_etag(GetTask(t.name()).etag());
  auto got = client().CancelTask(req);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->task().state(), v1::TASK_STATE_CANCELLED);
  EXPECT_EQ(GetAssignment(done.name()).state(), v1::ASSIGNMENT_STATE_COMPLETED);
  EXPECT_EQ(GetAssignment(open.name()).state(), v1::ASSIGNMENT_STATE_REVOKED);
  EXPECT_EQ(GetAssignment(fresh.name()).state(), v1::ASSIGNMENT_STATE_REVOKED);

  // One write: a CANCEL_TASK event and two REVOKE events share one revision.
  std::vector<v1::Event> events = AllEvents(t.name());
  ASSERT_GE(events.size(), 3u);
  const v1::Event& cancel = events[events.size() - 3];
  EXPECT_EQ(cancel.action(), v1::EVENT_ACTION_CANCEL_TASK);
  EXPECT_EQ(cancel.reason(), "Không còn phù hợp");
  std::set<std::string> revoked;
  for (size_t i = events.size() - 2; i < events.size(); ++i) {
    EXPECT_EQ(events[i].action(), v1::EVENT_ACTION_REVOKE);
    EXPECT_EQ(events[i].revision(), cancel.revision());
    EXPECT_EQ(events[i].new_state(), v1::ASSIGNMENT_STATE_REVOKED);
    revoked.insert(events[i].resource());
  }
  EXPECT_EQ(revoked, (std::set<std::string>{open.name(), fresh.name()}));

  // Every transition on a cancelled task's assignments says the task is cancelled, whatever
  // the assignment's own state.
  EXPECT_THAT(
      client().ReopenAssignment(Named<v1::ReopenAssignmentRequest>(done.name(), "x")).status(),
      IsError(absl::StatusCode::kFailedPrecondition, "TASK_CANCELLED"));
  EXPECT_THAT(client().StartAssignment(Named<v1::StartAssignmentRequest>(fresh.name())).status(),
              IsError(absl::StatusCode::kFailedPrecondition, "TASK_CANCELLED"));
  EXPECT_THAT(
      client().RevokeAssignment(Named<v1::RevokeAssignmentRequest>(open.name(), "x")).status(),
      IsError(absl::StatusCode::kFailedPrecondition, "TASK_CANCELLED"));
}

TEST_F(TasksTest, CancelErrors) {
  v1::Task t = MakeTask("units/H29");
  v1::CancelTaskRequest req;
  req.set_name(t.name());
  EXPECT_THAT(client().CancelTask(req).status(), IsInvalidField("reason"));
  req.set_reason("   ");
  EXPECT_THAT(client().CancelTask(req).status(), IsInvalidField("reason"));
  req.set_reason(std::string(2001, 'x'));
  EXPECT_THAT(client().CancelTask(req).status(), IsInvalidField("reason"));
  req.set_reason("Lý do \xff");
  EXPECT_THAT(client().CancelTask(req).status(), IsInvalidField("reason"));
  req.set_reason("Lý do");
  req.set_etag("stale-etag");
  EXPECT_THAT(client().CancelTask(req).status(), IsError(absl::StatusCode::kAborted, "STALE_ETAG"));
  EXPECT_EQ(GetTask(t.name()).state(), v1::TASK_STATE_ACTIVE);
  EXPECT_THAT(AllEvents(t.name()), SizeIs(1));

  v1::CancelTaskRequest missing = req;
  missing.clear_etag();
  missing.set_name(MissingTask());
  EXPECT_THAT(client().CancelTask(missing).status(),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  missing.set_name("tasks/");
  EXPECT_THAT(client().CancelTask(missing).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));

  req.clear_etag();
  ASSERT_THAT(client().CancelTask(req).status(), IsOk());
  req.clear_request_id();
  EXPECT_THAT(client().CancelTask(req).status(),
              IsError(absl::StatusCode::kFailedPrecondition, "TASK_CANCELLED"));
  EXPECT_THAT(AllEvents(t.name()), SizeIs(2));
}

TEST_F(TasksTest, SearchTokenWithAForgedPhaseIsRejected) {
  for (int i = 0; i < 3; ++i) MakeTask("units/H29", absl::StrCat("Đề án ", i));
  v1::ListTasksRequest req;
  req.set_query("de an");
  req.set_page_size(1);
  auto first = client().ListTasks(req);
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_FALSE(first->next_page_token().empty());
  // The cursor is the search phase (1 byte) and the last task id looked at (8). A phase
  // other than 0 or 1 is no cursor this list returned, even sealed with the server's own
  // key (server/core/paging.h) for this list and caller (no principal: auth is off).
  std::string forged;
  keys::PutU8(&forged, 2);
  keys::PutU64(&forged, 1);
  auto seal = [&](const std::string& cursor) {
    std::string token;
    WithStoppedServer([&](Store& store) {
      absl::StatusOr<std::string> sealed =
          PageTokens(&store).Encode(Caller{}, "tasks\n\nde an", cursor);
      ASSERT_TRUE(sealed.ok()) << sealed.status();
      token = *sealed;
    });
    return token;
  };
  req.set_page_token(seal(forged));
  EXPECT_THAT(client().ListTasks(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  // The same with phase 0 is one the list takes: the forgery above is refused for its
  // phase, not for its seal.
  forged[0] = '\x00';
  req.set_page_token(seal(forged));
  EXPECT_THAT(client().ListTasks(req).status(), IsOk());
}

TEST_F(TasksTest, ListFilters) {
  MakeUnit("H30");
  v1::Task a = MakeTask("units/H29", "A", Day(2026, 4, 1), v1::TASK_KIND_ONE_OFF, {"2026"});
  v1::Task b =
      MakeTask("units/H29", "B", v1::Date(), v1::TASK_KIND_RECURRING, {"2026", "kế hoạch 15"});
  v1::Task c = MakeTask("units/H30", "C", v1::Date(), v1::TASK_KIND_ONE_OFF, {"2025"});
  v1::CreateTaskRequest sub = TaskReq("D");
  sub.mutable_task()->set_parent_task(a.name());
  sub.mutable_task()->set_urgency(v1::URGENCY_FOCUS);
  v1::Task d = Must(client().CreateTask(sub)).task();
  v1::CancelTaskRequest cancel;
  cancel.set_name(c.name());
  cancel.set_reason("Hủy");
  ASSERT_THAT(client().CancelTask(cancel).status(), IsOk());

  EXPECT_THAT(Names(AllTasks()), ElementsAre(a.name(), b.name(), c.name(), d.name()));
  EXPECT_THAT(Names(AllTasks(R"(assigning_unit = "units/H29")")),
              ElementsAre(a.name(), b.name(), d.name()));
  EXPECT_THAT(Names(AllTasks(R"(assigning_unit = "units/H30")")), ElementsAre(c.name()));
  EXPECT_THAT(Names(AllTasks(R"(label = "2026")")), ElementsAre(a.name(), b.name()));
  EXPECT_THAT(Names(AllTasks(R"(label = "kế hoạch 15")")), ElementsAre(b.name()));
  EXPECT_THAT(Names(AllTasks("kind = RECURRING")), ElementsAre(b.name()));
  EXPECT_THAT(Names(AllTasks("kind = TASK_KIND_ONE_OFF")),
              ElementsAre(a.name(), c.name(), d.name()));
  EXPECT_THAT(Names(AllTasks("state = CANCELLED")), ElementsAre(c.name()));
  EXPECT_THAT(Names(AllTasks("state = ACTIVE AND kind = ONE_OFF")),
              ElementsAre(a.name(), d.name()));
  EXPECT_THAT(Names(AllTasks("urgency = FOCUS")), ElementsAre(d.name()));
  EXPECT_THAT(Names(AllTasks(absl::StrCat("parent_task = \"", a.name(), "\""))),
              ElementsAre(d.name()));
  EXPECT_THAT(AllTasks(R"(label = "2027")"), IsEmpty());
  // The label index holds the task's state: a cancellation moves the task between ranges.
  EXPECT_THAT(Names(AllTasks(R"(label = "2025" AND state = CANCELLED)")), ElementsAre(c.name()));
  EXPECT_THAT(AllTasks(R"(label = "2025" AND state = ACTIVE)"), IsEmpty());
  EXPECT_THAT(Names(AllTasks(R"(label = "2026" AND state = ACTIVE)")),
              ElementsAre(a.name(), b.name()));

  for (const std::string filter :
       {"kind = DAILY", "title = \"A\"", "label", "state = ACTIVE OR", "kind = RECURRING AND",
        "urgency = 7x", R"(label = "2026" AND label = "2027")"}) {
    SCOPED_TRACE(filter);
    v1::ListTasksRequest req;
    req.set_filter(filter);
    EXPECT_THAT(client().ListTasks(req).status(),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_FILTER"));
  }
}

TEST_F(TasksTest, SearchIgnoresDiacriticsAndRanksExactAccentsFirst) {
  v1::Task plain = MakeTask("units/H29", "Kế hoạch triển khai de an 06 ở cấp xã");
  v1::Task other = MakeTask("units/H29", "Dân cư và định danh điện tử");
  v1::Task exact = MakeTask("units/H29", "Triển khai Đề án 06 năm 2026");
  v1::Task variant = MakeTask("units/H29", "Dè ân tổng kết");
  v1::CreateTaskRequest in_content = TaskReq("Báo cáo tháng");
  in_content.mutable_task()->set_content("Tiến độ thực hiện đề án 06");
  v1::Task content = Must(client().CreateTask(in_content)).task();

  // "de an" finds every spelling, in title or content, and nothing else.
  std::vector<v1::Task> found = AllTasks("", "de an");
  EXPECT_THAT(Names(found),
              UnorderedElementsAre(plain.name(), exact.name(), variant.name(), content.name()));
  // With the accented query the exact-accent matches come first.
  found = AllTasks("", "đề án");
  ASSERT_THAT(found, SizeIs(4));
  std::set<std::string> first_two = {found[0].name(), found[1].name()};
  EXPECT_EQ(first_two, (std::set<std::string>{exact.name(), content.name()}));
  std::set<std::string> last_two = {found[2].name(), found[3].name()};
  EXPECT_EQ(last_two, (std::set<std::string>{plain.name(), variant.name()}));
  // Case does not matter for exactness; "06" leaves out the variant without it.
  found = AllTasks("", "ĐỀ ÁN 06");
  ASSERT_THAT(found, SizeIs(3));
  EXPECT_TRUE(found[0].name() == exact.name() || found[0].name() == content.name());
  // The unaccented query: "de an" spelled exactly ranks first.
  found = AllTasks("", "de an");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].name(), plain.name());
  // Every word must match.
  EXPECT_THAT(Names(AllTasks("", "de an 2026")), ElementsAre(exact.name()));
  EXPECT_THAT(AllTasks("", "xyz"), IsEmpty());
  // The query combines with filters and is bounded.
  EXPECT_THAT(AllTasks(R"(assigning_unit = "units/H30")", "de an"), IsEmpty());
  v1::ListTasksRequest too_long;
  too_long.set_query(std::string(201, 'a'));
  EXPECT_THAT(client().ListTasks(too_long).status(), IsInvalidField("query"));
  too_long.set_query("de \xff");
  EXPECT_THAT(client().ListTasks(too_long).status(), IsInvalidField("query"));
  (void)other;
}

TEST_F(TasksTest, PaginationAndInvalidTokens) {
  std::vector<std::string> expected;
  for (int i = 0; i < 45; ++i)
    expected.push_back(MakeTask("units/H29", absl::StrCat("Việc ", i)).name());
  std::vector<v1::Task> all = AllTasks("", "", 10);
  EXPECT_EQ(Names(all), expected);
  // The same through the search path.
  std::vector<v1::Task> searched = AllTasks("", "việc", 4);
  std::set<std::string> unique;
  for (const auto& t : searched) EXPECT_TRUE(unique.insert(t.name()).second) << t.name();
  EXPECT_EQ(unique.size(), 45u);

  v1::ListTasksRequest req;
  req.set_page_size(10);
  ExpectForeignPageTokensRejected(
      [&](const v1::ListTasksRequest& r) { return client().ListTasks(r); }, req,
      std::function<void(v1::ListTasksRequest*)>(
          [](v1::ListTasksRequest* r) { r->set_query("việc"); }));
}

}  // namespace
}  // namespace d06::testing
