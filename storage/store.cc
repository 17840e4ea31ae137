#include "storage/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <queue>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/backup_engine.h"
#include "rocksdb/utilities/checkpoint.h"
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
// d06d's log (common/log.h); the status, which may reach a client (the fail-stop answer of every
// write, a read error), says only what kind of error it was.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  log::Error(absl::StrCat("storage: ", context, ": ", s.ToString()));
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
      log::Error(absl::StrCat("storage: cannot make ", fname,
                              " owner-only (chmod 600): ", std::strerror(errno)));
    }
    return created;
  }
};

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// RocksDB's own log (its "info log"): warnings and errors go to d06d's log (common/log.h),
// "rocksdb: ..." at its level, and nothing to a LOG file in the data directory. RocksDB's file
// logger aborts the process on a full disk: once a write to its file has failed, the next log line
// trips an assertion (`sync_without_flush_called_` in WritableFileWriter; Debian's RocksDB keeps
// asserts), and the write error itself is logged. Informational lines (statistics,
// compactions) are dropped.
class ForwardingLogger final : public rocksdb::Logger {
 public:
  ForwardingLogger() : Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    char line[2048];
    int n = vsnprintf(line, sizeof(line), format, ap);
    if (n < 0) return;
    size_t size = std::min(static_cast<size_t>(n), sizeof(line) - 1);
    while (size > 0 && line[size - 1] == '\n') --size;
    log::Write(level >= rocksdb::InfoLogLevel::ERROR_LEVEL  ? log::Level::kError
               : level >= rocksdb::InfoLogLevel::WARN_LEVEL ? log::Level::kWarning
               : level >= rocksdb::InfoLogLevel::INFO_LEVEL ? log::Level::kInfo
                                                            : log::Level::kDebug,
               absl::StrCat("rocksdb: ", absl::string_view(line, size)));
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

// The writer's cache of the keys of Options::writer_cached_prefixes: the latest committed
// value of each key read (nullopt: absent), updated as the writer writes them. Only the
// writer thread uses it, so it needs no lock; when full it starts again empty.
class WriterCache {
 public:
  WriterCache(std::vector<std::pair<Cf, std::string>> prefixes, size_t max_bytes)
      : prefixes_(std::move(prefixes)), max_bytes_(max_bytes) {}

