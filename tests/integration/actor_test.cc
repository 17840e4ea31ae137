// The actor recorded in the history comes from the x-d06-actor metadata: absent or empty
// is "anonymous"; a value over 200 bytes is refused on every call, reads included.
#include <string>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

class ActorTest : public ServerTest {};

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
