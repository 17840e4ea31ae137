// d06::api::PrincipalLimiter: the request rate of each principal (d06d --auth=required),
// so that one principal's script, stuck retry loop or stolen token cannot take the server
// from everyone else. Each principal has two token buckets, refilled continuously: one
// for writes (Method::Kind::kWrite) and one for every other unary call (reads). Streams
// (Watch, exports) are not counted here; they are held to a number open at once
// (MethodTable::StreamLimits).
//
// The budget is that of the principal's kind and highest role (RoleRank over its
// bindings, a "*" binding counting as its role; no role at all: the viewer's): a PORTAL
// has the portal budget whatever its roles. A portal's calls for someone else
// (x-d06-impersonate) are counted against the portal, which sends them: the people it
// acts for are limited by the portal itself.
//
// Over budget: RESOURCE_EXHAUSTED/RATE_LIMITED, metadata {"budget": "reads"|"writes",
// "retry_after_ms": N}, and a message naming the budget and when to retry.
//
// The table keeps at most Options::max_principals principals: a new one first drops those
// whose buckets have refilled (as good as new), then, if every one is busy, the eighth
// least recently seen (they start again with full buckets), so memory cannot grow
// without bound. Rates are measured on Options::clock (the real clock in d06d).
//
// Thread-safe.
#ifndef D06_SERVER_API_PRINCIPAL_LIMITS_H_
#define D06_SERVER_API_PRINCIPAL_LIMITS_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/api/delay_timer.h"
#include "server/domain/caller.h"
#include "server/domain/clock.h"

namespace d06::api {

// `per_second` tokens added continuously, at most `burst` kept.
struct Rate {
  double per_second = 0;
  double burst = 0;
};

// One token bucket; starts full. Not thread-safe (the limiter locks).
class TokenBucket {
 public:
  TokenBucket(const Rate& rate, absl::Time now) : tokens_(rate.burst), last_(now) {}
  // Takes a token at `now` if there is one and returns zero; else takes nothing and
  // returns how long until there is one.
  absl::Duration Take(const Rate& rate, absl::Time now);
  // Whether the bucket is full at `now` (as good as a new one).
  bool Full(const Rate& rate, absl::Time now) const;

 private:
  double TokensAt(const Rate& rate, absl::Time now) const;
  double tokens_;
  absl::Time last_;
};

// A principal's two budgets.
struct Budgets {
  Rate reads;
  Rate writes;
};

// Who gets which budget: by role, and portals. The defaults (README, "Production").
struct RateLimits {
  bool on = true;  // false: no rate limit (--rate_limits=off)
  Budgets viewer{{20, 100}, {2, 20}};
  Budgets member{{20, 100}, {5, 50}};
  Budgets coordinator{{20, 100}, {10, 100}};
  Budgets admin{{50, 200}, {20, 200}};
  Budgets portal{{200, 1000}, {50, 500}};
};

// Changes `limits` as --rate_limits says: "off", or comma-separated ROLE=R/B:W/WB, ROLE
// one of viewer, member, coordinator, admin, portal, R and W reads and writes a second
// (> 0, decimals allowed), B and WB their bursts (>= 1); roles not named keep their
// budget. E.g. "viewer=10/50:1/10,portal=500/2000:100/1000". INVALID_ARGUMENT saying what
// is wrong.
absl::Status ParseRateLimits(absl::string_view text, RateLimits* limits);
// `limits` as --rate_limits takes it, every role named.
std::string FormatRateLimits(const RateLimits& limits);

class PrincipalLimiter {
 public:
  struct Options {
    RateLimits limits;
    // Principals tracked at once.
    size_t max_principals = 100000;
    const Clock* clock = Clock::System();
  };
  explicit PrincipalLimiter(Options options);
  PrincipalLimiter(const PrincipalLimiter&) = delete;
  PrincipalLimiter& operator=(const PrincipalLimiter&) = delete;
  ~PrincipalLimiter();

  // Counts one call of `caller` (authenticated: a principal) against its write or read
  // budget: OK, or RESOURCE_EXHAUSTED/RATE_LIMITED. A caller without a principal passes.
  absl::Status Admit(const Caller& caller, bool write) const;
  // As Admit, for the call point: true to run the call; false when refused, *done taken
  // and answered RATE_LIMITED. When `may_hold` (a transport that waits without holding a
  // thread: gRPC), the refusal is held until the budget has a token again, at most
  // kMaxHold, and then says how much longer to wait; a principal has at most kMaxHeld
  // refusals held at once, beyond which they are answered at once. A client retrying in
  // a tight loop then costs the server about its budget's rate of refusals, not as many
  // as the server can make.
  bool Admit(const Caller& caller, bool write, bool may_hold,
             std::function<void(absl::Status)>* done) const;

  // The principal a call counts against: the portal when it acts for someone, else the
  // caller's principal ("" without one).
  static const std::string& Accountable(const Caller& caller);

  size_t tracked() const;

 private:
  enum Tier { kViewer, kMember, kCoordinator, kAdmin, kPortal };
  struct Entry {
    Tier tier;
    TokenBucket reads, writes;
    absl::Time last;
    int held = 0;  // refusals held back (Admit with may_hold), not yet answered
  };
  static constexpr absl::Duration kMaxHold = absl::Seconds(1);
  static constexpr int kMaxHeld = 64;
  // Takes a token of `caller`'s budget: zero, or how long until there is one. *hold: how
  // long a refusal may be held (zero: answer at once), counted as held.
  absl::Duration Take(const Caller& caller, bool write, bool may_hold, absl::Duration* hold) const;
  absl::Status Refusal(const Caller& caller, bool write, absl::Duration retry) const;
  static Tier TierOf(const Caller& caller);
  const Budgets& BudgetsOf(Tier tier) const;
  // Makes room for one more principal at `now`.
  void MakeRoom(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  std::unique_ptr<DelayTimer> timer_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace d06::api

#endif  // D06_SERVER_API_PRINCIPAL_LIMITS_H_
