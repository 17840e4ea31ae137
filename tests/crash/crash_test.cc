// The crash test: a child d06d (the built binary) under concurrent writes from several
// clients, each call with its own request_id, is killed with SIGKILL at random moments and
// restarted on the same data directory. After every restart:
// - every write the clients saw acknowledged is there exactly as acknowledged: its
//   request_id, sent again, returns the first answer byte for byte;
// - every write in flight at the kill is wholly there or wholly absent: sent again with
//   its request_id it succeeds, and it is applied once (each task's title is unique and
//   ListTasks finds it once);
// - the change feed from revision 1 holds every revision once, in order, and a
//   CREATE_TASK event of every acknowledged task;
// - the offline consistency check (`d06d verify`) passes on the whole database.
// A second test stops the server with SIGTERM under the same load: nothing is lost and no
// call is answered CANCELLED.
//
// D06_CRASH_KILLS (default 4) sets the number of kills, D06_CRASH_SEED the seed (printed,
// so that a failure reruns exactly): `D06_CRASH_KILLS=25 build/bin/d06_crash_tests` is the
// full run (README, "Tests").
#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/ctl/spawn.h"
#include "tests/testing/temp_dir.h"

namespace d06::crash {
namespace {

namespace proc = ::d06::ctl::proc;

int EnvInt(const char* name, int fallback) {
  int value = 0;
  const char* text = std::getenv(name);
  return text != nullptr && absl::SimpleAtoi(text, &value) ? value : fallback;
}

// One write a client sent: what it asked and, once answered OK, the answer's bytes.
struct Op {
  enum Kind { kCreateTask, kStartAssignment } kind;
  std::string request_id;
  v1::CreateTaskRequest create;
  v1::StartAssignmentRequest start;
  enum State { kInFlight, kAcknowledged, kRefused } state = kInFlight;
  std::string answer;  // serialized response, once acknowledged
};

// A child d06d on the test's data directory.
class ChildServer {
 public:
  explicit ChildServer(std::string dir) : dir_(std::move(dir)) {}
  ~ChildServer() {
    if (pid_ > 0) Stop(SIGKILL);
  }

