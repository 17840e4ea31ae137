// The server on a disk that fails (tests/testing/faulty_disk.h) under the load of every
// mutating RPC (tests/testing/write_load.h). For each fault: no call is acknowledged that
// a later restart cannot read; the server stays up and fails stop (writes UNAVAILABLE,
// health NOT_SERVING, reads still served); once the fault clears, a restart has every
// acknowledged call as it was answered, each call in flight applied once when sent again,
// the feed whole, and the consistency check passes. A write that fails between two
// appends leaves no part of a change. A last test shows the checks catch a write path
// that acknowledges before its write-ahead log is durable.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest-spi.h"
#include "tests/testing/faulty_disk.h"
#include "tests/testing/test_server.h"
#include "tests/testing/write_load.h"

namespace d06::testing {
namespace {

class StorageFaultTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    options.file_system = disk_;
    // Every restart on the first start's port, so that a live watcher resumes by itself.
    if (!address_.empty()) options.listen_address = address_;
  }

  void SetUp() override {
    ServerTest::SetUp();
    address_ = target();
    load_ = std::make_unique<WriteLoad>(seed_, TodayInVietnam(clock()));
    ASSERT_NO_FATAL_FAILURE(load_->Prepare(target()));
  }

  // Runs the load, calls `fault` after `after`, and lets the load go on until the server
  // fails stop (or for `at_most`).
  void LoadWith(const std::function<void()>& fault, absl::Duration after = absl::Milliseconds(150),
                absl::Duration at_most = absl::Seconds(20)) {
    std::atomic<bool> stop = false;
    const std::string address = target();
    std::thread load([&] { load_->Run(address, stop); });
    absl::SleepFor(after);
    fault();
    const absl::Time end = absl::Now() + at_most;
    while (absl::Now() < end && !Stopped()) absl::SleepFor(absl::Milliseconds(10));
    stop = true;
    load.join();
  }

  // Runs the load for `duration`, without a fault.
  void LoadFor(absl::Duration duration) {
    LoadWith([] {}, duration, absl::ZeroDuration());
  }

  // Whether the store failed stop (health says so).
  bool Stopped() {
    absl::StatusOr<std::string> health = HealthOf("");
    return health.ok() && *health == "NOT_SERVING";
  }

  // Failed stop: writes refused as UNAVAILABLE, reads served, every service NOT_SERVING.
  void ExpectFailedStop() {
    EXPECT_EQ(load_->codes().count(absl::StatusCode::kUnavailable), 1u);
    for (const std::string service : {"", "d06.v1.UnitService", "d06.v1.TaskService"}) {
      EXPECT_EQ(HealthOf(service).value_or("?"), "NOT_SERVING") << "'" << service << "'";
    }
    v1::ListTasksRequest list;
    EXPECT_THAT(client().ListTasks(list).status(), IsOk());
  }

  // How the server comes back: its process restarted on a machine that kept running (the
  // files keep every byte written, synced or not), or the whole machine after a power cut
  // (every unsynced byte is dropped).
  enum class Restart { kProcess, kMachine };

  // The fault cleared, the server started again on the same directory: everything
  // acknowledged is there and consistent.
  void ExpectRecovered(Restart restart) {
    ASSERT_NO_FATAL_FAILURE(StopServer());
    if (restart == Restart::kMachine) {
      ASSERT_TRUE(disk_->RestorePower().ok());
    } else {
      disk_->Free();
    }
    ASSERT_NO_FATAL_FAILURE(StartAgain());
    EXPECT_EQ(HealthOf("").value_or("?"), "SERVING");
    ASSERT_NO_FATAL_FAILURE(load_->CheckAfterRestart(target()));
    v1::Date today = ToDate(TodayInVietnam(clock()));
    ExpectConsistent(today);
  }

  std::string address_;  // "127.0.0.1:PORT" of the first start
  const uint32_t seed_ = std::random_device()();
  const std::shared_ptr<FaultyDisk> disk_ = std::make_shared<FaultyDisk>();
  std::unique_ptr<WriteLoad> load_;
};

TEST_F(StorageFaultTest, FailingWritesStopTheServerAndLoseNothingAcknowledged) {
  LoadWith([&] { disk_->FailWrites(); });
  ExpectFailedStop();
  ExpectRecovered(Restart::kProcess);
}

// A write that fails between two appends to the write-ahead log: each change is one
// append (one batch), so a change is wholly there after the restart or not at all. A
// writer that wrote a change's keys in several writes would leave part of one here (the
// consistency check finds its orphan keys); the kill -9 test finds it only when a kill
// lands in that gap.
TEST_F(StorageFaultTest, AWriteFailingBetweenTwoAppendsLeavesNoPartOfAChange) {
  for (int appends : {1, 2, 3}) {
    SCOPED_TRACE(absl::StrCat("the write-ahead log fails after ", appends, " more appends"));
    LoadWith([&] { disk_->FailWritesAfter(appends, ".log"); });
    ExpectFailedStop();
    ExpectRecovered(Restart::kProcess);
  }
}

TEST_F(StorageFaultTest, FailingSyncsStopTheServerAndLoseNothingAcknowledged) {
  LoadWith([&] { disk_->FailSyncs(); });
  ExpectFailedStop();
  // The write whose sync failed reached the file: after a restart without a power cut it
  // may be there (its retry then answers it), after one it is not (its retry applies it).
  ExpectRecovered(Restart::kProcess);
}

// A watcher lives through the cut: every event it was sent must still be in the log after
// it (nothing is sent before it is durable).
TEST_F(StorageFaultTest, APowerCutDuringSlowSyncsLosesNothingAcknowledgedNorSent) {
  // Slow syncs: at the cut, writes are appended to the log and wait for their sync (a
  // server that sent their events before the sync fails here 9 times in 10).
  disk_->SlowSyncs(absl::Milliseconds(10));
  load_->StartWatching(target());
  LoadWith([&] { disk_->CutPower(); }, absl::Milliseconds(300));
  ExpectFailedStop();
  ExpectRecovered(Restart::kMachine);
  EXPECT_GT(load_->watched(), 10u);
  load_->StopWatching();
}

TEST_F(StorageFaultTest, SlowSyncsSlowWritesDownAndFailNothing) {
  disk_->SlowSyncs(absl::Milliseconds(20));
  LoadFor(absl::Milliseconds(600));
  EXPECT_EQ(load_->codes(), std::set<absl::StatusCode>{absl::StatusCode::kOk});
  EXPECT_EQ(HealthOf("").value_or("?"), "SERVING");
  EXPECT_GT(load_->ops(), 10u);
  // A power cut now loses nothing acknowledged either.
  disk_->CutPower();
  ExpectRecovered(Restart::kMachine);
}

// The checks are not vacuous: a write-ahead log whose syncs do nothing (the bug of a
// writer that acknowledges before its write is durable) loses acknowledged calls at a
// power cut, and CheckAfterRestart reports them.
TEST_F(StorageFaultTest, TheChecksCatchAWriterThatAcknowledgesBeforeItsLogIsDurable) {
  disk_->LieAboutSyncs(".log");
  LoadFor(absl::Milliseconds(300));
  ASSERT_GT(load_->ops(), 10u);
  disk_->CutPower();
  StopServer();
  ASSERT_TRUE(disk_->RestorePower().ok());
  ASSERT_NO_FATAL_FAILURE(StartAgain());
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    load_->CheckAfterRestart(target());
  }
  EXPECT_GT(failures.size(), 0) << "acknowledged calls were lost and nothing said so";
}

}  // namespace
}  // namespace d06::testing
