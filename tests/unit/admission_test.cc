// How calls are admitted: every RPC's kind (Method::KindOf, from its descriptor alone)
// and the bounded executor of the bulk reads (server/api/admission.h).
#include "server/api/admission.h"

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "d06/v1/api_names.h"
#include "d06/v1/report.pb.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "d06/v1/watch.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/method_table.h"
#include "server/domain/errors.h"

namespace d06::api {
namespace {

using Kind = Method::Kind;

// Every RPC of every service, with the kind it must have. A new RPC fails this test
// until it is listed: whoever adds it decides whether it may run at once.
TEST(MethodKindTest, EveryRpcHasTheKindItsCostCallsFor) {
  const std::map<std::string, Kind> expected = {
      {"d06.v1.UnitService.CreateUnit", Kind::kWrite},
      {"d06.v1.UnitService.GetUnit", Kind::kPointRead},
      {"d06.v1.UnitService.ListUnits", Kind::kBulkRead},
      {"d06.v1.UnitService.UpdateUnit", Kind::kWrite},
      {"d06.v1.UnitService.RenameUnit", Kind::kWrite},
      {"d06.v1.UnitService.MoveUnit", Kind::kWrite},
      {"d06.v1.UnitService.MergeUnits", Kind::kWrite},
      {"d06.v1.UnitService.DissolveUnit", Kind::kWrite},
      {"d06.v1.TaskService.CreateTask", Kind::kWrite},
      {"d06.v1.TaskService.GetTask", Kind::kPointRead},
      {"d06.v1.TaskService.ListTasks", Kind::kBulkRead},
      {"d06.v1.TaskService.UpdateTask", Kind::kWrite},
      {"d06.v1.TaskService.CancelTask", Kind::kWrite},
      {"d06.v1.TaskService.CreateAssignment", Kind::kWrite},
      {"d06.v1.TaskService.GetAssignment", Kind::kPointRead},
      {"d06.v1.TaskService.ListAssignments", Kind::kBulkRead},
      {"d06.v1.TaskService.StartAssignment", Kind::kWrite},
      {"d06.v1.TaskService.ReportAssignmentProgress", Kind::kWrite},
      {"d06.v1.TaskService.SubmitAssignment", Kind::kWrite},
      {"d06.v1.TaskService.ApproveAssignment", Kind::kWrite},
      {"d06.v1.TaskService.ReturnAssignment", Kind::kWrite},
      {"d06.v1.TaskService.DeclineAssignment", Kind::kWrite},
      {"d06.v1.TaskService.RevokeAssignment", Kind::kWrite},
      {"d06.v1.TaskService.ReopenAssignment", Kind::kWrite},
      {"d06.v1.TaskService.RequestExtension", Kind::kWrite},
      {"d06.v1.TaskService.ApproveExtension", Kind::kWrite},
      {"d06.v1.TaskService.RefuseExtension", Kind::kWrite},
      {"d06.v1.TaskService.UrgeAssignment", Kind::kWrite},
      {"d06.v1.TaskService.ExportAssignments", Kind::kExport},
      {"d06.v1.TaskService.FilePeriodReport", Kind::kWrite},
      {"d06.v1.TaskService.ListPeriodReports", Kind::kBulkRead},
      {"d06.v1.TaskService.ListUrges", Kind::kBulkRead},
      {"d06.v1.TaskService.ListTaskEvents", Kind::kBulkRead},
      {"d06.v1.ReportService.GetSummary", Kind::kBulkRead},
      {"d06.v1.ReportService.ExportSummary", Kind::kExport},
      {"d06.v1.EventService.Watch", Kind::kWatch},
  };
  size_t seen = 0;
  // The .proto files of the services (through a message of each, which links them in).
  for (const google::protobuf::FileDescriptor* file :
       {v1::GetUnitRequest::descriptor()->file(), v1::GetTaskRequest::descriptor()->file(),
        v1::GetSummaryRequest::descriptor()->file(), v1::WatchRequest::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      for (int i = 0; i < file->service(s)->method_count(); ++i) {
        const google::protobuf::MethodDescriptor* method = file->service(s)->method(i);
        auto it = expected.find(method->full_name());
        ASSERT_NE(it, expected.end()) << method->full_name() << " is new: list it here";
        EXPECT_EQ(Method::KindOf(*method), it->second) << method->full_name();
        ++seen;
      }
    }
  }
  EXPECT_EQ(seen, expected.size()) << "a listed RPC no longer exists";
}

TEST(AdmissionTest, RunsInOrderAndRefusesBeyondItsQueue) {
  Admission admission({/*threads=*/1, /*queue=*/2});
  absl::Notification started, release;
  std::vector<int> ran;
  ASSERT_TRUE(admission.Submit([&] {
    started.Notify();
    release.WaitForNotification();
    ran.push_back(0);
  }));
  started.WaitForNotification();  // the thread is busy; the queue is empty
  EXPECT_TRUE(admission.Submit([&] { ran.push_back(1); }));
  EXPECT_TRUE(admission.Submit([&] { ran.push_back(2); }));
  EXPECT_FALSE(admission.Submit([&] { ran.push_back(3); }));  // the queue is full
  release.Notify();
  absl::Notification after;
  while (!admission.Submit([&] { after.Notify(); })) absl::SleepFor(absl::Milliseconds(1));
  after.WaitForNotification();
  EXPECT_THAT(ran, ::testing::ElementsAre(0, 1, 2));
}

TEST(AdmissionTest, DestructionRunsWhatIsQueued) {
  int ran = 0;
  {
    Admission admission({/*threads=*/1, /*queue=*/8});
    for (int i = 0; i < 8; ++i) admission.Submit([&] { ++ran; });
  }
  EXPECT_EQ(ran, 8);
}

TEST(AdmissionTest, BusyIsResourceExhaustedServerBusy) {
  const absl::Status busy = Admission::Busy();
  EXPECT_EQ(busy.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorInfoOf(busy).reason(), v1::reason::kServerBusy);
}

}  // namespace
}  // namespace d06::api
