// Store: atomic batches, revisions, group commit under concurrency, reopen, merged scans.
#include "storage/store.h"

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/keys.h"
#include "tests/testing/temp_dir.h"

namespace d06 {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void TearDown() override { store_.reset(); }
  void Reopen() { ReopenWith(Store::Options{dir_}); }
  void ReopenWith(const Store::Options& options) {
    store_.reset();
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  std::optional<std::string> Read(Cf cf, const std::string& key) {
    auto value = store_->Snapshot()->Get(cf, key);
    EXPECT_TRUE(value.ok());
    return *value;
  }

  testing::TempDir temp_{"d06-store-test"};
  const std::string dir_ = temp_.path();
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, CommittedBatchIsVisibleWithRevisionAndEvents) {
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    EXPECT_EQ(txn.revision(), 1);
                    txn.Put(Cf::kEntities, "k", "v");
                    v1::Event event;
                    event.set_resource("units/H29");
                    EXPECT_EQ(txn.AddEvent(event)->index(), 0);
                    EXPECT_EQ(txn.AddEvent(event)->index(), 1);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(store_->revision(), 1);
  EXPECT_EQ(Read(Cf::kEntities, "k"), "v");
  v1::Event stored;
  ASSERT_TRUE(*store_->Snapshot()->GetProto(Cf::kEvents, keys::EventKey(1, 1), &stored));
  EXPECT_EQ(stored.revision(), 1);
  EXPECT_EQ(stored.index(), 1);
  EXPECT_EQ(stored.resource(), "units/H29");
}

TEST_F(StoreTest, FailedMutationWritesNothing) {
  absl::Status status = store_->Apply([](Txn& txn) {
    txn.Put(Cf::kEntities, "k", "v");
    txn.AddEvent(v1::Event());
    return absl::FailedPreconditionError("no");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Read(Cf::kEntities, "k"), std::nullopt);
  EXPECT_EQ(store_->revision(), 0);
  EXPECT_EQ(Read(Cf::kEvents, keys::EventKey(1, 0)), std::nullopt);
}

// The writer's reads of cached keys (Options::writer_cached_prefixes) come from memory:
// they must still be exactly what RocksDB holds after every write, refused mutation,
// deletion and a cache that fills up.
TEST_F(StoreTest, TheWritersCachedReadsAreAlwaysTheCommittedValue) {
  Store::Options options{dir_};
  options.writer_cached_prefixes = {{Cf::kEntities, "u"}};
  options.writer_cache_bytes = 300;  // fills up and starts again within the test
  ReopenWith(options);
  // What the writer reads of `key`, checked against a snapshot's (RocksDB's) answer.
  auto writer_reads = [&](const std::string& key) {
    std::optional<std::string> seen;
    EXPECT_TRUE(store_
                    ->Apply([&](Txn& txn) {
                      absl::StatusOr<std::optional<std::string>> value =
                          txn.reader().Get(Cf::kEntities, key);
                      EXPECT_TRUE(value.ok());
                      seen = *value;
                      return absl::OkStatus();
                    })
                    .ok());
    EXPECT_EQ(seen, Read(Cf::kEntities, key)) << key;
    return seen;
  };
  auto put = [&](const std::string& key, const std::string& value, bool refused = false) {
    return store_->Apply([&](Txn& txn) {
      txn.Put(Cf::kEntities, key, value);
      txn.AddEvent(v1::Event());
      return refused ? absl::FailedPreconditionError("refused") : absl::OkStatus();
    });
  };
  EXPECT_EQ(writer_reads("uA"), std::nullopt);  // absent, and remembered so
  ASSERT_TRUE(put("uA", "1").ok());
  EXPECT_EQ(writer_reads("uA"), "1");
  EXPECT_FALSE(put("uA", "2", /*refused=*/true).ok());
  EXPECT_EQ(writer_reads("uA"), "1");
  // Written twice in one batch: the later value.
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    txn.Put(Cf::kEntities, "uA", "3");
                    txn.Put(Cf::kEntities, "uA", "4");
                    txn.AddEvent(v1::Event());
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(writer_reads("uA"), "4");
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    txn.Delete(Cf::kEntities, "uA");
                    txn.AddEvent(v1::Event());
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(writer_reads("uA"), std::nullopt);
  for (int i = 0; i < 10; ++i) {  // more keys than the cache holds
    const std::string key = absl::StrCat("u", i);
    ASSERT_TRUE(put(key, absl::StrCat(i)).ok());
    EXPECT_EQ(writer_reads(key), absl::StrCat(i));
    ASSERT_TRUE(put(key, absl::StrCat(i, "'")).ok());
    EXPECT_EQ(writer_reads(key), absl::StrCat(i, "'"));
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(writer_reads(absl::StrCat("u", i)), absl::StrCat(i, "'"));
  // A mutation sees what an earlier one of the same group wrote.
  std::vector<std::string> seen;
  absl::Notification all_queued;
  std::atomic<int> done = 0;
  store_->Submit(
      [&](Txn&) {
        all_queued.WaitForNotification();  // the rest queue up behind: one group
        return absl::OkStatus();
      },
      [&](absl::Status) { ++done; });
  for (int i = 0; i < 3; ++i) {
    store_->Submit(
        [&, i](Txn& txn) {
          absl::StatusOr<std::optional<std::string>> value = txn.reader().Get(Cf::kEntities, "uG");
          seen.push_back(value.ok() && value->has_value() ? **value : "-");
          txn.Put(Cf::kEntities, "uG", absl::StrCat(i));
          txn.AddEvent(v1::Event());
          return absl::OkStatus();
        },
        [&](absl::Status) { ++done; });
  }
  all_queued.Notify();
  while (done < 4) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(seen, (std::vector<std::string>{"-", "0", "1"}));
}

TEST_F(StoreTest, EmptyMutationTakesNoRevision) {
  ASSERT_TRUE(store_->Apply([](Txn&) { return absl::OkStatus(); }).ok());
  EXPECT_EQ(store_->revision(), 0);
}

// A bookkeeping write (a token's last use) is stored but takes no revision, so that every
// revision of the change feed has events; one with events takes its revision anyway.
TEST_F(StoreTest, BookkeepingWriteTakesNoRevision) {
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    txn.SetBookkeeping();
                    txn.Put(Cf::kEntities, "k", "v");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(Read(Cf::kEntities, "k"), "v");
  EXPECT_EQ(store_->revision(), 0);
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    txn.SetBookkeeping();
                    txn.AddEvent(v1::Event());
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(store_->revision(), 1);
}

TEST_F(StoreTest, ConcurrentReadModifyWritesAreSerialisedAndDurable) {
  // 8 threads x 50 increments of one counter: lost updates would show as a smaller total.
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        absl::Status s = store_->Apply([](Txn& txn) {
          auto next = txn.NextCounter("test_counter");
          if (!next.ok()) return next.status();
          txn.Put(Cf::kEntities, absl::StrCat("item", *next), "x");
          return absl::OkStatus();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(store_->revision(), kThreads * kEach);
  Reopen();
  EXPECT_EQ(store_->revision(), kThreads * kEach);
  EXPECT_TRUE(Read(Cf::kEntities, absl::StrCat("item", kThreads * kEach)).has_value());
  EXPECT_FALSE(Read(Cf::kEntities, absl::StrCat("item", kThreads * kEach + 1)).has_value());
}

// A clean close flushes the memtables: the next start has no write-ahead log to replay
// (start-up time does not grow with what was written since the last flush).
TEST_F(StoreTest, ACleanCloseLeavesNoWriteAheadLogToReplay) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(store_
                    ->Apply([&](Txn& txn) {
                      txn.Put(Cf::kEntities, absl::StrCat("item", i), std::string(1000, 'x'));
                      txn.Put(Cf::kIndexes, absl::StrCat("index", i), "");
                      return absl::OkStatus();
                    })
                    .ok());
  }
  auto wal_bytes = [&] {
    uintmax_t bytes = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      if (entry.path().extension() == ".log") bytes += entry.file_size();
    }
    return bytes;
  };
  EXPECT_GT(wal_bytes(), 100u * 1000u);
  store_.reset();
  EXPECT_EQ(wal_bytes(), 0u);
  Reopen();
  EXPECT_EQ(store_->revision(), 100);
  EXPECT_TRUE(Read(Cf::kEntities, "item99").has_value());
  EXPECT_TRUE(Read(Cf::kIndexes, "index99").has_value());
}

TEST_F(StoreTest, WritesQueuedTogetherShareOneWalSync) {
  // The first mutation holds the writer until 20 more are queued behind it; those 20 are
  // then one group: 20 batches, one sync. A failed and an empty mutation write nothing.
  absl::Notification running, release, first_done;
  store_->Submit(
      [&](Txn& txn) {
        running.Notify();
        release.WaitForNotification();
        txn.Put(Cf::kEntities, "first", "x");
        return absl::OkStatus();
      },
      [&](absl::Status s) {
        EXPECT_TRUE(s.ok()) << s;
        first_done.Notify();
      });
  running.WaitForNotification();
  std::atomic<int> answered{0};
  absl::Notification all_done;
  auto done = [&](absl::Status) {
    if (++answered == 22) all_done.Notify();
  };
  for (int i = 0; i < 20; ++i) {
    store_->Submit(
        [i](Txn& txn) {
          txn.Put(Cf::kEntities, absl::StrCat("k", i), "v");
          return absl::OkStatus();
        },
        done);
  }
  store_->Submit([](Txn&) { return absl::InternalError("refused"); }, done);
  store_->Submit([](Txn&) { return absl::OkStatus(); }, done);
  release.Notify();
  first_done.WaitForNotification();
  all_done.WaitForNotification();
  Store::Stats stats = store_->stats();
  EXPECT_EQ(stats.mutations, 23u);
  EXPECT_EQ(stats.batches, 21u);
  EXPECT_EQ(stats.syncs, 2u);
  EXPECT_EQ(store_->revision(), 21);
}

TEST_F(StoreTest, AFailedWalSyncStopsAllLaterWrites) {
  Store::Options options{dir_};
  options.sync_for_testing = [] { return absl::InternalError("disk on fire"); };
  ReopenWith(options);
  absl::Status first = store_->Apply([](Txn& txn) {
    txn.Put(Cf::kEntities, "k", "v");
    return absl::OkStatus();
  });
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(first.message(),
            "storage failed (disk on fire); this server takes no more writes until it is "
            "restarted");
  bool ran = false;
  absl::Status later = store_->Apply([&](Txn& txn) {
    ran = true;
    txn.Put(Cf::kEntities, "k2", "v");
    return absl::OkStatus();
  });
  EXPECT_EQ(later.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(later.message(),
            "storage failed (disk on fire); this server takes no more writes until it is "
            "restarted");
  EXPECT_FALSE(ran);
  EXPECT_FALSE(Read(Cf::kEntities, "k2").has_value());
  // After a restart with a working disk, writes go on.
  Reopen();
  EXPECT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    txn.Put(Cf::kEntities, "k3", "v");
                    return absl::OkStatus();
                  })
                  .ok());
}

