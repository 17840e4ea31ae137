#include "storage/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <queue>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

constexpr const char* kCfNames[] = {"default", "entities", "indexes", "events", "idempotency"};

// What callers may be told of a RocksDB error: its kind ("IO error: No space left on
// device"), never its text, which names files by their absolute paths.
std::string ErrorKind(const rocksdb::Status& s) {
  std::string kind =
      rocksdb::Status(s.code(), s.subcode(), rocksdb::Status::kNoError, "").ToString();
  while (!kind.empty() && (kind.back() == ' ' || kind.back() == ':')) kind.pop_back();
  return kind;
}

// The one place rocksdb::Status becomes absl::Status. The whole RocksDB message goes to
// d06d's log (stderr); the status, which may reach a client (the fail-stop answer of every
// write, a read error), says only what kind of error it was.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::fprintf(stderr, "d06d: storage: %.*s: %s\n", static_cast<int>(context.size()),
               context.data(), s.ToString().c_str());
  std::string message = absl::StrCat(context, ": ", ErrorKind(s));
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::UnavailableError(
        absl::StrCat(message, " on the LOCK file (is another d06d using this data directory?)"));
  }
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return absl::UnavailableError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  return absl::InternalError(message);
}

// The database's files are its owner's only: RocksDB creates them 0644 (less the umask),
// and task data of every agency is in them. Each file it creates is made 0600 at once
// (inside a data directory that d06d creates 0700, so nobody else could open it meanwhile).
class OwnerOnlyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit OwnerOnlyFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
      : FileSystemWrapper(std::move(base)) {}
  static const char* kClassName() { return "D06OwnerOnlyFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    return OwnerOnly(target()->NewWritableFile(fname, options, result, dbg), fname);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    return OwnerOnly(target()->ReopenWritableFile(fname, options, result, dbg), fname);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    return OwnerOnly(target()->ReuseWritableFile(fname, old_fname, options, result, dbg), fname);
  }
  rocksdb::IOStatus NewRandomRWFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    return OwnerOnly(target()->NewRandomRWFile(fname, options, result, dbg), fname);
  }
  rocksdb::IOStatus LockFile(const std::string& fname, const rocksdb::IOOptions& options,
                             rocksdb::FileLock** lock, rocksdb::IODebugContext* dbg) override {
    return OwnerOnly(target()->LockFile(fname, options, lock, dbg), fname);
  }

 private:
  static rocksdb::IOStatus OwnerOnly(rocksdb::IOStatus created, const std::string& fname) {
    if (created.ok() && chmod(fname.c_str(), S_IRUSR | S_IWUSR) != 0) {
      std::fprintf(stderr, "d06d: storage: cannot make %s owner-only (chmod 600): %s\n",
                   fname.c_str(), std::strerror(errno));
    }
    return created;
  }
};

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// RocksDB's own log (its "info log"): warnings and errors go to stderr, that is d06d's
// log, and nothing to a LOG file in the data directory. RocksDB's file logger aborts the
// process on a full disk: once a write to its file has failed, the next log line trips an
// assertion (`sync_without_flush_called_` in WritableFileWriter; Debian's RocksDB keeps
// asserts), and the write error itself is logged. Informational lines (statistics,
// compactions) are dropped.
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger() : Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    static constexpr const char* kLevels[] = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
    char line[2048];
    int n = vsnprintf(line, sizeof(line), format, ap);
    if (n < 0) return;
    size_t size = std::min(static_cast<size_t>(n), sizeof(line) - 1);
    while (size > 0 && line[size - 1] == '\n') --size;
    std::fprintf(stderr, "d06d: rocksdb %s: %.*s\n",
                 level < rocksdb::InfoLogLevel::HEADER_LEVEL ? kLevels[level] : "?",
                 static_cast<int>(size), line);
  }
};

