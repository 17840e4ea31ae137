#include "server/domain/text.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/domain/errors.h"
#include "unicode/bytestream.h"
#include "unicode/normalizer2.h"
#include "unicode/stringpiece.h"
#include "unicode/uchar.h"
#include "unicode/utf8.h"

namespace d06 {
namespace {

icu::StringPiece Piece(absl::string_view s) {
  return icu::StringPiece(s.data(), static_cast<int32_t>(s.size()));
}

}  // namespace

absl::StatusOr<std::string> NormalizeField(absl::string_view field, absl::string_view s,
                                           size_t max_chars) {
  if (!IsValidUtf8(s)) {
    return InvalidField(field, absl::StrCat(field, " is not valid UTF-8"));
  }
  std::string nfc;
  {
    UErrorCode status = U_ZERO_ERROR;
    // ICU owns and caches the singleton: after the first call this is a lookup.
    const icu::Normalizer2* normalizer = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) {
      return InvalidField(
          field, absl::StrCat(field, " could not be normalised (", u_errorName(status), ")"));
    }
    icu::StringByteSink<std::string> sink(&nfc, static_cast<int32_t>(s.size()));
    normalizer->normalizeUTF8(0, Piece(s), sink, nullptr, status);
    if (U_FAILURE(status)) {
      return InvalidField(
          field, absl::StrCat(field, " could not be normalised (", u_errorName(status), ")"));
    }
  }

  // Trim: find the first and the last non-whitespace code points.
  const auto* p = reinterpret_cast<const uint8_t*>(nfc.data());
  const int32_t n = static_cast<int32_t>(nfc.size());
  int32_t begin = -1, end = 0;
  for (int32_t i = 0; i < n;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (u_isUWhiteSpace(c)) continue;
    if (begin < 0) begin = start;
    end = i;
  }
  if (begin < 0) return std::string();  // empty or only whitespace

  // Check control characters (incl. whitespace ones such as \r inside the text) and
  // count code points of what is kept.
  size_t count = 0;
  for (int32_t i = begin; i < end;) {
    UChar32 c;
    U8_NEXT(p, i, end, c);
    ++count;
    if (u_charType(c) == U_CONTROL_CHAR && c != '\n' && c != '\t') {
      return InvalidField(field,
                          absl::StrFormat("%s contains the control character U+%04X; remove it "
                                          "(only newline and tab are allowed)",
                                          field, static_cast<uint32_t>(c)));
    }
  }
  if (count > max_chars) {
    return InvalidField(field, absl::StrFormat("%s is too long: at most %d characters are "
                                               "allowed, got %d; shorten it",
                                               field, max_chars, count));
  }
  return nfc.substr(begin, end - begin);
}

}  // namespace d06
