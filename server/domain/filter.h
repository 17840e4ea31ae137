// The `filter` of List requests: a small subset of AIP-160.
//
// Grammar (whitespace around operators is optional; the filter may have leading and
// trailing whitespace; an empty or all-whitespace filter has no terms):
//
//   filter := term ( WS "AND" WS term )*        -- AND is uppercase; no OR, NOT, ()
//   term   := key op value
//   key    := [a-z_][a-z0-9_]*
//   op     := "=" | "!=" | "<" | "<=" | ">" | ">="
//   value  := bare | quoted
//   bare   := [A-Za-z0-9_.:\-/]+                -- 2026-01-31, units/H29.15, IN_PROGRESS
//   quoted := '"' ( any char but '"' and '\' | '\"' | '\\' )* '"'   -- "Đề án \"06\""
//
// Example:
//   absl::StatusOr<std::vector<FilterTerm>> terms =
//       ParseFilter(R"(state = IN_PROGRESS AND deadline < 2026-01-31)");
//   // {{"state", kEq, "IN_PROGRESS"}, {"deadline", kLt, "2026-01-31"}}
//   using Op = FilterTerm::Op;
//   absl::Status s = CheckFilterTerms(*terms, {{"state", {Op::kEq}},
//                                              {"deadline", {Op::kLt, Op::kGe}}});
//   absl::StatusOr<int> state = ParseEnumValue(
//       d06::v1::AssignmentState_descriptor(), "state", (*terms)[0].value);
//
// Every error is INVALID_ARGUMENT with reason INVALID_FILTER. Values are returned as
// written (unescaped, not normalised); callers Fold() or parse them as the key needs.
//
// Thread-safety: all functions are pure and thread-safe.
#ifndef D06_SERVER_DOMAIN_FILTER_H_
#define D06_SERVER_DOMAIN_FILTER_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace d06 {

// One `key op value` comparison of a filter.
struct FilterTerm {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

  std::string key;  // e.g. "state"
  Op op = Op::kEq;
  std::string value;  // unquoted and unescaped, e.g. IN_PROGRESS or Đề án "06"
};

bool operator==(const FilterTerm& a, const FilterTerm& b);
inline bool operator!=(const FilterTerm& a, const FilterTerm& b) { return !(a == b); }

// The filter syntax of `op`: "=", "!=", "<", "<=", ">", ">=".
absl::string_view FilterOpString(FilterTerm::Op op);

// For test failure messages: state = "IN_PROGRESS".
std::ostream& operator<<(std::ostream& os, const FilterTerm& term);

// The longest filter accepted, in bytes.
inline constexpr size_t kMaxFilterBytes = 2000;

// Parses `filter` into its terms, in order. Errors (INVALID_ARGUMENT, reason
// INVALID_FILTER, metadata {"filter": filter}) name the 0-based position, counted in
// characters (code points), where something else was expected, e.g.
//   filter: expected an operator after "state" at position 6; use one of =, !=, <, <=, >, >=
absl::StatusOr<std::vector<FilterTerm>> ParseFilter(absl::string_view filter);

// Checks parsed terms against what a List method supports: `allowed` maps each
// supported key to its allowed operators. Unknown keys are rejected with a message
// listing the supported keys (sorted); a key used with an operator it does not support
// is rejected with a message listing its operators; a key compared with = twice
// (`label = "a" AND label = "b"`) is rejected: each key takes one value. Errors are
// INVALID_ARGUMENT, reason INVALID_FILTER, metadata {"field": key}.
absl::Status CheckFilterTerms(
    const std::vector<FilterTerm>& terms,
    const absl::flat_hash_map<std::string, std::vector<FilterTerm::Op>>& allowed);

// The number of the value of enum `desc` named by filter value `value` of term `key`.
// Accepts the short name (IN_PROGRESS) or the full name (ASSIGNMENT_STATE_IN_PROGRESS),
// ASCII case-insensitively; the short name is the full name without the enum's
// UPPER_SNAKE type name prefix. Rejects the UNSPECIFIED value (number 0) and unknown
// names with INVALID_FILTER (metadata {"field": key}) listing the valid short names in
// declaration order. `desc` must not be null.
absl::StatusOr<int> ParseEnumValue(const google::protobuf::EnumDescriptor* desc,
                                   absl::string_view key, absl::string_view value);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_FILTER_H_
