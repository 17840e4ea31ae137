// Listen addresses of the transports: "host:port" or "[ipv6]:port", and why one cannot be
// listened on.
#ifndef D06_SERVER_API_HOST_PORT_H_
#define D06_SERVER_API_HOST_PORT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace d06::api {

// `address` split into host and port: "host:port", "[ipv6]:port"; the port is a decimal
// number up to 65535 (0: any free port). False if it is not of that form.
bool SplitHostPort(const std::string& address, std::string* host, std::string* port);

// Whether `host` (as SplitHostPort gives it) names only this machine: "localhost", an
// address of 127.0.0.0/8, "::1" or "::ffff:127.x.y.z". Other names are not resolved: they
// count as the network, as do 0.0.0.0 and "::" (every interface).
bool IsLoopbackHost(const std::string& host);

// INVALID_ARGUMENT "cannot listen on ADDRESS: not a host:port".
absl::Status NotAHostPort(const std::string& address);

// Why a transport could not listen on `address` (gRPC only says that it could not):
// binds a socket to it the way both transports do (SO_REUSEADDR, never
// SO_REUSEPORT, so that a second server on the port fails instead of sharing it) and
// reports the error: UNAVAILABLE "cannot listen on ADDRESS: address in use", "...: Cannot
// assign requested address", ...; "...: `otherwise`" when the address binds now (it was
// released in between, or the transport failed for another reason).
absl::Status WhyCannotListen(const std::string& address, absl::string_view otherwise);

}  // namespace d06::api

#endif  // D06_SERVER_API_HOST_PORT_H_
