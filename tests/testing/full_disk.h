// A RocksDB file system that can run out of space on demand, for tests of a full disk:
// once armed, every file RocksDB writes (write-ahead log, tables, manifest, options)
// refuses Append, Flush, Sync and friends with IOStatus::NoSpace(), as a real full disk
// refuses write(2) with ENOSPC. Opening and reading files keep working.
//
// Header-only. Example:
//
//   auto disk = std::make_shared<d06::testing::FullDiskFileSystem>();
//   Store::Options options{dir};
//   options.file_system = disk;          // the store's testing seam (storage/store.h)
//   auto store = Store::Open(options);
//   ...                                  // writes succeed
//   disk->Fill();                        // the disk is full from now on
//   ...                                  // writes fail
//   disk->Free();                        // space again (e.g. before reopening)
//
// Thread-safe.
#ifndef D06_TESTS_TESTING_FULL_DISK_H_
#define D06_TESTS_TESTING_FULL_DISK_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "rocksdb/file_system.h"
#include "rocksdb/io_status.h"

namespace d06::testing {

class FullDiskFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FullDiskFileSystem(
      std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default())
      : FileSystemWrapper(std::move(base)) {}

  static const char* kClassName() { return "D06FullDiskFileSystem"; }
  const char* Name() const override { return kClassName(); }

  // The disk is full: writes fail from now on.
  void Fill() { full_ = true; }
  // There is space again.
  void Free() { full_ = false; }
  bool full() const { return full_; }
  // How many writes were refused since construction.
  int refused() const { return refused_; }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    return Wrap(target()->NewWritableFile(fname, options, result, dbg), fname, result);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    return Wrap(target()->ReopenWritableFile(fname, options, result, dbg), fname, result);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    return Wrap(target()->ReuseWritableFile(fname, old_fname, options, result, dbg), fname, result);
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, FullDiskFileSystem* fs, std::string fname)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), fname_(std::move(fname)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      if (fs_->Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       const rocksdb::DataVerificationInfo& info,
                                       rocksdb::IODebugContext* dbg) override {
      if (fs_->Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, info, dbg);
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::Flush(options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (fs_->Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }
    rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (fs_->Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options, dbg);
    }
    rocksdb::IOStatus Allocate(uint64_t offset, uint64_t len, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
      if (fs_->Refuse()) return NoSpace();
      return FSWritableFileOwnerWrapper::Allocate(offset, len, options, dbg);
    }

   private:
    // As RocksDB's POSIX file system words it, with the file's absolute path.
    rocksdb::IOStatus NoSpace() const {
      return rocksdb::IOStatus::NoSpace("While appending to file: " + fname_,
                                        "No space left on device");
    }
    FullDiskFileSystem* const fs_;
    const std::string fname_;
  };

  bool Refuse() {
    if (!full_) return false;
    ++refused_;
    return true;
  }

  rocksdb::IOStatus Wrap(rocksdb::IOStatus status, const std::string& fname,
                         std::unique_ptr<rocksdb::FSWritableFile>* result) {
    if (status.ok()) *result = std::make_unique<File>(std::move(*result), this, fname);
    return status;
  }

  std::atomic<bool> full_{false};
  std::atomic<int> refused_{0};
};

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_FULL_DISK_H_
