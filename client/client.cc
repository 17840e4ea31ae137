#include "client/client.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "d06/v1/api_names.h"

namespace d06 {
namespace {

// Detects generated request types with a `request_id` field (the mutating RPCs).
template <typename T, typename = void>
struct HasRequestId : std::false_type {};
template <typename T>
struct HasRequestId<T, std::void_t<decltype(std::declval<T&>().set_request_id(std::string()))>>
    : std::true_type {};

constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";
constexpr char kErrorInfoTypeName[] = "d06.v1.ErrorInfo";
// The longest RATE_LIMITED wait a call sits out before retrying; longer is the caller's.
constexpr absl::Duration kMaxRateLimitWait = absl::Seconds(5);

bool IsPrintableAscii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace

namespace client {

std::string NewRequestId() {
  thread_local absl::BitGen gen;
  unsigned char bytes[16];
  for (unsigned char& b : bytes) b = absl::Uniform<unsigned char>(gen);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  const std::string details = status.error_details();
  v1::ErrorStatus error_status;
  if (!details.empty() && error_status.ParseFromString(details)) {
    for (const auto& any : error_status.details()) {
      absl::string_view url = any.type_url();
      size_t slash = url.rfind('/');
      absl::string_view type_name = slash == absl::string_view::npos ? url : url.substr(slash + 1);
      if (type_name != kErrorInfoTypeName) continue;
      v1::ErrorInfo info;
      if (info.ParseFromString(any.value())) {
        out.SetPayload(kErrorInfoTypeUrl, absl::Cord(any.value()));
        break;
      }
    }
  }
  return out;
}

absl::Duration RateLimitWait(const absl::Status& status) {
  if (!absl::IsResourceExhausted(status)) return absl::ZeroDuration();
  const v1::ErrorInfo info = ErrorInfoOf(status);
  auto it = info.metadata().find(v1::kRetryAfterMsKey);
  int64_t ms = 0;
  if (info.reason() != v1::reason::kRateLimited || it == info.metadata().end() ||
      !absl::SimpleAtoi(it->second, &ms) || ms <= 0) {
    return absl::ZeroDuration();
  }
  return absl::Milliseconds(ms);
}

v1::ErrorInfo ErrorInfoOf(const absl::Status& status) {
  v1::ErrorInfo info;
  if (auto payload = status.GetPayload(kErrorInfoTypeUrl); payload.has_value()) {
    if (!info.ParseFromString(std::string(*payload))) info.Clear();
  }
  return info;
}

std::string ErrorReason(const absl::Status& status) { return ErrorInfoOf(status).reason(); }

void AddActor(const std::string& actor, grpc::ClientContext* context) {
  if (actor.empty()) return;
  // gRPC metadata values are printable ASCII; anything else travels as bytes under the
  // -bin key, which gRPC base64-codes on the wire. The server checks either.
  context->AddMetadata(IsPrintableAscii(actor) ? v1::kActorMetadataKey : v1::kActorBinMetadataKey,
                       actor);
}

absl::Duration Backoff(const ClientOptions& options, int retry) {
  absl::Duration d = options.initial_backoff;
  for (int i = 0; i < retry && d < options.max_backoff; ++i) d *= 2;
  d = std::min(d, options.max_backoff);
  thread_local absl::BitGen gen;
  return d * absl::Uniform(gen, 0.8, 1.2);
}

}  // namespace client

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  if (options.target.empty()) {
    return absl::InvalidArgumentError("ClientOptions.target is required");
  }
  if (options.max_retries < 0 || options.default_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "ClientOptions.max_retries must be >= 0 and default_timeout > 0");
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      client::ChannelCredentialsFor(options);
  if (!creds.ok()) return creds.status();
  if (!options.token_file.empty()) {
    // Fail now, naming the file, rather than on every call.
    absl::StatusOr<std::string> token = client::TokenSource::File(options.token_file)->Current();
    if (!token.ok()) return token.status();
  } else if (!options.token.empty()) {
    absl::StatusOr<std::string> token = client::TokenSource::Fixed(options.token)->Current();
    if (!token.ok()) return token.status();
  }
  grpc::ChannelArguments args;
  // gRPC's default reconnect backoff grows to 120 s: a client would notice a restarted
  // server only that much later (a watch resumed 7.6 s after the server was back).
  const int max_reconnect_ms = static_cast<int>(
      std::max<int64_t>(100, absl::ToInt64Milliseconds(options.max_reconnect_backoff)));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(100, max_reconnect_ms));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, std::min(100, max_reconnect_ms));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_reconnect_ms);
  if (!options.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(options.target, *creds, args);
  if (channel == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a channel to ", options.target));
  }
  return std::make_unique<Client>(std::move(channel), options);
}

