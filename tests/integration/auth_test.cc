// Authentication (d06d --auth=required): bootstrap, bearer tokens (secret shown once, only
// a hash stored, expiry, revocation on the next call and of open watches), principals
// and the admin role, impersonation by portals, x-d06-actor ignored, every RPC of every
// service refusing a call without a credential (enumerated from the descriptors), the
// HTTP face, and the modes that refuse to start.
#include <grpcpp/generic/generic_stub.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/dates.h"
#include "d06/v1/access.grpc.pb.h"
#include "d06/v1/api_names.h"
#include "d06/v1/unit.grpc.pb.h"
#include "d06/v1/watch.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "server/api/core_methods.h"
#include "server/api/principal_authenticator.h"
#include "server/domain/tokens.h"
#include "tests/testing/core_env.h"
#include "tests/testing/raw_http.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::StatusCode kUnauthenticated = absl::StatusCode::kUnauthenticated;
constexpr absl::StatusCode kPermissionDenied = absl::StatusCode::kPermissionDenied;

google::protobuf::Timestamp In(absl::Time now, absl::Duration d) { return ToTimestamp(now + d); }

class AuthTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override { RequireAuthentication(options); }

  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel(target(), grpc::InsecureChannelCredentials());
  }
  // A context sending `token` (none when empty), and more metadata.
  static std::unique_ptr<grpc::ClientContext> Ctx(
      const std::string& token, const std::vector<std::pair<std::string, std::string>>& more = {}) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    for (const auto& [k, v] : more) ctx->AddMetadata(k, v);
    return ctx;
  }

  absl::StatusOr<v1::WhoAmIResponse> WhoAmI(
      const std::string& token, const std::vector<std::pair<std::string, std::string>>& more = {}) {
    v1::WhoAmIResponse response;
    auto ctx = Ctx(token, more);
    grpc::Status s = v1::AccessService::NewStub(Channel())->WhoAmI(ctx.get(), {}, &response);
    if (!s.ok()) return client::FromGrpcStatus(s);
    return response;
  }

  v1::Principal MustCreatePrincipal(const std::string& id, v1::PrincipalKind kind,
                                    const std::string& unit,
                                    std::vector<std::pair<v1::Role, std::string>> bindings = {}) {
    v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name("Người " + id);
    request.mutable_principal()->set_kind(kind);
    request.mutable_principal()->set_unit(unit);
    for (const auto& [role, at] : bindings) {
      v1::RoleBinding* b = request.mutable_principal()->add_bindings();
      b->set_role(role);
      b->set_unit(at);
    }
    v1::CreatePrincipalResponse response;
    auto ctx = Ctx(admin_token_);
    grpc::Status s =
        v1::AccessService::NewStub(Channel())->CreatePrincipal(ctx.get(), request, &response);
    if (!s.ok()) throw std::runtime_error("CreatePrincipal: " + s.error_message());
    return response.principal();
  }

  absl::StatusOr<v1::CreateTokenResponse> CreateToken(const std::string& as,
                                                      const std::string& principal,
                                                      absl::Duration lifetime,
                                                      const std::string& request_id = "") {
    v1::CreateTokenRequest request;
    request.set_parent(principal);
    request.mutable_token()->set_display_name("thử nghiệm");
    *request.mutable_token()->mutable_expire_time() = In(clock().Now(), lifetime);
    request.set_request_id(request_id);
    v1::CreateTokenResponse response;
    auto ctx = Ctx(as);
    grpc::Status s =
        v1::AccessService::NewStub(Channel())->CreateToken(ctx.get(), request, &response);
    if (!s.ok()) return client::FromGrpcStatus(s);
    return response;
  }

  std::string MustToken(const std::string& principal) {
    auto created = CreateToken(admin_token_, principal, absl::Hours(24));
    if (!created.ok()) throw std::runtime_error(created.status().ToString());
    return created->secret();
  }

  absl::Status Revoke(const std::string& name) {
    v1::RevokeTokenRequest request;
    request.set_name(name);
    v1::RevokeTokenResponse response;
    auto ctx = Ctx(admin_token_);
    return client::FromGrpcStatus(
        v1::AccessService::NewStub(Channel())->RevokeToken(ctx.get(), request, &response));
  }

  absl::Status SetState(const std::string& principal, v1::PrincipalState state) {
    v1::UpdatePrincipalRequest request;
    request.mutable_principal()->set_name(principal);
    request.mutable_principal()->set_state(state);
    request.mutable_update_mask()->add_paths("state");
    v1::UpdatePrincipalResponse response;
    auto ctx = Ctx(admin_token_);
    return client::FromGrpcStatus(
        v1::AccessService::NewStub(Channel())->UpdatePrincipal(ctx.get(), request, &response));
  }

  absl::StatusOr<v1::Unit> CreateUnit(
      const std::string& token, const std::string& code, const std::string& parent = "",
      const std::vector<std::pair<std::string, std::string>>& more = {}) {
    v1::CreateUnitRequest request;
    request.mutable_unit()->set_code(code);
    request.mutable_unit()->set_display_name("Đơn vị " + code);
    request.mutable_unit()->set_kind(parent.empty() ? v1::UNIT_KIND_PROVINCE
                                                    : v1::UNIT_KIND_DEPARTMENT);
    request.mutable_unit()->set_parent(parent);
    v1::CreateUnitResponse response;
    auto ctx = Ctx(token, more);
    grpc::Status s = v1::UnitService::NewStub(Channel())->CreateUnit(ctx.get(), request, &response);
    if (!s.ok()) return client::FromGrpcStatus(s);
    return response.unit();
  }

  // The first event on `resource` in the change feed from revision 1 (read as the
  // admin), calling `each` with every event before it.
  std::optional<v1::Event> FeedEventOf(const std::string& resource,
                                       const std::function<void(const v1::Event&)>& each = {}) {
    v1::WatchRequest request;
    request.set_start_revision(1);
    auto ctx = Ctx(admin_token_);
    auto reader = v1::EventService::NewStub(Channel())->Watch(ctx.get(), request);
    v1::WatchResponse response;
    std::optional<v1::Event> found;
    while (!found && reader->Read(&response)) {
      for (const v1::Event& e : response.events()) {
        if (e.resource() == resource) {
          found = e;
          break;
        }
        if (each) each(e);
      }
    }
    ctx->TryCancel();
    if (!found) ADD_FAILURE() << resource << ": " << reader->Finish().error_message();
    return found;
  }
};

