// --port_file: where d06d says which ports it bound, for scripts and tests that start it on
// port 0. The file holds a line a transport,
//   grpc=127.0.0.1:50051
//   http=127.0.0.1:8080        (only when HTTP is served)
// and appears whole or not at all: it is written to a temporary file beside it, then renamed
// over it (rename(2) is atomic), so a reader polling for it never sees half of it.
#ifndef D06_SERVER_D06D_PORT_FILE_H_
#define D06_SERVER_D06D_PORT_FILE_H_

#include <string>

#include "absl/status/status.h"

namespace d06 {

// "host:port" of a listen address (as --listen takes it) with the port bound; IPv6 hosts
// in brackets.
std::string BoundAddress(const std::string& listen_address, int port);

// Writes `content` to `path` atomically (temporary file, then rename), mode 0644.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace d06

#endif  // D06_SERVER_D06D_PORT_FILE_H_