Client::Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : options_(std::move(options)),
      authorization_(client::FixedAuthorizationFor(options_)),
      call_credentials_(client::CallCredentialsFor(options_)),
      channel_(std::move(channel)),
      units_(v1::UnitService::NewStub(channel_)),
      tasks_(v1::TaskService::NewStub(channel_)),
      reports_(v1::ReportService::NewStub(channel_)),
      events_(v1::EventService::NewStub(channel_)),
      access_(v1::AccessService::NewStub(channel_)) {
  if (options_.max_retries < 0) options_.max_retries = 0;
}

void Client::PrepareContext(grpc::ClientContext* context) const {
  if (!authorization_.empty()) context->AddMetadata(v1::kAuthorizationMetadataKey, authorization_);
  if (call_credentials_ != nullptr) context->set_credentials(call_credentials_);
  client::AddActor(options_.actor, context);
}

absl::Status Client::Invoke(const std::function<grpc::Status(grpc::ClientContext*)>& attempt) {
  for (int retry = 0;; ++retry) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.default_timeout));
    PrepareContext(&context);
    grpc::Status status = attempt(&context);
    if (status.ok()) return absl::OkStatus();
    if (retry < options_.max_retries &&
        status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      // Over the principal's rate budget: refused before anything ran, so any call may be
      // sent again once the server says a token is back (a short wait only).
      absl::Status refused = client::FromGrpcStatus(status);
      const absl::Duration wait = client::RateLimitWait(refused);
      if (wait <= absl::ZeroDuration() || wait > kMaxRateLimitWait) return refused;
      absl::SleepFor(wait);
      continue;
    }
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE || retry >= options_.max_retries) {
      return client::FromGrpcStatus(status);
    }
    absl::SleepFor(client::Backoff(options_, retry));
  }
}

template <typename Stub, typename Req, typename Resp>
absl::StatusOr<Resp> Client::Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&,
                                                               Resp*),
                                  Stub* stub, Req req) {
  // The id is fixed before the first attempt: every retry is the same request.
  if constexpr (HasRequestId<Req>::value) {
    if (req.request_id().empty()) req.set_request_id(client::NewRequestId());
  }
  Resp resp;
  absl::Status status = Invoke([&](grpc::ClientContext* context) {
    resp.Clear();
    return (stub->*method)(context, req, &resp);
  });
  if (!status.ok()) return status;
  return resp;
}

absl::Status Client::ExportAssignments(v1::ExportAssignmentsRequest req,
                                       const ChunkSink& on_chunk) {
  return ReadChunks<v1::ExportAssignmentsResponse>("d06.v1.TaskService.ExportAssignments", req,
                                                   on_chunk);
}

absl::Status Client::ExportSummary(v1::ExportSummaryRequest req, const ChunkSink& on_chunk) {
  return ReadChunks<v1::ExportSummaryResponse>("d06.v1.ReportService.ExportSummary", req, on_chunk);
}

absl::Status Client::CheckHealth() {
  // grpc.health.v1.HealthCheckRequest{service: ""} serializes to zero bytes. The
  // response is HealthCheckResponse{status = 1 (enum ServingStatus)}, read by hand:
  // 0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN.
  grpc::GenericStub stub(channel_);
  int serving_status = 0;
  absl::Status status = Invoke([&](grpc::ClientContext* context) {
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    grpc::Status result;
    absl::Notification done;
    stub.UnaryCall(context, kHealthCheckMethod, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) {
                     result = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    if (!result.ok()) return result;
    std::vector<grpc::Slice> slices;
    if (!response.Dump(&slices).ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable health response");
    }
    std::string bytes;
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                              static_cast<int>(bytes.size()));
    serving_status = 0;
    while (uint32_t tag = in.ReadTag()) {
      if (tag == (1u << 3 | 0u)) {  // field 1, varint
        uint32_t value = 0;
        if (!in.ReadVarint32(&value)) break;
        serving_status = static_cast<int>(value);
      } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
        return grpc::Status(grpc::StatusCode::INTERNAL, "malformed health response");
      }
    }
    return grpc::Status::OK;
  });
  if (!status.ok()) return status;
  if (serving_status != 1) {
    static constexpr const char* kNames[] = {"UNKNOWN", "SERVING", "NOT_SERVING",
                                             "SERVICE_UNKNOWN"};
    return absl::UnavailableError(
        absl::StrCat("health: server is ", serving_status >= 0 && serving_status < 4
                                               ? kNames[serving_status]
                                               : absl::StrCat(serving_status)));
  }
  return absl::OkStatus();
}