// The part of a key before its ascending tail (a task id, a revision), from the layout in
// keys.h: the memtable keeps where it last inserted under each such prefix and starts the
// next insert there instead of at the top of its skiplist. New tasks and events append at
// the end of their ranges (each word's postings, each state's tasks), so most of a
// write's keys land next to that hint; without it, finding each key's place was half of
// the writer thread's time.
class InsertHintPrefix final : public rocksdb::SliceTransform {
 public:
  // `indexes`: the layout of column family "indexes"; otherwise the first byte
  // ("entities": a unit, a task, a task's assignments).
  explicit InsertHintPrefix(bool indexes) : indexes_(indexes) {}

  const char* Name() const override {
    return indexes_ ? "d06.IndexInsertHint" : "d06.EntityInsertHint";
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() >= 2; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    if (!indexes_) return rocksdb::Slice(key.data(), 1);
    const absl::string_view k = ToView(key);
    const absl::string_view family = k.substr(0, 2);
    size_t size = 2;
    if (family == "tf" || family == "tl" || family == "tu" || family == "au" || family == "up") {
      // A string ended by 0x00, then: nothing (postings), a state byte (tasks by label
      // or unit), a relation and a bucket byte (assignments by unit), or the state and
      // kind (units by parent).
      const size_t end = k.find('\0', 2);
      size = end == absl::string_view::npos ? k.size()
                                            : end + 1 +
                                                  (family == "tf"   ? 0
                                                   : family == "au" ? 2
                                                   : family == "up" ? 2
                                                                    : 1);
    } else if (family == "ts" || family == "ab") {
      size = 3;  // a state or bucket byte
    } else if (family == "tk" || family == "tg" || family == "us") {
      size = 4;  // kind or urgency, and state
    } else if (family == "tp" || family == "ht") {
      size = 10;  // a task id
    }
    return rocksdb::Slice(key.data(), std::min(size, key.size()));
  }

 private:
  const bool indexes_;
};

std::string EncodeU64(uint64_t v) {
  std::string out;
  keys::PutU64(&out, v);
  return out;
}

absl::StatusOr<uint64_t> DecodeU64(absl::string_view value, absl::string_view what) {
  uint64_t v;
  if (!keys::GetU64(&value, &v) || !value.empty()) {
    return absl::DataLossError(absl::StrCat("metadata ", what, " is malformed"));
  }
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// ReadView

ReadView::ReadView(const Store* store, const rocksdb::Snapshot* snapshot)
    : store_(store), snapshot_(snapshot) {}

ReadView::~ReadView() {
  if (snapshot_ != nullptr) store_->db_->ReleaseSnapshot(snapshot_);
}

absl::StatusOr<std::optional<std::string>> ReadView::Get(Cf cf, absl::string_view key) const {
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot_;
  std::string value;
  rocksdb::Status s = store_->db_->Get(read_options, store_->handle(cf), ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "read"));
  return value;
}

absl::StatusOr<bool> ReadView::GetProto(Cf cf, absl::string_view key,
                                        google::protobuf::Message* message) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value, Get(cf, key));
  if (!value.has_value()) return false;
  if (!message->ParseFromString(*value)) {
    return absl::DataLossError(absl::StrCat("stored ", message->GetTypeName(), " does not parse"));
  }
  return true;
}

absl::Status ReadView::ScanPrefix(
    Cf cf, absl::string_view prefix, absl::string_view after,
    const std::function<bool(absl::string_view, absl::string_view)>& fn) const {
  return ScanMerged(cf, {IndexRange{std::string(prefix), "", ""}}, after, fn);
}

