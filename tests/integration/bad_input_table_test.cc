// The README's table of bad inputs and faults ("Bad input and faults"), tried here row by
// row against a server with authentication on: each row's input is sent, its answer's
// code and reason checked, and the database's revision compared before and after (what
// changed: nothing). The rows are then written as the table and compared with the
// README's, so the table cannot drift: a change of behaviour fails here until the README
// says it (the test prints the table to paste).
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "google/protobuf/text_format.h"
#include "tests/testing/faulty_disk.h"
#include "tests/testing/raw_grpc.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

// One row: what is sent, how it is answered.
struct Row {
  std::string input;   // the README's words for it
  std::string method;  // "/d06.v1.TaskService/CreateTask"
  // The request: its bytes as given, or (text) a text-format request of the method.
  std::string bytes;
  std::string text;
  enum class Credential { kAdmin, kNone, kBadToken } credential = Credential::kAdmin;
  absl::StatusCode code;
  std::string reason;  // the ErrorInfo reason; empty: none
};

// A fault of the storage: the write refused, the store failed stop until a restart.
struct FaultRow {
  std::string fault;
  std::function<void(FaultyDisk&)> inject;
};

class BadInputTableTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    RequireAuthentication(options);
    options.file_system = disk_;
  }

  // Sends `bytes` to `method` with the credential; the answer as a status.
  absl::Status Send(const std::string& method, const std::string& bytes,
                    Row::Credential credential) {
    RawMetadata metadata;
    if (credential == Row::Credential::kAdmin) {
      metadata.emplace_back("authorization", "Bearer " + admin_token_);
    } else if (credential == Row::Credential::kBadToken) {
      metadata.emplace_back("authorization",
                            "Bearer d06_0000000000000000000000000000000000000000000000000");
    }
    return CallRawGrpc(target(), method, bytes, metadata);
  }

  // The request of `row` as bytes.
  static std::string BytesOf(const Row& row) {
    if (row.text.empty()) return row.bytes;
    const std::string service = row.method.substr(1, row.method.rfind('/') - 1);
    const auto* method = google::protobuf::DescriptorPool::generated_pool()
                             ->FindServiceByName(service)
                             ->FindMethodByName(row.method.substr(row.method.rfind('/') + 1));
    std::unique_ptr<google::protobuf::Message> request(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(method->input_type())
            ->New());
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(row.text, request.get())) << row.text;
    return request->SerializeAsString();
  }

  // The database's newest revision (a watch from now says it first).
  int64_t Revision() {
    ClientOptions options;
    options.target = target();
    options.token = admin_token_;
    auto c = Client::Connect(options);
    int64_t revision = -1;
    v1::WatchRequest now;
    EXPECT_TRUE((*c)->Watch(now,
                            [&](const v1::WatchResponse& r) {
                              revision = r.revision();
                              return false;
                            })
                    .ok());
    return revision;
  }

  // The README's table, between its markers.
  static std::string ReadmeTable() {
    std::ifstream in(std::string(D06_SOURCE_DIR) + "/README.md");
    std::stringstream text;
    text << in.rdbuf();
    const std::string all = text.str();
    const std::string begin = "<!-- bad-input-table:begin -->\n";
    const size_t from = all.find(begin);
    const size_t to = all.find("<!-- bad-input-table:end -->");
    if (from == std::string::npos || to == std::string::npos) return "(no table in README.md)";
    return all.substr(from + begin.size(), to - from - begin.size());
  }

  const std::shared_ptr<FaultyDisk> disk_ = std::make_shared<FaultyDisk>();
};

