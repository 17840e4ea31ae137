// Backups, restore and the consistency check: a backup taken while writes go on restores
// to exactly the source's state at the backup's revision, passes the consistency check,
// continues its revisions past the bump (a Watch from a revision the backup lacks is
// REVISION_COMPACTED) and is never restored over data; the check names each kind of
// damage planted in a database.
#include <atomic>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "d06/v1/admin.grpc.pb.h"
#include "d06/v1/watch.grpc.pb.h"
#include "server/domain/dates.h"
#include "server/model/consistency.h"
#include "server/model/event_log.h"
#include "server/model/schema.h"
#include "storage/keys.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

MATCHER_P(HasCode, code, absl::StrCat("has code ", absl::StatusCodeToString(code))) {
  return arg.code() == code;
}

// Every key and value of every column family, but the metadata a restore or a new data
// directory makes its own: the page-token key (random per directory), the revision and
// the oldest kept event (bumped by a restore).
std::map<std::pair<int, std::string>, std::string> Dump(Store& store) {
  std::map<std::pair<int, std::string>, std::string> out;
  auto view = store.Snapshot();
  for (Cf cf : {Cf::kMeta, Cf::kEntities, Cf::kIndexes, Cf::kEvents, Cf::kIdempotency}) {
    EXPECT_TRUE(
        view->ScanPrefix(cf, "", "",
                         [&](absl::string_view key, absl::string_view value) {
                           if (cf == Cf::kMeta &&
                               (key == keys::kMetaPageTokenKey || key == keys::kMetaRevision ||
                                key == keys::kMetaOldestEventRevision)) {
                             return true;
                           }
                           out[{static_cast<int>(cf), std::string(key)}] = std::string(value);
                           return true;
                         })
            .ok());
  }
  return out;
}

class BackupTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override { options.backup_dir = backup_dir_.path(); }

  std::unique_ptr<v1::AdminService::Stub> Admin(const std::string& target) {
    return v1::AdminService::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  }

  template <typename Response, typename Request, typename Method>
  absl::StatusOr<Response> Call(const std::string& target, Method method, const Request& request) {
    auto stub = Admin(target);
    grpc::ClientContext context;
    context.AddMetadata("x-d06-actor", "operator");
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    Response response;
    grpc::Status status = ((*stub).*method)(&context, request, &response);
    if (!status.ok()) return client::FromGrpcStatus(status);
    return response;
  }

  // The units every run starts from.
  void MakeUnits(Client& c) {
    for (const auto& [code, parent] : std::vector<std::pair<std::string, std::string>>{
             {"H29", ""}, {"H29.01", "units/H29"}, {"H29.02", "units/H29"}}) {
      v1::CreateUnitRequest req;
      req.mutable_unit()->set_code(code);
      req.mutable_unit()->set_display_name("Đơn vị " + code);
      req.mutable_unit()->set_kind(parent.empty() ? v1::UNIT_KIND_PROVINCE
                                                  : v1::UNIT_KIND_DEPARTMENT);
      req.mutable_unit()->set_parent(parent);
      req.set_request_id("setup-" + code);
      Must(c.CreateUnit(req), "CreateUnit");
    }
  }

  // Write number `k` of the workload, one revision each: even ones create a task with a
  // lead and a support (labels, so that counters of groups move), odd ones start the lead
  // of the task before. The same k give the same database on any server (request ids
  // too: the client would make random ones).
  static absl::Status Write(Client& c, int k) {
    if (k % 2 == 0) {
      v1::CreateTaskRequest req;
      req.mutable_task()->set_title(absl::StrCat("Nhiệm vụ số ", k));
      req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
      req.mutable_task()->set_assigning_unit("units/H29");
      req.mutable_task()->add_labels(k % 4 == 0 ? "cccd" : "ho-tich");
      req.add_assignments()->set_unit("units/H29.01");
      req.mutable_assignments(0)->set_role(v1::ASSIGNMENT_ROLE_LEAD);
      req.add_assignments()->set_unit("units/H29.02");
      req.mutable_assignments(1)->set_role(v1::ASSIGNMENT_ROLE_SUPPORT);
      req.set_request_id(absl::StrCat("write-", k));
      return c.CreateTask(req).status();
    }
    v1::StartAssignmentRequest req;
    req.set_name(absl::StrCat("tasks/", k / 2 + 1, "/assignments/H29.01"));
    req.set_request_id(absl::StrCat("write-", k));
    return c.StartAssignment(req).status();
  }

  TempDir backup_dir_{"d06-backups"};
};