absl::Status ReadView::ScanMerged(
    Cf cf, const std::vector<IndexRange>& ranges, absl::string_view after,
    const std::function<bool(absl::string_view, absl::string_view)>& fn) const {
  struct Cursor {
    std::unique_ptr<rocksdb::Iterator> it;
    std::string end;  // exclusive; empty = none
    size_t prefix_size;
    rocksdb::Slice end_slice;
  };
  std::vector<Cursor> cursors;
  cursors.reserve(ranges.size());
  for (const IndexRange& range : ranges) {
    Cursor cursor;
    cursor.prefix_size = range.prefix.size();
    cursor.end = range.hi.empty() ? keys::PrefixEnd(range.prefix) : range.prefix + range.hi;
    rocksdb::ReadOptions read_options;
    read_options.snapshot = snapshot_;
    cursors.push_back(std::move(cursor));
    Cursor& c = cursors.back();
    if (!c.end.empty()) {
      c.end_slice = rocksdb::Slice(c.end);
      read_options.iterate_upper_bound = &c.end_slice;
    }
    c.it.reset(store_->db_->NewIterator(read_options, store_->handle(cf)));
    std::string start = range.prefix + range.lo;
    std::string resume = range.prefix + std::string(after);
    bool skip_equal = !after.empty() && resume >= start;
    c.it->Seek(skip_equal ? resume : start);
    if (skip_equal && c.it->Valid() && ToView(c.it->key()) == resume) c.it->Next();
  }
  auto suffix = [&](size_t i) {
    return ToView(cursors[i].it->key()).substr(cursors[i].prefix_size);
  };
  auto greater = [&](size_t a, size_t b) { return suffix(a) > suffix(b); };
  std::priority_queue<size_t, std::vector<size_t>, decltype(greater)> heap(greater);
  for (size_t i = 0; i < cursors.size(); ++i) {
    if (cursors[i].it->Valid()) heap.push(i);
    RETURN_IF_ERROR(FromRocks(cursors[i].it->status(), "scan"));
  }
  while (!heap.empty()) {
    size_t i = heap.top();
    heap.pop();
    if (!fn(suffix(i), ToView(cursors[i].it->value()))) return absl::OkStatus();
    cursors[i].it->Next();
    if (cursors[i].it->Valid()) heap.push(i);
    RETURN_IF_ERROR(FromRocks(cursors[i].it->status(), "scan"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// PrefixCursor

struct PrefixCursorState {
  rocksdb::Slice upper_bound;
  std::unique_ptr<rocksdb::Iterator> it;
};

PrefixCursor::~PrefixCursor() = default;

absl::Status PrefixCursor::Seek(absl::string_view target) {
  state_->it->Seek(ToSlice(prefix_ + std::string(target)));
  return FromRocks(state_->it->status(), "scan");
}

absl::Status PrefixCursor::Next() {
  state_->it->Next();
  return FromRocks(state_->it->status(), "scan");
}

bool PrefixCursor::Valid() const { return state_->it->Valid(); }

absl::string_view PrefixCursor::suffix() const {
  return ToView(state_->it->key()).substr(prefix_.size());
}

absl::string_view PrefixCursor::value() const { return ToView(state_->it->value()); }

std::unique_ptr<PrefixCursor> ReadView::NewPrefixCursor(Cf cf, absl::string_view prefix) const {
  std::unique_ptr<PrefixCursor> cursor(new PrefixCursor());
  cursor->prefix_ = std::string(prefix);
  cursor->end_ = keys::PrefixEnd(prefix);
  cursor->state_ = std::make_unique<PrefixCursorState>();
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot_;
  if (!cursor->end_.empty()) {
    cursor->state_->upper_bound = rocksdb::Slice(cursor->end_);
    read_options.iterate_upper_bound = &cursor->state_->upper_bound;
  }
  cursor->state_->it.reset(store_->db_->NewIterator(read_options, store_->handle(cf)));
  return cursor;
}

// ---------------------------------------------------------------------------------------
// Txn

Txn::Txn(const Store* store, int64_t revision)
    : store_(store),
      reader_(store, nullptr),
      revision_(revision),
      batch_(std::make_unique<rocksdb::WriteBatch>()) {}

Txn::~Txn() = default;

void Txn::Put(Cf cf, absl::string_view key, absl::string_view value) {
  batch_->Put(store_->handle(cf), ToSlice(key), ToSlice(value));
}

void Txn::PutProto(Cf cf, absl::string_view key, const google::protobuf::Message& message) {
  Put(cf, key, message.SerializeAsString());
}

void Txn::Delete(Cf cf, absl::string_view key) { batch_->Delete(store_->handle(cf), ToSlice(key)); }

v1::Event* Txn::AddEvent(v1::Event event) {
  event.set_revision(revision_);
  event.set_index(static_cast<int32_t>(events_.size()));
  events_.push_back(std::move(event));
  return &events_.back();
}

absl::StatusOr<uint64_t> Txn::NextCounter(absl::string_view name) {
  for (auto& [counter, value] : counters_) {
    if (counter == name) {
      Put(Cf::kMeta, name, EncodeU64(++value));
      return value;
    }
  }
  ASSIGN_OR_RETURN(std::optional<std::string> stored, reader_.Get(Cf::kMeta, name));
  uint64_t value = 1;
  if (stored.has_value()) {
    ASSIGN_OR_RETURN(uint64_t last, DecodeU64(*stored, name));
    value = last + 1;
  }
  counters_.emplace_back(std::string(name), value);
  Put(Cf::kMeta, name, EncodeU64(value));
  return value;
}

bool Txn::empty() const { return batch_->Count() == 0 && events_.empty(); }

// ---------------------------------------------------------------------------------------
// Store

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const Options& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("data directory is required");
  rocksdb::Options db_options;
  std::unique_ptr<rocksdb::Env> env =
      rocksdb::NewCompositeEnv(std::make_shared<OwnerOnlyFileSystem>(
          options.file_system != nullptr ? options.file_system : rocksdb::FileSystem::Default()));
  db_options.env = env.get();
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  db_options.info_log = std::make_shared<StderrLogger>();
  // Bounds the write-ahead log a start after a crash replays: beyond it, the column
  // families that hold the oldest log are flushed.
  db_options.max_total_wal_size = 256 << 20;
  db_options.max_open_files = options.max_open_files;

  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  if (options.block_cache_bytes > 0) {
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  }
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.compression = rocksdb::kLZ4Compression;
  // The last level holds most of the bytes and is rewritten least often.
  cf_options.bottommost_compression = rocksdb::kZSTD;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kCfNames) descriptors.emplace_back(name, cf_options);
  descriptors[static_cast<size_t>(Cf::kEntities)]
      .options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<InsertHintPrefix>(false);
  descriptors[static_cast<size_t>(Cf::kIndexes)]
      .options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<InsertHintPrefix>(true);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw_db),
                absl::StrCat("open ", options.path)));
  std::unique_ptr<rocksdb::DB> db(raw_db);
  auto close_on_error = [&](absl::Status status) {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    return status;
  };

  // Schema version: write it on a new database, refuse any other.
  rocksdb::ReadOptions read_options;
  std::string value;
  rocksdb::Status s = db->Get(read_options, handles[0], keys::kMetaSchemaVersion, &value);
  int64_t revision = 0;
  if (s.IsNotFound()) {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    s = db->Put(write_options, handles[0], keys::kMetaSchemaVersion,
                std::to_string(keys::kSchemaVersion));
    if (!s.ok()) return close_on_error(FromRocks(s, "write schema version"));
  } else if (!s.ok()) {
    return close_on_error(FromRocks(s, "read schema version"));
  } else {
    int version = 0;
    // Every version so far predates the first release: there is no migration; an older
    // directory is refused, never misread.
    if (!absl::SimpleAtoi(value, &version) || version != keys::kSchemaVersion) {
      return close_on_error(absl::FailedPreconditionError(absl::StrCat(
          "data directory ", options.path, " has schema version '", value,
          "'; this d06d reads version ", keys::kSchemaVersion,
          version > 0 && version < keys::kSchemaVersion
              ? " (an older pre-release layout with no migration: move the directory aside "
                "and start afresh)"
              : "")));
    }
    s = db->Get(read_options, handles[0], keys::kMetaRevision, &value);
    if (s.ok()) {
      auto decoded = DecodeU64(value, keys::kMetaRevision);
      if (!decoded.ok()) return close_on_error(decoded.status());
      revision = static_cast<int64_t>(*decoded);
    } else if (!s.IsNotFound()) {
      return close_on_error(FromRocks(s, "read revision"));
    }
  }
  return std::unique_ptr<Store>(
      new Store(options, std::move(env), std::move(db), std::move(handles), revision));
}

