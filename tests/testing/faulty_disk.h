// A RocksDB file system with storage faults on demand, for tests of what d06 acknowledges
// when the disk misbehaves (after LevelDB's and RocksDB's fault-injection file systems):
//   Fill()           the disk is full: every write and sync fails with NoSpace (ENOSPC);
//   FailWrites()     every write fails with an I/O error (EIO), as a dying disk does;
//   FailWritesAfter(n, suffix)
//                    the same, from the (n+1)th append on to a file whose name ends in
//                    `suffix` (".log": the write-ahead log): a fault at an exact place in a
//                    stream of writes, e.g. between two appends of one change;
//   FailSyncs()      writes succeed, every sync fails with an I/O error;
//   SlowSyncs(d)     every sync takes `d` longer;
//   LieAboutSyncs()  a sync answers OK without making anything durable (a disk cache that
//                    lies, or a writer that forgot to sync): a later power cut loses what
//                    it "synced";
//   CutPower()       the machine loses power: from now on every write, sync, create, rename
//                    and delete fails (reads still work, so a server can still be stopped);
//   RestorePower()   power is back: every file written through this file system keeps only
//                    the bytes it had synced (the unsynced tail is dropped, a file never
//                    synced is emptied) and every fault is cleared.
//   Free()           clears every fault but a power cut.
// Opening and reading files keep working under every fault.
//
// What it does not simulate: directory entries (a file created or renamed is taken as
// durable at once; RocksDB syncs the directory after either) and torn sectors within a
// synced range.
//
// Header-only. Example:
//
//   auto disk = std::make_shared<d06::testing::FaultyDisk>();
//   Store::Options options{dir};
//   options.file_system = disk;          // the store's testing seam (storage/store.h)
//   auto store = Store::Open(options);
//   ...                                  // writes succeed
//   disk->CutPower();                    // the machine dies here
//   store->reset();                      // (its close fails to write anything)
//   disk->RestorePower();                // what was not synced is gone
//
// Thread-safe.
#ifndef D06_TESTS_TESTING_FAULTY_DISK_H_
#define D06_TESTS_TESTING_FAULTY_DISK_H_

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rocksdb/file_system.h"
#include "rocksdb/io_status.h"

namespace d06::testing {

class FaultyDisk : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultyDisk(std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default())
      : FileSystemWrapper(std::move(base)) {}

  static const char* kClassName() { return "D06FaultyDisk"; }
  const char* Name() const override { return kClassName(); }

  void Fill() { write_fault_ = Fault::kNoSpace; }
  void FailWrites() { write_fault_ = Fault::kIoError; }
  void FailWritesAfter(int appends, const std::string& suffix = "") {
    absl::MutexLock lock(&mu_);
    appends_left_ = appends;
    count_appends_to_ = suffix;
  }
  void FailSyncs() { sync_fault_ = Fault::kIoError; }
  void SlowSyncs(absl::Duration extra) {
    absl::MutexLock lock(&mu_);
    sync_delay_ = extra;
  }
  // Only files whose name ends in `suffix` (".log": the write-ahead log).
  void LieAboutSyncs(const std::string& suffix = "") {
    {
      absl::MutexLock lock(&mu_);
      lie_about_ = suffix;
    }
    lying_ = true;
  }
  void Free() {
    write_fault_ = Fault::kNone;
    sync_fault_ = Fault::kNone;
    lying_ = false;
    absl::MutexLock lock(&mu_);
    sync_delay_ = absl::ZeroDuration();
    appends_left_ = -1;
  }
  void CutPower() { power_off_ = true; }
  // Drops every byte not synced; returns how many, or the error of a truncate.
  absl::StatusOr<uint64_t> RestorePower() {
    Free();
    uint64_t dropped = 0;
    {
      absl::MutexLock lock(&mu_);
      for (auto& [fname, file] : files_) {
        if (file.synced >= file.size) continue;
        if (::truncate(fname.c_str(), static_cast<off_t>(file.synced)) != 0 && errno != ENOENT) {
          return absl::InternalError("truncate " + fname + ": " + std::strerror(errno));
        }
        dropped += file.size - file.synced;
        file.size = file.synced;
      }
    }
    power_off_ = false;
    return dropped;
  }

