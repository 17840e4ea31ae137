// Parsing requests from the wire, with errors that name the field at fault.
//
// The protobuf runtime refuses a proto3 `string` field that is not UTF-8 while it parses,
// and gRPC would answer such a call UNIMPLEMENTED with an empty message before any d06 code
// runs. The gRPC services therefore take the raw bytes and parse them here: a request that
// does not parse is INVALID_ARGUMENT, naming the first string field that is not UTF-8
// (reason INVALID_FIELD, e.g. "task.labels[2] is not valid UTF-8"), or, when the bytes are
// not a protobuf message at all, reason MALFORMED_REQUEST.
#ifndef D06_SERVER_API_WIRE_H_
#define D06_SERVER_API_WIRE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace d06 {

// Parses `bytes` into `request` (cleared first; left cleared on error). Strings are
// checked for UTF-8 before parsing, so the protobuf runtime never logs a refusal.
absl::Status ParseRequest(absl::string_view bytes, google::protobuf::Message* request);

// The path of the first string field in `bytes`, an encoded `type`, that is not valid
// UTF-8, e.g. "task.title" or "task.labels[2]"; empty when there is none or the bytes do
// not decode.
std::string FindInvalidUtf8Field(const google::protobuf::Descriptor& type, absl::string_view bytes);

}  // namespace d06

#endif  // D06_SERVER_API_WIRE_H_
