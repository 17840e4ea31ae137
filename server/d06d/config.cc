#include "server/d06d/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/flags/internal/parse.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace d06 {
namespace {

// A flag's value with a new `value` parsed into it: false with `error` if the flag cannot
// take it. When `keep` (the flag was given on the command line, which wins), the value
// is only checked and the flag keeps the one it had.
bool Apply(absl::CommandLineFlag& flag, absl::string_view value, bool keep, std::string* error) {
  const std::string before = flag.CurrentValue();
  if (!flag.ParseFrom(value, error)) return false;
  if (keep) {
    std::string ignored;
    flag.ParseFrom(before, &ignored);  // Abseil's values round-trip.
  }
  return true;
}

absl::Status Refuse(absl::string_view what) { return absl::InvalidArgumentError(what); }

}  // namespace

std::string FlagSource::ToString() const {
  switch (kind) {
    case Kind::kDefault:
      return "default";
    case Kind::kFile:
      return where;
    case Kind::kEnvironment:
      return absl::StrCat("env ", where);
    case Kind::kCommandLine:
      return "flag";
  }
  return "?";
}

std::vector<std::string> EnvironmentOf(char** env) {
  std::vector<std::string> out;
  for (char** e = env; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

absl::StatusOr<Config> Config::Resolve(const ConfigOptions& options,
                                       const std::vector<std::string>& environment) {
  Config config;
  config.redacted_ = options.redacted;
  auto on_command_line =
      options.on_command_line ? options.on_command_line : [](const absl::CommandLineFlag& flag) {
        // Abseil 20220623 has no public form of this question
        // (CommandLineFlag::IsSpecifiedOnCommandLine is private).
        return absl::flags_internal::WasPresentOnCommandLine(flag.Name());
      };
  std::set<std::string> given;  // on the command line
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!options.is_own(*flag)) continue;
    FlagSource& source = config.sources_[std::string(name)];
    if (on_command_line(*flag)) {
      source.kind = FlagSource::Kind::kCommandLine;
      given.insert(std::string(name));
    }
  }
  auto own = [&](absl::string_view name) -> absl::CommandLineFlag* {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    return flag != nullptr && config.sources_.count(name) > 0 ? flag : nullptr;
  };

  // The environment, read first for the name of the file; applied after the file.
  std::vector<std::pair<std::string, std::string>> variables;  // (variable, value)
  std::string config_variable =
      absl::StrCat(options.env_prefix, absl::AsciiStrToUpper(options.config_flag));
  for (const std::string& entry : environment) {
    const size_t equals = entry.find('=');
    if (equals == std::string::npos || !absl::StartsWith(entry, options.env_prefix)) continue;
    std::string variable = entry.substr(0, equals);
    const std::string name = absl::AsciiStrToLower(variable.substr(options.env_prefix.size()));
    // Upper case only: D06_listen is not the flag's variable (nor are other spellings).
    if (own(name) == nullptr ||
        variable != absl::StrCat(options.env_prefix, absl::AsciiStrToUpper(name))) {
      config.warnings_.push_back(
          absl::StrCat("the environment variable ", variable, " names no flag of this program (",
                       options.env_prefix, " and a flag's name in upper case, e.g. ",
                       options.env_prefix, "DATA_DIR for --data_dir); ignored"));
      continue;
    }
    variables.emplace_back(std::move(variable), entry.substr(equals + 1));
  }

  // The file: named on the command line, else in the environment.
  absl::CommandLineFlag* config_flag = own(options.config_flag);
  if (config_flag != nullptr && given.count(options.config_flag) == 0) {
    for (const auto& [variable, value] : variables) {
      if (variable != config_variable) continue;
      std::string error;
      if (!config_flag->ParseFrom(value, &error)) {
        return Refuse(absl::StrCat(variable, "=", value, ": ", error));
      }
      config.sources_[options.config_flag] = {FlagSource::Kind::kEnvironment, variable};
    }
  }
  const std::string path = config_flag != nullptr ? config_flag->CurrentValue() : "";
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      return Refuse(absl::StrCat("cannot read the configuration file --", options.config_flag, "=",
                                 path, ": ", std::strerror(errno)));
    }
    std::map<std::string, int> line_of;  // the line that set each flag
    std::string text;
    for (int number = 1; std::getline(in, text); ++number) {
      const std::string at = absl::StrCat(path, ":", number);
      absl::string_view line = absl::StripAsciiWhitespace(text);
      if (line.empty() || absl::StartsWith(line, "#")) continue;
      if (!absl::ConsumePrefix(&line, "--")) {
        return Refuse(absl::StrCat(at, ": expected --name=value (a flag of d06d --help), not \"",
                                   line, "\""));
      }
      const size_t equals = line.find('=');
      const bool has_value = equals != absl::string_view::npos;
      std::string name(line.substr(0, equals));
      std::string value = has_value ? std::string(line.substr(equals + 1)) : "true";
      absl::CommandLineFlag* flag = own(name);
      if (flag == nullptr && !has_value && absl::StartsWith(name, "no") &&
          own(name.substr(2)) != nullptr && own(name.substr(2))->IsOfType<bool>()) {
        name = name.substr(2);  // --noname
        value = "false";
        flag = own(name);
      }
      if (flag == nullptr) {
        return Refuse(
            absl::StrCat(at, ": --", name, " is not a flag of this program (--help lists them)"));
      }
      if (!has_value && !flag->IsOfType<bool>()) {
        return Refuse(absl::StrCat(at, ": --", name, " needs a value: --", name, "=VALUE"));
      }
      if (name == options.config_flag) {
        return Refuse(absl::StrCat(at, ": a configuration file cannot name another (--",
                                   options.config_flag, ")"));
      }
      if (auto [it, first] = line_of.emplace(name, number); !first) {
        return Refuse(absl::StrCat(at, ": --", name, " is set again (first at line ", it->second,
                                   "); set it once"));
      }
      std::string error;
      if (!Apply(*flag, value, given.count(name) > 0, &error)) {
        return Refuse(absl::StrCat(at, ": --", name, "=", value, ": ", error));
      }
      if (given.count(name) == 0) config.sources_[name] = {FlagSource::Kind::kFile, at};
    }
  }

  for (const auto& [variable, value] : variables) {
    if (variable == config_variable) continue;
    const std::string name = absl::AsciiStrToLower(variable.substr(options.env_prefix.size()));
    std::string error;
    if (!Apply(*own(name), value, given.count(name) > 0, &error)) {
      return Refuse(absl::StrCat("the environment variable ", variable, "=", value, " (--", name,
                                 "): ", error));
    }
    if (given.count(name) == 0) {
      config.sources_[name] = {FlagSource::Kind::kEnvironment, variable};
    }
  }
  return config;
}

