#include "server/api/http_transport.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "common/dates.h"
#include "d06/v1/api_names.h"
#include "d06/v1/common.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/api/dashboard.h"
#include "server/api/grpc_status.h"
#include "server/api/host_port.h"
#include "server/api/http_download.h"
#include "server/api/http_server.h"
#include "server/api/wire.h"
#include "server/domain/errors.h"
#include "storage/status_macros.h"

namespace d06::api {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kProto[] = "application/proto";

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
  // RATE_LIMITED: a google.rpc.RetryInfo too, as over gRPC.
  if (const int64_t retry_ms = RetryAfterMs(info); retry_ms > 0) {
    auto& retry = *fields["details"]
                       .mutable_list_value()
                       ->add_values()
                       ->mutable_struct_value()
                       ->mutable_fields();
    retry["type"].set_string_value("google.rpc.RetryInfo");
    std::string bytes = absl::Base64Escape(RetryInfoBytes(retry_ms));
    bytes.erase(std::find(bytes.begin(), bytes.end(), '='), bytes.end());
    retry["value"].set_string_value(bytes);
    (*retry["debug"].mutable_struct_value()->mutable_fields())["retryDelay"].set_string_value(
        absl::StrCat(retry_ms / 1000, ".", absl::StrFormat("%03d", retry_ms % 1000), "s"));
  }
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(body, &out);
  return out;
}

void SetError(const absl::Status& status, HttpResponse& res) {
  res.status = HttpStatusOf(status.code());
  // RFC 6750: a 401 names the scheme it takes.
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"d06\"");
  }
  // RFC 9110 §10.2.3: when to come back, in whole seconds (rounded up).
  if (const int64_t retry_ms = RetryAfterMs(ErrorInfoOf(status)); retry_ms > 0) {
    res.set_header("Retry-After", absl::StrCat((retry_ms + 999) / 1000));
  }
  res.set_content(ErrorBody(status), kJson);
}

absl::Status BadRequest(absl::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kMalformedRequest, message);
}

// The media type of a Content-Type header value, lower case, without parameters.
std::string MediaType(const std::string& content_type) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(
      absl::string_view(content_type).substr(0, content_type.find(';'))));
}

