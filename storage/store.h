// d06::Store: the RocksDB database of d06 (layout in storage/keys.h).
//
// Writes go through one writer thread. A caller submits a Mutation, a function that reads
// what it needs and stages its writes in a Txn; the writer runs pending mutations one
// after another (so read-check-write needs no locks and racing writers are serialised),
// writes each mutation's batch atomically, then syncs the WAL once for the whole group
// and only then reports success. Acknowledged means durable; concurrent writers share
// one fsync (group commit).
//
// Reads may run on any thread, against a consistent snapshot (ReadView). A reader may see
// a batch that is written but whose WAL sync is still in flight; it is never shown to
// the writer's caller as acknowledged before the sync. A reader that must show only
// durable writes (the change feed) reads up to durable_revision() and waits for it to
// move with WaitForRevision.
//
// Example:
//   ASSIGN_OR_RETURN(auto store, Store::Open({.path = "/var/lib/d06"}));
//   absl::Status s = store->Apply([&](Txn& txn) {
//     txn.Put(Cf::kEntities, keys::TaskKey(7), task.SerializeAsString());
//     return absl::OkStatus();
//   });
//
// Thread-safe.
#ifndef D06_STORAGE_STORE_H_
#define D06_STORAGE_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "d06/v1/task.pb.h"
#include "google/protobuf/message.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class FileSystem;
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace d06 {

// The column families; see storage/keys.h.
enum class Cf { kMeta = 0, kEntities, kIndexes, kEvents, kIdempotency };

// A range of keys under one prefix: [prefix + lo, prefix + hi), hi empty = the whole
// rest of the prefix. Ranges of one ScanMerged call are ordered by the key suffix after
// their prefix.
struct IndexRange {
  std::string prefix;
  std::string lo;
  std::string hi;
};

class Store;
struct PrefixCursorState;
class WriterCache;

// One group of the writer (see Store::Submit), for Options::on_group.
struct GroupStats {
  size_t mutations = 0;  // mutations the group ran
  uint64_t batches = 0;  // batches it wrote
  // How long its WAL sync took; std::nullopt when it synced nothing (no batch, sync off,
  // or a failed write).
  std::optional<absl::Duration> sync_time;
};

// A forward cursor over the keys under one prefix of one column family, for joins that
// leapfrog between several ordered ranges (e.g. intersecting the postings of every word
// of a query). Reads the snapshot of the ReadView that made it, which must outlive it.
class PrefixCursor {
 public:
  ~PrefixCursor();
  PrefixCursor(const PrefixCursor&) = delete;
  PrefixCursor& operator=(const PrefixCursor&) = delete;

  // Positions at the first key whose suffix (the key after the prefix) is >= `target`.
  absl::Status Seek(absl::string_view target);
  // As Seek, for a `target` at or after the current position (a join's cursors only move
  // forward): a target a few keys ahead is reached by Next, which costs a fraction of a
  // Seek through every level of the LSM; a farther one by Seek.
  absl::Status SeekForward(absl::string_view target);
  // False once the cursor ran past the prefix.
  bool Valid() const;
  // Moves to the next key; only while Valid().
  absl::Status Next();
  // The current key without the prefix, and its value; only while Valid().
  absl::string_view suffix() const;
  absl::string_view value() const;

 private:
  friend class ReadView;
  PrefixCursor() = default;
  std::string prefix_;
  std::string end_;
  std::unique_ptr<PrefixCursorState> state_;
  bool sought_ = false;  // positioned by a Seek at least once
};

// A consistent, read-only view of the database at one instant.
class ReadView {
 public:
  ~ReadView();
  ReadView(const ReadView&) = delete;
  ReadView& operator=(const ReadView&) = delete;

  // The value, std::nullopt if absent.
  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key) const;
  // Parses the value into *message; false if absent; DATA_LOSS if unparsable.
  absl::StatusOr<bool> GetProto(Cf cf, absl::string_view key,
                                google::protobuf::Message* message) const;
  // Calls fn(suffix, value) in ascending suffix order over the union of `ranges`,
  // starting strictly after suffix `after` (empty: from the start), until fn returns false.
  absl::Status ScanMerged(
      Cf cf, const std::vector<IndexRange>& ranges, absl::string_view after,
      const std::function<bool(absl::string_view suffix, absl::string_view value)>& fn) const;
  // ScanMerged over one prefix.
  absl::Status ScanPrefix(
      Cf cf, absl::string_view prefix, absl::string_view after,
      const std::function<bool(absl::string_view suffix, absl::string_view value)>& fn) const;
  // A cursor over the keys under `prefix`, not yet positioned (call Seek).
  std::unique_ptr<PrefixCursor> NewPrefixCursor(Cf cf, absl::string_view prefix) const;

 private:
  friend class Store;
  friend class Txn;
  ReadView(const Store* store, const rocksdb::Snapshot* snapshot, WriterCache* cache = nullptr);
  const Store* store_;
  const rocksdb::Snapshot* snapshot_;  // null: the latest state
  WriterCache* cache_;                 // the writer's (Txn's reader only)
};

