// The server on a disk that fills up (tests/testing/faulty_disk.h): once a write fails the
// store fails stop, so every later write is UNAVAILABLE, reads are still served and health
// says NOT_SERVING; a restart once there is space again has every acknowledged change.
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/faulty_disk.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

class FullDiskTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override { options.file_system = disk_; }

  // A client that does not retry UNAVAILABLE, to see each answer.
  std::unique_ptr<Client> OneShotClient() {
    ClientOptions options;
    options.target = target();
    options.actor = "tester";
    options.max_retries = 0;
    auto c = Client::Connect(options);
    if (!c.ok()) throw std::runtime_error(c.status().ToString());
    return *std::move(c);
  }

  void ExpectHealth(const std::string& want) {
    for (const std::string service : {"", "d06.v1.UnitService", "d06.v1.TaskService"}) {
      auto health = HealthOf(service);
      ASSERT_TRUE(health.ok()) << "'" << service << "': " << health.status();
      EXPECT_EQ(*health, want) << "'" << service << "'";
    }
  }

  const std::shared_ptr<FaultyDisk> disk_ = std::make_shared<FaultyDisk>();
};

TEST_F(FullDiskTest, WritesUnavailableReadsServedNotServingAndRestartRecovers) {
  const v1::Unit h29 = MakeUnit("H29");
  std::vector<v1::Task> tasks;
  for (int i = 0; i < 5; ++i)
    tasks.push_back(MakeTask(h29.name(), "Nhiệm vụ " + std::to_string(i)));
  ExpectHealth("SERVING");

  disk_->Fill();
  auto one_shot = OneShotClient();
  v1::CreateTaskRequest create;
  create.mutable_task()->set_title("Không lưu được");
  create.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  create.mutable_task()->set_assigning_unit(h29.name());
  auto failed = one_shot->CreateTask(create);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_NE(failed.status().message().find("storage failed"), std::string::npos) << failed.status();
  EXPECT_NE(failed.status().message().find("No space left"), std::string::npos) << failed.status();
  // The client learns the reason, not where the server keeps its files (that is in the
  // server's log).
  EXPECT_EQ(failed.status().message().find(data_dir()), std::string::npos) << failed.status();
  EXPECT_EQ(failed.status().message().find('/'), std::string::npos) << failed.status();

  // Every later write is refused, even with space again (only a restart resumes writes).
  disk_->Free();
  const absl::Status later = one_shot->CreateTask(create).status();
  EXPECT_EQ(later.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(later.message().find('/'), std::string::npos) << later;
  v1::CreateUnitRequest unit;
  unit.mutable_unit()->set_code("H30");
  unit.mutable_unit()->set_display_name("Đơn vị H30");
  unit.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
  EXPECT_EQ(one_shot->CreateUnit(unit).status().code(), absl::StatusCode::kUnavailable);

  // Reads are served.
  EXPECT_EQ(GetTask(tasks[2].name()).title(), "Nhiệm vụ 2");
  EXPECT_EQ(AllTasks().size(), 5u);
  // Page by page too: the key that seals page tokens was made at start, not now.
  EXPECT_EQ(AllTasks("", "", 2).size(), 5u);
  EXPECT_EQ(GetUnit(h29.name()).name(), h29.name());
  // Health says NOT_SERVING, for the server and for each service.
  ExpectHealth("NOT_SERVING");

  // A restart recovers every acknowledged write, and takes writes again.
  Restart();
  ExpectHealth("SERVING");
  std::vector<v1::Task> all = AllTasks();
  ASSERT_EQ(all.size(), 5u);
  for (const v1::Task& task : tasks) EXPECT_EQ(GetTask(task.name()).title(), task.title());
  EXPECT_THAT(client().CreateTask(create).status(), IsOk());
}

}  // namespace
}  // namespace d06::testing
