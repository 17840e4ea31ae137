#include "server/api/connection_cap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace d06::api {
namespace {

int RawAccept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  return static_cast<int>(syscall(SYS_accept4, fd, addr, len, flags));
}

}  // namespace

namespace internal {

// The connections of one capped port.
struct Capped {
  Capped(int port, int max) : port(port), max(max) {}
  const int port;
  const int max;
  absl::Mutex mu;
  // Descriptor → inode of the connection accepted on it: a descriptor gRPC has closed
  // is gone, or names another file (a later connection, a file RocksDB opened).
  std::unordered_map<int, ino_t> open ABSL_GUARDED_BY(mu);
  absl::Time last_sweep ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  std::atomic<int64_t> refused{0};
  absl::Time last_warning ABSL_GUARDED_BY(mu) = absl::InfinitePast();

  // Counts a refused connection; says so in the log, at most once a minute.
  void CountRefused(const char* why) {
    refused.fetch_add(1);
    absl::MutexLock lock(&mu);
    const absl::Time now = absl::Now();
    if (now - last_warning < absl::Minutes(1)) return;
    last_warning = now;
    log::Warning(
        absl::StrFormat("port %d: %s: new connections are closed at once (%lld so far); see "
                        "--grpc_max_connections and the open-files limit",
                        port, why, static_cast<long long>(refused.load())));
  }