TEST_F(AuthTest, BootstrapTokenWorksAndIsTheAdmin) {
  auto me = WhoAmI(admin_token_);
  ASSERT_THAT(me.status(), IsOk());
  EXPECT_EQ(me->principal().name(), "principals/admin");
  EXPECT_EQ(me->principal().display_name(), "Quản trị viên");
  EXPECT_EQ(me->method(), "token");
  ASSERT_EQ(me->principal().bindings_size(), 1);
  EXPECT_EQ(me->principal().bindings(0).role(), v1::ROLE_ADMIN);
  EXPECT_EQ(me->principal().bindings(0).unit(), "*");
  EXPECT_EQ(admin_token_.size(), kTokenLength);
  EXPECT_TRUE(absl::StartsWith(admin_token_, "d06_"));
}

TEST_F(AuthTest, BootstrapRefusesASecondAdminUnlessForced) {
  StopServer();
  ServerOptions options;
  options.data_dir = data_dir();
  absl::StatusOr<std::string> again = BootstrapAdmin(options, "admin2", "Người khác", false);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition) << again.status();
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("--force"));
  absl::StatusOr<std::string> same_id = BootstrapAdmin(options, "admin", "Người khác", true);
  EXPECT_EQ(same_id.status().code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<std::string> forced = BootstrapAdmin(options, "admin2", "Người khác", true);
  ASSERT_TRUE(forced.ok()) << forced.status();
  StartAgain();
  auto me = WhoAmI(*forced);
  ASSERT_THAT(me.status(), IsOk());
  EXPECT_EQ(me->principal().name(), "principals/admin2");
}

TEST_F(AuthTest, CallsWithoutAValidCredentialAreUnauthenticatedWithTheirReason) {
  EXPECT_THAT(WhoAmI("").status(), IsError(kUnauthenticated, "CREDENTIAL_MISSING"));
  std::string mistyped = admin_token_;
  mistyped[10] = mistyped[10] == 'a' ? 'b' : 'a';
  EXPECT_THAT(WhoAmI(mistyped).status(), IsError(kUnauthenticated, "TOKEN_MALFORMED"));
  EXPECT_THAT(WhoAmI("not-a-token").status(), IsError(kUnauthenticated, "TOKEN_MALFORMED"));
  // Well formed, with a valid checksum, but never issued.
  EXPECT_THAT(WhoAmI(NewTokenSecret()).status(), IsError(kUnauthenticated, "TOKEN_UNKNOWN"));
  // Another scheme.
  auto ctx = Ctx("", {{"authorization", "Basic YWRtaW46YWRtaW4="}});
  v1::WhoAmIResponse response;
  EXPECT_THAT(client::FromGrpcStatus(
                  v1::AccessService::NewStub(Channel())->WhoAmI(ctx.get(), {}, &response)),
              IsError(kUnauthenticated, "TOKEN_MALFORMED"));
  // No message repeats the token.
  for (const std::string& token : {mistyped, std::string(NewTokenSecret())}) {
    EXPECT_THAT(std::string(WhoAmI(token).status().message()), Not(HasSubstr(token.substr(4))));
  }
}

