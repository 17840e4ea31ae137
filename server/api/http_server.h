// d06::api::HttpServer: the HTTP/1.1 server under the HTTP face (http_transport.h), on GNU
// libmicrohttpd (Debian's libmicrohttpd-dev 0.9.75). Only this file's .cc knows
// libmicrohttpd: the face sees a complete HttpRequest and fills an HttpResponse.
//
// Built to stay up when clients are slow or hostile (README, "Slow and hostile clients"):
//
// - One event-driven thread (epoll) reads and writes every connection; it never runs a
//   handler. A request is handed to the handler only once it has fully arrived, on one of
//   `threads` workers; up to `max_queued` complete requests wait for a worker, more are
//   answered 503 at once. A slow client therefore holds a connection (bounded below), never
//   a worker.
// - Deadlines, each a total from its start (not an inactivity timeout, which a client
//   sending one byte every few seconds would reset): a connection without a request in
//   progress is closed after `idle_timeout` (a new one as well as a kept-alive one); a
//   request's header and body must arrive within `read_timeout` of its first line; an
//   answer must be taken by the client within `write_timeout` of being ready. Past a
//   deadline the connection is shut down. The handler's own time is not bounded here (the
//   face bounds its calls).
// - At most `max_connections` connections at once; beyond, a new one is closed as soon as
//   it is accepted (it never waits in the listen queue).
// - Limits answered before the handler, through `refuse` (the face's error body), each
//   closing the connection: a body larger than `max_request_bytes` 413, whether its size
//   is declared (refused before the body is read) or chunked (the rest is read and
//   dropped within the read deadline, never kept); a body that would take the bodies kept
//   in all past `max_buffered_bytes` (many connections each sending one just under the
//   limit) 503; more than `max_headers` header fields, or more than `max_header_bytes` of
//   them, 431 (libmicrohttpd's own 431, with an HTML body, when they do not fit the
//   connection's memory); Content-Length twice, not only digits, or with
//   Transfer-Encoding, and a Transfer-Encoding other than chunked: 400 (RFC 9112 section
//   6; a request one server and a proxy in front of it could read with different lengths
//   is never answered).
// - Pipelined requests are answered one after the other, in order.
// - TLS (options.tls): HTTPS with GnuTLS, libmicrohttpd's TLS library. Each handshake uses
//   the certificate current at its start (server/api/tls.h reloads it); with a client CA
//   the client is asked for a certificate, which the handshake does not judge (GnuTLS's
//   GNUTLS_CERT_REQUEST): it arrives in HttpRequest::client_certificate for the face to
//   verify. The deadlines above count the handshake as part of the idle time of a new
//   connection. TLS 1.2 and 1.3 only.
// - A body can be sent while it is being made (HttpResponse::stream, HttpBodyStream):
//   chunked, from a bounded buffer the maker fills on its own thread. The connection
//   waits (suspended, holding no thread) while the buffer is empty; write_timeout then
//   counts from the client's last progress.
//
// Example:
//   auto server = HttpServer::Start("127.0.0.1:0", {}, handler, refuse);
//   int port = (*server)->port();
//   (*server)->Shutdown();
#ifndef D06_SERVER_API_HTTP_SERVER_H_
#define D06_SERVER_API_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace d06::api {

class TlsFiles;

// A request as it arrived, complete.
struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string path;    // percent-decoded, without the query
  // The query's parameters in order, percent-decoded ("+" is a space).
  std::vector<std::pair<std::string, std::string>> params;
  // The header fields in order, duplicates included; names as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The client's address as gRPC names peers: "ipv4:10.0.0.5:43122", "ipv6:[::1]:43122".
  std::string peer;
  // Over TLS: the certificate the client presented (PEM, leaf first, then its chain),
  // whose key the handshake proved the client holds; empty without one. Not verified
  // against a CA here (the method table's authenticator does).
  std::string client_certificate;

  // Header `name` (any case) is present.
  bool has_header(absl::string_view name) const;
  // The value of the first header `name` (any case); "" when there is none.
  std::string header(absl::string_view name) const;
  bool has_param(absl::string_view name) const;
  // The value of the first parameter `name`; "" when there is none.
  std::string param(absl::string_view name) const;
};

// A response body sent while it is being made (HTTP/1.1 chunked): a bounded buffer from
// the thread that makes it to the connection. The maker Appends, then Finishes; the
// server takes what is there whenever the client can take more. Thread-safe.
//
//   auto body = std::make_shared<HttpBodyStream>(size_t{1} << 20);
//   res.stream = body;  // the handler returns; the header goes out at once
//   // on the maker's thread:
//   while (...) if (body->Append(piece, absl::Now() + absl::Seconds(30)) != kAppended) ...
//   body->Finish(/*complete=*/true);
class HttpBodyStream {
 public:
  enum class Appended { kAppended, kGone, kTimedOut };
  // What the server takes from the buffer (Take).
  enum class Took { kData, kNothingYet, kEnd, kBroken };