// The staged writes of one mutation. Reads see the latest committed state (including
// mutations committed earlier in the same group), not the writes staged here.
class Txn {
 public:
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  const ReadView& reader() const { return reader_; }
  void Put(Cf cf, absl::string_view key, absl::string_view value);
  void PutProto(Cf cf, absl::string_view key, const google::protobuf::Message& message);
  void Delete(Cf cf, absl::string_view key);
  // The revision this batch gets if it commits.
  int64_t revision() const { return revision_; }
  // Appends an event at this revision; fills its revision and index and returns them.
  v1::Event* AddEvent(v1::Event event);
  const std::vector<v1::Event>& events() const { return events_; }
  // The next value of the metadata counter `name` (starting at 1), staged in this batch.
  absl::StatusOr<uint64_t> NextCounter(absl::string_view name);
  // Sums a mutation accumulates by key before it writes them (e.g. counters that several
  // changes of one mutation touch); the store neither reads nor writes them itself.
  std::map<std::string, int64_t>& sums() { return sums_; }
  bool empty() const;
  // Marks a write of bookkeeping without events (a token's last use): it takes no
  // revision, so that every revision of the change feed has events. revision() is then
  // not this batch's and must not be recorded.
  void SetBookkeeping() { bookkeeping_ = true; }

 private:
  friend class Store;
  Txn(const Store* store, int64_t revision);
  // Records a staged write of a key the writer caches (value null: a deletion).
  void NoteCachedWrite(Cf cf, absl::string_view key, const absl::string_view* value);
  const Store* store_;
  ReadView reader_;
  int64_t revision_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  std::vector<v1::Event> events_;
  std::vector<std::pair<std::string, uint64_t>> counters_;
  std::map<std::string, int64_t> sums_;
  bool bookkeeping_ = false;
  // The staged values of keys the writer caches (Options::writer_cached_prefixes; nullopt:
  // deleted), for the cache once the batch is written.
  std::vector<std::pair<std::string, std::optional<std::string>>> cached_writes_;
};

class Store {
 public:
  struct Options {
    // The data directory; created if missing. Required.
    std::string path;
    // Sync the WAL before acknowledging a write. Only tests of non-durable speed turn
    // this off.
    bool sync = true;
    // Replaces the WAL sync (tests of a failing disk); null syncs RocksDB's WAL.
    std::function<absl::Status()> sync_for_testing = nullptr;
    // For tests only (e.g. a disk that fills up, tests/testing/faulty_disk.h): the file
    // system RocksDB uses; null is the real one. Either way every file the store creates
    // is made owner-only (0600).
    std::shared_ptr<rocksdb::FileSystem> file_system = nullptr;
    // Runs once, on the writer thread, when the store fails stop (see Submit), with the
    // failure; e.g. to report the server NOT_SERVING. Must not block.
    std::function<void(const absl::Status&)> on_fail_stop = nullptr;
    // RocksDB's block cache, shared by every column family: index blocks that list pages,
    // searches and reports read stay uncompressed in memory. 0 uses RocksDB's default
    // (32 MiB).
    size_t block_cache_bytes = size_t{256} << 20;
    // Table files RocksDB keeps open (its max_open_files); -1: all of them. d06d bounds
    // it so that connections cannot take the descriptors the store needs
    // (server/d06d/fd_budget.h).
    int max_open_files = -1;
    // Runs on the writer thread after every group it ran (once its answers are decided,
    // before they are given), with what the group did; for metrics. Must be quick.
    std::function<void(const GroupStats&)> on_group = nullptr;
    // Keys the writer's mutations read again and again and only they change: the unit
    // records, the newest report counts, the task id counter. The writer thread keeps
    // their latest committed values in memory (about writer_cache_bytes), so that a
    // mutation's read of one is a hash lookup instead of a search of RocksDB's memtable
    // and levels. Only the writer's reads use it (Txn::reader()); snapshots read RocksDB.
    std::vector<std::pair<Cf, std::string>> writer_cached_prefixes = {
        {Cf::kEntities, "u"}, {Cf::kIndexes, "rc"}, {Cf::kMeta, "next_task_id"}};
    size_t writer_cache_bytes = size_t{64} << 20;
    // Where CreateBackup keeps RocksDB BackupEngine backups (incremental: a table file
    // that two backups share is stored once; every file checksummed). Empty: backups
    // are off (FAILED_PRECONDITION).
    std::string backup_dir = "";
  };

