// The HTTP face (server/api/http_transport.h, http_server.h) against hostile clients, over
// raw sockets to the in-process server: a strict parser (one Content-Length of digits
// only, none with Transfer-Encoding: 400), body limits for every encoding (413),
// header limits (431), pipelined requests answered in order, the idle and read deadlines,
// slow clients that do not keep others from being served, and the connection cap.
// tests/hostile/http_hostile_test.py does the same at scale against the d06d binary,
// measuring its memory.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/testing/raw_http.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr absl::Duration kIdleTimeout = absl::Seconds(1);
constexpr absl::Duration kReadTimeout = absl::Seconds(2);

// A request with `headers` (lines ending in \r\n) after the Host.
std::string Request(absl::string_view method, absl::string_view path,
                    absl::string_view headers = "", absl::string_view body = "") {
  return absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: localhost\r\n", headers, "\r\n", body);
}

// The probe: a small read answered 200 by a healthy server.
std::string ListUnits() {
  return Request("POST", "/d06.v1.UnitService/ListUnits",
                 "Content-Type: application/json\r\nContent-Length: 2\r\n", "{}");
}

class HttpHostileTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    options.http_idle_timeout = kIdleTimeout;
    options.http_read_timeout = kReadTimeout;
  }
  int port() { return server().http_port(); }

  // Sends `request` on a new connection: its answer, and whether the server then closed
  // the connection.
  std::pair<RawAnswer, bool> AnswerAndClosed(const std::string& request) {
    RawHttp http(port());
    RawAnswer answer = http.Exchange(request);
    return {answer, http.WaitClosed(absl::Seconds(3))};
  }
};

TEST_F(HttpHostileTest, AmbiguousLengthsAreRefusedAndTheConnectionClosed) {
  const std::string post =
      "POST /d06.v1.UnitService/ListUnits HTTP/1.1\r\nHost: localhost\r\n"
      "Content-Type: application/json\r\n";
  for (const std::string& request : {
           // Two Content-Length: which one a proxy in front reads is anyone's guess.
           post + "Content-Length: 2\r\nContent-Length: 20\r\n\r\n{}",
           post + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
           // Not only digits.
           post + "Content-Length: +2\r\n\r\n{}",
           post + "Content-Length: 0x2\r\n\r\n{}",
           // Both Content-Length and Transfer-Encoding (request smuggling).
           post + "Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
           // A Transfer-Encoding other than chunked.
           post + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
       }) {
    SCOPED_TRACE(request);
    const auto [answer, closed] = AnswerAndClosed(request);
    EXPECT_EQ(answer.status, 400) << answer.body;
    EXPECT_TRUE(closed);
  }
}

TEST_F(HttpHostileTest, ChunkedBodyOverTheLimitIs413AndNeverKept) {
  RawHttp http(port());
  ASSERT_TRUE(
      http.Send("POST /d06.v1.UnitService/ListUnits HTTP/1.1\r\nHost: localhost\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = absl::StrCat("10000\r\n", std::string(0x10000, ' '), "\r\n");
  // 5 MiB against the 4 MiB limit; the server may answer and close before the end.
  for (int i = 0; i < 80; ++i) {
    if (!http.Send(chunk)) break;
  }
  http.Send("0\r\n\r\n");
  const std::optional<RawAnswer> answer = http.Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 413);
  EXPECT_THAT(answer->body, HasSubstr("resource_exhausted"));
  EXPECT_TRUE(http.WaitClosed(absl::Seconds(3)));
}

TEST_F(HttpHostileTest, DeclaredBodyOverTheLimitIs413BeforeItIsSent) {
  RawHttp http(port());
  ASSERT_TRUE(http.Send(Request("POST", "/d06.v1.UnitService/ListUnits",
                                "Content-Type: application/json\r\nContent-Length: 4194305\r\n")));
  const std::optional<RawAnswer> answer = http.Read();  // no byte of the body sent
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 413);
  EXPECT_THAT(answer->body, HasSubstr("resource_exhausted"));
  EXPECT_TRUE(http.WaitClosed(absl::Seconds(3)));
  // A body of just the limit is served ({} and spaces).
  const std::string at_limit = "{}" + std::string((size_t{4} << 20) - 2, ' ');
  RawHttp ok(port());
  EXPECT_EQ(ok.Exchange(Request("POST", "/d06.v1.UnitService/ListUnits",
                                absl::StrCat("Content-Type: application/json\r\nContent-Length: ",
                                             at_limit.size(), "\r\n"),
                                at_limit))
                .status,
            200);
}