  // The cache's key for `key` of `cf`, or "" when it is not cached.
  std::string KeyOf(Cf cf, absl::string_view key) const {
    for (const auto& [family, prefix] : prefixes_) {
      if (family == cf && absl::StartsWith(key, prefix)) {
        return absl::StrCat(absl::string_view(reinterpret_cast<const char*>(&cf), 1), key);
      }
    }
    return "";
  }
  const std::optional<std::string>* Find(const std::string& cache_key) const {
    auto it = entries_.find(cache_key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  void Remember(std::string cache_key, std::optional<std::string> value) {
    const size_t bytes = kEntryOverhead + cache_key.size() + (value ? value->size() : 0);
    if (bytes_ + bytes > max_bytes_) {
      entries_.clear();
      bytes_ = 0;
    }
    bytes_ += bytes;
    entries_.emplace(std::move(cache_key), std::move(value));
  }
  // A batch with these writes of cached keys is written: the keys held take their values.
  void Written(std::vector<std::pair<std::string, std::optional<std::string>>>& writes) {
    for (auto& [cache_key, value] : writes) {
      auto it = entries_.find(cache_key);
      if (it == entries_.end()) continue;
      bytes_ = bytes_ + (value ? value->size() : 0) - (it->second ? it->second->size() : 0);
      it->second = std::move(value);
    }
  }

 private:
  // A map slot and two strings' headers, about.
  static constexpr size_t kEntryOverhead = 80;
  const std::vector<std::pair<Cf, std::string>> prefixes_;
  const size_t max_bytes_;
  size_t bytes_ = 0;
  absl::flat_hash_map<std::string, std::optional<std::string>> entries_;
};

ReadView::ReadView(const Store* store, const rocksdb::Snapshot* snapshot, WriterCache* cache)
    : store_(store), snapshot_(snapshot), cache_(cache) {}

ReadView::~ReadView() {
  if (snapshot_ != nullptr) store_->db_->ReleaseSnapshot(snapshot_);
}

absl::StatusOr<std::optional<std::string>> ReadView::Get(Cf cf, absl::string_view key) const {
  std::string cache_key;
  if (cache_ != nullptr) {
    cache_key = cache_->KeyOf(cf, key);
    if (!cache_key.empty()) {
      if (const std::optional<std::string>* cached = cache_->Find(cache_key)) return *cached;
    }
  }
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot_;
  std::optional<std::string> value(std::in_place);
  rocksdb::Status s = store_->db_->Get(read_options, store_->handle(cf), ToSlice(key), &*value);
  if (s.IsNotFound()) {
    value.reset();
  } else {
    RETURN_IF_ERROR(FromRocks(s, "read"));
  }
  if (!cache_key.empty()) cache_->Remember(std::move(cache_key), value);
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
  sought_ = true;
  state_->it->Seek(ToSlice(prefix_ + std::string(target)));
  return FromRocks(state_->it->status(), "scan");
}

absl::Status PrefixCursor::SeekForward(absl::string_view target) {
  // Nexts tried before a Seek: a Seek repositions every level's iterator, a Next moves
  // one of them, so a few Nexts cost less than one Seek.
  constexpr int kNextsBeforeSeek = 8;
  if (!sought_) return Seek(target);
  for (int i = 0; i <= kNextsBeforeSeek; ++i) {
    // Past the end stays past the end: no key after the position is >= target either.
    if (!Valid() || suffix() >= target) return absl::OkStatus();
    if (i < kNextsBeforeSeek) RETURN_IF_ERROR(Next());
  }
  return Seek(target);
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
      reader_(store, nullptr, store->writer_cache_.get()),
      revision_(revision),
      batch_(std::make_unique<rocksdb::WriteBatch>()) {}

Txn::~Txn() = default;

void Txn::Put(Cf cf, absl::string_view key, absl::string_view value) {
  batch_->Put(store_->handle(cf), ToSlice(key), ToSlice(value));
  NoteCachedWrite(cf, key, &value);
}

void Txn::PutProto(Cf cf, absl::string_view key, const google::protobuf::Message& message) {
  Put(cf, key, message.SerializeAsString());
}

void Txn::Delete(Cf cf, absl::string_view key) {
  batch_->Delete(store_->handle(cf), ToSlice(key));
  NoteCachedWrite(cf, key, nullptr);
}

void Txn::NoteCachedWrite(Cf cf, absl::string_view key, const absl::string_view* value) {
  if (store_->writer_cache_ == nullptr) return;
  std::string cache_key = store_->writer_cache_->KeyOf(cf, key);
  if (cache_key.empty()) return;
  cached_writes_.emplace_back(std::move(cache_key),
                              value != nullptr ? std::optional<std::string>(*value) : std::nullopt);
}

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

namespace {

// The database's options and column families, as every opener of a d06 directory (the
// store, a backup's checkpoint, a restore) must give them.
struct DbSetup {
  rocksdb::Options db;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
};

DbSetup MakeDbSetup(rocksdb::Env* env, size_t block_cache_bytes, int max_open_files) {
  DbSetup setup;
  rocksdb::Options& db_options = setup.db;
  db_options.env = env;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  db_options.info_log = std::make_shared<ForwardingLogger>();
  // Bounds the write-ahead log a start after a crash replays: beyond it, the column
  // families that hold the oldest log are flushed.
  db_options.max_total_wal_size = 256 << 20;
  db_options.max_open_files = max_open_files;

  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  if (block_cache_bytes > 0) table.block_cache = rocksdb::NewLRUCache(block_cache_bytes);
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.compression = rocksdb::kLZ4Compression;
  // The last level holds most of the bytes and is rewritten least often.
  cf_options.bottommost_compression = rocksdb::kZSTD;

  for (const char* name : kCfNames) setup.families.emplace_back(name, cf_options);
  setup.families[static_cast<size_t>(Cf::kEntities)]
      .options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<InsertHintPrefix>(false);
  setup.families[static_cast<size_t>(Cf::kIndexes)]
      .options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<InsertHintPrefix>(true);
  return setup;
}

// An open RocksDB database of d06 with its column family handles (Cf order), closed
// when it goes.
struct OpenDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ~OpenDb() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    if (db != nullptr) db->Close();
  }
};

absl::StatusOr<std::unique_ptr<OpenDb>> OpenRocks(const DbSetup& setup, const std::string& path) {
  auto open = std::make_unique<OpenDb>();
  rocksdb::DB* raw_db = nullptr;
  // The path goes to the log only: the status may reach a client (a backup's checkpoint).
  const rocksdb::Status opened =
      rocksdb::DB::Open(setup.db, path, setup.families, &open->handles, &raw_db);
  if (!opened.ok()) log::Error(absl::StrCat("storage: cannot open the database in ", path));
  RETURN_IF_ERROR(FromRocks(opened, "open the database"));
  open->db.reset(raw_db);
  return open;
}

absl::StatusOr<int64_t> ReadRevision(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), meta, keys::kMetaRevision, &value);
  if (s.IsNotFound()) return 0;
  RETURN_IF_ERROR(FromRocks(s, "read revision"));
  ASSIGN_OR_RETURN(uint64_t revision, DecodeU64(value, keys::kMetaRevision));
  return static_cast<int64_t>(revision);
}

// A migration of the layout from schema version `from` to from + 1, run at start-up in
// one atomic batch (with the new version) before anything reads the data.
struct Migration {
  int from;
  std::function<absl::Status(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>&,
                             rocksdb::WriteBatch* batch)>
      migrate;
};

// Every migration, in order. None yet: versions 1 to 3 were layouts before the first
// release, which no deployment holds; a directory of one of them is refused (below).
// A release that changes the layout bumps keys::kSchemaVersion and adds its step here.
const std::vector<Migration>& Migrations() {
  static const auto* migrations = new std::vector<Migration>();
  return *migrations;
}

// The oldest schema version the migrations above start from.
constexpr int kOldestMigratable = keys::kSchemaVersion;

// Writes the schema version of a new database; refuses a newer one; migrates an older
// one that Migrations() covers, refuses the rest.
absl::Status CheckSchema(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                         const std::string& path) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), handles[0], keys::kMetaSchemaVersion, &value);
  if (s.IsNotFound()) {
    return FromRocks(db->Put(write_options, handles[0], keys::kMetaSchemaVersion,
                             std::to_string(keys::kSchemaVersion)),
                     "write schema version");
  }
  RETURN_IF_ERROR(FromRocks(s, "read schema version"));
  int version = 0;
  if (!absl::SimpleAtoi(value, &version) || version <= 0) {
    return absl::FailedPreconditionError(absl::StrCat("data directory ", path,
                                                      " has an unreadable schema version '", value,
                                                      "'; it is not a d06 directory"));
  }
  if (version > keys::kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", path, " has schema version ", version,
        ", written by a newer d06d; this d06d reads schema version ", keys::kSchemaVersion,
        " and never opens a newer layout: run the newer d06d (or restore a backup taken "
        "before the upgrade into an empty directory)"));
  }
  if (version < kOldestMigratable) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", path, " has schema version ", version,
                     "; this d06d reads schema version ", keys::kSchemaVersion,
                     " (an older pre-release layout with no migration: move the "
                     "directory aside and start afresh)"));
  }
  for (const Migration& migration : Migrations()) {
    if (migration.from != version) continue;
    rocksdb::WriteBatch batch;
    RETURN_IF_ERROR(migration.migrate(db, handles, &batch));
    batch.Put(handles[0], keys::kMetaSchemaVersion, std::to_string(version + 1));
    RETURN_IF_ERROR(FromRocks(db->Write(write_options, &batch),
                              absl::StrCat("migrate schema ", version, " to ", version + 1)));
    log::Info(absl::StrCat("storage: migrated ", path, " from schema version ", version, " to ",
                           version + 1));
    ++version;
  }
  if (version != keys::kSchemaVersion) {
    return absl::InternalError(absl::StrCat("no migration from schema version ", version));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const Options& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("data directory is required");
  std::unique_ptr<rocksdb::Env> env =
      rocksdb::NewCompositeEnv(std::make_shared<OwnerOnlyFileSystem>(
          options.file_system != nullptr ? options.file_system : rocksdb::FileSystem::Default()));
  const DbSetup setup = MakeDbSetup(env.get(), options.block_cache_bytes, options.max_open_files);
  ASSIGN_OR_RETURN(std::unique_ptr<OpenDb> open, OpenRocks(setup, options.path));
  RETURN_IF_ERROR(CheckSchema(open->db.get(), open->handles, options.path));
  ASSIGN_OR_RETURN(const int64_t revision, ReadRevision(open->db.get(), open->handles[0]));
  std::unique_ptr<rocksdb::DB> db = std::move(open->db);
  std::vector<rocksdb::ColumnFamilyHandle*> handles = std::move(open->handles);
  open->handles.clear();
  return std::unique_ptr<Store>(
      new Store(options, std::move(env), std::move(db), std::move(handles), revision));
}

