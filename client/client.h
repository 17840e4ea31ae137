// d06::Client: the thin C++ client of the d06 gRPC API (UnitService, TaskService,
// ReportService, EventService and AccessService).
//
// One typed method per RPC; each takes the generated request and returns the generated
// response or an absl::Status carrying the server's gRPC code, message and, when the
// server sent one, its d06.v1.ErrorInfo (see d06::client::ErrorReason below).
//
// What every call does:
//   * sends the bearer token, if any (see Security below);
//   * sends the configured actor as request metadata (the server records it in the audit
//     log; "anonymous" when the actor is empty): printable ASCII as "x-d06-actor", so it
//     stays readable in logs and proxies; anything else, e.g. "Nguyễn Văn An", as its
//     UTF-8 bytes under "x-d06-actor-bin" (gRPC metadata values are ASCII; gRPC
//     base64-codes "-bin" keys on the wire);
//   * runs under a deadline of `default_timeout` per attempt;
//   * retries UNAVAILABLE up to `max_retries` times with exponential backoff and jitter,
//     and RESOURCE_EXHAUSTED/RATE_LIMITED (the principal's rate budget, refused before
//     anything ran) after the delay the server names, if at most 5 s, as many times;
//   * for mutating RPCs (every request with a `request_id`), fills an empty request_id
//     with a random UUIDv4 BEFORE the first attempt, so every retry carries the same id
//     and the server applies the change at most once.
//
// Thread-safe: one Client may be shared by any number of threads (it holds only a
// channel, stubs, immutable options and the token source, which locks itself).
//
// Security (client/credentials.h does the work):
//   * TLS when `tls` or any tls_* option is set: the server's certificate is checked
//     against `tls_ca` (PEM text or a file; default the system's CAs); with `tls_cert`
//     and `tls_key` the client also presents a certificate (mutual TLS: the server
//     maps its subject to a principal).
//   * A bearer token (`token`, or `token_file`, read again whenever the file changes)
//     goes on every call as "authorization: Bearer d06_...": a fixed token as plain
//     metadata, a token file through a gRPC call credential. Either only over TLS, or,
//     for development, to a loopback address over plaintext (local credentials): a
//     token with neither TLS nor a loopback target is refused by Connect.
//   * Without TLS or a token the channel is plaintext, as before: d06d --auth=off on
//     loopback (development), where `actor` names the caller.
//
// Example:
//   d06::ClientOptions options;
//   options.target = "d06.nghean.gov.vn:443";
//   options.tls_ca = "/etc/d06/ca.pem";                     // or options.tls = true
//   options.token_file = "/home/an/.config/d06/nghean.token";  // d06_... on one line
//   auto client = d06::Client::Connect(options);
//   if (!client.ok()) return client.status();
//   absl::StatusOr<d06::v1::WhoAmIResponse> me = (*client)->WhoAmI({});
//   // me->principal().display_name(): "Nguyễn Văn An"; me->method(): "token"
//   d06::v1::CreateUnitRequest req;
//   req.mutable_unit()->set_code("H29");
//   req.mutable_unit()->set_display_name("UBND tỉnh Nghệ An");
//   req.mutable_unit()->set_kind(d06::v1::UNIT_KIND_PROVINCE);
//   absl::StatusOr<d06::v1::CreateUnitResponse> resp = (*client)->CreateUnit(req);
//   if (!resp.ok() && d06::client::ErrorReason(resp.status()) == "ALREADY_EXISTS") { ... }
//   // A revoked or expired token: UNAUTHENTICATED, ErrorReason TOKEN_REVOKED / ...
//
// Development (d06d --auth=off on 127.0.0.1): options.target = "127.0.0.1:50051";
// options.actor = "chuyen-vien.h29"; no TLS, no token.
#ifndef D06_CLIENT_CLIENT_H_
#define D06_CLIENT_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/credentials.h"
#include "d06/v1/access.grpc.pb.h"
#include "d06/v1/api_names.h"
#include "d06/v1/common.pb.h"
#include "d06/v1/report.grpc.pb.h"
#include "d06/v1/task.grpc.pb.h"
#include "d06/v1/unit.grpc.pb.h"
#include "d06/v1/watch.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace d06 {

struct ClientOptions {
  // gRPC target, e.g. "127.0.0.1:50051" or "dns:///d06.example.gov.vn:443".
  std::string target = "127.0.0.1:50051";
  // Sent on every call: as "x-d06-actor" when printable ASCII, else (any UTF-8, e.g.
  // "Nguyễn Văn An") as "x-d06-actor-bin". Empty sends nothing (the server records
  // "anonymous"). The server refuses an actor over 200 bytes, not UTF-8 or with control
  // characters (INVALID_ARGUMENT on every call). Only d06d --auth=off records it; with
  // authentication the caller is the token's or certificate's principal.
  std::string actor;

