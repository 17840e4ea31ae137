// SplitHostPort: the listen addresses both transports take. Names and bracketed IPv6
// addresses are host:port; checked here without resolving or binding anything, so the
// result does not depend on the machine's name service or on IPv6 being enabled.
#include "server/api/host_port.h"

#include <string>

#include "gtest/gtest.h"

namespace d06::api {
namespace {

TEST(SplitHostPortTest, NamesAndIpv6AreHostPorts) {
  struct Case {
    std::string address, host, port;
  };
  for (const Case& c : {Case{"localhost:0", "localhost", "0"}, Case{"[::1]:0", "::1", "0"},
                        Case{"127.0.0.1:50051", "127.0.0.1", "50051"},
                        Case{"d06.example.gov.vn:8080", "d06.example.gov.vn", "8080"},
                        Case{"[fe80::1%eth0]:65535", "fe80::1%eth0", "65535"}}) {
    std::string host, port;
    ASSERT_TRUE(SplitHostPort(c.address, &host, &port)) << c.address;
    EXPECT_EQ(host, c.host) << c.address;
    EXPECT_EQ(port, c.port) << c.address;
  }
}

TEST(SplitHostPortTest, OthersAreNot) {
  for (const std::string address :
       {"localhost", "127.0.0.1:", "127.0.0.1:http2x", "127.0.0.1:70000", "[::1:5", "::1:5",
        ":50051", "[]:5", "127.0.0.1:123456", "127.0.0.1:-1", "127.0.0.1:+1"}) {
    std::string host, port;
    EXPECT_FALSE(SplitHostPort(address, &host, &port)) << address;
  }
}

}  // namespace
}  // namespace d06::api
