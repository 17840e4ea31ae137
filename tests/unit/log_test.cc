// The logger (common/log.h): the text and JSON lines, their escaping, levels and the
// per-call line.
#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace d06::log {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kTime =
    absl::FromCivil(absl::CivilSecond(2026, 12, 4, 5, 28, 57), absl::UTCTimeZone()) +
    absl::Microseconds(123456);

Options Text() {
  Options options;
  options.program = "d06d";
  return options;
}

Options Json() {
  Options options = Text();
  options.format = Format::kJson;
  return options;
}

TEST(LogTextTest, InfoHasNoLevelWordOthersDo) {
  // d06d's start-up lines as scripts read them.
  EXPECT_EQ(FormatLine(Text(), kTime, Level::kInfo, "serving gRPC on port 50051 (127.0.0.1:0)", {}),
            "d06d: serving gRPC on port 50051 (127.0.0.1:0)");
  EXPECT_EQ(FormatLine(Text(), kTime, Level::kWarning, "running as root", {}),
            "d06d: WARNING: running as root");
  EXPECT_EQ(FormatLine(Text(), kTime, Level::kError, "storage: write", {}),
            "d06d: ERROR: storage: write");
  EXPECT_EQ(FormatLine(Text(), kTime, Level::kDebug, "x", {}), "d06d: DEBUG: x");
}

TEST(LogTextTest, Timestamps) {
  Options options = Text();
  options.timestamps = true;
  EXPECT_EQ(FormatLine(options, kTime, Level::kInfo, "started", {}),
            "2026-12-04T05:28:57.123456Z d06d: started");
}

TEST(LogTextTest, FieldsBareOrQuoted) {
  EXPECT_EQ(FormatLine(Text(), kTime, Level::kInfo, "call",
                       {{"method", "/d06.v1.TaskService/GetTask"},
                        {"code", "OK"},
                        {"duration_ms", 1.25},
                        {"principal", ""},
                        {"peer", "ipv4:127.0.0.1:40312"},
                        {"bytes_out", int64_t{300}},
                        {"cached", true}}),
            "d06d: call method=/d06.v1.TaskService/GetTask code=OK duration_ms=1.25 principal=\"\" "
            "peer=ipv4:127.0.0.1:40312 bytes_out=300 cached=true");
  EXPECT_EQ(FormatLine(Text(), kTime, Level::kInfo, "m",
                       {{"name", "Quản trị viên"}, {"q", "a\"b\\c"}, {"eq", "a=b"}}),
            "d06d: m name=\"Quản trị viên\" q=\"a\\\"b\\\\c\" eq=\"a=b\"");
}

TEST(LogTextTest, ControlCharactersCannotForgeALine) {
  EXPECT_EQ(FormatLine(Text(), kTime, Level::kWarning, "authentication failed from a\nd06d: fake",
                       {{"peer", "x\ny\x1b[31m"}}),
            "d06d: WARNING: authentication failed from a\\nd06d: fake peer=\"x\\ny\\x1b[31m\"");
}

TEST(LogJsonTest, OneObjectWithTsLevelMsgAndTypedFields) {
  EXPECT_EQ(FormatLine(Json(), kTime, Level::kWarning, "port 80: refused",
                       {{"port", 80}, {"ratio", 0.5}, {"tls", false}, {"who", "admin"}}),
            "{\"ts\":\"2026-12-04T05:28:57.123456Z\",\"level\":\"warning\",\"msg\":\"port 80: "
            "refused\",\"port\":80,\"ratio\":0.5,\"tls\":false,\"who\":\"admin\"}");
}

