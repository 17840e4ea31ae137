#include "server/domain/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/text.h"
#include "d06/v1/api_names.h"

namespace d06 {
namespace {

// An error travels in gRPC trailers, which clients cap (8 KiB by default): a message or
// metadata value that echoes a long input is cut short, never the whole error lost.
constexpr size_t kMaxMessageBytes = 1000;
constexpr size_t kMaxMetadataBytes = 200;

}  // namespace

std::string Excerpt(absl::string_view raw, size_t max_bytes) {
  // What an error echoes may be any bytes a client sent (a Host header, a field); the
  // error's message and metadata are UTF-8 strings.
  const std::string valid = ToValidUtf8(raw);
  const absl::string_view text = valid;
  if (text.size() <= max_bytes) return valid;
  size_t end = max_bytes;
  // Cut before a UTF-8 continuation byte's lead, never inside a character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat(text.substr(0, end), "…");
}

std::string Quote(absl::string_view value) { return absl::StrCat("\"", Excerpt(value, 64), "\""); }

absl::Status Error(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                   const ErrorMetadata& metadata) {
  absl::Status status(code, Excerpt(message, kMaxMessageBytes));
  v1::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (const auto& [key, value] : metadata) {
    (*info.mutable_metadata())[key] = Excerpt(value, kMaxMetadataBytes);
  }
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidField, message,
               {{"field", std::string(field)}});
}

v1::ErrorInfo ErrorInfoOf(const absl::Status& status) {
  v1::ErrorInfo info;
  if (auto payload = status.GetPayload(kErrorInfoTypeUrl);
      payload && info.ParseFromString(std::string(*payload))) {
    return info;
  }
  info.set_reason(absl::StatusCodeToString(status.code()));
  for (char& c : *info.mutable_reason()) {
    if (c == ' ') c = '_';
  }
  info.set_domain(std::string(kErrorDomain));
  return info;
}

std::string ErrorReason(const absl::Status& status) { return ErrorInfoOf(status).reason(); }

}  // namespace d06
