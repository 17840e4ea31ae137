// The HTTP face (server/api/http_transport.h) with a raw HTTP client against the
// in-process server: the Host check (DNS rebinding) on every route, the origins and hosts
// refused at start-up, unknown JSON fields ignored but unknown enum names refused,
// Connect's GET form for methods without side effects, and the actor headers
// (x-d06-actor as UTF-8, x-d06-actor-bin as base64). tests/web/curl_test.sh covers the
// same through the d06d binary and its flags.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/testing/raw_http.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kPortal[] = "https://portal.example.gov.vn";
constexpr char kAllowedHost[] = "d06.example.gov.vn";

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Answer : RawAnswer {
  // A dotted path into the JSON body ("details.0.debug.reason"): a string value, or "".
  std::string field(const std::string& path) const {
    google::protobuf::Value value;
    if (!google::protobuf::util::JsonStringToMessage(body, &value).ok()) return "";
    for (absl::string_view key : absl::StrSplit(path, '.')) {
      int index = 0;
      if (value.has_struct_value() && value.struct_value().fields().count(std::string(key))) {
        google::protobuf::Value next = value.struct_value().fields().at(std::string(key));
        value = std::move(next);
      } else if (value.has_list_value() && absl::SimpleAtoi(key, &index) && index >= 0 &&
                 index < value.list_value().values_size()) {
        google::protobuf::Value next = value.list_value().values(index);
        value = std::move(next);
      } else {
        return "";
      }
    }
    return value.string_value();
  }
};

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string UrlEncode(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "%",
                      absl::AsciiStrToUpper(absl::BytesToHexString(absl::string_view(&c, 1))));
    }
  }
  return out;
}

class HttpTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    options.http_cors_origins = {kPortal};
    options.http_allowed_hosts = {kAllowedHost};
  }

  void SetUp() override {
    ServerTest::SetUp();
    MakeUnit("H29");
  }

  // One request on a connection of its own (Host 127.0.0.1:PORT unless `headers` name
  // one; a POST has Content-Type `content_type`).
  Answer Send(const std::string& method, const std::string& path, const Headers& headers,
              const std::string& body = "", const std::string& content_type = "application/json") {
    std::string request = absl::StrCat(method, " ", path, " HTTP/1.1\r\n");
    bool host = false;
    for (const auto& [name, value] : headers) {
      host = host || absl::EqualsIgnoreCase(name, "Host");
      absl::StrAppend(&request, name, ": ", value, "\r\n");
    }
    if (!host) absl::StrAppend(&request, "Host: 127.0.0.1:", server().http_port(), "\r\n");
    if (method == "POST") {
      absl::StrAppend(&request, "Content-Type: ", content_type, "\r\n");
      absl::StrAppend(&request, "Content-Length: ", body.size(), "\r\n");
    }
    absl::StrAppend(&request, "Connection: close\r\n\r\n", body);
    RawHttp http(server().http_port());
    Answer answer;
    static_cast<RawAnswer&>(answer) = http.Exchange(request);
    return answer;
  }
  Answer Post(const std::string& method, const std::string& json, const Headers& headers = {}) {
    return Send("POST", "/d06.v1." + method, headers, json);
  }
  Answer Get(const std::string& path, const Headers& headers = {}) {
    return Send("GET", path, headers);
  }
  // Connect's GET form with a JSON message.
  Answer GetJson(const std::string& method, const std::string& json,
                 const std::string& extra_params = "") {
    return Get(
        absl::StrCat("/d06.v1.", method, "?encoding=json&message=", UrlEncode(json), extra_params));
  }

  static Headers HostHeader(const std::string& host) { return {{"Host", host}}; }

  // Starts a server with these origins and allowed hosts; its status.
  absl::Status StartWith(std::vector<std::string> origins, std::vector<std::string> hosts) {
    ServerOptions options;
    options.auth = AuthMode::kOff;  // these tests name their actor (x-d06-actor)
    options.listen_address = "127.0.0.1:0";
    options.http_listen_address = "127.0.0.1:0";
    options.data_dir = (std::filesystem::path(data_dir()) / "other").string();
    options.clock = &clock();
    options.http_cors_origins = std::move(origins);
    options.http_allowed_hosts = std::move(hosts);
    auto server = Server::Start(options);
    if (!server.ok()) return server.status();
    (*server)->Shutdown();
    return absl::OkStatus();
  }
};

