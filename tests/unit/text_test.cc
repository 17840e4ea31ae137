#include "server/domain/text.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/domain/errors.h"

namespace d06 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Splits valid UTF-8 into its characters (one std::string per code point).
std::vector<std::string> Chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) {
      ++len;
    }
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// IsValidUtf8

TEST(TextUtf8Test, AcceptsWellFormedText) {
  const std::vector<std::string> valid = {
      "",
      "abc",
      "Đề án 06",
      std::string("a\0b", 3),  // NUL is a valid character
      "\xC2\x80",              // U+0080, smallest 2-byte
      "\xDF\xBF",              // U+07FF
      "\xE0\xA0\x80",          // U+0800, smallest 3-byte
      "\xED\x9F\xBF",          // U+D7FF, just below the surrogates
      "\xEE\x80\x80",          // U+E000, just above the surrogates
      "\xEF\xBF\xBF",          // U+FFFF
      "\xF0\x90\x80\x80",      // U+10000, smallest 4-byte
      "\xF0\x9F\x98\x80",      // U+1F600 emoji
      "\xF4\x8F\xBF\xBF",      // U+10FFFF, the largest code point
  };
  for (const std::string& s : valid) {
    EXPECT_TRUE(IsValidUtf8(s)) << testing::PrintToString(s);
  }
}

TEST(TextUtf8Test, RejectsIllFormedText) {
  const std::vector<std::string> invalid = {
      "\xC0\xAF",          // overlong '/'
      "\xC1\xBF",          // overlong
      "\xE0\x80\xAF",      // overlong 3-byte '/'
      "\xE0\x9F\xBF",      // overlong U+07FF
      "\xF0\x80\x80\xAF",  // overlong 4-byte
      "\xF0\x8F\xBF\xBF",  // overlong U+FFFF
      "\x80",              // lone continuation byte
      "a\x80z",            // continuation byte in ASCII
      "\xBF",              // lone continuation byte
      "\xE1\xBB",          // truncated "ệ" (E1 BB 87)
      "Vi\xE1\xBB",        // truncated at the end of text
      "\xE1",              // lead byte only
      "\xF0\x9F\x98",      // truncated emoji
      "\xED\xA0\x80",      // surrogate U+D800
      "\xED\xBF\xBF",      // surrogate U+DFFF
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80",  // lead byte beyond Unicode
      "\xFE",              //
      "\xFF",              //
      "\xC3\x28",          // lead byte followed by ASCII
      "\xE1\xBB\x28",      // 3-byte sequence broken in the last byte
      "\xF0\x9F\x98\x28",  // 4-byte sequence broken in the last byte
  };
  for (const std::string& s : invalid) {
    EXPECT_FALSE(IsValidUtf8(s)) << testing::PrintToString(s);
    EXPECT_TRUE(IsValidUtf8(ToValidUtf8(s))) << testing::PrintToString(s);
  }
}

TEST(TextUtf8Test, ToValidUtf8ReplacesEachBadByteAndKeepsTheRest) {
  EXPECT_EQ(ToValidUtf8("Đề án 06"), "Đề án 06");
  EXPECT_EQ(ToValidUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));
  EXPECT_EQ(ToValidUtf8("d0\xFF\xFFx"), "d0\uFFFD\uFFFDx");
  EXPECT_EQ(ToValidUtf8("Vi\xE1\xBB"), "Vi\uFFFD\uFFFD");  // a truncated "ệ"
  EXPECT_EQ(ToValidUtf8("\xC0\xAF/"), "\uFFFD\uFFFD/");    // an overlong '/'
}

// ---------------------------------------------------------------------------------
// NormalizeField

TEST(TextNormalizeFieldTest, ComposesDecomposedVietnamese) {
  // Đ, ê + combining grave, space, a + combining acute, n.
  const std::string decomposed = "Đê\u0300 a\u0301n";
  ASSERT_EQ(decomposed.size(), 11u);
  absl::StatusOr<std::string> got = NormalizeField("task.title", decomposed, 100);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "\xC4\x90\xE1\xBB\x81 \xC3\xA1n");  // "Đề án", precomposed
  EXPECT_EQ(*got, "Đề án");
  EXPECT_EQ(CodePointCount(*got), 5u);

  // Fully decomposed e + circumflex + grave gives the same result.
  got = NormalizeField("task.title", "Đe\u0302\u0300 a\u0301n", 100);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "Đề án");
}

TEST(TextNormalizeFieldTest, KeepsAlreadyNormalText) {
  absl::StatusOr<std::string> got = NormalizeField("task.title", "Triển khai Đề án 06/QĐ-TTg", 100);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "Triển khai Đề án 06/QĐ-TTg");
}

