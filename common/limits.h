// Limits of every client-supplied value, in one place. Text limits count characters
// (code points, after NFC normalisation); the API documents each in its proto comment.
#ifndef D06_SERVER_DOMAIN_LIMITS_H_
#define D06_SERVER_DOMAIN_LIMITS_H_

#include <cstddef>

namespace d06 {

// Limits, in characters (code points).
inline constexpr size_t kMaxUnitName = 300;
inline constexpr size_t kMaxTitle = 500;
inline constexpr size_t kMaxContent = 10000;
inline constexpr size_t kMaxCategory = 200;
inline constexpr size_t kMaxDirectiveNumber = 100;
inline constexpr size_t kMaxDirectiveSummary = 2000;
inline constexpr size_t kMaxIssuer = 300;
inline constexpr size_t kMaxLabel = 100;
inline constexpr int kMaxLabels = 20;
inline constexpr size_t kMaxKpiDescription = 500;
inline constexpr size_t kMaxReason = 2000;
inline constexpr size_t kMaxQuery = 200;
inline constexpr size_t kMaxRequestId = 36;
// Levels of the unit tree, a root unit (a ministry, a province) being level 1. Vietnam's
// tree has five or six (central government, ministry or province, department or
// district, its offices, commune); CreateUnit refuses a unit below level 12, and every
// walk up the tree (report counters, unit_tree filters, the change feed) stops there.
inline constexpr int kMaxUnitDepth = 12;
// Assignments created with a task in one CreateTask.
inline constexpr int kMaxInitialAssignments = 100;

// Pagination: default and maximum page sizes, and how many index entries one page may
// read before it returns a partial page (so a page's cost is bounded even when a filter
// matches little of the index it scans).
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kScanBudget = 20000;
// A list page stops adding items once their encoded size reaches this many bytes, so
// that a page of the largest items (a task's content may be 10,000 characters) stays far
// below gRPC's default 4 MiB receive limit, also as Connect JSON.
inline constexpr size_t kMaxPageBytes = size_t{512} << 10;
// Tokens this server issues are far shorter; a longer one is refused unread.
inline constexpr size_t kMaxPageTokenBytes = 1024;

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_LIMITS_H_
