// d06::api::PrincipalAuthenticator: the Authenticator of d06d --auth=required. A call
// is authenticated by a bearer token ("authorization: Bearer d06_...", checked by
// Core::IdentifyToken) or else by a client certificate verified against the client CA
// (Options::verify_certificate) whose subject names a principal (Core::IdentifyCertificate).
// x-d06-actor is ignored. A PORTAL granted ROLE_IMPERSONATOR may name the principal it
// acts for in x-d06-impersonate(-bin) (Core::Impersonate); the call is then that
// principal's, with the portal recorded as `via`.
//
// Wrong credentials (a missing one guesses nothing and is refused at once) are counted
// per peer address (IPv4 address, IPv6 /64): from the 5th within a
// minute, the refusal is answered later (200 ms, doubling up to 2 s; on a timer thread,
// holding no transport thread), and a peer with 4 refusals already waiting is refused at
// once with TOO_MANY_FAILURES, without a lookup. The table keeps at most
// Options::max_peers addresses (then it forgets the quiet ones, and if all are busy does
// not track new ones), so that spraying addresses cannot grow memory. Failures are
// logged (common/log.h) without the credential, at most one line a peer every 10 s and 20
// lines a second in all. Valid credentials are never slowed.
//
// Thread-safe.
#ifndef D06_SERVER_API_PRINCIPAL_AUTHENTICATOR_H_
#define D06_SERVER_API_PRINCIPAL_AUTHENTICATOR_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/api/authenticator.h"
#include "server/api/delay_timer.h"
#include "server/api/method_table.h"
#include "server/core/core.h"

namespace d06::api {

class PrincipalAuthenticator final : public Authenticator {
 public:
  struct Options {
    // Verifies a client certificate (PEM chain, CallContext::client_certificate) against
    // the client CA and returns its subjects ("URI:...", "DNS:...", "CN:..."), or
    // UNAUTHENTICATED/CERTIFICATE_*; null when no client CA is configured (a certificate
    // is then not a credential).
    std::function<absl::StatusOr<std::vector<std::string>>(absl::string_view pem)>
        verify_certificate;
    // Peer addresses tracked for failures at once.
    size_t max_peers = 4096;
    // Source of "now" for last-use times (the failure table uses the real clock).
    const Clock* clock = Clock::System();
  };

  // `core` must outlive this.
  PrincipalAuthenticator(Core* core, Options options);
  ~PrincipalAuthenticator() override;

  absl::StatusOr<Caller> Authenticate(const CallContext& metadata) const override;
  absl::Status Recheck(const Caller& caller) const override;
  void Refuse(const CallContext& metadata, absl::Status status,
              std::function<void(absl::Status)> answer) const override;

  // Counters since start, for tests and metrics.
  struct Stats {
    uint64_t failures = 0;       // refused calls
    uint64_t delayed = 0;        // refusals answered later
    uint64_t token_lookups = 0;  // tokens looked up in the store (well-formed ones)
  };
  Stats stats() const;
  // The peer addresses tracked now.
  size_t tracked_peers() const;

 private:
  struct Peer;

  absl::StatusOr<Identity> Identify(const CallContext& metadata) const;
  // The table key of a peer: its address without the port (IPv6: the /64).
  static std::string PeerKey(absl::string_view peer);
  // Drops quiet peers when the table is full; false if `key` cannot be added.
  bool MakeRoom(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Log(absl::string_view peer, const Peer& record, const absl::Status& status,
           absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Core* const core_;
  const Options options_;
  std::unique_ptr<DelayTimer> timer_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Peer> peers_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time log_second_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable int logged_this_second_ ABSL_GUARDED_BY(mu_) = 0;
  // The minute of each token's last recorded use, so that a busy token is touched once.
  mutable absl::flat_hash_map<std::string, absl::Time> touched_ ABSL_GUARDED_BY(mu_);
  mutable std::atomic<uint64_t> failures_{0}, delayed_{0}, token_lookups_{0};
  // The refusals waiting to be answered over every peer (the sum of Peer::waiting).
  mutable std::atomic<int> waiting_total_{0};
};

}  // namespace d06::api

#endif  // D06_SERVER_API_PRINCIPAL_AUTHENTICATOR_H_
