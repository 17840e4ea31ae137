// d06::api::HttpServer (server/api/http_server.h) on its own, with a handler of the test's
// and small limits, over raw sockets: what the face's tests cannot reach through
// ServerOptions. The worker queue full is 503 at once; the bodies kept in all are bounded
// (503 beyond); a client that does not take its answer is cut after the write timeout;
// Shutdown finishes the request a worker has.
#include "server/api/http_server.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/raw_http.h"

namespace d06::testing {
namespace {

using api::HttpRequest;
using api::HttpResponse;
using api::HttpServer;
using api::HttpServerOptions;

std::string Get(absl::string_view path) {
  return absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

class HttpServerTest : public ::testing::Test {
 protected:
  // Serves: /block waits for release_ (saying entered_ first); /big answers 64 MiB;
  // anything else answers the size of its body.
  void Start(const HttpServerOptions& options) {
    auto server = HttpServer::Start(
        "127.0.0.1:0", options,
        [this](const HttpRequest& req, HttpResponse& res) {
          if (req.path == "/block") {
            if (!entered_.HasBeenNotified()) entered_.Notify();
            release_.WaitForNotificationWithTimeout(absl::Seconds(20));
          }
          res.set_content(req.path == "/big" ? std::string(size_t{64} << 20, 'x')
                                             : absl::StrCat(req.body.size()),
                          "text/plain");
        },
        [](int status, absl::string_view why, HttpResponse& res) {
          res.status = status;
          res.set_content(std::string(why), "text/plain");
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (!release_.HasBeenNotified()) release_.Notify();
    if (server_ != nullptr) server_->Shutdown();
  }
  int port() const { return server_->port(); }

  absl::Notification entered_, release_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, FullWorkerQueueIs503AtOnce) {
  HttpServerOptions options;
  options.threads = 1;
  options.max_queued = 1;
  ASSERT_NO_FATAL_FAILURE(Start(options));
  RawHttp running(port()), queued(port());
  ASSERT_TRUE(running.Send(Get("/block")));
  ASSERT_TRUE(entered_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  ASSERT_TRUE(queued.Send(Get("/block")));
  absl::SleepFor(absl::Milliseconds(300));  // in the queue now

  const absl::Time start = absl::Now();
  RawHttp refused(port());
  const RawAnswer busy = refused.Exchange(Get("/other"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_THAT(busy.body, ::testing::HasSubstr("busy"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));

  release_.Notify();
  EXPECT_EQ(running.Read().value_or(RawAnswer()).status, 200);
  EXPECT_EQ(queued.Read().value_or(RawAnswer()).status, 200);
}

TEST_F(HttpServerTest, BodiesKeptInAllAreBounded) {
  HttpServerOptions options;
  options.max_request_bytes = size_t{1} << 20;
  options.max_buffered_bytes = size_t{3} << 19;  // 1.5 MiB
  ASSERT_NO_FATAL_FAILURE(Start(options));
  const std::string header = absl::StrCat(
      "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: ", size_t{1} << 20, "\r\n\r\n");
  // A first body of 1 MiB, most of it sent: kept.
  RawHttp first(port());
  ASSERT_TRUE(first.Send(header + std::string(900 << 10, 'a')));
  absl::SleepFor(absl::Milliseconds(300));
  // A second one would take the bodies kept past 1.5 MiB.
  RawHttp second(port());
  const RawAnswer refused = second.Exchange(header + std::string(size_t{1} << 20, 'b'));
  EXPECT_EQ(refused.status, 503);
  EXPECT_TRUE(second.WaitClosed(absl::Seconds(3)));
  // The first is served whole.
  ASSERT_TRUE(first.Send(std::string((size_t{1} << 20) - (900 << 10), 'a')));
  const RawAnswer served = first.Read().value_or(RawAnswer());
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.body, absl::StrCat(size_t{1} << 20));
}

TEST_F(HttpServerTest, ClientNotTakingItsAnswerIsCutAfterTheWriteTimeout) {
  HttpServerOptions options;
  options.write_timeout = absl::Seconds(1);
  options.idle_timeout = absl::Seconds(60);
  ASSERT_NO_FATAL_FAILURE(Start(options));
  RawHttp http(port());
  ASSERT_TRUE(http.Send(Get("/big")));
  // 64 MiB do not fit the sockets' buffers: the server waits for the client to read.
  absl::SleepFor(absl::Seconds(2));
  // Cut by then: what arrived ends before the whole answer (taken whole, the connection
  // would have stayed open, kept alive).
  EXPECT_TRUE(http.WaitClosed(absl::Seconds(3)));
}

TEST_F(HttpServerTest, ShutdownFinishesTheRequestAWorkerHas) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  RawHttp http(port());
  ASSERT_TRUE(http.Send(Get("/block")));
  ASSERT_TRUE(entered_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  std::thread release([this] {
    absl::SleepFor(absl::Milliseconds(300));
    release_.Notify();
  });
  server_->Shutdown();  // waits for the worker, sends its answer
  release.join();
  EXPECT_EQ(http.Read().value_or(RawAnswer()).status, 200);
  // No longer listening.
  EXPECT_FALSE(RawHttp(server_->port()).connected());
}

}  // namespace
}  // namespace d06::testing
