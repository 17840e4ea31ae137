// Limits per principal (d06d --auth=required; server/api/principal_limits.h): a principal
// over its read budget is RESOURCE_EXHAUSTED/RATE_LIMITED with a retry delay (ErrorInfo
// metadata and a google.rpc.RetryInfo over gRPC, 429 with Retry-After over HTTP) while
// another principal is served; reads and writes are separate budgets; watches are capped
// per principal across connections; --auth=off has no rate limit; a malformed
// --rate_limits stops the server from starting.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "common/dates.h"
#include "d06/v1/access.grpc.pb.h"
#include "d06/v1/api_names.h"
#include "d06/v1/common.pb.h"
#include "d06/v1/unit.grpc.pb.h"
#include "d06/v1/watch.grpc.pb.h"
#include "google/protobuf/duration.pb.h"
#include "tests/testing/own_connection.h"
#include "tests/testing/raw_http.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::StatusCode kExhausted = absl::StatusCode::kResourceExhausted;

// A viewer's budgets: 3 reads and 2 writes, then a token every 100 s (the test never
// sees one come back).
constexpr char kRateLimits[] = "viewer=0.01/3:0.01/2";

class LimitsTest : public ServerTest {
 protected:
  static constexpr int kWatchersPerPrincipal = 2;

  void ConfigureServer(ServerOptions& options) override {
    options.rate_limits = kRateLimits;
    options.max_watchers_per_principal = kWatchersPerPrincipal;
    RequireAuthentication(options);
  }

  // A channel on a TCP connection of its own.
  std::shared_ptr<grpc::Channel> NewConnection() { return OwnConnection(target()); }
  std::shared_ptr<grpc::Channel> Channel() {
    if (channel_ == nullptr) channel_ = NewConnection();
    return channel_;
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  // principals/{id}, a viewer of every unit, and a token of it.
  std::string ViewerToken(const std::string& id) {
    v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name("Người " + id);
    request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    v1::RoleBinding* binding = request.mutable_principal()->add_bindings();
    binding->set_role(v1::ROLE_VIEWER);
    binding->set_unit("*");
    v1::CreatePrincipalResponse created;
    auto ctx = Ctx(admin_token_);
    grpc::Status s =
        v1::AccessService::NewStub(Channel())->CreatePrincipal(ctx.get(), request, &created);
    if (!s.ok()) throw std::runtime_error("CreatePrincipal: " + s.error_message());
    v1::CreateTokenRequest token_request;
    token_request.set_parent(created.principal().name());
    token_request.mutable_token()->set_display_name("thử nghiệm");
    *token_request.mutable_token()->mutable_expire_time() =
        ToTimestamp(clock().Now() + absl::Hours(24));
    v1::CreateTokenResponse token;
    auto token_ctx = Ctx(admin_token_);
    s = v1::AccessService::NewStub(Channel())->CreateToken(token_ctx.get(), token_request, &token);
    if (!s.ok()) throw std::runtime_error("CreateToken: " + s.error_message());
    return token.secret();
  }

  // A read (WhoAmI), with the raw gRPC status.
  grpc::Status Read(const std::string& token) {
    v1::WhoAmIResponse response;
    auto ctx = Ctx(token);
    return v1::AccessService::NewStub(Channel())->WhoAmI(ctx.get(), {}, &response);
  }
  // A write (CreateUnit, which a viewer may not do: PERMISSION_DENIED once admitted).
  grpc::Status Write(const std::string& token, const std::string& code) {
    v1::CreateUnitRequest request;
    request.mutable_unit()->set_code(code);
    request.mutable_unit()->set_display_name("Đơn vị " + code);
    request.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
    v1::CreateUnitResponse response;
    auto ctx = Ctx(token);
    return v1::UnitService::NewStub(Channel())->CreateUnit(ctx.get(), request, &response);
  }

  // The google.rpc.RetryInfo retry_delay in a status's details; negative when absent.
  static absl::Duration RetryDelay(const grpc::Status& status) {
    v1::ErrorStatus details;
    if (!details.ParseFromString(status.error_details())) return absl::Seconds(-1);
    for (const auto& any : details.details()) {
      if (any.type_url() != v1::kRetryInfoTypeUrl) continue;
      // RetryInfo { google.protobuf.Duration retry_delay = 1; }
      const std::string& bytes = any.value();
      google::protobuf::Duration delay;
      if (bytes.size() < 2 || bytes[0] != '\x0a' ||
          static_cast<size_t>(bytes[1]) != bytes.size() - 2 ||
          !delay.ParseFromString(bytes.substr(2))) {
        return absl::Seconds(-1);
      }
      return absl::Seconds(delay.seconds()) + absl::Nanoseconds(delay.nanos());
    }
    return absl::Seconds(-1);
  }

  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(LimitsTest, APrincipalOverItsReadBudgetWaitsWhileAnotherIsServed) {
  const std::string an = ViewerToken("an");
  const std::string binh = ViewerToken("binh");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Read(an).ok()) << i;
  const grpc::Status refused = Read(an);
  const absl::Status status = client::FromGrpcStatus(refused);
  EXPECT_THAT(status, IsError(kExhausted, v1::reason::kRateLimited));
  EXPECT_THAT(status.message(),
              HasSubstr("principals/an has used its budget of reads (viewer: 0.01 a second, "
                        "bursts of 3); retry in"));
  const v1::ErrorInfo info = client::ErrorInfoOf(status);
  EXPECT_EQ(info.metadata().at("budget"), "reads");
  int64_t retry_ms = 0;
  ASSERT_TRUE(absl::SimpleAtoi(info.metadata().at(v1::kRetryAfterMsKey), &retry_ms));
  EXPECT_GT(retry_ms, 90000);
  EXPECT_LE(retry_ms, 100000);
  // The same delay as a google.rpc.RetryInfo.
  EXPECT_EQ(RetryDelay(refused), absl::Milliseconds(retry_ms));
  // Meanwhile another principal is served, and an is still refused.
  EXPECT_TRUE(Read(binh).ok());
  EXPECT_THAT(client::FromGrpcStatus(Read(an)), IsError(kExhausted, v1::reason::kRateLimited));
  // So is the administrator, with its own budget.
  auto ctx = Ctx(admin_token_);
  v1::WhoAmIResponse me;
  EXPECT_TRUE(v1::AccessService::NewStub(Channel())->WhoAmI(ctx.get(), {}, &me).ok());
}

TEST_F(LimitsTest, WritesAndReadsAreSeparateBudgets) {
  const std::string an = ViewerToken("an");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Read(an).ok()) << i;
  ASSERT_THAT(client::FromGrpcStatus(Read(an)), IsError(kExhausted, v1::reason::kRateLimited));
  // Reads spent, writes are still admitted (and answered as a viewer's are: no role).
  for (const char* code : {"H40", "H41"}) {
    EXPECT_THAT(client::FromGrpcStatus(Write(an, code)),
                IsError(absl::StatusCode::kPermissionDenied, v1::reason::kRoleRequired));
  }
  const absl::Status refused = client::FromGrpcStatus(Write(an, "H42"));
  EXPECT_THAT(refused, IsError(kExhausted, v1::reason::kRateLimited));
  EXPECT_EQ(client::ErrorInfoOf(refused).metadata().at("budget"), "writes");
  EXPECT_THAT(refused.message(),
              HasSubstr("budget of writes (viewer: 0.01 a second, bursts of 2)"));
}

