// d06::api::AccessLog: one log line per call (common/log.h LogCall), as the method table's
// call point sees it end: method, code, duration, principal, request_id, peer and bytes.
// Never the credential or the request's content. Refused calls are logged too (principal
// empty when authentication refused them).
//
//   api::AccessLog access_log;
//   table->add_observer(&access_log);
#ifndef D06_SERVER_API_ACCESS_LOG_H_
#define D06_SERVER_API_ACCESS_LOG_H_

#include "server/api/method_table.h"

namespace d06::api {

class AccessLog final : public CallObserver {
 public:
  void CallEnded(const CallRecord& record) override;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_ACCESS_LOG_H_
