#include "server/api/principal_limits.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "d06/v1/api_names.h"
#include "server/domain/authorization.h"
#include "server/domain/errors.h"

namespace d06::api {

double TokenBucket::TokensAt(const Rate& rate, absl::Time now) const {
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - last_));
  return std::min(rate.burst, tokens_ + elapsed * rate.per_second);
}

absl::Duration TokenBucket::Take(const Rate& rate, absl::Time now) {
  tokens_ = TokensAt(rate, now);
  if (now > last_) last_ = now;
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return absl::ZeroDuration();
  }
  return absl::Seconds((1 - tokens_) / rate.per_second);
}

bool TokenBucket::Full(const Rate& rate, absl::Time now) const {
  return TokensAt(rate, now) >= rate.burst;
}

namespace {

constexpr const char* kTierWords[] = {"viewer", "member", "coordinator", "admin", "portal"};

Budgets* BudgetsNamed(absl::string_view word, RateLimits* limits) {
  if (word == "viewer") return &limits->viewer;
  if (word == "member") return &limits->member;
  if (word == "coordinator") return &limits->coordinator;
  if (word == "admin") return &limits->admin;
  if (word == "portal") return &limits->portal;
  return nullptr;
}

// "R/B" into `rate`.
bool ParseRate(absl::string_view text, Rate* rate) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  return parts.size() == 2 && absl::SimpleAtod(parts[0], &rate->per_second) &&
         absl::SimpleAtod(parts[1], &rate->burst) && std::isfinite(rate->per_second) &&
         std::isfinite(rate->burst) && rate->per_second > 0 && rate->burst >= 1 &&
         rate->per_second <= 1e6 && rate->burst <= 1e9;
}

std::string FormatRate(const Rate& rate) {
  return absl::StrFormat("%g/%g", rate.per_second, rate.burst);
}

}  // namespace

absl::Status ParseRateLimits(absl::string_view text, RateLimits* limits) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return absl::OkStatus();
  if (text == "off") {
    limits->on = false;
    return absl::OkStatus();
  }
  RateLimits parsed = *limits;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    const std::vector<absl::string_view> role_rates = absl::StrSplit(entry, '=');
    Budgets* budgets = BudgetsNamed(role_rates[0], &parsed);
    std::vector<absl::string_view> reads_writes;
    if (role_rates.size() == 2) reads_writes = absl::StrSplit(role_rates[1], ':');
    Budgets b;
    if (budgets == nullptr || reads_writes.size() != 2 || !ParseRate(reads_writes[0], &b.reads) ||
        !ParseRate(reads_writes[1], &b.writes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--rate_limits: \"", entry,
          "\" is not ROLE=READS/BURST:WRITES/BURST with ROLE one of viewer, member, "
          "coordinator, admin, portal, rates a second above 0 and bursts at least 1 (e.g. "
          "viewer=20/100:2/20), or --rate_limits=off"));
    }
    *budgets = b;
  }
  parsed.on = true;
  *limits = parsed;
  return absl::OkStatus();
}

std::string FormatRateLimits(const RateLimits& limits) {
  if (!limits.on) return "off";
  RateLimits copy = limits;
  std::vector<std::string> parts;
  for (const char* word : kTierWords) {
    const Budgets& b = *BudgetsNamed(word, &copy);
    parts.push_back(absl::StrCat(word, "=", FormatRate(b.reads), ":", FormatRate(b.writes)));
  }
  return absl::StrJoin(parts, ",");
}

PrincipalLimiter::PrincipalLimiter(Options options)
    : options_(std::move(options)), timer_(std::make_unique<DelayTimer>()) {}

PrincipalLimiter::~PrincipalLimiter() { timer_.reset(); }

const std::string& PrincipalLimiter::Accountable(const Caller& caller) {
  static const std::string* const kNone = new std::string();
  if (!caller.via.empty()) return caller.via;
  return caller.principal != nullptr ? caller.principal->name() : *kNone;
}

PrincipalLimiter::Tier PrincipalLimiter::TierOf(const Caller& caller) {
  // Only a portal may act for someone (ROLE_IMPERSONATOR is granted to portals only).
  if (!caller.via.empty() || caller.principal->kind() == v1::PRINCIPAL_KIND_PORTAL) {
    return kPortal;
  }
  int rank = 0;
  for (const v1::RoleBinding& binding : caller.principal->bindings()) {
    rank = std::max(rank, RoleRank(binding.role()));
  }
  switch (rank) {
    case 4:
      return kAdmin;
    case 3:
      return kCoordinator;
    case 2:
      return kMember;
    default:
      return kViewer;
  }
}