TEST_F(LimitsTest, APrincipalHasItsWatchersAcrossConnections) {
  const std::string an = ViewerToken("an");
  const std::string binh = ViewerToken("binh");
  struct Watch {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::WatchResponse>> reader;
    v1::WatchResponse first;
    bool open = false;
  };
  // Each watch on a connection of its own: the per-connection cap is not what stops them.
  auto watch = [&](const std::string& token) {
    auto w = std::make_unique<Watch>();
    w->ctx = Ctx(token);
    w->reader = v1::EventService::NewStub(NewConnection())->Watch(w->ctx.get(), {});
    w->open = w->reader->Read(&w->first);  // a watch from now answers at once
    return w;
  };
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < kWatchersPerPrincipal; ++i) {
    watches.push_back(watch(an));
    ASSERT_TRUE(watches.back()->open) << i;
  }
  auto extra = watch(an);
  ASSERT_FALSE(extra->open);
  const absl::Status refused = client::FromGrpcStatus(extra->reader->Finish());
  EXPECT_THAT(refused, IsError(kExhausted, v1::reason::kTooManyWatchers));
  EXPECT_THAT(refused.message(),
              HasSubstr("principals/an has 2 watchers open, as many as a principal may have (2)"));
  // Another principal watches meanwhile.
  auto other = watch(binh);
  EXPECT_TRUE(other->open);
  // Once one of an's ends, an may watch again.
  watches[0]->ctx->TryCancel();
  (void)watches[0]->reader->Finish();
  bool reopened = false;
  for (int attempt = 0; attempt < 50 && !reopened; ++attempt) {
    auto again = watch(an);
    reopened = again->open;
    if (reopened) {
      again->ctx->TryCancel();
      (void)again->reader->Finish();
    } else {
      (void)again->reader->Finish();
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  EXPECT_TRUE(reopened);
  for (auto* w : {watches[1].get(), other.get()}) {
    w->ctx->TryCancel();
    (void)w->reader->Finish();
  }
}

TEST_F(LimitsTest, OverHttpA429WithRetryAfter) {
  const std::string an = ViewerToken("an");
  RawHttp http(server().http_port());
  ASSERT_TRUE(http.connected());
  auto who_am_i = [&] {
    EXPECT_TRUE(
        http.Send("POST /d06.v1.AccessService/WhoAmI HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nContent-Length: 2\r\nAuthorization: Bearer " +
                  an + "\r\n\r\n{}"));
    return http.Read();
  };
  for (int i = 0; i < 3; ++i) {
    auto ok = who_am_i();
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->status, 200) << ok->body;
    EXPECT_EQ(ok->header("Retry-After"), "");
  }
  auto refused = who_am_i();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  int seconds = 0;
  ASSERT_TRUE(absl::SimpleAtoi(refused->header("Retry-After"), &seconds))
      << refused->header("Retry-After");
  EXPECT_GE(seconds, 90);
  EXPECT_LE(seconds, 100);
  EXPECT_THAT(refused->body, HasSubstr("\"code\":\"resource_exhausted\""));
  EXPECT_THAT(refused->body, HasSubstr("RATE_LIMITED"));
  EXPECT_THAT(refused->body, HasSubstr("retry_after_ms"));
  EXPECT_THAT(refused->body, HasSubstr("google.rpc.RetryInfo"));
  // gRPC calls share the budget: an is refused there too.
  EXPECT_THAT(client::FromGrpcStatus(Read(an)), IsError(kExhausted, v1::reason::kRateLimited));
}