  void Start() {
    const std::string port_file = dir_ + "/port";
    std::remove(port_file.c_str());
    pid_ = proc::Spawn({D06D_PATH, "--auth=off", "--listen=127.0.0.1:0",
                        "--http_listen=", "--metrics_listen=", "--log_calls=false",
                        "--data_dir=" + dir_ + "/data", "--port_file=" + port_file},
                       dir_ + "/d06d.out", dir_ + "/d06d.err");
    ASSERT_GT(pid_, 0);
    for (int i = 0; i < 300; ++i) {
      const std::string ports = proc::ReadFile(port_file);
      const size_t at = ports.find("grpc=");
      if (at != std::string::npos) {
        address_ = ports.substr(at + 5, ports.find('\n', at) - at - 5);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "d06d did not start: " << proc::ReadFile(dir_ + "/d06d.err");
  }

  // Sends `signal` and waits for the process to end; its exit code (128 + signal when
  // killed by it).
  int Stop(int signal) {
    kill(pid_, signal);
    const int code = proc::WaitExit(pid_);
    pid_ = -1;
    return code;
  }

  std::unique_ptr<Client> NewClient(const std::string& actor) const {
    ClientOptions options;
    options.target = address_;
    options.actor = actor;
    options.max_retries = 0;  // a call to a dying server fails at once; the test retries
    options.default_timeout = absl::Seconds(10);
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // The offline consistency check of the data directory (the server stopped).
  void ExpectConsistent() const {
    const std::string out = dir_ + "/verify.out";
    const pid_t pid = proc::Spawn({D06D_PATH, "verify", "--data_dir=" + dir_ + "/data"}, out,
                                  dir_ + "/verify.err");
    ASSERT_GT(pid, 0);
    EXPECT_EQ(proc::WaitExit(pid), 0)
        << proc::ReadFile(out) << proc::ReadFile(dir_ + "/verify.err");
  }

 private:
  const std::string dir_;
  pid_t pid_ = -1;
  std::string address_;
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ =
        static_cast<uint32_t>(EnvInt("D06_CRASH_SEED", static_cast<int>(std::random_device()())));
    std::cout << "crash test seed: D06_CRASH_SEED=" << seed_ << "\n";
    random_.seed(seed_);
    ASSERT_NO_FATAL_FAILURE(server_.Start());
    std::unique_ptr<Client> admin = server_.NewClient("crash-admin");
    auto unit = [&](const std::string& code, v1::UnitKind kind, const std::string& parent) {
      v1::CreateUnitRequest req;
      req.mutable_unit()->set_code(code);
      req.mutable_unit()->set_display_name("Đơn vị " + code);
      req.mutable_unit()->set_kind(kind);
      req.mutable_unit()->set_parent(parent);
      ASSERT_TRUE(admin->CreateUnit(req).ok());
    };
    unit("H01", v1::UNIT_KIND_PROVINCE, "");
    for (int d = 1; d <= 4; ++d) {
      unit(absl::StrCat("H01.0", d), v1::UNIT_KIND_DEPARTMENT, "units/H01");
    }
  }

  // Runs kWorkers clients writing until the server goes away (or `stop`); every op is
  // recorded before it is sent. `codes` collects every status code they saw.
  void Load(std::atomic<bool>& stop) {
    constexpr int kWorkers = 4;
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back([this, w, &stop] {
        std::unique_ptr<Client> client = server_.NewClient(absl::StrCat("crash-", w));
        if (client == nullptr) return;
        std::mt19937 random(seed_ + static_cast<uint32_t>(w) * 7919u + round_ * 104729u);
        while (!stop) {
          Op* op = NextOp(w, random);
          const absl::Status status = Send(*client, op);
          if (!Settle(op, status)) return;  // the server is gone
        }
      });
    }
    for (std::thread& t : workers) t.join();
  }

  // The next write of worker `w`: mostly new tasks, sometimes starting the lead
  // assignment of an acknowledged one.
  Op* NextOp(int w, std::mt19937& random) {
    absl::MutexLock lock(&mu_);
    auto op = std::make_unique<Op>();
    op->request_id = absl::StrCat("crash-", seed_, "-", ops_.size());
    if (!startable_.empty() && random() % 4 == 0) {
      op->kind = Op::kStartAssignment;
      const size_t pick = random() % startable_.size();
      op->start.set_name(startable_[pick]);
      startable_.erase(startable_.begin() + static_cast<long>(pick));
      op->start.set_request_id(op->request_id);
    } else {
      op->kind = Op::kCreateTask;
      v1::Task* task = op->create.mutable_task();
      task->set_title(absl::StrCat("Nhiệm vụ ", op->request_id, " của máy ", w));
      task->set_kind(v1::TASK_KIND_ONE_OFF);
      task->set_assigning_unit("units/H01");
      const int lead = 1 + static_cast<int>(random() % 4);
      for (int d = 1; d <= 4; ++d) {
        if (d != lead && random() % 2 == 0) continue;
        v1::Assignment* a = op->create.add_assignments();
        a->set_unit(absl::StrCat("units/H01.0", d));
        a->set_role(d == lead ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT);
      }
      op->create.set_request_id(op->request_id);
    }
    ops_.push_back(std::move(op));
    return ops_.back().get();
  }

  static absl::Status Send(Client& client, Op* op, std::string* answer = nullptr) {
    std::string bytes;
    absl::Status status;
    if (op->kind == Op::kCreateTask) {
      absl::StatusOr<v1::CreateTaskResponse> r = client.CreateTask(op->create);
      status = r.status();
      if (r.ok()) bytes = r->SerializeAsString();
    } else {
      absl::StatusOr<v1::StartAssignmentResponse> r = client.StartAssignment(op->start);
      status = r.status();
      if (r.ok()) bytes = r->SerializeAsString();
    }
    if (answer != nullptr) {
      *answer = bytes;
    } else if (status.ok()) {
      op->answer = bytes;
    }
    return status;
  }

  // Records what the first sending of `op` got; false once the server is away.
  bool Settle(Op* op, const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    codes_.insert(status.code());
    if (status.ok()) {
      op->state = Op::kAcknowledged;
      Acknowledged(*op);
      return true;
    }
    if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
        absl::IsCancelled(status) || absl::IsInternal(status) || absl::IsUnknown(status)) {
      return false;  // in flight at the kill: unknown until the restart
    }
    op->state = Op::kRefused;  // a rule said no (e.g. started by an earlier attempt)
    return true;
  }

  void Acknowledged(const Op& op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (op.kind != Op::kCreateTask) return;
    v1::CreateTaskResponse response;
    response.ParseFromString(op.answer);
    for (const v1::Assignment& a : response.assignments()) {
      if (a.role() == v1::ASSIGNMENT_ROLE_LEAD) startable_.push_back(a.name());
    }
  }