const Budgets& PrincipalLimiter::BudgetsOf(Tier tier) const {
  switch (tier) {
    case kMember:
      return options_.limits.member;
    case kCoordinator:
      return options_.limits.coordinator;
    case kAdmin:
      return options_.limits.admin;
    case kPortal:
      return options_.limits.portal;
    default:
      return options_.limits.viewer;
  }
}

void PrincipalLimiter::MakeRoom(absl::Time now) const {
  if (entries_.size() < options_.max_principals) return;
  // Refilled buckets are as good as new ones: forget them.
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto here = it++;
    const Budgets& b = BudgetsOf(here->second.tier);
    if (here->second.reads.Full(b.reads, now) && here->second.writes.Full(b.writes, now)) {
      entries_.erase(here);
    }
  }
  if (entries_.size() < options_.max_principals) return;
  // All busy: forget the least recently seen eighth, so that the next insertions do not
  // each scan the table again.
  std::vector<absl::Time> lasts;
  lasts.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) lasts.push_back(entry.last);
  const size_t drop = std::max<size_t>(1, entries_.size() / 8);
  std::nth_element(lasts.begin(), lasts.begin() + (drop - 1), lasts.end());
  const absl::Time cut = lasts[drop - 1];
  size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end() && dropped < drop;) {
    auto here = it++;
    if (here->second.last <= cut) {
      entries_.erase(here);
      ++dropped;
    }
  }
}

absl::Duration PrincipalLimiter::Take(const Caller& caller, bool write, bool may_hold,
                                      absl::Duration* hold) const {
  *hold = absl::ZeroDuration();
  if (!options_.limits.on || caller.principal == nullptr) return absl::ZeroDuration();
  const std::string& name = Accountable(caller);
  const Tier tier = TierOf(caller);
  const Budgets& budgets = BudgetsOf(tier);
  const absl::Time now = options_.clock->Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    MakeRoom(now);
    it = entries_
             .emplace(name, Entry{tier, TokenBucket(budgets.reads, now),
                                  TokenBucket(budgets.writes, now), now})
             .first;
  }
  Entry& entry = it->second;
  entry.tier = tier;  // bindings change: the budget follows the principal's roles now
  entry.last = now;
  const absl::Duration wait =
      write ? entry.writes.Take(budgets.writes, now) : entry.reads.Take(budgets.reads, now);
  if (wait > absl::ZeroDuration() && may_hold && entry.held < kMaxHeld) {
    *hold = std::min(wait, kMaxHold);
    ++entry.held;
  }
  return wait;
}

absl::Status PrincipalLimiter::Refusal(const Caller& caller, bool write,
                                       absl::Duration retry) const {
  const Tier tier = TierOf(caller);
  const Rate& rate = write ? BudgetsOf(tier).writes : BudgetsOf(tier).reads;
  const int64_t retry_ms =
      std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(retry, absl::Milliseconds(1))));
  const char* what = write ? "writes" : "reads";
  return Error(absl::StatusCode::kResourceExhausted, v1::reason::kRateLimited,
               absl::StrFormat("%s has used its budget of %s (%s: %g a second, bursts of %g); "
                               "retry in %s",
                               Accountable(caller), what, kTierWords[tier], rate.per_second,
                               rate.burst, absl::FormatDuration(absl::Milliseconds(retry_ms))),
               {{"budget", what}, {v1::kRetryAfterMsKey, absl::StrCat(retry_ms)}});
}

absl::Status PrincipalLimiter::Admit(const Caller& caller, bool write) const {
  absl::Duration hold;
  const absl::Duration wait = Take(caller, write, /*may_hold=*/false, &hold);
  if (wait == absl::ZeroDuration()) return absl::OkStatus();
  return Refusal(caller, write, wait);
}

bool PrincipalLimiter::Admit(const Caller& caller, bool write, bool may_hold,
                             std::function<void(absl::Status)>* done) const {
  absl::Duration hold;
  const absl::Duration wait = Take(caller, write, may_hold, &hold);
  if (wait == absl::ZeroDuration()) return true;
  if (hold == absl::ZeroDuration()) {
    (*done)(Refusal(caller, write, wait));
    return false;
  }
  // Answered once the budget has a token again (at most kMaxHold later), saying how much
  // longer to wait: a client that retries at once, in a loop, calls at the rate of its
  // budget instead of as fast as the server can refuse.
  timer_->At(absl::Now() + hold,
             [this, name = Accountable(caller), status = Refusal(caller, write, wait - hold),
              done = std::move(*done)] {
               {
                 absl::MutexLock lock(&mu_);
                 auto it = entries_.find(name);
                 if (it != entries_.end() && it->second.held > 0) --it->second.held;
               }
               done(status);
             });
  return false;
}

size_t PrincipalLimiter::tracked() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace d06::api
