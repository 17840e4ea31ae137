#include "server/api/http_transport.h"

#include <httplib.h>

#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "d06/v1/api_names.h"
#include "d06/v1/common.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/api/dashboard.h"
#include "server/api/host_port.h"
#include "server/api/wire.h"
#include "server/domain/errors.h"

namespace d06::api {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kProto[] = "application/proto";
// An idle keep-alive connection is closed after this long (and Shutdown waits at most
// this long for one).
constexpr time_t kKeepAliveSeconds = 2;

// Connect's name of a code: gRPC's in lower snake case, but "canceled".
std::string ConnectCode(absl::StatusCode code) {
  if (code == absl::StatusCode::kCancelled) return "canceled";
  return absl::AsciiStrToLower(absl::StatusCodeToString(code));
}

// The HTTP status of a Connect error code (the Connect protocol's table).
int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// The Connect error body of `status`, with its ErrorInfo as the one detail.
std::string ErrorBody(const absl::Status& status) {
  const v1::ErrorInfo info = ErrorInfoOf(status);
  google::protobuf::Struct body;
  auto& fields = *body.mutable_fields();
  fields["code"].set_string_value(ConnectCode(status.code()));
  fields["message"].set_string_value(std::string(status.message()));
  google::protobuf::Struct* detail =
      fields["details"].mutable_list_value()->add_values()->mutable_struct_value();
  auto& detail_fields = *detail->mutable_fields();
  detail_fields["type"].set_string_value(std::string(v1::ErrorInfo::descriptor()->full_name()));
  std::string value = absl::Base64Escape(info.SerializeAsString());
  value.erase(std::find(value.begin(), value.end(), '='), value.end());  // unpadded
  detail_fields["value"].set_string_value(value);
  std::string debug_json;
  if (google::protobuf::util::MessageToJsonString(info, &debug_json).ok()) {
    (void)google::protobuf::util::JsonStringToMessage(
        debug_json, detail_fields["debug"].mutable_struct_value());
  }
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(body, &out);
  return out;
}

void SetError(const absl::Status& status, httplib::Response& res) {
  res.status = HttpStatusOf(status.code());
  res.set_content(ErrorBody(status), kJson);
}

absl::Status BadRequest(absl::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kMalformedRequest, message);
}

// The media type of a Content-Type header value, lower case, without parameters.
std::string MediaType(const std::string& content_type) {
  return absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(absl::string_view(content_type).substr(
          0, content_type.find(';'))));
}