std::string CodeName(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  for (char& c : name) c = c == ' ' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

TEST_F(BadInputTableTest, EveryRowIsAnsweredAsTheReadmeSaysAndChangesNothing) {
  using C = absl::StatusCode;
  using Cred = Row::Credential;
  {
    ClientOptions options;
    options.target = target();
    options.token = admin_token_;
    auto admin = *Client::Connect(options);
    v1::CreateUnitRequest unit;
    unit.mutable_unit()->set_code("H29");
    unit.mutable_unit()->set_display_name("Tỉnh Nghệ An");
    unit.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
    ASSERT_THAT(admin->CreateUnit(unit).status(), IsOk());
    v1::CreateTaskRequest task;
    task.mutable_task()->set_title("Nhiệm vụ");
    task.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    task.mutable_task()->set_assigning_unit("units/H29");
    v1::Assignment* lead = task.add_assignments();
    lead->set_unit("units/H29");
    lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    ASSERT_THAT(admin->CreateTask(task).status(), IsOk());
  }
  const std::string create = "/d06.v1.TaskService/CreateTask";
  const std::string task_ok =
      "task { title: 'A' kind: TASK_KIND_ONE_OFF assigning_unit: 'units/H29' }";
  const std::vector<Row> rows = {
      {"bytes that are not a protobuf message", create, std::string("\xff\xff\xff\xff", 4), "",
       Cred::kAdmin, C::kInvalidArgument, "MALFORMED_REQUEST"},
      {"a string field that is not UTF-8", create, "",
       "task { title: 'A\\377' kind: TASK_KIND_ONE_OFF assigning_unit: 'units/H29' }", Cred::kAdmin,
       C::kInvalidArgument, "INVALID_FIELD"},
      {"a required field missing (a task without a title)", create, "",
       "task { kind: TASK_KIND_ONE_OFF assigning_unit: 'units/H29' }", Cred::kAdmin,
       C::kInvalidArgument, "INVALID_FIELD"},
      {"an enum value the server does not know", create, "",
       "task { title: 'A' kind: 99 assigning_unit: 'units/H29' }", Cred::kAdmin,
       C::kInvalidArgument, "INVALID_FIELD"},
      {"a date that is not a calendar date (30/02)", create, "",
       "task { title: 'A' kind: TASK_KIND_ONE_OFF assigning_unit: 'units/H29' deadline { year: "
       "2026 month: 2 day: 30 } }",
       Cred::kAdmin, C::kInvalidArgument, "INVALID_FIELD"},
      {"a request_id over 36 characters", create, "",
       task_ok + " request_id: '0123456789012345678901234567890123456789'", Cred::kAdmin,
       C::kInvalidArgument, "INVALID_FIELD"},
      {"a name that is not a resource name", "/d06.v1.TaskService/GetTask", "", "name: 'tasks/x'",
       Cred::kAdmin, C::kInvalidArgument, "INVALID_NAME"},
      {"a filter that does not parse", "/d06.v1.TaskService/ListTasks", "",
       "filter: 'state = = OPEN'", Cred::kAdmin, C::kInvalidArgument, "INVALID_FILTER"},
      {"a page token that was not issued", "/d06.v1.TaskService/ListTasks", "",
       "page_token: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'", Cred::kAdmin,
       C::kInvalidArgument, "INVALID_PAGE_TOKEN"},
      {"a search of only punctuation", "/d06.v1.TaskService/ListTasks", "", "query: '?!'",
       Cred::kAdmin, C::kInvalidArgument, "INVALID_FIELD"},
      {"a unit that does not exist", create, "",
       "task { title: 'A' kind: TASK_KIND_ONE_OFF assigning_unit: 'units/H99' }", Cred::kAdmin,
       C::kNotFound, "NOT_FOUND"},
      {"a transition its state does not allow (approve before submit)",
       "/d06.v1.TaskService/ApproveAssignment", "", "name: 'tasks/1/assignments/H29'", Cred::kAdmin,
       C::kFailedPrecondition, "INVALID_TRANSITION"},
      {"a stale etag", "/d06.v1.TaskService/StartAssignment", "",
       "name: 'tasks/1/assignments/H29' etag: 'W/\"stale\"'", Cred::kAdmin, C::kAborted,
       "STALE_ETAG"},
      {"no credential", create, "", task_ok, Cred::kNone, C::kUnauthenticated,
       "CREDENTIAL_MISSING"},
      {"a bearer token that is not a d06 token (its checksum fails)", create, "", task_ok,
       Cred::kBadToken, C::kUnauthenticated, "TOKEN_MALFORMED"},
      {"a method that does not exist", "/d06.v1.TaskService/DeleteEverything", "", "", Cred::kAdmin,
       C::kUnimplemented, ""},
  };
  std::string table = "| input or fault | answer | reason | what changes |\n|---|---|---|---|\n";
  for (const Row& row : rows) {
    SCOPED_TRACE(row.input);
    const int64_t before = Revision();
    const absl::Status status = Send(row.method, BytesOf(row), row.credential);
    EXPECT_EQ(status.code(), row.code) << status;
    EXPECT_EQ(client::ErrorReason(status), row.reason) << status;
    EXPECT_EQ(Revision(), before) << "the database changed";
    absl::StrAppend(&table, "| ", row.input, " | `", CodeName(row.code), "` | ",
                    row.reason.empty() ? "" : "`" + row.reason + "`", " | nothing |\n");
  }

  // Storage faults: the write is refused, nothing of it is acknowledged, and the store
  // fails stop (health NOT_SERVING) until a restart with the fault gone.
  const std::vector<FaultRow> faults = {
      {"the disk is full (a write fails ENOSPC)", [](FaultyDisk& d) { d.Fill(); }},
      {"a write fails with an I/O error (EIO)", [](FaultyDisk& d) { d.FailWrites(); }},
      {"a sync of the write-ahead log fails", [](FaultyDisk& d) { d.FailSyncs(); }},
  };
  for (const FaultRow& row : faults) {
    SCOPED_TRACE(row.fault);
    row.inject(*disk_);
    const Row write{"", create, "", task_ok, Cred::kAdmin, C::kUnavailable, ""};
    const absl::Status status = Send(create, BytesOf(write), Cred::kAdmin);
    EXPECT_EQ(status.code(), C::kUnavailable) << status;
    EXPECT_EQ(client::ErrorReason(status), "UNAVAILABLE") << status;
    EXPECT_NE(status.message().find("storage failed"), std::string::npos) << status;
    EXPECT_EQ(HealthOf("").value_or("?"), "NOT_SERVING");
    disk_->Free();
    Restart();
    absl::StrAppend(
        &table, "| ", row.fault,
        " | `UNAVAILABLE` (\"storage failed\") | `UNAVAILABLE` | nothing acknowledged; every "
        "later write `UNAVAILABLE` and health `NOT_SERVING` until a restart |\n");
  }
  absl::StrAppend(&table,
                  "| d06d killed (SIGKILL) or the power cut during writes | the call fails "
                  "`UNAVAILABLE` | | each call wholly applied or not at all: retried with its "
                  "`request_id` it answers the first answer or is applied once "
                  "(tests/crash) |\n");
  EXPECT_EQ(ReadmeTable(), table) << "README.md's table of bad inputs and faults should be:\n"
                                  << table;
}

}  // namespace
}  // namespace d06::testing
