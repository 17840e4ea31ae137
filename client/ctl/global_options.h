// The options every d06ctl command takes, from flags (anywhere on the command line,
// before or after the command) over environment variables over the current context of
// the configuration file (client/ctl/config.h) over defaults:
//   --address HOST:PORT   env D06_ADDRESS, default 127.0.0.1:50051 (any gRPC target)
//   --token TOKEN         env D06_TOKEN: the bearer token (d06_...) of every call
//   --token_file FILE     a file holding it, read again whenever it changes
//   --tls                 TLS with the system's CAs
//   --tls_ca FILE         TLS, the server's certificate checked against this CA (PEM)
//   --tls_cert FILE, --tls_key FILE   mutual TLS: the client's certificate and key (PEM)
//   --tls_server_name N   the name the server's certificate must carry, if not the host's
//   --plaintext           no TLS, said explicitly (loopback development, or a mesh)
//   --actor NAME          env D06_ACTOR, any UTF-8 (default: none), sent as the client
//                         library sends ClientOptions::actor (x-d06-actor or -bin); only
//                         d06d --auth=off records it
//   --context NAME        env D06_CONTEXT: the context to use instead of the current one
//   --config FILE         env D06CONFIG: the configuration file
//   --timeout DURATION    env D06_TIMEOUT, default 10s, per attempt (e.g. 500ms, 1m, 30)
//   -o, --output FORMAT   table (default), wide (more columns), json or yaml
//   --columns A,B,C       the table's columns (client/ctl/table.h)
//   --sort-by KEY         the table's rows sorted by a column
//   --dry-run             a mutation is validated by the server, not applied
//                         (the request's validate_only)
//   --all                 follow next_page_token and print every page as one list
//   --out FILE            where a streamed export is written (default: stdout)
//   -h, --help            help of the command (or of everything)
// Without TLS settings and without --plaintext, d06ctl speaks plaintext only to a loopback
// address and refuses any other, naming the flags. A request field named like one of
// these options can be set only through --json.
#ifndef D06_CLIENT_CTL_GLOBAL_OPTIONS_H_
#define D06_CLIENT_CTL_GLOBAL_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/ctl/output.h"

namespace d06::ctl {

// Connection settings one source gave (the command line, the environment or a
// context); unset: that source said nothing about it.
struct ConnectionSettings {
  std::optional<std::string> address;
  std::optional<std::string> actor;
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  std::optional<bool> tls;
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> tls_server_name;
  std::optional<bool> plaintext;

  // Whether it says anything about TLS (tls, tls_ca, tls_cert, tls_key).
  bool SaysTls() const { return tls.has_value() || tls_ca || tls_cert || tls_key; }
};

struct GlobalOptions {
  ConnectionSettings flags;  // From the command line.
  ConnectionSettings env;    // From D06_ADDRESS, D06_ACTOR, D06_TOKEN.
  std::string context;       // --context, else D06_CONTEXT; empty: the current one.
  std::string config_path;   // --config, else D06CONFIG; empty: the default path.
  absl::Duration timeout = absl::Seconds(10);
  OutputFormat output = OutputFormat::kTable;
  std::vector<std::string> columns;
  std::string sort_by;
  bool dry_run = false;
  bool all_pages = false;
  std::string out_file;
  bool help = false;
};

// What ParseGlobalOptions found: the options and the words left (command and its args).
struct ParsedCommandLine {
  GlobalOptions options;
  std::vector<std::string> words;
};

// Reads the options out of `args` (argv without the program name); `getenv` reads the
// environment (injectable for tests). INVALID_ARGUMENT names the flag or variable at fault
// (also --token with --token_file, --plaintext with a TLS flag).
absl::StatusOr<ParsedCommandLine> ParseGlobalOptions(const std::vector<std::string>& args,
                                                     const char* (*getenv)(const char*) = nullptr);

// The settings in force: `layers` from lowest to highest precedence (e.g. context, env,
// flags), each field taken from the highest layer that gives it; except that a layer
// giving --plaintext drops the TLS settings below it, a layer giving a TLS setting drops
// a --plaintext below it, and a layer giving a token or a token file drops both below it.
ConnectionSettings Merge(const std::vector<const ConnectionSettings*>& layers);

// The client library's options for merged settings and `timeout`. Applies the transport
// rule: TLS when a TLS setting is given; else plaintext, which needs --plaintext unless
// the address is a loopback one. Errors: INVALID_ARGUMENT naming the flags to give.
absl::StatusOr<ClientOptions> ToClientOptions(const ConnectionSettings& settings,
                                              absl::Duration timeout);

// The options above as flags ("--address", "-o", ...), for completion and "did you mean".
std::vector<std::string> GlobalFlagNames();

// The help text of the options above.
std::string GlobalOptionsHelp();

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_GLOBAL_OPTIONS_H_
