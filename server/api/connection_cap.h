// d06::api::ConnectionCap: at most N connections open at once on a listening TCP port of
// this process, and an accept that never fails for lack of file descriptors.
//
// Why d06 takes accepting into its own hands: gRPC 1.51 (Debian 12) has no cap on the
// connections a server keeps, and its accept loop stops for good on the first accept4
// error other than EAGAIN/EINTR (CVE-2023-4785, fixed upstream in 1.53.2): one client with
// enough idle connections to reach the process's file limit made it answer no new
// connection ever again, and made RocksDB fail to open its next log. gRPC's own way of
// serving sockets accepted elsewhere (grpc_server_add_channel_from_fd) takes insecure
// credentials only in 1.51, which would rule out TLS on the gRPC port; so d06 keeps gRPC's
// listener and defines `accept4` itself (this file's .cc; the executable's definition
// comes before libc's for every shared library). On a registered port, that accept4:
//   - counts the connections gRPC keeps (a connection stops counting once gRPC has closed
//     its descriptor, noticed by a sweep when the cap is reached, at most every
//     kSweepInterval), and answers a connection beyond the cap at once with an HTTP/2
//     GOAWAY (ENHANCE_YOUR_CALM, "too many connections") and closes it;
//   - never returns an error gRPC would stop on: when the process is out of descriptors
//     (EMFILE/ENFILE) it frees a reserved descriptor, accepts the waiting connection and
//     closes it at once, then takes the reserve back; a connection aborted before it was
//     accepted is skipped. It returns a connection, or -1 with EAGAIN or EINTR only.
// With the caps below the file limit (server/d06d/fd_budget.h), the out-of-descriptors
// path is a second line of defence only. Other sockets (the HTTP face) are not affected.
//
// Thread-safe. Example:
//   auto cap = ConnectionCap::OnPort(50051, 1000);   // before or after gRPC listens
//   ... (*cap)->open() ...                             // connections open now
#ifndef D06_SERVER_API_CONNECTION_CAP_H_
#define D06_SERVER_API_CONNECTION_CAP_H_

#include <cstdint>
#include <memory>

#include "absl/time/time.h"

namespace d06::api {
namespace internal {
struct Capped;
}  // namespace internal

class ConnectionCap {
 public:
  // How often, at most, the connections are counted again while the cap is reached.
  static constexpr absl::Duration kSweepInterval = absl::Milliseconds(50);

  // Caps the connections accepted on the listening sockets of this process bound to TCP
  // `port` (any address) at `max` (at least 1) until the returned object is destroyed.
  static std::unique_ptr<ConnectionCap> OnPort(int port, int max);
  ~ConnectionCap();
  ConnectionCap(const ConnectionCap&) = delete;
  ConnectionCap& operator=(const ConnectionCap&) = delete;

  int port() const;
  int max() const;
  // Connections open now (counts again).
  int open() const;
  // Connections closed at once because the cap was reached or descriptors ran out.
  int64_t refused() const;

 private:
  explicit ConnectionCap(std::shared_ptr<internal::Capped> capped);
  const std::shared_ptr<internal::Capped> capped_;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_CONNECTION_CAP_H_
