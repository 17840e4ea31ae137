// Errors with a machine-readable reason (AIP-193 ErrorInfo style).
//
// Every error d06 returns carries an UPPER_SNAKE_CASE reason that clients switch on, kept
// as a d06.v1.ErrorInfo payload of the absl::Status; server/api/grpc_status.h turns it into
// gRPC status details. Example:
//
//   return d06::Error(absl::StatusCode::kFailedPrecondition, v1::reason::kUnitNotActive,
//                     "unit units/H29 is merged; assign to its successor",
//                     {{"unit", "units/H29"}});
#ifndef D06_SERVER_DOMAIN_ERRORS_H_
#define D06_SERVER_DOMAIN_ERRORS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "d06/v1/api_names.h"
#include "d06/v1/common.pb.h"

namespace d06 {

// The ErrorInfo domain and payload type URL are shared with clients (d06/v1/api_names.h).
inline constexpr absl::string_view kErrorDomain = v1::kErrorDomain;
inline constexpr absl::string_view kErrorInfoTypeUrl = v1::kErrorInfoTypeUrl;

using ErrorMetadata = std::vector<std::pair<std::string, std::string>>;

// A status with `code`, `message` and an ErrorInfo{reason, metadata}. A message longer
// than 1000 bytes or a metadata value longer than 200 is cut short (Excerpt), so that an
// error echoing a huge input still fits in gRPC's trailers.
absl::Status Error(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                   const ErrorMetadata& metadata = {});

// INVALID_ARGUMENT, reason INVALID_FIELD, metadata {"field": field}; the message says
// what to fix, e.g. InvalidField("task.title", "task.title is required").
absl::Status InvalidField(absl::string_view field, absl::string_view message);

// `text` (as ToValidUtf8 makes it) if it has at most `max_bytes` bytes, else its longest
// prefix of whole UTF-8 characters within `max_bytes`, followed by "…".
std::string Excerpt(absl::string_view text, size_t max_bytes);

// `value` in double quotes, cut to an excerpt of at most 64 bytes: for echoing client
// input in an error message. Messages state the rule first and the value last, so a huge
// value never pushes what to fix out of the (length-capped) message.
std::string Quote(absl::string_view value);

// The ErrorInfo of `status`; a status without one gets the reason of its code name
// (e.g. "INTERNAL") so every error has a reason.
v1::ErrorInfo ErrorInfoOf(const absl::Status& status);

// Shorthand for ErrorInfoOf(status).reason().
std::string ErrorReason(const absl::Status& status);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_ERRORS_H_
