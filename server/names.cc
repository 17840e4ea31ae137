#include "server/names.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/errors.h"

namespace d06 {
namespace {

constexpr size_t kMaxUnitCodeLength = 35;

absl::Status InvalidName(absl::string_view field, absl::string_view name,
                         absl::string_view expected) {
  return Error(absl::StatusCode::kInvalidArgument, "INVALID_NAME",
               absl::StrCat(field, ": \"", name, "\" is not a valid name; expected ", expected),
               {{"field", std::string(field)}});
}

bool ParseId(absl::string_view text, uint64_t* id) {
  if (text.empty() || text.size() > 19 || text[0] == '0') return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(text, id) && *id > 0;
}

}  // namespace

absl::Status ValidateUnitCode(absl::string_view field, absl::string_view code) {
  auto invalid = [&](absl::string_view why) {
    return InvalidField(field, absl::StrCat(field, ": unit code \"", code, "\" ", why,
                                            " (expected e.g. \"G01\" or \"H29.15\": 0-9, A-Z "
                                            "and dots, at most 35 characters)"));
  };
  if (code.empty()) return InvalidField(field, absl::StrCat(field, " is required"));
  if (code.size() > kMaxUnitCodeLength) {
    return invalid(absl::StrCat("is ", code.size(), " characters long"));
  }
  for (char c : code) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '.')) {
      return invalid("has a character other than 0-9, A-Z or a dot");
    }
  }
  if (code.front() == '.' || code.back() == '.' || absl::StrContains(code, "..")) {
    return invalid("has a dot at an end or two dots in a row");
  }
  return absl::OkStatus();
}

std::string UnitName(absl::string_view code) { return absl::StrCat("units/", code); }
std::string TaskName(uint64_t id) { return absl::StrCat("tasks/", id); }
std::string AssignmentName(uint64_t task_id, absl::string_view unit_code) {
  return absl::StrCat("tasks/", task_id, "/assignments/", unit_code);
}

absl::StatusOr<std::string> ParseUnitName(absl::string_view field, absl::string_view name) {
  absl::string_view code = name;
  if (!absl::ConsumePrefix(&code, "units/") || !ValidateUnitCode(field, code).ok()) {
    return InvalidName(field, name, "units/{code}, e.g. units/H29.15");
  }
  return std::string(code);
}

absl::StatusOr<uint64_t> ParseTaskName(absl::string_view field, absl::string_view name) {
  absl::string_view rest = name;
  uint64_t id;
  if (!absl::ConsumePrefix(&rest, "tasks/") || !ParseId(rest, &id)) {
    return InvalidName(field, name, "tasks/{id}, e.g. tasks/12");
  }
  return id;
}

absl::StatusOr<AssignmentId> ParseAssignmentName(absl::string_view field,
                                                 absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  AssignmentId id;
  if (parts.size() != 4 || parts[0] != "tasks" || !ParseId(parts[1], &id.task_id) ||
      parts[2] != "assignments" || !ValidateUnitCode(field, parts[3]).ok()) {
    return InvalidName(field, name, "tasks/{id}/assignments/{unit code}, e.g. "
                                    "tasks/12/assignments/H29.15");
  }
  id.unit_code = std::string(parts[3]);
  return id;
}

}  // namespace d06
