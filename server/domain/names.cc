#include "server/domain/names.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/unit_code.h"
#include "d06/v1/api_names.h"
#include "server/domain/errors.h"
#include "server/domain/text.h"

namespace d06 {
namespace {

absl::Status InvalidName(absl::string_view field, absl::string_view name,
                         absl::string_view expected) {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidName,
               absl::StrCat(field, " must be a name of the form ", expected, "; got ", Quote(name)),
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
    return InvalidField(field, absl::StrCat(field,
                                            " must be a unit code of 0-9, A-Z and dots, "
                                            "at most 35 characters (e.g. \"G01\" or "
                                            "\"H29.15\"); this one ",
                                            why, ": ", Quote(code)));
  };
  switch (CheckUnitCode(code)) {
    case UnitCodeProblem::kNone:
      return absl::OkStatus();
    case UnitCodeProblem::kEmpty:
      return InvalidField(field, absl::StrCat(field, " is required"));
    case UnitCodeProblem::kTooLong:
      return invalid(absl::StrCat("is ", code.size(), " characters long"));
    case UnitCodeProblem::kBadCharacter:
      return invalid("has a character other than 0-9, A-Z or a dot");
    case UnitCodeProblem::kBadDots:
      return invalid("has a dot at an end or two dots in a row");
  }
  return absl::OkStatus();
}

namespace {

// The actor named by the value of metadata `key`, checked.
absl::StatusOr<std::string> CheckActor(absl::string_view key, absl::string_view value) {
  constexpr size_t kMaxActorBytes = 200;
  auto invalid = [&](absl::string_view why) {
    return InvalidField(key, absl::StrCat("the ", key,
                                          " metadata must be at most 200 bytes of UTF-8 "
                                          "without control characters; this one ",
                                          why));
  };
  if (value.size() > kMaxActorBytes) {
    return invalid(absl::StrCat("is ", value.size(), " bytes long"));
  }
  if (!IsValidUtf8(value)) return invalid("is not UTF-8");
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    // C0 controls and DEL; C1 controls are U+0080..U+009F, encoded C2 80..C2 9F.
    const bool c1 =
        c == 0xC2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) < 0xA0;
    if (c < 0x20 || c == 0x7F || c1) {
      return invalid(absl::StrCat("has the control character at byte ", i));
    }
  }
  return std::string(value);
}

}  // namespace

absl::StatusOr<std::string> ActorFromMetadata(const absl::string_view* value) {
  return ActorFromMetadata(value, nullptr);
}

absl::StatusOr<std::string> ActorFromMetadata(const absl::string_view* text,
                                              const absl::string_view* binary) {
  const bool has_text = text != nullptr && !text->empty();
  const bool has_binary = binary != nullptr && !binary->empty();
  if (!has_text && !has_binary) return std::string("anonymous");
  if (has_text && has_binary) {
    absl::StatusOr<std::string> actor = CheckActor(v1::kActorMetadataKey, *text);
    if (!actor.ok()) return actor;
    if (absl::Status s = CheckActor(v1::kActorBinMetadataKey, *binary).status(); !s.ok()) {
      return s;
    }
    if (*text != *binary) {
      return InvalidField(
          v1::kActorMetadataKey,
          absl::StrCat(v1::kActorMetadataKey, " and ", v1::kActorBinMetadataKey,
                       " must name the same actor (send it once: in ", v1::kActorBinMetadataKey,
                       " when it is not ASCII); these name ", Quote(*text), " and ",
                       Quote(*binary)));
    }
    return actor;
  }
  return has_text ? CheckActor(v1::kActorMetadataKey, *text)
                  : CheckActor(v1::kActorBinMetadataKey, *binary);
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

absl::StatusOr<AssignmentId> ParseAssignmentName(absl::string_view field, absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  AssignmentId id;
  if (parts.size() != 4 || parts[0] != "tasks" || !ParseId(parts[1], &id.task_id) ||
      parts[2] != "assignments" || !ValidateUnitCode(field, parts[3]).ok()) {
    return InvalidName(field, name,
                       "tasks/{id}/assignments/{unit code}, e.g. "
                       "tasks/12/assignments/H29.15");
  }
  id.unit_code = std::string(parts[3]);
  return id;
}

}  // namespace d06
