#include "client/ctl/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace d06::ctl {
namespace {

const char* DefaultGetenv(const char* name) { return std::getenv(name); }

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// mkdir -p with mode 0700 for the directories it creates.
absl::Status MakeDirs(const std::string& dir) {
  if (dir.empty() || dir == "." || dir == "/") return absl::OkStatus();
  struct stat st = {};
  if (stat(dir.c_str(), &st) == 0) return absl::OkStatus();
  if (absl::Status s = MakeDirs(DirName(dir)); !s.ok()) return s;
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", dir, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::optional<std::string> NonEmpty(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

std::optional<std::string> PathOf(const std::string& value, const std::string& base_dir) {
  if (value.empty()) return std::nullopt;
  return ExpandPath(value, base_dir);
}

}  // namespace

std::string ConfigPath(const std::string& explicit_path, const char* (*getenv)(const char*)) {
  if (getenv == nullptr) getenv = DefaultGetenv;
  if (!explicit_path.empty()) return ExpandPath(explicit_path, ".");
  const char* xdg = getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg == '/') return absl::StrCat(xdg, "/d06/config");
  const char* home = getenv("HOME");
  return absl::StrCat(home != nullptr && *home != '\0' ? home : ".", "/.config/d06/config");
}

std::string ExpandPath(const std::string& path, const std::string& base_dir) {
  if (absl::StartsWith(path, "~/")) {
    const char* home = std::getenv("HOME");
    if (home != nullptr && *home != '\0') return absl::StrCat(home, path.substr(1));
  }
  if (path.empty() || path[0] == '/' || base_dir.empty() || base_dir == ".") return path;
  return absl::StrCat(base_dir, "/", path);
}

bool IsValidContextName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<CtlConfig> LoadConfig(const std::string& path) {
  CtlConfig config;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) return config;
    return absl::FailedPreconditionError(absl::StrCat("config file ", path, ": cannot read it"));
  }
  const std::string text(std::istreambuf_iterator<char>(in), {});
  if (absl::StripAsciiWhitespace(text).empty()) return config;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  if (auto s = google::protobuf::util::JsonStringToMessage(text, &config, parse); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", path, ": ", s.message().as_string()));
  }
  std::set<std::string> names;
  for (const CtlContext& context : config.contexts()) {
    if (!names.insert(context.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("config file ", path, ": two contexts called \"", context.name(), "\""));
    }
  }
  return config;
}

absl::Status SaveConfig(const std::string& path, const CtlConfig& config) {
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  std::string json;
  if (auto s = google::protobuf::util::MessageToJsonString(config, &json, print); !s.ok()) {
    return absl::InternalError(s.message().as_string());
  }
  if (absl::Status s = MakeDirs(DirName(path)); !s.ok()) return s;
  const std::string temp = absl::StrCat(path, ".tmp.", getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", temp, ": ", std::strerror(errno)));
  }
  fchmod(fd, 0600);  // Whatever the umask or an old file left.
  size_t written = 0;
  while (written < json.size()) {
    const ssize_t n = write(fd, json.data() + written, json.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == json.size() && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(temp.c_str(), path.c_str()) != 0) {
    const std::string error = std::strerror(errno);
    unlink(temp.c_str());
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path, ": ", error));
  }
  return absl::OkStatus();
}

const CtlContext* FindContext(const CtlConfig& config, absl::string_view name) {
  for (const CtlContext& context : config.contexts()) {
    if (context.name() == name) return &context;
  }
  return nullptr;
}

CtlContext* FindContext(CtlConfig* config, absl::string_view name) {
  for (CtlContext& context : *config->mutable_contexts()) {
    if (context.name() == name) return &context;
  }
  return nullptr;
}

ConnectionSettings SettingsOf(const CtlContext& context, const std::string& config_dir) {
  ConnectionSettings settings;
  settings.address = NonEmpty(context.address());
  settings.actor = NonEmpty(context.actor());
  settings.token_file = PathOf(context.token_file(), config_dir);
  if (context.tls()) settings.tls = true;
  settings.tls_ca = PathOf(context.tls_ca(), config_dir);
  settings.tls_cert = PathOf(context.tls_cert(), config_dir);
  settings.tls_key = PathOf(context.tls_key(), config_dir);
  settings.tls_server_name = NonEmpty(context.tls_server_name());
  if (context.plaintext()) settings.plaintext = true;
  return settings;
}

absl::StatusOr<ClientOptions> ResolveClientOptions(const GlobalOptions& options,
                                                   const char* (*getenv)(const char*)) {
  const std::string path = ConfigPath(options.config_path, getenv);
  absl::StatusOr<CtlConfig> config = LoadConfig(path);
  if (!config.ok()) return config.status();
  const std::string name = options.context.empty() ? config->current_context() : options.context;
  ConnectionSettings from_context;
  if (!name.empty()) {
    const CtlContext* context = FindContext(*config, name);
    if (context == nullptr) {
      return absl::NotFoundError(absl::StrCat("no context \"", name, "\" in ", path,
                                              " (d06ctl config get-contexts lists them)"));
    }
    from_context = SettingsOf(*context, DirName(path));
  }
  return ToClientOptions(Merge({&from_context, &options.env, &options.flags}), options.timeout);
}

}  // namespace d06::ctl