  // Transport security. TLS when `tls` is true or any tls_* option is set; plaintext
  // otherwise (loopback development only: d06d serves plaintext only there, or behind
  // a mesh that encrypts).
  bool tls = false;
  // The CA certificate(s) the server's certificate must chain to: PEM text (anything
  // containing "-----BEGIN") or the path of a PEM file. Empty: the system's CAs.
  std::string tls_ca;
  // Mutual TLS: the client's certificate (chain) and its private key, PEM text or file
  // paths; both or neither.
  std::string tls_cert;
  std::string tls_key;
  // The name the server's certificate is checked against when it is not the target's
  // host (e.g. a target by IP address). Empty: the target's host.
  std::string tls_server_name;

  // Authentication: a bearer token ("d06_..."), sent on every call as "authorization:
  // Bearer <token>". Needs TLS or a loopback target.
  std::string token;
  // Or the path of a file holding the token (surrounding whitespace ignored). Checked
  // (stat) before every call and read again when it changed, so a token rotated in the
  // file is used from the next call on. Not both `token` and `token_file`.
  std::string token_file;

  // Deadline of each attempt.
  absl::Duration default_timeout = absl::Seconds(10);
  // How many times an UNAVAILABLE or RATE_LIMITED call is retried (0: never).
  int max_retries = 3;
  // Backoff before the first retry; doubles each retry up to max_backoff (+-20% jitter).
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // The longest pause between the channel's attempts to reconnect to a server that went
  // away (gRPC's grpc.max_reconnect_backoff_ms, whose default is 120 s; the first pause is
  // 100 ms). A watch resumes at most about this long after the server is back.
  absl::Duration max_reconnect_backoff = absl::Seconds(1);
  // Channel credentials of your own (e.g. grpc::experimental::TlsCredentials with a
  // certificate provider); when set, `tls` and tls_* are ignored. Null: made from the
  // options above. A token is still attached per call.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

class Client {
 public:
  // Creates a channel to options.target. Does not wait for the server: the first call
  // (or CheckHealth) reports UNAVAILABLE if it cannot be reached.
  // Reads the TLS files and checks a token file can be read now (the token is read again
  // on every call that finds the file changed).
  // Errors: INVALID_ARGUMENT (empty target, negative retries/timeout, a certificate
  // without its key, both token and token_file, a token over plaintext to an address
  // that is not loopback), FAILED_PRECONDITION (a TLS or token file cannot be read).
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  // Uses an existing channel (tests; sharing one channel among clients with different
  // actors or tokens). options.target, credentials, tls and tls_* are ignored; the token
  // is attached per call, which gRPC does only if the channel has a security level
  // (TLS, or local credentials: see client/credentials.h).
  explicit Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options = {});

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ClientOptions& options() const { return options_; }

  // OK when grpc.health.v1.Health/Check for the overall service ("") says SERVING;
  // UNAVAILABLE with the reported status otherwise, or the call's error. Implemented
  // with grpc::GenericStub and hand-parsed protobuf bytes (no generated health code).
  absl::Status CheckHealth();

  // UnitService.
  absl::StatusOr<v1::CreateUnitResponse> CreateUnit(v1::CreateUnitRequest req);
  absl::StatusOr<v1::GetUnitResponse> GetUnit(v1::GetUnitRequest req);
  absl::StatusOr<v1::ListUnitsResponse> ListUnits(v1::ListUnitsRequest req);
  absl::StatusOr<v1::UpdateUnitResponse> UpdateUnit(v1::UpdateUnitRequest req);
  absl::StatusOr<v1::RenameUnitResponse> RenameUnit(v1::RenameUnitRequest req);
  absl::StatusOr<v1::MoveUnitResponse> MoveUnit(v1::MoveUnitRequest req);
  absl::StatusOr<v1::MergeUnitsResponse> MergeUnits(v1::MergeUnitsRequest req);
  absl::StatusOr<v1::DissolveUnitResponse> DissolveUnit(v1::DissolveUnitRequest req);