// ---- the Host check ------------------------------------------------------------------

TEST_F(HttpTest, ForeignHostIsRefusedOnEveryRouteAndChangesNothing) {
  for (const std::string host : {"evil.example", "evil.example:8080", "localhost.evil.example",
                                 "127.0.0.1.nip.io", "d06.example.gov.vn.evil.example"}) {
    SCOPED_TRACE(host);
    const std::vector<Answer> answers = {
        Post("UnitService/CreateUnit",
             R"({"unit":{"code":"H30","displayName":"Tỉnh","kind":"UNIT_KIND_PROVINCE"}})",
             HostHeader(host)),
        Post("UnitService/GetUnit", R"({"name":"units/H29"})", HostHeader(host)),
        Get("/", HostHeader(host)),
        Get("/dashboard.js", HostHeader(host)),
        Get("/d06.v1.UnitService/GetUnit?encoding=json&message=" +
                UrlEncode(R"({"name":"units/H29"})"),
            HostHeader(host)),
        Send("OPTIONS", "/d06.v1.UnitService/GetUnit",
             {{"Host", host}, {"Origin", kPortal}, {"Access-Control-Request-Method", "POST"}}),
    };
    for (const Answer& answer : answers) {
      EXPECT_EQ(answer.status, 403) << answer.body;
      EXPECT_EQ(answer.field("code"), "permission_denied") << answer.body;
      EXPECT_EQ(answer.field("details.0.debug.reason"), "HOST_NOT_ALLOWED") << answer.body;
      EXPECT_EQ(answer.field("details.0.debug.metadata.host"), host) << answer.body;
      EXPECT_THAT(answer.field("message"),
                  HasSubstr("--http_allowed_hosts=" + host.substr(0, host.find(':'))));
      EXPECT_EQ(answer.header("Access-Control-Allow-Origin"), "");
    }
  }
  EXPECT_THAT(AllUnits(), ::testing::SizeIs(1));
}

TEST_F(HttpTest, LoopbackListenAndAllowedHostsAreServed) {
  const std::string port = absl::StrCat(server().http_port());
  for (const std::string& host : std::vector<std::string>{
           "localhost", "localhost:" + port, "127.0.0.1", "127.0.0.1:" + port, "[::1]",
           "[::1]:" + port, "LOCALHOST:8080", kAllowedHost, "D06.Example.GOV.vn:443"}) {
    SCOPED_TRACE(host);
    EXPECT_EQ(Get("/", HostHeader(host)).status, 200);
    const Answer unit = Post("UnitService/GetUnit", R"({"name":"units/H29"})", HostHeader(host));
    EXPECT_EQ(unit.status, 200) << unit.body;
    EXPECT_EQ(unit.field("unit.name"), "units/H29");
    const Answer preflight =
        Send("OPTIONS", "/d06.v1.UnitService/GetUnit",
             {{"Host", host}, {"Origin", kPortal}, {"Access-Control-Request-Method", "GET"}});
    EXPECT_EQ(preflight.status, 204);
    EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), kPortal);
  }
}

TEST_F(HttpTest, MalformedOriginsAndHostsAreRefusedAtStart) {
  for (const std::string origin :
       {"https://portal.example.gov.vn/", "https://portal.example.gov.vn/app",
        "portal.example.gov.vn", "ftp://portal.example.gov.vn", "", "https://",
        "https://portal.example.gov.vn:99999", "https://user@portal.example.gov.vn",
        "https://portal.example.gov.vn?x=1", "https://portal example"}) {
    const absl::Status status = StartWith({kPortal, origin}, {});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << origin;
    EXPECT_THAT(std::string(status.message()), HasSubstr("--http_cors_origins")) << origin;
    EXPECT_THAT(std::string(status.message()), HasSubstr(absl::StrCat("\"", origin, "\"")));
    EXPECT_THAT(std::string(status.message()), HasSubstr("e.g. https://portal.example.gov.vn or "
                                                         "https://portal.example.gov.vn:8443"));
  }
  for (const std::string host : {"https://d06.example.gov.vn", "d06.example.gov.vn:443",
                                 "d06.example.gov.vn/", "", "*", "d06 example", "[d06]"}) {
    const absl::Status status = StartWith({}, {host});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << host;
    EXPECT_THAT(std::string(status.message()), HasSubstr("--http_allowed_hosts")) << host;
    EXPECT_THAT(std::string(status.message()), HasSubstr(absl::StrCat("\"", host, "\"")));
  }
  EXPECT_THAT(StartWith({"*", kPortal, "https://portal.example.gov.vn:8443",
                         "http://localhost:3000", "http://[::1]:8080", "HTTPS://Portal.Example"},
                        {kAllowedHost, "10.0.0.5", "::1", "[fe80::1]", "d06-1.svc_x"}),
              IsOk());
}