// The rule every RPC must follow, enumerated from the descriptors of every service the
// server has, so that a new RPC cannot forget it: no credential, UNAUTHENTICATED.
TEST_F(AuthTest, EveryMethodOfEveryServiceNeedsACredential) {
  Core* none = nullptr;
  api::StreamRunners runners{nullptr, nullptr, nullptr};
  std::unique_ptr<api::MethodTable> table = api::NewCoreMethodTable(none, runners);
  grpc::GenericStub stub(Channel());
  int checked = 0;
  for (const google::protobuf::ServiceDescriptor* service : table->services()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      const std::string path = absl::StrCat("/", service->full_name(), "/", method->name());
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      ctx.AddMetadata("x-d06-actor", "admin");  // ignored: it is not a credential
      grpc::Status status;
      absl::Notification done;
      grpc::ByteBuffer response;
      grpc::Slice empty("", 0);
      grpc::ByteBuffer request(&empty, 1);
      if (method->server_streaming()) {
        // A stream: one request, then read; the first read fails at once.
        grpc::CompletionQueue cq;
        auto rw = stub.PrepareCall(&ctx, path, &cq);
        rw->StartCall(reinterpret_cast<void*>(1));
        void* tag;
        bool ok;
        cq.Next(&tag, &ok);
        rw->Write(request, reinterpret_cast<void*>(2));
        cq.Next(&tag, &ok);
        rw->WritesDone(reinterpret_cast<void*>(3));
        cq.Next(&tag, &ok);
        rw->Read(&response, reinterpret_cast<void*>(4));
        cq.Next(&tag, &ok);
        EXPECT_FALSE(ok) << path << " sent a message without a credential";
        rw->Finish(&status, reinterpret_cast<void*>(5));
        cq.Next(&tag, &ok);
        cq.Shutdown();
        while (cq.Next(&tag, &ok)) {
        }
      } else {
        stub.UnaryCall(&ctx, path, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
          status = std::move(s);
          done.Notify();
        });
        done.WaitForNotification();
      }
      EXPECT_THAT(client::FromGrpcStatus(status), IsError(kUnauthenticated, "CREDENTIAL_MISSING"))
          << path;
      ++checked;
    }
  }
  EXPECT_GE(checked, 40);
}

TEST_F(AuthTest, ADryRunTokenComesWithoutASecret) {
  ASSERT_THAT(CreateUnit(admin_token_, "H40").status(), IsOk());
  const v1::Principal an = MustCreatePrincipal("thu-khong", v1::PRINCIPAL_KIND_PERSON, "units/H40");
  v1::CreateTokenRequest request;
  request.set_parent(an.name());
  request.mutable_token()->set_display_name("thử");
  *request.mutable_token()->mutable_expire_time() = In(clock().Now(), absl::Hours(1));
  request.set_validate_only(true);
  v1::CreateTokenResponse response;
  auto ctx = Ctx(admin_token_);
  grpc::Status s =
      v1::AccessService::NewStub(Channel())->CreateToken(ctx.get(), request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The token as it would be, but no secret: the token was never stored, so a secret
  // would not work.
  EXPECT_EQ(response.token().display_name(), "thử");
  EXPECT_EQ(response.secret(), "");
  v1::ListTokensRequest list;
  list.set_parent(an.name());
  v1::ListTokensResponse tokens;
  auto list_ctx = Ctx(admin_token_);
  ASSERT_TRUE(
      v1::AccessService::NewStub(Channel())->ListTokens(list_ctx.get(), list, &tokens).ok());
  EXPECT_EQ(tokens.tokens_size(), 0);
}

TEST_F(AuthTest, XD06ActorIsIgnoredAndTheEventRecordsThePrincipal) {
  auto unit = CreateUnit(admin_token_, "H40", "", {{"x-d06-actor", "someone-else"}});
  ASSERT_THAT(unit.status(), IsOk());
  // The unit's event in the feed.
  std::optional<v1::Event> created = FeedEventOf("units/H40");
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->action(), v1::EVENT_ACTION_CREATE_UNIT);
  EXPECT_EQ(created->actor(), "principals/admin");
  EXPECT_EQ(created->via(), "");
}

TEST_F(AuthTest, TokenSecretIsShownOnceAndNeverStored) {
  ASSERT_THAT(CreateUnit(admin_token_, "H40").status(), IsOk());
  v1::Principal an = MustCreatePrincipal("nguyen-van-an", v1::PRINCIPAL_KIND_PERSON, "units/H40");
  auto created = CreateToken(admin_token_, an.name(), absl::Hours(24), "req-token-1");
  ASSERT_THAT(created.status(), IsOk());
  const std::string secret = created->secret();
  EXPECT_EQ(secret.size(), kTokenLength);
  EXPECT_THAT(CheckTokenFormat(secret), IsOk());
  EXPECT_TRUE(absl::StartsWith(created->token().name(), an.name() + "/tokens/"));
  EXPECT_EQ(created->token().creator(), "principals/admin");
  auto me = WhoAmI(secret);
  ASSERT_THAT(me.status(), IsOk());
  EXPECT_EQ(me->principal().name(), an.name());

  // A retry under the same request_id: the same token, without its secret.
  auto retry = CreateToken(admin_token_, an.name(), absl::Hours(24), "req-token-1");
  ASSERT_THAT(retry.status(), IsOk());
  EXPECT_EQ(retry->token().name(), created->token().name());
  EXPECT_EQ(retry->secret(), "");

  // Listing never shows it (the Token message has no field for it) and shows the use.
  v1::ListTokensRequest list;
  list.set_parent(an.name());
  v1::ListTokensResponse listed;
  auto ctx = Ctx(admin_token_);
  ASSERT_TRUE(v1::AccessService::NewStub(Channel())->ListTokens(ctx.get(), list, &listed).ok());
  ASSERT_EQ(listed.tokens_size(), 1);
  EXPECT_THAT(listed.SerializeAsString(), Not(HasSubstr(secret)));

  // Every file of the data directory, after a clean stop (memtables flushed): neither
  // secret appears, whole or in its random part.
  StopServer();
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_dir())) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++files;
    for (const std::string& token : {secret, admin_token_}) {
      EXPECT_EQ(bytes.find(token.substr(4, 20)), std::string::npos)
          << entry.path() << " holds token bytes";
    }
  }
  EXPECT_GT(files, 3);
  StartAgain();
  EXPECT_THAT(WhoAmI(secret).status(), IsOk());  // the hash is enough
}

