// Protecting the data (AdminService): online backups of the whole database through the
// store (storage/store.h: a checkpoint copied into RocksDB's BackupEngine) and the
// consistency check (server/model/consistency.h) from a snapshot, paced. Each is of the
// whole database, so only an admin of every unit may call them (AuthorizeSystem).
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/dates.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/model/consistency.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

// The online check reads 1,000 keys, then sleeps a millisecond: a long check, never a
// hog of the disk or of a core while the server serves.
constexpr size_t kCheckPauseEvery = 1000;
constexpr absl::Duration kCheckPause = absl::Milliseconds(1);

absl::Status Backups(absl::Status status) {
  if (absl::IsFailedPrecondition(status)) {
    return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kBackupsDisabled,
                 status.message());
  }
  return status;
}

v1::Backup ToProto(const Store::BackupInfo& info) {
  v1::Backup out;
  out.set_name(absl::StrCat("backups/", info.id));
  out.set_revision(info.revision);
  out.set_size_bytes(static_cast<int64_t>(info.size));
  *out.mutable_create_time() = ToTimestamp(info.time);
  return out;
}

absl::StatusOr<uint32_t> ParseBackupName(const std::string& name) {
  absl::string_view id = name;
  uint32_t value = 0;
  if (!absl::ConsumePrefix(&id, "backups/") || !absl::SimpleAtoi(id, &value) || value == 0) {
    return Error(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidName,
                 absl::StrCat("name must be \"backups/{id}\", not \"", name, "\""),
                 {{"field", "name"}});
  }
  return value;
}

}  // namespace

absl::Status Core::CreateBackup(const Caller& caller, const v1::CreateBackupRequest&,
                                v1::CreateBackupResponse* response) const {
  RETURN_IF_ERROR(AuthorizeSystem(caller));
  absl::StatusOr<Store::BackupInfo> info = store_->CreateBackup();
  if (!info.ok()) return Backups(info.status());
  *response->mutable_backup() = ToProto(*info);
  return absl::OkStatus();
}

absl::Status Core::ListBackups(const Caller& caller, const v1::ListBackupsRequest&,
                               v1::ListBackupsResponse* response) const {
  RETURN_IF_ERROR(AuthorizeSystem(caller));
  absl::StatusOr<std::vector<Store::BackupInfo>> infos = store_->ListBackups();
  if (!infos.ok()) return Backups(infos.status());
  for (const Store::BackupInfo& info : *infos) *response->add_backups() = ToProto(info);
  return absl::OkStatus();
}

absl::Status Core::VerifyBackup(const Caller& caller, const v1::VerifyBackupRequest& request,
                                v1::VerifyBackupResponse* response) const {
  RETURN_IF_ERROR(AuthorizeSystem(caller));
  ASSIGN_OR_RETURN(const uint32_t id, ParseBackupName(request.name()));
  RETURN_IF_ERROR(Backups(store_->VerifyBackup(id)));
  absl::StatusOr<std::vector<Store::BackupInfo>> infos = store_->ListBackups();
  if (!infos.ok()) return Backups(infos.status());
  for (const Store::BackupInfo& info : *infos) {
    if (info.id == id) *response->mutable_backup() = ToProto(info);
  }
  return absl::OkStatus();
}

absl::Status Core::DeleteBackup(const Caller& caller, const v1::DeleteBackupRequest& request,
                                v1::DeleteBackupResponse*) const {
  RETURN_IF_ERROR(AuthorizeSystem(caller));
  ASSIGN_OR_RETURN(const uint32_t id, ParseBackupName(request.name()));
  return Backups(store_->DeleteBackup(id));
}

absl::Status Core::CheckConsistency(const Caller& caller,
                                    const v1::CheckConsistencyRequest& request,
                                    v1::CheckConsistencyResponse* response) const {
  RETURN_IF_ERROR(AuthorizeSystem(caller));
  ConsistencyOptions options;
  options.due_soon_days = options_.due_soon_days;
  options.today = DayNumber(TodayInVietnam(*options_.clock));
  if (request.has_past_date()) {
    RETURN_IF_ERROR(ValidateDate("past_date", request.past_date()));
    options.past_day = DayNumber(ToCivilDay(request.past_date()));
  }
  options.pause_every = kCheckPauseEvery;
  options.pause = kCheckPause;
  if (request.verify_checksums()) RETURN_IF_ERROR(store_->VerifyChecksums());
  std::unique_ptr<ReadView> view = store_->Snapshot();
  ASSIGN_OR_RETURN(ConsistencyReport report, d06::CheckConsistency(*view, options));
  FillConsistencyResponse(report, response);
  return absl::OkStatus();
}

void FillConsistencyResponse(const ConsistencyReport& report,
                             v1::CheckConsistencyResponse* response) {
  response->set_revision(report.revision);
  for (const std::string& problem : report.problems) response->add_problems(problem);
  response->set_problem_count(report.problem_count);
  response->set_entities(report.entities);
  response->set_index_entries(report.index_entries);
  response->set_events(report.events);
  if (report.past_day >= 0) {
    *response->mutable_past_date() = ToDate(absl::CivilDay(1970, 1, 1) + report.past_day);
  }
  response->set_notes(report.notes);
}

}  // namespace d06
