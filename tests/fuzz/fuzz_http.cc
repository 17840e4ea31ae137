// The HTTP face as a client's bytes reach it: the request line, the headers and the body
// (Connect JSON and protobuf calls, the dashboard, the probes) over one loopback
// connection. Whatever the bytes, d06d answers or closes the connection within its
// timeouts and keeps serving. Seeds: tests/fuzz/corpus/http (valid Connect calls, a GET
// of the dashboard, a preflight).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/fuzz_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int port = d06::fuzz::FuzzServer().http_port();
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("d06 fuzz: the HTTP port refuses connections");
    std::abort();
  }
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed early: fine
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  // Read what comes back until the server closes, or keeps the connection open with
  // nothing more to say (a request it cannot finish waits for its body timeout).
  char buffer[65536];
  pollfd p{fd, POLLIN, 0};
  int wait_ms = 200;
  while (poll(&p, 1, wait_ms) > 0) {
    if (recv(fd, buffer, sizeof(buffer), 0) <= 0) break;
    wait_ms = 20;
  }
  close(fd);
  return 0;
}
