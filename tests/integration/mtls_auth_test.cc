// Mutual TLS with authentication required: d06d serves TLS on both ports with
// --client_ca, and a SYSTEM principal answers to a certificate subject. Over gRPC and
// over HTTP each: the principal's certificate authenticates it; a certificate of another
// CA is CERTIFICATE_UNTRUSTED, an expired one CERTIFICATE_EXPIRED, one whose subject
// belongs to no principal CERTIFICATE_UNKNOWN, none at all CREDENTIAL_MISSING; a disabled
// principal's certificate is PRINCIPAL_DISABLED; a subject added to a principal counts
// from the next call; a bearer token over the same TLS connection wins over the
// certificate. The certificates are made by the test (tests/testing/test_ca.h).
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "d06/v1/access.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/d06d/server.h"
#include "tests/testing/own_connection.h"
#include "tests/testing/test_ca.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::StatusCode kUnauthenticated = absl::StatusCode::kUnauthenticated;
constexpr char kSystem[] = "principals/he-thong-h40";

class MtlsAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.http_listen_address = "127.0.0.1:0";
    options.data_dir = data_.path();
    options.tls_cert = pki_.server_cert_file();
    options.tls_key = pki_.server_key_file();
    options.client_ca = pki_.ca_file();
    ASSERT_EQ(options.auth, AuthMode::kRequired);  // the default
    auto token = BootstrapAdmin(options, "admin", "Quản trị viên", false);
    ASSERT_TRUE(token.ok()) << token.status();
    admin_token_ = *token;
    auto server = Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);

    // The agency system: answers to its certificate's URI.
    v1::CreatePrincipalRequest request;
    request.set_principal_id("he-thong-h40");
    request.mutable_principal()->set_display_name("Hệ thống quản lý của tỉnh H40");
    request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_SYSTEM);
    request.mutable_principal()->add_certificate_subjects(
        absl::StrCat("URI:", TestPki::kClientUri));
    v1::CreatePrincipalResponse created;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_token_);
    grpc::Status s = Access()->CreatePrincipal(&ctx, request, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // A stub over a TLS connection of its own that trusts the test CA and presents
  // `cert` (nothing when empty).
  std::unique_ptr<v1::AccessService::Stub> Access(const Issued& cert = {}) const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pki_.ca().cert_pem();
    ssl.pem_private_key = cert.key_pem;
    ssl.pem_cert_chain = cert.cert_pem;
    return v1::AccessService::NewStub(
        OwnConnection(absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl)));
  }

  absl::StatusOr<v1::WhoAmIResponse> GrpcWhoAmI(const Issued& cert,
                                                const std::string& token = "") const {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    v1::WhoAmIResponse response;
    grpc::Status s = Access(cert)->WhoAmI(&ctx, {}, &response);
    if (!s.ok()) return client::FromGrpcStatus(s);
    return response;
  }

  // POST /d06.v1.AccessService/WhoAmI over TLS presenting `client`: the raw answer.
  std::string HttpWhoAmI(const Issued& client, const std::string& token = "") const {
    std::string request =
        "POST /d06.v1.AccessService/WhoAmI HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/json\r\nConnection: close\r\nContent-Length: 2\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    request += "\r\n{}";
    TlsExchange exchange = TlsRequest(server_->http_port(), pki_.ca().cert_pem(), request, client);
    EXPECT_TRUE(exchange.handshake) << exchange.error;
    return exchange.response;
  }

  absl::Status UpdatePrincipal(const v1::Principal& principal, const std::string& path) const {
    v1::UpdatePrincipalRequest request;
    *request.mutable_principal() = principal;
    request.mutable_update_mask()->add_paths(path);
    v1::UpdatePrincipalResponse response;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_token_);
    return client::FromGrpcStatus(Access()->UpdatePrincipal(&ctx, request, &response));
  }

  TempDir data_{"d06-mtls-data"};
  TempDir certs_{"d06-mtls-certs"};
  TestPki pki_{certs_.path()};
  std::string admin_token_;
  std::unique_ptr<Server> server_;
};

