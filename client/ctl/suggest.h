// "Did you mean": the known word closest to a mistyped one, by edit distance (as git and
// kubectl suggest a command). Pure functions; thread-safe.
#ifndef D06_CLIENT_CTL_SUGGEST_H_
#define D06_CLIENT_CTL_SUGGEST_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace d06::ctl {

// The Levenshtein distance of `a` and `b` (bytes; insert, delete, substitute each 1).
int EditDistance(absl::string_view a, absl::string_view b);

// The candidate nearest to `word` if it is close enough to be a typo (at most a third of
// the word's length, and at least 1, edits; or `word` is a prefix of it), else "".
std::string ClosestMatch(absl::string_view word, const std::vector<std::string>& candidates);

// " (did you mean \"X\"?)" for the closest candidate, or "".
std::string DidYouMean(absl::string_view word, const std::vector<std::string>& candidates);

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_SUGGEST_H_
