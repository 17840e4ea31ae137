// EventService.Watch, the change feed: order, resume without loss or repeat across
// disconnects and restarts, filters, progress, retention and OUT_OF_RANGE, a consumer
// that stops reading, and bad requests.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "d06/v1/watch.grpc.pb.h"
#include "storage/keys.h"
#include "tests/testing/raw_http.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// (revision, index) of each event: what identifies an event in the log.
using EventId = std::pair<int64_t, int32_t>;

std::vector<EventId> Ids(const std::vector<v1::Event>& events) {
  std::vector<EventId> out;
  for (const v1::Event& e : events) out.emplace_back(e.revision(), e.index());
  return out;
}

class WatchTest : public ServerTest {
 protected:
  std::unique_ptr<v1::EventService::Stub> Stub() {
    return v1::EventService::NewStub(
        grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
  }

  // Every event of the log, read by a watch from revision 1 up to `through`.
  std::vector<v1::Event> Log(int64_t through) {
    std::vector<v1::Event> events;
    v1::WatchRequest req;
    req.set_start_revision(1);
    EXPECT_THAT(client().Watch(req,
                               [&](const v1::WatchResponse& r) {
                                 for (const v1::Event& e : r.events()) events.push_back(e);
                                 return r.revision() < through;
                               }),
                IsOk());
    return events;
  }

  // The current revision: a watch from now says where now is.
  int64_t CurrentRevision() {
    auto stub = Stub();
    grpc::ClientContext context;
    v1::WatchRequest req;
    auto reader = stub->Watch(&context, req);
    v1::WatchResponse first;
    EXPECT_TRUE(reader->Read(&first));
    context.TryCancel();
    reader->Finish();
    return first.revision();
  }

  // The province H29 with 100 communes and `tasks` tasks that each assign all of them
  // (one lead): 101 events a write. Returns the communes.
  std::vector<std::string> CommunesWithTasks(int tasks) {
    MakeUnit("H29");
    std::vector<std::string> communes;
    for (int i = 0; i < 100; ++i) {
      communes.push_back(
          MakeUnit(absl::StrCat("H29.", i), v1::UNIT_KIND_COMMUNE, "units/H29").name());
    }
    for (int t = 0; t < tasks; ++t) {
      v1::CreateTaskRequest task_req;
      task_req.mutable_task()->set_title(absl::StrCat("Triển khai VNeID đợt ", t));
      task_req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
      task_req.mutable_task()->set_assigning_unit("units/H29");
      for (const std::string& unit : communes) {
        v1::Assignment* a = task_req.add_assignments();
        a->set_unit(unit);
        a->set_role(unit == communes[0] ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT);
      }
      EXPECT_THAT(client().CreateTask(task_req).status(), IsOk());
    }
    return communes;
  }

  // One write of thousands of events: the 100 communes of CommunesWithTasks(30) merged
  // into one. Returns the merge's revision.
  int64_t MergeThousands() {
    SetToday(2025, 6, 2);
    const std::vector<std::string> communes = CommunesWithTasks(30);
    MakeUnit("H29.S", v1::UNIT_KIND_COMMUNE, "units/H29");
    SetToday(2025, 7, 2);
    v1::MergeUnitsRequest merge;
    for (const std::string& unit : communes) merge.add_names(unit);
    merge.set_successor("units/H29.S");
    *merge.mutable_effective_date() = Day(2025, 7, 1);
    merge.set_reason("Nghị quyết sắp xếp đơn vị hành chính cấp xã");
    EXPECT_THAT(client().MergeUnits(merge).status(), IsOk());
    return CurrentRevision();
  }

  // Reads one watch until `stop` says so; returns the events and the final status.
  struct Watched {
    std::vector<v1::Event> events;
    std::vector<v1::WatchResponse> responses;
    absl::Status status;
  };
  Watched WatchUntil(const v1::WatchRequest& req,
                     const std::function<bool(const v1::WatchResponse&)>& more) {
    Watched out;
    auto stub = Stub();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = stub->Watch(&context, req);
    v1::WatchResponse r;
    while (reader->Read(&r)) {
      out.responses.push_back(r);
      for (const v1::Event& e : r.events()) out.events.push_back(e);
      if (!more(r)) {
        context.TryCancel();
        break;
      }
    }
    out.status = client::FromGrpcStatus(reader->Finish());
    return out;
  }
};

TEST_F(WatchTest, FromNowSendsEachNewEventOnceInOrderAfterAFirstResponseSayingWhere) {
  MakeUnit("H29");
  const int64_t now = CurrentRevision();
  std::vector<v1::Event> seen;
  std::vector<v1::WatchResponse> responses;
  std::atomic<bool> started = false;
  std::thread watcher([&] {
    v1::WatchRequest req;
    ASSERT_THAT(client().Watch(req,
                               [&](const v1::WatchResponse& r) {
                                 responses.push_back(r);
                                 started = true;
                                 for (const v1::Event& e : r.events()) seen.push_back(e);
                                 return seen.size() < 4;
                               }),
                IsOk());
  });
  while (!started) absl::SleepFor(absl::Milliseconds(5));
  v1::Unit unit = MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  v1::Task task = MakeTask("units/H29", "Cấp tài khoản định danh điện tử");
  v1::Assignment a = Assign(task.name(), unit.name(), v1::ASSIGNMENT_ROLE_LEAD);
  Start(a.name());
  watcher.join();
  ASSERT_THAT(responses, SizeIs(Ge(2u)));
  EXPECT_EQ(responses[0].revision(), now);
  EXPECT_THAT(responses[0].events(), IsEmpty());
  ASSERT_THAT(seen, SizeIs(4));
  EXPECT_EQ(seen[0].resource(), unit.name());
  EXPECT_EQ(seen[1].resource(), task.name());
  EXPECT_EQ(seen[2].resource(), a.name());
  EXPECT_EQ(seen[3].action(), v1::EVENT_ACTION_START);
  EXPECT_EQ(seen[0].revision(), now + 1);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_LT(Ids({seen[i - 1]})[0], Ids({seen[i]})[0]);
  }
  EXPECT_EQ(seen[3].actor(), "tester");
}

