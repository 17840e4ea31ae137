#include "server/errors.h"

#include "absl/strings/cord.h"

namespace d06 {

absl::Status Error(absl::StatusCode code, absl::string_view reason,
                   absl::string_view message, const ErrorMetadata& metadata) {
  absl::Status status(code, message);
  v1::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, "INVALID_FIELD", message,
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
