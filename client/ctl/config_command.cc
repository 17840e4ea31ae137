#include "client/ctl/config_command.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "client/ctl/config.h"
#include "client/ctl/display_width.h"
#include "client/ctl/output.h"

namespace d06::ctl {
namespace {

// A path given on the command line, made absolute (the config is used from anywhere).
std::string AbsolutePath(const std::string& path) {
  if (path.empty() || path[0] == '/' || path[0] == '~') return ExpandPath(path, "");
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == nullptr) return path;
  return absl::StrCat(cwd, "/", path);
}

std::string Transport(const CtlContext& c) {
  if (c.plaintext()) return "plaintext";
  if (!c.tls_cert().empty()) return "mutual TLS";
  if (c.tls() || !c.tls_ca().empty()) return "TLS";
  return "";
}

int SetContext(const std::string& name, Context& context, CtlConfig& config,
               const std::string& path) {
  const ConnectionSettings& flags = context.options.flags;
  if (flags.token.has_value()) {
    return context.UsageError(
        "config set-context: a token is not stored in the config file: write it to a file "
        "only you can read (chmod 600) and give --token_file FILE",
        "config");
  }
  CtlContext* found = FindContext(&config, name);
  const bool created = found == nullptr;
  if (created) {
    found = config.add_contexts();
    found->set_name(name);
  }
  CtlContext& c = *found;
  if (flags.address) c.set_address(*flags.address);
  if (flags.actor) c.set_actor(*flags.actor);
  if (flags.tls_server_name) c.set_tls_server_name(*flags.tls_server_name);
  if (flags.token_file) c.set_token_file(AbsolutePath(*flags.token_file));
  if (flags.plaintext.value_or(false)) {
    // Plaintext replaces the context's TLS settings, and TLS its plaintext (as the flags
    // do over a context when connecting).
    c.clear_tls();
    c.clear_tls_ca();
    c.clear_tls_cert();
    c.clear_tls_key();
  }
  if (flags.SaysTls()) c.clear_plaintext();
  if (flags.plaintext) c.set_plaintext(*flags.plaintext);
  if (flags.tls) c.set_tls(*flags.tls);
  if (flags.tls_ca) c.set_tls_ca(AbsolutePath(*flags.tls_ca));
  if (flags.tls_cert) c.set_tls_cert(AbsolutePath(*flags.tls_cert));
  if (flags.tls_key) c.set_tls_key(AbsolutePath(*flags.tls_key));
  if (c.tls_cert().empty() != c.tls_key().empty()) {
    return context.UsageError("config set-context: --tls_cert and --tls_key go together", "config");
  }
  const bool made_current = config.current_context().empty();
  if (made_current) config.set_current_context(name);
  if (absl::Status s = SaveConfig(path, config); !s.ok()) return context.Fail(s);
  context.out << "Context \"" << name << "\" " << (created ? "created" : "modified") << " in "
              << path << (made_current ? "; it is the current context" : "") << ".\n";
  return 0;
}

void PrintContexts(const CtlConfig& config, std::ostream& out) {
  const std::vector<std::string> header = {"CURRENT", "NAME", "ADDRESS", "TRANSPORT", "TOKEN_FILE"};
  std::vector<std::vector<std::string>> rows = {header};
  for (const CtlContext& c : config.contexts()) {
    rows.push_back({c.name() == config.current_context() ? "*" : "", c.name(), c.address(),
                    Transport(c), c.token_file()});
  }
  std::vector<int> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, i + 1 < row.size() ? PadToWidth(row[i], widths[i] + 2) : row[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

}  // namespace

std::string ConfigCommand::Summary() const {
  return "Named contexts (address, TLS, token file) in the config file.";
}

std::string ConfigCommand::Help() const {
  return R"(Usage: d06ctl config set-context NAME [--address HOST:PORT]
           [--tls_ca FILE] [--tls_cert FILE --tls_key FILE] [--tls]
           [--token_file FILE] [--tls_server_name NAME] [--plaintext]
           [--actor NAME]
       d06ctl config use-context NAME
       d06ctl config get-contexts
       d06ctl config current-context
       d06ctl config delete-context NAME

A context names a d06 server and how to reach it, as kubectl's do. Every
command uses the current one (or --context NAME, env D06_CONTEXT); flags and
environment variables (D06_ADDRESS, D06_TOKEN) override its settings one by
one.

set-context creates the context or changes only the settings given (an empty
value clears one); the first context becomes current. Files are stored as
absolute paths. A token never is: keep it in a file only you can read
(chmod 600) and give --token_file.

The file: --config FILE, env D06CONFIG, else $XDG_CONFIG_HOME/d06/config or
~/.config/d06/config. JSON, written with mode 0600:
  {
    "current_context": "nghean",
    "contexts": [
      {"name": "nghean", "address": "d06.nghean.gov.vn:443",
       "tls_ca": "/etc/d06/ca.pem",
       "token_file": "/home/an/.config/d06/nghean.token"},
      {"name": "dev", "address": "127.0.0.1:50051", "plaintext": true}
    ]
  }
Fields: name, address, tls, tls_ca, tls_cert, tls_key, tls_server_name,
plaintext, token_file, actor. Relative paths are relative to the file's
directory.
)";
}

int ConfigCommand::Run(const std::vector<std::string>& args, Context& context) {
  if (args.empty())
    return context.UsageError(
        "config: which one? set-context, use-context, "
        "get-contexts, current-context, delete-context",
        "config");
  const std::string& verb = args[0];
  const bool takes_name =
      verb == "set-context" || verb == "use-context" || verb == "delete-context";
  const bool known = takes_name || verb == "get-contexts" || verb == "current-context";
  if (!known)
    return context.UsageError(absl::StrCat("unknown command \"config ", verb, "\""), "config");
  if (args.size() != (takes_name ? 2u : 1u)) {
    return context.UsageError(
        absl::StrCat("config ", verb,
                     takes_name ? ": give one context NAME" : ": takes no arguments",
                     args.size() > (takes_name ? 2u : 1u)
                         ? absl::StrCat(" (unexpected \"", args.back(), "\")")
                         : ""),
        "config");
  }
  const std::string path = ConfigPath(context.options.config_path);
  absl::StatusOr<CtlConfig> config = LoadConfig(path);
  if (!config.ok()) return context.Fail(config.status());
  if (!takes_name) {
    if (verb == "get-contexts") {
      if (context.options.output == OutputFormat::kTable) {
        PrintContexts(*config, context.out);
      } else {
        if (absl::Status printed = PrintMessage(*config, context.options.output, context.out);
            !printed.ok()) {
          return context.Fail(printed);
        }
      }
      return 0;
    }
    if (config->current_context().empty()) {
      return context.Fail(absl::NotFoundError(absl::StrCat("no current context in ", path)));
    }
    context.out << config->current_context() << "\n";
    return 0;
  }
  const std::string& name = args[1];
  if (!IsValidContextName(name)) {
    return context.UsageError(
        absl::StrCat("config ", verb, ": \"", name,
                     "\" is not a context name (1 to 63 letters, digits, '.', '_', '-')"),
        "config");
  }
  if (verb == "set-context") return SetContext(name, context, *config, path);
  if (FindContext(*config, name) == nullptr) {
    return context.Fail(absl::NotFoundError(
        absl::StrCat("no context \"", name, "\" in ", path, " (see d06ctl config get-contexts)")));
  }
  if (verb == "use-context") {
    config->set_current_context(name);
  } else {
    auto* contexts = config->mutable_contexts();
    contexts->erase(std::remove_if(contexts->begin(), contexts->end(),
                                   [&](const CtlContext& c) { return c.name() == name; }),
                    contexts->end());
    if (config->current_context() == name) config->clear_current_context();
  }
  if (absl::Status s = SaveConfig(path, *config); !s.ok()) return context.Fail(s);
  context.out << (verb == "use-context" ? "Switched to context \"" : "Deleted context \"") << name
              << "\".\n";
  return 0;
}

}  // namespace d06::ctl
