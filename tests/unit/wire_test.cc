// Parsing requests off the wire: a string that is not UTF-8 is named by its field path.
#include "server/api/wire.h"

#include <string>

#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "server/domain/errors.h"

namespace d06 {
namespace {

// `message` encoded, with every `marker` (an ASCII stand-in of the same length) replaced by
// `bytes`, so that no encoder ever sees the bad bytes.
std::string Encoded(const google::protobuf::Message& message, const std::string& marker,
                    const std::string& bytes) {
  std::string out = message.SerializeAsString();
  for (size_t at = out.find(marker); at != std::string::npos; at = out.find(marker, at)) {
    out.replace(at, marker.size(), bytes);
  }
  return out;
}

std::string FieldOf(const absl::Status& status) {
  const v1::ErrorInfo info = ErrorInfoOf(status);
  auto it = info.metadata().find("field");
  return it == info.metadata().end() ? "" : it->second;
}

TEST(ParseRequestTest, ValidBytesParse) {
  v1::CreateTaskRequest request;
  request.mutable_task()->set_title("Đề án 06");
  request.mutable_task()->add_labels("dịch vụ công");
  v1::CreateTaskRequest parsed;
  ASSERT_TRUE(ParseRequest(request.SerializeAsString(), &parsed).ok());
  EXPECT_EQ(parsed.task().title(), "Đề án 06");
  EXPECT_EQ(parsed.task().labels(0), "dịch vụ công");
  v1::CreateTaskRequest empty;
  EXPECT_TRUE(ParseRequest("", &empty).ok());
}

TEST(ParseRequestTest, NamesTheTopLevelField) {
  v1::CancelTaskRequest request;
  request.set_name("tasks/1");
  request.set_reason("Ly do ZZ");
  v1::CancelTaskRequest parsed;
  absl::Status status = ParseRequest(Encoded(request, "ZZ", "\xC3\x28"), &parsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(status), "INVALID_FIELD");
  EXPECT_EQ(FieldOf(status), "reason");
  EXPECT_EQ(status.message(), "reason is not valid UTF-8");
  EXPECT_EQ(parsed.name(), "");  // nothing half-parsed is left behind
}

TEST(ParseRequestTest, NamesNestedAndRepeatedFields) {
  v1::CreateTaskRequest request;
  request.mutable_task()->set_title("ok");
  request.mutable_task()->mutable_directive()->set_summary("Tom tat ZZ");
  v1::CreateTaskRequest parsed;
  EXPECT_EQ(FieldOf(ParseRequest(Encoded(request, "ZZ", "\xff\xfe"), &parsed)),
            "task.directive.summary");

  request.mutable_task()->mutable_directive()->clear_summary();
  request.mutable_task()->add_labels("a");
  request.mutable_task()->add_labels("b");
  request.mutable_task()->add_labels("cZZ");
  EXPECT_EQ(FieldOf(ParseRequest(Encoded(request, "ZZ", "\xED\xA0"), &parsed)), "task.labels[2]");
  EXPECT_EQ(FindInvalidUtf8Field(*v1::CreateTaskRequest::descriptor(),
                                 Encoded(request, "ZZ", "\xED\xA0")),
            "task.labels[2]");
}

TEST(ParseRequestTest, NamesTheFirstBadFieldOnTheWire) {
  // Encoded in field-number order: admin_code (3) before display_name (4).
  v1::UpdateUnitRequest request;
  request.mutable_unit()->set_name("units/H29");
  request.mutable_unit()->set_display_name("ZZ one");
  request.mutable_unit()->set_admin_code("ZZ");
  EXPECT_EQ(FindInvalidUtf8Field(*v1::UpdateUnitRequest::descriptor(),
                                 Encoded(request, "ZZ", "\x80\x80")),
            "unit.admin_code");
}

TEST(ParseRequestTest, SurrogatesAndOverlongFormsAreNotUtf8) {
  for (const std::string bad : {"\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80", "\xE1\xBB"}) {
    v1::GetUnitRequest request;
    request.set_name(std::string(bad.size(), 'Z'));
    EXPECT_EQ(FindInvalidUtf8Field(*v1::GetUnitRequest::descriptor(),
                                   Encoded(request, std::string(bad.size(), 'Z'), bad)),
              "name");
  }
}

TEST(ParseRequestTest, UnknownFieldsAreSkipped) {
  // Field 99 (unknown to GetUnitRequest) carries bad bytes; it is not d06's to judge.
  std::string bytes = std::string("\x9a\x06\x02\xff\xff", 5);  // tag 99, wire type 2
  EXPECT_EQ(FindInvalidUtf8Field(*v1::GetUnitRequest::descriptor(), bytes), "");
  v1::GetUnitRequest parsed;
  EXPECT_TRUE(ParseRequest(bytes, &parsed).ok());
}

TEST(ParseRequestTest, BytesThatAreNotAMessageAreMalformed) {
  v1::GetUnitRequest parsed;
  for (const std::string& bytes : {std::string("\xff\xff\xff\xff", 4),
                                   std::string("\x0a\x05"
                                               "ab",
                                               4),
                                   std::string("\x0a", 1), std::string("\x0c", 1)}) {
    absl::Status status = ParseRequest(bytes, &parsed);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(status), "MALFORMED_REQUEST");
    EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("d06.v1.GetUnitRequest"));
  }
}

// Counts the lines the protobuf runtime logs while alive.
class ProtobufLogCounter {
 public:
  ProtobufLogCounter() { previous_ = google::protobuf::SetLogHandler(&Count); }
  ~ProtobufLogCounter() { google::protobuf::SetLogHandler(previous_); }
  static int lines() { return lines_; }

 private:
  static void Count(google::protobuf::LogLevel, const char*, int, const std::string&) { ++lines_; }
  static inline int lines_ = 0;
  google::protobuf::LogHandler* previous_;
};

TEST(ParseRequestTest, MalformedNestingWithBadTextLogsNothing) {
  // task.directive (3 bytes) holds a string field whose length runs past the directive's
  // end into task.title's invalid bytes: the parser would read that string, log that it
  // is not UTF-8, and only then fail.
  const std::string bytes("\x0a\x09\x12\x03\x1a\x05\x41\x1a\x02\xff\xff", 11);
  ProtobufLogCounter counter;
  const int before = ProtobufLogCounter::lines();
  v1::CreateTaskRequest parsed;
  absl::Status status = ParseRequest(bytes, &parsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(status), "MALFORMED_REQUEST");
  EXPECT_EQ(ProtobufLogCounter::lines(), before) << "the protobuf runtime logged a line";
}

}  // namespace
}  // namespace d06
