// The command classes of d06ctl (in the manner of RocksDB's ldb: each command has a name,
// help and a Run method) and the exit codes they return.
//
// Exit codes: 0 success; 1..16 the gRPC status code of a failed call (3 INVALID_ARGUMENT,
// 5 NOT_FOUND, 6 ALREADY_EXISTS, 9 FAILED_PRECONDITION, 10 ABORTED, 14 UNAVAILABLE, ...);
// 64 (EX_USAGE) a command-line error: unknown command or flag, bad flag value, bad --json.
// Every error is one line on stderr:
//   d06ctl: NOT_FOUND (NOT_FOUND, resource=tasks/9): tasks/9 not found
#ifndef D06_CLIENT_CTL_COMMAND_H_
#define D06_CLIENT_CTL_COMMAND_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client.h"
#include "client/ctl/catalog.h"
#include "client/ctl/global_options.h"

namespace d06::ctl {

// EX_USAGE of sysexits.h (import.h names the same code kExitUsage for the import).
inline constexpr int kExitUsageError = 64;

// What a command runs with. Not thread-safe; one per invocation.
struct Context {
  const Catalog& catalog;
  GlobalOptions options;
  std::ostream& out;
  std::ostream& err;

  // A client for the connection settings: flags over environment over the context of
  // the config file (client/ctl/config.h).
  absl::StatusOr<std::unique_ptr<Client>> Connect() const;
  // Prints "d06ctl: CODE (REASON, key=value, ...): message" and returns the exit code.
  int Fail(const absl::Status& status) const;
  // Prints a usage error (and where to find help) and returns kExitUsageError.
  int UsageError(absl::string_view message, absl::string_view command_for_help = "") const;
};

// One command. Subclasses: RpcCommand (generated, one per RPC), WatchCommand,
// ImportCommand, ConfigCommand, VersionCommand, CompletionCommand.
class Command {
 public:
  virtual ~Command() = default;
  // The words that call it, e.g. "tasks get", "watch".
  virtual std::string Name() const = 0;
  // One line for the command list.
  virtual std::string Summary() const = 0;
  // The full help: usage, description, flags.
  virtual std::string Help() const = 0;
  // The flags it takes, e.g. {"--task.title", ...}, for shell completion and "did you
  // mean" (the global options are apart: GlobalFlagNames()).
  virtual std::vector<std::string> Flags() const { return {}; }
  // Runs with the words after the name; returns the exit code.
  virtual int Run(const std::vector<std::string>& args, Context& context) = 0;
};

// The exit code of a call's status (see above).
int ExitCodeOf(const absl::Status& status);

// The error line for `status`, without the "d06ctl: " prefix.
std::string DescribeError(const absl::Status& status);

// The whole program: argv without the program name; returns the exit code.
int RunCtl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_COMMAND_H_
