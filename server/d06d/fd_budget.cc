#include "server/d06d/fd_budget.h"

#include <sys/resource.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace d06 {

absl::StatusOr<FdBudget> PlanFdBudget(int64_t limit, int grpc_connections, int http_connections,
                                      bool http) {
  if (grpc_connections < 0 || http_connections < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grpc_max_connections and --http_max_connections must be 0 (chosen from the "
                     "open-files limit) or more, not ",
                     grpc_connections, " and ", http_connections));
  }
  FdBudget budget;
  budget.limit = limit;
  budget.store_table_files = static_cast<int>(std::clamp<int64_t>(limit / 8, 32, 1024));
  const int64_t fixed = kReservedFiles + kStoreOverhead + budget.store_table_files;
  const int64_t smallest = fixed + 16 + (http ? 4 : 0);
  if (limit < smallest) {
    return absl::FailedPreconditionError(
        absl::StrCat("the open-files limit is ", limit, ", too low for d06d: it needs at least ",
                     smallest, " (raise it with ulimit -n, or LimitNOFILE= in the systemd unit)"));
  }
  const int64_t left = limit - fixed;
  if (!http) http_connections = 0;
  if (grpc_connections + static_cast<int64_t>(http_connections) > left) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--grpc_max_connections=", grpc_connections, " and --http_max_connections=",
        http_connections, " do not fit in the open-files limit ", limit, ": after the store (",
        kStoreOverhead + budget.store_table_files, ") and a reserve (", kReservedFiles,
        ") it leaves ", left, " for connections; raise the limit or lower the caps"));
  }
  int64_t grpc = grpc_connections, web = http_connections;
  if (grpc == 0) {
    grpc = std::min<int64_t>(kDefaultGrpcConnections,
                             web > 0 ? left - web : (http ? left * 3 / 4 : left));
  }
  if (http && web == 0) web = std::min<int64_t>(kDefaultHttpConnections, left - grpc);
  if (grpc < 1 || (http && web < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grpc_max_connections=", grpc_connections,
                     " and --http_max_connections=", http_connections,
                     " leave no connection to the other port within the open-files limit ", limit));
  }
  budget.grpc_connections = static_cast<int>(grpc);
  budget.http_connections = static_cast<int>(web);
  return budget;
}

int64_t RaiseFileLimit() {
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) return 0;
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &files);
  }
  return FileLimit();
}

int64_t FileLimit() {
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) return 0;
  return files.rlim_cur == RLIM_INFINITY ? int64_t{1} << 20 : static_cast<int64_t>(files.rlim_cur);
}

}  // namespace d06