TEST_F(BackupTest, BackupUnderWritesRestoresExactlyItsRevisionAndResyncsWatchers) {
  MakeUnits(client());
  const int64_t base = Must(client().ListUnits(v1::ListUnitsRequest())).units_size();
  ASSERT_EQ(base, 3);
  // Writes go on from another thread while the backup is taken.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    std::unique_ptr<Client> c = NewClient("writer");
    for (int k = 0; !stop.load() || k < 40; ++k) {
      ASSERT_THAT(Write(*c, k), IsOk()) << k;
      written.store(k + 1);
    }
  });
  while (written.load() < 20) absl::SleepFor(absl::Milliseconds(1));
  auto created = Call<v1::CreateBackupResponse>(target(), &v1::AdminService::Stub::CreateBackup,
                                                v1::CreateBackupRequest());
  stop.store(true);
  writer.join();
  const int more = written.load();
  for (int k = more; k < more + 2; ++k) ASSERT_THAT(Write(client(), k), IsOk());
  ASSERT_THAT(created.status(), IsOk());
  const v1::Backup backup = created->backup();
  EXPECT_EQ(backup.name(), "backups/1");
  EXPECT_GT(backup.size_bytes(), 0);
  const int64_t at = backup.revision();
  // Each write is one revision after the 3 units.
  ASSERT_GE(at, 3 + 20);
  ASSERT_LT(at, 3 + written.load()) << "the backup should be taken while writes go on";

  auto listed = Call<v1::ListBackupsResponse>(target(), &v1::AdminService::Stub::ListBackups,
                                              v1::ListBackupsRequest());
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->backups_size(), 1);
  EXPECT_EQ(listed->backups(0).revision(), at);
  v1::VerifyBackupRequest verify;
  verify.set_name(backup.name());
  EXPECT_THAT(
      Call<v1::VerifyBackupResponse>(target(), &v1::AdminService::Stub::VerifyBackup, verify)
          .status(),
      IsOk());
  verify.set_name("backups/9");
  EXPECT_THAT(
      Call<v1::VerifyBackupResponse>(target(), &v1::AdminService::Stub::VerifyBackup, verify)
          .status(),
      HasCode(absl::StatusCode::kNotFound));

  // Never over data: the source's own directory is refused.
  ServerOptions into_source;
  into_source.data_dir = data_dir();
  auto refused = RestoreBackup(into_source, backup_dir_.path(), 0);
  EXPECT_THAT(refused.status(), HasCode(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("not empty"));

  // Restore into an empty directory and serve it.
  TempDir restored_dir("d06-restored");
  ServerOptions options;
  options.auth = AuthMode::kOff;
  options.listen_address = "127.0.0.1:0";
  options.http_listen_address = "";
  options.data_dir = restored_dir.path();
  options.clock = &clock();
  auto restored = RestoreBackup(options, backup_dir_.path(), 1);
  ASSERT_THAT(restored.status(), IsOk());
  EXPECT_EQ(restored->backup.revision, at);
  EXPECT_EQ(restored->revision, at + 1000000);
  {
    auto server = Server::Start(options);
    ASSERT_THAT(server.status(), IsOk());
    const std::string restored_target = absl::StrCat("127.0.0.1:", (*server)->port());
    // A feed consumer that had seen revisions past the backup resyncs.
    auto watch = v1::EventService::NewStub(
        grpc::CreateChannel(restored_target, grpc::InsecureChannelCredentials()));
    for (int64_t asked : {at + 1, at + 5, at + 1000000}) {
      grpc::ClientContext context;
      context.AddMetadata("x-d06-actor", "portal");
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::WatchRequest req;
      req.set_start_revision(asked);
      auto reader = watch->Watch(&context, req);
      v1::WatchResponse response;
      while (reader->Read(&response)) {
      }
      EXPECT_THAT(client::FromGrpcStatus(reader->Finish()),
                  IsError(absl::StatusCode::kOutOfRange, "REVISION_COMPACTED"))
          << asked;
    }
    // The restored server passes the online check.
    auto checked = Call<v1::CheckConsistencyResponse>(
        restored_target, &v1::AdminService::Stub::CheckConsistency, v1::CheckConsistencyRequest());
    ASSERT_THAT(checked.status(), IsOk());
    EXPECT_THAT(checked->problems(), IsEmpty());
    EXPECT_EQ(checked->revision(), at + 1000000);
    // New writes continue after the bump.
    ClientOptions copts;
    copts.target = restored_target;
    copts.actor = "tester";
    auto c = Client::Connect(copts);
    ASSERT_THAT(c.status(), IsOk());
    auto unit = (*c)->CreateUnit([] {
      v1::CreateUnitRequest req;
      req.mutable_unit()->set_code("H30");
      req.mutable_unit()->set_display_name("Đơn vị H30");
      req.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
      return req;
    }());
    ASSERT_THAT(unit.status(), IsOk());
    (*server)->Shutdown();
    (*server)->Wait();
  }
  // The offline check passes too.
  auto verified = VerifyDataDir(options, std::nullopt);
  ASSERT_THAT(verified.status(), IsOk());
  EXPECT_THAT(verified->problems, IsEmpty());

  // The source's state at the backup's revision, rebuilt: the same writes, in the same
  // order, on a fresh directory with the same clock.
  TempDir replay_dir("d06-replay");
  {
    ServerOptions replay = options;
    replay.data_dir = replay_dir.path();
    auto server = Server::Start(replay);
    ASSERT_THAT(server.status(), IsOk());
    ClientOptions copts;
    copts.target = absl::StrCat("127.0.0.1:", (*server)->port());
    copts.actor = "tester";
    auto c = Client::Connect(copts);
    ASSERT_THAT(c.status(), IsOk());
    MakeUnits(**c);
    copts.actor = "writer";
    auto w = Client::Connect(copts);
    ASSERT_THAT(w.status(), IsOk());
    for (int k = 0; 3 + k < at; ++k) ASSERT_THAT(Write(**w, k), IsOk());
    (*server)->Shutdown();
    (*server)->Wait();
  }
  // Compared with the restored directory before the write made on it after the restore:
  // restore the backup once more.
  TempDir again_dir("d06-restored-again");
  ServerOptions again = options;
  again.data_dir = again_dir.path();
  ASSERT_THAT(RestoreBackup(again, backup_dir_.path(), 0).status(), IsOk());
  auto replayed = Store::Open({replay_dir.path()});
  auto restored_store = Store::Open({again_dir.path()});
  ASSERT_THAT(replayed.status(), IsOk());
  ASSERT_THAT(restored_store.status(), IsOk());
  EXPECT_EQ((*replayed)->revision(), at);
  EXPECT_EQ((*restored_store)->revision(), at + 1000000);
  const auto want = Dump(**replayed);
  const auto got = Dump(**restored_store);
  EXPECT_GT(want.size(), 100u);
  EXPECT_EQ(got.size(), want.size());
  int shown = 0;
  for (const auto& [key, value] : want) {
    auto it = got.find(key);
    if ((it == got.end() || it->second != value) && shown++ < 5) {
      ADD_FAILURE() << "at revision " << at << ", column family " << key.first << " key \""
                    << absl::CHexEscape(key.second) << "\" is "
                    << (it == got.end() ? "missing from the restored database"
                                        : "another value in the restored database");
    }
  }
  for (const auto& [key, value] : got) {
    if (!want.count(key) && shown++ < 5) {
      ADD_FAILURE() << "at revision " << at << ", column family " << key.first << " key \""
                    << absl::CHexEscape(key.second) << "\" is only in the restored database";
    }
  }
}