  // TaskService.
  absl::StatusOr<v1::CreateTaskResponse> CreateTask(v1::CreateTaskRequest req);
  absl::StatusOr<v1::GetTaskResponse> GetTask(v1::GetTaskRequest req);
  absl::StatusOr<v1::ListTasksResponse> ListTasks(v1::ListTasksRequest req);
  absl::StatusOr<v1::UpdateTaskResponse> UpdateTask(v1::UpdateTaskRequest req);
  absl::StatusOr<v1::CancelTaskResponse> CancelTask(v1::CancelTaskRequest req);
  absl::StatusOr<v1::CreateAssignmentResponse> CreateAssignment(v1::CreateAssignmentRequest req);
  absl::StatusOr<v1::GetAssignmentResponse> GetAssignment(v1::GetAssignmentRequest req);
  absl::StatusOr<v1::ListAssignmentsResponse> ListAssignments(v1::ListAssignmentsRequest req);
  absl::StatusOr<v1::StartAssignmentResponse> StartAssignment(v1::StartAssignmentRequest req);
  absl::StatusOr<v1::ReportAssignmentProgressResponse> ReportAssignmentProgress(
      v1::ReportAssignmentProgressRequest req);
  absl::StatusOr<v1::SubmitAssignmentResponse> SubmitAssignment(v1::SubmitAssignmentRequest req);
  absl::StatusOr<v1::ApproveAssignmentResponse> ApproveAssignment(v1::ApproveAssignmentRequest req);
  absl::StatusOr<v1::ReturnAssignmentResponse> ReturnAssignment(v1::ReturnAssignmentRequest req);
  absl::StatusOr<v1::DeclineAssignmentResponse> DeclineAssignment(v1::DeclineAssignmentRequest req);
  absl::StatusOr<v1::RevokeAssignmentResponse> RevokeAssignment(v1::RevokeAssignmentRequest req);
  absl::StatusOr<v1::ReopenAssignmentResponse> ReopenAssignment(v1::ReopenAssignmentRequest req);
  absl::StatusOr<v1::ListTaskEventsResponse> ListTaskEvents(v1::ListTaskEventsRequest req);
  absl::StatusOr<v1::RequestExtensionResponse> RequestExtension(v1::RequestExtensionRequest req);
  absl::StatusOr<v1::ApproveExtensionResponse> ApproveExtension(v1::ApproveExtensionRequest req);
  absl::StatusOr<v1::RefuseExtensionResponse> RefuseExtension(v1::RefuseExtensionRequest req);
  absl::StatusOr<v1::UrgeAssignmentResponse> UrgeAssignment(v1::UrgeAssignmentRequest req);
  absl::StatusOr<v1::ListUrgesResponse> ListUrges(v1::ListUrgesRequest req);
  absl::StatusOr<v1::FilePeriodReportResponse> FilePeriodReport(v1::FilePeriodReportRequest req);
  absl::StatusOr<v1::ListPeriodReportsResponse> ListPeriodReports(v1::ListPeriodReportsRequest req);

  // ReportService.
  absl::StatusOr<v1::GetSummaryResponse> GetSummary(v1::GetSummaryRequest req);

  // AccessService (principals and their tokens; WhoAmI for any caller).
  absl::StatusOr<v1::CreatePrincipalResponse> CreatePrincipal(v1::CreatePrincipalRequest req);
  absl::StatusOr<v1::GetPrincipalResponse> GetPrincipal(v1::GetPrincipalRequest req);
  absl::StatusOr<v1::ListPrincipalsResponse> ListPrincipals(v1::ListPrincipalsRequest req);
  absl::StatusOr<v1::UpdatePrincipalResponse> UpdatePrincipal(v1::UpdatePrincipalRequest req);
  // The response's `secret` is the new token, shown only here.
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(v1::CreateTokenRequest req);
  absl::StatusOr<v1::ListTokensResponse> ListTokens(v1::ListTokensRequest req);
  absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(v1::RevokeTokenRequest req);
  absl::StatusOr<v1::WhoAmIResponse> WhoAmI(v1::WhoAmIRequest req);

  // CSV exports (server-streaming, through CallStreamMethod): `on_chunk` gets each
  // chunk's bytes in order (together, the file). Retried on UNAVAILABLE only until the
  // first chunk arrived; an export cut off after that is ABORTED (start it again). The
  // whole export must finish within the default timeout.
  using ChunkSink = std::function<void(const std::string& chunk)>;
  absl::Status ExportAssignments(v1::ExportAssignmentsRequest req, const ChunkSink& on_chunk);
  absl::Status ExportSummary(v1::ExportSummaryRequest req, const ChunkSink& on_chunk);

  // EventService.Watch, resumed by itself: `on_response` gets every response (events and
  // progress) in order; after a disconnect, UNAVAILABLE (e.g. a server restart) or
  // RESOURCE_EXHAUSTED/WATCHER_TOO_SLOW it watches again from the last revision received
  // + 1, so the events it hands on are
  // the event log's, none lost or repeated (a revision split over several responses,
  // WatchResponse.fragment, is read again from its start and the events already handed
  // on are skipped). No deadline applies. Returns OK once
  // on_response returns false, or the first other error (e.g. OUT_OF_RANGE when the
  // start revision was removed by retention, INVALID_ARGUMENT for a bad filter).
  // `on_resume`, if set, is told each time the watch starts again and why. After a broken
  // connection (UNAVAILABLE, or a stream cut) the next watch waits for the server
  // (wait-for-ready) and starts as soon as the channel reconnects (see
  // max_reconnect_backoff); after WATCHER_TOO_SLOW or TOO_MANY_WATCHERS it backs off as
  // retries do, without a retry limit.
  using WatchSink = std::function<bool(const v1::WatchResponse& response)>;
  using ResumeSink = std::function<void(const absl::Status& why, int64_t next_revision)>;
  absl::Status Watch(v1::WatchRequest req, const WatchSink& on_response,
                     const ResumeSink& on_resume = nullptr);

