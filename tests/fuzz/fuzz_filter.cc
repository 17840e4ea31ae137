// The filter grammar (server/domain/filter.h) of every List method and of GetSummary:
// whatever the text, ParseFilter returns terms or INVALID_ARGUMENT, and the terms pass
// through the checks the methods make. Dictionary: tests/fuzz/filter.dict.
#include <cstdint>
#include <cstdlib>

#include "server/domain/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using Op = d06::FilterTerm::Op;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<d06::FilterTerm>> terms = d06::ParseFilter(text);
  if (!terms.ok()) {
    if (!absl::IsInvalidArgument(terms.status())) std::abort();
    return 0;
  }
  const std::vector<Op> all = {Op::kEq, Op::kNe, Op::kLt, Op::kLe, Op::kGt, Op::kGe};
  const absl::Status checked = d06::CheckFilterTerms(
      *terms, {{"state", all}, {"deadline", all}, {"unit", {Op::kEq}}, {"label", {Op::kEq}}});
  if (!checked.ok() && !absl::IsInvalidArgument(checked)) std::abort();
  return 0;
}