TEST(TextNormalizeFieldTest, TrimsLeadingAndTrailingWhitespaceOnly) {
  EXPECT_EQ(*NormalizeField("f", "  \t Đề án \n ", 100), "Đề án");
  EXPECT_EQ(*NormalizeField("f", "\r\nĐề án\r\n", 100), "Đề án");
  EXPECT_EQ(*NormalizeField("f", "\u00A0x\u3000", 100), "x");  // NBSP, ideographic space
  EXPECT_EQ(*NormalizeField("f", "dòng 1\ndòng 2\tcột", 100), "dòng 1\ndòng 2\tcột");
  EXPECT_EQ(*NormalizeField("f", "a  b", 100), "a  b");
}

TEST(TextNormalizeFieldTest, EmptyAndBlankBecomeEmpty) {
  EXPECT_EQ(*NormalizeField("f", "", 0), "");
  EXPECT_EQ(*NormalizeField("f", " \t\n ", 0), "");
}

TEST(TextNormalizeFieldTest, RejectsInvalidUtf8NamingTheField) {
  for (const std::string& bad : {std::string("\xC0\xAF"), std::string("\x80"),
                                 std::string("ti\xE1\xBB"), std::string("\xED\xA0\x80")}) {
    absl::StatusOr<std::string> got = NormalizeField("task.title", bad, 100);
    ASSERT_FALSE(got.ok()) << testing::PrintToString(bad);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), "task.title is not valid UTF-8");
    const v1::ErrorInfo info = ErrorInfoOf(got.status());
    EXPECT_EQ(info.reason(), "INVALID_FIELD");
    EXPECT_EQ(info.metadata().at("field"), "task.title");
  }
}

TEST(TextNormalizeFieldTest, RejectsControlCharactersExceptNewlineAndTab) {
  struct Case {
    std::string input;
    std::string code_point;
  };
  const std::vector<Case> cases = {
      {std::string("a\0b", 3), "U+0000"},
      {"a\x01z", "U+0001"},
      {"a\x07z", "U+0007"},
      {"a\rz", "U+000D"},
      {"a\x1Bz", "U+001B"},
      {"a\x7Fz", "U+007F"},
      {"a\u0085z", "U+0085"},
      {"a\u009Fz", "U+009F"},
      {"\x01Đề án", "U+0001"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> got = NormalizeField("task.description", c.input, 100);
    ASSERT_FALSE(got.ok()) << testing::PrintToString(c.input);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(got.status()), "INVALID_FIELD");
    EXPECT_EQ(got.status().message(), "task.description contains the control character " +
                                          c.code_point +
                                          "; remove it (only newline and tab are allowed)");
  }
}

TEST(TextNormalizeFieldTest, LengthLimitCountsCodePointsNotBytes) {
  // "Đề án" is 9 bytes but 5 characters.
  ASSERT_EQ(std::string("Đề án").size(), 9u);
  EXPECT_TRUE(NormalizeField("task.title", "Đề án", 5).ok());

  absl::StatusOr<std::string> got = NormalizeField("task.title", "Đề án!", 5);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(got.status()), "INVALID_FIELD");
  EXPECT_EQ(ErrorInfoOf(got.status()).metadata().at("field"), "task.title");
  EXPECT_EQ(got.status().message(),
            "task.title is too long: at most 5 characters are allowed, got 6; shorten it");

  // Counted after NFC: 10 code points decomposed, 5 composed.
  EXPECT_TRUE(NormalizeField("f", "a\u0301e\u0301i\u0301o\u0301u\u0301", 5).ok());
  // Counted after trimming.
  EXPECT_TRUE(NormalizeField("f", "   abc   ", 3).ok());
  EXPECT_FALSE(NormalizeField("f", "   abcd   ", 3).ok());
  // Zero allows only the empty string.
  EXPECT_FALSE(NormalizeField("f", "x", 0).ok());
  // A 4-byte character counts once.
  EXPECT_TRUE(NormalizeField("f", "\xF0\x9F\x98\x80", 1).ok());
}

// ---------------------------------------------------------------------------------
// Fold

// Each row: the base vowel, then the vowel with no tone, huyền, sắc, hỏi, ngã, nặng,
// precomposed (NFC), in lower and upper case.
struct VowelRow {
  const char* folded;
  const char* lower;
  const char* upper;
};
constexpr VowelRow kVowels[] = {
    {"a", "aàáảãạ", "AÀÁẢÃẠ"}, {"a", "ăằắẳẵặ", "ĂẰẮẲẴẶ"}, {"a", "âầấẩẫậ", "ÂẦẤẨẪẬ"},
    {"e", "eèéẻẽẹ", "EÈÉẺẼẸ"}, {"e", "êềếểễệ", "ÊỀẾỂỄỆ"}, {"i", "iìíỉĩị", "IÌÍỈĨỊ"},
    {"o", "oòóỏõọ", "OÒÓỎÕỌ"}, {"o", "ôồốổỗộ", "ÔỒỐỔỖỘ"}, {"o", "ơờớởỡợ", "ƠỜỚỞỠỢ"},
    {"u", "uùúủũụ", "UÙÚỦŨỤ"}, {"u", "ưừứửữự", "ƯỪỨỬỮỰ"}, {"y", "yỳýỷỹỵ", "YỲÝỶỸỴ"},
};

