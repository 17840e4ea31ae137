// The access log (server/api/access_log.h): one line per call, admitted or refused, with
// method, code, duration, principal, request_id, peer and sizes, and never the credential
// or the request's content.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "d06/v1/unit.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AccessLogTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    options.log_calls = true;
    RequireAuthentication(options);
  }
  void SetUp() override {
    log::SetSinkForTesting([this](absl::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    });
    ServerTest::SetUp();
  }
  void TearDown() override {
    ServerTest::TearDown();
    log::SetSinkForTesting(nullptr);
  }
  // The call lines logged so far.
  std::vector<std::string> CallLines() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> calls;
    for (const std::string& line : lines_) {
      if (absl::StrContains(line, "method=")) calls.push_back(line);
    }
    return calls;
  }

  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

TEST_F(AccessLogTest, EveryCallHasItsLineWithoutCredentialOrContent) {
  auto stub =
      v1::UnitService::NewStub(grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
  v1::CreateUnitRequest request;
  request.set_request_id("yeu-cau-42");
  request.mutable_unit()->set_code("H40");
  request.mutable_unit()->set_display_name("Tỉnh bí mật");
  request.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
  v1::CreateUnitResponse created;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_token_);
    ASSERT_TRUE(stub->CreateUnit(&ctx, request, &created).ok());
  }
  {
    grpc::ClientContext ctx;  // no credential: refused before the handler
    v1::GetUnitRequest get;
    get.set_name("units/H40");
    v1::GetUnitResponse unit;
    ASSERT_EQ(stub->GetUnit(&ctx, get, &unit).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  const std::vector<std::string> calls = CallLines();
  ASSERT_EQ(calls.size(), 2u) << ::testing::PrintToString(calls);
  EXPECT_THAT(calls[0], HasSubstr("method=/d06.v1.UnitService/CreateUnit"));
  EXPECT_THAT(calls[0], HasSubstr("code=OK"));
  EXPECT_THAT(calls[0], HasSubstr("principal=principals/admin"));
  EXPECT_THAT(calls[0], HasSubstr("request_id=yeu-cau-42"));
  EXPECT_THAT(calls[0], HasSubstr("peer=ipv"));
  EXPECT_THAT(calls[0], HasSubstr("duration_ms="));
  EXPECT_THAT(calls[0], HasSubstr("bytes_in="));
  EXPECT_THAT(calls[1], HasSubstr("method=/d06.v1.UnitService/GetUnit"));
  EXPECT_THAT(calls[1], HasSubstr("code=UNAUTHENTICATED"));
  for (const std::string& line : calls) {
    EXPECT_THAT(line, Not(HasSubstr(admin_token_)));
    EXPECT_THAT(line, Not(HasSubstr("bí mật")));
  }
}

}  // namespace
}  // namespace d06::testing
