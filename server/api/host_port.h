// Listen addresses of the transports: "host:port" or "[ipv6]:port".
#ifndef D06_SERVER_API_HOST_PORT_H_
#define D06_SERVER_API_HOST_PORT_H_

#include <string>

namespace d06::api {

// `address` split into host and port: "host:port", "[ipv6]:port"; the port is a decimal
// number up to 65535 (0: any free port). False if it is not of that form.
bool SplitHostPort(const std::string& address, std::string* host, std::string* port);

}  // namespace d06::api

#endif  // D06_SERVER_API_HOST_PORT_H_
