#include "server/api/host_port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace d06::api {

bool SplitHostPort(const std::string& address, std::string* host, std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (!host->empty() && host->front() == '[') {
    if (host->size() < 3 || host->back() != ']') return false;
    *host = host->substr(1, host->size() - 2);
  } else if (host->find_first_of("[]:") != std::string::npos) {
    return false;  // an IPv6 address must be in brackets
  }
  int number = 0;
  return !host->empty() && !port->empty() && port->size() <= 5 &&
         port->find_first_not_of("0123456789") == std::string::npos &&
         absl::SimpleAtoi(*port, &number) && number <= 65535;
}

bool IsLoopbackHost(const std::string& host) {
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

absl::Status NotAHostPort(const std::string& address) {
  return absl::InvalidArgumentError(
      absl::StrCat("cannot listen on ", address, ": not a host:port"));
}

absl::Status WhyCannotListen(const std::string& address, absl::string_view otherwise) {
  std::string host, port;
  if (!SplitHostPort(address, &host, &port)) return NotAHostPort(address);
  auto cannot = [&](absl::string_view why) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", why));
  };
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); error != 0) {
    return cannot(absl::StrCat("cannot resolve ", host, " (", gai_strerror(error), ")"));
  }
  int bind_errno = 0;
  for (addrinfo* a = found; a != nullptr && bind_errno == 0; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      bind_errno = errno;
      break;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0) bind_errno = errno;
    close(fd);
  }
  freeaddrinfo(found);
  if (bind_errno == EADDRINUSE) return cannot("address in use");
  if (bind_errno != 0) return cannot(strerror(bind_errno));
  return cannot(otherwise);
}

}  // namespace d06::api