Store::Store(Options options, std::unique_ptr<rocksdb::Env> env, std::unique_ptr<rocksdb::DB> db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles, int64_t revision)
    : options_(std::move(options)),
      writer_cache_(options_.writer_cached_prefixes.empty()
                        ? nullptr
                        : std::make_unique<WriterCache>(options_.writer_cached_prefixes,
                                                        options_.writer_cache_bytes)),
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
    if (!s.ok()) log::Error(absl::StrCat("storage: flush at close: ", s.ToString()));
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

absl::Status Store::AwaitCompactions(bool flush) const {
  if (flush) {
    rocksdb::FlushOptions options;
    options.wait = true;
    RETURN_IF_ERROR(FromRocks(db_->Flush(options, handles_), "flushing the memtables"));
  }
  while (true) {
    bool busy = false;
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      for (const char* property :
           {"rocksdb.compaction-pending", "rocksdb.num-running-compactions",
            "rocksdb.num-running-flushes", "rocksdb.mem-table-flush-pending"}) {
        uint64_t value = 0;
        if (!db_->GetIntProperty(h, property, &value)) {
          return absl::InternalError(absl::StrCat("RocksDB has no property ", property));
        }
        busy = busy || value > 0;
      }
    }
    if (!busy) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(100));
  }
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
          if (writer_cache_ != nullptr) writer_cache_->Written(txn.cached_writes_);
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