const FlagSource& Config::SourceOf(absl::string_view name) const {
  static const FlagSource* const kDefault = new FlagSource();
  auto it = sources_.find(name);
  return it == sources_.end() ? *kDefault : it->second;
}

std::vector<Config::Entry> Config::Entries() const {
  std::vector<Entry> out;
  for (const auto& [name, source] : sources_) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    out.push_back({name, redacted_.count(name) > 0 ? "(redacted)" : flag->CurrentValue(), source});
  }
  return out;
}

std::string Config::Print() const {
  std::string out =
      "# The effective configuration: each flag, its value and where it came from: flag (the\n"
      "# command line), env VARIABLE, FILE:LINE (--config) or default, the first of these\n"
      "# that sets it.\n";
  for (const Entry& entry : Entries()) {
    absl::StrAppend(&out, "--", entry.name, "=", entry.value, "  # ", entry.source.ToString(),
                    "\n");
  }
  return out;
}

std::string Config::Annotate(absl::string_view message) const {
  std::string out(message);
  std::set<std::string> seen;
  for (size_t at = message.find("--"); at != absl::string_view::npos;
       at = message.find("--", at + 2)) {
    size_t end = at + 2;
    while (end < message.size() && (absl::ascii_isalnum(message[end]) || message[end] == '_')) {
      ++end;
    }
    const std::string name(message.substr(at + 2, end - at - 2));
    const FlagSource& source = SourceOf(name);
    if (source.kind != FlagSource::Kind::kFile && source.kind != FlagSource::Kind::kEnvironment) {
      continue;
    }
    if (!seen.insert(name).second) continue;
    absl::StrAppend(&out, " (--", name, " from ", source.ToString(), ")");
  }
  return out;
}

}  // namespace d06