TEST_F(WatchTest, ResumingAfterRepeatedDisconnectsUnderConcurrentWritesLosesAndRepeatsNothing) {
  MakeUnit("H29");
  std::atomic<bool> stop = false;
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      auto c = NewClient(absl::StrCat("writer-", w));
      for (int i = 0; !stop; ++i) {
        v1::CreateTaskRequest req;
        req.mutable_task()->set_title(absl::StrCat("Nhiệm vụ ", w, "-", i));
        req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
        req.mutable_task()->set_assigning_unit("units/H29");
        ASSERT_THAT(c->CreateTask(req).status(), IsOk());
      }
    });
  }
  // A client that disconnects after a few responses, again and again, resuming each time
  // from the revision after the last one it was told.
  std::vector<v1::Event> seen;
  int64_t next = 1;
  int disconnects = 0;
  const absl::Time writes_end = absl::Now() + absl::Seconds(2);
  while (absl::Now() < writes_end) {
    v1::WatchRequest req;
    req.set_start_revision(next);
    int budget = 1 + disconnects % 4;
    Watched w = WatchUntil(req, [&](const v1::WatchResponse&) { return --budget > 0; });
    EXPECT_EQ(w.status.code(), absl::StatusCode::kCancelled) << w.status;
    for (const v1::Event& e : w.events) seen.push_back(e);
    if (w.responses.empty()) break;
    next = w.responses.back().revision() + 1;
    ++disconnects;
  }
  stop = true;
  for (std::thread& t : writers) t.join();
  const int64_t last = CurrentRevision();
  v1::WatchRequest req;
  req.set_start_revision(next);
  if (next <= last) {
    Watched w = WatchUntil(req, [&](const v1::WatchResponse& r) { return r.revision() < last; });
    for (const v1::Event& e : w.events) seen.push_back(e);
  }
  EXPECT_GT(disconnects, 10);
  const std::vector<v1::Event> log = Log(last);
  ASSERT_GT(log.size(), 50u);
  EXPECT_THAT(Ids(seen), ElementsAreArray(Ids(log)));
}

