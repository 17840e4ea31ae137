// A load of every mutating RPC for the durability tests (the kill -9 crash test, the
// storage fault tests), and the checks of what a restart must still hold.
//
// Workers, each with its own client and no retries, run chains of calls: a task's life
// (create, update, add an assignment, start, progress, ask for an extension and have it
// approved or refused, urge, submit, return, submit, approve, reopen, decline, revoke,
// cancel), a recurring task's period report, a unit's reorganisation (create, update,
// rename, move, merge, dissolve) and a principal's (create, update, a token made and
// revoked). Every call carries its own request_id and is recorded before it is sent, so
// after a crash or a storage fault CheckAfterRestart knows what was acknowledged and what
// was in flight:
// - every acknowledged call, sent again with its request_id, answers the same bytes;
// - every call in flight, sent again, succeeds: it was applied once before, or now;
// - no call was refused: each follows an acknowledged one, so a refusal means a write
//   the chain relied on was lost;
// - ListTasks finds each acknowledged task once;
// - the change feed from revision 1 has every revision once, in order, with a CREATE_TASK
//   event of every acknowledged task, and every event a live watcher (StartWatching) was
//   sent before the restart is there, byte for byte: nothing undurable was sent.
// Methods() names what the load calls; a test checks it against every method whose
// request has a request_id (tests/crash/write_load_test.cc), so a new mutating RPC must
// join the load.
//
// Header-only; gtest expectations report what fails.
#ifndef D06_TESTS_TESTING_WRITE_LOAD_H_
#define D06_TESTS_TESTING_WRITE_LOAD_H_

#include <atomic>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "client/client.h"
#include "common/dates.h"
#include "d06/v1/access.pb.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "d06/v1/watch.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace d06::testing {

class WriteLoad {
 public:
  // `today`: the server's day in Vietnam (effective dates, deadlines and periods are
  // chosen from it).
  WriteLoad(uint32_t seed, absl::CivilDay today) : seed_(seed), today_(today) {}
  ~WriteLoad() { StopWatching(); }

  // The unit tree every chain works in: province H01 and its departments H01.01..04.
  void Prepare(const std::string& target) {
    std::unique_ptr<Client> client = Connect(target, "load-admin");
    ASSERT_NE(client, nullptr);
    auto unit = [&](const std::string& code, v1::UnitKind kind, const std::string& parent) {
      v1::CreateUnitRequest req;
      req.mutable_unit()->set_code(code);
      req.mutable_unit()->set_display_name("Đơn vị " + code);
      req.mutable_unit()->set_kind(kind);
      req.mutable_unit()->set_parent(parent);
      const auto created = client->CreateUnit(req);
      ASSERT_TRUE(created.ok()) << created.status();
    };
    unit("H01", v1::UNIT_KIND_PROVINCE, "");
    for (int d = 1; d <= 4; ++d)
      unit(absl::StrCat("H01.0", d), v1::UNIT_KIND_DEPARTMENT, "units/H01");
  }

