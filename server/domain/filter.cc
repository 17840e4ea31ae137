#include "server/domain/filter.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "d06/v1/api_names.h"
#include "server/domain/errors.h"
#include "server/domain/text.h"

namespace d06 {
namespace {

constexpr absl::string_view kReason = v1::reason::kInvalidFilter;
constexpr absl::string_view kOpList = "=, !=, <, <=, >, >=";

absl::Status FilterError(absl::string_view message, const ErrorMetadata& metadata) {
  return Error(absl::StatusCode::kInvalidArgument, kReason, absl::StrCat("filter: ", message),
               metadata);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsKeyStart(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
bool IsKeyChar(char c) { return IsKeyStart(c) || (c >= '0' && c <= '9'); }
bool IsBareChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
         c == '-' || c == '/';
}
bool IsWordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A recursive-descent parser over the bytes of a filter that is valid UTF-8.
class Parser {
 public:
  explicit Parser(absl::string_view filter) : filter_(filter) {}

  absl::StatusOr<std::vector<FilterTerm>> Parse() {
    std::vector<FilterTerm> terms;
    SkipSpace();
    if (AtEnd()) return terms;
    bool after_and = false;
    while (true) {
      const size_t term_start = pos_;
      FilterTerm term;
      if (absl::Status s = ParseTerm(after_and, term); !s.ok()) return s;
      terms.push_back(std::move(term));
      const absl::string_view term_text = filter_.substr(term_start, pos_ - term_start);
      const size_t term_end = pos_;
      SkipSpace();
      if (AtEnd()) return terms;
      if (pos_ == term_end || !LookingAtAnd()) {
        return Fail(absl::StrFormat(
            "expected AND or the end of the filter after \"%s\" at position %d (found %s); "
            "combine terms with \" AND \"",
            term_text, Position(), Found()));
      }
      pos_ += 3;  // AND
      if (!AtEnd() && !IsSpace(Peek())) {
        return Fail(absl::StrFormat("expected whitespace after AND at position %d (found %s)",
                                    Position(), Found()));
      }
      SkipSpace();
      after_and = true;
    }
  }

 private:
  absl::Status ParseTerm(bool after_and, FilterTerm& term) {
    // key
    if (AtEnd() || !IsKeyStart(Peek())) {
      return Fail(absl::StrFormat(
          "expected a field name%s at position %d (found %s); field names are lowercase "
          "letters, digits and _, starting with a letter or _",
          after_and ? " after AND" : "", Position(), Found()));
    }
    const size_t key_start = pos_;
    while (!AtEnd() && IsKeyChar(Peek())) ++pos_;
    term.key = std::string(filter_.substr(key_start, pos_ - key_start));

    // op
    SkipSpace();
    if (!ParseOp(term.op)) {
      return Fail(absl::StrFormat(
          "expected an operator after \"%s\" at position %d; use one of %s (found %s)", term.key,
          Position(), kOpList, Found()));
    }

    // value
    SkipSpace();
    if (!AtEnd() && Peek() == '"') return ParseQuoted(term.value);
    const size_t value_start = pos_;
    while (!AtEnd() && IsBareChar(Peek())) ++pos_;
    if (pos_ == value_start) {
      return Fail(absl::StrFormat(
          "expected a value after \"%s %s\" at position %d (found %s); use a bare word of "
          "letters A-Z a-z, digits and _ . : - / or a double-quoted string",
          term.key, FilterOpString(term.op), Position(), Found()));
    }
    term.value = std::string(filter_.substr(value_start, pos_ - value_start));
    return absl::OkStatus();
  }

  bool ParseOp(FilterTerm::Op& op) {
    const absl::string_view rest = filter_.substr(pos_);
    // Two-character operators first so that "<=" is not read as "<".
    static constexpr std::pair<absl::string_view, FilterTerm::Op> kOps[] = {
        {"!=", FilterTerm::Op::kNe}, {"<=", FilterTerm::Op::kLe}, {">=", FilterTerm::Op::kGe},
        {"=", FilterTerm::Op::kEq},  {"<", FilterTerm::Op::kLt},  {">", FilterTerm::Op::kGt},
    };
    for (const auto& [text, value] : kOps) {
      if (absl::StartsWith(rest, text)) {
        op = value;
        pos_ += text.size();
        return true;
      }
    }
    return false;
  }

  absl::Status ParseQuoted(std::string& value) {
    const size_t open = pos_;
    ++pos_;  // opening quote
    while (!AtEnd()) {
      const char c = Peek();
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c == '\\') {
        if (pos_ + 1 >= filter_.size()) break;  // unterminated
        const char escaped = filter_[pos_ + 1];
        if (escaped != '"' && escaped != '\\') {
          return Fail(absl::StrFormat(
              "invalid escape \\%s at position %d in a quoted value; only \\\" and \\\\ are "
              "allowed",
              CharAt(pos_ + 1), Position()));
        }
        value.push_back(escaped);
        pos_ += 2;
        continue;
      }
      value.push_back(c);
      ++pos_;
    }
    pos_ = open;
    return Fail(absl::StrFormat("unterminated quoted value starting at position %d; end it with \"",
                                Position()));
  }

  bool AtEnd() const { return pos_ >= filter_.size(); }
  char Peek() const { return filter_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) ++pos_;
  }
  bool LookingAtAnd() const {
    return absl::StartsWith(filter_.substr(pos_), "AND") &&
           (pos_ + 3 >= filter_.size() || !IsWordChar(filter_[pos_ + 3]));
  }

