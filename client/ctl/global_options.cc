#include "client/ctl/global_options.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

ClientOptions GlobalOptions::ToClientOptions() const {
  ClientOptions options;
  options.target = address;
  options.actor = actor;
  options.default_timeout = timeout;
  return options;
}

absl::StatusOr<ParsedCommandLine> ParseGlobalOptions(const std::vector<std::string>& args,
                                                     const char* (*getenv)(const char*)) {
  if (getenv == nullptr) getenv = DefaultGetenv;
  ParsedCommandLine parsed;
  GlobalOptions& options = parsed.options;
  if (const char* address = getenv("D06_ADDRESS"); address != nullptr && *address != '\0') {
    options.address = address;
  }
  if (const char* actor = getenv("D06_ACTOR"); actor != nullptr) options.actor = actor;
  if (const char* timeout = getenv("D06_TIMEOUT"); timeout != nullptr && *timeout != '\0') {
    absl::StatusOr<absl::Duration> duration = ParseTimeout("D06_TIMEOUT", timeout);
    if (!duration.ok()) return duration.status();
    options.timeout = *duration;
  }

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
    std::string value;
    if (is("--address")) {
      if (auto s = take_value("--address", &value); !s.ok()) return s;
      options.address = value;
    } else if (is("--actor")) {
      if (auto s = take_value("--actor", &value); !s.ok()) return s;
      options.actor = value;
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
  return parsed;
}

std::string GlobalOptionsHelp() {
  return R"(Options (anywhere on the command line):
  --address HOST:PORT  server address; env D06_ADDRESS, default 127.0.0.1:50051
  --actor NAME         who you are, recorded in the audit log, e.g. "Nguyễn Văn An"
                       (x-d06-actor, or x-d06-actor-bin when not ASCII); env D06_ACTOR
  --timeout DURATION   deadline of each attempt, e.g. 10s, 500ms, 2m; env D06_TIMEOUT,
                       default 10s (UNAVAILABLE is retried 3 times, same request_id)
  -o, --output FORMAT  table (default), json (proto JSON) or yaml
  --all                follow next_page_token: print every page of a list as one list
  --out FILE           write a streamed export (CSV) to FILE instead of stdout
  -h, --help           help of a group or command
)";
}

}  // namespace d06::ctl
