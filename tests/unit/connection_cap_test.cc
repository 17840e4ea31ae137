// The accept4 of server/api/connection_cap.h on a registered port, out of file
// descriptors (issue 17): gRPC 1.51's accept loop stops for good on any error but
// EAGAIN/EINTR (CVE-2023-4785), so d06's accept4 must never hand it EMFILE, and the port
// must accept again once descriptors are free.
#include "server/api/connection_cap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace d06::api {
namespace {

// A non-blocking listening socket on 127.0.0.1 (as gRPC's are); closed at the end.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(fd_, 16) != 0) {
      ADD_FAILURE() << "listen: " << std::strerror(errno);
    }
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { close(fd_); }
  int fd() const { return fd_; }
  int port() const { return port_; }

  // A client connection to it (in the backlog until accepted); -1 on failure.
  int Connect() const {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port_));
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Lowers the soft open-files limit so that no new descriptor can be made (to the lowest
// free descriptor number); puts the limit back when destroyed.
class NoFreeDescriptors {
 public:
  NoFreeDescriptors() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    const int lowest_free = dup(0);
    close(lowest_free);
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
    if (setrlimit(RLIMIT_NOFILE, &lowered) != 0) {
      ADD_FAILURE() << "setrlimit: " << std::strerror(errno);
    }
  }
  ~NoFreeDescriptors() { setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

// Waits up to 2 s for `fd` to be readable; true if it is.
bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 2000) == 1;
}

TEST(CappedAcceptTest, OutOfDescriptorsAcceptSaysTryAgainAndAcceptsOnceTheyAreBack) {
  Listener listener;
  std::unique_ptr<ConnectionCap> cap = ConnectionCap::OnPort(listener.port(), 100);
  const int waiting = listener.Connect();
  ASSERT_GE(waiting, 0);
  ASSERT_TRUE(Readable(listener.fd()));

  // accept4 runs on a thread of its own so that the test ends even if it never returns
  // while descriptors are out: the limit is put back after at most 2 s.
  std::atomic<int> result{-2}, error{0};
  absl::Notification returned;
  bool in_time = false;
  std::thread accepting;
  {
    NoFreeDescriptors full;
    // What the kernel says here: the reason d06 wraps accept4.
    const int probe = dup(0);
    const int probe_error = errno;
    if (probe >= 0) close(probe);
    EXPECT_EQ(probe, -1);
    EXPECT_EQ(probe_error, EMFILE);

    accepting = std::thread([&] {
      errno = 0;
      result = accept4(listener.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      error = errno;
      returned.Notify();
    });
    in_time = returned.WaitForNotificationWithTimeout(absl::Seconds(2));
  }
  accepting.join();
  EXPECT_TRUE(in_time) << "accept4 did not return within 2 s while out of descriptors";
  if (result >= 0) close(result);
  // gRPC goes on after EAGAIN; it stops accepting for good after EMFILE.
  EXPECT_EQ(result, -1);
  EXPECT_EQ(error, EAGAIN) << "errno " << std::strerror(error);
  // The waiting connection was accepted and closed at once: its client is not left
  // waiting for an answer that never comes.
  EXPECT_GE(cap->refused(), 1);
  ASSERT_TRUE(Readable(waiting));
  char byte;
  EXPECT_LE(recv(waiting, &byte, 1, MSG_DONTWAIT), 0) << "not closed";
  close(waiting);

  // With descriptors back, the port accepts again.
  const int next = listener.Connect();
  ASSERT_GE(next, 0);
  ASSERT_TRUE(Readable(listener.fd()));
  const int accepted = accept4(listener.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  EXPECT_GE(accepted, 0) << std::strerror(errno);
  EXPECT_EQ(cap->open(), 1);
  if (accepted >= 0) close(accepted);
  close(next);
}

TEST(CappedAcceptTest, BeyondTheCapAConnectionIsClosedAtOnceAndCountedUntilClosed) {
  Listener listener;
  std::unique_ptr<ConnectionCap> cap = ConnectionCap::OnPort(listener.port(), 1);
  const int first = listener.Connect();
  ASSERT_TRUE(Readable(listener.fd()));
  const int kept = accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(kept, 0);

  // A second connection beyond the cap of 1: closed after a GOAWAY, never returned.
  const int second = listener.Connect();
  ASSERT_TRUE(Readable(listener.fd()));
  errno = 0;
  EXPECT_EQ(accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_EQ(cap->refused(), 1);
  ASSERT_TRUE(Readable(second));
  char frame[9];
  ASSERT_EQ(recv(second, frame, sizeof(frame), MSG_WAITALL), 9);
  EXPECT_EQ(frame[3], 0x07) << "not an HTTP/2 GOAWAY frame";

  // Once the kept one is closed, a new connection is accepted (the cap notices a closed
  // connection within its sweep interval).
  close(kept);
  const absl::Time closed = absl::Now();
  int accepted = -1;
  std::vector<int> clients;
  while (accepted < 0 && absl::Now() - closed < absl::Seconds(1)) {
    clients.push_back(listener.Connect());
    ASSERT_TRUE(Readable(listener.fd()));
    accepted = accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (accepted < 0) absl::SleepFor(ConnectionCap::kSweepInterval);
  }
  EXPECT_GE(accepted, 0) << "no connection accepted within 1 s of the kept one closing";
  if (accepted >= 0) close(accepted);
  for (int fd : clients) close(fd);
  close(first);
  close(second);
}

}  // namespace
}  // namespace d06::api
