// Validation and normalisation of what clients send: request ids, text fields, enums,
// dates, whole units and tasks, and update masks. Pure functions; every error is
// INVALID_ARGUMENT naming the field (server/domain/errors.h) and saying what to fix.
#ifndef D06_SERVER_DOMAIN_VALIDATION_H_
#define D06_SERVER_DOMAIN_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"

namespace d06 {

// At most 36 printable ASCII characters without spaces (e.g. a UUID); empty is allowed.
absl::Status ValidateRequestId(absl::string_view request_id);

// INVALID_FIELD "<field> is required".
absl::Status Required(absl::string_view field);

// Normalises a text field in place (NormalizeField: UTF-8, NFC, trimmed, no control
// characters, at most `max_chars`); a required field must not end up empty.
absl::Status NormalizeText(absl::string_view field, std::string* value, size_t max_chars,
                           bool required);

// A required enum field: set (not *_UNSPECIFIED) and a known value.
absl::Status CheckRequiredEnum(absl::string_view field, int value, bool (*is_valid)(int));

// `to` is not before `from` when both are set.
absl::Status ValidateDateRange(absl::string_view field, const v1::Date& from, const v1::Date& to);

// An administrative-unit code: empty, or 2, 3 or 5 digits (INVALID_FIELD naming `field`).
absl::Status ValidateAdminCode(absl::string_view field, absl::string_view code);

// Normalises and checks the client-settable fields of a unit / a task in place.
absl::Status PrepareUnitFields(v1::Unit* unit);
absl::Status PrepareTaskFields(v1::Task* task);

// Checks an update mask against the paths an update may set; names what is wrong.
absl::Status CheckUpdateMask(absl::string_view resource, const google::protobuf::FieldMask& mask,
                             const std::vector<std::string>& settable,
                             const google::protobuf::Descriptor* descriptor);

// Replaces each masked top-level field of *to with its value in `from` (absent or empty
// in `from` clears it). Paths must have passed CheckUpdateMask.
void ApplyMask(const google::protobuf::Message& from, const google::protobuf::FieldMask& mask,
               google::protobuf::Message* to);

// The reason of a transition or cancellation (required for some actions).
absl::Status ValidateReason(std::string* reason, bool required);

// A measured KPI value for `task`: the task has a KPI target and the value is one its type
// allows (percent 0..100, yes/no 0 or 1, a ratio's numerator up to the denominator, a
// number >= 0). INVALID_FIELD naming `field` otherwise.
absl::Status ValidateKpiValue(absl::string_view field, const v1::Task& task, double value);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_VALIDATION_H_
