#include "client/ctl/command.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/ctl/config.h"

namespace d06::ctl {

absl::StatusOr<std::unique_ptr<Client>> Context::Connect() const {
  absl::StatusOr<ClientOptions> client_options = ResolveClientOptions(options);
  if (!client_options.ok()) return client_options.status();
  return Client::Connect(*client_options);
}

int Context::Fail(const absl::Status& status) const {
  err << "d06ctl: " << DescribeError(status) << "\n";
  return ExitCodeOf(status);
}

int Context::UsageError(absl::string_view message, absl::string_view command_for_help) const {
  err << "d06ctl: " << message << "\n";
  err << "Run 'd06ctl " << (command_for_help.empty() ? "" : absl::StrCat(command_for_help, " "))
      << "--help' for usage.\n";
  return kExitUsageError;
}

int ExitCodeOf(const absl::Status& status) { return static_cast<int>(status.code()); }

std::string DescribeError(const absl::Status& status) {
  const v1::ErrorInfo info = client::ErrorInfoOf(status);
  std::string detail;
  if (!info.reason().empty()) {
    std::vector<std::string> parts = {info.reason()};
    // Sorted keys, so that the line is the same every time.
    std::map<std::string, std::string> metadata(info.metadata().begin(), info.metadata().end());
    for (const auto& [key, value] : metadata) parts.push_back(absl::StrCat(key, "=", value));
    detail = absl::StrCat(" (", absl::StrJoin(parts, ", "), ")");
  }
  std::string message(status.message());
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  return absl::StrCat(absl::StatusCodeToString(status.code()), detail, ": ", message);
}

}  // namespace d06::ctl
