// d06d's configuration resolver (server/d06d/config.h) over flags of its own: the
// precedence command line > environment > file > default, the sources it reports, and the
// settings it refuses with the file and line or the variable.
#include "server/d06d/config.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, cfgtest_listen, "127.0.0.1:50051", "test flag");
ABSL_FLAG(int, cfgtest_cache_mb, 256, "test flag");
ABSL_FLAG(bool, cfgtest_verbose, false, "test flag");
ABSL_FLAG(bool, cfgtest_strict, true, "test flag");
ABSL_FLAG(absl::Duration, cfgtest_timeout, absl::Seconds(5), "test flag");
ABSL_FLAG(std::string, cfgtest_password, "", "test flag, redacted");
ABSL_FLAG(std::string, cfgtest_config, "", "test flag: the configuration file");

namespace d06 {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A file of each test's own: ctest runs tests in parallel.
    path_ = absl::StrCat(::testing::TempDir(), "/d06d_config_test.",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".",
                         getpid(), ".conf");
    options_.is_own = [](const absl::CommandLineFlag& flag) {
      return absl::StartsWith(flag.Name(), "cfgtest_");
    };
    options_.on_command_line = [this](const absl::CommandLineFlag& flag) {
      return command_line_.count(std::string(flag.Name())) > 0;
    };
    options_.env_prefix = "T06_";
    options_.config_flag = "cfgtest_config";
    options_.redacted = {"cfgtest_password"};
  }
  void TearDown() override {
    std::remove(path_.c_str());
    // Every test's flags back to their defaults (absl::FlagSaver would log each one).
    for (const auto& [name, flag] : absl::GetAllFlags()) {
      std::string error;
      if (absl::StartsWith(name, "cfgtest_")) flag->ParseFrom(flag->DefaultValue(), &error);
    }
  }

  void WriteFile(const std::string& text) { std::ofstream(path_) << text; }
  // As if --cfgtest_NAME=VALUE were on the command line.
  template <typename T>
  void Given(absl::Flag<T>& flag, const T& value) {
    absl::SetFlag(&flag, value);
    command_line_.insert(std::string(absl::GetFlagReflectionHandle(flag).Name()));
  }
  absl::StatusOr<Config> Resolve(const std::vector<std::string>& environment) {
    return Config::Resolve(options_, environment);
  }

  std::string path_;
  std::set<std::string> command_line_;
  ConfigOptions options_;
};

TEST_F(ConfigTest, CommandLineThenEnvironmentThenFileThenDefault) {
  WriteFile(
      "# d06d.conf\n"
      "\n"
      "--cfgtest_listen=0.0.0.0:1\n"
      "  --cfgtest_cache_mb=64  \n"
      "--cfgtest_verbose\n"
      "--nocfgtest_strict\n");
  Given(FLAGS_cfgtest_config, path_);
  Given(FLAGS_cfgtest_listen, std::string("127.0.0.1:0"));
  absl::StatusOr<Config> config =
      Resolve({"PATH=/usr/bin", "T06_CFGTEST_LISTEN=10.0.0.1:2", "T06_CFGTEST_CACHE_MB=128"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->warnings(), IsEmpty());

  EXPECT_EQ(absl::GetFlag(FLAGS_cfgtest_listen), "127.0.0.1:0");
  EXPECT_EQ(config->SourceOf("cfgtest_listen").ToString(), "flag");
  EXPECT_EQ(absl::GetFlag(FLAGS_cfgtest_cache_mb), 128);
  EXPECT_EQ(config->SourceOf("cfgtest_cache_mb").ToString(), "env T06_CFGTEST_CACHE_MB");
  EXPECT_TRUE(absl::GetFlag(FLAGS_cfgtest_verbose));
  EXPECT_EQ(config->SourceOf("cfgtest_verbose").ToString(), path_ + ":5");
  EXPECT_FALSE(absl::GetFlag(FLAGS_cfgtest_strict));
  EXPECT_EQ(config->SourceOf("cfgtest_strict").ToString(), path_ + ":6");
  EXPECT_EQ(absl::GetFlag(FLAGS_cfgtest_timeout), absl::Seconds(5));
  EXPECT_EQ(config->SourceOf("cfgtest_timeout").ToString(), "default");

  EXPECT_EQ(config->Print(),
            "# The effective configuration: each flag, its value and where it came from: flag "
            "(the\n"
            "# command line), env VARIABLE, FILE:LINE (--config) or default, the first of these\n"
            "# that sets it.\n"
            "--cfgtest_cache_mb=128  # env T06_CFGTEST_CACHE_MB\n"
            "--cfgtest_config=" +
                path_ +
                "  # flag\n"
                "--cfgtest_listen=127.0.0.1:0  # flag\n"
                "--cfgtest_password=(redacted)  # default\n"
                "--cfgtest_strict=false  # " +
                path_ +
                ":6\n"
                "--cfgtest_timeout=5s  # default\n"
                "--cfgtest_verbose=true  # " +
                path_ + ":5\n");
}

TEST_F(ConfigTest, TheFileNamedInTheEnvironment) {
  WriteFile("--cfgtest_timeout=90s\n");
  absl::StatusOr<Config> config = Resolve({"T06_CFGTEST_CONFIG=" + path_});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_cfgtest_timeout), absl::Seconds(90));
  EXPECT_EQ(config->SourceOf("cfgtest_config").ToString(), "env T06_CFGTEST_CONFIG");
  EXPECT_EQ(config->SourceOf("cfgtest_timeout").ToString(), path_ + ":1");
}