// How long the call may take: Connect-Timeout-Ms (at most 10 digits), capped.
absl::StatusOr<absl::Duration> CallTime(const httplib::Request& req, absl::Duration max) {
  if (!req.has_header("Connect-Timeout-Ms")) return max;
  const std::string value = req.get_header_value("Connect-Timeout-Ms");
  int64_t ms = 0;
  if (value.empty() || value.size() > 10 ||
      !std::all_of(value.begin(), value.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(value, &ms)) {
    return BadRequest(absl::StrCat("Connect-Timeout-Ms must be 1 to 10 digits, not ",
                                   Quote(value)));
  }
  return std::min(absl::Milliseconds(ms), max);
}

// The actor headers of `req` (d06/v1/api_names.h): x-d06-actor as sent (UTF-8 allowed),
// x-d06-actor-bin decoded from base64 (standard or URL-safe alphabet, padded or not).
class ActorHeaders {
 public:
  // INVALID_ARGUMENT (field x-d06-actor-bin) when x-d06-actor-bin is not base64.
  absl::Status Read(const httplib::Request& req) {
    if (req.has_header(v1::kActorMetadataKey)) {
      text_value_ = req.get_header_value(v1::kActorMetadataKey);
      text_ = text_value_;
      metadata_.text = &text_;
    }
    if (req.has_header(v1::kActorBinMetadataKey)) {
      const std::string encoded = req.get_header_value(v1::kActorBinMetadataKey);
      if (!absl::Base64Unescape(encoded, &binary_value_) &&
          !absl::WebSafeBase64Unescape(encoded, &binary_value_)) {
        return InvalidField(v1::kActorBinMetadataKey,
                            absl::StrCat("the ", v1::kActorBinMetadataKey,
                                         " header must be the base64 of the actor's UTF-8; "
                                         "this one is not base64: ",
                                         Quote(encoded)));
      }
      binary_ = binary_value_;
      metadata_.binary = &binary_;
    }
    return absl::OkStatus();
  }
  const ActorMetadata& get() const { return metadata_; }

 private:
  std::string text_value_, binary_value_;
  absl::string_view text_, binary_;
  ActorMetadata metadata_;
};

// What a unary call leaves for its answer; shared with the done callback, which may run
// after the HTTP request gave up waiting (a timeout).
struct PendingCall {
  std::unique_ptr<Message> request;
  std::unique_ptr<Message> response;
  absl::Status status;
  absl::Notification done;
};

void ServeUnary(const MethodTable& table, const Method& method, const HttpOptions& options,
                const httplib::Request& req, httplib::Response& res) {
  const std::string media_type = MediaType(req.get_header_value("Content-Type"));
  const bool json = media_type == kJson;
  if (!json && media_type != kProto) {
    res.set_header("Accept-Post", "application/json, application/proto");
    res.status = 415;
    res.set_content(
        ErrorBody(BadRequest(absl::StrCat(
            "Content-Type must be application/json or application/proto, not ",
            Quote(req.get_header_value("Content-Type"))))),
        kJson);
    return;
  }
  if (req.has_header("Connect-Protocol-Version") &&
      req.get_header_value("Connect-Protocol-Version") != "1") {
    return SetError(BadRequest("Connect-Protocol-Version must be 1"), res);
  }
  absl::StatusOr<absl::Duration> call_time = CallTime(req, options.max_call_time);
  if (!call_time.ok()) return SetError(call_time.status(), res);

  auto call = std::make_shared<PendingCall>();
  call->request = method.NewRequest();
  call->response = method.NewResponse();
  if (json) {
    google::protobuf::util::JsonParseOptions parse;
    parse.ignore_unknown_fields = false;
    const auto parsed = google::protobuf::util::JsonStringToMessage(
        req.body.empty() ? "{}" : req.body, call->request.get(), parse);
    if (!parsed.ok()) {
      return SetError(BadRequest(absl::StrCat(
                          "the body is not a JSON ", call->request->GetDescriptor()->full_name(),
                          ": ", std::string(parsed.message()))),
                      res);
    }
  } else if (absl::Status s = ParseRequest(req.body, call->request.get()); !s.ok()) {
    return SetError(s, res);
  }
  ActorHeaders actor;
  if (absl::Status s = actor.Read(req); !s.ok()) return SetError(s, res);
  table.Call(method, actor.get(), *call->request, call->response.get(),
             [call](absl::Status status) {
               call->status = std::move(status);
               call->done.Notify();
             });
  if (!call->done.WaitForNotificationWithTimeout(*call_time)) {
    return SetError(absl::DeadlineExceededError(
                        "the call did not finish within its timeout; a write may still "
                        "complete: retry it with the same request_id"),
                    res);
  }
  if (!call->status.ok()) return SetError(call->status, res);
  if (json) {
    std::string out;
    if (!google::protobuf::util::MessageToJsonString(*call->response, &out).ok()) {
      return SetError(absl::InternalError("cannot write the response as JSON"), res);
    }
    res.set_content(out, kJson);
  } else {
    res.set_content(call->response->SerializeAsString(), kProto);
  }
}

// The CORS headers for a request from an allowed origin; false when it is not allowed.
bool AllowOrigin(const HttpOptions& options, const httplib::Request& req,
                 httplib::Response& res) {
  if (!req.has_header("Origin")) return false;
  const std::string origin = req.get_header_value("Origin");
  const bool any = std::find(options.cors_origins.begin(), options.cors_origins.end(), "*") !=
                   options.cors_origins.end();
  if (!any && std::find(options.cors_origins.begin(), options.cors_origins.end(), origin) ==
                  options.cors_origins.end()) {
    return false;
  }
  res.set_header("Access-Control-Allow-Origin", any ? "*" : origin);
  res.set_header("Vary", "Origin");
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpTransport>> HttpTransport::Start(const MethodTable& table,
                                                                    const std::string& address,
                                                                    HttpOptions options) {
  std::string host, port_text;
  int port = 0;
  if (!SplitHostPort(address, &host, &port_text) || !absl::SimpleAtoi(port_text, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen for HTTP on ", Quote(address), ": not a host:port"));
  }
  std::unique_ptr<HttpTransport> transport(new HttpTransport());
  auto server = std::make_unique<httplib::Server>();
  const int threads = std::max(1, options.threads);
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_payload_max_length(options.max_request_bytes);
  server->set_keep_alive_timeout(kKeepAliveSeconds);
  server->set_read_timeout(10, 0);
  server->set_write_timeout(10, 0);
  // SO_REUSEADDR only: cpp-httplib's default also sets SO_REUSEPORT, with which a second
  // server on this address would start and take half of the connections.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  auto shared = std::make_shared<const HttpOptions>(std::move(options));

  // A Connect error body for what httplib answers itself (too large, unknown path).
  server->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      res.set_content(ErrorBody(Error(absl::StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED",
                                      "the request body is larger than the server takes")),
                      kJson);
    } else if (res.status == 404) {
      res.set_content(ErrorBody(Error(absl::StatusCode::kNotFound, "NOT_FOUND",
                                      "no such page or method")),
                      kJson);
    }
  });
  server->Options(R"(/.*)", [shared](const httplib::Request& req, httplib::Response& res) {
    if (!AllowOrigin(*shared, req, res)) {
      res.status = 403;
      return;
    }
    res.set_header("Access-Control-Allow-Methods", "POST, GET");
    res.set_header("Access-Control-Allow-Headers",
                   "Content-Type, Connect-Protocol-Version, Connect-Timeout-Ms, X-D06-Actor, "
                   "X-D06-Actor-Bin");
    res.set_header("Access-Control-Max-Age", "7200");
    res.status = 204;
  });
  const MethodTable* methods = &table;
  server->Post(R"(/([A-Za-z0-9_.]+)/([A-Za-z0-9_]+))",
               [methods, shared](const httplib::Request& req, httplib::Response& res) {
                 AllowOrigin(*shared, req, res);
                 const Method* method =
                     methods->Find(absl::StrCat(req.matches[1].str(), ".", req.matches[2].str()));
                 if (method == nullptr) {
                   return SetError(Error(absl::StatusCode::kUnimplemented, "UNIMPLEMENTED",
                                         absl::StrCat("no method ", req.matches[1].str(), "/",
                                                      req.matches[2].str())),
                                   res);
                 }
                 if (method->server_streaming()) {
                   const absl::Status status =
                       Error(absl::StatusCode::kUnimplemented, "UNIMPLEMENTED",
                             absl::StrCat(method->descriptor->full_name(),
                                          " streams: it is served over gRPC only"));
                   // A Connect streaming client (application/connect+json or +proto)
                   // reads the error from the end-of-stream message of a 200 answer,
                   // not from the HTTP status (it would see 501 as "unknown").
                   const std::string media_type =
                       MediaType(req.get_header_value("Content-Type"));
                   if (absl::StartsWith(media_type, "application/connect+")) {
                     const std::string end = absl::StrCat("{\"error\":", ErrorBody(status), "}");
                     std::string frame(5, '\0');
                     frame[0] = 0x02;  // end of stream
                     for (int i = 0; i < 4; ++i) {
                       frame[4 - i] = static_cast<char>((end.size() >> (8 * i)) & 0xff);
                     }
                     res.status = 200;
                     res.set_content(frame + end, media_type);
                     return;
                   }
                   return SetError(status, res);
                 }
                 ServeUnary(*methods, *method, *shared, req, res);
               });
  server->Get(R"(/(.*))", [](const httplib::Request& req, httplib::Response& res) {
    const DashboardFile* file = FindDashboardFile(req.matches[1].str());
    if (file == nullptr) {
      res.status = 404;
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Content-Type-Options", "nosniff");
    // The page loads and calls nothing but this server.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; frame-ancestors 'self'; base-uri 'none'");
    res.set_content(std::string(file->content), std::string(file->content_type));
  });

  const int bound = port == 0 ? server->bind_to_any_port(host)
                              : (server->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return WhyCannotListen(address, "cpp-httplib could not listen on it");
  transport->port_ = bound;
  httplib::Server* raw = server.get();
  transport->server_ = std::move(server);
  transport->listener_ = std::thread([raw] { raw->listen_after_bind(); });
  return transport;
}

HttpTransport::~HttpTransport() { Shutdown(); }

void HttpTransport::Shutdown() {
  if (!listener_.joinable()) return;
  server_->stop();
  listener_.join();
}

}  // namespace d06::api
