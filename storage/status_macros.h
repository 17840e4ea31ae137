// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status code (Abseil 20220623 has none).
//
//   RETURN_IF_ERROR(store.Check());
//   ASSIGN_OR_RETURN(auto task, LoadTask(id));
#ifndef D06_STORAGE_STATUS_MACROS_H_
#define D06_STORAGE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define D06_CONCAT_INNER(a, b) a##b
#define D06_CONCAT(a, b) D06_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status d06_status_ = (expr);       \
    if (!d06_status_.ok()) return d06_status_; \
  } while (0)

#define D06_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  D06_ASSIGN_OR_RETURN_IMPL(D06_CONCAT(d06_statusor_, __LINE__), lhs, expr)

#endif  // D06_STORAGE_STATUS_MACROS_H_
