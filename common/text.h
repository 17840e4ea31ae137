// Vietnamese text handling shared by the server and the client: UTF-8 checks, search
// folding (diacritic-insensitive matching), tokenising and collation, all on UTF-8
// std::string / absl::string_view and implemented with ICU. (The server's validation of
// request text, NormalizeField, is server/domain/text.h.)
//
// Search compares Fold()ed forms, so "de an" finds "Đề án"; lists sorted by name use
// CompareVietnamese; d06ctl import matches column names and words by Fold() too.
//
//   d06::Fold("Đề án 06");                            // "de an 06"
//   d06::Tokenize("Đề án 06/QĐ-TTg");                 // {"đề", "án", "06", "qđ", "ttg"}
//   d06::FoldedTokens("Đề án 06/QĐ-TTg");             // {"de", "an", "06", "qd", "ttg"}
//   d06::CompareVietnamese("an", "ăn") < 0;           // ă sorts after a
//
// Thread-safety: every function is thread-safe. The ICU objects behind them (the NFC
// and NFD Normalizer2 singletons and one "vi" Collator) are created once, never
// modified afterwards, and only their const methods are called; ICU documents const
// methods of Normalizer2 and Collator as safe to call concurrently ("Thread-safe const
// APIs" in the ICU design guide). icu::Transliterator, which is not thread-safe, is
// not used.
#ifndef D06_COMMON_TEXT_H_
#define D06_COMMON_TEXT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace d06 {

// True iff `s` is well-formed UTF-8 (Unicode Table 3-7): rejects overlong forms
// ("\xC0\xAF"), stray continuation bytes ("\x80"), truncated sequences ("\xE1\xBB"),
// UTF-16 surrogates encoded as UTF-8 ("\xED\xA0\x80") and code points > U+10FFFF.
// The empty string and NUL bytes are valid.
bool IsValidUtf8(absl::string_view s);

// The offset of the first byte of `s` that starts no well-formed UTF-8 sequence (as
// IsValidUtf8 judges), or absl::string_view::npos when `s` is valid UTF-8.
size_t FirstInvalidUtf8(absl::string_view s);

// `s` with each byte that starts no well-formed UTF-8 sequence replaced by U+FFFD: for
// echoing untrusted bytes (a header, a field) into text that must be UTF-8 (an error's
// message and metadata, proto3 strings, JSON).
std::string ToValidUtf8(absl::string_view s);

// Search folding: full lowercase, all diacritics removed (NFD, then every nonspacing
// mark, category Mn, dropped) and đ/Đ mapped to d (đ is a letter of its own, not d plus
// a mark). The result is NFC. "Đề án 06" -> "de an 06", "ƯỚC" -> "uoc".
// `nfc` should be valid UTF-8 (any normalisation form works); ill-formed bytes become
// U+FFFD.
std::string Fold(absl::string_view nfc);

// Splits `nfc` into lowercase words (ICU full case mapping, root locale) keeping
// accents. A word is a maximal run of letters (L*), marks (M*) and decimal digits (Nd);
// everything else separates words, and there are no empty words. The words are NFC.
// "Đề án 06/QĐ-TTg" -> {"đề", "án", "06", "qđ", "ttg"}.
std::vector<std::string> Tokenize(absl::string_view nfc);

// Fold() of each word of Tokenize(nfc). "Đề án 06/QĐ-TTg" -> {"de", "an", "06", "qd",
// "ttg"}. Words that fold to nothing (a lone combining mark) are dropped.
std::vector<std::string> FoldedTokens(absl::string_view nfc);

// Number of Unicode code points in valid UTF-8 `utf8` ("Đề án" -> 5, though it is 9
// bytes). For ill-formed input it counts the bytes that are not continuation bytes.
size_t CodePointCount(absl::string_view utf8);

// Orders `a` and `b` as a Vietnamese reader expects (ICU collator for locale "vi",
// default tertiary strength): a < ă < â < b, d < đ < e, o < ô < ơ, u < ư; tone marks
// are only a secondary difference ("ba" < "bà" < "bác").
// Returns <0, 0 or >0. Canonically equivalent strings (NFC vs NFD) compare equal.
// Uses one shared, never-modified collator; Collator::compareUTF8 is const and
// documented by ICU as safe to call from many threads, so no lock or clone is needed.
int CompareVietnamese(absl::string_view a, absl::string_view b);

}  // namespace d06

#endif  // D06_COMMON_TEXT_H_
