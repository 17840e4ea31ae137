#include "server/api/host_port.h"

#include "absl/strings/numbers.h"

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

}  // namespace d06::api
