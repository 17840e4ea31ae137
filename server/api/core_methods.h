// The method table of d06's services (d06.v1.UnitService, d06.v1.TaskService) over a
// Core: one line per RPC, each a thin binding of the request to a core operation.
#ifndef D06_SERVER_API_CORE_METHODS_H_
#define D06_SERVER_API_CORE_METHODS_H_

#include <memory>

#include "server/api/method_table.h"
#include "server/core/core.h"

namespace d06::api {

// Every method of UnitService and TaskService; `core` must outlive the table.
std::unique_ptr<MethodTable> NewCoreMethodTable(Core* core);

}  // namespace d06::api

#endif  // D06_SERVER_API_CORE_METHODS_H_
