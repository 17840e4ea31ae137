#include "client/ctl/display_width.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

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

namespace {

size_t IndentOf(absl::string_view line) {
  const size_t indent = line.find_first_not_of(' ');
  return indent == absl::string_view::npos ? line.size() : indent;
}

// Whether `line` goes on the paragraph whose last line is `previous` and whose lines
// after the first are indented by `indent`: prose continued, not a new list item, flag
// or label's list.
bool Continues(absl::string_view previous, absl::string_view line, size_t indent) {
  if (absl::StripAsciiWhitespace(previous).empty() || absl::StripAsciiWhitespace(line).empty()) {
    return false;
  }
  if (absl::EndsWith(absl::StripTrailingAsciiWhitespace(previous), ":")) return false;
  if (IndentOf(line) != indent) return false;
  const absl::string_view rest = line.substr(indent);
  if (absl::StartsWith(rest, "- ") || absl::StartsWith(rest, "* ") ||
      absl::StartsWith(rest, "--")) {
    return false;
  }
  // A label of its own ("Called by:", "Errors:") begins a paragraph.
  const size_t colon = rest.find(':');
  const bool label = colon != absl::string_view::npos && colon < 16 &&
                     absl::ascii_isupper(static_cast<unsigned char>(rest[0])) &&
                     std::all_of(rest.begin(), rest.begin() + colon, [](char c) {
                       return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == ' ';
                     });
  return !label;
}

}  // namespace

std::string FitLinesToWidth(absl::string_view text, int columns) {
  const std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  std::vector<std::string> out;
  for (size_t i = 0; i < lines.size();) {
    // A paragraph: the line and those continuing it. One too wide is rewrapped whole
    // (a .proto comment's lines are wider than a terminal), the others kept as written.
    const absl::string_view first = lines[i];
    const size_t indent = IndentOf(first);
    const bool item = first.substr(indent, 2) == "- ";
    const size_t next_indent = indent + (item ? 2 : 0);
    size_t end = i + 1;
    bool wide = DisplayWidth(first) > columns;
    while (end < lines.size() && Continues(lines[end - 1], lines[end], next_indent)) {
      wide = wide || DisplayWidth(lines[end]) > columns;
      ++end;
    }
    if (!wide) {
      for (size_t k = i; k < end; ++k) out.emplace_back(lines[k]);
      i = end;
      continue;
    }
    std::string words;
    for (size_t k = i; k < end; ++k) {
      absl::StrAppend(&words, k == i ? "" : " ", absl::StripAsciiWhitespace(lines[k]));
    }
    const std::vector<std::string> parts =
        WrapToWidth(words, columns - static_cast<int>(next_indent));
    for (size_t p = 0; p < parts.size(); ++p) {
      out.push_back(absl::StrCat(std::string(p == 0 ? indent : next_indent, ' '), parts[p]));
    }
    i = end;
  }
  return absl::StrJoin(out, "\n");
}

}  // namespace d06::ctl
