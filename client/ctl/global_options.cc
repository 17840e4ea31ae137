#include "client/ctl/global_options.h"

#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace d06::ctl {
namespace {

absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view source, absl::string_view text) {
  absl::Duration duration;
  double seconds;
  if (absl::SimpleAtod(text, &seconds)) {
    duration = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(text, &duration)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": \"", text, "\" is not a duration, e.g. 10s, 500ms, 2m or 30 (seconds)"));
  }
  if (duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": must be positive"));
  }
  return duration;
}

const char* DefaultGetenv(const char* name) { return std::getenv(name); }

}  // namespace

absl::StatusOr<ParsedCommandLine> ParseGlobalOptions(const std::vector<std::string>& args,
                                                     const char* (*getenv)(const char*)) {
  if (getenv == nullptr) getenv = DefaultGetenv;
  ParsedCommandLine parsed;
  GlobalOptions& options = parsed.options;
  auto env = [&](const char* name) -> std::optional<std::string> {
    const char* value = getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  options.env.address = env("D06_ADDRESS");
  if (const char* actor = getenv("D06_ACTOR"); actor != nullptr) options.env.actor = actor;
  options.env.token = env("D06_TOKEN");
  options.context = env("D06_CONTEXT").value_or("");
  options.config_path = env("D06CONFIG").value_or("");
  if (std::optional<std::string> timeout = env("D06_TIMEOUT"); timeout.has_value()) {
    absl::StatusOr<absl::Duration> duration = ParseTimeout("D06_TIMEOUT", *timeout);
    if (!duration.ok()) return duration.status();
    options.timeout = *duration;
  }

  ConnectionSettings& flags = options.flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // The flag's name and its value, from "--flag=value", "-ovalue" or the next word.
    auto take_value = [&](absl::string_view flag, std::string* value) -> absl::Status {
      absl::string_view rest = arg;
      if (absl::ConsumePrefix(&rest, flag)) {
        if (absl::ConsumePrefix(&rest, "=") || (flag == "-o" && !rest.empty())) {
          *value = std::string(rest);
          return absl::OkStatus();
        }
      }
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": needs a value"));
      }
      *value = args[++i];
      return absl::OkStatus();
    };
    auto is = [&](absl::string_view flag) {
      return arg == flag || absl::StartsWith(arg, absl::StrCat(flag, "="));
    };
    // A string flag into `field`.
    auto string_flag = [&](absl::string_view flag,
                           std::optional<std::string>* field) -> std::optional<absl::Status> {
      if (!is(flag)) return std::nullopt;
      std::string value;
      if (auto s = take_value(flag, &value); !s.ok()) return s;
      *field = std::move(value);
      return absl::OkStatus();
    };
    // A bool flag: "--flag", "--flag=true" or "--flag=false" (never the next word).
    auto bool_flag = [&](absl::string_view flag,
                         std::optional<bool>* field) -> std::optional<absl::Status> {
      if (!is(flag)) return std::nullopt;
      absl::string_view rest = arg;
      absl::ConsumePrefix(&rest, flag);
      bool value = true;
      if (absl::ConsumePrefix(&rest, "=") && !absl::SimpleAtob(rest, &value)) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, ": true or false, not \"", rest, "\""));
      }
      *field = value;
      return absl::OkStatus();
    };
    std::optional<absl::Status> handled;
    for (const auto& [flag, field] :
         std::initializer_list<std::pair<absl::string_view, std::optional<std::string>*>>{
             {"--address", &flags.address},
             {"--actor", &flags.actor},
             {"--token_file", &flags.token_file},
             {"--token", &flags.token},
             {"--tls_ca", &flags.tls_ca},
             {"--tls_cert", &flags.tls_cert},
             {"--tls_key", &flags.tls_key},
             {"--tls_server_name", &flags.tls_server_name}}) {
      if (!handled) handled = string_flag(flag, field);
    }
    if (!handled) handled = bool_flag("--tls", &flags.tls);
    if (!handled) handled = bool_flag("--plaintext", &flags.plaintext);
    if (handled) {
      if (!handled->ok()) return *handled;
      continue;
    }
    std::string value;
    if (is("--context")) {
      if (auto s = take_value("--context", &value); !s.ok()) return s;
      options.context = value;
    } else if (is("--config")) {
      if (auto s = take_value("--config", &value); !s.ok()) return s;
      options.config_path = value;
    } else if (is("--timeout")) {
      if (auto s = take_value("--timeout", &value); !s.ok()) return s;
      absl::StatusOr<absl::Duration> duration = ParseTimeout("--timeout", value);
      if (!duration.ok()) return duration.status();
      options.timeout = *duration;
    } else if (is("--output") || absl::StartsWith(arg, "-o")) {
      if (auto s = take_value(is("--output") ? "--output" : "-o", &value); !s.ok()) return s;
      absl::StatusOr<OutputFormat> format = ParseOutputFormat(value);
      if (!format.ok()) return format.status();
      options.output = *format;
    } else if (is("--columns")) {
      if (auto s = take_value("--columns", &value); !s.ok()) return s;
      options.columns = absl::StrSplit(value, ',', absl::SkipWhitespace());
    } else if (is("--sort-by") || is("--sort_by")) {
      if (auto s = take_value(is("--sort-by") ? "--sort-by" : "--sort_by", &value); !s.ok()) {
        return s;
      }
      options.sort_by = value;
    } else if (arg == "--dry-run" || arg == "--dry_run") {
      options.dry_run = true;
    } else if (arg == "--all") {
      options.all_pages = true;
    } else if (is("--out")) {
      if (auto s = take_value("--out", &value); !s.ok()) return s;
      options.out_file = value;
    } else if (arg == "-h" || arg == "--help") {
      options.help = true;
    } else {
      parsed.words.push_back(arg);
    }
  }
  if (flags.token.has_value() && flags.token_file.has_value()) {
    return absl::InvalidArgumentError("--token and --token_file: give one of them");
  }
  if (flags.plaintext.value_or(false) && flags.SaysTls()) {
    return absl::InvalidArgumentError(
        "--plaintext and --tls/--tls_ca/--tls_cert/--tls_key: give one or the other");
  }
  return parsed;
}