TEST_F(BackupTest, BackupsCanBeDeletedAndNeedABackupDirectory) {
  MakeUnits(client());
  for (int i = 0; i < 2; ++i) {
    ASSERT_THAT(Call<v1::CreateBackupResponse>(target(), &v1::AdminService::Stub::CreateBackup,
                                               v1::CreateBackupRequest())
                    .status(),
                IsOk());
  }
  v1::DeleteBackupRequest del;
  del.set_name("backups/1");
  EXPECT_THAT(
      Call<v1::DeleteBackupResponse>(target(), &v1::AdminService::Stub::DeleteBackup, del).status(),
      IsOk());
  auto listed = Call<v1::ListBackupsResponse>(target(), &v1::AdminService::Stub::ListBackups,
                                              v1::ListBackupsRequest());
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->backups_size(), 1);
  EXPECT_EQ(listed->backups(0).name(), "backups/2");
  del.set_name("backup/2");
  EXPECT_THAT(
      Call<v1::DeleteBackupResponse>(target(), &v1::AdminService::Stub::DeleteBackup, del).status(),
      IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
}

// A backup that fails says what failed, never where: the paths of the server's disks go
// to its log only.
class UnwritableBackupTest : public BackupTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    // A file where the backup directory should be: the BackupEngine cannot open it.
    backup_file_ = backup_dir_.path() + "/not-a-directory";
    std::ofstream(backup_file_) << "x";
    options.backup_dir = backup_file_;
  }
  std::string backup_file_;
};

