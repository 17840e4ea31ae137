// The gRPC transport: serves a MethodTable (server/api/method_table.h) with gRPC's
// callback API. Each method is served from the raw request bytes, parsed by
// server/api/wire.h, so that a string that is not UTF-8 is INVALID_ARGUMENT naming the
// field (gRPC would answer UNIMPLEMENTED when its own parse fails). A unary write is
// answered from the store's writer thread once durable; a server-streaming method writes
// through a reactor that holds at most a few messages (the handler's Write blocks
// beyond that). No thread of gRPC's blocks.
#ifndef D06_SERVER_API_GRPC_SERVICES_H_
#define D06_SERVER_API_GRPC_SERVICES_H_

#include <memory>
#include <vector>

#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/impl/service_type.h"
#include "server/api/method_table.h"

namespace d06::api {

// One grpc::Service per service of `table`, which must outlive them. Register each with
// a grpc::ServerBuilder.
std::vector<std::unique_ptr<grpc::Service>> NewGrpcServices(const MethodTable& table);

// The benchmark's ceiling of the write path (d06d --benchmark_pipeline): writes one
// small key through the store's writer, group commit and WAL sync, then calls `done`.
using PipelineWrite = std::function<void(std::function<void(absl::Status)> done)>;
// Its method: any request bytes, an empty answer once the write is durable.
inline constexpr char kPipelineWriteMethod[] = "/d06.bench.Pipeline/Write";

// What answers a call of a method no registered service has: UNIMPLEMENTED, as gRPC
// would, told to the table's observers (Refusal::kUnknownMethod); with `pipeline_write`,
// also kPipelineWriteMethod. Register it with
// grpc::ServerBuilder::RegisterCallbackGenericService; `table` must outlive it.
std::unique_ptr<grpc::CallbackGenericService> NewUnknownMethodService(
    const MethodTable& table, PipelineWrite pipeline_write = nullptr);

}  // namespace d06::api

#endif  // D06_SERVER_API_GRPC_SERVICES_H_