// ---------------------------------------------------------------------------------------
// Backups

namespace {

// The backup's revision as its app metadata: "revision=N".
constexpr absl::string_view kRevisionMetadata = "revision=";

Store::BackupInfo FromRocksInfo(const rocksdb::BackupInfo& info) {
  Store::BackupInfo out;
  out.id = info.backup_id;
  out.size = info.size;
  out.time = absl::FromUnixSeconds(info.timestamp);
  absl::string_view metadata = info.app_metadata;
  if (absl::ConsumePrefix(&metadata, kRevisionMetadata)) {
    (void)absl::SimpleAtoi(metadata, &out.revision);
  }
  return out;
}

absl::Status RequireBackupDir(const std::string& backup_dir) {
  if (backup_dir.empty()) {
    return absl::FailedPreconditionError(
        "backups are off: start d06d with --backup_dir=DIR (a directory on another disk)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> OpenBackupEngine(
    const std::string& backup_dir, rocksdb::Env* env) {
  RETURN_IF_ERROR(RequireBackupDir(backup_dir));
  rocksdb::BackupEngineOptions options(backup_dir);
  options.max_background_operations = 1;  // 2 cores: leave one to the server
  rocksdb::BackupEngine* engine = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::BackupEngine::Open(options, env, &engine),
                            "open the backup directory (--backup_dir)"));
  return std::unique_ptr<rocksdb::BackupEngine>(engine);
}

absl::StatusOr<Store::BackupInfo> InfoOf(rocksdb::BackupEngine* engine, uint32_t id) {
  rocksdb::BackupInfo info;
  rocksdb::Status s = engine->GetBackupInfo(id, &info);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("there is no backup ", id));
  }
  RETURN_IF_ERROR(FromRocks(s, "read backup"));
  return FromRocksInfo(info);
}