  // Any unary method by its descriptor, with messages of any pool (d06ctl builds them
  // from the descriptors): fills an empty `request_id` field of the request before the
  // first attempt and retries as every typed call does. `response` must be of the
  // method's output type.
  absl::Status CallMethod(const google::protobuf::MethodDescriptor& method,
                          google::protobuf::Message& request, google::protobuf::Message* response);
  // Any server-streaming method by its descriptor: `on_message` gets each message, parsed
  // into a fresh message like `prototype`. Retried on UNAVAILABLE only until the first
  // message arrived (as the exports).
  absl::Status CallStreamMethod(
      const google::protobuf::MethodDescriptor& method, const google::protobuf::Message& request,
      const google::protobuf::Message& prototype,
      const std::function<void(const google::protobuf::Message& message)>& on_message);

 private:
  // Call + retry + status conversion for one unary RPC (defined in client.cc).
  template <typename Stub, typename Req, typename Resp>
  absl::StatusOr<Resp> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                            Stub* stub, Req req);

  // An export: CallStreamMethod of the method named `method` (e.g.
  // "d06.v1.TaskService.ExportAssignments", generated code) over messages of type Response
  // (`bytes data`), each message's data handed to on_chunk.
  template <typename Response>
  absl::Status ReadChunks(absl::string_view method, const google::protobuf::Message& req,
                          const ChunkSink& on_chunk) {
    return CallStreamMethod(
        *google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(std::string(method)),
        req, Response::default_instance(), [&](const google::protobuf::Message& message) {
          on_chunk(static_cast<const Response&>(message).data());
        });
  }

  // What every call's context carries: the token (as metadata or call credential) and
  // the actor.
  void PrepareContext(grpc::ClientContext* context) const;

  // Runs `attempt` with a fresh context (PrepareContext, deadline) until it succeeds, fails with
  // a code other than UNAVAILABLE, or the retries are used up.
  absl::Status Invoke(const std::function<grpc::Status(grpc::ClientContext*)>& attempt);

  ClientOptions options_;
  std::string authorization_;  // client::FixedAuthorizationFor; empty: none.
  std::shared_ptr<grpc::CallCredentials> call_credentials_;  // Null: none.
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::UnitService::Stub> units_;
  std::unique_ptr<v1::TaskService::Stub> tasks_;
  std::unique_ptr<v1::ReportService::Stub> reports_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::AccessService::Stub> access_;
};

namespace client {

// The payload type URL under which a converted status carries its serialized ErrorInfo
// (shared with the server: d06/v1/api_names.h).
using v1::kErrorInfoTypeUrl;

// grpc::Status -> absl::Status: same code and message; the ErrorInfo found in the
// status details (a d06.v1.ErrorStatus / google.rpc.Status) becomes a payload under
// kErrorInfoTypeUrl.
absl::Status FromGrpcStatus(const grpc::Status& status);

// For RESOURCE_EXHAUSTED/RATE_LIMITED, how long the server says to wait before retrying
// (ErrorInfo metadata "retry_after_ms"); zero for any other status.
absl::Duration RateLimitWait(const absl::Status& status);

// The ErrorInfo attached to `status`; an empty message if none (e.g. OK, or an error
// raised by gRPC itself such as DEADLINE_EXCEEDED).
v1::ErrorInfo ErrorInfoOf(const absl::Status& status);

// ErrorInfoOf(status).reason(): e.g. "INVALID_TRANSITION"; empty if there is no info.
std::string ErrorReason(const absl::Status& status);

// The pause before retry number `retry` (0-based): options.initial_backoff doubled per
// retry up to options.max_backoff, with +-20% jitter.
absl::Duration Backoff(const ClientOptions& options, int retry);

// A random UUIDv4 string, e.g. "1b4e28ba-2fa1-4d2e-883f-0016d3cca427" (36 chars).
std::string NewRequestId();

// Adds `actor` to the call's metadata as ClientOptions::actor describes (nothing when
// empty).
void AddActor(const std::string& actor, grpc::ClientContext* context);

}  // namespace client
}  // namespace d06

#endif  // D06_CLIENT_CLIENT_H_
