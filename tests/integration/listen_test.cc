// Server::Start refuses an address it cannot serve alone, saying why: a port another
// server already listens on (gRPC would share it through SO_REUSEPORT unless told not
// to, and both servers would take calls; the HTTP face binds its socket itself, without
// it), or an address that is not host:port. Both transports: gRPC (--listen) and HTTP
// (--http_listen).
#include <filesystem>
#include <string>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

class ListenTest : public ServerTest {
 protected:
  absl::StatusOr<std::unique_ptr<Server>> StartSecond(const std::string& address) {
    ServerOptions options;
    options.auth = AuthMode::kOff;  // these tests name their actor (x-d06-actor)
    options.listen_address = address;
    options.data_dir = (std::filesystem::path(data_dir()) / "second").string();
    options.clock = &clock();
    return Server::Start(options);
  }
  // A second server with gRPC on a free port and HTTP on `http_address`.
  absl::StatusOr<std::unique_ptr<Server>> StartSecondHttp(const std::string& http_address) {
    ServerOptions options;
    options.auth = AuthMode::kOff;  // these tests name their actor (x-d06-actor)
    options.listen_address = "127.0.0.1:0";
    options.http_listen_address = http_address;
    options.data_dir = (std::filesystem::path(data_dir()) / "second").string();
    options.clock = &clock();
    return Server::Start(options);
  }
};

TEST_F(ListenTest, SecondServerOnTheSamePortIsUnavailable) {
  const std::string address = target();  // 127.0.0.1:<the running server's port>
  auto second = StartSecond(address);
  if (second.ok()) (*second)->Shutdown();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_EQ(second.status().message(), "cannot listen on " + address + ": address in use");
  // The first server still serves.
  EXPECT_THAT(client().CheckHealth(), IsOk());
}

TEST_F(ListenTest, SecondServerOnTheSameHttpPortIsUnavailable) {
  const std::string address = absl::StrCat("127.0.0.1:", server().http_port());
  auto second = StartSecondHttp(address);
  if (second.ok()) (*second)->Shutdown();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_EQ(second.status().message(), "cannot listen on " + address + ": address in use");
  EXPECT_THAT(client().CheckHealth(), IsOk());
}

TEST_F(ListenTest, HttpAddressOfAnotherHostCannotBeBound) {
  auto server = StartSecondHttp("192.0.2.1:8080");
  if (server.ok()) (*server)->Shutdown();
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.status().message(),
            "cannot listen on 192.0.2.1:8080: Cannot assign requested address");
}

TEST_F(ListenTest, AddressOfAnotherHostCannotBeBound) {
  auto server = StartSecond("192.0.2.1:50051");  // TEST-NET-1: not an address of this host
  if (server.ok()) (*server)->Shutdown();
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.status().message(),
            "cannot listen on 192.0.2.1:50051: Cannot assign requested address");
}

// gRPC itself would serve "localhost" (on its default port) and "127.0.0.1:" (any port).
TEST_F(ListenTest, MalformedAddressIsNotAHostPort) {
  for (const std::string address : {"localhost", "127.0.0.1:", "127.0.0.1:http2x",
                                    "127.0.0.1:70000", "[::1:5", "::1:5", ":50051"}) {
    auto server = StartSecond(address);
    if (server.ok()) (*server)->Shutdown();
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << address;
    EXPECT_EQ(server.status().message(), "cannot listen on " + address + ": not a host:port")
        << address;
  }
}

}  // namespace
}  // namespace d06::testing
