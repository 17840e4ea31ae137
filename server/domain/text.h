// The server's validation of request text, on top of the shared Vietnamese text
// functions of common/text.h (UTF-8 checks, Fold, Tokenize, FoldedTokens,
// CodePointCount, CompareVietnamese), which this header includes for its users.
//
// Every piece of free text d06 stores goes through NormalizeField first, so stored
// text is valid, NFC-normalised UTF-8 without control characters (other than \n and
// \t) and without leading/trailing whitespace.
//
//   absl::StatusOr<std::string> title = d06::NormalizeField("task.title", raw, 500);
//   if (!title.ok()) return title.status();          // INVALID_ARGUMENT, INVALID_FIELD
//   d06::Fold(*title);                                // "Đề án 06" -> "de an 06"
//
// Thread-safe (ICU's NFC Normalizer2 singleton, const methods only).
#ifndef D06_SERVER_DOMAIN_TEXT_H_
#define D06_SERVER_DOMAIN_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/text.h"

namespace d06 {

// Validates and canonicalises the user-supplied text `s` of the request field `field`
// (e.g. "task.title", used only in error messages). In order:
//   1. `s` must be valid UTF-8, else INVALID_ARGUMENT "<field> is not valid UTF-8".
//   2. NFC normalisation: "Đe\u0302\u0300 a\u0301n" becomes the precomposed "Đề án".
//   3. Leading/trailing Unicode whitespace (White_Space, incl. \r, NBSP) is trimmed.
//   4. Control characters (general category Cc) other than \n and \t are rejected.
//   5. At most `max_chars` code points (counted after steps 2-3) are allowed.
// All errors are InvalidField(field, ...) (INVALID_ARGUMENT, reason INVALID_FIELD) with
// a message that says what to fix. An empty result is not an error: whether a field is
// required is the caller's rule.
absl::StatusOr<std::string> NormalizeField(absl::string_view field, absl::string_view s,
                                           size_t max_chars);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_TEXT_H_
