#include "server/api/grpc_status.h"

#include <string>

#include "absl/strings/numbers.h"
#include "d06/v1/api_names.h"
#include "d06/v1/common.pb.h"
#include "google/protobuf/duration.pb.h"
#include "server/domain/errors.h"

namespace d06 {

std::string RetryInfoBytes(int64_t retry_after_ms) {
  // google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1; }, encoded by hand:
  // the google/rpc protos are not compiled into d06 (Debian ships no C++ build of them).
  google::protobuf::Duration delay;
  delay.set_seconds(retry_after_ms / 1000);
  delay.set_nanos(static_cast<int32_t>(retry_after_ms % 1000) * 1000000);
  const std::string duration = delay.SerializeAsString();  // at most 17 bytes
  std::string out;
  out.push_back('\x0a');  // field 1, length-delimited
  out.push_back(static_cast<char>(duration.size()));
  out += duration;
  return out;
}

int64_t RetryAfterMs(const v1::ErrorInfo& info) {
  auto it = info.metadata().find(v1::kRetryAfterMsKey);
  int64_t ms = 0;
  if (it == info.metadata().end() || !absl::SimpleAtoi(it->second, &ms) || ms < 0) return 0;
  return ms;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  v1::ErrorStatus details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  const v1::ErrorInfo info = ErrorInfoOf(status);
  details.add_details()->PackFrom(info);
  if (const int64_t retry_ms = RetryAfterMs(info); retry_ms > 0) {
    google::protobuf::Any* retry = details.add_details();
    retry->set_type_url(v1::kRetryInfoTypeUrl);
    retry->set_value(RetryInfoBytes(retry_ms));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details.SerializeAsString());
}

}  // namespace d06
