// Errors: reasons as ErrorInfo payloads, bounded in size.
#include "server/domain/errors.h"

#include <string>

#include "gtest/gtest.h"

namespace d06 {
namespace {

TEST(ErrorsTest, ErrorCarriesReasonDomainAndMetadata) {
  absl::Status s = Error(absl::StatusCode::kFailedPrecondition, "UNIT_NOT_ACTIVE", "merged",
                         {{"unit", "units/H29"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  const v1::ErrorInfo info = ErrorInfoOf(s);
  EXPECT_EQ(info.reason(), "UNIT_NOT_ACTIVE");
  EXPECT_EQ(info.domain(), "d06.gov.vn");
  EXPECT_EQ(info.metadata().at("unit"), "units/H29");
  EXPECT_EQ(ErrorReason(absl::NotFoundError("x")), "NOT_FOUND");
  EXPECT_EQ(ErrorReason(absl::DataLossError("x")), "DATA_LOSS");
}

TEST(ErrorsTest, ExcerptCutsAtCharacterBoundaries) {
  EXPECT_EQ(Excerpt("abc", 3), "abc");
  EXPECT_EQ(Excerpt("abcd", 3), "abc…");
  // "Đề" is 2 + 3 bytes: a cut at 4 bytes keeps only "Đ".
  EXPECT_EQ(Excerpt("Đềán", 4), "Đ…");
  EXPECT_EQ(Excerpt("Đềán", 5), "Đề…");
  EXPECT_EQ(Excerpt("ềa", 1), "…");
}

// An error that echoes bytes a client sent (a Host header) is still UTF-8 throughout:
// proto3 strings and JSON carry nothing else (found by tests/fuzz/fuzz_http.cc).
TEST(ErrorsTest, EchoedBytesThatAreNotUtf8BecomeReplacementCharacters) {
  absl::Status s = Error(absl::StatusCode::kPermissionDenied, "HOST_NOT_ALLOWED",
                         "host \"d0\xFF\" is not allowed", {{"host", "d0\xFF\xFF"}});
  EXPECT_EQ(s.message(), "host \"d0\uFFFD\" is not allowed");
  EXPECT_EQ(ErrorInfoOf(s).metadata().at("host"), "d0\uFFFD\uFFFD");
  EXPECT_EQ(Quote("\xFE"), "\"\uFFFD\"");
}

TEST(ErrorsTest, LongMessagesAndMetadataAreCutShort) {
  const std::string huge(50000, 'x');
  absl::Status s =
      Error(absl::StatusCode::kInvalidArgument, "INVALID_FIELD", huge, {{"field", huge}});
  EXPECT_EQ(s.message().size(), 1000u + std::string("…").size());
  EXPECT_EQ(ErrorInfoOf(s).metadata().at("field").size(), 200u + std::string("…").size());
}

}  // namespace
}  // namespace d06
