// The method table of d06's services (d06.v1.UnitService, TaskService, ReportService,
// EventService, AccessService, AdminService) over a Core: one line per RPC, each a thin binding of
// the request to a core operation.
#ifndef D06_SERVER_API_CORE_METHODS_H_
#define D06_SERVER_API_CORE_METHODS_H_

#include <memory>

#include "absl/time/time.h"
#include "server/api/method_table.h"
#include "server/api/stream_workers.h"
#include "server/core/core.h"
#include "server/core/watch_hub.h"

namespace d06::api {

// Where the table's streaming methods run: exports on `exports`, watches of the change
// feed (served by `hub`) on `watches`. Each limits how many run at once.
// An export whose client has taken nothing for `stall_timeout` is cancelled.
struct StreamRunners {
  StreamWorkers* exports;
  WatchHub* hub;
  StreamWorkers* watches;
  absl::Duration stall_timeout = absl::Seconds(30);
};

// Every method of the services; `core` and the runners must outlive the table.
std::unique_ptr<MethodTable> NewCoreMethodTable(Core* core, const StreamRunners& runners);

}  // namespace d06::api

#endif  // D06_SERVER_API_CORE_METHODS_H_