TEST_F(WatchTest, FiltersByTaskUnitTreeAndAction) {
  MakeUnit("H29");
  v1::Unit dept = MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  MakeUnit("H30");
  v1::Unit other = MakeUnit("H30.01", v1::UNIT_KIND_DEPARTMENT, "units/H30");
  v1::Task t1 = MakeTask("units/H29", "Một");
  v1::Task t2 = MakeTask("units/H30", "Hai");
  v1::Assignment a1 = Assign(t1.name(), dept.name(), v1::ASSIGNMENT_ROLE_LEAD);
  v1::Assignment a2 = Assign(t2.name(), other.name(), v1::ASSIGNMENT_ROLE_LEAD);
  v1::Assignment a3 = Assign(t2.name(), dept.name());  // a H29 unit on a H30 task
  Start(a1.name());
  Start(a2.name());
  const int64_t last = CurrentRevision();
  auto resources = [&](v1::WatchRequest req) {
    req.set_start_revision(1);
    Watched w = WatchUntil(req, [&](const v1::WatchResponse& r) { return r.revision() < last; });
    EXPECT_EQ(w.status.code(), absl::StatusCode::kCancelled) << w.status;
    std::vector<std::string> out;
    for (const v1::Event& e : w.events) out.push_back(e.resource());
    return out;
  };
  v1::WatchRequest by_task;
  by_task.set_task(t1.name());
  EXPECT_THAT(resources(by_task), ElementsAreArray({t1.name(), a1.name(), a1.name()}));
  v1::WatchRequest by_tree;
  by_tree.set_unit_tree("units/H29");
  EXPECT_THAT(resources(by_tree), ElementsAreArray({std::string("units/H29"), dept.name(),
                                                    t1.name(), a1.name(), a3.name(), a1.name()}));
  v1::WatchRequest by_action;
  by_action.add_actions(v1::EVENT_ACTION_START);
  EXPECT_THAT(resources(by_action), ElementsAreArray({a1.name(), a2.name()}));
  v1::WatchRequest all_three;
  all_three.set_task(t2.name());
  all_three.set_unit_tree("units/H29");
  all_three.add_actions(v1::EVENT_ACTION_CREATE_ASSIGNMENT);
  EXPECT_THAT(resources(all_three), ElementsAreArray({a3.name()}));
}

