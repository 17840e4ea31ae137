// d06::api::HttpTransport: the Connect protocol (https://connectrpc.com/docs/protocol) over
// HTTP/1.1, for web pages and portals that cannot speak gRPC, served from the same method
// table as gRPC (so the same validation, limits, request_id, caller and gate), on a port
// of its own; and the province dashboard at "/" (server/api/dashboard/).
//
// Unary methods: `POST /d06.v1.TaskService/ListTasks` with `Content-Type:
// application/json` (protobuf's JSON mapping, as protojson: fields the server does not
// know are ignored, as Connect's own servers do, so a client built from a newer schema
// keeps working; an enum value name it does not know is refused) or `application/proto`;
// the answer is 200 with the response in the same encoding, or a Connect error: the HTTP
// status of its code and `{"code": "invalid_argument", "message": ..., "details":
// [{"type": "d06.v1.ErrorInfo", "value": base64, "debug": {...}}]}`. `Connect-Timeout-Ms`
// bounds the wait (deadline_exceeded; a write may still complete, as with gRPC: retry
// with the same request_id); `x-d06-actor` (UTF-8 as it is) or `x-d06-actor-bin` (its
// base64) is the actor as in gRPC metadata (d06/v1/api_names.h). CORS: requests from the
// configured origins get the CORS headers, preflights included.
//
// Methods without side effects (`option idempotency_level = NO_SIDE_EFFECTS` in the
// .proto: the Get*, List* and GetSummary reads) also answer Connect's GET form,
// `GET /d06.v1.UnitService/GetUnit?encoding=json&message=<URL-encoded JSON>` (or
// `encoding=proto&base64=1&message=<base64url>`; `compression` only identity, `connect`
// only v1), with `Cache-Control: private, no-cache`; GET of any other method is 405 with
// `Allow: POST`.
//
// Host check (DNS rebinding: a page of evil.example whose name resolves to this server
// must not reach it with its visitors' browsers): every request, whatever its route or
// method, must name in its Host header a host the listener answers for: localhost,
// 127.0.0.1, [::1], the host of the listen address when it is a specific name or
// address (not 0.0.0.0 or ::), and HttpOptions::allowed_hosts; any port. Others are 403
// with a Connect error permission_denied / HOST_NOT_ALLOWED naming the Host and how to
// allow it.
//
// `GET /healthz` answers 200 "SERVING" or 503 "NOT_SERVING" (HttpOptions::serving),
// without a credential: for load balancers and Kubernetes probes, which over TLS cannot
// use gRPC's health service. `GET /livez` and `GET /readyz` are the Kubernetes probes
// (ServeProbe): live while the process answers; ready as long as it serves.
//
// Server-streaming methods (the exports, Watch) stay gRPC-only as Connect calls: each
// would hold one of the HTTP worker threads for as long as its client reads (a watch:
// indefinitely). Their paths answer unimplemented (HTTP 501) saying so. The exports are
// served instead as plain file downloads for browsers (http_download.h):
// `GET /download/summary.xlsx?unit=units/H29&asOf=2026-12-04` (and summary.csv,
// assignments.xlsx, assignments.csv), the query being the export request's fields. The
// call goes through the table like any other (the Authorization header, the export's
// policy, rate and stream limits, the access log); the answer is 200 with the file's
// Content-Type, `Content-Disposition: attachment; filename="bao-cao_H29_2026-12-04.xlsx"`
// and `Cache-Control: private, no-store`, or a Connect error (JSON, its HTTP status)
// before any byte of the file. The file is streamed (chunked) as the export makes it: the
// header goes once its first bytes are made, the worker is then free, and the export
// waits while the client does not take them (up to 1 MiB waits; a client that takes
// nothing for the export's stall time ends it). An export failing after the header
// breaks the transfer off without the chunked body's end, so the client sees a failed
// download, never a short file.
//
// Hostile clients (server/api/http_server.h has the details): requests are read by one
// event-driven thread and handed to the `threads` workers only once complete (more than
// max_queued_requests waiting: 503 unavailable at once), so slow clients hold no worker.
// Deadlines, totals from their start: a connection without a request in progress is
// closed after idle_timeout; a request's header and body must arrive within read_timeout
// of its first line; an answer must be taken within write_timeout. At most
// max_connections connections, a new one beyond is closed at once. A body above
// max_request_bytes, chunked or not, is 413 resource_exhausted (a declared one before it
// is read); more than max_headers header fields or a header above max_header_bytes is
// 431; two Content-Length, one with anything but digits, Content-Length with
// Transfer-Encoding, or a Transfer-Encoding other than chunked is 400 (each closes the
// connection). Pipelined requests are answered in order.
//
// The listening socket has SO_REUSEADDR only (never SO_REUSEPORT), so a second server on
// the same address fails to start instead of sharing its connections.
//
// Thread-safe. Example:
//   auto http = HttpTransport::Start(table, "127.0.0.1:0", {});
//   int port = (*http)->port();
//   (*http)->Shutdown();
#ifndef D06_SERVER_API_HTTP_TRANSPORT_H_
#define D06_SERVER_API_HTTP_TRANSPORT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/api/http_server.h"
#include "server/api/method_table.h"
#include "server/domain/clock.h"