ConnectionSettings Merge(const std::vector<const ConnectionSettings*>& layers) {
  ConnectionSettings out;
  for (const ConnectionSettings* layer : layers) {
    auto take = [](const auto& from, auto* to) {
      if (from.has_value()) *to = from;
    };
    take(layer->address, &out.address);
    take(layer->actor, &out.actor);
    take(layer->tls_server_name, &out.tls_server_name);
    if (layer->token.has_value() || layer->token_file.has_value()) {
      out.token = layer->token;
      out.token_file = layer->token_file;
    }
    if (layer->plaintext.value_or(false)) {
      out.tls = std::nullopt;
      out.tls_ca = out.tls_cert = out.tls_key = std::nullopt;
    }
    if (layer->SaysTls()) out.plaintext = std::nullopt;
    take(layer->plaintext, &out.plaintext);
    take(layer->tls, &out.tls);
    take(layer->tls_ca, &out.tls_ca);
    take(layer->tls_cert, &out.tls_cert);
    take(layer->tls_key, &out.tls_key);
  }
  return out;
}

absl::StatusOr<ClientOptions> ToClientOptions(const ConnectionSettings& settings,
                                              absl::Duration timeout) {
  ClientOptions options;
  options.target = settings.address.value_or(options.target);
  options.actor = settings.actor.value_or("");
  options.default_timeout = timeout;
  options.token = settings.token.value_or("");
  options.token_file = settings.token_file.value_or("");
  options.tls = settings.tls.value_or(false);
  options.tls_ca = settings.tls_ca.value_or("");
  options.tls_cert = settings.tls_cert.value_or("");
  options.tls_key = settings.tls_key.value_or("");
  options.tls_server_name = settings.tls_server_name.value_or("");
  const bool tls = options.tls || !options.tls_ca.empty() || !options.tls_cert.empty() ||
                   !options.tls_key.empty();
  const bool loopback = client::IsLoopbackTarget(options.target);
  if (!tls && !settings.plaintext.value_or(false) && !loopback) {
    return absl::InvalidArgumentError(absl::StrCat(
        options.target,
        " is not a loopback address: give --tls_ca FILE (the CA of d06d's certificate; "
        "with --tls_cert and --tls_key for mutual TLS) or --tls (the system's CAs), or "
        "--plaintext if the network is encrypted otherwise (a service mesh)"));
  }
  if (!tls && !loopback && (!options.token.empty() || !options.token_file.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat("a token is never sent in plaintext to ", options.target,
                     ", which is not a loopback address: give --tls_ca FILE or --tls"));
  }
  return options;
}

std::vector<std::string> GlobalFlagNames() {
  return {"--address",  "--token",   "--token_file",      "--tls",       "--tls_ca",
          "--tls_cert", "--tls_key", "--tls_server_name", "--plaintext", "--actor",
          "--context",  "--config",  "--timeout",         "--output",    "-o",
          "--columns",  "--sort-by", "--dry-run",         "--all",       "--out",
          "--help"};
}

std::string GlobalOptionsHelp() {
  return R"(Options (anywhere on the command line; flags over environment over context):
  --address HOST:PORT  server address; env D06_ADDRESS, default 127.0.0.1:50051
  --token TOKEN        bearer token (d06_...) of every call; env D06_TOKEN
                       (safer: other users can see a command line)
  --token_file FILE    a file holding the token, read again when it changes
  --tls_ca FILE        TLS: the CA (PEM) of d06d's certificate
  --tls                TLS with the system's CAs
  --tls_cert FILE      mutual TLS: this client's certificate (PEM), and
  --tls_key FILE       its private key (PEM)
  --tls_server_name N  the name d06d's certificate carries, if not the host
  --plaintext          no TLS: d06d behind an encrypting mesh (a loopback
                       address needs no flag; any other TLS or this)
  --context NAME       a context of the config file instead of the current
                       one; env D06_CONTEXT ('d06ctl config --help')
  --config FILE        the config file; env D06CONFIG, by default
                       ~/.config/d06/config
  --actor NAME         who you are with d06d --auth=off (development), e.g.
                       "Nguyễn Văn An"; env D06_ACTOR
  --timeout DURATION   deadline of each attempt, e.g. 10s, 500ms, 2m; default
                       10s, env D06_TIMEOUT (UNAVAILABLE is retried 3 times;
                       over a rate budget, d06ctl waits the delay the server
                       names, up to 5 s, and tries again)
  -o, --output FORMAT  table (default), wide (more columns), json (proto JSON,
                       as Connect answers) or yaml
  --columns A,B,C      the table's columns, by title or field path
  --sort-by KEY        the table's rows sorted by a column (numbers, dates)
  --dry-run            a change is validated by d06d (permissions, etag,
                       state, every rule) and answered, but not written
  --all                follow next_page_token: every page of a list as one
  --out FILE           write a streamed export (CSV) to FILE, not stdout
  -h, --help           help of a group or command
)";
}

}  // namespace d06::ctl
