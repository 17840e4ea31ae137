#include "server/api/call_gate.h"

#include <algorithm>
#include <utility>

namespace d06::api {

absl::Status CallGate::ShuttingDown() {
  return absl::UnavailableError("the server is shutting down; retry");
}

bool CallGate::Enter(Done* done) {
  {
    absl::MutexLock lock(&mu_);
    last_arrival_ = absl::Now();
    switch (state_) {
      case State::kOpen:
        ++in_flight_;
        *done = [this, inner = std::move(*done)](absl::Status status) {
          inner(std::move(status));
          Leave();
        };
        return true;
      case State::kHolding:
        held_.push_back(std::move(*done));
        return false;
      case State::kReleased:
        break;
    }
  }
  (*done)(ShuttingDown());  // outside the lock: it may reach back into the gate
  return false;
}

void CallGate::Leave() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

void CallGate::Close() {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kOpen) return;
  state_ = State::kHolding;
}

bool CallGate::AwaitDrained(absl::Duration quiet, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  while (true) {
    if (!mu_.AwaitWithDeadline(absl::Condition(this, &CallGate::Idle), deadline)) return false;
    const absl::Time now = absl::Now();
    const absl::Time quiet_since = last_arrival_ + quiet;
    if (now >= quiet_since) return true;
    if (now >= deadline) return false;
    mu_.Unlock();
    absl::SleepFor(std::min(quiet_since, deadline) - now);
    mu_.Lock();
  }
}

void CallGate::Release() {
  std::vector<Done> held;
  {
    absl::MutexLock lock(&mu_);
    state_ = State::kReleased;
    held.swap(held_);
  }
  for (Done& done : held) done(ShuttingDown());
}

}  // namespace d06::api