// Removes a directory tree; errors are only logged (a leftover is removed next time).
void RemoveTree(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) {
    log::Warning(absl::StrCat("storage: cannot remove ", path, ": ", error.message()));
  }
}

}  // namespace

absl::StatusOr<Store::BackupInfo> Store::CreateBackup() {
  RETURN_IF_ERROR(RequireBackupDir(options_.backup_dir));
  absl::MutexLock lock(&backup_mu_);
  // The checkpoint lives in the data directory: its hard links need the same file
  // system. A leftover of a crash is removed first.
  const std::string checkpoint_dir = options_.path + "/backup-checkpoint";
  RemoveTree(checkpoint_dir);
  rocksdb::Checkpoint* raw_checkpoint = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw_checkpoint), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw_checkpoint);
  // Flushes the memtables (log_size_for_flush 0) and links the table files; the
  // write-ahead log written since is copied, so the checkpoint is one instant.
  RETURN_IF_ERROR(FromRocks(checkpoint->CreateCheckpoint(checkpoint_dir, 0), "checkpoint"));
  absl::StatusOr<BackupInfo> result = [&]() -> absl::StatusOr<BackupInfo> {
    DbSetup setup = MakeDbSetup(env_.get(), 0, 64);
    // A copy read once: compacting it would only cost the server's disk.
    for (auto& family : setup.families) family.options.disable_auto_compactions = true;
    ASSIGN_OR_RETURN(std::unique_ptr<OpenDb> open, OpenRocks(setup, checkpoint_dir));
    ASSIGN_OR_RETURN(const int64_t revision, ReadRevision(open->db.get(), open->handles[0]));
    ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngine> engine,
                     OpenBackupEngine(options_.backup_dir, env_.get()));
    rocksdb::CreateBackupOptions create;
    create.flush_before_backup = true;  // the checkpoint's replayed log into table files
    rocksdb::BackupID id = 0;
    RETURN_IF_ERROR(
        FromRocks(engine->CreateNewBackupWithMetadata(
                      create, open->db.get(), absl::StrCat(kRevisionMetadata, revision), &id),
                  "back up to --backup_dir"));
    return InfoOf(engine.get(), id);
  }();
  RemoveTree(checkpoint_dir);
  return result;
}

absl::StatusOr<std::vector<Store::BackupInfo>> Store::ListBackups() const {
  absl::MutexLock lock(&backup_mu_);
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngine> engine,
                   OpenBackupEngine(options_.backup_dir, env_.get()));
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  std::vector<BackupInfo> out;
  for (const rocksdb::BackupInfo& info : infos) out.push_back(FromRocksInfo(info));
  std::sort(out.begin(), out.end(),
            [](const BackupInfo& a, const BackupInfo& b) { return a.id < b.id; });
  return out;
}

absl::Status Store::VerifyBackup(uint32_t id) const {
  absl::MutexLock lock(&backup_mu_);
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngine> engine,
                   OpenBackupEngine(options_.backup_dir, env_.get()));
  RETURN_IF_ERROR(InfoOf(engine.get(), id).status());
  rocksdb::IOStatus s = engine->VerifyBackup(id, /*verify_with_checksum=*/true);
  if (s.IsNotFound() || s.IsCorruption()) {
    // Its message names the damaged file of the backup, not of the data directory.
    return absl::DataLossError(absl::StrCat("backup ", id, " is damaged: ", s.ToString()));
  }
  return FromRocks(s, absl::StrCat("verify backup ", id));
}