Store::Store(Options options, std::unique_ptr<rocksdb::Env> env, std::unique_ptr<rocksdb::DB> db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles, int64_t revision)
    : options_(std::move(options)),
      env_(std::move(env)),
      db_(std::move(db)),
      handles_(std::move(handles)),
      revision_(revision),
      notified_revision_(revision) {
  writer_ = std::thread([this] { WriterLoop(); });
}

Store::~Store() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  writer_.join();
  {
    absl::MutexLock lock(&notify_mu_);
    notify_closed_ = true;
  }
  revision_moved_.SignalAll();
  // Flushed memtables leave nothing to replay from the write-ahead log at the next start,
  // which then takes well under a second at any size, and the WAL files go. Not after a
  // failed write or sync: what is in memory may not be durable, and the disk may be full.
  if (failure().ok()) {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    rocksdb::Status s = db_->Flush(flush, handles_);
    if (!s.ok()) std::fprintf(stderr, "d06d: flush at close: %s\n", s.ToString().c_str());
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
}

namespace {

// The answer to every write once a write or a WAL sync has failed.
absl::Status FailStopped(const absl::Status& failed) {
  return absl::UnavailableError(absl::StrCat("storage failed (", failed.message(),
                                             "); this server takes no more writes until it "
                                             "is restarted"));
}

}  // namespace