// A body without Content-Length or Transfer-Encoding: HTTP/1.1 says the request has no
// body (RFC 9112 section 6.3), so it is answered as one without, and what follows is read
// as the next request, whose "request line" is refused once it outgrows the connection's
// memory: nothing of those bytes is kept (a reader until the connection closes would
// take all of them).
TEST_F(HttpHostileTest, BodyWithoutALengthIsNeverRead) {
  RawHttp http(port());
  ASSERT_TRUE(http.Send(
      Request("POST", "/d06.v1.UnitService/ListUnits", "Content-Type: application/json\r\n")));
  const std::string junk(0x10000, '{');
  for (int i = 0; i < 80; ++i) {  // 5 MiB; the server closes long before
    if (!http.Send(junk)) break;
  }
  const std::optional<RawAnswer> first = http.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200) << "the request without a body";
  const std::optional<RawAnswer> second = http.Read();
  ASSERT_TRUE(second.has_value());
  EXPECT_THAT(second->status, AnyOf(400, 413, 414, 431));
  EXPECT_TRUE(http.WaitClosed(absl::Seconds(3)));
  EXPECT_EQ(RawHttp(port()).Exchange(ListUnits()).status, 200);
}

TEST_F(HttpHostileTest, TooManyOrTooLargeHeadersAre431) {
  std::string many;
  for (int i = 0; i < 200; ++i) absl::StrAppend(&many, "X-Header-", i, ": v\r\n");
  const auto [too_many, closed] = AnswerAndClosed(Request("GET", "/", many));
  EXPECT_EQ(too_many.status, 431) << too_many.body;
  EXPECT_THAT(too_many.body, HasSubstr("201 header fields"));  // with Host
  EXPECT_TRUE(closed);

  const std::string large = absl::StrCat("X-Large: ", std::string(100'000, 'a'), "\r\n");
  RawHttp http(port());
  const RawAnswer too_large = http.Exchange(Request("GET", "/", large));
  EXPECT_EQ(too_large.status, 431) << too_large.body;
  EXPECT_TRUE(http.WaitClosed(absl::Seconds(3)));

  std::string fifty;
  for (int i = 0; i < 50; ++i) absl::StrAppend(&fifty, "X-Header-", i, ": v\r\n");
  EXPECT_EQ(RawHttp(port()).Exchange(Request("GET", "/", fifty)).status, 200);
}

TEST_F(HttpHostileTest, PipelinedRequestsAreAnsweredInOrder) {
  RawHttp http(port());
  ASSERT_TRUE(http.Send(Request("GET", "/nothing-here") + ListUnits() + Request("GET", "/")));
  const std::optional<RawAnswer> first = http.Read(), second = http.Read(), third = http.Read();
  ASSERT_TRUE(first.has_value() && second.has_value() && third.has_value());
  EXPECT_EQ(first->status, 404);
  EXPECT_EQ(second->status, 200);
  EXPECT_THAT(second->header("Content-Type"), HasSubstr("application/json"));
  EXPECT_EQ(third->status, 200);
  EXPECT_THAT(third->header("Content-Type"), HasSubstr("text/html"));
}

TEST_F(HttpHostileTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  RawHttp http(port());
  ASSERT_EQ(http.Exchange(ListUnits()).status, 200);
  const absl::Time answered = absl::Now();
  // Kept alive for a moment...
  EXPECT_EQ(http.Exchange(ListUnits()).status, 200);
  // ...then closed once idle for kIdleTimeout.
  ASSERT_TRUE(http.WaitClosed(kIdleTimeout + absl::Seconds(2)));
  EXPECT_GE(absl::Now() - answered, kIdleTimeout - absl::Milliseconds(100));

  // A connection that never sends a byte too.
  RawHttp silent(port());
  EXPECT_TRUE(silent.WaitClosed(kIdleTimeout + absl::Seconds(2)));
}

TEST_F(HttpHostileTest, TricklingRequestIsCutAfterTheReadTimeout) {
  for (const bool body : {false, true}) {
    SCOPED_TRACE(body ? "body" : "header");
    RawHttp http(port());
    const absl::Time start = absl::Now();
    ASSERT_TRUE(http.Send("POST /d06.v1.UnitService/ListUnits HTTP/1.1\r\nHost: localhost\r\n"));
    if (body) {
      ASSERT_TRUE(http.Send("Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"));
    }
    // A byte every 200 ms: never inactive, yet never done.
    bool cut = false;
    while (!cut && absl::Now() - start < absl::Seconds(10)) {
      cut = !http.Send(body ? " " : "X") || http.WaitClosed(absl::Milliseconds(200));
    }
    EXPECT_TRUE(cut);
    EXPECT_LT(absl::Now() - start, kReadTimeout + absl::Seconds(1));
    EXPECT_GE(absl::Now() - start, kReadTimeout - absl::Milliseconds(100));
  }
}

// Long deadlines: the slow clients stay connected for the whole test.
class HttpSlowClientsTest : public HttpHostileTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    options.http_idle_timeout = absl::Seconds(60);
    options.http_read_timeout = absl::Seconds(60);
  }
};