  // One backup in Options::backup_dir.
  struct BackupInfo {
    uint32_t id = 0;
    // The revision the backup holds exactly: every batch up to it, none after it.
    int64_t revision = 0;
    // Bytes of the backup's files (shared files counted in each backup that has them).
    uint64_t size = 0;
    absl::Time time;
  };

  // A mutation stages writes in a Txn; a non-OK status discards them.
  using Mutation = std::function<absl::Status(Txn&)>;
  // Runs on the writer thread once the mutation is durable (or failed).
  using Done = std::function<void(absl::Status)>;

  // Opens or creates the database. FAILED_PRECONDITION if it was written by a newer
  // schema; INTERNAL/UNAVAILABLE for RocksDB errors (e.g. the directory is locked by
  // another process).
  static absl::StatusOr<std::unique_ptr<Store>> Open(const Options& options);

  // Stops the writer after draining queued mutations, flushes the memtables (unless the
  // store failed stop), then closes the database.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Queues a mutation; `done` runs on the writer thread after its batch is durable.
  // After the store started closing, done(UNAVAILABLE) runs at once.
  //
  // Fail-stop: once writing a batch or syncing the WAL has failed (a full disk, an I/O
  // error; not a mutation that refuses), the store takes no more writes until it is
  // reopened: batches it could not make durable are in memory, and later writes could
  // build on them. The mutation whose write failed, and every other of its group whose
  // answer would have been OK, get UNAVAILABLE "storage failed (...)" (their batches may
  // or may not survive a restart); so does every later Submit, at once. Reads go on,
  // and may show those batches until a restart. Options::on_fail_stop runs once.
  // Reopening after the cause is fixed (space freed) recovers every acknowledged write.
  void Submit(Mutation mutation, Done done);
  // Submit and wait.
  absl::Status Apply(Mutation mutation);

  // A snapshot view for reads.
  std::unique_ptr<ReadView> Snapshot() const;
  // The last committed revision (after a failed WAL sync, possibly not durable).
  int64_t revision() const;
  // The last revision whose batch is durable: written and its WAL synced (all of them
  // when Options::sync is off). What the change feed may show.
  int64_t durable_revision() const;
  // Waits until durable_revision() > `after`, the store closes, or `deadline`; returns
  // durable_revision(). Waiters do not slow the writer: it signals them once per group,
  // on a mutex of their own.
  int64_t WaitForRevision(int64_t after, absl::Time deadline) const;
  // Why the store failed stop (see Submit); OK while it takes writes.
  absl::Status failure() const;

