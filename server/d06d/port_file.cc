#include "server/d06d/port_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "server/api/host_port.h"

namespace d06 {

std::string BoundAddress(const std::string& listen_address, int port) {
  std::string host, ignored;
  if (!api::SplitHostPort(listen_address, &host, &ignored)) host = listen_address;
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  return absl::StrCat(host, ":", port);
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string temporary = absl::StrCat(path, ".tmp.", getpid());
  auto failed = [&](absl::string_view what) {
    const int error = errno;
    unlink(temporary.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", what, ": ", std::strerror(error)));
  };
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return failed("open");
  for (size_t done = 0; done < content.size();) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return failed("write");
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return failed("close");
  if (std::rename(temporary.c_str(), path.c_str()) != 0) return failed("rename");
  return absl::OkStatus();
}

}  // namespace d06