  void Sweep() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    last_sweep = absl::Now();
    for (auto it = open.begin(); it != open.end();) {
      struct stat st;
      if (fstat(it->first, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_ino != it->second) {
        it = open.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Counts `fd` (a connection just accepted) if the cap allows it.
  bool Admit(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return false;
    absl::MutexLock lock(&mu);
    open.erase(fd);  // a closed connection's descriptor, taken again
    if (static_cast<int>(open.size()) >= max &&
        absl::Now() - last_sweep >= ConnectionCap::kSweepInterval) {
      Sweep();
    }
    if (static_cast<int>(open.size()) >= max) return false;
    open.emplace(fd, st.st_ino);
    return true;
  }
};

}  // namespace internal

namespace {

using internal::Capped;

class Registry {
 public:
  static Registry& Get() {
    static Registry* registry = new Registry();  // never destroyed: accept4 may run late
    return *registry;
  }

  void Add(const std::shared_ptr<Capped>& capped) {
    absl::MutexLock lock(&mu_);
    if (reserve_ < 0) reserve_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
    for (std::shared_ptr<Capped>& c : capped_) {
      if (c->port == capped->port) {
        c = capped;  // the newest cap of a port wins
        count_.store(capped_.size());
        return;
      }
    }
    capped_.push_back(capped);
    count_.store(capped_.size());
  }

  // Lifts `capped` (unless a newer cap of its port replaced it).
  void Remove(const Capped* capped) {
    absl::MutexLock lock(&mu_);
    for (auto it = capped_.begin(); it != capped_.end(); ++it) {
      if (it->get() == capped) {
        capped_.erase(it);
        count_.store(capped_.size());
        return;
      }
    }
  }

  // The cap of the port listening socket `fd` is bound to; null if none.
  std::shared_ptr<Capped> OfListener(int fd) {
    if (count_.load(std::memory_order_relaxed) == 0) return nullptr;
    sockaddr_storage address;
    socklen_t length = sizeof(address);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return nullptr;
    int port = -1;
    if (address.ss_family == AF_INET) {
      port = ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
    } else if (address.ss_family == AF_INET6) {
      port = ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
    }
    absl::MutexLock lock(&mu_);
    for (const std::shared_ptr<Capped>& c : capped_) {
      if (c->port == port) return c;
    }
    return nullptr;
  }

  // Out of descriptors: gives the reserved one back for a moment to accept the waiting
  // connection on `listener` and close it. False if there was no reserve to give or no
  // connection was waiting (so that the caller stops: still out of descriptors, it would
  // otherwise spin).
  bool DropOne(int listener) {
    absl::MutexLock lock(&mu_);
    if (reserve_ < 0) return false;
    close(reserve_);
    const int fd = RawAccept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) close(fd);
    reserve_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd >= 0;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Capped>> capped_ ABSL_GUARDED_BY(mu_);
  std::atomic<size_t> count_{0};
  int reserve_ ABSL_GUARDED_BY(mu_) = -1;
};

// Closes a connection the server will not serve, after a GOAWAY (no stream processed,
// ENHANCE_YOUR_CALM) whose debug text says why. Without the server's SETTINGS first, the
// client's HTTP/2 handshake fails: a gRPC client then fails its waiting calls at once
// with UNAVAILABLE (after a SETTINGS, it would take the connection as ready and try
// again on a new one until its deadline).
void Refuse(int fd) {
  static constexpr std::string_view kWhy =
      "d06d: too many connections; retry later or reuse a connection";
  char goaway[9 + 8 + kWhy.size()] = {};
  goaway[2] = static_cast<char>(8 + kWhy.size());  // length (< 256)
  goaway[3] = 0x07;                                // GOAWAY on stream 0
  goaway[9 + 7] = 0x0b;                            // ENHANCE_YOUR_CALM; last stream 0
  kWhy.copy(goaway + 17, kWhy.size());
  (void)send(fd, goaway, sizeof(goaway), MSG_DONTWAIT | MSG_NOSIGNAL);
  close(fd);
}

}  // namespace

std::unique_ptr<ConnectionCap> ConnectionCap::OnPort(int port, int max) {
  auto capped = std::make_shared<Capped>(port, max < 1 ? 1 : max);
  Registry::Get().Add(capped);
  return std::unique_ptr<ConnectionCap>(new ConnectionCap(std::move(capped)));
}

ConnectionCap::ConnectionCap(std::shared_ptr<internal::Capped> capped)
    : capped_(std::move(capped)) {}

ConnectionCap::~ConnectionCap() { Registry::Get().Remove(capped_.get()); }

int ConnectionCap::port() const { return capped_->port; }
int ConnectionCap::max() const { return capped_->max; }

int ConnectionCap::open() const {
  absl::MutexLock lock(&capped_->mu);
  capped_->Sweep();
  return static_cast<int>(capped_->open.size());
}

int64_t ConnectionCap::refused() const { return capped_->refused.load(); }

namespace internal {

int CappedAccept4(int listener, sockaddr* addr, socklen_t* len, int flags) {
  const std::shared_ptr<Capped> capped = Registry::Get().OfListener(listener);
  if (capped == nullptr) return RawAccept4(listener, addr, len, flags);
  const socklen_t capacity = len != nullptr ? *len : 0;
  for (;;) {
    if (len != nullptr) *len = capacity;
    const int fd = RawAccept4(listener, addr, len, flags);
    if (fd >= 0) {
      if (capped->Admit(fd)) return fd;
      capped->CountRefused("at its cap of connections");
      Refuse(fd);
      continue;  // the next waiting connection, until none is left (EAGAIN)
    }
    switch (errno) {
      case EAGAIN:
      case EINTR:
        return -1;
      case EMFILE:
      case ENFILE:
      case ENOBUFS:
      case ENOMEM:
        capped->CountRefused("out of file descriptors");
        if (Registry::Get().DropOne(listener)) continue;
        errno = EAGAIN;  // no reserve: wait for the next connection to try again
        return -1;
      case ECONNABORTED:
      case EPROTO:
      case EPERM:
      case ENETDOWN:
      case ENOPROTOOPT:
      case EHOSTDOWN:
      case ENONET:
      case EHOSTUNREACH:
      case EOPNOTSUPP:
      case ENETUNREACH:
        continue;  // that connection is gone (accept(2): errors of the new socket)
      default:
        return -1;  // the listener itself (EBADF, EINVAL: closed at shutdown)
    }
  }
}

}  // namespace internal
}  // namespace d06::api

// The process's accept4: gRPC's listener calls it (see connection_cap.h).
extern "C" int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  return d06::api::internal::CappedAccept4(fd, addr, len, flags);
}
