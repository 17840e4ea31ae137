// A raw HTTP/1.1 client over a TCP socket to 127.0.0.1, for the tests of the HTTP face
// (server/api/http_transport.h): it sends the bytes it is given, malformed or slow ones
// included, and reads answers strictly enough to see what the server did. Every wait is
// bounded (`timeout`, default 20 s).
//
// Part of the d06_testing library (tests/testing). Example:
//
//   RawHttp http(port);
//   http.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
//   std::optional<RawAnswer> answer = http.Read();   // nullopt: closed or timed out
//   EXPECT_EQ(answer->status, 200);
//   EXPECT_TRUE(http.WaitClosed(absl::Seconds(2)));
#ifndef D06_TESTS_TESTING_RAW_HTTP_H_
#define D06_TESTS_TESTING_RAW_HTTP_H_

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace d06::testing {

struct RawAnswer {
  int status = -1;  // -1: no answer
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header `name` (any case); "" when there is none.
  std::string header(absl::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (absl::EqualsIgnoreCase(key, name)) return value;
    }
    return "";
  }
};

class RawHttp {
 public:
  // Connects to 127.0.0.1:port; connected() says whether it did.
  explicit RawHttp(int port, absl::Duration timeout = absl::Seconds(20)) : timeout_(timeout) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawHttp() {
    if (fd_ >= 0) close(fd_);
  }
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Sends all of `bytes`; false when the connection is closed (or the send buffer stays
  // full past the timeout).
  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      if (!Wait(POLLOUT, absl::Now() + timeout_)) return false;
      const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent <= 0) {
        if (sent < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
  }

  // Reads one answer (Content-Length or chunked body, or to the end of the connection);
  // nullopt when the connection closes or times out before a whole answer. With
  // `head`, the answer to a HEAD: no body whatever its header says.
  std::optional<RawAnswer> Read(bool head = false) {
    const absl::Time deadline = absl::Now() + timeout_;
    size_t end = 0;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    RawAnswer answer;
    std::vector<std::string> lines = absl::StrSplit(buffer_.substr(0, end), "\r\n");
    buffer_.erase(0, end + 4);
    std::vector<std::string> first = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
    if (first.size() < 2 || !absl::StartsWith(first[0], "HTTP/1.") ||
        !absl::SimpleAtoi(first[1], &answer.status)) {
      return std::nullopt;
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == std::string::npos) return std::nullopt;
      answer.headers.emplace_back(
          lines[i].substr(0, colon),
          std::string(absl::StripAsciiWhitespace(absl::string_view(lines[i]).substr(colon + 1))));
    }
    if (head || answer.status == 204 || answer.status == 304 || answer.status < 200) {
      return answer;
    }
    if (absl::EqualsIgnoreCase(answer.header("Transfer-Encoding"), "chunked")) {
      while (true) {
        size_t line_end;
        while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
          if (!Fill(deadline)) return std::nullopt;
        }
        size_t size = 0;
        if (!absl::SimpleHexAtoi(buffer_.substr(0, buffer_.find_first_of(";\r")), &size)) {
          return std::nullopt;
        }
        while (buffer_.size() < line_end + 2 + size + 2) {
          if (!Fill(deadline)) return std::nullopt;
        }
        answer.body += buffer_.substr(line_end + 2, size);
        buffer_.erase(0, line_end + 2 + size + 2);
        if (size == 0) return answer;  // (trailers are not expected)
      }
    }
    size_t length = 0;
    if (!answer.header("Content-Length").empty()) {
      if (!absl::SimpleAtoi(answer.header("Content-Length"), &length)) return std::nullopt;
      while (buffer_.size() < length) {
        if (!Fill(deadline)) return std::nullopt;
      }
    } else {
      while (Fill(deadline)) {
      }
      length = buffer_.size();
    }
    answer.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return answer;
  }

  // Sends `request` and reads its answer; status -1 when there is none.
  RawAnswer Exchange(absl::string_view request) {
    if (!Send(request)) return RawAnswer();
    return Read(absl::StartsWith(request, "HEAD ")).value_or(RawAnswer());
  }

  // The server closed the connection (end of stream or reset) within `within`; what it
  // sent before is dropped.
  bool WaitClosed(absl::Duration within) {
    const absl::Time deadline = absl::Now() + within;
    while (true) {
      if (!Wait(POLLIN, deadline)) return false;
      char chunk[65536];
      const ssize_t got = recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) return true;
    }
  }

 private:
  // Waits for `events` until `deadline`; false if it passes first.
  bool Wait(short events, absl::Time deadline) {
    while (true) {
      const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (ms <= 0 || fd_ < 0) return false;
      pollfd p = {fd_, events, 0};
      const int ready = poll(&p, 1, static_cast<int>(ms));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
  }

  // Appends what arrives to buffer_; false at the end of the connection or the deadline.
  bool Fill(absl::Time deadline) {
    if (!Wait(POLLIN, deadline)) return false;
    char chunk[65536];
    const ssize_t got = recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(got));
    return true;
  }

  int fd_ = -1;
  absl::Duration timeout_;
  std::string buffer_;
};

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_RAW_HTTP_H_