TEST_F(WatchTest, AUnitWhoseTreeCannotBeWalkedEndsNoOnesStream) {
  // D01 (a province) .. D12: as deep as CreateUnit allows; then D13 and D14 below, as a
  // database written before that limit may hold them.
  const v1::Unit deepest = MakeUnitChain(kMaxUnitDepth);
  std::string parent = deepest.name();
  MakeUnit("H30");
  WithStoppedServer([&](Store& store) {
    for (const char* code : {"D13", "D14"}) {
      v1::Unit unit = deepest;
      unit.set_code(code);
      unit.set_name(absl::StrCat("units/", code));
      unit.set_display_name(absl::StrCat("Đơn vị ", code));
      unit.set_parent(parent);
      ASSERT_THAT(store.Apply([&](Txn& txn) {
        txn.PutProto(Cf::kEntities, keys::UnitKey(code), unit);
        return absl::OkStatus();
      }),
                  IsOk());
      parent = unit.name();
    }
  });
  const int64_t from = CurrentRevision() + 1;
  v1::UpdateUnitRequest update;
  update.mutable_unit()->set_name("units/D14");
  update.mutable_unit()->set_display_name("Đơn vị sâu");
  update.mutable_update_mask()->add_paths("display_name");
  ASSERT_THAT(client().UpdateUnit(update).status(), IsOk());  // an event on units/D14
  v1::Unit commune = MakeUnit("H30.01", v1::UNIT_KIND_COMMUNE, "units/H30");
  const int64_t last = CurrentRevision();
  auto resources = [&](const std::string& tree) {
    v1::WatchRequest req;
    req.set_start_revision(from);
    req.set_unit_tree(tree);
    Watched w = WatchUntil(req, [&](const v1::WatchResponse& r) { return r.revision() < last; });
    EXPECT_EQ(w.status.code(), absl::StatusCode::kCancelled) << w.status;
    std::vector<std::string> out;
    for (const v1::Event& e : w.events) out.push_back(e.resource());
    return out;
  };
  // A watcher of another province goes on (catching up, then live).
  EXPECT_THAT(resources("units/H30"), ElementsAreArray({commune.name()}));
  // The units that could be walked above units/D14 still see its events.
  EXPECT_THAT(resources("units/D05"), ElementsAreArray({std::string("units/D14")}));
  v1::WatchRequest live;
  live.set_unit_tree("units/H30");
  Watched watched;
  std::thread watcher([&] {
    watched = WatchUntil(live, [&](const v1::WatchResponse& r) {
      return !std::any_of(r.events().begin(), r.events().end(),
                          [](const v1::Event& e) { return e.resource() == "units/H30.02"; });
    });
  });
  absl::SleepFor(absl::Milliseconds(200));  // the watch is registered with the hub
  update.mutable_unit()->set_display_name("Đơn vị sâu nhất");
  ASSERT_THAT(client().UpdateUnit(update).status(), IsOk());
  MakeUnit("H30.02", v1::UNIT_KIND_COMMUNE, "units/H30");
  watcher.join();
  EXPECT_EQ(watched.status.code(), absl::StatusCode::kCancelled) << watched.status;
  ASSERT_FALSE(watched.events.empty());
  EXPECT_EQ(watched.events.back().resource(), "units/H30.02");
}

TEST_F(WatchTest, ProgressTellsAFilteredWatcherHowFarTheLogHasGone) {
  MakeUnit("H29");
  v1::Task task = MakeTask("units/H29");
  v1::WatchRequest req;
  req.set_task("tasks/999");  // matches nothing
  req.set_progress_interval_ms(100);
  std::atomic<int64_t> written = 0;
  std::thread writer([&] {
    for (int i = 0; i < 5; ++i)
      MakeUnit(absl::StrCat("H29.0", i), v1::UNIT_KIND_DEPARTMENT, "units/H29");
    written = CurrentRevision();
  });
  Watched w = WatchUntil(
      req, [&](const v1::WatchResponse& r) { return written == 0 || r.revision() < written; });
  writer.join();
  EXPECT_THAT(w.events, IsEmpty());
  EXPECT_EQ(w.responses.back().revision(), written.load());
}

TEST_F(WatchTest, BadRequestsAreInvalidArgumentNamingTheField) {
  MakeUnit("H29");
  auto status_of = [&](v1::WatchRequest req) {
    return WatchUntil(req, [](const v1::WatchResponse&) { return false; }).status;
  };
  v1::WatchRequest req;
  req.set_start_revision(-1);
  EXPECT_THAT(status_of(req), IsInvalidField("start_revision"));
  req.set_start_revision(1000);
  EXPECT_THAT(status_of(req), IsInvalidField("start_revision"));
  req = {};
  req.set_task("tasks/x");
  EXPECT_THAT(status_of(req), IsInvalidField("task"));
  req = {};
  req.set_unit_tree("H29");
  EXPECT_THAT(status_of(req), IsInvalidField("unit_tree"));
  req = {};
  req.add_actions(v1::EVENT_ACTION_START);
  req.add_actions(static_cast<v1::EventAction>(999));
  EXPECT_THAT(status_of(req), IsInvalidField("actions[1]"));
  req = {};
  req.set_progress_interval_ms(5);
  EXPECT_THAT(status_of(req), IsInvalidField("progress_interval_ms"));
}

class WatchRetentionTest : public WatchTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    options.event_retention_days = 30;
    options.event_retention_interval = absl::Hours(24);  // tests run it by hand
  }
};