// The change feed reads up to durable_revision(): a batch written but still syncing is
// visible to snapshots, never to it.
TEST_F(StoreTest, DurableRevisionWaitsForTheWalSync) {
  store_.reset();
  absl::Notification syncing, release;
  Store::Options options{dir_};
  options.sync_for_testing = [&] {
    syncing.Notify();
    release.WaitForNotification();
    return absl::OkStatus();
  };
  ReopenWith(options);
  absl::Notification done;
  store_->Submit(
      [](Txn& txn) {
        txn.Put(Cf::kEntities, "k", "v");
        return absl::OkStatus();
      },
      [&](absl::Status s) {
        EXPECT_TRUE(s.ok()) << s;
        done.Notify();
      });
  syncing.WaitForNotification();
  EXPECT_EQ(Read(Cf::kEntities, "k"), "v");  // written, not yet durable
  EXPECT_EQ(store_->durable_revision(), 0);
  EXPECT_EQ(store_->WaitForRevision(0, absl::Now() + absl::Milliseconds(50)), 0);
  std::thread waiter(
      [&] { EXPECT_EQ(store_->WaitForRevision(0, absl::Now() + absl::Seconds(30)), 1); });
  release.Notify();
  waiter.join();
  done.WaitForNotification();
  EXPECT_EQ(store_->durable_revision(), 1);
}

