// A d06::Core over a Store in a fresh temporary directory, with a FakeClock: drives the
// operations without gRPC or a network (core tests, the benchmark's loaders).
//
//   d06::testing::CoreEnv env;
//   v1::CreateUnitResponse created;
//   ASSERT_TRUE(CoreEnv::Await([&](Core::Done done) {
//     env.core().CreateUnit(Caller{"alice"}, request, &created, std::move(done));
//   }).ok());
#ifndef D06_TESTS_TESTING_CORE_ENV_H_
#define D06_TESTS_TESTING_CORE_ENV_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/core/core.h"
#include "server/domain/clock.h"
#include "storage/store.h"
#include "tests/testing/temp_dir.h"

namespace d06::testing {

class CoreEnv {
 public:
  // `sync`: sync the WAL before acknowledging (as in production).
  explicit CoreEnv(absl::Time now, bool sync = true) : clock_(now) {
    auto store = Store::Open({dir_.path(), sync});
    if (!store.ok()) throw std::runtime_error("Store::Open: " + store.status().ToString());
    store_ = *std::move(store);
    core_ = std::make_unique<Core>(store_.get(), CoreOptions{3, &clock_});
  }
  ~CoreEnv() {
    core_.reset();
    store_.reset();
  }
  CoreEnv(const CoreEnv&) = delete;
  CoreEnv& operator=(const CoreEnv&) = delete;

  Core& core() { return *core_; }
  Store& store() { return *store_; }
  FakeClock& clock() { return clock_; }
  const std::string& dir() const { return dir_.path(); }

  // Runs `start` (a Core write taking a Done) and waits for its answer.
  static absl::Status Await(const std::function<void(Core::Done)>& start) {
    absl::Notification done;
    absl::Status result;
    start([&](absl::Status s) {
      result = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  // Bytes the data directory takes on disk.
  uint64_t DiskBytes() const {
    uint64_t total = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (entry.is_regular_file()) total += entry.file_size();
    }
    return total;
  }

 private:
  FakeClock clock_;
  TempDir dir_{"d06-core"};  // outlives store_
  std::unique_ptr<Store> store_;
  std::unique_ptr<Core> core_;
};

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_CORE_ENV_H_
