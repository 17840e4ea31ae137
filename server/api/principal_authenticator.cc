#include "server/api/principal_authenticator.h"

#include <arpa/inet.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "d06/v1/api_names.h"
#include "server/domain/errors.h"
#include "server/domain/names.h"
#include "server/domain/tokens.h"
#include "storage/status_macros.h"

namespace d06::api {
namespace {

// Failures within kWindow before refusals are slowed; their delay, doubling.
constexpr int kFreeFailures = 4;
constexpr absl::Duration kWindow = absl::Minutes(1);
constexpr absl::Duration kFirstDelay = absl::Milliseconds(200);
constexpr absl::Duration kMaxDelay = absl::Seconds(2);
// Refusals of one peer waiting to be answered; beyond, TOO_MANY_FAILURES at once.
constexpr int kMaxWaiting = 4;
// Logging: one line a peer per kLogEvery, kMaxLogLines lines a second in all.
constexpr absl::Duration kLogEvery = absl::Seconds(10);
constexpr int kMaxLogLines = 20;
// A token's last use is recorded at most once per this (Token.last_use_time).
constexpr absl::Duration kTouchEvery = absl::Minutes(1);
constexpr size_t kMaxTouched = 100000;

absl::Status Missing() {
  return Error(absl::StatusCode::kUnauthenticated, v1::reason::kCredentialMissing,
               "this server needs a credential: send \"authorization: Bearer <token>\" (a d06 "
               "token from an administrator), or connect with a client certificate over "
               "mutual TLS");
}

}  // namespace

struct PrincipalAuthenticator::Peer {
  int failures = 0;
  absl::Time window_start;
  int waiting = 0;  // refusals not yet answered
  absl::Time last_logged = absl::InfinitePast();
  int unlogged = 0;
};

PrincipalAuthenticator::PrincipalAuthenticator(Core* core, Options options)
    : core_(core), options_(std::move(options)), timer_(std::make_unique<DelayTimer>()) {}

PrincipalAuthenticator::~PrincipalAuthenticator() { timer_.reset(); }

std::string PrincipalAuthenticator::PeerKey(absl::string_view peer) {
  // "ipv4:10.0.0.5:43122", "ipv6:[2001:db8::1]:43122": the address without the port.
  absl::string_view address = peer;
  if (absl::ConsumePrefix(&address, "ipv6:[")) {
    address = address.substr(0, address.find(']'));
    in6_addr v6;
    if (inet_pton(AF_INET6, std::string(address).c_str(), &v6) == 1) {
      std::fill(v6.s6_addr + 8, v6.s6_addr + 16, 0);  // one /64 is one subscriber
      char text[INET6_ADDRSTRLEN];
      if (inet_ntop(AF_INET6, &v6, text, sizeof(text)) != nullptr) {
        return absl::StrCat("ipv6:", text, "/64");
      }
    }
    return std::string(peer);
  }
  const size_t colon = address.rfind(':');
  return std::string(colon == absl::string_view::npos || colon < 5 ? address
                                                                   : address.substr(0, colon));
}

absl::StatusOr<Identity> PrincipalAuthenticator::Identify(const CallContext& metadata) const {
  if (metadata.authorization.has_value()) {
    absl::string_view value = absl::StripAsciiWhitespace(*metadata.authorization);
    const absl::string_view scheme = "bearer ";
    if (value.size() <= scheme.size() ||
        !absl::EqualsIgnoreCase(value.substr(0, scheme.size()), scheme)) {
      return Error(absl::StatusCode::kUnauthenticated, v1::reason::kTokenMalformed,
                   "the authorization metadata must be \"Bearer <token>\"");
    }
    const absl::string_view token = absl::StripLeadingAsciiWhitespace(value.substr(scheme.size()));
    RETURN_IF_ERROR(CheckTokenFormat(token));  // no lookup for a mistyped or made-up one
    token_lookups_.fetch_add(1, std::memory_order_relaxed);
    return core_->IdentifyToken(token);
  }
  if (!metadata.client_certificate.empty() && options_.verify_certificate) {
    ASSIGN_OR_RETURN(std::vector<std::string> subjects,
                     options_.verify_certificate(metadata.client_certificate));
    return core_->IdentifyCertificate(subjects);
  }
  return Missing();
}

absl::StatusOr<Caller> PrincipalAuthenticator::Authenticate(const CallContext& metadata) const {
  // The table is read only while some refusal waits: most calls take no lock here.
  if (waiting_total_.load(std::memory_order_acquire) > 0) {
    absl::MutexLock lock(&mu_);
    auto it = peers_.find(PeerKey(metadata.peer));
    if (it != peers_.end() && it->second.waiting >= kMaxWaiting) {
      return Error(absl::StatusCode::kUnauthenticated, v1::reason::kTooManyFailures,
                   "too many failed authentications from this address; wait a few seconds");
    }
  }
  ASSIGN_OR_RETURN(Identity identity, Identify(metadata));
  Caller caller;
  caller.method = identity.method;
  caller.credential = identity.credential;
  if (metadata.impersonate_text.has_value() || metadata.impersonate_binary.has_value()) {
    const absl::string_view* text =
        metadata.impersonate_text ? &*metadata.impersonate_text : nullptr;
    const absl::string_view* binary =
        metadata.impersonate_binary ? &*metadata.impersonate_binary : nullptr;
    ASSIGN_OR_RETURN(std::string target, ActorFromMetadata(text, binary));
    ASSIGN_OR_RETURN(caller.principal, core_->Impersonate(*identity.principal, target));
    caller.via = identity.principal->name();
  } else {
    caller.principal = identity.principal;
  }
  caller.actor = caller.principal->name();
  if (identity.method == "token") {
    const absl::Time now = options_.clock->Now();
    bool touch = now - identity.last_use >= kTouchEvery;
    if (touch) {
      absl::MutexLock lock(&mu_);
      if (touched_.size() >= kMaxTouched) touched_.clear();
      absl::Time& last = touched_[identity.credential];
      touch = now - last >= kTouchEvery;
      if (touch) last = now;
    }
    if (touch) core_->TouchToken(identity.credential, now);
  }
  return caller;
}

absl::Status PrincipalAuthenticator::Recheck(const Caller& caller) const {
  return core_->RecheckCredential(caller);
}

bool PrincipalAuthenticator::MakeRoom(absl::Time now) const {
  if (peers_.size() < options_.max_peers) return true;
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto here = it++;
    if (here->second.waiting == 0 && now - here->second.window_start > kWindow) peers_.erase(here);
  }
  return peers_.size() < options_.max_peers;
}

