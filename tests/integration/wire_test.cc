// Requests as bytes on the wire: every method is served, and a request that does not parse
// is INVALID_ARGUMENT saying why, never UNIMPLEMENTED.
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "tests/testing/raw_grpc.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

class WireTest : public ServerTest {
 protected:
  // Calls `method` ("/d06.v1.TaskService/GetTask") with `bytes` as the request.
  absl::Status CallRaw(const std::string& method, const std::string& bytes) {
    return CallRawGrpc(target(), method, bytes);
  }

  static std::vector<std::string> AllMethods() {
    std::vector<std::string> methods;
    for (const char* service :
         {"d06.v1.UnitService", "d06.v1.TaskService", "d06.v1.ReportService"}) {
      const auto* s =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
      for (int i = 0; s != nullptr && i < s->method_count(); ++i) {
        methods.push_back(absl::StrCat("/", service, "/", s->method(i)->name()));
      }
    }
    return methods;
  }
};

TEST_F(WireTest, EveryMethodIsServed) {
  std::vector<std::string> methods = AllMethods();
  ASSERT_EQ(methods.size(), 8u + 25u + 2u);  // units, tasks, reports
  for (const std::string& method : methods) {
    SCOPED_TRACE(method);
    // An empty request is valid protobuf; each method answers it on its own terms.
    absl::Status status = CallRaw(method, "");
    EXPECT_NE(status.code(), absl::StatusCode::kUnimplemented) << Describe(status);
    EXPECT_NE(status.code(), absl::StatusCode::kInternal) << Describe(status);
  }
}

TEST_F(WireTest, BytesThatAreNotAMessageAreMalformedRequests) {
  for (const std::string& method : AllMethods()) {
    SCOPED_TRACE(method);
    EXPECT_THAT(CallRaw(method, std::string("\xff\xff\xff\xff", 4)),
                IsError(absl::StatusCode::kInvalidArgument, "MALFORMED_REQUEST"));
  }
  EXPECT_THAT(AllUnits(), ::testing::IsEmpty());
}

TEST_F(WireTest, InvalidUtf8NamesTheFieldAndChangesNothing) {
  MakeUnit("H29");
  v1::CreateTaskRequest req;
  req.mutable_task()->set_title("Đề án 06");
  req.mutable_task()->set_kind(v1::TASK_KIND_RECURRING);
  req.mutable_task()->set_assigning_unit("units/H29");
  req.mutable_task()->add_labels("a");
  req.mutable_task()->add_labels("b");
  req.mutable_task()->add_labels("c\xff");
  req.set_request_id("6f1c1c44-8a59-4a57-9a35-2b1d1f1e0c01");
  absl::Status status = client().CreateTask(req).status();
  EXPECT_THAT(status, IsInvalidField("task.labels"));
  EXPECT_EQ(client::ErrorInfoOf(status).metadata().at("field"), "task.labels[2]");
  EXPECT_EQ(status.message(), "task.labels[2] is not valid UTF-8");
  EXPECT_THAT(AllTasks(), ::testing::IsEmpty());
  // The refused request used nothing up: its request_id still works for the fixed request.
  req.mutable_task()->set_labels(2, "c");
  EXPECT_THAT(client().CreateTask(req).status(), IsOk());
  EXPECT_THAT(AllTasks(), ::testing::SizeIs(1));
}

}  // namespace
}  // namespace d06::testing
