#include "server/api/access_log.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace d06::api {

void AccessLog::CallEnded(const CallRecord& record) {
  if (!log::CallLinesEnabled()) return;
  log::Call call;
  call.method = absl::StrCat("/", record.method->descriptor->service()->full_name(), "/",
                             record.method->descriptor->name());
  call.code = absl::StatusCodeToString(record.status.code());
  call.duration = record.duration;
  call.principal = record.principal;
  call.request_id = record.request_id;
  call.peer = record.peer;
  call.bytes_in = static_cast<int64_t>(record.bytes_in);
  call.bytes_out = static_cast<int64_t>(record.bytes_out);
  log::LogCall(call);
}

}  // namespace d06::api