void Store::Submit(Mutation mutation, Done done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (closing_) {
      refused = absl::UnavailableError("the store is shutting down; retry on another server");
    } else if (!failed_.ok()) {
      refused = FailStopped(failed_);
    } else {
      queue_.push_back(Pending{std::move(mutation), std::move(done)});
      return;
    }
  }
  done(std::move(refused));
}

absl::Status Store::Apply(Mutation mutation) {
  absl::Mutex mu;
  bool finished = false;
  absl::Status result;
  Submit(std::move(mutation), [&](absl::Status status) {
    absl::MutexLock lock(&mu);
    result = std::move(status);
    finished = true;
  });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&finished));
  return result;
}

std::unique_ptr<ReadView> Store::Snapshot() const {
  return std::unique_ptr<ReadView>(new ReadView(this, db_->GetSnapshot()));
}

int64_t Store::revision() const {
  absl::MutexLock lock(&mu_);
  return revision_;
}

int64_t Store::durable_revision() const {
  absl::MutexLock lock(&notify_mu_);
  return notified_revision_;
}

int64_t Store::WaitForRevision(int64_t after, absl::Time deadline) const {
  absl::MutexLock lock(&notify_mu_);
  while (notified_revision_ <= after && !notify_closed_) {
    if (revision_moved_.WaitWithDeadline(&notify_mu_, deadline)) break;  // timed out
  }
  return notified_revision_;
}

absl::Status Store::failure() const {
  absl::MutexLock lock(&mu_);
  return failed_;
}

Store::Stats Store::stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats = stats_;
  stats.queued = queue_.size();
  return stats;
}

Store::EngineStats Store::engine_stats() const {
  EngineStats out;
  auto sum = [this](const char* property) {
    uint64_t value = 0;
    return db_->GetAggregatedIntProperty(property, &value) ? value : 0;
  };
  out.live_data_bytes = sum("rocksdb.estimate-live-data-size");
  out.sst_files_bytes = sum("rocksdb.total-sst-files-size");
  out.memtable_bytes = sum("rocksdb.cur-size-all-mem-tables");
  out.pending_compaction_bytes = sum("rocksdb.estimate-pending-compaction-bytes");
  // Every column family shares one cache: any of them reports all of it.
  uint64_t value = 0;
  if (db_->GetIntProperty(handles_[0], "rocksdb.block-cache-usage", &value)) {
    out.block_cache_bytes = value;
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    std::map<std::string, std::string> stats;
    if (!db_->GetMapProperty(handle, "rocksdb.cfstats", &stats)) continue;
    for (const char* key : {"io_stalls.total_stop", "io_stalls.total_slowdown"}) {
      uint64_t count = 0;
      auto it = stats.find(key);
      if (it != stats.end() && absl::SimpleAtoi(it->second, &count)) out.write_stalls += count;
    }
  }
  return out;
}

