// Store on a disk that fills up (tests/testing/faulty_disk.h): a failed write makes the
// store fail stop at once (every later write UNAVAILABLE, reads go on, the process does
// not abort), and reopening once there is space recovers every acknowledged write.
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/testing/faulty_disk.h"
#include "tests/testing/temp_dir.h"

namespace d06 {
namespace {

using ::d06::testing::FaultyDisk;

class StoreFullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void TearDown() override { store_.reset(); }
  void Reopen() {
    store_.reset();
    Store::Options options{dir_};
    options.file_system = disk_;
    options.on_fail_stop = [this](const absl::Status& cause) {
      ++fail_stops_;
      fail_stop_cause_ = cause;
    };
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  absl::Status Put(const std::string& key, const std::string& value, bool* ran = nullptr) {
    return store_->Apply([&](Txn& txn) {
      if (ran != nullptr) *ran = true;
      txn.Put(Cf::kEntities, key, value);
      return absl::OkStatus();
    });
  }
  std::optional<std::string> Read(const std::string& key) {
    auto value = store_->Snapshot()->Get(Cf::kEntities, key);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : std::nullopt;
  }
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    EXPECT_TRUE(store_->Snapshot()
                    ->ScanPrefix(Cf::kEntities, "", "",
                                 [&](absl::string_view key, absl::string_view) {
                                   keys.emplace_back(key);
                                   return true;
                                 })
                    .ok());
    return keys;
  }

  testing::TempDir temp_{"d06-full-disk-test"};
  const std::string dir_ = temp_.path();
  std::shared_ptr<FaultyDisk> disk_ = std::make_shared<FaultyDisk>();
  std::unique_ptr<Store> store_;
  std::atomic<int> fail_stops_{0};
  absl::Status fail_stop_cause_;  // written by the writer thread before the failed call returns
};

TEST_F(StoreFullDiskTest, AFailedWriteStopsWritesKeepsReadsAndARestartRecovers) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Put(absl::StrCat("k", i), absl::StrCat("v", i)).ok());
  // A mutation that refuses is not a storage failure.
  EXPECT_EQ(store_->Apply([](Txn&) { return absl::FailedPreconditionError("no"); }).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->failure().ok());

  disk_->Fill();
  ::testing::internal::CaptureStderr();
  absl::Status lost = Put("lost", "x");
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  EXPECT_TRUE(absl::StartsWith(lost.message(), "storage failed (write: IO error: No space left"))
      << lost;
  EXPECT_TRUE(
      absl::EndsWith(lost.message(), "); this server takes no more writes until it is restarted"))
      << lost;
  EXPECT_GT(disk_->refused(), 0);
  EXPECT_EQ(fail_stops_.load(), 1);
  EXPECT_NE(fail_stop_cause_.message().find("No space left"), std::string::npos)
      << fail_stop_cause_;
  EXPECT_FALSE(store_->failure().ok());
  // RocksDB reports the error in d06d's log (common/log.h, on stderr), not in a LOG file in
  // the data directory: its file logger would abort at the next line once the disk is full.
  EXPECT_NE(logged.find(": rocksdb: "), std::string::npos) << logged;
  EXPECT_NE(logged.find("No space left"), std::string::npos) << logged;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir_) / "LOG"));

  // Every later write is refused without running, even once there is space again: only a
  // restart may build on what is on disk.
  disk_->Free();
  for (int i = 0; i < 3; ++i) {
    bool ran = false;
    absl::Status later = Put(absl::StrCat("later", i), "x", &ran);
    EXPECT_EQ(later.code(), absl::StatusCode::kUnavailable) << later;
    EXPECT_EQ(later.message(), lost.message());
    EXPECT_FALSE(ran);
  }
  EXPECT_EQ(fail_stops_.load(), 1);

  // Reads go on.
  EXPECT_EQ(Read("k3"), "v3");
  EXPECT_EQ(Read("lost"), std::nullopt);
  EXPECT_EQ(Keys().size(), 10u);
  EXPECT_EQ(store_->revision(), 10);

  // Closing does not abort; reopening recovers every acknowledged write, not the failed one.
  Reopen();
  EXPECT_TRUE(store_->failure().ok());
  EXPECT_EQ(store_->revision(), 10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Read(absl::StrCat("k", i)), absl::StrCat("v", i));
  EXPECT_EQ(Read("lost"), std::nullopt);
  EXPECT_EQ(Read("later0"), std::nullopt);
  EXPECT_TRUE(Put("after", "x").ok());
  EXPECT_EQ(store_->revision(), 11);
}

// The disk fills in the middle of a group: two batches written (not yet synced), then a
// write fails. Syncing the WAL now would trip RocksDB's assertion (`sync_without_flush_
// called_`, SIGABRT); the store must not, and must not acknowledge the two batches.
TEST_F(StoreFullDiskTest, AWriteFailingMidGroupFailsTheWholeGroupWithoutSyncingIt) {
  absl::Notification running, release, first_done, group_done;
  absl::Status first;
  store_->Submit(
      [&](Txn& txn) {
        running.Notify();
        release.WaitForNotification();
        txn.Put(Cf::kEntities, "first", "x");
        return absl::OkStatus();
      },
      [&](absl::Status s) {
        first = s;
        first_done.Notify();
      });
  running.WaitForNotification();
  constexpr int kGroup = 5;
  std::vector<absl::Status> results(kGroup);
  std::vector<bool> ran(kGroup, false);
  std::atomic<int> answered{0};
  for (int i = 0; i < kGroup; ++i) {
    store_->Submit(
        [&, i](Txn& txn) {
          ran[i] = true;
          if (i == 2) disk_->Fill();
          txn.Put(Cf::kEntities, absl::StrCat("g", i), "x");
          return absl::OkStatus();
        },
        [&, i](absl::Status s) {
          results[i] = s;
          if (++answered == kGroup) group_done.Notify();
        });
  }
  const Store::Stats before = store_->stats();
  release.Notify();
  first_done.WaitForNotification();
  group_done.WaitForNotification();

  EXPECT_TRUE(first.ok()) << first;
  for (int i = 0; i < kGroup; ++i) {
    EXPECT_EQ(results[i].code(), absl::StatusCode::kUnavailable) << i << ": " << results[i];
  }
  EXPECT_TRUE(ran[0] && ran[1] && ran[2]);
  EXPECT_FALSE(ran[3] || ran[4]);  // nothing runs after the failed write
  const Store::Stats after = store_->stats();
  EXPECT_EQ(after.syncs - before.syncs, 1u);  // "first"'s group only
  EXPECT_EQ(fail_stops_.load(), 1);

  disk_->Free();
  Reopen();
  EXPECT_EQ(Read("first"), "x");
  EXPECT_EQ(Read("g2"), std::nullopt);
  EXPECT_EQ(Read("g3"), std::nullopt);
  // g0 and g1 were written but never acknowledged: they may or may not be there.
  EXPECT_TRUE(Put("after", "x").ok());
}

}  // namespace
}  // namespace d06
