#include "client/ctl/display_width.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace d06::ctl {
namespace {

int CodePointWidth(UChar32 c) {
  if (c < 0) return 1;  // An invalid byte.
  if (c == 0) return 0;
  const int8_t category = static_cast<int8_t>(u_charType(c));
  if (category == U_NON_SPACING_MARK || category == U_ENCLOSING_MARK || category == U_FORMAT_CHAR) {
    return 0;
  }
  if (c >= 0x1160 && c <= 0x11FF) return 0;  // Hangul medial vowels, final consonants.
  const int east_asian = u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH);
  if (east_asian == U_EA_WIDE || east_asian == U_EA_FULLWIDTH) return 2;
  return 1;
}

// Calls f(start, length, code point) for each code point of `text`.
template <typename F>
void ForEachCodePoint(absl::string_view text, F f) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t size = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < size) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(bytes, i, size, c);
    if (!f(start, i - start, c)) return;
  }
}

}  // namespace

int DisplayWidth(absl::string_view text) {
  int width = 0;
  ForEachCodePoint(text, [&](int32_t, int32_t, UChar32 c) {
    width += CodePointWidth(c);
    return true;
  });
  return width;
}

std::string TruncateToWidth(absl::string_view text, int max_columns) {
  std::string flat(text);
  for (char& c : flat) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  if (DisplayWidth(flat) <= max_columns) return flat;
  std::string out;
  int width = 0;
  const int room = max_columns - 1;  // One column for "…".
  ForEachCodePoint(flat, [&](int32_t start, int32_t length, UChar32 c) {
    const int w = CodePointWidth(c);
    if (width + w > room) return false;
    width += w;
    out.append(flat, start, length);
    return true;
  });
  // Combining marks of the last character kept have width 0 and were kept with it.
  out += "…";
  return out;
}

std::string PadToWidth(absl::string_view text, int columns) {
  std::string out(text);
  const int width = DisplayWidth(text);
  if (width < columns) out.append(columns - width, ' ');
  return out;
}

std::vector<std::string> WrapToWidth(absl::string_view text, int columns) {
  std::vector<std::string> lines;
  std::string line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && DisplayWidth(line) + 1 + DisplayWidth(word) > columns) {
      lines.push_back(std::move(line));
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty() || lines.empty()) lines.push_back(std::move(line));
  return lines;
}

std::string FitLinesToWidth(absl::string_view text, int columns) {
  std::string out;
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (i > 0) out += "\n";
    if (DisplayWidth(line) <= columns) {
      absl::StrAppend(&out, line);
      continue;
    }
    size_t indent = line.find_first_not_of(' ');
    if (indent == absl::string_view::npos) indent = 0;
    std::string first_indent(indent, ' ');
    std::string next_indent = first_indent;
    if (line.substr(indent, 2) == "- ") next_indent += "  ";
    const std::vector<std::string> parts =
        WrapToWidth(line.substr(indent), columns - static_cast<int>(next_indent.size()));
    for (size_t p = 0; p < parts.size(); ++p) {
      absl::StrAppend(&out, p == 0 ? first_indent : absl::StrCat("\n", next_indent), parts[p]);
    }
  }
  return out;
}

}  // namespace d06::ctl
