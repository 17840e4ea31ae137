// How d06d shares its open-files limit: the store's files, a reserve for everything else,
// and the connection caps of the gRPC and HTTP ports (server/api/connection_cap.h), so
// that no number of connections can take the descriptors a write needs (a store that
// cannot open its next write-ahead log stops until restarted).
//
//   limit = reserve (kReservedFiles) + store (RocksDB's max_open_files + kStoreOverhead)
//         + gRPC connections + HTTP connections
//
// Caps given as 0 are chosen: what is left after the store and the reserve, three
// quarters to gRPC and one to HTTP, at most kDefaultGrpcConnections and
// kDefaultHttpConnections. The budget is one server's: a process running several (tests)
// gives each its own.
#ifndef D06_SERVER_D06D_FD_BUDGET_H_
#define D06_SERVER_D06D_FD_BUDGET_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace d06 {

// Descriptors kept for what is neither a store file nor a connection: standard streams,
// gRPC's and the HTTP server's pollers, timers and wake-ups, a plan being imported.
inline constexpr int kReservedFiles = 64;
// The store's files beyond its table files: write-ahead logs, MANIFEST, its log, lock,
// and the files a flush or compaction is writing.
inline constexpr int kStoreOverhead = 32;
inline constexpr int kDefaultGrpcConnections = 4096;
inline constexpr int kDefaultHttpConnections = 1024;

struct FdBudget {
  int64_t limit = 0;
  int store_table_files = 0;  // RocksDB's max_open_files
  int grpc_connections = 0;
  int http_connections = 0;  // 0 when there is no HTTP port
};

// The budget of `limit` descriptors with the caps asked for (0: chosen). INVALID_ARGUMENT
// naming the flags when the caps asked for do not fit, FAILED_PRECONDITION when the
// limit is too low for d06d at all (saying how to raise it).
absl::StatusOr<FdBudget> PlanFdBudget(int64_t limit, int grpc_connections, int http_connections,
                                      bool http);

// Raises this process's soft open-files limit to its hard limit; returns the soft limit
// now in force.
int64_t RaiseFileLimit();
// The soft open-files limit in force.
int64_t FileLimit();

}  // namespace d06

#endif  // D06_SERVER_D06D_FD_BUDGET_H_