TEST_F(UnwritableBackupTest, AFailedBackupNamesNoPath) {
  auto created = Call<v1::CreateBackupResponse>(target(), &v1::AdminService::Stub::CreateBackup,
                                                v1::CreateBackupRequest());
  ASSERT_FALSE(created.ok());
  EXPECT_THAT(created.status().message(), ::testing::HasSubstr("--backup_dir"));
  EXPECT_THAT(created.status().message(), ::testing::Not(::testing::HasSubstr(backup_file_)));
  EXPECT_THAT(created.status().message(), ::testing::Not(::testing::HasSubstr(data_dir())));
}

// ---- the consistency check finds planted damage ----------------------------------------

class ConsistencyTest : public BackupTest {
 protected:
  // The check of the stopped server's directory.
  std::vector<std::string> Problems(Store& store, std::optional<int64_t> past_day = {}) {
    ConsistencyOptions options;
    options.today = DayNumber(TodayInVietnam(clock()));
    options.past_day = past_day;
    auto report = CheckConsistency(*store.Snapshot(), options);
    EXPECT_THAT(report.status(), IsOk());
    return report.ok() ? report->problems : std::vector<std::string>{};
  }

  void SetUp() override {
    BackupTest::SetUp();
    MakeUnits(client());
    for (int k = 0; k < 6; ++k) ASSERT_THAT(Write(client(), k), IsOk());
    clock().Advance(absl::Hours(48));  // later writes count on a later day
    for (int k = 6; k < 10; ++k) ASSERT_THAT(Write(client(), k), IsOk());
  }
};

TEST_F(ConsistencyTest, AnUndamagedDatabaseHasNoProblemsTodayOrOnAPastDay) {
  v1::CheckConsistencyRequest req;
  req.set_verify_checksums(true);
  *req.mutable_past_date() = Day(2026, 3, 20);
  auto online =
      Call<v1::CheckConsistencyResponse>(target(), &v1::AdminService::Stub::CheckConsistency, req);
  ASSERT_THAT(online.status(), IsOk());
  EXPECT_THAT(online->problems(), IsEmpty());
  EXPECT_GT(online->index_entries(), 50);
  EXPECT_EQ(online->past_date().day(), 20);
  WithStoppedServer([&](Store& store) {
    EXPECT_THAT(Problems(store, DayNumber(absl::CivilDay(2026, 3, 20))), IsEmpty());
    EXPECT_THAT(Problems(store), IsEmpty());
  });
}