  // Backups (Options::backup_dir), online: the writer keeps going while one is taken.
  // A backup is the state at one revision exactly: a checkpoint of the database (hard
  // links of its table files after a flush, taken at an instant) copied into the
  // BackupEngine, the revision read from the checkpoint itself. One at a time.
  absl::StatusOr<BackupInfo> CreateBackup();
  // Every backup, oldest first.
  absl::StatusOr<std::vector<BackupInfo>> ListBackups() const;
  // Checks that each file of backup `id` is there with its size and checksum (reads them
  // all); NOT_FOUND for no such backup, DATA_LOSS naming the first damaged file.
  absl::Status VerifyBackup(uint32_t id) const;
  absl::Status DeleteBackup(uint32_t id);
  // Deletes all but the newest `keep` backups.
  absl::Status PurgeOldBackups(int keep);
  // Verifies the checksum of every block of every table file (RocksDB's VerifyChecksum):
  // reads the whole database. DATA_LOSS on a mismatch.
  absl::Status VerifyChecksums() const;

  // How a restored database continues (etcd's restore --bump-revision --mark-compacted):
  // its next revision is the backup's plus `revision_bump` + 1, and every revision up to
  // it counts as compacted, so that a client that saw revisions past the backup (on the
  // server that was lost) is told REVISION_COMPACTED and resyncs instead of silently
  // missing the writes the backup does not have.
  struct RestoreOptions {
    std::string backup_dir = "";
    uint32_t backup_id = 0;  // 0: the newest
    // An empty or absent directory; anything else is refused.
    std::string data_dir;
    int64_t revision_bump = 1000000;
  };
  // Restores a backup into RestoreOptions::data_dir (no Store may have it open); returns
  // the backup and the revision the restored database starts after.
  struct Restored {
    BackupInfo backup;
    int64_t revision = 0;
  };
  static absl::StatusOr<Restored> Restore(const RestoreOptions& options);

  // Counters since Open, for metrics and benchmarks.
  struct Stats {
    uint64_t mutations = 0;  // mutations run (committed, failed or with nothing to write)
    uint64_t batches = 0;    // batches written
    uint64_t syncs = 0;      // WAL syncs; one covers every batch of a group
    size_t queued = 0;       // mutations waiting for the writer now
  };
  Stats stats() const;

  // Waits until RocksDB has no flush or compaction running or pending (for benchmarks,
  // which measure reads once a load has settled). `flush` first writes every memtable to
  // table files, so that what is read next comes from table files at any size.
  absl::Status AwaitCompactions(bool flush = false) const;
  // What RocksDB reports of itself now, for metrics (DB::GetIntProperty; 0 when a
  // property is unavailable).
  struct EngineStats {
    uint64_t live_data_bytes = 0;           // rocksdb.estimate-live-data-size
    uint64_t sst_files_bytes = 0;           // rocksdb.total-sst-files-size
    uint64_t memtable_bytes = 0;            // rocksdb.cur-size-all-mem-tables
    uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
    uint64_t block_cache_bytes = 0;         // rocksdb.block-cache-usage (one shared cache)
    // Writes RocksDB slowed down or stopped since Open because flushes or compactions
    // fell behind (rocksdb.cfstats' io_stalls, every column family).
    uint64_t write_stalls = 0;
  };
  EngineStats engine_stats() const;

 private:
  friend class ReadView;
  friend class Txn;
  struct Pending {
    Mutation mutation;
    Done done;
  };
  Store(Options options, std::unique_ptr<rocksdb::Env> env, std::unique_ptr<rocksdb::DB> db,
        std::vector<rocksdb::ColumnFamilyHandle*> handles, int64_t revision);
  void WriterLoop();
  rocksdb::ColumnFamilyHandle* handle(Cf cf) const { return handles_[static_cast<size_t>(cf)]; }

  const Options options_;
  // Options::writer_cached_prefixes; only the writer thread uses it.
  std::unique_ptr<WriterCache> writer_cache_;
  std::unique_ptr<rocksdb::Env> env_;  // over options_.file_system; outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);  // the failed write or sync (fail-stop)
  int64_t revision_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread writer_;

  // WaitForRevision's own copy of revision_, so that its waiters never evaluate
  // conditions on mu_, which every Submit takes.
  mutable absl::Mutex backup_mu_;  // one backup operation at a time

  mutable absl::Mutex notify_mu_;
  mutable absl::CondVar revision_moved_;
  int64_t notified_revision_ ABSL_GUARDED_BY(notify_mu_);
  bool notify_closed_ ABSL_GUARDED_BY(notify_mu_) = false;
};

}  // namespace d06

#endif  // D06_STORAGE_STORE_H_
