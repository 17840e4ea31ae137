// Key encoding: byte order must be the order lists are served in.
#include "storage/keys.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace d06::keys {
namespace {

TEST(KeysTest, U64BigEndianOrdersNumerically) {
  const std::vector<uint64_t> values = {
      0, 1, 255, 256, 65535, 1ull << 32, (1ull << 63) + 5, ~uint64_t{0}};
  for (size_t i = 1; i < values.size(); ++i) {
    std::string a, b;
    PutU64(&a, values[i - 1]);
    PutU64(&b, values[i]);
    EXPECT_LT(a, b) << values[i - 1] << " vs " << values[i];
  }
}

TEST(KeysTest, DeadlineKeyOrdersDaysIncludingNegativeAndNoDeadlineLast) {
  const std::vector<int64_t> days = {-25567 /* 1900 */, -1, 0, 1, 20543 /* 2026 */, 2932896};
  for (size_t i = 1; i < days.size(); ++i) {
    EXPECT_LT(DeadlineKey(days[i - 1]), DeadlineKey(days[i]));
  }
  EXPECT_LT(DeadlineKey(2932896), kNoDeadline);
}

TEST(KeysTest, RoundTrip) {
  std::string key;
  PutU8(&key, 7);
  PutString(&key, "H29.15");
  PutU32(&key, 0xDEADBEEF);
  PutU64(&key, 1234567890123ull);
  absl::string_view in = key;
  uint8_t u8;
  std::string s;
  uint32_t u32;
  uint64_t u64;
  ASSERT_TRUE(GetU8(&in, &u8));
  ASSERT_TRUE(GetString(&in, &s));
  ASSERT_TRUE(GetU32(&in, &u32));
  ASSERT_TRUE(GetU64(&in, &u64));
  EXPECT_EQ(u8, 7);
  EXPECT_EQ(s, "H29.15");
  EXPECT_EQ(u32, 0xDEADBEEFu);
  EXPECT_EQ(u64, 1234567890123ull);
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetU8(&in, &u8));
  absl::string_view unterminated = "abc";
  EXPECT_FALSE(GetString(&unterminated, &s));
}

TEST(KeysTest, TerminatedStringsSortShorterCodeFirst) {
  // "H29" and its children must not interleave with "H290": the 0x00 terminator sorts
  // before every code character.
  std::vector<std::string> keys = {UnitKey("H290"), UnitKey("H29.1"), UnitKey("H29")};
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{UnitKey("H29"), UnitKey("H29.1"), UnitKey("H290")}));
}

TEST(KeysTest, AssignmentKeysGroupByTaskInIdOrder) {
  EXPECT_LT(AssignmentKey(2, "ZZZ"), AssignmentKey(10, "A"));
  EXPECT_EQ(AssignmentKey(5, "H29").rfind(AssignmentPrefix(5), 0), 0u);
  EXPECT_LT(EventKey(9, 3), EventKey(10, 0));
  EXPECT_LT(EventKey(10, 0), EventKey(10, 1));
}

TEST(KeysTest, PrefixEnd) {
  EXPECT_EQ(PrefixEnd("ab"), "ac");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), "");
}

}  // namespace
}  // namespace d06::keys