  // Runs `workers` clients against `target` until `stop` is set or the server goes away
  // (a call fails UNAVAILABLE, DEADLINE_EXCEEDED, ...).
  void Run(const std::string& target, const std::atomic<bool>& stop, int workers = 4) {
    const uint32_t round = rounds_++;
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([this, w, round, &target, &stop] {
        std::unique_ptr<Client> client = Connect(target, absl::StrCat("load-", w));
        if (client == nullptr) return;
        std::mt19937 random(seed_ + static_cast<uint32_t>(w) * 7919u + round * 104729u);
        Chain chain;
        while (!stop) {
          if (chain.steps.empty()) chain = NewChain(random);
          Op* op = Record(chain);
          const absl::Status status = Send(*client, *op, &op->answer);
          if (!Settle(op, status)) return;  // the server is gone
          if (op->state != Op::kAcknowledged) {
            chain.steps.clear();  // refused: CheckAfterRestart reports it
            continue;
          }
          chain.steps.front().absorb(*op->response, chain);
          chain.steps.erase(chain.steps.begin());
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }

  // Follows the change feed from revision 1 with a client of `target` that resumes by
  // itself when the server comes back on the same address, as an integrator's does;
  // records every event. Once per load.
  void StartWatching(const std::string& target) {
    watcher_client_ = Connect(target, "load-watcher");
    ASSERT_NE(watcher_client_, nullptr);
    stop_watching_ = false;
    watcher_ = std::thread([this] {
      v1::WatchRequest req;
      req.set_start_revision(1);
      req.set_progress_interval_ms(100);
      const absl::Status status = watcher_client_->Watch(req, [this](const v1::WatchResponse& r) {
        absl::MutexLock lock(&mu_);
        for (const v1::Event& e : r.events()) {
          if (!Follows(watched_last_, e)) {
            ADD_FAILURE() << "the live feed went from " << watched_last_.first << "."
                          << watched_last_.second << " to " << e.revision() << "." << e.index();
          }
          watched_last_ = {e.revision(), e.index()};
          watched_.emplace(watched_last_, e.SerializeAsString());
        }
        return !stop_watching_;
      });
      EXPECT_TRUE(status.ok()) << "the live watch: " << status;
      watcher_done_->Notify();
    });
  }
  // Ends the live watch at its next response (it gets one every 100 ms from a server that
  // is up). A watch still waiting for a server that is gone after 10 s ends the process:
  // the watcher resumes without limit, and the test has failed already.
  void StopWatching() {
    if (!watcher_.joinable()) return;
    stop_watching_ = true;
    if (!watcher_done_->WaitForNotificationWithTimeout(absl::Seconds(10))) {
      std::cerr << "the live watcher waits for a server that is gone; ending the test\n";
      std::_Exit(1);
    }
    watcher_.join();
    watcher_client_.reset();
    watcher_done_ = std::make_unique<absl::Notification>();
  }
  // How many events the live watcher received.
  size_t watched() const {
    absl::MutexLock lock(&mu_);
    return watched_.size();
  }

  // After a restart (the server at `target`): the checks above. Calls in flight become
  // acknowledged by being sent again.
  void CheckAfterRestart(const std::string& target) {
    std::unique_ptr<Client> client = Connect(target, "load-check");
    ASSERT_NE(client, nullptr);
    absl::MutexLock lock(&mu_);
    for (const std::unique_ptr<Op>& op : ops_) {
      if (op->state == Op::kRefused) {
        ADD_FAILURE() << op->method->full_name() << " " << op->request_id
                      << " was refused: " << op->refusal;
        continue;
      }
      std::string again;
      const absl::Status status = Send(*client, *op, &again);
      ASSERT_TRUE(status.ok()) << op->method->full_name() << " " << op->request_id << ": "
                               << status;
      if (op->state == Op::kAcknowledged) {
        EXPECT_EQ(again, op->answer) << op->method->full_name() << " " << op->request_id
                                     << " answers otherwise after the restart";
      } else {
        op->answer = again;
        op->state = Op::kAcknowledged;
        acknowledged_methods_.insert(op->method->full_name());
      }
    }
    // Each task once, every acknowledged one there.
    std::map<std::string, int> titles;
    v1::ListTasksRequest list;
    list.set_page_size(500);
    do {
      absl::StatusOr<v1::ListTasksResponse> page = client->ListTasks(list);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const v1::Task& t : page->tasks()) ++titles[t.title()];
      list.set_page_token(page->next_page_token());
    } while (!list.page_token().empty());
    std::set<std::string> created;
    for (const std::unique_ptr<Op>& op : ops_) {
      if (op->method->name() != "CreateTask" || op->state != Op::kAcknowledged) continue;
      v1::CreateTaskResponse response;
      ASSERT_TRUE(response.ParseFromString(op->answer));
      created.insert(response.task().name());
      EXPECT_EQ(titles[response.task().title()], 1) << op->request_id;
    }
    EXPECT_EQ(titles.size(), created.size());
    // The feed from revision 1: every revision once, in order; each task's creation; each
    // event the live watcher was sent, as it was sent.
    int64_t current = 0;
    v1::WatchRequest from_now;
    ASSERT_TRUE(client
                    ->Watch(from_now,
                            [&](const v1::WatchResponse& r) {
                              current = r.revision();
                              return false;
                            })
                    .ok());
    std::pair<int64_t, int32_t> last{0, -1};
    std::set<std::string> seen_created;
    size_t watched_found = 0;
    v1::WatchRequest all;
    all.set_start_revision(1);
    all.set_progress_interval_ms(100);
    const absl::Status read = client->Watch(all, [&](const v1::WatchResponse& r) {
      for (const v1::Event& e : r.events()) {
        EXPECT_TRUE(Follows(last, e))
            << e.revision() << "." << e.index() << " after " << last.first << "." << last.second;
        last = {e.revision(), e.index()};
        if (e.action() == v1::EVENT_ACTION_CREATE_TASK) seen_created.insert(e.resource());
        auto w = watched_.find(last);
        if (w != watched_.end()) {
          ++watched_found;
          EXPECT_EQ(w->second, e.SerializeAsString())
              << "event " << e.revision() << "." << e.index()
              << " was sent live and is not what the log holds after the restart";
        }
      }
      return r.revision() < current;
    });
    ASSERT_TRUE(read.ok()) << read;
    EXPECT_EQ(last.first, current);
    for (const std::string& name : created) {
      EXPECT_EQ(seen_created.count(name), 1u) << name << " has no CREATE_TASK event";
    }
    EXPECT_EQ(watched_found, watched_.size())
        << "the live watcher was sent events the log does not hold after the restart";
  }

  // The methods the chains call, by full name ("d06.v1.TaskService.CreateTask").
  static std::set<std::string> Methods() {
    std::set<std::string> names;
    std::mt19937 random(1);
    for (int kind = 0; kind < kChainKinds; ++kind) {
      Chain chain = MakeChain(kind, "x", absl::CivilDay(2026, 1, 1), random);
      for (const Step& step : chain.steps) names.insert(MethodOf(step.method)->full_name());
    }
    return names;
  }
  // The methods acknowledged at least once so far.
  std::set<std::string> AcknowledgedMethods() const {
    absl::MutexLock lock(&mu_);
    return acknowledged_methods_;
  }
  size_t ops() const {
    absl::MutexLock lock(&mu_);
    return ops_.size();
  }
  // Every status code a first sending got.
  std::set<absl::StatusCode> codes() const {
    absl::MutexLock lock(&mu_);
    return codes_;
  }

 private:
  // The names a chain learns from its answers.
  struct Chain;
  // One call of a chain: its method ("TaskService/StartAssignment"), its request as text
  // (from what the chain learned so far) and what to learn from the answer.
  struct Step {
    std::string method;
    std::function<std::string(const Chain&)> request;
    std::function<void(const google::protobuf::Message&, Chain&)> absorb =
        [](const google::protobuf::Message&, Chain&) {};
  };
  struct Chain {
    std::string tag;  // unique in the run: titles, codes and ids are made from it
    std::string task, lead, support, extra, token;
    std::vector<Step> steps;
  };
  struct Op {
    const google::protobuf::MethodDescriptor* method;
    std::unique_ptr<google::protobuf::Message> request;
    std::unique_ptr<google::protobuf::Message> response;
    std::string request_id;
    enum State { kInFlight, kAcknowledged, kRefused } state = kInFlight;
    std::string answer;  // the response's bytes, once acknowledged
    absl::Status refusal;
  };

  static constexpr int kChainKinds = 4;

  // Whether `e` is the event right after position `last` (revision, index) of the feed:
  // the next index of the same revision, or the first of the next revision.
  static bool Follows(std::pair<int64_t, int32_t> last, const v1::Event& e) {
    return (e.revision() == last.first && e.index() == last.second + 1) ||
           (e.revision() == last.first + 1 && e.index() == 0);
  }

  static const google::protobuf::MethodDescriptor* MethodOf(const std::string& service_method) {
    const size_t slash = service_method.find('/');
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            "d06.v1." + service_method.substr(0, slash));
    const google::protobuf::MethodDescriptor* method =
        service == nullptr ? nullptr : service->FindMethodByName(service_method.substr(slash + 1));
    if (method == nullptr) {
      ADD_FAILURE() << "no method " << service_method;
      std::abort();
    }
    return method;
  }

  static std::string Date(absl::CivilDay day) {
    return absl::Substitute("{ year: $0 month: $1 day: $2 }", day.year(), day.month(), day.day());
  }

  // Chain `kind` for `tag`: 0 and 1 a one-off task's life (1 refuses the extension and
  // ends in a cancellation), 2 a recurring task's period report, 3 a reorganisation and a
  // principal with a token.
  static Chain MakeChain(int kind, const std::string& tag, absl::CivilDay today,
                         std::mt19937& random) {
    Chain chain;
    chain.tag = tag;
    std::vector<Step>& s = chain.steps;
    const int d = 1 + static_cast<int>(random() % 4);  // the lead's department
    const std::string lead_unit = absl::StrCat("H01.0", d);
    const std::string support_unit = absl::StrCat("H01.0", 1 + d % 4);
    const std::string extra_unit = absl::StrCat("H01.0", 1 + (d + 1) % 4);
    const auto learn_task = [](const google::protobuf::Message& m, Chain& c) {
      const auto& r = static_cast<const v1::CreateTaskResponse&>(m);
      c.task = r.task().name();
      for (const v1::Assignment& a : r.assignments()) {
        (a.role() == v1::ASSIGNMENT_ROLE_LEAD ? c.lead : c.support) = a.name();
      }
    };
    const auto on = [](std::string Chain::*name, std::string text) {
      return [name, text](const Chain& c) { return absl::Substitute(text, c.*name); };
    };
    if (kind == 2) {
      s.push_back({"TaskService/CreateTask",
                   [=](const Chain&) {
                     return absl::Substitute(
                         "task { title: 'Báo cáo định kỳ $0' kind: TASK_KIND_RECURRING "
                         "cadence: CADENCE_MONTHLY assigning_unit: 'units/H01' } "
                         "assignments { unit: 'units/$1' role: ASSIGNMENT_ROLE_LEAD }",
                         tag, lead_unit);
                   },
                   learn_task});
      s.push_back({"TaskService/FilePeriodReport",
                   on(&Chain::lead,
                      absl::StrCat("name: '$0' period ", Date(today), " note: 'Đã thực hiện'"))});
      return chain;
    }
    if (kind == 3) {
      const std::string a = absl::StrCat("H01.", tag, "A");
      const std::string b = absl::StrCat("H01.", tag, "B");
      const std::string c = absl::StrCat("H01.", tag, "C");
      const std::string e = absl::StrCat("H01.", tag, "E");
      const std::string when = Date(today);
      auto text = [](std::string t) { return [t](const Chain&) { return t; }; };
      for (const std::string& code : {a, b, c, e}) {
        s.push_back({"UnitService/CreateUnit",
                     text(absl::Substitute("unit { code: '$0' display_name: 'Phòng $0' "
                                           "kind: UNIT_KIND_DEPARTMENT parent: 'units/H01' }",
                                           code))});
      }
      s.push_back({"UnitService/UpdateUnit",
                   text(absl::Substitute("unit { name: 'units/$0' display_name: 'Phòng $0 (sửa)' "
                                         "} update_mask { paths: 'display_name' }",
                                         a))});
      s.push_back({"UnitService/RenameUnit",
                   text(absl::Substitute("name: 'units/$0' display_name: 'Phòng mới $0' "
                                         "effective_date $1 reason: 'Đổi tên'",
                                         a, when))});
      s.push_back(
          {"UnitService/MoveUnit", text(absl::Substitute("name: 'units/$0' new_parent: 'units/$1' "
                                                         "effective_date $2 reason: 'Sắp xếp'",
                                                         b, a, when))});
      s.push_back({"UnitService/MergeUnits",
                   text(absl::Substitute("names: 'units/$0' successor: 'units/$1' "
                                         "effective_date $2 reason: 'Hợp nhất'",
                                         c, a, when))});
      s.push_back({"UnitService/DissolveUnit",
                   text(absl::Substitute("name: 'units/$0' successor: 'units/$1' "
                                         "effective_date $2 reason: 'Giải thể'",
                                         e, a, when))});
      const std::string id = absl::AsciiStrToLower(absl::StrCat("p-", tag));
      // Tokens expire within 90 days of the server's now.
      const int64_t expires = absl::ToUnixSeconds(absl::FromCivil(today + 30, VietnamTimeZone()));
      s.push_back({"AccessService/CreatePrincipal",
                   text(absl::Substitute("principal_id: '$0' principal { display_name: 'Cán bộ "
                                         "$0' kind: PRINCIPAL_KIND_PERSON bindings { role: "
                                         "ROLE_VIEWER unit: 'units/H01' } }",
                                         id))});
      s.push_back({"AccessService/UpdatePrincipal",
                   text(absl::Substitute("principal { name: 'principals/$0' display_name: "
                                         "'Cán bộ mới $0' } update_mask { paths: "
                                         "'display_name' }",
                                         id))});
      s.push_back({"AccessService/CreateToken",
                   text(absl::Substitute("parent: 'principals/$0' token { display_name: "
                                         "'máy chủ $0' expire_time { seconds: $1 } }",
                                         id, expires)),
                   [](const google::protobuf::Message& m, Chain& ch) {
                     ch.token = static_cast<const v1::CreateTokenResponse&>(m).token().name();
                   }});
      s.push_back({"AccessService/RevokeToken", on(&Chain::token, "name: '$0'")});
      return chain;
    }
    const std::string deadline = Date(today + 60);
    s.push_back({"TaskService/CreateTask",
                 [=](const Chain&) {
                   return absl::Substitute(
                       "task { title: 'Nhiệm vụ $0' kind: TASK_KIND_ONE_OFF assigning_unit: "
                       "'units/H01' deadline $1 } "
                       "assignments { unit: 'units/$2' role: ASSIGNMENT_ROLE_LEAD } "
                       "assignments { unit: 'units/$3' role: ASSIGNMENT_ROLE_SUPPORT }",
                       tag, deadline, lead_unit, support_unit);
                 },
                 learn_task});
    s.push_back(
        {"TaskService/UpdateTask",
         on(&Chain::task,
            "task { name: '$0' content: 'Nội dung mới' } update_mask { paths: 'content' }")});
    s.push_back({"TaskService/CreateAssignment",
                 [=](const Chain& c) {
                   return absl::Substitute(
                       "parent: '$0' assignment { unit: 'units/$1' role: ASSIGNMENT_ROLE_SUPPORT }",
                       c.task, extra_unit);
                 },
                 [](const google::protobuf::Message& m, Chain& c) {
                   c.extra =
                       static_cast<const v1::CreateAssignmentResponse&>(m).assignment().name();
                 }});
    s.push_back({"TaskService/StartAssignment", on(&Chain::lead, "name: '$0'")});
    s.push_back({"TaskService/ReportAssignmentProgress",
                 on(&Chain::lead, "name: '$0' percent: 40 note: 'Đang làm'")});
    s.push_back({"TaskService/RequestExtension",
                 on(&Chain::lead, absl::StrCat("name: '$0' deadline ", Date(today + 90),
                                               " reason: 'Thêm thời gian'"))});
    s.push_back({kind == 0 ? "TaskService/ApproveExtension" : "TaskService/RefuseExtension",
                 on(&Chain::lead, "name: '$0' note: 'Đã xem'")});
    s.push_back({"TaskService/UrgeAssignment", on(&Chain::lead, "name: '$0' message: 'Khẩn'")});
    s.push_back({"TaskService/SubmitAssignment", on(&Chain::lead, "name: '$0' note: 'Xong'")});
    s.push_back({"TaskService/ReturnAssignment", on(&Chain::lead, "name: '$0' reason: 'Bổ sung'")});
    s.push_back(
        {"TaskService/SubmitAssignment", on(&Chain::lead, "name: '$0' note: 'Đã bổ sung'")});
    s.push_back({"TaskService/ApproveAssignment", on(&Chain::lead, "name: '$0'")});
    s.push_back({"TaskService/ReopenAssignment", on(&Chain::lead, "name: '$0' reason: 'Làm lại'")});
    s.push_back({"TaskService/DeclineAssignment",
                 on(&Chain::extra, "name: '$0' reason: 'Không thuộc chức năng'")});
    s.push_back(
        {"TaskService/RevokeAssignment", on(&Chain::support, "name: '$0' reason: 'Không cần'")});
    if (kind == 1)
      s.push_back(
          {"TaskService/CancelTask", on(&Chain::task, "name: '$0' reason: 'Không còn cần'")});
    return chain;
  }

  Chain NewChain(std::mt19937& random) {
    int number;
    {
      absl::MutexLock lock(&mu_);
      number = chains_++;
    }
    // Unit codes are 0-9, A-Z and dots: the tag is one.
    const std::string tag = absl::StrCat("S", seed_ % 100000, "N", number);
    return MakeChain(static_cast<int>(random() % kChainKinds), tag, today_, random);
  }

  // Records the chain's next call (with its request_id) before it is sent.
  Op* Record(const Chain& chain) {
    const Step& step = chain.steps.front();
    auto op = std::make_unique<Op>();
    op->method = MethodOf(step.method);
    google::protobuf::MessageFactory* factory =
        google::protobuf::MessageFactory::generated_factory();
    op->request.reset(factory->GetPrototype(op->method->input_type())->New());
    op->response.reset(factory->GetPrototype(op->method->output_type())->New());
    const std::string text = step.request(chain);
    if (!google::protobuf::TextFormat::ParseFromString(text, op->request.get())) {
      ADD_FAILURE() << step.method << ": the load's request does not parse: " << text;
      std::abort();
    }
    absl::MutexLock lock(&mu_);
    op->request_id = absl::StrCat("load-", seed_, "-", ops_.size());
    op->request->GetReflection()->SetString(
        op->request.get(), op->method->input_type()->FindFieldByName("request_id"), op->request_id);
    ops_.push_back(std::move(op));
    return ops_.back().get();
  }

  static absl::Status Send(Client& client, Op& op, std::string* answer) {
    op.response->Clear();
    const absl::Status status = client.CallMethod(*op.method, *op.request, op.response.get());
    if (!status.ok()) return status;
    // A token's secret is shown once: a retry answers the same without it (access.proto).
    if (auto* token = dynamic_cast<v1::CreateTokenResponse*>(op.response.get())) {
      token->clear_secret();
    }
    *answer = op.response->SerializeAsString();
    return status;
  }

  // Records what the first sending of `op` got; false once the server is away.
  bool Settle(Op* op, const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    codes_.insert(status.code());
    if (status.ok()) {
      op->state = Op::kAcknowledged;
      acknowledged_methods_.insert(op->method->full_name());
      return true;
    }
    if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
        absl::IsCancelled(status) || absl::IsInternal(status) || absl::IsUnknown(status)) {
      op->answer.clear();
      return false;  // in flight when the server went: unknown until the restart
    }
    op->state = Op::kRefused;
    op->refusal = status;
    return true;
  }

  static std::unique_ptr<Client> Connect(const std::string& target, const std::string& actor) {
    ClientOptions options;
    options.target = target;
    options.actor = actor;
    options.max_retries = 0;  // a call to a dying server fails at once; the checks retry
    options.default_timeout = absl::Seconds(10);
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  const uint32_t seed_;
  const absl::CivilDay today_;
  std::atomic<uint32_t> rounds_{0};
  mutable absl::Mutex mu_;
  int chains_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<Op>> ops_ ABSL_GUARDED_BY(mu_);
  std::set<absl::StatusCode> codes_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> acknowledged_methods_ ABSL_GUARDED_BY(mu_);
  // The live watcher's events by (revision, index), as sent.
  std::map<std::pair<int64_t, int32_t>, std::string> watched_ ABSL_GUARDED_BY(mu_);
  std::pair<int64_t, int32_t> watched_last_ ABSL_GUARDED_BY(mu_){0, -1};
  std::unique_ptr<Client> watcher_client_;
  std::atomic<bool> stop_watching_{false};
  std::unique_ptr<absl::Notification> watcher_done_ = std::make_unique<absl::Notification>();
  std::thread watcher_;
};

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_WRITE_LOAD_H_
