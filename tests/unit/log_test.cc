// The logger (common/log.h): the text and JSON lines, their escaping, levels and the
// per-call line.
#include "common/log.h"

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
