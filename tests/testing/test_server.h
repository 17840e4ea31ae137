// Shared fixture of the integration tests: an in-process d06::Server on 127.0.0.1:0 with
// a fresh data directory and a FakeClock, and a real d06::Client connected to it.
//
// Part of the d06_testing library (tests/testing). Example:
//
//   class MyTest : public d06::testing::ServerTest {};
//   TEST_F(MyTest, Works) {
//     v1::Unit h29 = MakeUnit("H29");
//     v1::Task task = MakeTask(h29.name(), "Đề án 06", Day(2026, 3, 30));
//     v1::Assignment a = Assign(task.name(), MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT,
//                                                     h29.name()).name());
//     EXPECT_THAT(client().StartAssignment(StartReq(a.name())).status(), IsOk());
//     clock().Advance(absl::Hours(24 * 11));   // past the deadline
//   }
//
// Helpers named Make*/Assign/Must* throw std::runtime_error on failure; gtest reports an
// uncaught exception as a test failure, so a broken setup stops the test at once.
#ifndef D06_TESTS_TESTING_TEST_SERVER_H_
#define D06_TESTS_TESTING_TEST_SERVER_H_

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "common/dates.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/d06d/server.h"
#include "server/domain/clock.h"
#include "server/domain/dates.h"
#include "server/model/consistency.h"
#include "storage/status_macros.h"
#include "storage/store.h"
#include "tests/testing/pager.h"
#include "tests/testing/raw_grpc.h"
#include "tests/testing/temp_dir.h"

namespace d06::testing {

namespace v1 = ::d06::v1;

// Vietnam time (UTC+07:00).
inline absl::TimeZone VietnamZone() { return absl::FixedTimeZone(7 * 3600); }

// The instant every test starts at: 2026-03-20 09:00 +07:00 (a Friday).
inline absl::Time TestStartTime() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 20, 9, 0, 0), VietnamZone());
}

