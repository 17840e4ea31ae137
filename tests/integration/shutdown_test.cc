// Server::Shutdown under load: calls in flight finish, calls that arrive while the server
// drains are UNAVAILABLE (which clients retry), never CANCELLED; every write that was
// answered OK survives a restart. (With gRPC's shutdown alone, about half the runs saw
// CANCELLED calls, none of them applied: see server/api/call_gate.h.)
//
// Raw gRPC stubs, not d06::Client: the client retries UNAVAILABLE, and the test must see
// every status the server gives.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "d06/v1/task.grpc.pb.h"
#include "tests/testing/own_connection.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

class ShutdownTest : public ServerTest {};

TEST_F(ShutdownTest, InFlightCallsFinishAndNewOnesAreUnavailableNeverCancelled) {
  constexpr int kThreads = 32;
  const v1::Unit unit = MakeUnit("H29");
  const std::string address = target();

  struct Seen {
    absl::Mutex mu;
    std::map<std::string, int> statuses;         // "CODE: message" -> count
    std::map<std::string, std::string> written;  // task name -> title, answered OK
    int ok_writes = 0, ok_reads = 0;
  } seen;
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};

  auto worker = [&](int t) {
    // A channel per thread (with its own subchannel pool, so its own connection), as
    // separate clients would have.
    auto stub = v1::TaskService::NewStub(OwnConnection(address));
    std::string last_task;
    for (int i = 0; !stop.load(); ++i) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("x-d06-actor", "tester");
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
      grpc::Status status;
      bool write = last_task.empty() || i % 2 == 0;
      std::string title = absl::StrCat("t", t, "-", i);
      v1::CreateTaskResponse created;
      if (write) {
        v1::CreateTaskRequest req;
        req.mutable_task()->set_title(title);
        req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
        req.mutable_task()->set_assigning_unit(unit.name());
        status = stub->CreateTask(&ctx, req, &created);
      } else {
        v1::GetTaskRequest req;
        req.set_name(last_task);
        v1::GetTaskResponse got;
        status = stub->GetTask(&ctx, req, &got);
      }
      ++calls;
      absl::MutexLock lock(&seen.mu);
      if (status.ok()) {
        if (write) {
          ++seen.ok_writes;
          seen.written[created.task().name()] = title;
          last_task = created.task().name();
        } else {
          ++seen.ok_reads;
        }
      } else {
        ++seen.statuses[absl::StrCat(
            write ? "write " : "read ",
            absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())), ": ",
            status.error_message())];
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);

  // Shut down once the load is on: every thread has had calls answered.
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (calls.load() < kThreads * 20 && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(5));
  absl::Time start = absl::Now();
  StopServer();
  absl::Duration took = absl::Now() - start;
  // Stop at once: the port is free again, and another server may take it.
  stop = true;
  for (auto& t : threads) t.join();

  absl::MutexLock lock(&seen.mu);
  std::string report =
      absl::StrCat("shutdown took ", absl::FormatDuration(took), "; ", seen.ok_writes,
                   " writes and ", seen.ok_reads, " reads OK; other answers:\n");
  for (const auto& [status, count] : seen.statuses) {
    absl::StrAppend(&report, "  ", count, " x ", status, "\n");
  }
  for (const auto& [status, count] : seen.statuses) {
    EXPECT_TRUE(status.find(" UNAVAILABLE: ") != std::string::npos) << report;
  }
  EXPECT_GT(seen.ok_writes, 0) << report;
  EXPECT_LT(took, absl::Seconds(5)) << report;

  // Every write answered OK is there after a restart.
  StartAgain();
  for (const auto& [name, title] : seen.written) {
    v1::GetTaskRequest req;
    req.set_name(name);
    auto got = client().GetTask(req);
    ASSERT_THAT(got.status(), IsOk()) << name;
    EXPECT_EQ(got->task().title(), title);
  }
}

}  // namespace
}  // namespace d06::testing