TEST_F(ConfigTest, ABadFileLineIsRefusedWithFileAndLine) {
  Given(FLAGS_cfgtest_config, path_);
  const struct {
    std::string text;
    std::string want;
  } cases[] = {
      {"# ok\n--cfgtest_cache_mb=lots\n", ":2: --cfgtest_cache_mb=lots: "},
      {"--cfgtest_timeout=5 minutes\n", ":1: --cfgtest_timeout=5 minutes: "},
      {"\n--cfgtest_lisen=x\n", ":2: --cfgtest_lisen is not a flag of this program"},
      {"--help=true\n", ":1: --help is not a flag of this program"},
      {"cfgtest_listen=x\n", ":1: expected --name=value"},
      {"--cfgtest_listen\n", ":1: --cfgtest_listen needs a value"},
      {"--cfgtest_listen=a\n--cfgtest_listen=b\n",
       ":2: --cfgtest_listen is set again (first at line 1)"},
      {"--cfgtest_config=/etc/other\n", ":1: a configuration file cannot name another"},
  };
  for (const auto& c : cases) {
    WriteFile(c.text);
    absl::StatusOr<Config> config = Resolve({});
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(path_ + c.want)) << c.text;
  }
}

TEST_F(ConfigTest, AFileValueIsCheckedEvenWhenTheCommandLineWins) {
  Given(FLAGS_cfgtest_config, path_);
  Given(FLAGS_cfgtest_cache_mb, 32);
  WriteFile("--cfgtest_cache_mb=many\n");
  EXPECT_FALSE(Resolve({}).ok());
  WriteFile("--cfgtest_cache_mb=64\n");
  absl::StatusOr<Config> config = Resolve({"T06_CFGTEST_CACHE_MB=128"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_cfgtest_cache_mb), 32);
  EXPECT_EQ(config->SourceOf("cfgtest_cache_mb").ToString(), "flag");
}

TEST_F(ConfigTest, AMissingFileIsRefused) {
  Given(FLAGS_cfgtest_config, path_ + ".missing");
  absl::StatusOr<Config> config = Resolve({});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("cannot read the configuration file --cfgtest_config=" + path_ +
                        ".missing: No such file"));
}

TEST_F(ConfigTest, ABadVariableIsRefusedByName) {
  absl::StatusOr<Config> config = Resolve({"T06_CFGTEST_VERBOSE=maybe"});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(
      std::string(config.status().message()),
      HasSubstr("the environment variable T06_CFGTEST_VERBOSE=maybe (--cfgtest_verbose): "));
}

TEST_F(ConfigTest, UnknownVariablesAreWarnedNotRefused) {
  absl::StatusOr<Config> config =
      Resolve({"T06_CFGTEST_LISTN=x", "T06_cfgtest_listen=y", "T07_OTHER=z", "T06_NOEQUALS"});
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->warnings().size(), 2u);
  EXPECT_THAT(config->warnings()[0], HasSubstr("T06_CFGTEST_LISTN names no flag"));
  EXPECT_THAT(config->warnings()[1], HasSubstr("T06_cfgtest_listen names no flag"));
  EXPECT_EQ(absl::GetFlag(FLAGS_cfgtest_listen), "127.0.0.1:50051");
}

TEST_F(ConfigTest, AnEmptyVariableSetsAnEmptyString) {
  Given(FLAGS_cfgtest_password, std::string("/etc/d06/password"));
  absl::StatusOr<Config> config = Resolve({"T06_CFGTEST_LISTEN="});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_cfgtest_listen), "");
  // A redacted flag's value is never printed, whatever its source.
  EXPECT_THAT(config->Print(), HasSubstr("--cfgtest_password=(redacted)  # flag\n"));
  EXPECT_THAT(config->Print(), ::testing::Not(HasSubstr("/etc/d06/password")));
}

TEST_F(ConfigTest, AnnotateSaysWhereTheNamedFlagsCameFrom) {
  Given(FLAGS_cfgtest_config, path_);
  WriteFile("--cfgtest_cache_mb=0\n");
  absl::StatusOr<Config> config = Resolve({"T06_CFGTEST_TIMEOUT=0s"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->Annotate("--cfgtest_cache_mb must be at least 1; --cfgtest_timeout too; "
                             "--cfgtest_listen, --cfgtest_cache_mb"),
            "--cfgtest_cache_mb must be at least 1; --cfgtest_timeout too; --cfgtest_listen, "
            "--cfgtest_cache_mb (--cfgtest_cache_mb from " +
                path_ + ":1) (--cfgtest_timeout from env T06_CFGTEST_TIMEOUT)");
}

}  // namespace
}  // namespace d06