TEST(TextFoldTest, VowelTableIsSixDistinctPrecomposedCharactersPerRow) {
  for (const VowelRow& row : kVowels) {
    for (const char* s : {row.lower, row.upper}) {
      std::vector<std::string> chars = Chars(s);
      ASSERT_EQ(chars.size(), 6u) << s;
      std::sort(chars.begin(), chars.end());
      EXPECT_EQ(std::unique(chars.begin(), chars.end()), chars.end()) << s;
      EXPECT_EQ(*NormalizeField("f", s, 6), s) << "not NFC: " << s;
    }
  }
}

TEST(TextFoldTest, EveryVowelWithEveryToneInBothCasesFoldsToItsBase) {
  int checked = 0;
  for (const VowelRow& row : kVowels) {
    for (const char* s : {row.lower, row.upper}) {
      for (const std::string& ch : Chars(s)) {
        EXPECT_EQ(Fold(ch), row.folded) << ch;
        ++checked;
      }
      EXPECT_EQ(Fold(s), std::string(6, row.folded[0])) << s;
    }
  }
  EXPECT_EQ(checked, 12 * 6 * 2);
}

TEST(TextFoldTest, FoldsDStrokeExplicitly) {
  EXPECT_EQ(Fold("đ"), "d");
  EXPECT_EQ(Fold("Đ"), "d");
  EXPECT_EQ(Fold("Đường đi"), "duong di");
}

TEST(TextFoldTest, Examples) {
  EXPECT_EQ(Fold("Đề án 06"), "de an 06");
  EXPECT_EQ(Fold("ƯỚC"), "uoc");
  EXPECT_EQ(Fold("Ỹ"), "y");
  EXPECT_EQ(Fold("Bộ Công an"), "bo cong an");
  EXPECT_EQ(Fold("QĐ-TTg 06/2022"), "qd-ttg 06/2022");
  EXPECT_EQ(Fold("Thành phố Hồ Chí Minh"), "thanh pho ho chi minh");
  EXPECT_EQ(Fold(""), "");
  EXPECT_EQ(Fold("abc xyz 123"), "abc xyz 123");
}

TEST(TextFoldTest, DecomposedAndComposedInputFoldAlike) {
  EXPECT_EQ(Fold("Đe\u0302\u0300 a\u0301n"), "de an");
  EXPECT_EQ(Fold("Đe\u0302\u0300 a\u0301n"), Fold("Đề án"));
}

// ---------------------------------------------------------------------------------
// Tokenize and FoldedTokens

TEST(TextTokenizeTest, SplitsLowercasesAndKeepsAccents) {
  EXPECT_THAT(Tokenize("Đề án 06/QĐ-TTg"), ElementsAre("đề", "án", "06", "qđ", "ttg"));
  EXPECT_THAT(Tokenize("Hà Nội, TP.HCM; (2026)"), ElementsAre("hà", "nội", "tp", "hcm", "2026"));
  EXPECT_THAT(Tokenize("ĐỀ ÁN ƯU TIÊN"), ElementsAre("đề", "án", "ưu", "tiên"));
  EXPECT_THAT(Tokenize("a_b+c"), ElementsAre("a", "b", "c"));
}

TEST(TextTokenizeTest, DropsEmptyTokens) {
  EXPECT_THAT(Tokenize(""), IsEmpty());
  EXPECT_THAT(Tokenize("  -- / ,, "), IsEmpty());
  EXPECT_THAT(Tokenize("--a--b--"), ElementsAre("a", "b"));
}

TEST(TextTokenizeTest, UsesFullUnicodeCaseMapping) {
  // Full mapping of İ (U+0130) is i + combining dot above; simple mapping gives "i".
  EXPECT_THAT(Tokenize("İ"), ElementsAre("i\u0307"));
  // Context-sensitive final sigma.
  EXPECT_THAT(Tokenize("ΟΔΟΣ"), ElementsAre("οδος"));
  EXPECT_THAT(Tokenize("ÀÉÎ"), ElementsAre("àéî"));
}

TEST(TextTokenizeTest, KeepsNonAsciiDigitsAndNormalisesToNfc) {
  EXPECT_THAT(Tokenize("số ٣"), ElementsAre("số", "٣"));
  EXPECT_THAT(Tokenize("Đe\u0302\u0300 a\u0301n"), ElementsAre("đề", "án"));
}