  bool full() const { return write_fault_ == Fault::kNoSpace; }
  // How many operations a fault or the power cut refused since construction.
  int refused() const { return refused_; }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    if (power_off_) return PowerOff();
    return Wrap(target()->NewWritableFile(fname, options, result, dbg), fname, 0, result);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    if (power_off_) return PowerOff();
    uint64_t size = 0;
    if (!target()->GetFileSize(fname, rocksdb::IOOptions(), &size, dbg).ok()) size = 0;
    return Wrap(target()->ReopenWritableFile(fname, options, result, dbg), fname, size, result);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    if (power_off_) return PowerOff();
    Forget(old_fname);
    return Wrap(target()->ReuseWritableFile(fname, old_fname, options, result, dbg), fname, 0,
                result);
  }
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    if (power_off_) return PowerOff();
    rocksdb::IOStatus status = target()->DeleteFile(fname, options, dbg);
    if (status.ok()) Forget(fname);
    return status;
  }
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    if (power_off_) return PowerOff();
    rocksdb::IOStatus status = target()->RenameFile(src, dst, options, dbg);
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      auto it = files_.find(src);
      if (it == files_.end()) {
        files_.erase(dst);  // replaced by a file written before: durable
      } else {
        files_[dst] = it->second;
        files_.erase(it);
      }
    }
    return status;
  }
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& dst,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    if (power_off_) return PowerOff();
    return target()->LinkFile(src, dst, options, dbg);
  }

 private:
  enum class Fault { kNone, kNoSpace, kIoError };
  // What one file written through here holds, and how much of it is durable.
  struct Tracked {
    uint64_t size = 0;
    uint64_t synced = 0;
  };

  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, FaultyDisk* disk, std::string fname)
        : FSWritableFileOwnerWrapper(std::move(file)), disk_(disk), fname_(std::move(fname)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      disk_->CountAppend(fname_);
      if (rocksdb::IOStatus refused = disk_->RefuseWrite(fname_); !refused.ok()) return refused;
      rocksdb::IOStatus status = FSWritableFileOwnerWrapper::Append(data, options, dbg);
      if (status.ok()) disk_->Grow(fname_, data.size());
      return status;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& /*info*/,
                             rocksdb::IODebugContext* dbg) override {
      return Append(data, options, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      disk_->CountAppend(fname_);
      if (rocksdb::IOStatus refused = disk_->RefuseWrite(fname_); !refused.ok()) return refused;
      rocksdb::IOStatus status =
          FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
      if (status.ok()) disk_->GrowTo(fname_, offset + data.size());
      return status;
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       const rocksdb::DataVerificationInfo& /*info*/,
                                       rocksdb::IODebugContext* dbg) override {
      return PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus refused = disk_->RefuseWrite(fname_); !refused.ok()) return refused;
      rocksdb::IOStatus status = FSWritableFileOwnerWrapper::Truncate(size, options, dbg);
      if (status.ok()) disk_->TruncateTo(fname_, size);
      return status;
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus refused = disk_->RefuseWrite(fname_); !refused.ok()) return refused;
      return FSWritableFileOwnerWrapper::Flush(options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      return disk_->SyncFile(fname_,
                             [&] { return FSWritableFileOwnerWrapper::Sync(options, dbg); });
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      return disk_->SyncFile(fname_,
                             [&] { return FSWritableFileOwnerWrapper::Fsync(options, dbg); });
    }
    // Starts writeback of a range: no promise of durability, so nothing is marked synced.
    rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus refused = disk_->RefuseWrite(fname_); !refused.ok()) return refused;
      return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options, dbg);
    }
    rocksdb::IOStatus Allocate(uint64_t offset, uint64_t len, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus refused = disk_->RefuseWrite(fname_); !refused.ok()) return refused;
      return FSWritableFileOwnerWrapper::Allocate(offset, len, options, dbg);
    }

   private:
    FaultyDisk* const disk_;
    const std::string fname_;
  };

  rocksdb::IOStatus PowerOff() {
    ++refused_;
    return rocksdb::IOStatus::IOError("the machine has no power");
  }

  // The error a write to `fname` gets now, OK if none. The messages are those of
  // RocksDB's POSIX file system, with the file's absolute path.
  rocksdb::IOStatus RefuseWrite(const std::string& fname) {
    if (power_off_) return PowerOff();
    switch (write_fault_.load()) {
      case Fault::kNone:
        return rocksdb::IOStatus::OK();
      case Fault::kNoSpace:
        ++refused_;
        return rocksdb::IOStatus::NoSpace("While appending to file: " + fname,
                                          "No space left on device");
      case Fault::kIoError:
        ++refused_;
        return rocksdb::IOStatus::IOError("While appending to file: " + fname,
                                          "Input/output error");
    }
    return rocksdb::IOStatus::OK();
  }

  // FailWritesAfter's countdown: an append to a counted file past the last one allowed
  // turns on FailWrites.
  void CountAppend(const std::string& fname) {
    absl::MutexLock lock(&mu_);
    if (appends_left_ < 0 || !absl::EndsWith(fname, count_appends_to_)) return;
    if (appends_left_-- == 0) write_fault_ = Fault::kIoError;
  }

  template <typename SyncFn>
  rocksdb::IOStatus SyncFile(const std::string& fname, SyncFn sync) {
    absl::Duration delay;
    std::string lie_about;
    {
      absl::MutexLock lock(&mu_);
      delay = sync_delay_;
      lie_about = lie_about_;
    }
    // The delay first: power may go while a slow sync waits.
    if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
    if (rocksdb::IOStatus refused = RefuseWrite(fname); !refused.ok()) return refused;
    if (sync_fault_ != Fault::kNone) {
      ++refused_;
      return rocksdb::IOStatus::IOError("While fsync: a file: " + fname, "Input/output error");
    }
    if (lying_ && absl::EndsWith(fname, lie_about)) return rocksdb::IOStatus::OK();
    // What the file holds before the sync is what the sync makes durable.
    uint64_t size = 0;
    {
      absl::MutexLock lock(&mu_);
      size = files_[fname].size;
    }
    rocksdb::IOStatus status = sync();
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      Tracked& file = files_[fname];
      file.synced = std::max(file.synced, std::min(size, file.size));
    }
    return status;
  }

  void Grow(const std::string& fname, uint64_t n) {
    absl::MutexLock lock(&mu_);
    files_[fname].size += n;
  }
  void GrowTo(const std::string& fname, uint64_t end) {
    absl::MutexLock lock(&mu_);
    Tracked& file = files_[fname];
    file.size = std::max(file.size, end);
  }
  void TruncateTo(const std::string& fname, uint64_t size) {
    absl::MutexLock lock(&mu_);
    Tracked& file = files_[fname];
    file.size = size;
    file.synced = std::min(file.synced, size);
  }
  void Forget(const std::string& fname) {
    absl::MutexLock lock(&mu_);
    files_.erase(fname);
  }

  rocksdb::IOStatus Wrap(rocksdb::IOStatus status, const std::string& fname, uint64_t size,
                         std::unique_ptr<rocksdb::FSWritableFile>* result) {
    if (!status.ok()) return status;
    {
      absl::MutexLock lock(&mu_);
      files_[fname] = Tracked{size, size};
    }
    *result = std::make_unique<File>(std::move(*result), this, fname);
    return status;
  }

  std::atomic<Fault> write_fault_{Fault::kNone};
  std::atomic<Fault> sync_fault_{Fault::kNone};
  std::atomic<bool> lying_{false};
  std::atomic<bool> power_off_{false};
  std::atomic<int> refused_{0};
  absl::Mutex mu_;
  absl::Duration sync_delay_ ABSL_GUARDED_BY(mu_);
  std::string lie_about_ ABSL_GUARDED_BY(mu_);
  int appends_left_ ABSL_GUARDED_BY(mu_) = -1;  // -1: not counting
  std::string count_appends_to_ ABSL_GUARDED_BY(mu_);
  // Every file written through here since construction, by name.
  std::map<std::string, Tracked> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_FAULTY_DISK_H_
