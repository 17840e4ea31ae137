// The durability tests' load (tests/testing/write_load.h) calls every mutating RPC: every
// method the server's own method table takes for a write (api::Method::kWrite), but the
// two that write no database (below). A new mutating RPC fails this test until the load
// calls it or it is added to the exceptions with its reason.
#include "tests/testing/write_load.h"

#include <map>
#include <memory>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "server/api/core_methods.h"
#include "server/api/method_table.h"

namespace d06::testing {
namespace {

TEST(WriteLoadTest, CallsEveryMutatingMethodOfTheServersMethodTable) {
  // Writes outside the database, so a crash cannot lose or halve them: a backup is a
  // directory BackupEngine writes and verifies (tests/integration/backup_test.cc).
  const std::map<std::string, std::string> not_in_the_load = {
      {"d06.v1.AdminService.CreateBackup", "a new backup directory, verified on its own"},
      {"d06.v1.AdminService.DeleteBackup", "removes a backup directory"},
  };
  Core* no_core = nullptr;
  api::StreamRunners runners{nullptr, nullptr, nullptr};
  const std::unique_ptr<api::MethodTable> methods = api::NewCoreMethodTable(no_core, runners);
  std::set<std::string> writes;
  for (const google::protobuf::ServiceDescriptor* service : methods->services()) {
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::MethodDescriptor* method = service->method(m);
      if (api::Method::KindOf(*method) != api::Method::Kind::kWrite) continue;
      if (not_in_the_load.count(method->full_name()) == 0) writes.insert(method->full_name());
      // A write the load calls must be retried safely: it has a request_id.
      if (WriteLoad::Methods().count(method->full_name()) > 0) {
        EXPECT_NE(method->input_type()->FindFieldByName("request_id"), nullptr)
            << method->full_name();
      }
    }
  }
  EXPECT_GT(writes.size(), 20u);
  EXPECT_EQ(WriteLoad::Methods(), writes);
}

}  // namespace
}  // namespace d06::testing