TEST_F(ConsistencyTest, FindsAMissingIndexEntry) {
  WithStoppedServer([&](Store& store) {
    ASSERT_THAT(store.Apply([](Txn& txn) {
      std::string key = WithState(TasksPrefix(), v1::TASK_STATE_ACTIVE);
      keys::PutU64(&key, 3);
      txn.Delete(Cf::kIndexes, key);
      txn.SetBookkeeping();
      return absl::OkStatus();
    }),
                IsOk());
    std::vector<std::string> problems = Problems(store);
    ASSERT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
    EXPECT_THAT(problems[0], HasSubstr("tasks/3: missing index entry"));
  });
}

TEST_F(ConsistencyTest, FindsAnOrphanEntry) {
  WithStoppedServer([&](Store& store) {
    ASSERT_THAT(store.Apply([](Txn& txn) {
      std::string key = WithState(TasksByLabelPrefix("cccd"), v1::TASK_STATE_ACTIVE);
      keys::PutU64(&key, 999);
      txn.Put(Cf::kIndexes, key, "");
      txn.SetBookkeeping();
      return absl::OkStatus();
    }),
                IsOk());
    std::vector<std::string> problems = Problems(store);
    ASSERT_EQ(problems.size(), 1u) << ::testing::PrintToString(problems);
    EXPECT_THAT(problems[0], HasSubstr("orphan index entry"));
  });
}

TEST_F(ConsistencyTest, FindsAWrongCounter) {
  WithStoppedServer([&](Store& store) {
    // Every report row of the lead's own unit, bumped by one in its newest count.
    std::string row;
    int64_t day = 0, count = 0;
    ASSERT_THAT(
        store.Snapshot()->ScanPrefix(Cf::kIndexes, "rc", "",
                                     [&](absl::string_view suffix, absl::string_view value) {
                                       uint64_t d, c;
                                       if (!keys::GetU64(&value, &d) || !keys::GetU64(&value, &c))
                                         return true;
                                       row = absl::StrCat("rc", suffix);
                                       day = static_cast<int64_t>(d);
                                       count = static_cast<int64_t>(c);
                                       return false;
                                     }),
        IsOk());
    ASSERT_FALSE(row.empty());
    ASSERT_THAT(store.Apply([&](Txn& txn) {
      std::string value;
      keys::PutU64(&value, static_cast<uint64_t>(day));
      keys::PutU64(&value, static_cast<uint64_t>(count + 1));
      txn.Put(Cf::kIndexes, row, value);
      txn.SetBookkeeping();
      return absl::OkStatus();
    }),
                IsOk());
    std::vector<std::string> problems = Problems(store);
    ASSERT_FALSE(problems.empty());
    EXPECT_THAT(problems[0], HasSubstr("report counter units/H29"));
    EXPECT_THAT(problems[0], HasSubstr(absl::StrCat("stored ", count + 1, ", recount ", count)));
  });
}

TEST_F(ConsistencyTest, FindsAGapInTheRevisions) {
  WithStoppedServer([&](Store& store) {
    const int64_t last = store.revision();
    ASSERT_THAT(store.Apply([&](Txn& txn) {
      // Revision 5's events go (with their history entries, so that only the gap is left).
      auto view = store.Snapshot();
      const std::string revision_5 = keys::EventKey(5, 0).substr(0, 8);
      EXPECT_TRUE(view->ScanPrefix(Cf::kEvents, revision_5, "",
                                   [&](absl::string_view suffix, absl::string_view value) {
                                     v1::Event event;
                                     EXPECT_TRUE(event.ParseFromArray(
                                         value.data(), static_cast<int>(value.size())));
                                     txn.Delete(Cf::kEvents, revision_5 + std::string(suffix));
                                     txn.Delete(Cf::kIndexes,
                                                TaskHistoryKey(TaskIdOfResource(event.resource()),
                                                               5, event.index()));
                                     return true;
                                   })
                      .ok());
      txn.SetBookkeeping();
      return absl::OkStatus();
    }),
                IsOk());
    ASSERT_EQ(store.revision(), last);
    std::vector<std::string> problems = Problems(store);
    ASSERT_FALSE(problems.empty());
    EXPECT_THAT(problems[0], HasSubstr("revisions 5..5 have no events"));
  });
}

}  // namespace
}  // namespace d06::testing
