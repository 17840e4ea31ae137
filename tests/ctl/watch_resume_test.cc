// `d06ctl watch` across a server restart: it says plainly that it is waiting for the
// server, and resumes within about a second of the server being back (no gRPC reconnect
// backoff of several seconds), without losing an event. The built d06ctl and d06d, the
// server restarted on the same port and data directory.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ctl/spawn.h"
#include "tests/testing/temp_dir.h"

namespace d06::ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A loopback port free now (the kernel's choice for an ephemeral bind).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(address.sin_port);
}

// Waits up to `limit` for `path` to contain `text`; whether it did.
bool WaitForText(const std::string& path, const std::string& text,
                 std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (absl::StrContains(proc::ReadFile(path), text)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(CtlWatchResumeTest, SaysItWaitsAndResumesWithinASecondOfTheServerBeingBack) {
  testing::TempDir dir("d06-ctl-watch");
  const int port = FreePort();
  ASSERT_GT(port, 0);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  int run = 0;
  auto start_server = [&] {
    const std::string log = absl::StrCat(dir.path(), "/d06d.", ++run, ".log");
    const pid_t pid =
        proc::Spawn({D06D_PATH, "--auth=off", "--listen=" + address, "--http_listen=127.0.0.1:0",
                     "--metrics_listen=", "--data_dir=" + dir.path() + "/data"},
                    dir.path() + "/d06d.out", log);
    EXPECT_FALSE(proc::WaitForGrpcPort(log).empty()) << proc::ReadFile(log);
    return pid;
  };
  const std::vector<std::string> env =
      proc::EnvironWith({{"D06_ADDRESS", address},
                         {"D06_ACTOR", "watch-test"},
                         {"D06CONFIG", dir.path() + "/no-config.json"},
                         {"D06_TOKEN", ""},
                         {"D06_CONTEXT", ""}});
  auto ctl = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {D06CTL_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    return proc::Run(argv, dir.path(), &env);
  };
  auto make_unit = [&](const std::string& code) {
    const proc::Result result = ctl({"units", "create", "--unit.code", code, "--unit.display_name",
                                     "Tỉnh " + code, "--unit.kind", "PROVINCE"});
    EXPECT_EQ(result.code, 0) << result.err;
  };

  pid_t server = start_server();
  ASSERT_GT(server, 0);
  const std::string out = dir.path() + "/watch.out", err = dir.path() + "/watch.err";
  const pid_t watch = proc::Spawn({D06CTL_PATH, "watch", "--from", "1"}, out, err, &env);
  ASSERT_GT(watch, 0);
  make_unit("W01");
  ASSERT_TRUE(WaitForText(out, "units/W01", std::chrono::seconds(10))) << proc::ReadFile(err);

  // The server goes away: the watch says so, once, in plain words.
  kill(server, SIGTERM);
  proc::WaitExit(server);
  ASSERT_TRUE(WaitForText(err, "waiting for the server at " + address, std::chrono::seconds(5)))
      << proc::ReadFile(err);
  EXPECT_THAT(proc::ReadFile(err), Not(HasSubstr("CANCELLED: CANCELLED")));
  // Long enough down for gRPC's default backoff to have grown past several seconds.
  std::this_thread::sleep_for(std::chrono::seconds(3));

  server = start_server();
  const auto back = std::chrono::steady_clock::now();
  make_unit("W02");  // an event right after the server is back
  ASSERT_TRUE(WaitForText(out, "units/W02", std::chrono::seconds(10))) << proc::ReadFile(err);
  const auto seen = std::chrono::steady_clock::now();
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(seen - back).count(), 1500)
      << proc::ReadFile(err);
  EXPECT_THAT(proc::ReadFile(err), HasSubstr("resumed from revision"));
  // Said once for the outage, not once per attempt.
  const std::string said = proc::ReadFile(err);
  EXPECT_EQ(said.find("waiting for the server"), said.rfind("waiting for the server")) << said;

  kill(watch, SIGINT);
  EXPECT_EQ(proc::WaitExit(watch), 0) << proc::ReadFile(err);
  kill(server, SIGTERM);
  proc::WaitExit(server);
}

}  // namespace
}  // namespace d06::ctl