namespace d06::api {

struct HttpOptions {
  // Origins whose pages may call the API from a browser (CORS): a scheme (http or https),
  // "://" and a host with an optional port, nothing after, e.g.
  // "https://portal.nghean.gov.vn" or "https://portal.nghean.gov.vn:8443"; "*" allows
  // any. Empty: none (same-origin only, as the dashboard served here).
  std::vector<std::string> cors_origins;
  // Host names or addresses the HTTP face answers for beyond the loopback names and the
  // host of the listen address (see the Host check above), e.g. "d06.nghean.gov.vn" when
  // a reverse proxy or DNS name reaches it: no scheme, port or path; an IPv6 address in
  // brackets or not.
  std::vector<std::string> allowed_hosts;
  // How long a call may take when the client sends no Connect-Timeout-Ms, and the most
  // it may ask for.
  absl::Duration max_call_time = absl::Seconds(60);
  // The connections, workers, limits and deadlines of the server under the face
  // (server/api/http_server.h).
  HttpServerOptions server;
  // Whether the server serves (as gRPC's health service says), for `GET /healthz`: 200
  // "SERVING" or 503 "NOT_SERVING", and `GET /readyz` (ServeProbe), without
  // authentication (load balancers and Kubernetes probes have no credential; it tells
  // nothing else). Null: always serving.
  std::function<bool()> serving;
  // Source of "now" for the date in a download's file name (http_download.h). Not owned;
  // never null.
  const Clock* clock = Clock::System();
};

// The probes, on the HTTP face and the metrics listener: `GET /livez` 200 "ok" whenever
// the process answers (a liveness probe restarts it otherwise); `GET /readyz` 200 "ok"
// while `ready` says so (null: always), else 503 "not ready" (the store failed stop, or
// the server is draining: a readiness probe takes it out of the load balancer, never
// restarts it). Fills `res` and returns true when `path` (without its leading "/") is
// one of them; false otherwise.
bool ServeProbe(absl::string_view path, const std::function<bool()>& ready, HttpResponse& res);

// INVALID_ARGUMENT naming the first malformed cors_origins or allowed_hosts element and
// saying what a valid one looks like, or a connection cap or deadline out of range; OK
// otherwise. Start checks it too.
absl::Status CheckHttpOptions(const HttpOptions& options);

class HttpTransport {
 public:
  // Listens on `address` (host:port; port 0 picks one) and serves `table`, which must
  // outlive the transport. INVALID_ARGUMENT when `address` is not a host:port or
  // CheckHttpOptions fails; UNAVAILABLE "cannot listen on ADDRESS: address in use" (or
  // the system's reason) when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpTransport>> Start(const MethodTable& table,
                                                              const std::string& address,
                                                              HttpOptions options);
  // What Start serves on `address`, without listening: the handler its HttpServer calls
  // with each complete request (the Host check, the routes, the calls through `table`,
  // which must outlive it). For fuzz targets that hand requests over without a socket.
  // Errors as Start's, but never UNAVAILABLE.
  static absl::StatusOr<HttpServer::Handler> NewHandler(const MethodTable& table,
                                                        const std::string& address,
                                                        HttpOptions options);
  // Shutdown().
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  int port() const { return port_; }
  // Stops listening, finishes the requests the workers have (their answers are sent if
  // taken within a second), closes the connections and joins the threads. Idempotent.
  void Shutdown();

 private:
  HttpTransport() = default;

  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_HTTP_TRANSPORT_H_
