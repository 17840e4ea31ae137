// d06d's configuration file (server/d06d/config.h; --config=FILE, one --name=value a
// line) and its environment variables, over flags of every type d06d's own flags have:
// whatever the file holds, Resolve sets flags or refuses with INVALID_ARGUMENT naming
// FILE:LINE. The first byte splits the input: that many bytes (mod 64) become D06_
// variables (NAME=VALUE lines), the rest the file.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "server/d06d/config.h"

ABSL_FLAG(std::string, fuzz_listen, "127.0.0.1:50051", "a string flag");
ABSL_FLAG(int, fuzz_cache_mb, 256, "an integer flag");
ABSL_FLAG(bool, fuzz_verbose, false, "a boolean flag");
ABSL_FLAG(absl::Duration, fuzz_timeout, absl::Seconds(5), "a duration flag");
ABSL_FLAG(double, fuzz_ratio, 0.5, "a floating-point flag");
ABSL_FLAG(std::string, fuzz_config, "", "the configuration file");

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string path = "/tmp/d06-fuzz-config." + std::to_string(getpid()) + ".conf";
  const size_t env_bytes = std::min<size_t>(data[0] % 64, size - 1);
  const std::string env_text(reinterpret_cast<const char*>(data) + 1, env_bytes);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data) + 1 + env_bytes,
             static_cast<std::streamsize>(size - 1 - env_bytes));
  std::vector<std::string> environment;
  for (absl::string_view line : absl::StrSplit(env_text, '\n')) {
    environment.push_back("D06_" + std::string(line));
  }
  absl::SetFlag(&FLAGS_fuzz_config, path);
  d06::ConfigOptions options;
  options.is_own = [](const absl::CommandLineFlag& flag) {
    return absl::StartsWith(flag.Name(), "fuzz_");
  };
  options.on_command_line = [](const absl::CommandLineFlag& flag) {
    return flag.Name() == "fuzz_config";
  };
  options.config_flag = "fuzz_config";
  absl::StatusOr<d06::Config> config = d06::Config::Resolve(options, environment);
  if (config.ok()) {
    (void)config->Print();
  } else if (!absl::IsInvalidArgument(config.status())) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    std::abort();
  }
  // The flags back to their defaults for the next input.
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    std::string error;
    if (absl::StartsWith(name, "fuzz_") && name != "fuzz_config") {
      flag->ParseFrom(flag->DefaultValue(), &error);
    }
  }
  return 0;
}