TEST_F(StoreTest, AFailedWalSyncNeverMakesTheRevisionDurable) {
  Store::Options options{dir_};
  options.sync_for_testing = [] { return absl::InternalError("disk on fire"); };
  ReopenWith(options);
  EXPECT_FALSE(store_
                   ->Apply([](Txn& txn) {
                     txn.Put(Cf::kEntities, "k", "v");
                     return absl::OkStatus();
                   })
                   .ok());
  EXPECT_EQ(store_->durable_revision(), 0);
}

TEST_F(StoreTest, NextCounterTwiceInOneBatch) {
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    EXPECT_EQ(*txn.NextCounter("c"), 1u);
                    EXPECT_EQ(*txn.NextCounter("c"), 2u);
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    EXPECT_EQ(*txn.NextCounter("c"), 3u);
                    return absl::OkStatus();
                  })
                  .ok());
}

TEST_F(StoreTest, ScanMergedOrdersBySuffixAcrossPrefixesAndResumes) {
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    for (const char* key : {"a1:03", "a1:01", "a2:02", "a2:04", "a3:00", "b1:00"}) {
                      txn.Put(Cf::kIndexes, key, "");
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  auto view = store_->Snapshot();
  auto collect = [&](absl::string_view after, std::vector<IndexRange> ranges) {
    std::vector<std::string> out;
    EXPECT_TRUE(view->ScanMerged(Cf::kIndexes, ranges, after,
                                 [&](absl::string_view suffix, absl::string_view) {
                                   out.emplace_back(suffix);
                                   return true;
                                 })
                    .ok());
    return out;
  };
  std::vector<IndexRange> ranges = {{"a1:", "", ""}, {"a2:", "", ""}};
  EXPECT_EQ(collect("", ranges), (std::vector<std::string>{"01", "02", "03", "04"}));
  EXPECT_EQ(collect("02", ranges), (std::vector<std::string>{"03", "04"}));
  // lo inclusive, hi exclusive, within each prefix.
  EXPECT_EQ(collect("", {{"a1:", "02", "04"}, {"a2:", "02", "04"}}),
            (std::vector<std::string>{"02", "03"}));
  EXPECT_EQ(collect("", {{"zz", "", ""}}), std::vector<std::string>{});
}

TEST_F(StoreTest, SeekForwardFindsWhatSeekFindsNearOrFar) {
  // Keys p:000 .. p:098 (even numbers), and one past the prefix.
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    for (int i = 0; i < 100; i += 2) {
                      txn.Put(Cf::kIndexes, absl::StrFormat("p:%03d", i), absl::StrCat(i));
                    }
                    txn.Put(Cf::kIndexes, "q:000", "");
                    return absl::OkStatus();
                  })
                  .ok());
  auto view = store_->Snapshot();
  auto forward = view->NewPrefixCursor(Cf::kIndexes, "p:");
  // Targets near (Next) and far (Seek) ahead, equal to the position, between keys.
  for (const char* target : {"001", "002", "002", "005", "040", "041", "097"}) {
    auto fresh = view->NewPrefixCursor(Cf::kIndexes, "p:");
    ASSERT_TRUE(fresh->Seek(target).ok());
    ASSERT_TRUE(forward->SeekForward(target).ok());
    ASSERT_TRUE(fresh->Valid()) << target;
    ASSERT_TRUE(forward->Valid()) << target;
    EXPECT_EQ(forward->suffix(), fresh->suffix()) << target;
    EXPECT_EQ(forward->value(), fresh->value()) << target;
  }
  // Past the last key of the prefix: not valid, and stays so.
  ASSERT_TRUE(forward->SeekForward("099").ok());
  EXPECT_FALSE(forward->Valid());
  ASSERT_TRUE(forward->SeekForward("500").ok());
  EXPECT_FALSE(forward->Valid());
}

