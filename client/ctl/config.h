// d06ctl's configuration file (client/ctl/config.proto has the format and an example):
// named contexts, each a server address and how to reach it (TLS files, a token file,
// or plaintext), one of them current, as kubectl's contexts. Written by
// `d06ctl config set-context|use-context|delete-context`, read before every call.
//
// Where: --config FILE, else $D06CONFIG, else $XDG_CONFIG_HOME/d06/config, else
// ~/.config/d06/config. A missing file is an empty configuration. Written atomically
// (a new file renamed over the old one), mode 0600, its directory created 0700.
//
// Pure functions and file I/O; thread-compatible.
#ifndef D06_CLIENT_CTL_CONFIG_H_
#define D06_CLIENT_CTL_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/client.h"
#include "client/ctl/config.pb.h"
#include "client/ctl/global_options.h"

namespace d06::ctl {

// The configuration file's path (see above); `explicit_path` is --config or $D06CONFIG.
// `getenv` as in ParseGlobalOptions.
std::string ConfigPath(const std::string& explicit_path,
                       const char* (*getenv)(const char*) = nullptr);

// The file's configuration; an empty one if it does not exist. Errors:
// FAILED_PRECONDITION (unreadable), INVALID_ARGUMENT (not valid JSON of CtlConfig, or two
// contexts with one name), both naming the file.
absl::StatusOr<CtlConfig> LoadConfig(const std::string& path);

// Writes `config` to `path` (see above).
absl::Status SaveConfig(const std::string& path, const CtlConfig& config);

// The context called `name`, or null.
const CtlContext* FindContext(const CtlConfig& config, absl::string_view name);
CtlContext* FindContext(CtlConfig* config, absl::string_view name);

// A context's settings, its relative paths taken relative to `config_dir` and "~/"
// expanded.
ConnectionSettings SettingsOf(const CtlContext& context, const std::string& config_dir);

// "~/x" -> "$HOME/x"; a relative path -> `base_dir`/path; others as they are.
std::string ExpandPath(const std::string& path, const std::string& base_dir);

// What a command connects with: the context (--context, $D06_CONTEXT or the file's
// current one, if any) under the environment under the flags, by Merge and
// ToClientOptions. Errors: a context named but not in the file (NOT_FOUND), and those of
// LoadConfig and ToClientOptions.
absl::StatusOr<ClientOptions> ResolveClientOptions(const GlobalOptions& options,
                                                   const char* (*getenv)(const char*) = nullptr);

// A context name: 1..63 of letters, digits, ".", "_" and "-".
bool IsValidContextName(absl::string_view name);

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_CONFIG_H_
