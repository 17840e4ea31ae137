// Running the built binaries (d06d, d06ctl) from the ctl tests: spawn with stdout and
// stderr to files and an environment of the test's choosing, wait, read what they wrote.
#ifndef D06_TESTS_CTL_SPAWN_H_
#define D06_TESTS_CTL_SPAWN_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace d06::ctl::proc {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// This process's environment with `changes` applied (an empty value removes the
// variable).
inline std::vector<std::string> EnvironWith(const std::map<std::string, std::string>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (changes.count(name) == 0) env.push_back(entry);
  }
  for (const auto& [name, value] : changes) {
    if (!value.empty()) env.push_back(absl::StrCat(name, "=", value));
  }
  return env;
}

// Starts `argv` with stdout and stderr to the given files and `env` (null: this
// process's environment); returns its pid, or -1.
inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
                   const std::string& err_path, const std::vector<std::string>* env = nullptr) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (env != nullptr) {
    for (const std::string& e : *env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(),
                  env != nullptr ? envp.data() : environ) != 0) {
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

inline int WaitExit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// What a program run to its end printed and returned.
struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` to its end with stdout and stderr to files of `dir` (overwritten by the
// next run) and `env` (null: this process's environment).
inline Result Run(const std::vector<std::string>& argv, const std::string& dir,
                  const std::vector<std::string>* env = nullptr) {
  const std::string out = dir + "/run.out", err = dir + "/run.err";
  Result result;
  result.code = WaitExit(Spawn(argv, out, err, env));
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

// The port a d06d started on 127.0.0.1:0 reports in its log `log_path` ("d06d: serving
// gRPC on port N (...)"), waiting up to 20 s for it; empty if it never does.
inline std::string WaitForGrpcPort(const std::string& log_path) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    for (absl::string_view line : absl::StrSplit(ReadFile(log_path), '\n')) {
      if (absl::ConsumePrefix(&line, "d06d: serving gRPC on port ")) {
        return std::string(line.substr(0, line.find(' ')));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

}  // namespace d06::ctl::proc

#endif  // D06_TESTS_CTL_SPAWN_H_
