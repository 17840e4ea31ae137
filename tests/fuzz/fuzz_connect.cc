// Connect calls as the HTTP face hands them to its handler (HttpTransport::NewHandler over
// the server's method table, no socket: thousands of calls a second where fuzz_http makes
// tens): the body (JSON or protobuf, POST or Connect's GET form) and one header of the
// fuzzer's choosing. Input: byte 0 picks the unary method (tests/fuzz/fuzz_server.h's
// order, as fuzz_grpc), byte 1 the form (below), then the header's value up to the first
// newline, then the body.
//
// Whatever the bytes: the answer is a documented HTTP status; an error's body is Connect's
// JSON error with a code that says what is wrong (never "unknown", and never
// "deadline_exceeded" unless the input asked for a timeout); every JSON body parses. Seeds:
// tests/fuzz/corpus/connect (tests/fuzz/make_seeds.py).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/api/http_transport.h"
#include "tests/fuzz/fuzz_server.h"

namespace {

// Byte 1: bit 0 GET form (else POST), bit 1 protobuf (else JSON), bit 2 the GET form's
// message in base64; bits 3-5 the header that gets the value.
constexpr const char* kHeaders[] = {
    nullptr,        "Connect-Timeout-Ms",       "x-d06-actor", "x-d06-actor-bin",
    "Content-Type", "Connect-Protocol-Version", "Origin",      "Host"};

[[noreturn]] void Fail(const std::string& method, const d06::api::HttpResponse& res,
                       const char* why) {
  std::fprintf(stderr, "%s answered %d (%s): %s\n", method.c_str(), res.status, why,
               res.body.substr(0, 2000).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const d06::api::HttpServer::Handler handler = [] {
    auto made =
        d06::api::HttpTransport::NewHandler(d06::fuzz::FuzzServer().methods(), "127.0.0.1:0", {});
    if (!made.ok()) std::abort();
    return *made;
  }();
  if (size < 2) return 0;
  const std::vector<std::string>& methods = d06::fuzz::UnaryMethodPaths();
  const std::string& method = methods[data[0] % methods.size()];
  const uint8_t form = data[1];
  const bool get = form & 1, proto = form & 2, base64 = form & 4;
  const char* header = kHeaders[(form >> 3) & 7];
  std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::string value;
  if (header != nullptr) {
    const size_t newline = rest.find('\n');
    value = rest.substr(0, newline);
    rest = newline == std::string::npos ? "" : rest.substr(newline + 1);
  }

  d06::api::HttpRequest req;
  req.method = get ? "GET" : "POST";
  req.path = method;
  req.peer = "ipv4:127.0.0.1:40000";
  req.headers = {{"Host", "127.0.0.1:8080"}};
  if (get) {
    req.params = {{"encoding", proto ? "proto" : "json"},
                  {"message", base64 ? absl::WebSafeBase64Escape(rest) : rest}};
    if (base64) req.params.emplace_back("base64", "1");
  } else {
    req.headers.emplace_back("Content-Type", proto ? "application/proto" : "application/json");
    req.body = rest;
  }
  if (header != nullptr) {
    if (std::string(header) == "Host") req.headers.clear();
    req.headers.emplace_back(header, value);
  }
  d06::api::HttpResponse res;
  handler(req, res);

  static const std::set<int> kStatuses = {200, 400, 401, 403, 404, 405, 408, 409, 412,
                                          413, 415, 429, 499, 500, 501, 503, 504};
  if (kStatuses.count(res.status) == 0) Fail(method, res, "an undocumented status");
  if (res.stream != nullptr) Fail(method, res, "a stream");
  if (res.content_type == "application/json") {
    google::protobuf::Value json;
    if (!google::protobuf::util::JsonStringToMessage(res.body, &json).ok()) {
      Fail(method, res, "a body that is not JSON");
    }
    if (res.status != 200) {
      const auto& fields = json.struct_value().fields();
      const auto code = fields.find("code");
      if (code == fields.end()) Fail(method, res, "an error without a code");
      const std::string& name = code->second.string_value();
      if (name == "unknown") Fail(method, res, "unknown");
      if (name == "deadline_exceeded" && header != kHeaders[1]) {
        Fail(method, res, "deadline_exceeded without a timeout asked for");
      }
    }
  } else if (res.status != 200 || res.content_type != "application/proto") {
    Fail(method, res, "neither JSON nor a protobuf answer");
  }
  return 0;
}