// How long the call may take: Connect-Timeout-Ms (at most 10 digits), capped.
absl::StatusOr<absl::Duration> CallTime(const HttpRequest& req, absl::Duration max) {
  if (!req.has_header("Connect-Timeout-Ms")) return max;
  const std::string value = req.header("Connect-Timeout-Ms");
  int64_t ms = 0;
  if (value.empty() || value.size() > 10 ||
      !std::all_of(value.begin(), value.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(value, &ms)) {
    return BadRequest(
        absl::StrCat("Connect-Timeout-Ms must be 1 to 10 digits, not ", Quote(value)));
  }
  return std::min(absl::Milliseconds(ms), max);
}

// In `object`, a message of `type` in protobuf's JSON mapping, an enum value given by a
// name `type` does not define: sets *where (e.g. "unit.kind") and *name. Fields `type`
// does not have are skipped, as the parser skips them.
bool FindUnknownEnumName(const google::protobuf::Struct& object,
                         const google::protobuf::Descriptor& type, const std::string& path,
                         std::string* where, std::string* name);

// One value of `field` (an element, for a repeated or map field) at `path`.
bool FindUnknownEnumNameIn(const google::protobuf::Value& value,
                           const google::protobuf::FieldDescriptor& field, const std::string& path,
                           std::string* where, std::string* name) {
  if (field.cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_ENUM) {
    if (value.kind_case() != google::protobuf::Value::kStringValue ||
        field.enum_type()->full_name() == "google.protobuf.NullValue" ||
        field.enum_type()->FindValueByName(value.string_value()) != nullptr) {
      return false;
    }
    *where = path;
    *name = value.string_value();
    return true;
  }
  // Well-known types have JSON forms of their own (strings, any value), without enums
  // of ours.
  if (field.cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
      value.kind_case() != google::protobuf::Value::kStructValue ||
      field.message_type()->file()->package() == "google.protobuf") {
    return false;
  }
  return FindUnknownEnumName(value.struct_value(), *field.message_type(), path, where, name);
}

bool FindUnknownEnumName(const google::protobuf::Struct& object,
                         const google::protobuf::Descriptor& type, const std::string& path,
                         std::string* where, std::string* name) {
  for (const auto& [key, value] : object.fields()) {
    const google::protobuf::FieldDescriptor* field = type.FindFieldByName(key);
    for (int i = 0; field == nullptr && i < type.field_count(); ++i) {
      if (type.field(i)->json_name() == key) field = type.field(i);
    }
    if (field == nullptr) continue;
    const std::string at = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (field->is_map()) {
      if (!value.has_struct_value()) continue;
      for (const auto& [k, v] : value.struct_value().fields()) {
        if (FindUnknownEnumNameIn(v, *field->message_type()->map_value(),
                                  absl::StrCat(at, "[", k, "]"), where, name)) {
          return true;
        }
      }
    } else if (field->is_repeated()) {
      if (!value.has_list_value()) continue;
      for (int i = 0; i < value.list_value().values_size(); ++i) {
        if (FindUnknownEnumNameIn(value.list_value().values(i), *field,
                                  absl::StrCat(at, "[", i, "]"), where, name)) {
          return true;
        }
      }
    } else if (FindUnknownEnumNameIn(value, *field, at, where, name)) {
      return true;
    }
  }
  return false;
}

// Parses `body`, JSON or binary, into *request.
//
// JSON as Connect's own servers (connect-go, protobuf-es) read it: a field the server does
// not know is ignored, so that clients generated from a newer schema keep working. An
// enum value name it does not know is refused, unlike there (protobuf's parser would drop
// it, leaving the field unset, e.g. a summary's group_by silently ungrouped): it is a
// mistake in a field the server knows, not a field from a newer schema.
absl::Status DecodeRequest(bool json, absl::string_view body, Message* request) {
  if (!json) return ParseRequest(body, request);
  const std::string text = body.empty() ? "{}" : std::string(body);
  // The common case, a body with nothing unknown, is parsed once.
  google::protobuf::util::JsonParseOptions strict;
  strict.ignore_unknown_fields = false;
  if (google::protobuf::util::JsonStringToMessage(text, request, strict).ok()) {
    return absl::OkStatus();
  }
  request->Clear();
  google::protobuf::util::JsonParseOptions lenient;
  lenient.ignore_unknown_fields = true;
  const std::string type = request->GetDescriptor()->full_name();
  if (const auto parsed = google::protobuf::util::JsonStringToMessage(text, request, lenient);
      !parsed.ok()) {
    return BadRequest(
        absl::StrCat("the body is not a JSON ", type, ": ", std::string(parsed.message())));
  }
  google::protobuf::Value tree;
  std::string where, name;
  if (google::protobuf::util::JsonStringToMessage(text, &tree).ok() && tree.has_struct_value() &&
      FindUnknownEnumName(tree.struct_value(), *request->GetDescriptor(), "", &where, &name)) {
    request->Clear();
    return BadRequest(absl::StrCat("the body is not a JSON ", type, ": ", where,
                                   " must be a value its enum defines, not ", Quote(name)));
  }
  return absl::OkStatus();
}

// What `req` says about its caller (d06/v1/api_names.h), as the method table reads it:
// x-d06-actor as sent (UTF-8 allowed) and x-d06-impersonate likewise; their "-bin" forms
// decoded from base64 (standard or URL-safe alphabet, padded or not); Authorization; the
// peer and the client certificate of the connection.
class CallContextOf {
 public:
  CallContextOf(const HttpRequest& req, absl::Time deadline) : req_(req) {
    context_.deadline = deadline;
  }
  CallContextOf(const CallContextOf&) = delete;
  CallContextOf& operator=(const CallContextOf&) = delete;

  // INVALID_ARGUMENT (field: the header) when a "-bin" header is not base64.
  absl::Status Read() {
    Text(v1::kActorMetadataKey, &actor_text_, &context_.actor_text);
    Text(v1::kAuthorizationMetadataKey, &authorization_, &context_.authorization);
    Text(v1::kImpersonateMetadataKey, &impersonate_text_, &context_.impersonate_text);
    RETURN_IF_ERROR(Binary(v1::kActorBinMetadataKey, &actor_binary_, &context_.actor_binary));
    RETURN_IF_ERROR(
        Binary(v1::kImpersonateBinMetadataKey, &impersonate_binary_, &context_.impersonate_binary));
    context_.peer = req_.peer;
    context_.client_certificate = req_.client_certificate;
    context_.transport = CallContext::Transport::kConnect;
    return absl::OkStatus();
  }
  const CallContext& get() const { return context_; }

 private:
  void Text(const char* name, std::string* value, std::optional<absl::string_view>* out) {
    if (!req_.has_header(name)) return;
    *value = req_.header(name);
    *out = *value;
  }
  absl::Status Binary(const char* name, std::string* value, std::optional<absl::string_view>* out) {
    if (!req_.has_header(name)) return absl::OkStatus();
    const std::string encoded = req_.header(name);
    if (!absl::Base64Unescape(encoded, value) && !absl::WebSafeBase64Unescape(encoded, value)) {
      return InvalidField(name, absl::StrCat("the ", name,
                                             " header must be the base64 of UTF-8 text; "
                                             "this one is not base64: ",
                                             Quote(encoded)));
    }
    *out = *value;
    return absl::OkStatus();
  }

  const HttpRequest& req_;
  std::string actor_text_, actor_binary_, authorization_, impersonate_text_, impersonate_binary_;
  CallContext context_;
};

// What a unary call leaves for its answer; shared with the done callback, which may run
// after the HTTP request gave up waiting (a timeout).
struct PendingCall {
  std::unique_ptr<Message> request;
  std::unique_ptr<Message> response;
  absl::Status status;
  absl::Notification done;
};

// Runs `call` (its request decoded) through the table and writes the answer, in JSON or
// binary, or the error.
void RunCall(const MethodTable& table, const Method& method, const HttpRequest& req, bool json,
             absl::Duration call_time, std::shared_ptr<PendingCall> call, HttpResponse& res) {
  CallContextOf context(req, absl::Now() + call_time);
  if (absl::Status s = context.Read(); !s.ok()) return SetError(s, res);
  table.Call(method, context.get(), *call->request, call->response.get(),
             [call](absl::Status status) {
               call->status = std::move(status);
               call->done.Notify();
             });
  if (!call->done.WaitForNotificationWithTimeout(call_time)) {
    return SetError(
        absl::DeadlineExceededError("the call did not finish within its timeout; a write may still "
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

std::shared_ptr<PendingCall> NewCall(const Method& method) {
  auto call = std::make_shared<PendingCall>();
  call->request = method.NewRequest();
  call->response = method.NewResponse();
  return call;
}

// A unary call in Connect's POST form.
void ServeUnary(const MethodTable& table, const Method& method, const HttpOptions& options,
                const HttpRequest& req, HttpResponse& res) {
  const std::string media_type = MediaType(req.header("Content-Type"));
  const bool json = media_type == kJson;
  if (!json && media_type != kProto) {
    table.Refused(CallContext::Transport::kConnect, Refusal::kUnsupportedMedia);
    res.set_header("Accept-Post", "application/json, application/proto");
    res.status = 415;
    res.set_content(ErrorBody(BadRequest(absl::StrCat(
                        "Content-Type must be application/json or application/proto, not ",
                        Quote(req.header("Content-Type"))))),
                    kJson);
    return;
  }
  if (req.has_header("Connect-Protocol-Version") && req.header("Connect-Protocol-Version") != "1") {
    return SetError(BadRequest("Connect-Protocol-Version must be 1"), res);
  }
  absl::StatusOr<absl::Duration> call_time = CallTime(req, options.max_call_time);
  if (!call_time.ok()) return SetError(call_time.status(), res);
  std::shared_ptr<PendingCall> call = NewCall(method);
  if (absl::Status s = DecodeRequest(json, req.body, call->request.get()); !s.ok()) {
    table.Refused(CallContext::Transport::kConnect, Refusal::kMalformed);
    return SetError(s, res);
  }
  RunCall(table, method, req, json, *call_time, std::move(call), res);
}

// A unary call in Connect's GET form (methods without side effects only):
// ?encoding=json|proto&message=...[&base64=1][&compression=identity][&connect=v1].
void ServeGet(const MethodTable& table, const Method& method, const HttpOptions& options,
              const HttpRequest& req, HttpResponse& res) {
  if (method.descriptor->options().idempotency_level() !=
      google::protobuf::MethodOptions::NO_SIDE_EFFECTS) {
    res.set_header("Allow", "POST");
    SetError(Error(absl::StatusCode::kUnimplemented, "UNIMPLEMENTED",
                   absl::StrCat(method.descriptor->full_name(),
                                " may change data: call it with POST (GET is served only "
                                "for methods without side effects)")),
             res);
    res.status = 405;
    return;
  }
  if (req.has_param("connect") && req.param("connect") != "v1") {
    return SetError(BadRequest(absl::StrCat("the connect parameter must be v1, not ",
                                            Quote(req.param("connect")))),
                    res);
  }
  const std::string encoding = req.param("encoding");
  const bool json = encoding == "json";
  if (!json && encoding != "proto") {
    table.Refused(CallContext::Transport::kConnect, Refusal::kUnsupportedMedia);
    res.status = 415;
    res.set_content(ErrorBody(BadRequest(absl::StrCat(
                        "the encoding parameter must be json or proto, not ", Quote(encoding)))),
                    kJson);
    return;
  }
  if (req.has_param("compression") && req.param("compression") != "identity") {
    return SetError(Error(absl::StatusCode::kUnimplemented, "UNIMPLEMENTED",
                          absl::StrCat("the message must not be compressed (compression "
                                       "identity or none), not ",
                                       Quote(req.param("compression")))),
                    res);
  }
  if (!req.has_param("message")) {
    return SetError(BadRequest("a GET needs the message parameter: the request, URL-encoded "
                               "(base64url-encoded with base64=1)"),
                    res);
  }
  std::string message = req.param("message");
  if (req.has_param("base64") && req.param("base64") != "0") {
    std::string decoded;
    if (req.param("base64") != "1" || !absl::WebSafeBase64Unescape(message, &decoded)) {
      return SetError(BadRequest("with base64=1 the message parameter must be base64url "
                                 "(padded or not)"),
                      res);
    }
    message = std::move(decoded);
  }
  absl::StatusOr<absl::Duration> call_time = CallTime(req, options.max_call_time);
  if (!call_time.ok()) return SetError(call_time.status(), res);
  std::shared_ptr<PendingCall> call = NewCall(method);
  if (absl::Status s = DecodeRequest(json, message, call->request.get()); !s.ok()) {
    table.Refused(CallContext::Transport::kConnect, Refusal::kMalformed);
    return SetError(s, res);
  }
  // Reports and lists change with every write: a cache may keep the answer but must ask
  // again before reusing it, and only the browser's own (it may name the actor's data).
  res.set_header("Cache-Control", "private, no-cache");
  RunCall(table, method, req, json, *call_time, std::move(call), res);
}

// The answer of a server-streaming method over HTTP: unimplemented, gRPC only.
void RefuseStream(const Method& method, const HttpRequest& req, HttpResponse& res) {
  const absl::Status status =
      Error(absl::StatusCode::kUnimplemented, "UNIMPLEMENTED",
            absl::StrCat(method.descriptor->full_name(), " streams: it is served over gRPC only"));
  // A Connect streaming client (application/connect+json or +proto) reads the error from
  // the end-of-stream message of a 200 answer, not from the HTTP status (it would see
  // 501 as "unknown").
  const std::string media_type = MediaType(req.header("Content-Type"));
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
  SetError(status, res);
}

// The method of a path "/package.Service/Method" (`service` and `name` from it), or null
// with an unimplemented error in `res`.
const Method* FindMethod(const MethodTable& table, const std::string& service,
                         const std::string& name, HttpResponse& res) {
  const Method* method = table.Find(absl::StrCat(service, ".", name));
  if (method == nullptr) {
    table.Refused(CallContext::Transport::kConnect, Refusal::kUnknownMethod);
    SetError(Error(absl::StatusCode::kUnimplemented, "UNIMPLEMENTED",
                   absl::StrCat("no method ", service, "/", name)),
             res);
  }
  return method;
}

bool IsServiceOf(const MethodTable& table, absl::string_view name) {
  return std::any_of(table.services().begin(), table.services().end(),
                     [&](const google::protobuf::ServiceDescriptor* service) {
                       return service->full_name() == name;
                     });
}

// The CORS headers for a request from an allowed origin; false when it is not allowed.
// `origins` are lower case (CheckHttpOptions made sure they are origins).
bool AllowOrigin(const std::vector<std::string>& origins, const HttpRequest& req,
                 HttpResponse& res) {
  if (!req.has_header("Origin")) return false;
  const std::string origin = req.header("Origin");
  const bool any = std::find(origins.begin(), origins.end(), "*") != origins.end();
  if (!any &&
      std::find(origins.begin(), origins.end(), absl::AsciiStrToLower(origin)) == origins.end()) {
    return false;
  }
  res.set_header("Access-Control-Allow-Origin", any ? "*" : origin);
  res.set_header("Vary", "Origin");
  // A portal's page may read when to retry a 429.
  res.set_header("Access-Control-Expose-Headers", "Retry-After");
  return true;
}

// The host of a Host header value ("name", "name:port", "[v6]", "[v6]:port"), in lower
// case; empty when it is not of that form.
std::string HostOf(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  absl::string_view host = value, port;
  if (absl::StartsWith(value, "[")) {
    const size_t close = value.find(']');
    if (close == absl::string_view::npos) return "";
    host = value.substr(0, close + 1);
    port = value.substr(close + 1);
  } else if (const size_t colon = value.find(':'); colon != absl::string_view::npos) {
    host = value.substr(0, colon);
    port = value.substr(colon);
  }
  if (!port.empty() && (!absl::ConsumePrefix(&port, ":") || port.empty() ||
                        !std::all_of(port.begin(), port.end(), absl::ascii_isdigit))) {
    return "";
  }
  return absl::AsciiStrToLower(host);
}

// `host` (a name, an IPv4 address, or an IPv6 address with or without brackets) as a
// Host header names it: lower case, IPv6 in brackets.
std::string AsHostHeader(absl::string_view host) {
  const std::string lower = absl::AsciiStrToLower(host);
  if (lower.find(':') != std::string::npos && !absl::StartsWith(lower, "[")) {
    return absl::StrCat("[", lower, "]");
  }
  return lower;
}

// Why `host` (an element of allowed_hosts) is not a host name or address; empty if it is.
std::string WhyNotAHost(absl::string_view host) {
  if (host.empty()) return "an empty element (two commas, or one at an end)";
  if (absl::StrContains(host, "://")) return "a scheme";
  if (absl::StrContains(host, '/')) return "a path";
  absl::string_view bare = host;
  const bool bracketed = absl::ConsumePrefix(&bare, "[");
  if (bracketed && !absl::ConsumeSuffix(&bare, "]")) return "an unclosed [";
  if (bare.empty()) return "no host";
  if (bracketed || absl::StrContains(bare, ':')) {
    // An IPv6 address has at least two colons; a name or IPv4 address with one has a port.
    const bool ipv6 = std::count(bare.begin(), bare.end(), ':') >= 2 &&
                      std::all_of(bare.begin(), bare.end(), [](char c) {
                        return absl::ascii_isxdigit(c) || c == ':' || c == '.';
                      });
    if (ipv6) return "";
    return bracketed ? "brackets around something else than an IPv6 address" : "a port";
  }
  for (char c : bare) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.' && c != '_') {
      return absl::StrCat("the character ", Quote(absl::string_view(&c, 1)));
    }
  }
  return "";
}

// Why `origin` (an element of cors_origins other than "*") is not an origin; empty if it
// is.
std::string WhyNotAnOrigin(absl::string_view origin) {
  if (origin.empty()) return "an empty element (two commas, or one at an end)";
  const size_t scheme_end = origin.find("://");
  if (scheme_end == absl::string_view::npos) return "no scheme";
  const std::string scheme = absl::AsciiStrToLower(origin.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return absl::StrCat("the scheme ", Quote(scheme), ", not http or https");
  }
  absl::string_view rest = origin.substr(scheme_end + 3);
  if (const size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    return slash + 1 == rest.size() ? "a trailing slash" : "a path";
  }
  if (rest.find_first_of("?#") != absl::string_view::npos) return "a query or fragment";
  if (rest.find('@') != absl::string_view::npos) return "a user name";
  std::string host = std::string(rest), port;
  if (const size_t colon = rest.rfind(':');
      colon != absl::string_view::npos && rest.find(']', colon) == absl::string_view::npos) {
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
    int number = 0;
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
      return absl::StrCat("the port ", Quote(port), ", not 1 to 65535");
    }
  }
  if (host.empty()) return "no host";
  if (std::string why = WhyNotAHost(host); !why.empty()) return absl::StrCat("a host with ", why);
  return "";
}

// What the HTTP face answers with: the table, the options and the hosts a request's Host
// header may name (as HostOf gives them).
struct Face {
  const MethodTable* table;
  HttpOptions options;
  std::set<std::string> hosts;
};

// "/package.Service/Method" split into service and method name (the path of a Connect
// POST); false when `path` is not of that form.
bool SplitMethodPath(absl::string_view path, std::string* service, std::string* name) {
  if (!absl::ConsumePrefix(&path, "/")) return false;
  const size_t slash = path.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == path.size()) return false;
  const absl::string_view first = path.substr(0, slash), second = path.substr(slash + 1);
  auto is_name_char = [](char c) { return absl::ascii_isalnum(c) || c == '_'; };
  if (!std::all_of(first.begin(), first.end(),
                   [&](char c) { return is_name_char(c) || c == '.'; }) ||
      !std::all_of(second.begin(), second.end(), is_name_char)) {
    return false;
  }
  *service = std::string(first);
  *name = std::string(second);
  return true;
}

// The Host check (see http_transport.h): false with the 403 in `res` when the request's
// Host is not one this server answers for.
bool CheckHost(const std::set<std::string>& hosts, const HttpRequest& req, HttpResponse& res) {
  const std::string value = req.header("Host");
  if (hosts.count(HostOf(value)) > 0) return true;
  const std::string named = HostOf(value).empty() ? value : HostOf(value);
  res.status = 403;
  res.set_header("Connection", "close");
  res.set_content(
      ErrorBody(Error(
          absl::StatusCode::kPermissionDenied, v1::reason::kHostNotAllowed,
          absl::StrCat("this server answers only requests whose Host header names it "
                       "(localhost, 127.0.0.1, [::1], the host it listens on, and the names "
                       "given with --http_allowed_hosts: a guard against DNS rebinding); "
                       "if it is reached by this name, start d06d with "
                       "--http_allowed_hosts=",
                       named.empty() ? "NAME" : named, "; the request's Host is ", Quote(value)),
          {{"host", value}})),
      kJson);
  return false;
}

// A CORS preflight (OPTIONS).
void ServePreflight(const HttpOptions& options, const HttpRequest& req, HttpResponse& res) {
  if (!AllowOrigin(options.cors_origins, req, res)) {
    res.status = 403;
    return;
  }
  res.set_header("Access-Control-Allow-Methods", "POST, GET");
  res.set_header("Access-Control-Allow-Headers",
                 "Authorization, Content-Type, Connect-Protocol-Version, Connect-Timeout-Ms, "
                 "X-D06-Actor, X-D06-Actor-Bin, X-D06-Impersonate, X-D06-Impersonate-Bin");
  res.set_header("Access-Control-Max-Age", "7200");
  res.status = 204;
}

// What of a download may wait to be sent: the export waits beyond, as over gRPC.
constexpr size_t kDownloadBuffer = size_t{1} << 20;

// A file download (http_download.h): the export RPC through the table, with the
// request's caller, streamed into the answer's body (chunked). The header waits for the
// file's first bytes, so an error before them (a bad filter, a unit out of scope) is a
// Connect error; the worker is then free, and the export goes on as the client takes it.
void ServeDownload(const Face& face, const Download& download, const HttpRequest& req,
                   HttpResponse& res) {
  AllowOrigin(face.options.cors_origins, req, res);
  const Method* method = face.table->Find(download.method);
  if (method == nullptr) {  // a table without the export methods (tests)
    return SetError(Error(absl::StatusCode::kNotFound, "NOT_FOUND", "no such download"), res);
  }
  std::shared_ptr<PendingCall> call = NewCall(*method);
  if (absl::Status s = RequestFromQuery(req.params, download, call->request.get()); !s.ok()) {
    face.table->Refused(CallContext::Transport::kConnect, Refusal::kMalformed);
    return SetError(s, res);
  }
  absl::StatusOr<absl::Duration> call_time = CallTime(req, face.options.max_call_time);
  if (!call_time.ok()) return SetError(call_time.status(), res);
  const absl::Time deadline = absl::Now() + *call_time;
  CallContextOf context(req, deadline);
  if (absl::Status s = context.Read(); !s.ok()) return SetError(s, res);
  auto body = std::make_shared<HttpBodyStream>(kDownloadBuffer);
  auto out = std::make_shared<DownloadWriter>(body);
  // The table keeps the request until done; `call` holds it.
  face.table->CallStream(*method, context.get(), *call->request, out.get(),
                         [call, out](absl::Status status) { out->End(std::move(status)); });
  bool ended = false;
  absl::Status status;
  if (!out->AwaitStart(deadline, &ended, &status)) {
    out->Cancel();  // the export stops at its next chunk
    return SetError(
        absl::DeadlineExceededError("the export did not start within its timeout: narrow the "
                                    "filter, or export it with d06ctl (--out FILE)"),
        res);
  }
  if (ended && !status.ok()) return SetError(status, res);
  const std::string name = DownloadFileName(
      download, *call->request, FormatDate(ToDate(DayInVietnam(face.options.clock->Now()))));
  res.set_header("Content-Disposition", absl::StrCat("attachment; filename=\"", name, "\""));
  // The file names the caller's data: the browser's own cache only, and not kept.
  res.set_header("Cache-Control", "private, no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.content_type = download.content_type;
  res.stream = std::move(body);
}

// GET: a method of a service of the table in Connect's GET form; a download; anything
// else is a file of the dashboard.
void ServeGetPath(const Face& face, const HttpRequest& req, HttpResponse& res) {
  const std::string path = req.path.substr(1);
  const std::vector<std::string> parts = absl::StrSplit(path, absl::MaxSplits('/', 1));
  if (parts.size() == 2 && IsServiceOf(*face.table, parts[0])) {
    AllowOrigin(face.options.cors_origins, req, res);
    const Method* method = FindMethod(*face.table, parts[0], parts[1], res);
    if (method == nullptr) return;
    if (method->server_streaming()) return RefuseStream(*method, req, res);
    return ServeGet(*face.table, *method, face.options, req, res);
  }
  if (path == "healthz") {
    const bool serving = !face.options.serving || face.options.serving();
    res.status = serving ? 200 : 503;
    res.set_header("Cache-Control", "no-store");
    res.set_content(serving ? "SERVING\n" : "NOT_SERVING\n", "text/plain; charset=utf-8");
    return;
  }
  if (ServeProbe(path, face.options.serving, res)) return;
  if (Download download; FindDownload(path, &download)) {
    return ServeDownload(face, download, req, res);
  }
  const DashboardFile* file = FindDashboardFile(path);
  if (file == nullptr) {
    res.status = 404;
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  // The page loads and calls nothing but this server.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; frame-ancestors 'self'; base-uri 'none'");
  res.set_content(std::string(file->content), file->content_type);
}

// Every request: the Host check, then by method and path.
void Serve(const Face& face, const HttpRequest& req, HttpResponse& res) {
  if (!CheckHost(face.hosts, req, res)) return;
  std::string service, name;
  if (req.method == "OPTIONS") {
    ServePreflight(face.options, req, res);
  } else if (req.method == "POST" && SplitMethodPath(req.path, &service, &name)) {
    AllowOrigin(face.options.cors_origins, req, res);
    const Method* method = FindMethod(*face.table, service, name, res);
    if (method == nullptr) return;
    if (method->server_streaming()) return RefuseStream(*method, req, res);
    ServeUnary(*face.table, *method, face.options, req, res);
  } else if ((req.method == "GET" || req.method == "HEAD") && absl::StartsWith(req.path, "/")) {
    ServeGetPath(face, req, res);
  } else {
    res.status = 404;
  }
  if (res.status == 404 && res.body.empty()) {
    SetError(Error(absl::StatusCode::kNotFound, "NOT_FOUND", "no such page or method"), res);
  }
}

// The Connect error of a request HttpServer refuses before it is read to the end, told
// to the table's observers.
void Refuse(const MethodTable& table, int status, absl::string_view why, HttpResponse& res) {
  const bool too_large = status == 413 || status == 431;
  table.Refused(CallContext::Transport::kConnect, too_large       ? Refusal::kTooLarge
                                                  : status == 503 ? Refusal::kBusy
                                                                  : Refusal::kMalformed);
  const absl::Status error =
      too_large       ? Error(absl::StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED", why)
      : status == 503 ? Error(absl::StatusCode::kUnavailable, "UNAVAILABLE", why)
                      : BadRequest(why);
  res.status = status;
  res.set_content(ErrorBody(error), kJson);
}
}  // namespace

bool ServeProbe(absl::string_view path, const std::function<bool()>& ready, HttpResponse& res) {
  bool ok;
  if (path == "livez") {
    ok = true;
  } else if (path == "readyz") {
    ok = !ready || ready();
  } else {
    return false;
  }
  res.status = ok ? 200 : 503;
  res.set_header("Cache-Control", "no-store");
  res.set_content(ok ? "ok\n" : "not ready\n", "text/plain; charset=utf-8");
  return true;
}

absl::Status CheckHttpOptions(const HttpOptions& options) {
  if (options.server.max_connections < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http_max_connections must be at least 1, not ", options.server.max_connections));
  }
  for (const auto& [flag, value] :
       {std::make_pair("--http_idle_timeout", options.server.idle_timeout),
        std::make_pair("--http_read_timeout", options.server.read_timeout),
        std::make_pair("--http_write_timeout", options.server.write_timeout)}) {
    if (value < absl::Milliseconds(1) || value > absl::Hours(1)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, " must be within 1ms..1h, not ", absl::FormatDuration(value)));
    }
  }
  for (const std::string& origin : options.cors_origins) {
    if (origin == "*") continue;
    if (const std::string why = WhyNotAnOrigin(origin); !why.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--http_cors_origins: an origin is a scheme (http or https), :// and a host with "
          "an optional port, nothing after it, e.g. https://portal.example.gov.vn or "
          "https://portal.example.gov.vn:8443 (or * for any); this one has ",
          why, ": ", Quote(origin)));
    }
  }
  for (const std::string& host : options.allowed_hosts) {
    if (const std::string why = WhyNotAHost(host); !why.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--http_allowed_hosts: an allowed host is a host name or address as browsers "
          "send it in the Host header, without scheme, port or path, e.g. "
          "d06.example.gov.vn or 10.0.0.5; this one has ",
          why, ": ", Quote(host)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<HttpServer::Handler> HttpTransport::NewHandler(const MethodTable& table,
                                                              const std::string& address,
                                                              HttpOptions options) {
  std::string host, port_text;
  int port = 0;
  if (!SplitHostPort(address, &host, &port_text) || !absl::SimpleAtoi(port_text, &port)) {
    return NotAHostPort(address);
  }
  if (absl::Status s = CheckHttpOptions(options); !s.ok()) return s;
  for (std::string& origin : options.cors_origins) origin = absl::AsciiStrToLower(origin);
  auto face = std::make_shared<Face>();
  face->table = &table;
  face->hosts = {"localhost", "127.0.0.1", "[::1]"};
  if (host != "0.0.0.0" && host != "::") face->hosts.insert(AsHostHeader(host));
  for (const std::string& allowed : options.allowed_hosts) {
    face->hosts.insert(AsHostHeader(allowed));
  }
  face->options = std::move(options);
  return [face](const HttpRequest& req, HttpResponse& res) { Serve(*face, req, res); };
}

absl::StatusOr<std::unique_ptr<HttpTransport>> HttpTransport::Start(const MethodTable& table,
                                                                    const std::string& address,
                                                                    HttpOptions options) {
  const HttpServerOptions server_options = options.server;
  ASSIGN_OR_RETURN(HttpServer::Handler handler, NewHandler(table, address, std::move(options)));
  std::unique_ptr<HttpTransport> transport(new HttpTransport());
  ASSIGN_OR_RETURN(
      transport->server_,
      HttpServer::Start(address, server_options, std::move(handler),
                        [&table](int status, absl::string_view why, HttpResponse& res) {
                          Refuse(table, status, why, res);
                        }));
  transport->port_ = transport->server_->port();
  return transport;
}

HttpTransport::~HttpTransport() { Shutdown(); }

void HttpTransport::Shutdown() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace d06::api