TEST_F(AuthTest, ExpiredTokensAreRefused) {
  auto created = CreateToken(admin_token_, "principals/admin", absl::Hours(2));
  ASSERT_THAT(created.status(), IsOk());
  EXPECT_THAT(WhoAmI(created->secret()).status(), IsOk());
  clock().Advance(absl::Hours(2) + absl::Seconds(1));
  EXPECT_THAT(WhoAmI(created->secret()).status(), IsError(kUnauthenticated, "TOKEN_EXPIRED"));
}

TEST_F(AuthTest, TokensNeedAnExpiryWithinTheMaximum) {
  v1::CreateTokenRequest request;
  request.set_parent("principals/admin");
  request.mutable_token()->set_display_name("không hạn");
  v1::CreateTokenResponse response;
  auto ctx = Ctx(admin_token_);
  auto stub = v1::AccessService::NewStub(Channel());
  EXPECT_THAT(client::FromGrpcStatus(stub->CreateToken(ctx.get(), request, &response)),
              IsInvalidField("token.expire_time"));
  EXPECT_THAT(CreateToken(admin_token_, "principals/admin", absl::Hours(24 * 91)).status(),
              IsInvalidField("token.expire_time"));
  EXPECT_THAT(CreateToken(admin_token_, "principals/admin", -absl::Hours(1)).status(),
              IsInvalidField("token.expire_time"));
  EXPECT_THAT(CreateToken(admin_token_, "principals/nobody", absl::Hours(1)).status(),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
}

TEST_F(AuthTest, RevocationTakesEffectOnTheNextCallAndEndsAnOpenWatch) {
  auto created = CreateToken(admin_token_, "principals/admin", absl::Hours(24));
  ASSERT_THAT(created.status(), IsOk());
  const std::string secret = created->secret();
  ASSERT_THAT(WhoAmI(secret).status(), IsOk());

  v1::WatchRequest request;
  request.set_progress_interval_ms(100);
  auto ctx = Ctx(secret);
  auto reader = v1::EventService::NewStub(Channel())->Watch(ctx.get(), request);
  v1::WatchResponse response;
  ASSERT_TRUE(reader->Read(&response));  // the watch is open
  ASSERT_THAT(Revoke(created->token().name()), IsOk());
  const absl::Time revoked = absl::Now();
  EXPECT_THAT(WhoAmI(secret).status(), IsError(kUnauthenticated, "TOKEN_REVOKED"));
  while (reader->Read(&response)) {
  }
  const grpc::Status ended = reader->Finish();
  EXPECT_LT(absl::Now() - revoked, absl::Milliseconds(1500));
  EXPECT_THAT(client::FromGrpcStatus(ended), IsError(kUnauthenticated, "TOKEN_REVOKED"));
  // Revoking again changes nothing.
  EXPECT_THAT(Revoke(created->token().name()), IsOk());
}

TEST_F(AuthTest, DisablingAPrincipalRefusesItsCredentialsAndEndsItsWatch) {
  ASSERT_THAT(CreateUnit(admin_token_, "H40").status(), IsOk());
  v1::Principal an = MustCreatePrincipal("an", v1::PRINCIPAL_KIND_PERSON, "units/H40",
                                         {{v1::ROLE_VIEWER, "units/H40"}});
  const std::string token = MustToken(an.name());
  auto ctx = Ctx(token);
  v1::WatchRequest request;
  request.set_progress_interval_ms(100);
  auto reader = v1::EventService::NewStub(Channel())->Watch(ctx.get(), request);
  v1::WatchResponse response;
  ASSERT_TRUE(reader->Read(&response));  // the watch is open
  ASSERT_THAT(SetState(an.name(), v1::PRINCIPAL_STATE_DISABLED), IsOk());
  EXPECT_THAT(WhoAmI(token).status(), IsError(kUnauthenticated, "PRINCIPAL_DISABLED"));
  while (reader->Read(&response)) {
  }
  EXPECT_THAT(client::FromGrpcStatus(reader->Finish()),
              IsError(kUnauthenticated, "PRINCIPAL_DISABLED"));
  ASSERT_THAT(SetState(an.name(), v1::PRINCIPAL_STATE_ACTIVE), IsOk());
  EXPECT_THAT(WhoAmI(token).status(), IsOk());
}

TEST_F(AuthTest, TheAdminApiNeedsTheAdminRole) {
  ASSERT_THAT(CreateUnit(admin_token_, "H40").status(), IsOk());
  v1::Principal viewer = MustCreatePrincipal("xem", v1::PRINCIPAL_KIND_PERSON, "units/H40",
                                             {{v1::ROLE_VIEWER, "units/H40"}});
  const std::string token = MustToken(viewer.name());
  EXPECT_THAT(WhoAmI(token).status(), IsOk());  // any principal may ask who it is
  EXPECT_THAT(CreateToken(token, viewer.name(), absl::Hours(1)).status(),
              IsError(kPermissionDenied, "ROLE_REQUIRED"));
  v1::ListPrincipalsResponse listed;
  auto ctx = Ctx(token);
  EXPECT_THAT(client::FromGrpcStatus(
                  v1::AccessService::NewStub(Channel())->ListPrincipals(ctx.get(), {}, &listed)),
              IsError(kPermissionDenied, "ROLE_REQUIRED"));
}

TEST_F(AuthTest, PrincipalsAreValidatedListedByUnitSubtreeAndAudited) {
  ASSERT_THAT(CreateUnit(admin_token_, "H40").status(), IsOk());
  ASSERT_THAT(CreateUnit(admin_token_, "H40.01", "units/H40").status(), IsOk());
  ASSERT_THAT(CreateUnit(admin_token_, "H29").status(), IsOk());
  MustCreatePrincipal("an", v1::PRINCIPAL_KIND_PERSON, "units/H40.01");
  MustCreatePrincipal("binh", v1::PRINCIPAL_KIND_PERSON, "units/H29");
  MustCreatePrincipal("cong-h40", v1::PRINCIPAL_KIND_PORTAL, "units/H40",
                      {{v1::ROLE_IMPERSONATOR, "units/H40"}});
  auto stub = v1::AccessService::NewStub(Channel());
  auto list = [&](const std::string& filter) {
    v1::ListPrincipalsRequest request;
    request.set_filter(filter);
    v1::ListPrincipalsResponse response;
    auto ctx = Ctx(admin_token_);
    grpc::Status s = stub->ListPrincipals(ctx.get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return Names(response.principals());
  };
  EXPECT_THAT(list(R"(unit = "units/H40")"),
              ::testing::ElementsAre("principals/an", "principals/cong-h40"));
  EXPECT_THAT(list("kind = PORTAL"), ::testing::ElementsAre("principals/cong-h40"));
  EXPECT_THAT(list("state = ACTIVE").size(), 4);

  auto create = [&](const std::string& id, v1::PrincipalKind kind, const std::string& unit,
                    v1::Role role, const std::string& at, const std::string& subject = "") {
    v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name("X");
    request.mutable_principal()->set_kind(kind);
    request.mutable_principal()->set_unit(unit);
    if (role != v1::ROLE_UNSPECIFIED) {
      auto* b = request.mutable_principal()->add_bindings();
      b->set_role(role);
      b->set_unit(at);
    }
    if (!subject.empty()) request.mutable_principal()->add_certificate_subjects(subject);
    v1::CreatePrincipalResponse response;
    auto ctx = Ctx(admin_token_);
    return client::FromGrpcStatus(stub->CreatePrincipal(ctx.get(), request, &response));
  };
  EXPECT_THAT(create("Bad Id", v1::PRINCIPAL_KIND_PERSON, "", {}, ""),
              IsInvalidField("principal_id"));
  EXPECT_THAT(create("an", v1::PRINCIPAL_KIND_PERSON, "", {}, ""),
              IsError(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS"));
  EXPECT_THAT(create("x1", v1::PRINCIPAL_KIND_UNSPECIFIED, "", {}, ""),
              IsInvalidField("principal.kind"));
  EXPECT_THAT(create("x2", v1::PRINCIPAL_KIND_PERSON, "units/NOPE", {}, ""),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  EXPECT_THAT(create("x3", v1::PRINCIPAL_KIND_PERSON, "", v1::ROLE_IMPERSONATOR, "units/H40"),
              IsInvalidField("principal.bindings[0].role"));
  EXPECT_THAT(create("x4", v1::PRINCIPAL_KIND_PERSON, "", v1::ROLE_VIEWER, "units/NOPE"),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  EXPECT_THAT(create("x5", v1::PRINCIPAL_KIND_SYSTEM, "", v1::ROLE_VIEWER, "H40"),
              IsInvalidField("principal.bindings[0].unit"));
  EXPECT_THAT(create("x6", v1::PRINCIPAL_KIND_SYSTEM, "", {}, "", "spiffe://x"),
              IsInvalidField("principal.certificate_subjects[0]"));
  EXPECT_THAT(create("x7", v1::PRINCIPAL_KIND_SYSTEM, "", {}, "", "URI:spiffe://d06/h40"), IsOk());
  EXPECT_THAT(create("x8", v1::PRINCIPAL_KIND_SYSTEM, "", {}, "", "URI:spiffe://d06/h40"),
              IsError(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS"));

  // Stale etag.
  v1::UpdatePrincipalRequest update;
  update.mutable_principal()->set_name("principals/an");
  update.mutable_principal()->set_display_name("Nguyễn Văn An");
  update.mutable_principal()->set_etag("r1");
  update.mutable_update_mask()->add_paths("display_name");
  v1::UpdatePrincipalResponse updated;
  auto ctx = Ctx(admin_token_);
  EXPECT_THAT(client::FromGrpcStatus(stub->UpdatePrincipal(ctx.get(), update, &updated)),
              IsError(absl::StatusCode::kAborted, "STALE_ETAG"));
}

// A page token is sealed for the principal it was given to (server/core/paging.h): any
// credential of that principal may go on with it, another principal may not.
TEST_F(AuthTest, APageTokenIsBoundToThePrincipalItWasGivenTo) {
  for (const char* code : {"H29", "H30", "H31"}) {
    ASSERT_THAT(CreateUnit(admin_token_, code).status(), IsOk());
  }
  v1::Principal other =
      MustCreatePrincipal("quan-tri-2", v1::PRINCIPAL_KIND_PERSON, "", {{v1::ROLE_ADMIN, "*"}});
  const std::string other_token = MustToken(other.name());
  const std::string admin_second_token = MustToken("principals/admin");
  auto list = [&](const std::string& token,
                  const std::string& page_token) -> absl::StatusOr<v1::ListUnitsResponse> {
    v1::ListUnitsRequest request;
    request.set_page_size(1);
    request.set_page_token(page_token);
    v1::ListUnitsResponse response;
    auto ctx = Ctx(token);
    grpc::Status s = v1::UnitService::NewStub(Channel())->ListUnits(ctx.get(), request, &response);
    if (!s.ok()) return client::FromGrpcStatus(s);
    return response;
  };
  auto admins = list(admin_token_, "");
  ASSERT_THAT(admins.status(), IsOk());
  ASSERT_FALSE(admins->next_page_token().empty());
  auto others = list(other_token, "");
  ASSERT_THAT(others.status(), IsOk());
  ASSERT_FALSE(others->next_page_token().empty());

  auto second = list(admin_second_token, admins->next_page_token());
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_THAT(Names(second->units()), ::testing::ElementsAre("units/H30"));
  EXPECT_THAT(list(other_token, admins->next_page_token()).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  EXPECT_THAT(list(other_token, others->next_page_token()).status(), IsOk());
  EXPECT_THAT(list(admin_token_, others->next_page_token()).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

TEST_F(AuthTest, PortalsActForPeopleOnlyWithTheGrantAndTheEventNamesBoth) {
  ASSERT_THAT(CreateUnit(admin_token_, "H40").status(), IsOk());
  ASSERT_THAT(CreateUnit(admin_token_, "H29").status(), IsOk());
  v1::Principal an = MustCreatePrincipal("an", v1::PRINCIPAL_KIND_PERSON, "units/H40",
                                         {{v1::ROLE_ADMIN, "units/H40"}});
  v1::Principal binh = MustCreatePrincipal("binh", v1::PRINCIPAL_KIND_PERSON, "units/H29");
  v1::Principal portal = MustCreatePrincipal("cong-h40", v1::PRINCIPAL_KIND_PORTAL, "units/H40",
                                             {{v1::ROLE_IMPERSONATOR, "units/H40"}});
  v1::Principal plain = MustCreatePrincipal("cong-khac", v1::PRINCIPAL_KIND_PORTAL, "units/H40");
  const std::string portal_token = MustToken(portal.name());
  const std::string plain_token = MustToken(plain.name());

  auto me = WhoAmI(portal_token, {{"x-d06-impersonate", "principals/an"}});
  ASSERT_THAT(me.status(), IsOk());
  EXPECT_EQ(me->principal().name(), "principals/an");
  EXPECT_EQ(me->via(), "principals/cong-h40");
  // The binary form carries the same.
  auto bin = WhoAmI(portal_token, {{"x-d06-impersonate-bin", "principals/an"}});
  ASSERT_THAT(bin.status(), IsOk());
  EXPECT_EQ(bin->principal().name(), "principals/an");

  // Outside its subtree, unknown, or without the grant: refused.
  EXPECT_THAT(WhoAmI(portal_token, {{"x-d06-impersonate", "principals/binh"}}).status(),
              IsError(kPermissionDenied, "IMPERSONATION_DENIED"));
  EXPECT_THAT(WhoAmI(portal_token, {{"x-d06-impersonate", "principals/nobody"}}).status(),
              IsError(kPermissionDenied, "IMPERSONATION_DENIED"));
  EXPECT_THAT(WhoAmI(plain_token, {{"x-d06-impersonate", "principals/an"}}).status(),
              IsError(kPermissionDenied, "IMPERSONATION_DENIED"));
  EXPECT_THAT(WhoAmI(admin_token_, {{"x-d06-impersonate", "principals/an"}}).status(),
              IsError(kPermissionDenied, "IMPERSONATION_DENIED"));

  // A change made through the portal records the person and the portal.
  ASSERT_THAT(
      CreateUnit(portal_token, "H40.07", "units/H40", {{"x-d06-impersonate", "principals/an"}})
          .status(),
      IsOk());
  std::optional<v1::Event> created = FeedEventOf("units/H40.07", [&](const v1::Event& e) {
    if (e.action() == v1::EVENT_ACTION_CREATE_TOKEN) {
      EXPECT_EQ(e.token().name().find("d06_"), std::string::npos);
      EXPECT_THAT(e.SerializeAsString(), Not(HasSubstr(portal_token.substr(4, 20))));
    }
  });
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->actor(), "principals/an");
  EXPECT_EQ(created->via(), "principals/cong-h40");
  // Disabling the acted-for person refuses the portal's calls for them.
  ASSERT_THAT(SetState(an.name(), v1::PRINCIPAL_STATE_DISABLED), IsOk());
  EXPECT_THAT(WhoAmI(portal_token, {{"x-d06-impersonate", "principals/an"}}).status(),
              IsError(kPermissionDenied, "IMPERSONATION_DENIED"));
  (void)binh;
}

TEST_F(AuthTest, HttpTakesTheAuthorizationHeader) {
  RawHttp http(server().http_port());
  ASSERT_TRUE(http.connected());
  auto post = [&](const std::string& auth) {
    std::string request =
        "POST /d06.v1.AccessService/WhoAmI HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n";
    if (!auth.empty()) request += "Authorization: " + auth + "\r\n";
    request += "\r\n{}";
    EXPECT_TRUE(http.Send(request));
    return http.Read();
  };
  auto anonymous = post("");
  ASSERT_TRUE(anonymous.has_value());
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_THAT(anonymous->body, HasSubstr("CREDENTIAL_MISSING"));
  EXPECT_THAT(anonymous->header("WWW-Authenticate"), HasSubstr("Bearer"));
  auto admin = post("Bearer " + admin_token_);
  ASSERT_TRUE(admin.has_value());
  EXPECT_EQ(admin->status, 200);
  EXPECT_THAT(admin->body, HasSubstr("principals/admin"));
  auto bad = post("Bearer d06_x");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 401);
  EXPECT_THAT(bad->body, HasSubstr("TOKEN_MALFORMED"));
  // The CORS preflight allows the header.
}

// Probes (Kubernetes' httpGet, a load balancer) carry no credential: /healthz needs
// none and says nothing but whether d06d serves.
TEST_F(AuthTest, HealthzNeedsNoCredential) {
  RawHttp http(server().http_port());
  ASSERT_TRUE(http.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  auto answer = http.Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "SERVING\n");
  EXPECT_EQ(answer->header("Cache-Control"), "no-store");
}

TEST_F(AuthTest, FailuresFromOneAddressAreSlowedButValidCredentialsAreNot) {
  // Calls without a credential guess nothing: never slowed, and they do not count.
  absl::Time start = absl::Now();
  for (int i = 0; i < 8; ++i) {
    EXPECT_THAT(WhoAmI("").status(), IsError(kUnauthenticated, "CREDENTIAL_MISSING"));
  }
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(150 * 8));
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(WhoAmI(NewTokenSecret()).status(), IsError(kUnauthenticated, "TOKEN_UNKNOWN"));
  }
  start = absl::Now();
  EXPECT_THAT(WhoAmI(NewTokenSecret()).status(), IsError(kUnauthenticated, "TOKEN_UNKNOWN"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  start = absl::Now();
  EXPECT_THAT(WhoAmI(admin_token_).status(), IsOk());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(150));
}

// ---- the authenticator over a Core, without a network ---------------------------------

TEST(PrincipalAuthenticatorTest, ABadChecksumIsRefusedWithoutALookup) {
  CoreEnv env(TestStartTime());
  api::PrincipalAuthenticator auth(&env.core(), {});
  std::string token = NewTokenSecret();
  token.back() = token.back() == 'a' ? 'b' : 'a';
  const std::string bearer = "Bearer " + token;
  api::CallContext metadata;
  metadata.authorization = bearer;
  metadata.peer = "ipv4:10.0.0.5:4000";
  EXPECT_THAT(auth.Authenticate(metadata).status(), IsError(kUnauthenticated, "TOKEN_MALFORMED"));
  EXPECT_EQ(auth.stats().token_lookups, 0u);
  const std::string good = "Bearer " + NewTokenSecret();
  metadata.authorization = good;
  EXPECT_THAT(auth.Authenticate(metadata).status(), IsError(kUnauthenticated, "TOKEN_UNKNOWN"));
  EXPECT_EQ(auth.stats().token_lookups, 1u);
}

TEST(PrincipalAuthenticatorTest, ThePeerTableIsBoundedWhateverTheAddresses) {
  CoreEnv env(TestStartTime());
  api::PrincipalAuthenticator::Options options;
  options.max_peers = 64;
  api::PrincipalAuthenticator auth(&env.core(), options);
  for (int i = 0; i < 1000; ++i) {
    const std::string peer = absl::StrCat("ipv4:10.", i / 250, ".", i % 250, ".1:5000");
    api::CallContext metadata;
    metadata.peer = peer;
    absl::StatusOr<Caller> caller = auth.Authenticate(metadata);
    ASSERT_FALSE(caller.ok());
    absl::Status answered;
    auth.Refuse(metadata, caller.status(), [&](absl::Status s) { answered = s; });
    EXPECT_THAT(answered, IsError(kUnauthenticated, "CREDENTIAL_MISSING"));
  }
  EXPECT_LE(auth.tracked_peers(), 64u);
  // IPv6 addresses of one /64 are one peer.
  for (int i = 0; i < 3; ++i) {
    api::CallContext metadata;
    const std::string peer = absl::StrCat("ipv6:[2001:db8:1:2::", i + 1, "]:443");
    metadata.peer = peer;
    auth.Refuse(metadata, absl::UnauthenticatedError("x"), [](absl::Status) {});
  }
  EXPECT_LE(auth.tracked_peers(), 64u);
}

TEST(TokenTest, FormatChecksumAndHash) {
  const std::string a = NewTokenSecret(), b = NewTokenSecret();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 53u);
  EXPECT_THAT(CheckTokenFormat(a), IsOk());
  for (char c : a.substr(4)) EXPECT_TRUE(absl::ascii_isalnum(c)) << a;
  std::string flipped = a;
  flipped[20] = flipped[20] == 'Z' ? 'Y' : 'Z';
  EXPECT_THAT(CheckTokenFormat(flipped), IsError(kUnauthenticated, "TOKEN_MALFORMED"));
  EXPECT_THAT(CheckTokenFormat(a.substr(0, 52)), IsError(kUnauthenticated, "TOKEN_MALFORMED"));
  EXPECT_THAT(CheckTokenFormat("ghp_" + a.substr(4)), IsError(kUnauthenticated, "TOKEN_MALFORMED"));
  EXPECT_EQ(TokenHash(a).size(), 32u);
  EXPECT_EQ(TokenHash(a), TokenHash(a));
  EXPECT_TRUE(HashesEqual(TokenHash(a), TokenHash(a)));
  EXPECT_FALSE(HashesEqual(TokenHash(a), TokenHash(b)));
  EXPECT_FALSE(HashesEqual(TokenHash(a), TokenHash(a).substr(0, 31)));
  const std::string id = RandomId(16);
  EXPECT_EQ(id.size(), 16u);
  for (char c : id) EXPECT_TRUE(absl::ascii_islower(c) || absl::ascii_isdigit(c)) << id;
}

// ---- modes -----------------------------------------------------------------------------

TEST(AuthModesTest, DevelopmentModeAndPlaintextRefuseNonLoopbackAddresses) {
  TempDir dir("d06-modes");
  ServerOptions options;
  options.data_dir = dir.path();
  options.listen_address = "0.0.0.0:0";
  options.http_listen_address = "";
  options.auth = AuthMode::kOff;
  absl::StatusOr<std::unique_ptr<Server>> off = Server::Start(options);
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(off.status().message()), HasSubstr("--auth=off"));
  EXPECT_THAT(std::string(off.status().message()), HasSubstr("loopback"));

  options.auth = AuthMode::kRequired;
  absl::StatusOr<std::unique_ptr<Server>> plaintext = Server::Start(options);
  ASSERT_FALSE(plaintext.ok());
  EXPECT_THAT(std::string(plaintext.status().message()), HasSubstr("--tls_cert"));
  EXPECT_THAT(std::string(plaintext.status().message()), HasSubstr("--network_encrypted"));

  options.listen_address = "127.0.0.1:0";
  options.http_listen_address = "[::]:0";
  plaintext = Server::Start(options);
  ASSERT_FALSE(plaintext.ok());
  EXPECT_THAT(std::string(plaintext.status().message()), HasSubstr("[::]:0"));

  options.http_listen_address = "";
  options.tls_cert = "cert.pem";
  absl::StatusOr<std::unique_ptr<Server>> half = Server::Start(options);
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(std::string(half.status().message()), HasSubstr("--tls_key"));
  options.tls_cert = "";
  options.client_ca = "ca.pem";
  half = Server::Start(options);
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(std::string(half.status().message()), HasSubstr("--client_ca"));
}

}  // namespace
}  // namespace d06::testing
