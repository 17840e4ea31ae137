// d06::api::HttpServer (server/api/http_server.h) on its own, with a handler of the test's
// and small limits, over raw sockets: what the face's tests cannot reach through
// ServerOptions. The worker queue full is 503 at once; the bodies kept in all are bounded
// (503 beyond); a client that does not take its answer is cut after the write timeout;
// Shutdown finishes the request a worker has. A streamed body (HttpBodyStream) goes out
// as it is made, its maker waits for a slow client, a broken one is a failed transfer,
// and neither a client gone nor a Shutdown leaves the maker waiting.
#include "server/api/http_server.h"

#include <sys/socket.h>

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

using api::HttpBodyStream;
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
  // /stream answers stream_'s body; anything else answers the size of its body.
  void Start(const HttpServerOptions& options) {
    auto server = HttpServer::Start(
        "127.0.0.1:0", options,
        [this](const HttpRequest& req, HttpResponse& res) {
          if (req.path == "/block") {
            if (!entered_.HasBeenNotified()) entered_.Notify();
            release_.WaitForNotificationWithTimeout(absl::Seconds(20));
          }
          if (req.path == "/stream") {
            res.content_type = "text/plain";
            res.stream = stream_;
            return;
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
  std::shared_ptr<HttpBodyStream> stream_ = std::make_shared<HttpBodyStream>(size_t{64} << 10);
  std::unique_ptr<HttpServer> server_;
};

// Waits (up to 5 s) until `text` has arrived on `http`'s connection, without taking it
// from the socket (RawHttp reads it afterwards).
bool Arrives(const RawHttp& http, absl::string_view text) {
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  std::string peeked(size_t{1} << 16, '\0');
  while (absl::Now() < deadline) {
    const ssize_t got = recv(http.fd(), peeked.data(), peeked.size(), MSG_PEEK | MSG_DONTWAIT);
    if (got > 0 && absl::string_view(peeked.data(), got).find(text) != absl::string_view::npos) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

// Appends `piece` until it times out (or 256 MiB, which no socket buffers hold); the
// bytes appended.
size_t AppendUntilItWaits(HttpBodyStream& body, const std::string& piece) {
  size_t appended = 0;
  while (appended < (size_t{256} << 20) &&
         body.Append(piece, absl::Now() + absl::Milliseconds(300)) ==
             HttpBodyStream::Appended::kAppended) {
    appended += piece.size();
  }
  return appended;
}

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

TEST_F(HttpServerTest, StreamedBodyGoesOutAsItIsMade) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  RawHttp http(port());
  ASSERT_TRUE(http.Send(Get("/stream")));
  ASSERT_EQ(stream_->Append("first piece;", absl::Now() + absl::Seconds(5)),
            HttpBodyStream::Appended::kAppended);
  // The header and the first piece arrive while the body is still being made.
  ASSERT_TRUE(Arrives(http, "first piece;"));
  absl::SleepFor(absl::Milliseconds(100));  // the connection waits, suspended
  ASSERT_EQ(stream_->Append("second piece", absl::Now() + absl::Seconds(5)),
            HttpBodyStream::Appended::kAppended);
  stream_->Finish(/*complete=*/true);
  const RawAnswer answer = http.Read().value_or(RawAnswer());
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(answer.body, "first piece;second piece");
  // The body's end was sent: the connection serves the next request.
  EXPECT_EQ(http.Exchange(Get("/other")).status, 200);
  EXPECT_EQ(stream_->Append("late", absl::Now()), HttpBodyStream::Appended::kGone);
}

TEST_F(HttpServerTest, BrokenStreamedBodyIsAFailedTransferNotAShortOne) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  RawHttp http(port());
  ASSERT_TRUE(http.Send(Get("/stream")));
  stream_->Append("half of it", absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(Arrives(http, "half of it"));
  stream_->Finish(/*complete=*/false);
  // Closed without the chunked body's end: no whole answer.
  EXPECT_FALSE(http.Read().has_value());
}

TEST_F(HttpServerTest, SlowClientMakesTheMakerWait) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  RawHttp http(port(), absl::Seconds(30));
  ASSERT_TRUE(http.Send(Get("/stream")));
  const std::string piece(size_t{16} << 10, 'x');
  // The client reads nothing: once the sockets' buffers and the stream's 64 KiB are
  // full, Append waits and times out.
  const size_t appended = AppendUntilItWaits(*stream_, piece);
  EXPECT_LT(appended, size_t{256} << 20);
  EXPECT_GT(appended, 0u);
  // The client reads: the maker goes on, and the body arrives whole.
  std::thread reader([&] {
    const RawAnswer answer = http.Read().value_or(RawAnswer());
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body.size(), appended + piece.size());
  });
  EXPECT_EQ(stream_->Append(piece, absl::Now() + absl::Seconds(10)),
            HttpBodyStream::Appended::kAppended);
  stream_->Finish(/*complete=*/true);
  reader.join();
}

TEST_F(HttpServerTest, ClientGoneEndsTheStream) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  {
    RawHttp http(port());
    ASSERT_TRUE(http.Send(Get("/stream")));
    stream_->Append("something", absl::Now() + absl::Seconds(5));
    ASSERT_TRUE(Arrives(http, "something"));
  }  // closed
  // A suspended connection notices its client is gone on the next write: the maker then
  // gets kGone, never waits for ever.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  HttpBodyStream::Appended appended = HttpBodyStream::Appended::kAppended;
  while (absl::Now() < give_up && appended != HttpBodyStream::Appended::kGone) {
    appended = stream_->Append(std::string(4096, 'y'), absl::Now() + absl::Milliseconds(100));
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(appended, HttpBodyStream::Appended::kGone);
  EXPECT_TRUE(stream_->gone());
}

TEST_F(HttpServerTest, ShutdownEndsAStreamStillBeingMade) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  RawHttp http(port());
  ASSERT_TRUE(http.Send(Get("/stream")));
  stream_->Append("begun", absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(Arrives(http, "begun"));
  const absl::Time start = absl::Now();
  server_->Shutdown();  // the maker never finishes; the suspended connection is ended
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_FALSE(http.Read().has_value());
  EXPECT_EQ(stream_->Append("more", absl::Now()), HttpBodyStream::Appended::kGone);
}

}  // namespace
}  // namespace d06::testing
