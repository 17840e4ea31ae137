// The one place an absl::Status becomes a grpc::Status: same code and message, and the
// status's ErrorInfo (server/domain/errors.h) in the grpc-status-details-bin trailer as a
// d06.v1.ErrorStatus (google.rpc.Status on the wire); an error whose ErrorInfo says
// "retry_after_ms" (RATE_LIMITED) also carries a google.rpc.RetryInfo with that delay.
#ifndef D06_SERVER_API_GRPC_STATUS_H_
#define D06_SERVER_API_GRPC_STATUS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "d06/v1/common.pb.h"
#include "grpcpp/support/status.h"

namespace d06 {

grpc::Status ToGrpcStatus(const absl::Status& status);

// The delay under "retry_after_ms" in `info`'s metadata; 0 when it has none.
int64_t RetryAfterMs(const v1::ErrorInfo& info);
// The bytes of a google.rpc.RetryInfo whose retry_delay is `retry_after_ms`.
std::string RetryInfoBytes(int64_t retry_after_ms);

}  // namespace d06

#endif  // D06_SERVER_API_GRPC_STATUS_H_