void PrincipalAuthenticator::Log(absl::string_view peer, const Peer& record,
                                 const absl::Status& status, absl::Time now) const {
  if (absl::ToUnixSeconds(now) != absl::ToUnixSeconds(log_second_)) {
    log_second_ = now;
    logged_this_second_ = 0;
  }
  if (++logged_this_second_ > kMaxLogLines) return;
  log::Warning(absl::StrCat(
      "authentication failed from ", peer, ": ", ErrorReason(status),
      record.unlogged > 0 ? absl::StrCat(" (and ", record.unlogged, " more since)") : "", " (",
      record.failures, " in the last minute)"));
}

void PrincipalAuthenticator::Refuse(const CallContext& metadata, absl::Status status,
                                    std::function<void(absl::Status)> answer) const {
  failures_.fetch_add(1, std::memory_order_relaxed);
  if (status.code() != absl::StatusCode::kUnauthenticated ||
      ErrorReason(status) == v1::reason::kTooManyFailures) {
    return answer(std::move(status));  // a bad impersonation or metadata: the caller is known
  }
  // No credential guesses nothing (a page or a probe that has not logged in yet): only
  // wrong credentials count towards slowing an address down.
  if (ErrorReason(status) == v1::reason::kCredentialMissing) return answer(std::move(status));
  const std::string key = PeerKey(metadata.peer);
  const absl::Time now = absl::Now();
  absl::Duration delay = absl::ZeroDuration();
  {
    absl::MutexLock lock(&mu_);
    auto it = peers_.find(key);
    if (it == peers_.end()) {
      if (!MakeRoom(now)) return answer(std::move(status));  // busy table: not tracked
      it = peers_.emplace(key, Peer{0, now}).first;
    }
    Peer& peer = it->second;
    if (now - peer.window_start > kWindow) {
      peer.failures = 0;
      peer.window_start = now;
    }
    ++peer.failures;
    if (now - peer.last_logged >= kLogEvery) {
      Log(key, peer, status, now);
      peer.last_logged = now;
      peer.unlogged = 0;
    } else {
      ++peer.unlogged;
    }
    if (peer.failures > kFreeFailures) {
      delay =
          std::min(kMaxDelay, kFirstDelay * (1 << std::min(peer.failures - kFreeFailures - 1, 4)));
      ++peer.waiting;
      waiting_total_.fetch_add(1, std::memory_order_acq_rel);
    }
  }
  if (delay == absl::ZeroDuration()) return answer(std::move(status));
  delayed_.fetch_add(1, std::memory_order_relaxed);
  timer_->At(now + delay, [this, key, status = std::move(status), answer = std::move(answer)] {
    {
      absl::MutexLock lock(&mu_);
      auto it = peers_.find(key);
      if (it != peers_.end()) --it->second.waiting;
      waiting_total_.fetch_sub(1, std::memory_order_acq_rel);
    }
    answer(status);
  });
}

PrincipalAuthenticator::Stats PrincipalAuthenticator::stats() const {
  return {failures_.load(), delayed_.load(), token_lookups_.load()};
}

size_t PrincipalAuthenticator::tracked_peers() const {
  absl::MutexLock lock(&mu_);
  return peers_.size();
}

}  // namespace d06::api