  // `max_waiting`: bytes that may wait to be sent; Append waits beyond (a single larger
  // piece is taken when nothing waits).
  explicit HttpBodyStream(size_t max_waiting) : max_waiting_(max_waiting) {}
  HttpBodyStream(const HttpBodyStream&) = delete;
  HttpBodyStream& operator=(const HttpBodyStream&) = delete;

  // Queues `data`, waiting for room until `deadline` (kTimedOut: not queued). kGone once
  // the body is finished or the connection is gone (client away, server stopping).
  Appended Append(std::string data, absl::Time deadline);
  // The end of the body (the first call counts): `complete`, the client gets what waits
  // and the body's end; not, the connection is closed without the body's end, so the
  // client sees the transfer fail instead of a short file.
  void Finish(bool complete);
  // The connection is gone or the body is finished: nothing more will be sent.
  bool gone() const;

  // For HttpServer. Attach: `pause` is called (under the buffer's lock) when Take finds
  // nothing yet, `resume` (outside it) once there is something to take again. Take: moves up to
  // `max` bytes into `out` (*size). Detach: the connection is gone; the callbacks are dropped and
  // Append answers kGone.
  void Attach(std::function<void()> pause, std::function<void()> resume);
  Took Take(char* out, size_t max, size_t* size);
  void Detach();

 private:
  bool HasRoom(size_t size) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The resume callback to call (after mu_ is released) when the connection is paused.
  // Once paused, the connection stays suspended until it is resumed, so it cannot end
  // before the callback is called.
  std::function<void()> TakeResume() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_waiting_;
  mutable absl::Mutex mu_;
  std::string waiting_ ABSL_GUARDED_BY(mu_);
  size_t taken_ ABSL_GUARDED_BY(mu_) = 0;  // bytes of waiting_ already sent
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool complete_ ABSL_GUARDED_BY(mu_) = false;
  bool detached_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> pause_ ABSL_GUARDED_BY(mu_), resume_ ABSL_GUARDED_BY(mu_);
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type
  std::string body;
  std::string content_type;  // empty: no Content-Type
  // When set, the body is this stream's (sent chunked), not `body`.
  std::shared_ptr<HttpBodyStream> stream;

  // Sets header `name` (any case), replacing an earlier one.
  void set_header(absl::string_view name, absl::string_view value);
  void set_content(std::string content, absl::string_view type) {
    body = std::move(content);
    content_type = std::string(type);
  }
};

struct HttpServerOptions {
  // Worker threads (each serves one complete request at a time), and how many complete
  // requests may wait for one (more: 503).
  int threads = 8;
  int max_queued = 64;
  // Connections at once; a new one beyond is closed as soon as it is accepted.
  int max_connections = 1024;
  // Largest request body (larger: 413), as gRPC's 4 MiB.
  size_t max_request_bytes = size_t{4} << 20;
  // The request bodies being received or handled, in all (so that max_connections bodies
  // just under max_request_bytes cannot take the memory); a body beyond is dropped and
  // answered 503.
  size_t max_buffered_bytes = size_t{256} << 20;
  // A request's header: at most this many bytes and fields (else 431).
  size_t max_header_bytes = size_t{64} << 10;
  int max_headers = 100;
  // A connection without a request in progress (new, or kept alive after an answer) is
  // closed after idle_timeout; a request's header and body must have arrived
  // read_timeout after its first line; an answer must have been taken write_timeout
  // after it was ready. Else the connection is closed.
  absl::Duration idle_timeout = absl::Seconds(5);
  absl::Duration read_timeout = absl::Seconds(30);
  absl::Duration write_timeout = absl::Seconds(30);
  // TLS: the certificate, key and client CA to serve HTTPS with; null: plain HTTP.
  std::shared_ptr<const TlsFiles> tls;
};

class HttpServer {
 public:
  // Answers a complete request; runs on a worker thread.
  using Handler = std::function<void(const HttpRequest&, HttpResponse&)>;
  // The answer of a request refused before the handler: `status` (400, 413, 431, 503) and
  // why, in a sentence. Runs on the event thread: it must not block.
  using Refuse = std::function<void(int status, absl::string_view why, HttpResponse&)>;

  // Listens on `address` (host:port, port 0 picks one; SO_REUSEADDR only, never
  // SO_REUSEPORT, so that a second server on the address fails instead of sharing it).
  // INVALID_ARGUMENT when `address` is not a host:port; UNAVAILABLE "cannot listen on
  // ADDRESS: address in use" (or the system's reason) when it cannot be listened on.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address,
                                                           const HttpServerOptions& options,
                                                           Handler handler, Refuse refuse);
  // Shutdown().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Stops accepting, lets the workers finish the requests they have (their answers are
  // sent if the clients take them within a second), closes every connection and joins
  // the threads. Idempotent.
  void Shutdown();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_HTTP_SERVER_H_