// ---- JSON ------------------------------------------------------------------------------

TEST_F(HttpTest, UnknownJsonFieldsAreIgnored) {
  const Answer got = Post("UnitService/GetUnit",
                          R"({"name":"units/H29","fieldOfANewerSchema":{"x":[1,2]},"y":1})");
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.field("unit.name"), "units/H29");
  const Answer created =
      Post("UnitService/CreateUnit",
           R"({"unit":{"code":"H29.01","displayName":"Sở Tư pháp","kind":"UNIT_KIND_DEPARTMENT",)"
           R"("parent":"units/H29","newerField":"x"},"newerTopField":true})");
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.field("unit.displayName"), "Sở Tư pháp");
}

TEST_F(HttpTest, UnknownEnumNamesAreRefusedEvenBesideUnknownFields) {
  for (
      const std::string body :
      {R"({"unit":{"code":"H29.02","displayName":"Sở","kind":"UNIT_KIND_PHUONG","parent":"units/H29"}})",
       R"({"unit":{"code":"H29.02","displayName":"Sở","kind":"UNIT_KIND_PHUONG","parent":"units/H29","x":1}})"}) {
    const Answer answer = Post("UnitService/CreateUnit", body);
    EXPECT_EQ(answer.status, 400) << answer.body;
    EXPECT_EQ(answer.field("details.0.debug.reason"), "MALFORMED_REQUEST") << answer.body;
    EXPECT_THAT(answer.field("message"), HasSubstr("UNIT_KIND_PHUONG"));
  }
  // In a repeated message field, beside an unknown field.
  const Answer task =
      Post("TaskService/CreateTask",
           R"({"task":{"title":"Nhiệm vụ","kind":"TASK_KIND_ONE_OFF","assigningUnit":"units/H29"},)"
           R"("assignments":[{"unit":"units/H29","role":"ASSIGNMENT_ROLE_BOSS"}],"x":1})");
  EXPECT_EQ(task.status, 400) << task.body;
  EXPECT_THAT(task.field("message"), HasSubstr("assignments[0].role"));
  EXPECT_THAT(AllUnits(), ::testing::SizeIs(1));
  EXPECT_THAT(AllTasks(), ::testing::IsEmpty());
}

// ---- Connect GET -----------------------------------------------------------------------

TEST_F(HttpTest, ReadsAnswerConnectGetInJsonAndProto) {
  const Answer json = GetJson("UnitService/GetUnit", R"({"name":"units/H29"})", "&connect=v1");
  EXPECT_EQ(json.status, 200) << json.body;
  EXPECT_EQ(json.field("unit.name"), "units/H29");
  EXPECT_THAT(json.header("Content-Type"), HasSubstr("application/json"));
  EXPECT_THAT(json.header("Cache-Control"), HasSubstr("no-cache"));

  v1::GetUnitRequest request;
  request.set_name("units/H29");
  std::string padded = absl::Base64Escape(request.SerializeAsString());  // "=" padded
  for (const std::string& message :
       {absl::WebSafeBase64Escape(request.SerializeAsString()), padded}) {
    const Answer proto = Get(absl::StrCat("/d06.v1.UnitService/GetUnit?encoding=proto&base64=1",
                                          "&message=", UrlEncode(message)));
    EXPECT_EQ(proto.status, 200) << proto.body;
    EXPECT_EQ(proto.header("Content-Type"), "application/proto");
    v1::GetUnitResponse response;
    EXPECT_TRUE(response.ParseFromString(proto.body));
    EXPECT_EQ(response.unit().name(), "units/H29");
  }
  // Every read method, e.g. a list and the summary; errors as with POST.
  EXPECT_EQ(GetJson("UnitService/ListUnits", "{}").field("units.0.name"), "units/H29");
  EXPECT_EQ(GetJson("ReportService/GetSummary", R"({"unit":"units/H29"})").status, 200);
  const Answer missing = GetJson("UnitService/GetUnit", R"({"name":"units/H01"})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.field("details.0.debug.reason"), "NOT_FOUND");
  // The dashboard is still served at its paths.
  const Answer page = Get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.header("Content-Type"), HasSubstr("text/html"));
  EXPECT_EQ(Get("/d06.v1.NoSuchService/GetUnit").status, 404);
}

