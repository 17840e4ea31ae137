// TLS on both ports of an in-process d06::Server (server/api/tls.h): gRPC with a client
// that trusts the test CA, HTTP with a raw OpenSSL client; a plaintext client to a TLS
// port fails; a client certificate of another CA or an expired one does not fail the
// handshake (d06 judges it afterwards); the certificate a client presents reaches the
// transports (gRPC's auth context, HttpRequest::client_certificate) with the peer's
// address; a rotated certificate is served to new connections within seconds without a
// restart, and at once after Server::ReloadCertificates(); wrong new files keep the old.
#include "server/api/tls.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "d06/testing/counter.grpc.pb.h"
#include "d06/v1/unit.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/http_server.h"
#include "server/d06d/server.h"
#include "tests/testing/own_connection.h"
#include "tests/testing/raw_http.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_ca.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A channel of its own (no connection shared with other channels), so that each call
// below makes a new TLS handshake.
std::shared_ptr<grpc::Channel> NewChannel(int port,
                                          std::shared_ptr<grpc::ChannelCredentials> credentials) {
  return OwnConnection(absl::StrCat("127.0.0.1:", port), std::move(credentials));
}

struct GrpcAnswer {
  grpc::Status status;
  std::string server_serial;  // of the certificate the server presented
};

// GetUnit("units/H29") on a new connection: NOT_FOUND means the call was served.
GrpcAnswer GetUnit(int port, std::shared_ptr<grpc::ChannelCredentials> credentials) {
  auto stub = v1::UnitService::NewStub(NewChannel(port, std::move(credentials)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetUnitRequest request;
  request.set_name("units/H29");
  v1::GetUnitResponse unit;
  GrpcAnswer answer;
  answer.status = stub->GetUnit(&context, request, &unit);
  if (auto auth = context.auth_context(); auth != nullptr) {
    for (const auto& pem : auth->FindPropertyValues("x509_pem_cert")) {
      answer.server_serial = SerialOf(std::string(pem.data(), pem.size()));
    }
  }
  return answer;
}

std::string HttpGetUnit() {
  const std::string body = R"({"name":"units/H29"})";
  return absl::StrCat(
      "POST /d06.v1.UnitService/GetUnit HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nConnection: close\r\nContent-Length: ",
      body.size(), "\r\n\r\n", body);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.auth = AuthMode::kOff;
    options.listen_address = "127.0.0.1:0";
    options.http_listen_address = "127.0.0.1:0";
    options.data_dir = data_.path();
    options.tls_cert = pki_.server_cert_file();
    options.tls_key = pki_.server_key_file();
    options.client_ca = pki_.ca_file();
    auto server = Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::shared_ptr<grpc::ChannelCredentials> Tls(const Issued& client = {}) const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pki_.ca().cert_pem();
    ssl.pem_private_key = client.key_pem;
    ssl.pem_cert_chain = client.cert_pem;
    return grpc::SslCredentials(ssl);
  }

  // Waits up to `within` for a new gRPC and a new HTTP connection to be served
  // `serial`.
  bool BothServe(const std::string& serial, absl::Duration within) {
    const absl::Time give_up = absl::Now() + within;
    while (true) {
      const std::string grpc_serial = GetUnit(server_->port(), Tls()).server_serial;
      const std::string http_serial =
          TlsRequest(server_->http_port(), pki_.ca().cert_pem(), "").server_serial;
      const bool grpc = grpc_serial == serial;
      const bool http = http_serial == serial;
      if (grpc && http) return true;
      if (absl::Now() > give_up) {
        ADD_FAILURE() << "serial " << serial << " not served; gRPC serves " << grpc_serial
                      << ", HTTP " << http_serial;
        return false;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  TempDir data_{"d06-tls-data"};
  TempDir certs_{"d06-tls-certs"};
  TestPki pki_{certs_.path()};
  std::unique_ptr<Server> server_;
};

TEST_F(TlsTest, GrpcOverTlsIsServed) {
  GrpcAnswer answer = GetUnit(server_->port(), Tls());
  EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::NOT_FOUND)
      << answer.status.error_message();
  EXPECT_EQ(answer.server_serial, pki_.server().serial());
}

TEST_F(TlsTest, PlaintextClientOfTheGrpcPortFails) {
  GrpcAnswer answer = GetUnit(server_->port(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, ClientTrustingAnotherCaRefusesTheServer) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pki_.other_ca().cert_pem();
  GrpcAnswer answer = GetUnit(server_->port(), grpc::SslCredentials(ssl));
  EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

// The handshake does not judge client certificates: d06 answers them (the method table's
// authenticator; with --auth=off, as here, the call is served).
TEST_F(TlsTest, AnyClientCertificateCompletesTheGrpcHandshake) {
  for (const Issued* client :
       {&pki_.client(), &pki_.other_client(), &pki_.expired_client(), &pki_.unknown_client()}) {
    GrpcAnswer answer = GetUnit(server_->port(), Tls(*client));
    EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::NOT_FOUND)
        << answer.status.error_message();
  }
}

TEST_F(TlsTest, HttpOverTlsIsServed) {
  TlsExchange exchange = TlsRequest(server_->http_port(), pki_.ca().cert_pem(), HttpGetUnit());
  ASSERT_TRUE(exchange.handshake) << exchange.error;
  EXPECT_EQ(exchange.server_serial, pki_.server().serial());
  EXPECT_THAT(exchange.response, StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(exchange.response, HasSubstr("not_found"));
  // With any client certificate too.
  for (const Issued* client : {&pki_.client(), &pki_.other_client(), &pki_.expired_client()}) {
    exchange = TlsRequest(server_->http_port(), pki_.ca().cert_pem(), HttpGetUnit(), *client);
    ASSERT_TRUE(exchange.handshake) << exchange.error;
    EXPECT_THAT(exchange.response, StartsWith("HTTP/1.1 404"));
  }
}

TEST_F(TlsTest, PlaintextClientOfTheHttpPortGetsNothing) {
  RawHttp http(server_->http_port(), absl::Seconds(5));
  ASSERT_TRUE(http.connected());
  http.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  std::optional<RawAnswer> answer = http.Read();
  EXPECT_FALSE(answer.has_value() && answer->status > 0);
}

TEST_F(TlsTest, RotatedCertificateIsServedWithoutRestart) {
  ASSERT_TRUE(BothServe(pki_.server().serial(), absl::Seconds(1)));
  const std::string serial = pki_.RotateServer();
  EXPECT_TRUE(BothServe(serial, absl::Seconds(3)));
  const std::string with_new_key = pki_.RotateServer(/*new_key=*/true);
  EXPECT_TRUE(BothServe(with_new_key, absl::Seconds(3)));
}

TEST_F(TlsTest, ReloadCertificatesTakesNewFilesAtOnce) {
  const std::string serial = pki_.RotateServer(/*new_key=*/true);
  ASSERT_TRUE(server_->ReloadCertificates().ok());
  EXPECT_TRUE(BothServe(serial, absl::ZeroDuration()));
}

TEST_F(TlsTest, WrongNewFilesKeepTheCurrentCertificate) {
  const std::string serial = pki_.server().serial();
  pki_.Write("server.pem", pki_.ca().Server().cert_pem);  // another key's certificate
  absl::Status reload = server_->ReloadCertificates();
  EXPECT_EQ(reload.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(reload.message(), HasSubstr("does not match --tls_cert"));
  absl::SleepFor(absl::Milliseconds(2500));  // the poller tried too
  EXPECT_TRUE(BothServe(serial, absl::ZeroDuration()));
}

TEST(TlsStartTest, BadFilesStopStart) {
  TempDir data("d06-tls-data");
  TempDir certs("d06-tls-certs");
  TestPki pki(certs.path());
  ServerOptions options;
  options.auth = AuthMode::kOff;
  options.listen_address = "127.0.0.1:0";
  options.http_listen_address = "127.0.0.1:0";
  options.data_dir = data.path();
  options.tls_cert = pki.server_cert_file();
  options.tls_key = pki.Write("other.key", pki.client().key_pem);
  auto server = Server::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("does not match --tls_cert"));
}

TEST(TlsStartTest, PlaintextServerHasNothingToReload) {
  TempDir data("d06-tls-data");
  ServerOptions options;
  options.auth = AuthMode::kOff;
  options.listen_address = "127.0.0.1:0";
  options.http_listen_address = "";
  options.data_dir = data.path();
  auto server = Server::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->ReloadCertificates().code(), absl::StatusCode::kFailedPrecondition);
  (*server)->Shutdown();
}

// The transports on their own: what a client presented reaches them.

class EchoCounter final : public d06::testing::CounterService::Service {
  grpc::Status Echo(grpc::ServerContext* context, const CountRequest*, CountReply* reply) override {
    auto auth = context->auth_context();
    std::string pem;
    for (const auto& value : auth->FindPropertyValues("x509_pem_cert")) {
      pem.assign(value.data(), value.size());
    }
    reply->set_label(SerialOf(pem));
    reply->set_actor(context->peer());
    return grpc::Status::OK;
  }
};

TEST(TlsTransportTest, GrpcSeesTheClientCertificate) {
  TempDir certs("d06-tls-certs");
  TestPki pki(certs.path());
  auto tls = api::TlsFiles::Load({pki.server_cert_file(), pki.server_key_file(), pki.ca_file()});
  ASSERT_TRUE(tls.ok()) << tls.status();
  EchoCounter service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", (*tls)->GrpcCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  for (const Issued* client : {&pki.client(), &pki.other_client()}) {
    grpc::SslCredentialsOptions ssl{pki.ca().cert_pem(), client->key_pem, client->cert_pem};
    auto stub = CounterService::NewStub(NewChannel(port, grpc::SslCredentials(ssl)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    CountReply reply;
    grpc::Status status = stub->Echo(&context, CountRequest(), &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.label(), client->serial());
    EXPECT_THAT(reply.actor(), StartsWith("ipv4:127.0.0.1:"));
  }
  server->Shutdown();
}

TEST(TlsTransportTest, HttpSeesTheClientCertificateAndPeer) {
  TempDir certs("d06-tls-certs");
  TestPki pki(certs.path());
  auto tls = api::TlsFiles::Load({pki.server_cert_file(), pki.server_key_file(), pki.ca_file()});
  ASSERT_TRUE(tls.ok()) << tls.status();
  api::HttpServerOptions options;
  options.tls = *tls;
  auto server = api::HttpServer::Start(
      "127.0.0.1:0", options,
      [](const api::HttpRequest& request, api::HttpResponse& response) {
        response.set_content(
            absl::StrCat(request.peer, "\n", SerialOf(request.client_certificate), "\n"),
            "text/plain");
      },
      [](int status, absl::string_view why, api::HttpResponse& response) {
        response.status = status;
        response.set_content(std::string(why), "text/plain");
      });
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string get = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  for (const Issued* client : {&pki.client(), &pki.other_client(), &pki.expired_client()}) {
    TlsExchange exchange = TlsRequest((*server)->port(), pki.ca().cert_pem(), get, *client);
    ASSERT_TRUE(exchange.handshake) << exchange.error;
    EXPECT_THAT(exchange.response, HasSubstr("\r\n\r\nipv4:127.0.0.1:"));
    EXPECT_THAT(exchange.response, HasSubstr("\n" + client->serial() + "\n"));
  }
  // Without a client certificate: the peer, no certificate.
  TlsExchange exchange = TlsRequest((*server)->port(), pki.ca().cert_pem(), get);
  ASSERT_TRUE(exchange.handshake) << exchange.error;
  EXPECT_THAT(exchange.response, HasSubstr("\r\n\r\nipv4:127.0.0.1:"));
  EXPECT_THAT(exchange.response, ::testing::EndsWith("\n\n"));
  (*server)->Shutdown();
}

TEST(TlsTransportTest, PlainHttpHasThePeerToo) {
  auto server = api::HttpServer::Start(
      "127.0.0.1:0", {},
      [](const api::HttpRequest& request, api::HttpResponse& response) {
        response.set_content(request.peer + "|" + request.client_certificate, "text/plain");
      },
      [](int, absl::string_view, api::HttpResponse&) {});
  ASSERT_TRUE(server.ok()) << server.status();
  RawHttp http((*server)->port());
  http.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  std::optional<RawAnswer> answer = http.Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_THAT(answer->body, StartsWith("ipv4:127.0.0.1:"));
  EXPECT_THAT(answer->body, ::testing::EndsWith("|"));
  (*server)->Shutdown();
}

}  // namespace
}  // namespace d06::testing
