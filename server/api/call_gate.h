// d06::api::CallGate: lets the server shut down without any call seeing CANCELLED. Every
// call passes it at MethodTable::Call / CallStream (server/api/method_table.h).
//
// gRPC's own shutdown answers CANCELLED (and applies nothing) to every call it has
// received but not yet handed to a service, and to every call that arrives between the
// start of the shutdown and the moment the client reads the GOAWAY telling it to leave
// the connection: grpc_core::Server::ShutdownAndNotify first kills the calls waiting to
// be matched, then turns away new ones, and only then sends GOAWAY. Clients retry
// UNAVAILABLE, not CANCELLED; a client that retries at once keeps landing in that window
// (answering the calls that arrive while draining UNAVAILABLE at once, rather than holding
// them, still left CANCELLED answers in 8 of 10 runs of tests/integration/shutdown_test.cc).
// So d06::Server (server/d06d/server.cc) shuts down in steps:
//
//   1. Close(): no call is admitted any more. A call arriving now is held, unanswered,
//      so its client (waiting for the answer) sends nothing else meanwhile.
//   2. AwaitDrained(): every admitted call is answered (writes queued on the store's
//      writer included), and no call has arrived for a while (100 ms), so that gRPC is
//      taken to hold no call it has received and not yet passed on. This is the one
//      heuristic: with 20 ms, a machine starved of CPU still let calls wait longer than
//      that inside gRPC, which then cancelled them.
//   3. The server has gRPC stop listening and send GOAWAY on every connection.
//   4. Release(): the held calls, and any later one at once, are answered UNAVAILABLE
//      "the server is shutting down; retry". Each client reads its GOAWAY before that
//      answer (same connection, sent first), so its retry goes to a new connection.
//
// Only calls of the table pass the gate: gRPC's own health and reflection services do not,
// so a client calling those in a tight loop during a shutdown may still see CANCELLED.
//
// Thread-safe.
#ifndef D06_SERVER_API_CALL_GATE_H_
#define D06_SERVER_API_CALL_GATE_H_

#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace d06::api {

class CallGate {
 public:
  using Done = std::function<void(absl::Status)>;

  CallGate() = default;
  CallGate(const CallGate&) = delete;
  CallGate& operator=(const CallGate&) = delete;

  // For a call about to run. True: the gate is open; *done is wrapped so that the call
  // counts as in flight until it is called. False: the server is shutting down; the gate
  // has taken *done and calls it with ShuttingDown() (at Release(), or at once after it).
  bool Enter(Done* done);

  // Admits no more calls: later ones are held until Release().
  void Close();
  // After Close(): waits until every admitted call is done and no call has arrived (been
  // admitted or held) for `quiet`, or until `deadline`. False if the deadline came first.
  bool AwaitDrained(absl::Duration quiet, absl::Time deadline);
  // After Close(): answers the held calls, and every later one at once, ShuttingDown().
  void Release();

  // UNAVAILABLE "the server is shutting down; retry".
  static absl::Status ShuttingDown();

 private:
  void Leave();
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; }

  absl::Mutex mu_;
  enum class State { kOpen, kHolding, kReleased } state_ ABSL_GUARDED_BY(mu_) = State::kOpen;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // admitted, done not yet called
  absl::Time last_arrival_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::vector<Done> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace d06::api

#endif  // D06_SERVER_API_CALL_GATE_H_