TEST_F(StoreTest, SnapshotDoesNotSeeLaterWrites) {
  auto before = store_->Snapshot();
  ASSERT_TRUE(store_
                  ->Apply([](Txn& txn) {
                    txn.Put(Cf::kEntities, "k", "v");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(*before->Get(Cf::kEntities, "k"), std::nullopt);
  EXPECT_EQ(*store_->Snapshot()->Get(Cf::kEntities, "k"), "v");
}

TEST_F(StoreTest, RefusesOtherSchemasAndSecondOpener) {
  auto second = Store::Open({dir_});
  EXPECT_FALSE(second.ok());  // the directory is locked by store_
  store_.reset();
  {
    auto store = Store::Open({dir_});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)
                    ->Apply([](Txn& txn) {
                      txn.Put(Cf::kMeta, keys::kMetaSchemaVersion, "99");
                      return absl::OkStatus();
                    })
                    .ok());
  }
  auto newer = Store::Open({dir_});
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("schema version"), std::string::npos);
  EXPECT_NE(newer.status().message().find("written by a newer d06d"), std::string::npos)
      << newer.status();

  // An older (pre-release) layout is refused too, saying there is no migration.
  {
    // Opening refuses the directory now, so write the old version with RocksDB itself.
    rocksdb::Options options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, dir_, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names) families.emplace_back(name, options);
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_, families, &handles, &db).ok());
    EXPECT_TRUE(db->Put({}, keys::kMetaSchemaVersion, "1").ok());
    for (auto* h : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  auto older = Store::Open({dir_});
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(older.status().message().find("no migration"), std::string::npos) << older.status();
}

}  // namespace
}  // namespace d06