// One line per RPC: the shared Call template does the rest.
#define D06_CLIENT_RPC(stub_member, Service, Method)                             \
  absl::StatusOr<v1::Method##Response> Client::Method(v1::Method##Request req) { \
    return Call(&v1::Service::Stub::Method, stub_member.get(), std::move(req));  \
  }

D06_CLIENT_RPC(units_, UnitService, CreateUnit)
D06_CLIENT_RPC(units_, UnitService, GetUnit)
D06_CLIENT_RPC(units_, UnitService, ListUnits)
D06_CLIENT_RPC(units_, UnitService, UpdateUnit)
D06_CLIENT_RPC(units_, UnitService, RenameUnit)
D06_CLIENT_RPC(units_, UnitService, MoveUnit)
D06_CLIENT_RPC(units_, UnitService, MergeUnits)
D06_CLIENT_RPC(units_, UnitService, DissolveUnit)

D06_CLIENT_RPC(tasks_, TaskService, CreateTask)
D06_CLIENT_RPC(tasks_, TaskService, GetTask)
D06_CLIENT_RPC(tasks_, TaskService, ListTasks)
D06_CLIENT_RPC(tasks_, TaskService, UpdateTask)
D06_CLIENT_RPC(tasks_, TaskService, CancelTask)
D06_CLIENT_RPC(tasks_, TaskService, CreateAssignment)
D06_CLIENT_RPC(tasks_, TaskService, GetAssignment)
D06_CLIENT_RPC(tasks_, TaskService, ListAssignments)
D06_CLIENT_RPC(tasks_, TaskService, StartAssignment)
D06_CLIENT_RPC(tasks_, TaskService, ReportAssignmentProgress)
D06_CLIENT_RPC(tasks_, TaskService, SubmitAssignment)
D06_CLIENT_RPC(tasks_, TaskService, ApproveAssignment)
D06_CLIENT_RPC(tasks_, TaskService, ReturnAssignment)
D06_CLIENT_RPC(tasks_, TaskService, DeclineAssignment)
D06_CLIENT_RPC(tasks_, TaskService, RevokeAssignment)
D06_CLIENT_RPC(tasks_, TaskService, ReopenAssignment)
D06_CLIENT_RPC(tasks_, TaskService, ListTaskEvents)
D06_CLIENT_RPC(tasks_, TaskService, RequestExtension)
D06_CLIENT_RPC(tasks_, TaskService, ApproveExtension)
D06_CLIENT_RPC(tasks_, TaskService, RefuseExtension)
D06_CLIENT_RPC(tasks_, TaskService, UrgeAssignment)
D06_CLIENT_RPC(tasks_, TaskService, ListUrges)
D06_CLIENT_RPC(tasks_, TaskService, FilePeriodReport)
D06_CLIENT_RPC(tasks_, TaskService, ListPeriodReports)

D06_CLIENT_RPC(reports_, ReportService, GetSummary)

D06_CLIENT_RPC(access_, AccessService, CreatePrincipal)
D06_CLIENT_RPC(access_, AccessService, GetPrincipal)
D06_CLIENT_RPC(access_, AccessService, ListPrincipals)
D06_CLIENT_RPC(access_, AccessService, UpdatePrincipal)
D06_CLIENT_RPC(access_, AccessService, CreateToken)
D06_CLIENT_RPC(access_, AccessService, ListTokens)
D06_CLIENT_RPC(access_, AccessService, RevokeToken)
D06_CLIENT_RPC(access_, AccessService, WhoAmI)

#undef D06_CLIENT_RPC

}  // namespace d06