TEST_F(HttpSlowClientsTest, ProbeIsAnsweredWhileSlowClientsHoldConnections) {
  std::vector<std::unique_ptr<RawHttp>> headers, bodies, idle;
  for (int i = 0; i < 32; ++i) {
    headers.push_back(std::make_unique<RawHttp>(port()));
    ASSERT_TRUE(headers.back()->Send("GET / HTTP/1.1\r\nHost: localhost\r\n"));
    bodies.push_back(std::make_unique<RawHttp>(port()));
    ASSERT_TRUE(bodies.back()->Send(Request("POST", "/d06.v1.UnitService/ListUnits",
                                            "Content-Type: application/json\r\n"
                                            "Content-Length: 1000\r\n")));
  }
  for (int i = 0; i < 64; ++i) {
    idle.push_back(std::make_unique<RawHttp>(port()));
    ASSERT_EQ(idle.back()->Exchange(ListUnits()).status, 200);  // then kept alive, idle
  }
  for (int round = 0; round < 6; ++round) {
    for (auto& http : headers) EXPECT_TRUE(http->Send("X-Slow: 1\r\n"));
    for (auto& http : bodies) EXPECT_TRUE(http->Send(" "));
    const absl::Time start = absl::Now();
    RawHttp probe(port(), absl::Seconds(2));
    EXPECT_EQ(probe.Exchange(ListUnits()).status, 200);
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    absl::SleepFor(absl::Milliseconds(300));
  }
}

class HttpConnectionCapTest : public HttpHostileTest {
 protected:
  static constexpr int kCap = 8;
  void ConfigureServer(ServerOptions& options) override {
    options.http_max_connections = kCap;
    options.http_idle_timeout = absl::Seconds(60);
  }
};

TEST_F(HttpConnectionCapTest, ConnectionBeyondTheCapIsRefusedAtOnce) {
  std::vector<std::unique_ptr<RawHttp>> held;
  for (int i = 0; i < kCap; ++i) {
    held.push_back(std::make_unique<RawHttp>(port()));
    ASSERT_EQ(held.back()->Exchange(ListUnits()).status, 200);
  }
  {
    const absl::Time start = absl::Now();
    RawHttp beyond(port(), absl::Seconds(3));
    // Closed at once (the kernel accepted it; the server closes it unread), or 503.
    const RawAnswer answer = beyond.Exchange(ListUnits());
    EXPECT_THAT(answer.status, AnyOf(-1, 503));
    EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  }
  held.clear();
  // Served again once the others are gone.
  int status = -1;
  for (int attempt = 0; attempt < 20 && status != 200; ++attempt) {
    absl::SleepFor(absl::Milliseconds(50));
    status = RawHttp(port()).Exchange(ListUnits()).status;
  }
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace d06::testing
