// The one place an absl::Status becomes a grpc::Status: same code and message, and the
// status's ErrorInfo (server/domain/errors.h) in the grpc-status-details-bin trailer as a
// d06.v1.ErrorStatus (google.rpc.Status on the wire).
#ifndef D06_SERVER_API_GRPC_STATUS_H_
#define D06_SERVER_API_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace d06 {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace d06

#endif  // D06_SERVER_API_GRPC_STATUS_H_