TEST(LogJsonTest, Escaping) {
  const std::string line =
      FormatLine(Json(), kTime, Level::kInfo, "q\"b\\s\nn\tt\x01\x7f",
                 {{"vi", "Đề án 06"}, {"bad", std::string("a\xff\xc3(b", 5)}, {"nan", 0.0 / 0.0}});
  EXPECT_THAT(line, HasSubstr(R"("msg":"q\"b\\s\nn\tt\u0001\u007f")"));
  // UTF-8 stays as it is; bytes that are not UTF-8 become U+FFFD, so the line stays JSON.
  EXPECT_THAT(line, HasSubstr(R"("vi":"Đề án 06")"));
  EXPECT_THAT(line, HasSubstr(R"("bad":"a\ufffd\ufffd(b")"));
  // Not a JSON number: a string.
  EXPECT_THAT(line, HasSubstr(R"("nan":"nan")"));
}

TEST(LogJsonTest, OverlongAndSurrogateBytesAreNotUtf8) {
  EXPECT_THAT(FormatLine(Json(), kTime, Level::kInfo, std::string("\xc0\xaf\xed\xa0\x80", 5), {}),
              HasSubstr(R"("msg":"\ufffd\ufffd\ufffd\ufffd\ufffd")"));
}

class LogSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = CurrentOptions();
    SetSinkForTesting([this](absl::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override {
    SetSinkForTesting(nullptr);
    Configure(saved_);
  }
  Options saved_;
  std::vector<std::string> lines_;
};

TEST_F(LogSinkTest, LinesBelowTheLevelAreDropped) {
  Options options = Text();
  options.level = Level::kWarning;
  Configure(options);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  Debug("d");
  Info("i");
  Warning("w", {{"n", 1}});
  Error("e");
  EXPECT_THAT(lines_, ElementsAre("d06d: WARNING: w n=1\n", "d06d: ERROR: e\n"));
}

TEST_F(LogSinkTest, TheCallLineAtItsLevel) {
  Options options = Json();
  options.level = Level::kInfo;
  options.call_level = Level::kDebug;
  Configure(options);
  Call call;
  call.method = "/d06.v1.TaskService/CreateTask";
  call.code = "ALREADY_EXISTS";
  call.duration = absl::Microseconds(1500);
  call.principal = "principals/admin";
  call.request_id = "r-1";
  call.peer = "ipv6:[::1]:5000";
  call.bytes_in = 120;
  call.bytes_out = 0;
  LogCall(call);
  EXPECT_TRUE(lines_.empty());  // debug, below info

  options.call_level = Level::kInfo;
  Configure(options);
  LogCall(call);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(
      lines_[0],
      HasSubstr(R"("level":"info","msg":"call","method":"/d06.v1.TaskService/CreateTask",)"
                R"("code":"ALREADY_EXISTS","duration_ms":1.5,"principal":"principals/admin",)"
                R"("request_id":"r-1","peer":"ipv6:[::1]:5000","bytes_in":120,)"
                R"("bytes_out":0})"
                "\n"));
}

// Batched call lines wait for the flusher (an hour here, so only Flush or another line
// writes them); any other line first writes the calls before it, so stderr keeps the order
// in which lines were logged.
TEST(LogBatchTest, CallLinesWaitAndOtherLinesKeepTheOrder) {
  const Options saved = CurrentOptions();
  Configure(Text());
  char path[] = "/tmp/d06_log_test_XXXXXX";
  const int file = mkstemp(path);
  ASSERT_GE(file, 0);
  const int saved_stderr = dup(STDERR_FILENO);
  ASSERT_GE(saved_stderr, 0);
  ASSERT_GE(dup2(file, STDERR_FILENO), 0);
  const auto written = [&] {
    std::string text(4096, '\0');
    const ssize_t n = pread(file, text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return text;
  };
  BatchCallLines(absl::Hours(1));
  Call call;
  call.method = "/m/One";
  call.code = "OK";
  LogCall(call);
  call.method = "/m/Two";
  LogCall(call);
  const std::string before = written();
  Info("after the calls");
  const std::string after_info = written();
  call.method = "/m/Three";
  LogCall(call);
  Flush();
  const std::string flushed = written();
  dup2(saved_stderr, STDERR_FILENO);
  close(saved_stderr);
  close(file);
  unlink(path);
  Configure(saved);

  EXPECT_EQ(before, "");
  EXPECT_THAT(after_info, ::testing::MatchesRegex("d06d: call method=/m/One .*\n"
                                                  "d06d: call method=/m/Two .*\n"
                                                  "d06d: after the calls\n"));
  EXPECT_THAT(flushed, ::testing::EndsWith("d06d: after the calls\n"
                                           "d06d: call method=/m/Three code=OK duration_ms=0 "
                                           "principal=\"\" request_id=\"\" peer=\"\" "
                                           "bytes_in=0 bytes_out=0\n"));
}

TEST(LogParseTest, LevelsAndFormats) {
  EXPECT_EQ(*ParseLevel("DEBUG"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("info"), Level::kInfo);
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarning);
  EXPECT_EQ(*ParseLevel("Warning"), Level::kWarning);
  EXPECT_EQ(*ParseLevel("error"), Level::kError);
  EXPECT_THAT(std::string(ParseLevel("verbose").status().message()),
              HasSubstr("debug, info, warning or error, not \"verbose\""));
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_EQ(*ParseFormat("TEXT"), Format::kText);
  EXPECT_FALSE(ParseFormat("yaml").ok());
}

}  // namespace
}  // namespace d06::log