  // The position of pos_ in characters, for messages.
  size_t Position() const { return CodePointCount(filter_.substr(0, pos_)); }

  // The whole UTF-8 character starting at byte `at`.
  std::string CharAt(size_t at) const {
    size_t end = at + 1;
    while (end < filter_.size() && (static_cast<unsigned char>(filter_[end]) & 0xC0) == 0x80) {
      ++end;
    }
    return std::string(filter_.substr(at, end - at));
  }

  // What is at pos_, for messages: 'x' or "the end of the filter".
  std::string Found() const {
    if (AtEnd()) return "the end of the filter";
    return absl::StrCat("'", CharAt(pos_), "'");
  }

  absl::Status Fail(absl::string_view message) const {
    return FilterError(message, {{"filter", std::string(filter_)}});
  }

  const absl::string_view filter_;
  size_t pos_ = 0;
};

}  // namespace

bool operator==(const FilterTerm& a, const FilterTerm& b) {
  return a.key == b.key && a.op == b.op && a.value == b.value;
}

absl::string_view FilterOpString(FilterTerm::Op op) {
  switch (op) {
    case FilterTerm::Op::kEq:
      return "=";
    case FilterTerm::Op::kNe:
      return "!=";
    case FilterTerm::Op::kLt:
      return "<";
    case FilterTerm::Op::kLe:
      return "<=";
    case FilterTerm::Op::kGt:
      return ">";
    case FilterTerm::Op::kGe:
      return ">=";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, const FilterTerm& term) {
  return os << term.key << " " << FilterOpString(term.op) << " \"" << term.value << "\"";
}

absl::StatusOr<std::vector<FilterTerm>> ParseFilter(absl::string_view filter) {
  if (!IsValidUtf8(filter)) {
    // ErrorInfo metadata is a proto string and must be UTF-8.
    return FilterError("the filter is not valid UTF-8; send it as UTF-8 text",
                       {{"filter", ToValidUtf8(filter)}});
  }
  if (filter.size() > kMaxFilterBytes) {
    return FilterError(
        absl::StrFormat("the filter is %d bytes long; at most %d", filter.size(), kMaxFilterBytes),
        {{"filter", std::string(filter)}});
  }
  return Parser(filter).Parse();
}

absl::Status CheckFilterTerms(
    const std::vector<FilterTerm>& terms,
    const absl::flat_hash_map<std::string, std::vector<FilterTerm::Op>>& allowed) {
  absl::flat_hash_set<std::string> equal_keys;
  for (const FilterTerm& term : terms) {
    const ErrorMetadata metadata = {{"field", term.key}};
    if (term.op == FilterTerm::Op::kEq && !equal_keys.insert(term.key).second) {
      return FilterError(absl::StrFormat("field \"%s\" is compared with = more than once; "
                                         "a filter may give one value per field",
                                         term.key),
                         metadata);
    }
    auto it = allowed.find(term.key);
    if (it == allowed.end()) {
      if (allowed.empty()) {
        return FilterError(absl::StrFormat("this method does not support filtering, but "
                                           "the filter uses \"%s\"; send an empty filter",
                                           term.key),
                           metadata);
      }
      std::vector<std::string> keys;
      keys.reserve(allowed.size());
      for (const auto& [key, ops] : allowed) keys.push_back(key);
      std::sort(keys.begin(), keys.end());
      return FilterError(absl::StrFormat("unknown field \"%s\"; supported fields: %s", term.key,
                                         absl::StrJoin(keys, ", ")),
                         metadata);
    }
    const std::vector<FilterTerm::Op>& ops = it->second;
    if (std::find(ops.begin(), ops.end(), term.op) == ops.end()) {
      std::vector<FilterTerm::Op> sorted = ops;
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      return FilterError(absl::StrFormat("field \"%s\" does not support the operator %s; use %s",
                                         term.key, FilterOpString(term.op),
                                         absl::StrJoin(sorted, ", ",
                                                       [](std::string* out, FilterTerm::Op op) {
                                                         absl::StrAppend(out, FilterOpString(op));
                                                       })),
                         metadata);
    }
  }
  return absl::OkStatus();
}

namespace {

// "AssignmentState" -> "ASSIGNMENT_STATE_".
std::string EnumValuePrefix(absl::string_view type_name) {
  std::string prefix;
  for (size_t i = 0; i < type_name.size(); ++i) {
    const char c = type_name[i];
    if (absl::ascii_isupper(static_cast<unsigned char>(c)) && i > 0) prefix.push_back('_');
    prefix.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  prefix.push_back('_');
  return prefix;
}

}  // namespace

absl::StatusOr<int> ParseEnumValue(const google::protobuf::EnumDescriptor* desc,
                                   absl::string_view key, absl::string_view value) {
  if (desc == nullptr) {
    return absl::InternalError(
        absl::StrCat("ParseEnumValue: no enum descriptor for filter field ", key));
  }
  const std::string prefix = EnumValuePrefix(desc->name());
  auto short_name = [&prefix](const std::string& full) -> absl::string_view {
    absl::string_view name = full;
    absl::ConsumePrefix(&name, prefix);
    return name;
  };

  const std::string upper = absl::AsciiStrToUpper(value);
  const google::protobuf::EnumValueDescriptor* found = nullptr;
  if (!upper.empty()) {
    found = desc->FindValueByName(prefix + upper);
    if (found == nullptr) found = desc->FindValueByName(upper);
  }
  if (found != nullptr && found->number() != 0) return found->number();

  std::vector<absl::string_view> valid;
  for (int i = 0; i < desc->value_count(); ++i) {
    if (desc->value(i)->number() != 0) valid.push_back(short_name(desc->value(i)->name()));
  }
  const std::string valid_list = absl::StrJoin(valid, ", ");
  if (found != nullptr) {
    return FilterError(absl::StrFormat("%s cannot be %s; use one of %s", key,
                                       short_name(found->name()), valid_list),
                       {{"field", std::string(key)}});
  }
  return FilterError(absl::StrFormat("%s must be one of %s; got %s", key, valid_list, Quote(value)),
                     {{"field", std::string(key)}});
}

}  // namespace d06
