// The actor recorded in the history comes from the x-d06-actor metadata, or from
// x-d06-actor-bin for an actor gRPC's ASCII metadata cannot carry ("Nguyễn Văn An"):
// absent or empty is "anonymous"; a value over 200 bytes, and two keys naming different
// actors, are refused on every call, reads included.
#include <grpcpp/client_context.h>

#include <string>

#include "d06/v1/task.grpc.pb.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

class ActorTest : public ServerTest {
 protected:
  static v1::CreateTaskRequest NewTask(const std::string& title) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title(title);
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    return req;
  }

  // CreateTask over a raw stub with `metadata` as the only request metadata.
  absl::StatusOr<v1::CreateTaskResponse> CreateTaskWith(
      const std::vector<std::pair<std::string, std::string>>& metadata, const std::string& title) {
    auto stub = v1::TaskService::NewStub(client().channel());
    grpc::ClientContext context;
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    v1::CreateTaskResponse response;
    const grpc::Status status = stub->CreateTask(&context, NewTask(title), &response);
    if (!status.ok()) return client::FromGrpcStatus(status);
    return response;
  }

  static std::string FieldOf(const absl::Status& status) {
    const v1::ErrorInfo info = client::ErrorInfoOf(status);
    return info.metadata().count("field") ? info.metadata().at("field") : "";
  }
};

TEST_F(ActorTest, VietnameseActorOfTheClientLibraryIsRecordedVerbatim) {
  MakeUnit("H29");
  const std::string actor = "Nguyễn Văn An";
  auto created = NewClient(actor)->CreateTask(NewTask("Nhiệm vụ của anh An"));
  ASSERT_THAT(created.status(), IsOk());
  std::vector<v1::Event> events = AllEvents(created->task().name());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].actor(), actor);
  // Reads too: the actor is checked, and accepted, on every call.
  v1::GetTaskRequest get;
  get.set_name(created->task().name());
  EXPECT_THAT(NewClient(actor)->GetTask(get).status(), IsOk());
}

TEST_F(ActorTest, BinaryMetadataCarriesUtf8AndAsciiKeyStillWorks) {
  MakeUnit("H29");
  auto by_bin = CreateTaskWith({{"x-d06-actor-bin", "Trần Thị Bình"}}, "Nhiệm vụ một");
  ASSERT_THAT(by_bin.status(), IsOk());
  EXPECT_EQ(AllEvents(by_bin->task().name())[0].actor(), "Trần Thị Bình");
  auto by_text = CreateTaskWith({{"x-d06-actor", "tran.thi.binh@h29.gov.vn"}}, "Nhiệm vụ hai");
  ASSERT_THAT(by_text.status(), IsOk());
  EXPECT_EQ(AllEvents(by_text->task().name())[0].actor(), "tran.thi.binh@h29.gov.vn");
  // Both keys naming the same actor is fine.
  auto both = CreateTaskWith({{"x-d06-actor", "an"}, {"x-d06-actor-bin", "an"}}, "Nhiệm vụ ba");
  ASSERT_THAT(both.status(), IsOk());
  EXPECT_EQ(AllEvents(both->task().name())[0].actor(), "an");
}

TEST_F(ActorTest, TwoKeysNamingDifferentActorsAreRefusedAndChangeNothing) {
  MakeUnit("H29");
  auto conflict = CreateTaskWith(
      {{"x-d06-actor", "nguyen.van.an"}, {"x-d06-actor-bin", "Nguyễn Văn An"}}, "Xung đột");
  EXPECT_THAT(conflict.status(), IsInvalidField("x-d06-actor"));
  EXPECT_THAT(std::string(conflict.status().message()), ::testing::HasSubstr("x-d06-actor-bin"));
  EXPECT_THAT(std::string(conflict.status().message()), ::testing::HasSubstr("nguyen.van.an"));
  EXPECT_THAT(AllTasks(), ::testing::IsEmpty());
}

TEST_F(ActorTest, BadBinaryActorIsRefusedNamingItsKey) {
  MakeUnit("H29");
  for (const std::string& bad :
       {std::string("\xff\xfe"), std::string("An\nB"), std::string(201, 'a')}) {
    auto refused = CreateTaskWith({{"x-d06-actor-bin", bad}}, "Nhiệm vụ");
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(FieldOf(refused.status()), "x-d06-actor-bin") << bad;
  }
  EXPECT_THAT(AllTasks(), ::testing::IsEmpty());
}

TEST_F(ActorTest, EmptyActorIsAnonymous) {
  MakeUnit("H29");
  std::unique_ptr<Client> nobody = NewClient("");
  v1::CreateTaskRequest req;
  req.mutable_task()->set_title("Nhiệm vụ");
  req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  req.mutable_task()->set_assigning_unit("units/H29");
  auto created = nobody->CreateTask(req);
  ASSERT_THAT(created.status(), IsOk());
  std::vector<v1::Event> events = AllEvents(created->task().name());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].actor(), "anonymous");
}

TEST_F(ActorTest, OverlongActorIsRefusedForReadsAndWrites) {
  MakeUnit("H29");
  std::unique_ptr<Client> loud = NewClient(std::string(201, 'a'));
  v1::CreateUnitRequest create;
  create.mutable_unit()->set_code("H30");
  create.mutable_unit()->set_display_name("Tỉnh");
  create.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
  EXPECT_THAT(loud->CreateUnit(create).status(), IsInvalidField("x-d06-actor"));
  v1::GetUnitRequest get;
  get.set_name("units/H29");
  EXPECT_THAT(loud->GetUnit(get).status(), IsInvalidField("x-d06-actor"));
  EXPECT_THAT(AllUnits(), ::testing::SizeIs(1));
  EXPECT_THAT(NewClient(std::string(200, 'a'))->GetUnit(get).status(), IsOk());
}

}  // namespace
}  // namespace d06::testing
