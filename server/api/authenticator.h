// d06::api::Authenticator: decides who is calling, for MethodTable::Call and CallStream
// (the single entry point of every call), from what the transport received
// (CallContext: the authorization metadata, the client certificate, the peer's address,
// x-d06-impersonate).
#ifndef D06_SERVER_API_AUTHENTICATOR_H_
#define D06_SERVER_API_AUTHENTICATOR_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/domain/caller.h"

namespace d06::api {

struct CallContext;

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The caller of a call, or why it is refused: UNAUTHENTICATED with its reason
  // (d06/v1/api_names.h: CREDENTIAL_MISSING, TOKEN_*, CERTIFICATE_*, PRINCIPAL_DISABLED,
  // TOO_MANY_FAILURES), PERMISSION_DENIED/IMPERSONATION_DENIED, INVALID_ARGUMENT for
  // malformed metadata. Thread-safe.
  virtual absl::StatusOr<Caller> Authenticate(const CallContext& metadata) const = 0;
  // OK while the credential `caller` was authenticated with still holds (not revoked or
  // expired, its principal and any portal it came through still active); else the
  // UNAUTHENTICATED status a new call with it would get. For open streams.
  virtual absl::Status Recheck(const Caller& caller) const = 0;
  // Answers a call Authenticate refused with `status`: calls `answer(status)` at once, or
  // later (without holding the calling thread) to slow down a peer that keeps failing.
  virtual void Refuse(const CallContext& metadata, absl::Status status,
                      std::function<void(absl::Status)> answer) const {
    answer(std::move(status));
  }
};

}  // namespace d06::api

#endif  // D06_SERVER_API_AUTHENTICATOR_H_
