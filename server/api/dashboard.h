// The province dashboard's files (server/api/dashboard/), compiled into d06d and served by
// the HTTP transport at "/": one page that calls only the public Connect API.
#ifndef D06_SERVER_API_DASHBOARD_H_
#define D06_SERVER_API_DASHBOARD_H_

#include "absl/strings/string_view.h"

namespace d06::api {

struct DashboardFile {
  absl::string_view path;          // e.g. "index.html"
  absl::string_view content_type;  // e.g. "text/html; charset=utf-8"
  absl::string_view content;
};

// The file at URL path `path` (without the leading "/"; "" is "index.html"), or null.
const DashboardFile* FindDashboardFile(absl::string_view path);

}  // namespace d06::api

#endif  // D06_SERVER_API_DASHBOARD_H_