TEST_F(WatchRetentionTest, OldEventsGoWatchingThemIsOutOfRangeAndReportsDoNotChange) {
  MakeUnit("H29");
  v1::Unit dept = MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  v1::Task task = MakeTask("units/H29", "Cũ", Day(2026, 3, 25));
  v1::Assignment a = Assign(task.name(), dept.name(), v1::ASSIGNMENT_ROLE_LEAD, Day(2026, 3, 25));
  Start(a.name());
  v1::GetSummaryRequest summary_req;
  summary_req.set_unit("units/H29");
  *summary_req.mutable_as_of() = Day(2026, 3, 20);
  const v1::GetSummaryResponse before = Must(client().GetSummary(summary_req));
  const int64_t last_old = CurrentRevision();
  clock().Advance(absl::Hours(24 * 40));
  absl::StatusOr<int> removed = server().RemoveOldEvents();
  ASSERT_THAT(removed.status(), IsOk());
  EXPECT_GE(*removed, 5);
  Submit(a.name());  // a new event, within retention
  removed = server().RemoveOldEvents();
  ASSERT_THAT(removed.status(), IsOk());
  EXPECT_EQ(*removed, 0);

  Watched old = WatchUntil(
      [] {
        v1::WatchRequest r;
        r.set_start_revision(1);
        return r;
      }(),
      [](const v1::WatchResponse&) { return false; });
  ASSERT_THAT(old.status, IsError(absl::StatusCode::kOutOfRange, "REVISION_COMPACTED"));
  const std::string oldest = client::ErrorInfoOf(old.status).metadata().at("oldest_revision");
  EXPECT_EQ(oldest, absl::StrCat(last_old + 1));

  v1::WatchRequest from_oldest;
  from_oldest.set_start_revision(last_old + 1);
  Watched kept =
      WatchUntil(from_oldest, [](const v1::WatchResponse& r) { return r.events_size() == 0; });
  ASSERT_THAT(kept.events, SizeIs(1));
  EXPECT_EQ(kept.events[0].action(), v1::EVENT_ACTION_SUBMIT);
  // The task's history keeps only what retention keeps.
  std::vector<v1::Event> history = AllEvents(task.name());
  ASSERT_THAT(history, SizeIs(1));
  EXPECT_EQ(history[0].action(), v1::EVENT_ACTION_SUBMIT);
  // A report as of a day whose events are gone is what it was.
  const v1::GetSummaryResponse after = Must(client().GetSummary(summary_req));
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  // And the oldest revision survives a restart.
  Restart();
  old = WatchUntil(
      [] {
        v1::WatchRequest r;
        r.set_start_revision(1);
        return r;
      }(),
      [](const v1::WatchResponse&) { return false; });
  EXPECT_THAT(old.status, IsError(absl::StatusCode::kOutOfRange, "REVISION_COMPACTED"));
}

TEST_F(WatchTest, AWriteOfThousandsOfEventsComesInFragmentsAndAResumeInsideOneReadsItAgain) {
  const int64_t merge = MergeThousands();
  std::vector<v1::Event> log = Log(merge);
  log.erase(std::remove_if(log.begin(), log.end(),
                           [&](const v1::Event& e) { return e.revision() != merge; }),
            log.end());
  ASSERT_GT(log.size(), 3000u);  // one revision
  v1::WatchRequest req;
  req.set_start_revision(merge);
  Watched w = WatchUntil(req, [&](const v1::WatchResponse& r) { return r.revision() < merge; });
  EXPECT_THAT(Ids(w.events), ElementsAreArray(Ids(log)));
  ASSERT_THAT(w.responses, SizeIs(Ge(3u)));  // where it starts, then at least two parts
  for (size_t i = 1; i < w.responses.size(); ++i) {
    const v1::WatchResponse& r = w.responses[i];
    const bool last = i + 1 == w.responses.size();
    EXPECT_EQ(r.fragment(), !last) << i;
    EXPECT_EQ(r.revision(), last ? merge : merge - 1) << i;  // a resume reads it again
    EXPECT_LE(r.events_size(), 2000) << i;
    EXPECT_LT(r.ByteSizeLong(), size_t{3} << 20) << i;  // gRPC's 4 MiB limit is far
  }
  // A watch cut after the first part starts again at the revision's first event.
  Watched cut = WatchUntil(req, [](const v1::WatchResponse& r) { return r.events().empty(); });
  ASSERT_THAT(cut.responses, SizeIs(2u));
  ASSERT_TRUE(cut.responses[1].fragment());
  req.set_start_revision(cut.responses[1].revision() + 1);
  Watched again = WatchUntil(req, [](const v1::WatchResponse& r) { return r.events().empty(); });
  ASSERT_THAT(again.events, Not(IsEmpty()));
  EXPECT_EQ(Ids(again.events)[0], EventId(merge, 0));
}

