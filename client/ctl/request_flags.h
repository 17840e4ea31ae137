// Request messages from command-line arguments, for any request type of any pool: the
// generated commands of d06ctl take their flags from the request's fields.
//
//   POSITIONAL           the request's `name` or `parent` (PositionalField, catalog.h)
//   --field VALUE        also --field=VALUE; field names as in the .proto (or with '-')
//   --a.b.c VALUE        a field of a nested message, by its dotted path
//   --list V1 --list V2  a repeated scalar or enum field, one value per flag
//   --flag, --flag=false a bool
//   enums                by value name, with or without the enum's prefix, any case:
//                        PROVINCE, province, UNIT_KIND_PROVINCE (or the number)
//   d06.v1.Date          dd/MM/yyyy or yyyy-MM-dd ("" clears it)
//   Timestamp            RFC 3339, e.g. 2025-07-01T08:00:00+07:00
//   Duration             e.g. 1.5s
//   FieldMask            comma-separated paths, e.g. display_name,valid_to
//   --json '{...}'       a whole request as proto JSON (also --json @FILE, --json @- for
//                        stdin), applied first; flags then override its fields (a repeated
//                        field given by flag replaces the JSON's list)
// A message field also takes proto JSON: --principal.bindings='[{"role": ..., "unit": ...}]'
// (a list; or one object per flag, appended), --task.directive='{"number": "52/KH"}'.
// Map fields can be set only through --json.
//
// Errors are usage errors (INVALID_ARGUMENT) whose message names the flag and what it
// accepts, e.g. `--unit.kind: "PROVINCEE" is not one of MINISTRY, PROVINCE, ...`.
// Pure functions; thread-safe.
#ifndef D06_CLIENT_CTL_REQUEST_FLAGS_H_
#define D06_CLIENT_CTL_REQUEST_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace d06::ctl {

// Fills `request` (cleared first) from `args` (the words after the command).
absl::Status BuildRequest(const std::vector<std::string>& args, google::protobuf::Message* request);

// Sets one field from text as a flag would (for repeated fields: adds one value).
// `flag` names it in errors.
absl::Status SetFieldFromText(absl::string_view flag, absl::string_view text,
                              const google::protobuf::FieldDescriptor& field,
                              google::protobuf::Message* message);

// The flags of `request` ("--task.title", ...): every path FlagsHelp lists.
std::vector<std::string> FlagNames(const google::protobuf::Descriptor& request);

// The help text of the flags of `request`: each settable path with its value kind and
// the field's .proto comment; fields commented "Output only" (but `name`) are left out.
std::string FlagsHelp(const google::protobuf::Descriptor& request);

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_REQUEST_FLAGS_H_