absl::Status Store::DeleteBackup(uint32_t id) {
  absl::MutexLock lock(&backup_mu_);
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngine> engine,
                   OpenBackupEngine(options_.backup_dir, env_.get()));
  RETURN_IF_ERROR(InfoOf(engine.get(), id).status());
  return FromRocks(engine->DeleteBackup(id), absl::StrCat("delete backup ", id));
}

absl::Status Store::PurgeOldBackups(int keep) {
  if (keep <= 0) return absl::InvalidArgumentError("keep at least one backup");
  absl::MutexLock lock(&backup_mu_);
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngine> engine,
                   OpenBackupEngine(options_.backup_dir, env_.get()));
  return FromRocks(engine->PurgeOldBackups(static_cast<uint32_t>(keep)), "purge old backups");
}

absl::Status Store::VerifyChecksums() const {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  return FromRocks(db_->VerifyChecksum(read_options), "verify checksums");
}

absl::StatusOr<Store::Restored> Store::Restore(const RestoreOptions& options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--data_dir is required");
  if (options.revision_bump < 0) return absl::InvalidArgumentError("a negative revision bump");
  std::error_code error;
  if (std::filesystem::exists(options.data_dir, error) &&
      !std::filesystem::is_empty(options.data_dir, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", options.data_dir,
                     " is not empty; restore only into an empty or new directory"));
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read data directory ", options.data_dir, ": ", error.message()));
  }
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(
      std::make_shared<OwnerOnlyFileSystem>(rocksdb::FileSystem::Default()));
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngine> engine,
                   OpenBackupEngine(options.backup_dir, env.get()));
  Restored restored;
  if (options.backup_id == 0) {
    rocksdb::BackupInfo latest;
    rocksdb::Status s = engine->GetLatestBackupInfo(&latest);
    if (s.IsNotFound()) {
      return absl::NotFoundError(absl::StrCat("there is no backup in ", options.backup_dir));
    }
    RETURN_IF_ERROR(FromRocks(s, "read backups"));
    restored.backup = FromRocksInfo(latest);
  } else {
    ASSIGN_OR_RETURN(restored.backup, InfoOf(engine.get(), options.backup_id));
  }
  std::filesystem::create_directories(options.data_dir, error);
  if (!error) {
    std::filesystem::permissions(options.data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, error);
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", options.data_dir, ": ", error.message()));
  }
  RETURN_IF_ERROR(
      FromRocks(engine->RestoreDBFromBackup(rocksdb::RestoreOptions(), restored.backup.id,
                                            options.data_dir, options.data_dir),
                absl::StrCat("restore backup ", restored.backup.id)));
  // The revision bump, and every revision up to it compacted.
  const DbSetup setup = MakeDbSetup(env.get(), 0, -1);
  ASSIGN_OR_RETURN(std::unique_ptr<OpenDb> open, OpenRocks(setup, options.data_dir));
  RETURN_IF_ERROR(CheckSchema(open->db.get(), open->handles, options.data_dir));
  ASSIGN_OR_RETURN(const int64_t revision, ReadRevision(open->db.get(), open->handles[0]));
  if (revision != restored.backup.revision) {
    return absl::DataLossError(absl::StrCat("backup ", restored.backup.id, " holds revision ",
                                            revision, " but was recorded at revision ",
                                            restored.backup.revision));
  }
  restored.revision = revision + options.revision_bump;
  rocksdb::WriteBatch batch;
  batch.Put(open->handles[0], keys::kMetaRevision,
            EncodeU64(static_cast<uint64_t>(restored.revision)));
  batch.Put(open->handles[0], keys::kMetaOldestEventRevision,
            EncodeU64(static_cast<uint64_t>(restored.revision + 1)));
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  RETURN_IF_ERROR(FromRocks(open->db->Write(write_options, &batch), "bump the revision"));
  rocksdb::FlushOptions flush;
  RETURN_IF_ERROR(FromRocks(open->db->Flush(flush, open->handles), "flush"));
  return restored;
}

}  // namespace d06
