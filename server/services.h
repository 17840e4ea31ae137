// The gRPC services: thin adapters that read the caller from metadata, call d06::Core and
// map its status (server/grpc_status.h).
//
// Every method is served from the raw request bytes, parsed by server/wire.h, so that a
// request with a string that is not UTF-8 is INVALID_ARGUMENT naming the field instead of
// the UNIMPLEMENTED gRPC gives when its own parse fails. Callback API: a mutation's call is
// answered from the store's writer thread once the change is durable; no thread blocks.
#ifndef D06_SERVER_SERVICES_H_
#define D06_SERVER_SERVICES_H_

#include <memory>

#include "d06/v1/api_names.h"
#include "grpcpp/impl/service_type.h"
#include "server/core/core.h"

namespace d06 {

// The request metadata key naming the actor until authentication exists.
using v1::kActorMetadataKey;

// d06.v1.UnitService and d06.v1.TaskService over `core`, which must outlive them.
std::unique_ptr<grpc::Service> NewUnitService(Core* core);
std::unique_ptr<grpc::Service> NewTaskService(Core* core);

}  // namespace d06

#endif  // D06_SERVER_SERVICES_H_