TEST(TextFoldedTokensTest, FoldsEachToken) {
  EXPECT_THAT(FoldedTokens("Đề án 06/QĐ-TTg"), ElementsAre("de", "an", "06", "qd", "ttg"));
  EXPECT_THAT(FoldedTokens("Công an tỉnh Hà Giang"),
              ElementsAre("cong", "an", "tinh", "ha", "giang"));
  EXPECT_THAT(FoldedTokens(""), IsEmpty());
  // A lone combining mark is a token that folds to nothing and is dropped.
  EXPECT_THAT(FoldedTokens("a \u0301 b"), ElementsAre("a", "b"));
}

// ---------------------------------------------------------------------------------
// CodePointCount

TEST(TextCodePointCountTest, CountsCodePoints) {
  EXPECT_EQ(CodePointCount(""), 0u);
  EXPECT_EQ(CodePointCount("abc"), 3u);
  EXPECT_EQ(CodePointCount("Đề án"), 5u);
  EXPECT_EQ(CodePointCount("\xF0\x9F\x98\x80"), 1u);
  EXPECT_EQ(CodePointCount("e\u0301"), 2u);  // a combining mark is a code point
  EXPECT_EQ(CodePointCount(std::string("\0\0", 2)), 2u);
}

// ---------------------------------------------------------------------------------
// CompareVietnamese

TEST(TextCompareVietnameseTest, OrdersVietnameseLetters) {
  EXPECT_LT(CompareVietnamese("an", "ăn"), 0);
  EXPECT_LT(CompareVietnamese("ăn", "ân"), 0);
  EXPECT_LT(CompareVietnamese("ân", "bo"), 0);
  EXPECT_LT(CompareVietnamese("de", "đa"), 0);
  EXPECT_LT(CompareVietnamese("dz", "đa"), 0);
  EXPECT_LT(CompareVietnamese("đz", "ea"), 0);
  EXPECT_LT(CompareVietnamese("oz", "ôa"), 0);
  EXPECT_LT(CompareVietnamese("ôz", "ơa"), 0);
  EXPECT_LT(CompareVietnamese("ơz", "pa"), 0);
  EXPECT_LT(CompareVietnamese("uz", "ưa"), 0);
  EXPECT_LT(CompareVietnamese("ưz", "va"), 0);
  EXPECT_LT(CompareVietnamese("ez", "êa"), 0);
}

TEST(TextCompareVietnameseTest, IsAntisymmetricAndReflexive) {
  EXPECT_GT(CompareVietnamese("ăn", "an"), 0);
  EXPECT_GT(CompareVietnamese("đa", "de"), 0);
  EXPECT_EQ(CompareVietnamese("Đề án", "Đề án"), 0);
  EXPECT_EQ(CompareVietnamese("", ""), 0);
  EXPECT_LT(CompareVietnamese("", "a"), 0);
  // Canonically equivalent spellings are equal.
  EXPECT_EQ(CompareVietnamese("Đề án", "Đe\u0302\u0300 a\u0301n"), 0);
}

TEST(TextCompareVietnameseTest, ToneIsASecondaryDifference) {
  EXPECT_LT(CompareVietnamese("ba", "bà"), 0);
  EXPECT_LT(CompareVietnamese("bà", "bác"), 0);
  EXPECT_LT(CompareVietnamese("bá", "bac"), 0);  // letters win over tones
}

TEST(TextCompareVietnameseTest, SortsUnitNamesUnlikeByteOrder) {
  std::vector<std::string> names = {"Đồng Nai", "Bình Dương", "Ân Thi",  "An Giang",
                                    "Đà Nẵng",  "Dầu Tiếng",  "Ăn Uống", "Cà Mau"};
  std::sort(names.begin(), names.end(),
            [](const std::string& a, const std::string& b) { return CompareVietnamese(a, b) < 0; });
  EXPECT_THAT(names, ElementsAre("An Giang", "Ăn Uống", "Ân Thi", "Bình Dương", "Cà Mau",
                                 "Dầu Tiếng", "Đà Nẵng", "Đồng Nai"));
  // Byte order would put every name starting with Ă, Â, Đ last.
  std::vector<std::string> bytes = names;
  std::sort(bytes.begin(), bytes.end());
  EXPECT_NE(bytes, names);
}

TEST(TextThreadSafetyTest, ConcurrentUseGivesTheSameResults) {
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&mismatches] {
      for (int i = 0; i < 500; ++i) {
        if (CompareVietnamese("an", "ăn") >= 0) ++mismatches;
        if (CompareVietnamese("đa", "de") <= 0) ++mismatches;
        if (Fold("Đề án 06") != "de an 06") ++mismatches;
        if (Tokenize("Đề án 06/QĐ-TTg").size() != 5) ++mismatches;
        if (!NormalizeField("f", "Đê\u0300 a\u0301n", 10).ok()) ++mismatches;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace d06
