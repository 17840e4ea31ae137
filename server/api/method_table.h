// d06::api::MethodTable: every RPC d06 serves, built once from the service descriptors,
// each mapped to a handler `(caller, request, response or stream, done)`. Transports
// (gRPC, and Connect over HTTP/1.1) serve from one table and run every call through
// MethodTable::Call / CallStream, the single point every call passes through, where
// the caller is authenticated, held to its rate budget and its role, and where observers
// (the access log, the metrics) hear of every call.
//
//   auto table = NewCoreMethodTable(&core);          // server/api/core_methods.h
//   const api::Method* m = table->Find("d06.v1.TaskService.GetTask");
//   auto request = m->NewRequest(), response = m->NewResponse();
//   api::CallContext context;
//   context.authorization = "Bearer d06_...";
//   table->Call(*m, context, *request, response.get(), [](absl::Status s) { ... });
//
// Building is not thread-safe; a built table is immutable and thread-safe.
#ifndef D06_SERVER_API_METHOD_TABLE_H_
#define D06_SERVER_API_METHOD_TABLE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "d06/v1/policy.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "server/api/admission.h"
#include "server/api/authenticator.h"
#include "server/api/call_gate.h"
#include "server/api/principal_limits.h"
#include "server/domain/caller.h"

namespace d06::api {

using google::protobuf::Message;
// Called exactly once per call: at once for a read, when durable for a write, at the end
// of a stream.
using Done = std::function<void(absl::Status)>;

// Where a server-streaming handler sends its messages. Write blocks while the transport's
// buffer is full and returns false once the call is gone (cancelled, client away): the
// handler should then stop and call done.
class StreamWriter {
 public:
  enum class Written { kWritten, kGone, kTimedOut };
  virtual ~StreamWriter() = default;
  virtual bool Write(const Message& message) = 0;
  // As Write, but gives up at `deadline` if the buffer is still full (kTimedOut: the
  // message is not queued), so a handler can notice why it should stop meanwhile.
  virtual Written WriteBefore(const Message& message, absl::Time deadline) = 0;
  // True once the call is gone (cancelled, client away).
  virtual bool Gone() = 0;
  // Ends the call now, as if its client had cancelled it (its client sees CANCELLED):
  // for a client that stopped taking messages, whose last ones could never be sent.
  virtual void Cancel() = 0;
};

// What a call's transport knows of it: who is calling (d06/v1/api_names.h; each absent
// value is std::nullopt), from where, over what, and until when. The method table reads
// it once, at its single call point, to authenticate and admit the call.
struct CallContext {
  enum class Transport { kGrpc, kConnect };
  Transport transport = Transport::kGrpc;
  // x-d06-actor as sent, and the bytes of x-d06-actor-bin (gRPC decodes "-bin" metadata
  // itself; the HTTP transport decodes the header's base64). Read only with
  // authentication off.
  std::optional<absl::string_view> actor_text, actor_binary;
  // The authorization metadata (HTTP: header), e.g. "Bearer d06_...".
  std::optional<absl::string_view> authorization;
  // x-d06-impersonate and the bytes of x-d06-impersonate-bin.
  std::optional<absl::string_view> impersonate_text, impersonate_binary;
  // The client's address as gRPC names peers, e.g. "ipv4:10.0.0.5:43122"; "" unknown.
  // Names the connection for the per-connection stream limits.
  absl::string_view peer;
  // The certificate (PEM, leaf first, then any chain) the client presented in the TLS
  // handshake, which proved that the client holds its key; empty without one. Verified
  // against the client CA by the Authenticator, not by the handshake.
  absl::string_view client_certificate;
  // When the client stops waiting (gRPC: the call's deadline; HTTP: the face's call
  // time); a call admitted after it is answered DEADLINE_EXCEEDED without running.
  absl::Time deadline = absl::InfiniteFuture();
};

struct Method;

// One call as it ends, for a CallObserver: what was called, by whom, how it ended.
struct CallRecord {
  const Method* method = nullptr;
  CallContext::Transport transport = CallContext::Transport::kGrpc;
  std::string peer;  // a copy: the transport's context is gone before the call ends
  // The principal (or, with authentication off, the actor) once authenticated; empty
  // when the call was refused before.
  std::string principal;
  // The request's request_id (writes), "" without one.
  std::string request_id;
  absl::Status status;
  absl::Duration duration;
  // Serialized sizes of the request and of a unary call's response (0 for a stream or a
  // failed call).
  size_t bytes_in = 0, bytes_out = 0;
};

// Why a transport refused a request before it became a call of the table.
enum class Refusal {
  kMalformed,         // bytes that are not the method's request, or a malformed HTTP request
  kTooLarge,          // a body or header above the limits (HTTP 413, 431)
  kUnsupportedMedia,  // a Content-Type or encoding the HTTP face does not speak (415)
  kUnknownMethod,     // no such method
  kBusy,              // answered 503 before it was read: the HTTP face's queues are full
};
// "malformed", "too_large", "unsupported_media_type", "unknown_method", "busy".
absl::string_view RefusalName(Refusal refusal);

// Told of every call the table admits or refuses, once, as it ends (metrics, the access
// log), and of the requests a transport refused before (CallRefused, through
// MethodTable::Refused). Called on the thread that answers the call: must be quick and
// thread-safe.
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void CallStarted(const Method& method) { (void)method; }
  virtual void CallEnded(const CallRecord& record) = 0;
  virtual void CallRefused(CallContext::Transport transport, Refusal why) {
    (void)transport;
    (void)why;
  }
};

