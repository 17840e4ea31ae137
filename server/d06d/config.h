// d06d's configuration: every flag may also come from the environment and from a
// configuration file, with the precedence
//
//   command line  >  environment (D06_ + the flag's name)  >  file (--config=FILE)  >  default
//
// The environment variable of a flag is D06_ followed by its name in upper case:
// --data_dir is D06_DATA_DIR, --http_listen D06_HTTP_LISTEN (a name's underscores stay).
// The file (--config=FILE, or D06_CONFIG=FILE; a file cannot name another) is Abseil's
// flagfile format: one `--name=value` a line, the value up to the end of the line as it
// is (no quotes, no trailing comment), `--name` / `--noname` for a boolean true / false,
// blank lines and lines starting with # ignored; `d06d --flagfile=FILE` reads the same file
// as if its lines were on the command line.
//
// Refused, so that d06d never starts with a setting other than the one meant: a file line
// that is not --name=value, names no d06d flag or has a value the flag cannot take (the
// error names FILE:LINE and the flag), the same flag twice in the file, a D06_ variable
// whose value the flag cannot take (the error names the variable). A D06_ variable naming
// no flag is a warning only: it may be a typo, or another program's.
//
// Secrets are never a flag's value: a key, a pepper, a password is given as the path of a
// file that holds it (--tls_key=FILE), so that it shows neither in `ps` nor in
// /proc/PID/environ nor in --print_config. Options::redacted names flags whose value is
// never shown in any case.
//
// Use (after absl::ParseCommandLine has set the command line's flags):
//   absl::StatusOr<Config> config = Config::Resolve(options, EnvironmentOf(environ));
//   if (!config.ok()) { ...refuse to start with config.status().message()... }
//   std::cout << config->Print();   // --print_config
#ifndef D06_SERVER_D06D_CONFIG_H_
#define D06_SERVER_D06D_CONFIG_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace d06 {

// Where a flag's effective value came from.
struct FlagSource {
  enum class Kind { kDefault, kFile, kEnvironment, kCommandLine };
  Kind kind = Kind::kDefault;
  // kFile: "FILE:LINE"; kEnvironment: the variable's name; empty otherwise.
  std::string where;

  // "default", "FILE:LINE", "env D06_LISTEN" or "flag".
  std::string ToString() const;
};

struct ConfigOptions {
  // Whether a flag is one of the program's own (and not, say, Abseil's --flagfile or
  // --help): only these are read from the file and the environment and printed.
  std::function<bool(const absl::CommandLineFlag&)> is_own;
  // Whether a flag was given on the command line. Default: Abseil's record of it.
  std::function<bool(const absl::CommandLineFlag&)> on_command_line;
  // The prefix of the environment variables.
  std::string env_prefix = "D06_";
  // The flag that names the configuration file.
  std::string config_flag = "config";
  // Flags whose value is never printed. (d06d has none: its secrets are files.)
  std::set<std::string> redacted;
};

class Config {
 public:
  // One flag's effective value and where it came from.
  struct Entry {
    std::string name;
    std::string value;  // "(redacted)" for a redacted flag
    FlagSource source;
  };

  // Sets each of the program's flags not given on the command line from the environment
  // (`environment`: NAME=VALUE strings), else from the configuration file; the others keep
  // their defaults. INVALID_ARGUMENT naming FILE:LINE or the variable for a refused setting
  // (see the top of this file).
  static absl::StatusOr<Config> Resolve(const ConfigOptions& options,
                                        const std::vector<std::string>& environment);

  const FlagSource& SourceOf(absl::string_view name) const;
  // The program's flags by name.
  std::vector<Entry> Entries() const;
  // What to warn about: D06_ variables that name no flag.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // --print_config: a comment saying what it is, then a line `--name=value  # SOURCE` for
  // every flag, by name.
  std::string Print() const;
  // `message` (an error naming flags as --name) followed by where each flag it names got a
  // value other than the command line's or the default, e.g.
  // "--block_cache_mb must be ... (--block_cache_mb from /etc/d06/d06d.conf:4)".
  std::string Annotate(absl::string_view message) const;

 private:
  std::map<std::string, FlagSource, std::less<>> sources_;
  std::set<std::string> redacted_;
  std::vector<std::string> warnings_;
};

// The NAME=VALUE strings of an environ-style array.
std::vector<std::string> EnvironmentOf(char** env);

}  // namespace d06

#endif  // D06_SERVER_D06D_CONFIG_H_