TEST_F(MtlsAuthTest, GrpcAuthenticatesThePrincipalOfAVerifiedCertificate) {
  auto me = GrpcWhoAmI(pki_.client());
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->principal().name(), kSystem);
  EXPECT_EQ(me->method(), "certificate");
}

TEST_F(MtlsAuthTest, GrpcRefusesEveryOtherCertificateWithItsReason) {
  EXPECT_THAT(GrpcWhoAmI(pki_.other_client()).status(),
              IsError(kUnauthenticated, "CERTIFICATE_UNTRUSTED"));
  EXPECT_THAT(GrpcWhoAmI(pki_.expired_client()).status(),
              IsError(kUnauthenticated, "CERTIFICATE_EXPIRED"));
  EXPECT_THAT(GrpcWhoAmI(pki_.unknown_client()).status(),
              IsError(kUnauthenticated, "CERTIFICATE_UNKNOWN"));
  EXPECT_THAT(GrpcWhoAmI({}).status(), IsError(kUnauthenticated, "CREDENTIAL_MISSING"));
}

TEST_F(MtlsAuthTest, HttpAuthenticatesThePrincipalOfAVerifiedCertificate) {
  const std::string answer = HttpWhoAmI(pki_.client());
  EXPECT_THAT(answer, ::testing::StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(answer, HasSubstr(kSystem));
  EXPECT_THAT(answer, HasSubstr(R"("method":"certificate")"));
}

TEST_F(MtlsAuthTest, HttpRefusesEveryOtherCertificateWithItsReason) {
  for (const auto& [cert, reason] : std::vector<std::pair<const Issued*, std::string>>{
           {&pki_.other_client(), "CERTIFICATE_UNTRUSTED"},
           {&pki_.expired_client(), "CERTIFICATE_EXPIRED"},
           {&pki_.unknown_client(), "CERTIFICATE_UNKNOWN"},
           {nullptr, "CREDENTIAL_MISSING"}}) {
    const std::string answer = HttpWhoAmI(cert == nullptr ? Issued{} : *cert);
    EXPECT_THAT(answer, ::testing::StartsWith("HTTP/1.1 401")) << reason;
    EXPECT_THAT(answer, HasSubstr(reason));
    EXPECT_THAT(answer, Not(HasSubstr(kSystem))) << reason;
  }
}

TEST_F(MtlsAuthTest, ADisabledPrincipalsCertificateIsRefused) {
  v1::Principal principal;
  principal.set_name(kSystem);
  principal.set_state(v1::PRINCIPAL_STATE_DISABLED);
  ASSERT_TRUE(UpdatePrincipal(principal, "state").ok());
  EXPECT_THAT(GrpcWhoAmI(pki_.client()).status(), IsError(kUnauthenticated, "PRINCIPAL_DISABLED"));
  EXPECT_THAT(HttpWhoAmI(pki_.client()), HasSubstr("PRINCIPAL_DISABLED"));
}

TEST_F(MtlsAuthTest, ASubjectAddedToAPrincipalCountsFromTheNextCall) {
  // unknown_client's common name, mapped the way etcd maps CN to a user.
  EXPECT_THAT(GrpcWhoAmI(pki_.unknown_client()).status(),
              IsError(kUnauthenticated, "CERTIFICATE_UNKNOWN"));
  v1::Principal principal;
  principal.set_name(kSystem);
  principal.add_certificate_subjects(absl::StrCat("URI:", TestPki::kClientUri));
  principal.add_certificate_subjects("CN:khong-ai");
  ASSERT_TRUE(UpdatePrincipal(principal, "certificate_subjects").ok());
  auto me = GrpcWhoAmI(pki_.unknown_client());
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->principal().name(), kSystem);
}

TEST_F(MtlsAuthTest, ATokenOnTheSameConnectionWinsOverTheCertificate) {
  auto me = GrpcWhoAmI(pki_.client(), admin_token_);
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->principal().name(), "principals/admin");
  EXPECT_EQ(me->method(), "token");
  const std::string answer = HttpWhoAmI(pki_.client(), admin_token_);
  EXPECT_THAT(answer, HasSubstr("principals/admin"));
  EXPECT_THAT(answer, HasSubstr(R"("method":"token")"));
}

}  // namespace
}  // namespace d06::testing