using UnaryHandler =
    std::function<void(const Caller&, const Message& request, Message* response, Done done)>;
using StreamHandler =
    std::function<void(const Caller&, const Message& request, StreamWriter* out, Done done)>;

struct Method {
  // What a call costs the server, which decides how it is admitted (MethodTable::Call),
  // from the descriptor alone (KindOf), so that a new RPC is classified as it is added.
  enum class Kind {
    kWrite,      // unary with side effects: queued on the store's writer
    kPointRead,  // unary without side effects (NO_SIDE_EFFECTS) whose request names one
                 // resource (a string field `name`): Get{Unit,Task,Assignment}; runs at once
    kBulkRead,   // any other unary read (lists, searches, reports): through Admission
    kExport,     // server-streaming, ending when all is sent: on an export slot
    kWatch,      // server-streaming "Watch", open as long as its client: on a watcher slot
  };
  static Kind KindOf(const google::protobuf::MethodDescriptor& descriptor);

  const google::protobuf::MethodDescriptor* descriptor = nullptr;
  Kind kind = Kind::kWrite;
  // Who may call it: the method option (d06.v1.policy) of the .proto.
  v1::Policy policy;
  // The request's string field request_id (every write has one), else null.
  const google::protobuf::FieldDescriptor* request_id = nullptr;
  UnaryHandler unary;    // unary methods
  StreamHandler stream;  // server-streaming methods

  bool server_streaming() const { return descriptor->server_streaming(); }
  std::unique_ptr<Message> NewRequest() const;
  std::unique_ptr<Message> NewResponse() const;
};

class MethodTable {
 public:
  // A table serving `services` (full names, e.g. "d06.v1.TaskService") from the
  // generated descriptor pool. Add a handler for every method, then Seal().
  explicit MethodTable(const std::vector<std::string>& services);
  MethodTable(const MethodTable&) = delete;
  MethodTable& operator=(const MethodTable&) = delete;

  // Typed registration: `full_name` is "package.Service.Method"; its request and response
  // types must be Request and Response. Aborts on a mismatch (a programming error).
  template <typename Request, typename Response>
  void AddUnary(absl::string_view full_name,
                std::function<void(const Caller&, const Request&, Response*, Done)> handler) {
    Method& m = Slot(full_name, Request::descriptor(), Response::descriptor(), false);
    m.unary = [handler = std::move(handler)](const Caller& caller, const Message& request,
                                             Message* response, Done done) {
      handler(caller, static_cast<const Request&>(request), static_cast<Response*>(response),
              std::move(done));
    };
  }
  template <typename Request, typename Response>
  void AddStream(absl::string_view full_name,
                 std::function<void(const Caller&, const Request&, StreamWriter*, Done)> handler) {
    Method& m = Slot(full_name, Request::descriptor(), Response::descriptor(), true);
    m.stream = [handler = std::move(handler)](const Caller& caller, const Message& request,
                                              StreamWriter* out, Done done) {
      handler(caller, static_cast<const Request&>(request), out, std::move(done));
    };
  }
  // Checks that every method of every service has its handler (so no method can answer
  // UNIMPLEMENTED) and declares its policy (the method option d06.v1.policy, with a role
  // unless its scope is POLICY_SCOPE_SELF); aborts naming the first one missing.
  void Seal() const;

  // The method named "package.Service.Method", or null.
  const Method* Find(absl::string_view full_name) const;
  const std::vector<const google::protobuf::ServiceDescriptor*>& services() const {
    return services_;
  }

