#include "common/text.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "unicode/bytestream.h"
#include "unicode/coll.h"
#include "unicode/locid.h"
#include "unicode/normalizer2.h"
#include "unicode/stringpiece.h"
#include "unicode/uchar.h"
#include "unicode/unistr.h"
#include "unicode/utf8.h"

namespace d06 {
namespace {

constexpr UChar32 kSmallDStroke = 0x0111;  // đ

bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

icu::StringPiece Piece(absl::string_view s) {
  return icu::StringPiece(s.data(), static_cast<int32_t>(s.size()));
}

// ICU's data is linked into libicudata; without it no text can be handled safely.
[[noreturn]] void DieWithoutIcuData(const char* what, UErrorCode status) {
  log::Error(absl::StrCat("ICU ", what, " normaliser unavailable: ", u_errorName(status)));
  std::abort();
}

// The ICU normaliser singletons; ICU owns them and they are thread-safe.
const icu::Normalizer2& Nfc() {
  static const icu::Normalizer2* const nfc = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) DieWithoutIcuData("NFC", status);
    return n;
  }();
  return *nfc;
}

const icu::Normalizer2& Nfd() {
  static const icu::Normalizer2* const nfd = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
    if (U_FAILURE(status)) DieWithoutIcuData("NFD", status);
    return n;
  }();
  return *nfd;
}

// Lowercase (full case mapping, root locale) and NFC.
icu::UnicodeString LowerNfc(absl::string_view s) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(Piece(s));
  u.toLower(icu::Locale::getRoot());
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString out = Nfc().normalize(u, status);
  return U_SUCCESS(status) ? out : u;
}

std::string ToUtf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

bool IsWordChar(UChar32 c) {
  return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK)) != 0;
}

}  // namespace

size_t FirstInvalidUtf8(absl::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    // The allowed range of the second byte (Unicode Table 3-7); later bytes are
    // plain continuation bytes 80..BF.
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b == 0xE0) {
      len = 3;
      lo = 0xA0;  // no overlongs
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      len = 3;
    } else if (b == 0xED) {
      len = 3;
      hi = 0x9F;  // no surrogates D800..DFFF
    } else if (b == 0xF0) {
      len = 4;
      lo = 0x90;  // no overlongs
    } else if (b >= 0xF1 && b <= 0xF3) {
      len = 4;
    } else if (b == 0xF4) {
      len = 4;
      hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;  // 80..C1 (continuation or overlong lead), F5..FF
    }
    if (n - i < len) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (!IsContinuation(p[i + k])) return i;
    }
    i += len;
  }
  return absl::string_view::npos;
}

std::string ToValidUtf8(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t bad = FirstInvalidUtf8(s); bad != absl::string_view::npos;
       bad = FirstInvalidUtf8(s)) {
    out.append(s.data(), bad);
    out.append("\xEF\xBF\xBD");  // U+FFFD
    s.remove_prefix(bad + 1);
  }
  out.append(s.data(), s.size());
  return out;
}

bool IsValidUtf8(absl::string_view s) { return FirstInvalidUtf8(s) == absl::string_view::npos; }

std::string Fold(absl::string_view nfc) {
  icu::UnicodeString lower = icu::UnicodeString::fromUTF8(Piece(nfc));
  lower.toLower(icu::Locale::getRoot());
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString decomposed = Nfd().normalize(lower, status);
  if (U_FAILURE(status)) return ToUtf8(lower);
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    if (c == kSmallDStroke) c = 'd';
    stripped.append(c);
  }
  icu::UnicodeString out = Nfc().normalize(stripped, status);
  return ToUtf8(U_SUCCESS(status) ? out : stripped);
}

std::vector<std::string> Tokenize(absl::string_view nfc) {
  const icu::UnicodeString lower = LowerNfc(nfc);
  std::vector<std::string> tokens;
  icu::UnicodeString word;
  for (int32_t i = 0; i < lower.length();) {
    const UChar32 c = lower.char32At(i);
    i += U16_LENGTH(c);
    if (IsWordChar(c)) {
      word.append(c);
    } else if (!word.isEmpty()) {
      tokens.push_back(ToUtf8(word));
      word.remove();
    }
  }
  if (!word.isEmpty()) tokens.push_back(ToUtf8(word));
  return tokens;
}

std::vector<std::string> FoldedTokens(absl::string_view nfc) {
  std::vector<std::string> tokens = Tokenize(nfc);
  std::vector<std::string> folded;
  folded.reserve(tokens.size());
  for (const std::string& token : tokens) {
    std::string f = Fold(token);
    if (!f.empty()) folded.push_back(std::move(f));
  }
  return folded;
}

size_t CodePointCount(absl::string_view utf8) {
  size_t count = 0;
  for (char ch : utf8) {
    if (!IsContinuation(static_cast<unsigned char>(ch))) ++count;
  }
  return count;
}

int CompareVietnamese(absl::string_view a, absl::string_view b) {
  // Created once and never modified: only the const compareUTF8 is called, which ICU
  // documents as safe for concurrent use.
  static const icu::Collator* const collator = [] {
    UErrorCode status = U_ZERO_ERROR;
    icu::Collator* c = icu::Collator::createInstance(icu::Locale("vi"), status);
    if (U_FAILURE(status)) {
      delete c;
      return static_cast<icu::Collator*>(nullptr);
    }
    return c;
  }();
  if (collator != nullptr) {
    UErrorCode status = U_ZERO_ERROR;
    const UCollationResult r = collator->compareUTF8(Piece(a), Piece(b), status);
    if (U_SUCCESS(status)) return static_cast<int>(r);
  }
  // No collation data: fall back to code point order (UTF-8 byte order).
  const int r = a.compare(b);
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

}  // namespace d06
