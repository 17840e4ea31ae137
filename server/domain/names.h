// Resource names of the d06 API: "units/{code}", "tasks/{id}",
// "tasks/{id}/assignments/{code}". Parsers return INVALID_ARGUMENT (reason INVALID_NAME)
// naming the field and the expected form.
#ifndef D06_SERVER_DOMAIN_NAMES_H_
#define D06_SERVER_DOMAIN_NAMES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace d06 {

// Checks an electronic identifier (mã định danh điện tử): 1..35 characters of 0-9, A-Z
// and dots, no leading, trailing or doubled dot. INVALID_ARGUMENT naming `field`.
absl::Status ValidateUnitCode(absl::string_view field, absl::string_view code);

std::string UnitName(absl::string_view code);
std::string TaskName(uint64_t id);
std::string AssignmentName(uint64_t task_id, absl::string_view unit_code);

// "units/H29" -> "H29".
absl::StatusOr<std::string> ParseUnitName(absl::string_view field, absl::string_view name);
// "tasks/12" -> 12.
absl::StatusOr<uint64_t> ParseTaskName(absl::string_view field, absl::string_view name);

// The actor recorded for a call, from the value of its x-d06-actor metadata (null when
// absent): absent or empty is "anonymous"; otherwise at most 200 bytes of UTF-8 without
// control characters (it is written into the audit history and shown to people), else
// INVALID_ARGUMENT naming the field "x-d06-actor".
absl::StatusOr<std::string> ActorFromMetadata(const absl::string_view* value);

// As above, from both keys a call may name its actor with (d06/v1/api_names.h):
// x-d06-actor (`text`) and x-d06-actor-bin (`binary`, the decoded bytes), each null when
// absent; an empty value counts as absent. Each is checked as above (an error names the
// key that carried the bad value); sent with both, they must be equal, else
// INVALID_ARGUMENT naming both (field "x-d06-actor"): a conflict is refused rather than
// one key silently winning.
absl::StatusOr<std::string> ActorFromMetadata(const absl::string_view* text,
                                              const absl::string_view* binary);

struct AssignmentId {
  uint64_t task_id;
  std::string unit_code;
};
// "tasks/12/assignments/H29.15" -> {12, "H29.15"}.
absl::StatusOr<AssignmentId> ParseAssignmentName(absl::string_view field, absl::string_view name);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_NAMES_H_