  // Every call passes `gate` first (set while building; null: none), which answers
  // UNAVAILABLE once the server is shutting down (server/api/call_gate.h).
  void set_gate(CallGate* gate) { gate_ = gate; }
  // Bulk reads run through `admission` (set while building; null: at once, on the
  // transport's thread).
  void set_admission(Admission* admission) { admission_ = admission; }
  // Streams one connection, and one principal (authentication on; a portal's streams
  // for the people it acts for count as its own: PrincipalLimiter::Accountable), may
  // have open at once, by kind; beyond, RESOURCE_EXHAUSTED/TOO_MANY_WATCHERS or
  // TOO_MANY_EXPORTS (0: no limit).
  struct StreamLimits {
    int watches_per_connection = 0;
    int exports_per_connection = 0;
    int watches_per_principal = 0;
    int exports_per_principal = 0;
  };
  void set_stream_limits(StreamLimits limits) { stream_limits_ = limits; }

  // Who is calling is decided by `authenticator` (set while building; null: the actor
  // the caller names itself, as --auth=off). Not owned; must outlive the table.
  void set_authenticator(const Authenticator* authenticator) { authenticator_ = authenticator; }
  // Every unary call of an authenticated principal is counted against its rate budget
  // (server/api/principal_limits.h) right after authentication, refused calls included
  // (set while building; null: no rate limit). Not owned; must outlive the table.
  void set_rate_limiter(const PrincipalLimiter* limiter) { rate_limiter_ = limiter; }
  // Adds an observer of every call, admitted or refused at the call point (while
  // building). Not owned; must outlive the table.
  void add_observer(CallObserver* observer) { observers_.push_back(observer); }
  // Tells the observers of a request `transport` refused before calling the table.
  void Refused(CallContext::Transport transport, Refusal why) const {
    for (CallObserver* observer : observers_) observer->CallRefused(transport, why);
  }

  // The single point of every call: the caller is authenticated from `context` (a call
  // it refuses never reaches the handler), counted against its rate budget (over it:
  // RESOURCE_EXHAUSTED/RATE_LIMITED) and checked against the method's policy as far
  // as that needs no read (a principal holding the policy's role at no unit at all is
  // PERMISSION_DENIED/ROLE_REQUIRED), then the handler runs with a Caller that carries
  // the policy, for the core to decide on the resource (server/core/authorize.h).
  void Call(const Method& method, const CallContext& context, const Message& request,
            Message* response, Done done) const;
  // As Call, for a server-streaming method. While the stream is open its credential is
  // checked again at every message and at least every half second (Authenticator::
  // Recheck): once it no longer holds (a revoked token, a disabled principal), the stream
  // ends with that UNAUTHENTICATED status.
  void CallStream(const Method& method, const CallContext& context, const Message& request,
                  StreamWriter* out, Done done) const;

 private:
  Method& Slot(absl::string_view full_name, const google::protobuf::Descriptor* request,
               const google::protobuf::Descriptor* response, bool streaming);

  std::vector<const google::protobuf::ServiceDescriptor*> services_;
  // By full name; a map, so a Method does not move once added (transports keep pointers).
  std::map<std::string, Method, std::less<>> methods_;
  // Admits a call of `method`: authenticates its caller from `context`, counts a unary
  // call against the caller's rate budget, refuses a caller holding the policy's role
  // nowhere and a call past its deadline. Returns the caller; or answers *done itself
  // (perhaps later: a refusal may be slowed down) and returns std::nullopt.
  std::optional<Caller> Admit(const Method& method, const CallContext& context, Done* done) const;
  // The caller of a call of `method`, or why it is refused.
  absl::StatusOr<Caller> Authenticate(const Method& method, const CallContext& context) const;
  // `done` wrapped so that the observers hear of the call as it ends, with *record, which
  // the call point completes as it learns more (the principal); without observers,
  // `done` itself and a null *record.
  Done Observed(const Method& method, const CallContext& context, const Message& request,
                const Message* response, std::shared_ptr<CallRecord>* record, Done done) const;
  // Takes a stream slot of kind `kind` for `key` (a connection or a principal) if fewer
  // than `limit` are open: the number open before, which is < limit when taken.
  int TakeSlot(const std::string& key, Method::Kind kind, int limit) const;
  void ReleaseSlot(const std::string& key, Method::Kind kind) const;

  CallGate* gate_ = nullptr;
  const Authenticator* authenticator_ = nullptr;
  const PrincipalLimiter* rate_limiter_ = nullptr;
  Admission* admission_ = nullptr;
  std::vector<CallObserver*> observers_;
  StreamLimits stream_limits_;
  // Streams open by connection or principal ("p:" + name) and kind (kWatch, kExport).
  mutable absl::Mutex streams_mu_;
  mutable std::map<std::pair<std::string, Method::Kind>, int> open_streams_
      ABSL_GUARDED_BY(streams_mu_);
};

}  // namespace d06::api

#endif  // D06_SERVER_API_METHOD_TABLE_H_
