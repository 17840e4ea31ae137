// d06::CheckUnitCode: the one rule of what a unit code is ("H29", "H29.15"): 0-9, A-Z and
// dots, at most kMaxUnitCodeLength characters, no dot at either end or two in a row. The
// server's validation (server/domain/names.h) and d06ctl's import (client/ctl/csv_import.h)
// word their own messages from the answer.
#ifndef D06_COMMON_UNIT_CODE_H_
#define D06_COMMON_UNIT_CODE_H_

#include <cstddef>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace d06 {

inline constexpr size_t kMaxUnitCodeLength = 35;

enum class UnitCodeProblem { kNone, kEmpty, kTooLong, kBadCharacter, kBadDots };

inline UnitCodeProblem CheckUnitCode(absl::string_view code) {
  if (code.empty()) return UnitCodeProblem::kEmpty;
  if (code.size() > kMaxUnitCodeLength) return UnitCodeProblem::kTooLong;
  for (char c : code) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '.')) {
      return UnitCodeProblem::kBadCharacter;
    }
  }
  if (code.front() == '.' || code.back() == '.' || absl::StrContains(code, "..")) {
    return UnitCodeProblem::kBadDots;
  }
  return UnitCodeProblem::kNone;
}

}  // namespace d06

#endif  // D06_COMMON_UNIT_CODE_H_