TEST_F(HttpTest, MutationsAndBadGetFormsAreRefused) {
  const Answer create =
      GetJson("UnitService/CreateUnit",
              R"({"unit":{"code":"H30","displayName":"Tỉnh","kind":"UNIT_KIND_PROVINCE"}})");
  EXPECT_EQ(create.status, 405) << create.body;
  EXPECT_EQ(create.header("Allow"), "POST");
  EXPECT_EQ(create.field("code"), "unimplemented");
  EXPECT_THAT(create.field("message"), HasSubstr("POST"));
  EXPECT_EQ(GetJson("TaskService/StartAssignment", R"({"name":"tasks/1/assignments/H29"})").status,
            405);
  EXPECT_THAT(AllUnits(), ::testing::SizeIs(1));

  EXPECT_EQ(GetJson("ReportService/ExportSummary", R"({"unit":"units/H29"})").status, 501);
  EXPECT_EQ(GetJson("UnitService/DeleteUnit", "{}").status, 501);
  const Answer gzip =
      GetJson("UnitService/GetUnit", R"({"name":"units/H29"})", "&compression=gzip");
  EXPECT_EQ(gzip.field("code"), "unimplemented") << gzip.body;
  EXPECT_EQ(GetJson("UnitService/GetUnit", R"({"name":"units/H29"})", "&connect=v2").status, 400);
  EXPECT_EQ(Get("/d06.v1.UnitService/GetUnit?encoding=xml&message=x").status, 415);
  EXPECT_EQ(Get("/d06.v1.UnitService/GetUnit?encoding=json").status, 400);
  EXPECT_EQ(Get("/d06.v1.UnitService/GetUnit?encoding=proto&base64=1&message=*").status, 400);
  EXPECT_EQ(GetJson("UnitService/GetUnit", R"({"name":)").status, 400);
}

// ---- the actor -------------------------------------------------------------------------

TEST_F(HttpTest, ActorHeadersCarryVietnameseNames) {
  const std::string task_json =
      R"({"task":{"title":"Nhiệm vụ","kind":"TASK_KIND_ONE_OFF","assigningUnit":"units/H29"}})";
  auto actor_of = [&](const Headers& headers) -> std::string {
    const Answer answer = Post("TaskService/CreateTask", task_json, headers);
    if (answer.status != 200) return absl::StrCat("HTTP ", answer.status, ": ", answer.body);
    return AllEvents(answer.field("task.name"))[0].actor();
  };
  EXPECT_EQ(actor_of({{"x-d06-actor", "Nguyễn Văn An"}}), "Nguyễn Văn An");
  EXPECT_EQ(actor_of({{"x-d06-actor-bin", absl::Base64Escape("Lê Thị Hoa")}}), "Lê Thị Hoa");
  std::string unpadded = absl::WebSafeBase64Escape("Đỗ Minh Đức");
  EXPECT_EQ(actor_of({{"x-d06-actor-bin", unpadded}}), "Đỗ Minh Đức");
  EXPECT_EQ(actor_of({{"x-d06-actor", "an"}, {"x-d06-actor-bin", absl::Base64Escape("an")}}), "an");

  const size_t tasks = AllTasks().size();
  const Answer conflict =
      Post("TaskService/CreateTask", task_json,
           {{"x-d06-actor", "an"}, {"x-d06-actor-bin", absl::Base64Escape("Nguyễn Văn An")}});
  EXPECT_EQ(conflict.status, 400);
  EXPECT_EQ(conflict.field("details.0.debug.metadata.field"), "x-d06-actor");
  EXPECT_THAT(conflict.field("message"), HasSubstr("x-d06-actor-bin"));
  const Answer not_base64 =
      Post("TaskService/CreateTask", task_json, {{"x-d06-actor-bin", "Nguyễn!"}});
  EXPECT_EQ(not_base64.status, 400);
  EXPECT_EQ(not_base64.field("details.0.debug.metadata.field"), "x-d06-actor-bin");
  EXPECT_EQ(AllTasks().size(), tasks);
}

}  // namespace
}  // namespace d06::testing