void Store::WriterLoop() {
  std::deque<Pending> group;
  std::vector<absl::Status> results;
  while (true) {
    absl::Status failed;
    int64_t revision;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Store* s)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return !s->queue_.empty() || s->closing_; },
          this));
      if (queue_.empty()) return;  // closing and drained
      group.swap(queue_);
      // Only this thread changes these; a copy serves the whole group.
      failed = failed_;
      revision = revision_;
    }
    if (!failed.ok()) {
      for (Pending& pending : group) pending.done(FailStopped(failed));
      group.clear();
      continue;
    }
    // Run each mutation and write its batch unsynced; one WAL sync covers the group.
    results.clear();
    uint64_t batches = 0;
    // A failed write or sync stops the store (fail-stop): every OK answer of the group
    // becomes UNAVAILABLE (what it wrote, or read, is not durable), the rest of the group
    // does not run, and the group is not synced: after a failed write-ahead log append,
    // RocksDB's log writer asserts (aborting the process) if it is asked to sync.
    auto fail_stop = [&](absl::Status cause) {
      failed = std::move(cause);
      for (absl::Status& status : results) {
        if (status.ok()) status = FailStopped(failed);
      }
    };
    for (Pending& pending : group) {
      if (!failed.ok()) {
        results.push_back(FailStopped(failed));
        continue;
      }
      Txn txn(this, revision + 1);
      absl::Status status = pending.mutation(txn);
      if (status.ok() && !txn.empty()) {
        for (const v1::Event& event : txn.events()) {
          txn.PutProto(Cf::kEvents, keys::EventKey(event.revision(), event.index()), event);
        }
        const bool takes_revision = !txn.bookkeeping_ || !txn.events().empty();
        if (takes_revision) {
          txn.Put(Cf::kMeta, keys::kMetaRevision, EncodeU64(static_cast<uint64_t>(revision + 1)));
        }
        rocksdb::WriteOptions write_options;
        write_options.sync = false;
        absl::Status written = FromRocks(db_->Write(write_options, txn.batch_.get()), "write");
        if (written.ok()) {
          if (takes_revision) ++revision;
          ++batches;
        } else {
          fail_stop(std::move(written));
          status = FailStopped(failed);
        }
      }
      results.push_back(std::move(status));
    }
    const bool sync = batches > 0 && options_.sync && failed.ok();
    GroupStats group_stats{group.size(), batches, std::nullopt};
    if (sync) {
      const absl::Time sync_start = absl::Now();
      absl::Status synced = options_.sync_for_testing
                                ? options_.sync_for_testing()
                                : FromRocks(db_->SyncWAL(), "sync write-ahead log");
      if (!synced.ok()) fail_stop(std::move(synced));
      group_stats.sync_time = absl::Now() - sync_start;
    }
    bool now_failed = false;
    {
      absl::MutexLock lock(&mu_);
      if (!failed.ok() && failed_.ok()) {
        failed_ = failed;
        now_failed = true;
      }
      revision_ = revision;
      stats_.mutations += group.size();
      stats_.batches += batches;
      stats_.syncs += sync ? 1 : 0;
    }
    if (batches > 0 && failed.ok()) {  // after a failed sync, not durable: never shown
      {
        absl::MutexLock lock(&notify_mu_);
        notified_revision_ = revision;
      }
      revision_moved_.SignalAll();
    }
    if (now_failed && options_.on_fail_stop) options_.on_fail_stop(failed);
    if (options_.on_group) options_.on_group(group_stats);
    for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(results[i]));
    group.clear();
  }
}

}  // namespace d06