class SlowWatcherTest : public WatchTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    options.watch_max_pending_events = 100;
    options.metrics_listen_address = "127.0.0.1:0";
  }

  // What /metrics says.
  std::string Metrics() {
    RawHttp http(server().metrics_port());
    EXPECT_TRUE(http.Send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    std::optional<RawAnswer> answer = http.Read();
    EXPECT_TRUE(answer.has_value());
    return answer.has_value() ? answer->body : "";
  }

  // 15,150 events (CommunesWithTasks(150)): more than the stream's queue of 16 responses
  // of at most ~500 events and the transport's buffers hold, so a watcher that reads
  // nothing meanwhile falls behind. Returns the revision reached.
  int64_t WriteMoreThanAStreamHolds() {
    CommunesWithTasks(150);
    return CurrentRevision();
  }

  // The events of the log after revision `after` up to `through`.
  std::vector<v1::Event> LogAfter(int64_t after, int64_t through) {
    std::vector<v1::Event> log = Log(through);
    log.erase(std::remove_if(log.begin(), log.end(),
                             [&](const v1::Event& e) { return e.revision() <= after; }),
              log.end());
    return log;
  }
};

TEST_F(SlowWatcherTest, AConsumerThatFallsBehindReadsOnFromTheLogAndMissesNothing) {
  // A watcher that reads its first response, then nothing while the writes go on.
  auto stub = Stub();
  grpc::ClientContext context;
  auto reader = stub->Watch(&context, v1::WatchRequest());
  v1::WatchResponse first;
  ASSERT_TRUE(reader->Read(&first));
  const int64_t last = WriteMoreThanAStreamHolds();
  // When it reads again it gets every event, in order, once, and no error.
  std::vector<v1::Event> seen;
  v1::WatchResponse r;
  while (reader->Read(&r)) {
    for (const v1::Event& e : r.events()) seen.push_back(e);
    if (r.revision() >= last) break;
  }
  EXPECT_EQ(r.revision(), last);
  context.TryCancel();
  reader->Finish();
  EXPECT_THAT(Ids(seen), ElementsAreArray(Ids(LogAfter(first.revision(), last))));
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, Not(HasSubstr("d06_watchers_fell_behind_total 0\n")));
  EXPECT_THAT(metrics, HasSubstr("d06_watchers_cut_off_total 0\n"));
}

TEST_F(SlowWatcherTest, AWatcherOfAMergeOfThousandsGetsItAllWithoutAResume) {
  std::vector<v1::Event> seen;
  std::atomic<int64_t> until = 0;
  std::atomic<int> resumes = 0;
  int64_t from = -1;
  std::thread watcher([&] {
    v1::WatchRequest req;
    req.set_progress_interval_ms(100);
    EXPECT_THAT(client().Watch(
                    req,
                    [&](const v1::WatchResponse& r) {
                      if (from < 0) from = r.revision();
                      for (const v1::Event& e : r.events()) seen.push_back(e);
                      return until == 0 || r.revision() < until;
                    },
                    [&](const absl::Status&, int64_t) { ++resumes; }),
                IsOk());
  });
  until = MergeThousands();
  watcher.join();
  EXPECT_EQ(resumes.load(), 0);
  EXPECT_THAT(Ids(seen), ElementsAreArray(Ids(LogAfter(from, until))));
}

class StalledWatcherTest : public SlowWatcherTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    SlowWatcherTest::ConfigureServer(options);
    options.stream_stall_timeout = absl::Seconds(1);
  }
};

