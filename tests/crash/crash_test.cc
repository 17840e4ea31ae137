// The crash test: a child d06d (the built binary) under concurrent calls of every mutating
// RPC from several clients (tests/testing/write_load.h), each call with its own
// request_id, is killed with SIGKILL at random moments and restarted on the same data
// directory and address. After every restart (WriteLoad::CheckAfterRestart):
// - every call the clients saw acknowledged is there exactly as acknowledged: its
//   request_id, sent again, returns the first answer byte for byte;
// - every call in flight at the kill is wholly there or wholly absent: sent again with
//   its request_id it succeeds, and it is applied once (each task's title is unique and
//   ListTasks finds it once; the chain's next call is not refused);
// - the change feed from revision 1 holds every revision once, in order, and a
//   CREATE_TASK event of every acknowledged task;
// - a watcher that lives through the kills, resuming by itself from its last revision as
//   d06::Client::Watch does, sees every event once, in order, and was never sent one that
//   the log does not hold after the restart;
// and at the end the offline consistency check (`d06d verify`) passes on the whole
// database. A second test stops the server with SIGTERM under the same load: nothing is
// lost and no call is answered CANCELLED.
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
#include "common/dates.h"
#include "gtest/gtest.h"
#include "tests/ctl/spawn.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/write_load.h"

namespace d06::crash {
namespace {

namespace proc = ::d06::ctl::proc;

int EnvInt(const char* name, int fallback) {
  int value = 0;
  const char* text = std::getenv(name);
  return text != nullptr && absl::SimpleAtoi(text, &value) ? value : fallback;
}

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
    const std::string listen = address_.empty() ? "127.0.0.1:0" : address_;
    pid_ = proc::Spawn({D06D_PATH, "--auth=off", "--listen=" + listen,
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

  // "127.0.0.1:PORT": chosen by the first start, kept by every restart.
  const std::string& address() const { return address_; }

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
    load_ = std::make_unique<testing::WriteLoad>(seed_, DayInVietnam(absl::Now()));
    ASSERT_NO_FATAL_FAILURE(server_.Start());
    ASSERT_NO_FATAL_FAILURE(load_->Prepare(server_.address()));
  }

  // Loads the server until it is stopped with `signal` at a random moment within
  // `max_ms`; the exit code.
  int LoadAndStop(int signal, int min_ms, int max_ms) {
    std::atomic<bool> stop = false;
    const std::string target = server_.address();
    std::thread load([&] { load_->Run(target, stop); });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(min_ms + static_cast<int>(random_() % (max_ms - min_ms))));
    const int code = server_.Stop(signal);
    stop = true;
    load.join();
    return code;
  }

  testing::TempDir temp_{"d06-crash-test"};
  ChildServer server_{temp_.path()};
  uint32_t seed_ = 0;
  std::mt19937 random_;
  std::unique_ptr<testing::WriteLoad> load_;
};

TEST_F(CrashTest, KilledAtRandomMomentsItLosesNoAcknowledgedWriteAndLeavesNoPartOfOne) {
  const int kills = EnvInt("D06_CRASH_KILLS", 4);
  load_->StartWatching(server_.address());
  for (int kill_number = 0; kill_number < kills; ++kill_number) {
    // A random moment: sometimes in the first calls, sometimes deep in the load.
    EXPECT_EQ(LoadAndStop(SIGKILL, 50, 750), 128 + SIGKILL);
    ASSERT_NO_FATAL_FAILURE(server_.Start());  // the same address: the watcher resumes
    ASSERT_NO_FATAL_FAILURE(load_->CheckAfterRestart(server_.address()))
        << "after kill " << kill_number + 1;
    if (HasFailure()) break;
  }
  // Every mutating RPC was acknowledged at least once (a last round without a kill
  // finishes the chains a short run cut).
  std::atomic<bool> stop = false;
  std::thread load([&] { load_->Run(server_.address(), stop); });
  for (int i = 0; i < 100 && load_->AcknowledgedMethods() != testing::WriteLoad::Methods(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  load.join();
  EXPECT_EQ(load_->AcknowledgedMethods(), testing::WriteLoad::Methods());
  ASSERT_NO_FATAL_FAILURE(load_->CheckAfterRestart(server_.address()));
  load_->StopWatching();
  EXPECT_GT(load_->watched(), 0u);
  server_.Stop(SIGTERM);
  server_.ExpectConsistent();
  std::cout << "crash test: " << kills << " kills, " << load_->ops() << " calls, "
            << load_->watched() << " events watched live\n";
  EXPECT_GT(load_->ops(), static_cast<size_t>(kills));
}

TEST_F(CrashTest, StoppedWithSigtermItLosesNothingAndAnswersNoCallCancelled) {
  EXPECT_EQ(LoadAndStop(SIGTERM, 300, 600), 0);
  EXPECT_EQ(load_->codes().count(absl::StatusCode::kCancelled), 0u);
  server_.ExpectConsistent();
  ASSERT_NO_FATAL_FAILURE(server_.Start());
  load_->CheckAfterRestart(server_.address());
}

}  // namespace
}  // namespace d06::crash
