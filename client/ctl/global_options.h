// The options every d06ctl command takes, from flags (anywhere on the command line,
// before or after the command) over environment variables over defaults:
//   --address HOST:PORT   env D06_ADDRESS, default 127.0.0.1:50051 (any gRPC target)
//   --actor NAME          env D06_ACTOR, any UTF-8 (default: none), sent as the client
//                         library sends ClientOptions::actor (x-d06-actor or -bin)
//   --timeout DURATION    env D06_TIMEOUT, default 10s, per attempt (e.g. 500ms, 1m, 30)
//   -o, --output FORMAT   table (default), json or yaml
//   --all                 follow next_page_token and print every page as one list
//   --out FILE            where a streamed export is written (default: stdout)
//   -h, --help            help of the command (or of everything)
// TLS (CA, certificate, key files) and a bearer token will be options here too, feeding
// ClientOptions::credentials. A request field named like one of these options can be set
// only through --json.
#ifndef D06_CLIENT_CTL_GLOBAL_OPTIONS_H_
#define D06_CLIENT_CTL_GLOBAL_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/ctl/output.h"

namespace d06::ctl {

struct GlobalOptions {
  std::string address = "127.0.0.1:50051";
  std::string actor;
  absl::Duration timeout = absl::Seconds(10);
  OutputFormat output = OutputFormat::kTable;
  bool all_pages = false;
  std::string out_file;
  bool help = false;

  // The client library's options for these settings.
  ClientOptions ToClientOptions() const;
};

// What ParseGlobalOptions found: the options and the words left (command and its args).
struct ParsedCommandLine {
  GlobalOptions options;
  std::vector<std::string> words;
};

// Reads the options out of `args` (argv without the program name); `getenv` reads the
// environment (injectable for tests). INVALID_ARGUMENT names the flag or variable at fault.
absl::StatusOr<ParsedCommandLine> ParseGlobalOptions(const std::vector<std::string>& args,
                                                     const char* (*getenv)(const char*) = nullptr);

// The help text of the options above.
std::string GlobalOptionsHelp();

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_GLOBAL_OPTIONS_H_