TEST_F(StalledWatcherTest, AConsumerThatTakesNothingIsCutOffWithWhereToResumeAndWritersGoOn) {
  auto stub = Stub();
  grpc::ClientContext context;
  auto reader = stub->Watch(&context, v1::WatchRequest());
  v1::WatchResponse first;
  ASSERT_TRUE(reader->Read(&first));
  const int64_t last = WriteMoreThanAStreamHolds();
  absl::SleepFor(absl::Seconds(2));  // past the stall timeout, even if the writes were quick
  // Reading now drains what was sent before the cut, then the status says where to go on.
  std::vector<v1::Event> seen;
  v1::WatchResponse r;
  int64_t told = first.revision();
  while (reader->Read(&r)) {
    for (const v1::Event& e : r.events()) seen.push_back(e);
    told = r.revision();
  }
  const absl::Status status = client::FromGrpcStatus(reader->Finish());
  ASSERT_THAT(status, IsError(absl::StatusCode::kResourceExhausted, "WATCHER_TOO_SLOW"));
  const std::string resume = client::ErrorInfoOf(status).metadata().at("resume_revision");
  EXPECT_EQ(resume, absl::StrCat(told + 1));
  // Resuming there completes the log.
  v1::WatchRequest again;
  again.set_start_revision(told + 1);
  Watched rest = WatchUntil(again, [&](const v1::WatchResponse& w) { return w.revision() < last; });
  // Cut inside a revision sent in parts (fragment), the resume starts at that revision's
  // first event again: the events already received are skipped, as the feed's
  // documentation tells integrators to.
  for (const v1::Event& e : rest.events) {
    if (seen.empty() ||
        EventId(seen.back().revision(), seen.back().index()) < EventId(e.revision(), e.index())) {
      seen.push_back(e);
    }
  }
  EXPECT_THAT(Ids(seen), ElementsAreArray(Ids(LogAfter(first.revision(), last))));
  EXPECT_THAT(Metrics(), Not(HasSubstr("d06_watchers_cut_off_total 0\n")));
}

// A server on a fixed port, so that a client keeps its target across a restart.
class WatchRestartTest : public WatchTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    if (port_ == 0) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
      socklen_t len = sizeof(addr);
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
      port_ = ntohs(addr.sin_port);
      close(fd);
    }
    options.listen_address = absl::StrCat("127.0.0.1:", port_);
  }
  int port_ = 0;
};

TEST_F(WatchRestartTest, ClientWatchResumesByItselfAcrossAServerRestart) {
  MakeUnit("H29");
  auto watcher_client = NewClient("mirror");
  std::vector<v1::Event> seen;
  std::atomic<int> resumes = 0;
  std::atomic<int64_t> target_revision = 0;
  absl::Mutex mu;
  std::thread watcher([&] {
    v1::WatchRequest req;
    req.set_start_revision(1);
    req.set_progress_interval_ms(200);
    EXPECT_THAT(watcher_client->Watch(
                    req,
                    [&](const v1::WatchResponse& r) {
                      absl::MutexLock lock(&mu);
                      for (const v1::Event& e : r.events()) seen.push_back(e);
                      return target_revision == 0 || r.revision() < target_revision;
                    },
                    [&](const absl::Status&, int64_t) { ++resumes; }),
                IsOk());
  });
  for (int i = 0; i < 5; ++i)
    MakeUnit(absl::StrCat("H29.0", i), v1::UNIT_KIND_DEPARTMENT, "units/H29");
  Restart();
  for (int i = 5; i < 10; ++i)
    MakeUnit(absl::StrCat("H29.", i), v1::UNIT_KIND_DEPARTMENT, "units/H29");
  const int64_t last = CurrentRevision();
  target_revision = last;
  // A progress response (every 200 ms) or the new events end the watch.
  watcher.join();
  EXPECT_GE(resumes.load(), 1);
  EXPECT_THAT(Ids(seen), ElementsAreArray(Ids(Log(last))));
}

}  // namespace
}  // namespace d06::testing