  // After a restart: every acknowledged op answers the same again; every op in flight
  // is applied (once) now if it was not before.
  void CheckAfterRestart() {
    std::unique_ptr<Client> client = server_.NewClient("crash-check");
    ASSERT_NE(client, nullptr);
    absl::MutexLock lock(&mu_);
    for (const std::unique_ptr<Op>& op : ops_) {
      if (op->state == Op::kRefused) continue;
      std::string again;
      const absl::Status status = Send(*client, op.get(), &again);
      ASSERT_TRUE(status.ok()) << op->request_id << ": " << status;
      if (op->state == Op::kAcknowledged) {
        EXPECT_EQ(again, op->answer) << op->request_id << " answers otherwise after a restart";
      } else {
        op->answer = again;
        op->state = Op::kAcknowledged;
        Acknowledged(*op);
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
      if (op->kind != Op::kCreateTask || op->state != Op::kAcknowledged) continue;
      v1::CreateTaskResponse response;
      response.ParseFromString(op->answer);
      created.insert(response.task().name());
      EXPECT_EQ(titles[op->create.task().title()], 1) << op->request_id;
    }
    EXPECT_EQ(titles.size(), created.size());
    // The feed: every revision once, in order, and each acknowledged task's creation.
    int64_t current = 0;
    std::set<std::string> seen_created;
    int64_t last_revision = 0;
    int32_t last_index = -1;
    v1::WatchRequest from_now;
    from_now.set_start_revision(0);
    ASSERT_TRUE(client
                    ->Watch(from_now,
                            [&](const v1::WatchResponse& r) {
                              current = r.revision();
                              return false;
                            })
                    .ok());
    v1::WatchRequest all;
    all.set_start_revision(1);
    all.set_progress_interval_ms(100);
    ASSERT_TRUE(client
                    ->Watch(all,
                            [&](const v1::WatchResponse& r) {
                              for (const v1::Event& e : r.events()) {
                                const bool next_index =
                                    e.revision() == last_revision && e.index() == last_index + 1;
                                const bool next_revision =
                                    e.revision() == last_revision + 1 && e.index() == 0;
                                EXPECT_TRUE(next_index || next_revision)
                                    << e.revision() << "." << e.index() << " after "
                                    << last_revision << "." << last_index;
                                last_revision = e.revision();
                                last_index = e.index();
                                if (e.action() == v1::EVENT_ACTION_CREATE_TASK) {
                                  seen_created.insert(e.resource());
                                }
                              }
                              return r.revision() < current;
                            })
                    .ok());
    EXPECT_EQ(last_revision, current);
    for (const std::string& name : created) {
      EXPECT_EQ(seen_created.count(name), 1u) << name << " has no CREATE_TASK event";
    }
  }

  testing::TempDir temp_{"d06-crash-test"};
  ChildServer server_{temp_.path()};
  uint32_t seed_ = 0;
  std::mt19937 random_;
  uint32_t round_ = 0;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Op>> ops_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> startable_ ABSL_GUARDED_BY(mu_);
  std::set<absl::StatusCode> codes_ ABSL_GUARDED_BY(mu_);
};

TEST_F(CrashTest, KilledAtRandomMomentsItLosesNoAcknowledgedWriteAndLeavesNoPartOfOne) {
  const int kills = EnvInt("D06_CRASH_KILLS", 4);
  for (int kill_number = 0; kill_number < kills; ++kill_number) {
    round_ = static_cast<uint32_t>(kill_number);
    std::atomic<bool> stop = false;
    std::thread load([&] { Load(stop); });
    // A random moment: sometimes in the first writes, sometimes deep in the load.
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + random_() % 700));
    EXPECT_EQ(server_.Stop(SIGKILL), 128 + SIGKILL);
    stop = true;
    load.join();
    ASSERT_NO_FATAL_FAILURE(server_.Start());
    ASSERT_NO_FATAL_FAILURE(CheckAfterRestart()) << "after kill " << kill_number + 1;
    if (HasFailure()) break;
  }
  server_.Stop(SIGTERM);
  server_.ExpectConsistent();
  absl::MutexLock lock(&mu_);
  std::cout << "crash test: " << kills << " kills, " << ops_.size() << " writes\n";
  EXPECT_GT(ops_.size(), static_cast<size_t>(kills));
}

TEST_F(CrashTest, StoppedWithSigtermItLosesNothingAndAnswersNoCallCancelled) {
  std::atomic<bool> stop = false;
  std::thread load([&] { Load(stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300 + random_() % 300));
  EXPECT_EQ(server_.Stop(SIGTERM), 0);
  stop = true;
  load.join();
  {
    absl::MutexLock lock(&mu_);
    EXPECT_EQ(codes_.count(absl::StatusCode::kCancelled), 0u);
  }
  server_.ExpectConsistent();
  ASSERT_NO_FATAL_FAILURE(server_.Start());
  CheckAfterRestart();
}

}  // namespace
}  // namespace d06::crash