// A refusal over gRPC is held until the budget has a token again (here, at most a second),
// so that a client retrying in a tight loop calls at about its budget's rate; a principal
// has at most 64 refusals held at once, the rest are answered at once. Over HTTP a held
// refusal would hold a worker thread: answered at once.
TEST_F(LimitsTest, ARefusalOverGrpcIsHeldBackOverHttpNot) {
  const std::string an = ViewerToken("an");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Read(an).ok()) << i;
  absl::Time start = absl::Now();
  const absl::Status refused = client::FromGrpcStatus(Read(an));
  const absl::Duration held = absl::Now() - start;
  EXPECT_THAT(refused, IsError(kExhausted, v1::reason::kRateLimited));
  EXPECT_GE(held, absl::Milliseconds(950));
  EXPECT_LT(held, absl::Seconds(5));
  // The delay still to wait, counted from the answer.
  int64_t retry_ms = 0;
  ASSERT_TRUE(absl::SimpleAtoi(client::ErrorInfoOf(refused).metadata().at(v1::kRetryAfterMsKey),
                               &retry_ms));
  EXPECT_GT(retry_ms, 90000);
  EXPECT_LE(retry_ms, 99000);

  // 100 calls at once: 64 held, 36 answered at once.
  constexpr int kCalls = 100;
  auto stub = v1::AccessService::NewStub(Channel());
  struct Pending {
    std::unique_ptr<grpc::ClientContext> ctx;
    v1::WhoAmIResponse response;
    grpc::Status status;
    absl::Duration took;
    absl::Notification done;
  };
  std::vector<Pending> calls(kCalls);
  const v1::WhoAmIRequest request;
  start = absl::Now();
  for (Pending& call : calls) {
    call.ctx = Ctx(an);
    stub->async()->WhoAmI(call.ctx.get(), &request, &call.response,
                          [&call, start](grpc::Status status) {
                            call.status = std::move(status);
                            call.took = absl::Now() - start;
                            call.done.Notify();
                          });
  }
  int at_once = 0, held_back = 0;
  for (Pending& call : calls) {
    ASSERT_TRUE(call.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_THAT(client::FromGrpcStatus(call.status), IsError(kExhausted, v1::reason::kRateLimited));
    (call.took < absl::Milliseconds(500) ? at_once : held_back)++;
  }
  EXPECT_EQ(held_back, 64);
  EXPECT_EQ(at_once, kCalls - 64);

  RawHttp http(server().http_port());
  ASSERT_TRUE(http.connected());
  start = absl::Now();
  ASSERT_TRUE(
      http.Send("POST /d06.v1.AccessService/WhoAmI HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nContent-Length: 2\r\nAuthorization: Bearer " +
                an + "\r\n\r\n{}"));
  auto answer = http.Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 429);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
}

TEST_F(LimitsTest, AMalformedRateLimitsFlagStopsTheStart) {
  StopServer();
  ServerOptions options;
  options.data_dir = data_dir();
  options.listen_address = "127.0.0.1:0";
  options.http_listen_address = "";
  options.rate_limits = "viewer=20/100";
  auto server = Server::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("--rate_limits: \"viewer=20/100\""));
  options.rate_limits = "";
  options.max_watchers_per_principal = 0;
  server = Server::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("--max_watchers_per_principal"));
}

// With --auth=off (development) nothing is limited per principal.
class NoAuthLimitsTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    options.rate_limits = "viewer=0.01/1:0.01/1,admin=0.01/1:0.01/1";
  }
};

TEST_F(NoAuthLimitsTest, NothingIsRateLimited) {
  auto stub =
      v1::UnitService::NewStub(grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext ctx;
    v1::ListUnitsResponse response;
    EXPECT_TRUE(stub->ListUnits(&ctx, {}, &response).ok()) << i;
  }
}

}  // namespace
}  // namespace d06::testing