inline v1::Date Day(int year, int month, int day) {
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

inline std::string DateString(const v1::Date& d) {
  return absl::StrCat(d.year(), "-", d.month(), "-", d.day());
}

// ---- status matchers ----------------------------------------------------------------

inline std::string Describe(const absl::Status& s) {
  std::string reason = client::ErrorReason(s);
  std::string out = s.ToString(absl::StatusToStringMode::kWithNoExtraData);
  if (!reason.empty()) absl::StrAppend(&out, " [reason ", reason, "]");
  const v1::ErrorInfo info = client::ErrorInfoOf(s);
  for (const auto& [k, v] : info.metadata()) {
    absl::StrAppend(&out, " {", k, ": ", v, "}");
  }
  return out;
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = arg;
  if (!s.ok()) *result_listener << "status is " << Describe(s);
  return s.ok();
}

// The status has `code` and the ErrorInfo reason `reason`, with domain d06.gov.vn.
MATCHER_P2(IsError, code, reason,
           absl::StrCat(absl::StatusCodeToString(code), " with reason ", reason)) {
  const absl::Status& s = arg;
  *result_listener << "status is " << Describe(s);
  return s.code() == code && client::ErrorReason(s) == reason &&
         client::ErrorInfoOf(s).domain() == "d06.gov.vn";
}

// The status is INVALID_ARGUMENT naming `field` in its metadata (reason INVALID_FIELD
// or, for names, INVALID_NAME); "update_mask.paths[1]" counts as naming "update_mask".
MATCHER_P(IsInvalidField, field, absl::StrCat("INVALID_ARGUMENT naming field ", field)) {
  const absl::Status& s = arg;
  *result_listener << "status is " << Describe(s);
  v1::ErrorInfo info = client::ErrorInfoOf(s);
  auto it = info.metadata().find("field");
  return s.code() == absl::StatusCode::kInvalidArgument &&
         (info.reason() == "INVALID_FIELD" || info.reason() == "INVALID_NAME") &&
         it != info.metadata().end() &&
         (it->second == std::string(field) || it->second.rfind(std::string(field) + ".", 0) == 0 ||
          it->second.rfind(std::string(field) + "[", 0) == 0);
}

// A list refuses page tokens it never issued, and a real token sent with a different
// query (`change` alters the filter or query). `list` calls the RPC; `req` must have a
// page_size small enough that a second page exists.
template <typename Request, typename List>
void ExpectForeignPageTokensRejected(List list, const Request& req,
                                     const std::function<void(Request*)>& change) {
  auto first = list(req);
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_FALSE(first->next_page_token().empty());
  for (const std::string token : {"garbage", "Zm9vYmFy", "%%%"}) {
    Request bad = req;
    bad.set_page_token(token);
    EXPECT_THAT(list(bad).status(),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  }
  Request changed = req;
  changed.set_page_token(first->next_page_token());
  change(&changed);
  EXPECT_THAT(list(changed).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

// ---- the fixture ----------------------------------------------------------------------

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : clock_(TestStartTime()) {}

  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer()); }

  void TearDown() override {
    client_.reset();
    if (server_ != nullptr) {
      server_->Shutdown();
      server_->Wait();
      server_.reset();
    }
  }

  // Shuts the server down and starts it again on the same data directory (new port).
  // Clients from NewClient() keep pointing at the old port: make new ones.
  void Restart() {
    StopServer();
    StartAgain();
  }

  // Restart() in two steps: StopServer() shuts the server down (Shutdown(), then Wait())
  // and keeps its data directory; StartAgain() serves that directory again (new port).
  void StopServer() {
    client_.reset();
    server_->Shutdown();
    server_->Wait();
    server_.reset();
  }
  void StartAgain() {
    StartServer();
    if (server_ == nullptr) throw std::runtime_error("restart failed");
  }

  // Stops the server, opens the data directory's d06::Store, runs `fn` on it, closes it
  // and starts the server again (new port; as with Restart(), make new clients). For
  // tests that must put data in place no RPC can write, or read what no RPC reads.
  // `fn` may use gtest assertions; a failed ASSERT_* only ends `fn`.
  void WithStoppedServer(const std::function<void(Store&)>& fn) {
    client_.reset();
    server_->Shutdown();
    server_->Wait();
    server_.reset();
    {
      auto store = Store::Open({data_dir_});
      if (!store.ok()) throw std::runtime_error("Store::Open: " + store.status().ToString());
      fn(**store);
    }  // the Store closes (and releases its lock) before the server reopens it
    StartServer();
    if (server_ == nullptr) throw std::runtime_error("start after WithStoppedServer failed");
  }

  // A client of the running server sending `actor` (empty: no x-d06-actor header).
  std::unique_ptr<Client> NewClient(const std::string& actor) {
    ClientOptions options;
    options.target = target();
    options.actor = actor;
    auto c = Client::Connect(options);
    if (!c.ok()) throw std::runtime_error(c.status().ToString());
    return *std::move(c);
  }

  Client& client() { return *client_; }
  FakeClock& clock() { return clock_; }
  Server& server() { return *server_; }
  std::string target() const { return absl::StrCat("127.0.0.1:", server_->port()); }

  // What grpc.health.v1.Health/Check says of `service` ("" is the whole server):
  // "SERVING", "NOT_SERVING", ...; the call's error if it fails (NOT_FOUND: unknown name).
  // `service` must be shorter than 128 bytes (its length is encoded in one byte).
  absl::StatusOr<std::string> HealthOf(const std::string& service) {
    // HealthCheckRequest{service} and HealthCheckResponse{status} encoded by hand: the
    // project has no generated health code (as in client/client.cc).
    std::string request_bytes;
    if (!service.empty()) {
      request_bytes =
          absl::StrCat("\x0a", std::string(1, static_cast<char>(service.size())), service);
    }
    std::string bytes;
    RETURN_IF_ERROR(
        CallRawGrpc(target(), "/grpc.health.v1.Health/Check", request_bytes, {}, &bytes));
    // The response is one varint field 1 (0x08), absent when 0 (UNKNOWN).
    const int value = bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : bytes.empty() ? 0 : -1;
    static constexpr const char* kNames[] = {"UNKNOWN", "SERVING", "NOT_SERVING",
                                             "SERVICE_UNKNOWN"};
    if (value < 0 || value > 3) return absl::InternalError("malformed health response");
    return std::string(kNames[value]);
  }
  const std::string& data_dir() const { return data_dir_; }

  // Moves the fake clock to `hour`:00 in Vietnam on the given day.
  void SetToday(int year, int month, int day, int hour = 9) {
    clock_.Set(absl::FromCivil(absl::CivilSecond(year, month, day, hour, 0, 0), VietnamZone()));
  }

  // ---- terse helpers (throw on failure) ----

  template <typename T>
  static T Must(absl::StatusOr<T> r, const std::string& what = "call") {
    if (!r.ok()) throw std::runtime_error(absl::StrCat(what, " failed: ", Describe(r.status())));
    return *std::move(r);
  }

  v1::Unit MakeUnit(const std::string& code, v1::UnitKind kind = v1::UNIT_KIND_PROVINCE,
                    const std::string& parent = "", const std::string& display_name = "") {
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_code(code);
    req.mutable_unit()->set_display_name(display_name.empty() ? "Đơn vị " + code : display_name);
    req.mutable_unit()->set_kind(kind);
    req.mutable_unit()->set_parent(parent);
    return Must(client().CreateUnit(req), "CreateUnit " + code).unit();
  }
  // A chain of units D01 (a province) .. D{levels} (D02, D03, ...), each below the one
  // before; returns the deepest.
  v1::Unit MakeUnitChain(int levels) {
    v1::Unit unit;
    for (int level = 1; level <= levels; ++level) {
      unit = MakeUnit(absl::StrCat(level < 10 ? "D0" : "D", level),
                      level == 1 ? v1::UNIT_KIND_PROVINCE : v1::UNIT_KIND_DEPARTMENT, unit.name());
    }
    return unit;
  }

  // A one-off task (recurring when kind says so); `deadline` zero means none.
  v1::Task MakeTask(const std::string& assigning_unit, const std::string& title = "Nhiệm vụ",
                    const v1::Date& deadline = v1::Date(),
                    v1::TaskKind kind = v1::TASK_KIND_ONE_OFF,
                    const std::vector<std::string>& labels = {}) {
    v1::CreateTaskRequest req;
    v1::Task* t = req.mutable_task();
    t->set_title(title);
    t->set_kind(kind);
    t->set_assigning_unit(assigning_unit);
    if (deadline.year() != 0) *t->mutable_deadline() = deadline;
    for (const auto& l : labels) t->add_labels(l);
    return Must(client().CreateTask(req), "CreateTask " + title).task();
  }

  v1::Assignment Assign(const std::string& task, const std::string& unit,
                        v1::AssignmentRole role = v1::ASSIGNMENT_ROLE_SUPPORT,
                        const v1::Date& deadline = v1::Date()) {
    return Must(client().CreateAssignment(AssignReq(task, unit, role, deadline)),
                "CreateAssignment " + task + " " + unit)
        .assignment();
  }

  static v1::CreateAssignmentRequest AssignReq(const std::string& task, const std::string& unit,
                                               v1::AssignmentRole role,
                                               const v1::Date& deadline = v1::Date()) {
    v1::CreateAssignmentRequest req;
    req.set_parent(task);
    req.mutable_assignment()->set_unit(unit);
    req.mutable_assignment()->set_role(role);
    if (deadline.year() != 0) *req.mutable_assignment()->mutable_deadline() = deadline;
    return req;
  }

  // Transition request builders.
  template <typename Req>
  static Req Named(const std::string& name, const std::string& reason_or_note = "") {
    Req req;
    req.set_name(name);
    if constexpr (std::is_same_v<Req, v1::ReturnAssignmentRequest> ||
                  std::is_same_v<Req, v1::DeclineAssignmentRequest> ||
                  std::is_same_v<Req, v1::RevokeAssignmentRequest> ||
                  std::is_same_v<Req, v1::ReopenAssignmentRequest>) {
      req.set_reason(reason_or_note);
    }
    return req;
  }

  v1::Assignment Start(const std::string& name) {
    return Must(client().StartAssignment(Named<v1::StartAssignmentRequest>(name)), "start")
        .assignment();
  }
  v1::Assignment Progress(const std::string& name, int percent, const std::string& note = "") {
    v1::ReportAssignmentProgressRequest req;
    req.set_name(name);
    req.set_percent(percent);
    req.set_note(note);
    return Must(client().ReportAssignmentProgress(req), "report progress").assignment();
  }
  v1::Assignment Submit(const std::string& name) {
    return Must(client().SubmitAssignment(Named<v1::SubmitAssignmentRequest>(name)), "submit")
        .assignment();
  }
  v1::Assignment Approve(const std::string& name) {
    return Must(client().ApproveAssignment(Named<v1::ApproveAssignmentRequest>(name)), "approve")
        .assignment();
  }
  v1::Assignment Decline(const std::string& name,
                         const std::string& reason = "Không đủ nguồn lực") {
    return Must(client().DeclineAssignment(Named<v1::DeclineAssignmentRequest>(name, reason)),
                "decline")
        .assignment();
  }
  v1::Assignment Revoke(const std::string& name, const std::string& reason = "Giao nhầm") {
    return Must(client().RevokeAssignment(Named<v1::RevokeAssignmentRequest>(name, reason)),
                "revoke")
        .assignment();
  }

  v1::Assignment GetAssignment(const std::string& name) {
    v1::GetAssignmentRequest req;
    req.set_name(name);
    return Must(client().GetAssignment(req), "GetAssignment " + name).assignment();
  }
  v1::Task GetTask(const std::string& name) {
    v1::GetTaskRequest req;
    req.set_name(name);
    return Must(client().GetTask(req), "GetTask " + name).task();
  }
  v1::Unit GetUnit(const std::string& name) {
    v1::GetUnitRequest req;
    req.set_name(name);
    return Must(client().GetUnit(req), "GetUnit " + name).unit();
  }

  // Every page of a list, concatenated.
  std::vector<v1::Unit> AllUnits(const std::string& filter = "", int page_size = 0) {
    v1::ListUnitsRequest req;
    req.set_filter(filter);
    req.set_page_size(page_size);
    return ListAll(
        req, [&](const v1::ListUnitsRequest& r) { return client().ListUnits(r); },
        [](const v1::ListUnitsResponse& p) -> auto& { return p.units(); }, "ListUnits " + filter);
  }
  std::vector<v1::Task> AllTasks(const std::string& filter = "", const std::string& query = "",
                                 int page_size = 0) {
    v1::ListTasksRequest req;
    req.set_filter(filter);
    req.set_query(query);
    req.set_page_size(page_size);
    return ListAll(
        req, [&](const v1::ListTasksRequest& r) { return client().ListTasks(r); },
        [](const v1::ListTasksResponse& p) -> auto& { return p.tasks(); },
        "ListTasks " + filter + " " + query);
  }
  std::vector<v1::Assignment> AllAssignments(const std::string& parent,
                                             const std::string& filter = "", int page_size = 0) {
    v1::ListAssignmentsRequest req;
    req.set_parent(parent);
    req.set_filter(filter);
    req.set_page_size(page_size);
    return ListAll(
        req, [&](const v1::ListAssignmentsRequest& r) { return client().ListAssignments(r); },
        [](const v1::ListAssignmentsResponse& p) -> auto& { return p.assignments(); },
        "ListAssignments " + filter);
  }
  std::vector<v1::Event> AllEvents(const std::string& task, int page_size = 0) {
    v1::ListTaskEventsRequest req;
    req.set_parent(task);
    req.set_page_size(page_size);
    return ListAll(
        req, [&](const v1::ListTaskEventsRequest& r) { return client().ListTaskEvents(r); },
        [](const v1::ListTaskEventsResponse& p) -> auto& { return p.events(); },
        "ListTaskEvents " + task);
  }

  // The consistency check of the stopped server's directory finds nothing, recounting the
  // report counters of today and of `past`.
  void ExpectConsistent(const v1::Date& past) {
    WithStoppedServer([&](Store& store) {
      ConsistencyOptions options;
      options.today = DayNumber(TodayInVietnam(clock()));
      options.past_day = DayNumber(ToCivilDay(past));
      absl::StatusOr<ConsistencyReport> report = CheckConsistency(*store.Snapshot(), options);
      ASSERT_TRUE(report.ok()) << report.status();
      EXPECT_EQ(report->problem_count, 0) << ::testing::PrintToString(report->problems);
    });
  }

  // How many events of `action` the feed's unit_tree filter `tree` gives from revision
  // `from` through `through` (a Watch from `from`, ended once past `through`).
  int EventsInTree(const std::string& tree, v1::EventAction action, int64_t from, int64_t through) {
    v1::WatchRequest req;
    req.set_unit_tree(tree);
    req.set_start_revision(from);
    req.add_actions(action);
    int found = 0;
    const absl::Status watched = client().Watch(req, [&](const v1::WatchResponse& response) {
      found += response.events_size();
      return response.revision() < through;
    });
    EXPECT_TRUE(watched.ok()) << watched;
    return found;
  }

  // Called before each start of the server (SetUp, Restart, ...): a fixture
  // may change the options, e.g. set a file_system with storage faults (faulty_disk.h).
  virtual void ConfigureServer(ServerOptions& options) {}

  // For ConfigureServer: authentication required, with the bootstrap admin made before
  // the first start (its token in admin_token_; a restart keeps the data and the token).
  void RequireAuthentication(ServerOptions& options) {
    options.auth = AuthMode::kRequired;
    if (!admin_token_.empty()) return;
    absl::StatusOr<std::string> token = BootstrapAdmin(options, "admin", "Quản trị viên", false);
    ASSERT_TRUE(token.ok()) << token.status();
    admin_token_ = *token;
  }
  std::string admin_token_;  // set by RequireAuthentication

 private:
  void StartServer() {
    ServerOptions options;
    options.auth = AuthMode::kOff;  // these tests name their actor (x-d06-actor)
    options.listen_address = "127.0.0.1:0";
    options.http_listen_address = "127.0.0.1:0";
    options.data_dir = data_dir_;
    options.due_soon_days = 3;
    options.clock = &clock_;
    ConfigureServer(options);
    auto server = Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ClientOptions copts;
    copts.target = target();
    copts.actor = "tester";
    auto c = Client::Connect(copts);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
  }

  FakeClock clock_;
  TempDir temp_{"d06-it"};  // declared before the server: removed after it stops
  const std::string data_dir_ = temp_.path();
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> client_;
};

// Names of `items` (anything with name()), in order.
template <typename Container>
std::vector<std::string> Names(const Container& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.name());
  return out;
}

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_TEST_SERVER_H_
