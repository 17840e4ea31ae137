#include "server/api/dashboard.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "server/api/dashboard_files.h"

namespace d06::api {
namespace {

absl::string_view ContentTypeOf(absl::string_view name) {
  if (absl::EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(name, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

const DashboardFile* FindDashboardFile(absl::string_view path) {
  static const std::vector<DashboardFile>* const files = [] {
    auto* out = new std::vector<DashboardFile>();
    for (const internal::EmbeddedFile& f : internal::DashboardFiles()) {
      out->push_back({f.name, ContentTypeOf(f.name), f.content});
    }
    return out;
  }();
  if (path.empty()) path = "index.html";
  for (const DashboardFile& file : *files) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

}  // namespace d06::api
