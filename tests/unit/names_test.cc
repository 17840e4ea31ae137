#include "server/domain/names.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/domain/errors.h"

namespace d06 {
namespace {

std::string FieldOf(const absl::Status& status) {
  return ErrorInfoOf(status).metadata().count("field") ? ErrorInfoOf(status).metadata().at("field")
                                                       : "";
}

TEST(ActorFromMetadataTest, AbsentOrEmptyIsAnonymous) {
  EXPECT_EQ(*ActorFromMetadata(nullptr), "anonymous");
  absl::string_view empty;
  EXPECT_EQ(*ActorFromMetadata(&empty), "anonymous");
}

TEST(ActorFromMetadataTest, PrintableUtf8IsKept) {
  for (absl::string_view actor : {"cb@h29.gov.vn", "Nguyễn Văn A", "a b"}) {
    EXPECT_EQ(*ActorFromMetadata(&actor), actor);
  }
  const std::string longest(200, 'x');
  absl::string_view view = longest;
  EXPECT_TRUE(ActorFromMetadata(&view).ok());
}

TEST(ActorFromMetadataTest, ControlCharactersBadUtf8AndOverlongAreRefused) {
  const std::string too_long(201, 'x');
  for (const std::string& bad :
       {std::string("a\nb"), std::string("\x1b[31mred"), std::string("a\rb"),
        std::string("tab\there"), std::string("del\x7f"), std::string("c1\xc2\x85"),
        std::string("nul\0x", 5), std::string("\xff\xfe"), too_long}) {
    absl::string_view view = bad;
    absl::StatusOr<std::string> actor = ActorFromMetadata(&view);
    EXPECT_EQ(actor.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(FieldOf(actor.status()), "x-d06-actor");
  }
}

TEST(NamesTest, ErrorsStateTheRuleFirstAndShortenTheValue) {
  const std::string code(10000, 'A');
  absl::Status status = ValidateUnitCode("unit.code", code);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("at most 35 characters"));
  EXPECT_LT(status.message().size(), 300u);
  status = ParseTaskName("name", "tasks/" + code).status();
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("tasks/{id}"));
  EXPECT_LT(status.message().size(), 300u);
}

TEST(QuoteTest, ShortValuesWholeLongOnesCutAtACharacter) {
  EXPECT_EQ(Quote("abc"), "\"abc\"");
  const std::string vietnamese = std::string(63, 'a') + "đ";  // đ is two bytes
  EXPECT_EQ(Quote(vietnamese), "\"" + std::string(63, 'a') + "…\"");
}

}  // namespace
}  // namespace d06
