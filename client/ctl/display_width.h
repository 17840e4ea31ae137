// Terminal display width of UTF-8 text, for aligned tables of Vietnamese (and any) text:
// combining marks and format characters take 0 columns, East Asian wide and fullwidth
// characters 2, everything else 1 (as wcwidth does, over code points, with ICU's data).
// Invalid UTF-8 bytes count 1 column each. Pure functions; thread-safe.
#ifndef D06_CLIENT_CTL_DISPLAY_WIDTH_H_
#define D06_CLIENT_CTL_DISPLAY_WIDTH_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace d06::ctl {

// Columns `text` takes on a terminal: DisplayWidth("Nghệ An") == 7 whether NFC or NFD.
int DisplayWidth(absl::string_view text);

// `text` cut to at most `max_columns` columns, ending in "…" when cut; newlines and tabs
// become spaces. Never splits a character from its combining marks.
std::string TruncateToWidth(absl::string_view text, int max_columns);

// `text` in lines of at most `columns` columns, broken between words (a longer word on
// a line of its own).
std::vector<std::string> WrapToWidth(absl::string_view text, int columns);

// Multi-line `text` fitted to `columns`: a paragraph (a line and the lines continuing it
// at the same indent: not blank, not a "- " item or "--flag", not after a line ending in
// ":") with a line wider than `columns` is rewrapped whole, its lines after the first
// indented as they were (by 2 more for a "- " item); other lines stay as written. Help
// texts made of .proto comments, wrapped near 90 columns, read well on a terminal.
std::string FitLinesToWidth(absl::string_view text, int columns);

// `text` followed by spaces up to `columns` columns.
std::string PadToWidth(absl::string_view text, int columns);

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_DISPLAY_WIDTH_H_
