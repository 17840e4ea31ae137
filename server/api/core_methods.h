// The method table of d06's services (d06.v1.UnitService, TaskService, ReportService)
// over a Core: one line per RPC, each a thin binding of the request to a core operation.
#ifndef D06_SERVER_API_CORE_METHODS_H_
#define D06_SERVER_API_CORE_METHODS_H_

#include <memory>

#include "server/api/method_table.h"
#include "server/api/stream_workers.h"
#include "server/core/core.h"

namespace d06::api {

// Every method of the services; `core` and `streams` (where streaming methods run) must
// outlive the table.
std::unique_ptr<MethodTable> NewCoreMethodTable(Core* core, StreamWorkers* streams);

}  // namespace d06::api

#endif  // D06_SERVER_API_CORE_METHODS_H_
