// Command-line help for d06's programs, built on Abseil flags.
//
// Abseil's `--help` lists only the flags defined in a file named after the program
// (e.g. d06d.cc), and names each flag's file by its full build path. InitFlagsUsage makes
// `--help` list the flags defined in `main_file` (pass __FILE__ from the file that
// defines them), shows that file relative to the source tree, and sets the usage line.
//
//   int main(int argc, char** argv) {
//     d06::InitFlagsUsage(__FILE__, "Walks a task through its workflow.\n"
//                                   "Usage: d06_example [--target=host:port]");
//     absl::ParseCommandLine(argc, argv);
//   }
#ifndef D06_CLIENT_FLAGS_USAGE_H_
#define D06_CLIENT_FLAGS_USAGE_H_

#include <string>

#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/string_view.h"

namespace d06 {

// `path` from its last "client/", "server/" or "tests/" folder on (the source tree).
inline std::string SourceRelativePath(absl::string_view path) {
  size_t best = absl::string_view::npos;
  for (absl::string_view folder : {"/client/", "/server/", "/tests/"}) {
    const size_t at = path.rfind(folder);
    if (at != absl::string_view::npos && (best == absl::string_view::npos || at > best)) {
      best = at;
    }
  }
  return std::string(best == absl::string_view::npos ? path : path.substr(best + 1));
}

// `usage` is printed after "<program>: " by --help; start it with what the program does.
// `version`, if not empty, is what --version prints.
inline void InitFlagsUsage(const char* main_file, absl::string_view usage,
                           absl::string_view version = "") {
  // Flag file names reach the filters normalised or not, depending on the caller.
  const std::string main_path = SourceRelativePath(main_file);
  absl::FlagsUsageConfig config;
  auto is_main = [main_path](absl::string_view file) {
    return SourceRelativePath(file) == main_path;
  };
  config.contains_help_flags = is_main;
  config.contains_helpshort_flags = is_main;
  config.normalize_filename = [](absl::string_view file) { return SourceRelativePath(file); };
  if (!version.empty()) {
    config.version_string = [version = std::string(version)] { return version + "\n"; };
  }
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(usage);
}

}  // namespace d06

#endif  // D06_CLIENT_FLAGS_USAGE_H_
