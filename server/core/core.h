// d06::Core: the operations of d06, independent of any transport.
//
// It validates requests, applies the domain rules (server/domain/) and reads and writes
// the Store through the model (server/model/). The transports (server/api/) are thin
// adapters over it. Writes are asynchronous: a mutating method returns at once and calls
// `done` from the store's writer thread once the change is durable (or failed); the
// request must stay alive and the response must not be read until then. Reads are
// synchronous. Every operation takes the Caller, reads included.
//
// Every mutation runs through one runner (Mutate): it validates the request id, honours
// request_id (a retry returns the first response; a different request under the same id
// is INVALID_ARGUMENT/REQUEST_ID_REUSED), and writes entity, indexes, events and the
// idempotency record in one atomic batch; etags are checked against the stored entity
// (stale: ABORTED/STALE_ETAG). A request with validate_only set (AIP-163; every mutating
// request has the field) runs the same way and answers the same, but writes nothing.
//
// The operations are defined one file per resource: units.cc, tasks.cc, assignments.cc,
// extensions.cc, periods.cc, deadlines.cc, history.cc, reports.cc, exports.cc, and the
// list planners task_queries.cc, assignment_queries.cc.
//
// Thread-safe.
#ifndef D06_SERVER_CORE_CORE_H_
#define D06_SERVER_CORE_CORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "d06/v1/access.pb.h"
#include "d06/v1/admin.pb.h"
#include "d06/v1/report.pb.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "server/core/paging.h"
#include "server/domain/caller.h"
#include "server/domain/clock.h"
#include "server/domain/state_machine.h"
#include "server/model/consistency.h"
#include "server/model/entities.h"
#include "server/model/unit_parents.h"
#include "storage/store.h"

namespace d06 {

struct CoreOptions {
  // An open assignment whose deadline is at most this many days away is DUE_SOON.
  int due_soon_days = 3;
  // Source of "now". Not owned; never null.
  const Clock* clock = Clock::System();
  // Extensions an assignment may have approved; a request beyond is
  // FAILED_PRECONDITION/EXTENSION_LIMIT.
  int max_extensions = 2;
  // Event retention (RemoveOldEvents): keep the events of the newest this many revisions
  // (0: no limit by count) and of at least this long (zero: no limit by age).
  int64_t event_retention_revisions = 0;
  absl::Duration event_retention_age = absl::ZeroDuration();
  // The longest lifetime CreateToken gives a token.
  absl::Duration max_token_lifetime = absl::Hours(24 * 90);
};

// Who a credential belongs to (Core::IdentifyToken, IdentifyCertificate).
struct Identity {
  std::shared_ptr<const v1::Principal> principal;
  std::string method;      // "token" or "certificate"
  std::string credential;  // the token's name, or the certificate subject that matched
  // A token's last recorded use (InfinitePast: never), for TouchToken.
  absl::Time last_use = absl::InfinitePast();
};

// The arguments shared by every assignment transition request.
struct TransitionArgs {
  Action action;
  std::string name;
  std::string etag;
  std::string request_id;
  std::string reason;               // return, decline, revoke, reopen
  std::string note;                 // report_progress, submit
  int32_t percent = 0;              // report_progress
  std::optional<double> kpi_value;  // report_progress, submit
};

class Core {
 public:
  using Done = std::function<void(absl::Status)>;

  // `store` is not owned and must outlive the Core. Reads the key that seals page tokens
  // from the store, or in a new data directory makes it (one durable write, without
  // event); see PageTokens in server/core/paging.h.
  Core(Store* store, CoreOptions options);
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Units.
  void CreateUnit(const Caller& caller, const v1::CreateUnitRequest& request,
                  v1::CreateUnitResponse* response, Done done);
  void UpdateUnit(const Caller& caller, const v1::UpdateUnitRequest& request,
                  v1::UpdateUnitResponse* response, Done done);
  void RenameUnit(const Caller& caller, const v1::RenameUnitRequest& request,
                  v1::RenameUnitResponse* response, Done done);
  void MoveUnit(const Caller& caller, const v1::MoveUnitRequest& request,
                v1::MoveUnitResponse* response, Done done);
  void MergeUnits(const Caller& caller, const v1::MergeUnitsRequest& request,
                  v1::MergeUnitsResponse* response, Done done);
  void DissolveUnit(const Caller& caller, const v1::DissolveUnitRequest& request,
                    v1::DissolveUnitResponse* response, Done done);
  absl::Status GetUnit(const Caller& caller, const v1::GetUnitRequest& request,
                       v1::GetUnitResponse* response) const;
  absl::Status ListUnits(const Caller& caller, const v1::ListUnitsRequest& request,
                         v1::ListUnitsResponse* response) const;

  // Tasks.
  void CreateTask(const Caller& caller, const v1::CreateTaskRequest& request,
                  v1::CreateTaskResponse* response, Done done);
  void UpdateTask(const Caller& caller, const v1::UpdateTaskRequest& request,
                  v1::UpdateTaskResponse* response, Done done);
  void CancelTask(const Caller& caller, const v1::CancelTaskRequest& request,
                  v1::CancelTaskResponse* response, Done done);
  absl::Status GetTask(const Caller& caller, const v1::GetTaskRequest& request,
                       v1::GetTaskResponse* response) const;
  absl::Status ListTasks(const Caller& caller, const v1::ListTasksRequest& request,
                         v1::ListTasksResponse* response) const;

  // Assignments.
  void CreateAssignment(const Caller& caller, const v1::CreateAssignmentRequest& request,
                        v1::CreateAssignmentResponse* response, Done done);
  // Any transition; `request` is the transport's request message (for idempotency).
  void Transition(const Caller& caller, const google::protobuf::Message& request,
                  const TransitionArgs& args, v1::Assignment* assignment, Done done);
  absl::Status GetAssignment(const Caller& caller, const v1::GetAssignmentRequest& request,
                             v1::GetAssignmentResponse* response) const;
  absl::Status ListAssignments(const Caller& caller, const v1::ListAssignmentsRequest& request,
                               v1::ListAssignmentsResponse* response) const;

  // Extensions (gia hạn) and urges (đôn đốc): extensions.cc.
  void RequestExtension(const Caller& caller, const v1::RequestExtensionRequest& request,
                        v1::RequestExtensionResponse* response, Done done);
  void ApproveExtension(const Caller& caller, const v1::ApproveExtensionRequest& request,
                        v1::ApproveExtensionResponse* response, Done done);
  void RefuseExtension(const Caller& caller, const v1::RefuseExtensionRequest& request,
                       v1::RefuseExtensionResponse* response, Done done);
  void UrgeAssignment(const Caller& caller, const v1::UrgeAssignmentRequest& request,
                      v1::UrgeAssignmentResponse* response, Done done);
  absl::Status ListUrges(const Caller& caller, const v1::ListUrgesRequest& request,
                         v1::ListUrgesResponse* response) const;

  // Period reports of recurring tasks: periods.cc.
  void FilePeriodReport(const Caller& caller, const v1::FilePeriodReportRequest& request,
                        v1::FilePeriodReportResponse* response, Done done);
  absl::Status ListPeriodReports(const Caller& caller, const v1::ListPeriodReportsRequest& request,
                                 v1::ListPeriodReportsResponse* response) const;

  // Deadline crossings (deadlines.cc): records, as actor "d06d", the DUE_SOON and
  // OVERDUE events of the open assignments whose crossing day has come (today in
  // Asia/Ho_Chi_Minh, or earlier: a catch-up after downtime), at most `limit` queue
  // entries in one durable write. Returns how many entries it took from the queue (0: none
  // are due). Each crossing is recorded once per assignment and deadline. Blocks until
  // durable.
  absl::StatusOr<int> RecordDeadlineCrossings(size_t limit);

  // Event retention (retention.cc): removes, as one durable write, up to about `limit`
  // of the oldest events that CoreOptions' retention no longer keeps, with their
  // task-history entries (ListTaskEvents then starts later; Watch from before them is
  // OUT_OF_RANGE). Reports never read events, so no summary changes. Returns how many it
  // removed (0: none is due, or retention is off).
  absl::StatusOr<int> RemoveOldEvents(size_t limit);

  // Reports: reports.cc.
  absl::Status GetSummary(const Caller& caller, const v1::GetSummaryRequest& request,
                          v1::GetSummaryResponse* response) const;

  // CSV exports (exports.cc), handed to `write` in chunks (the first starts with the
  // byte-order mark); `write` returns false when the receiver is gone, which ends the
  // export with CANCELLED. Errors of the request come before any chunk. May block in
  // `write` as long as the receiver takes.
  using ExportWrite = std::function<bool(std::string chunk)>;
  absl::Status ExportAssignments(const Caller& caller, v1::ExportAssignmentsRequest request,
                                 const ExportWrite& write) const;
  absl::Status ExportSummary(const Caller& caller, v1::ExportSummaryRequest request,
                             const ExportWrite& write) const;

  // Access (access.cc): principals and their tokens. Every method but WhoAmI needs the
  // caller to hold ROLE_ADMIN (any caller may, with authentication off).
  void CreatePrincipal(const Caller& caller, const v1::CreatePrincipalRequest& request,
                       v1::CreatePrincipalResponse* response, Done done);
  void UpdatePrincipal(const Caller& caller, const v1::UpdatePrincipalRequest& request,
                       v1::UpdatePrincipalResponse* response, Done done);
  absl::Status GetPrincipal(const Caller& caller, const v1::GetPrincipalRequest& request,
                            v1::GetPrincipalResponse* response) const;
  absl::Status ListPrincipals(const Caller& caller, const v1::ListPrincipalsRequest& request,
                              v1::ListPrincipalsResponse* response) const;
  void CreateToken(const Caller& caller, const v1::CreateTokenRequest& request,
                   v1::CreateTokenResponse* response, Done done);
  void RevokeToken(const Caller& caller, const v1::RevokeTokenRequest& request,
                   v1::RevokeTokenResponse* response, Done done);
  absl::Status ListTokens(const Caller& caller, const v1::ListTokensRequest& request,
                          v1::ListTokensResponse* response) const;
  absl::Status WhoAmI(const Caller& caller, const v1::WhoAmIRequest& request,
                      v1::WhoAmIResponse* response) const;

  // Authentication (access.cc), for the transports' authenticator. Each is one or two
  // point reads; errors are UNAUTHENTICATED with their reason (d06/v1/api_names.h).
  // The principal of a bearer token: its format and checksum first (TOKEN_MALFORMED
  // without reading the store), then its hash (TOKEN_UNKNOWN), TOKEN_REVOKED,
  // TOKEN_EXPIRED, PRINCIPAL_DISABLED.
  absl::StatusOr<Identity> IdentifyToken(absl::string_view secret) const;
  // The principal of the first of a verified client certificate's `subjects` ("URI:...",
  // "DNS:...", "CN:...") that one answers to: CERTIFICATE_UNKNOWN when none does,
  // PRINCIPAL_DISABLED.
  absl::StatusOr<Identity> IdentifyCertificate(const std::vector<std::string>& subjects) const;
  // The principal `target` ("principals/{id}") that `portal` acts for:
  // PERMISSION_DENIED/IMPERSONATION_DENIED unless the portal is a PORTAL with a
  // ROLE_IMPERSONATOR binding at the target's unit or above, and the target is active.
  absl::StatusOr<std::shared_ptr<const v1::Principal>> Impersonate(const v1::Principal& portal,
                                                                   absl::string_view target) const;
  // OK while the credential of `caller` (as Identify* found it) still holds, and the
  // principal it acts for is still active; else the UNAUTHENTICATED status.
  absl::Status RecheckCredential(const Caller& caller) const;
  // Records `now` as the last use of token `name` (a write without event, not waited
  // for; the authenticator calls it at most once a minute per token).
  void TouchToken(const std::string& name, absl::Time now);
  // Creates principal `id` (PERSON, no unit) with ROLE_ADMIN over every unit and a token
  // of `lifetime`, as the server (actor "d06d"), and returns the token's secret: the
  // first admin, from `d06d bootstrap-admin`. FAILED_PRECONDITION when an active
  // principal already holds ROLE_ADMIN over every unit, unless `force`; ALREADY_EXISTS
  // when `id` is taken.
  absl::StatusOr<std::string> BootstrapAdmin(const std::string& id, const std::string& display_name,
                                             absl::Duration lifetime, bool force);

  // Backups and the consistency check (admin.cc): an admin of every unit only.
  // Synchronous: a backup or a check takes as long as copying or reading the database.
  absl::Status CreateBackup(const Caller& caller, const v1::CreateBackupRequest& request,
                            v1::CreateBackupResponse* response) const;
  absl::Status ListBackups(const Caller& caller, const v1::ListBackupsRequest& request,
                           v1::ListBackupsResponse* response) const;
  absl::Status VerifyBackup(const Caller& caller, const v1::VerifyBackupRequest& request,
                            v1::VerifyBackupResponse* response) const;
  absl::Status DeleteBackup(const Caller& caller, const v1::DeleteBackupRequest& request,
                            v1::DeleteBackupResponse* response) const;
  absl::Status CheckConsistency(const Caller& caller, const v1::CheckConsistencyRequest& request,
                                v1::CheckConsistencyResponse* response) const;

  // History.
  absl::Status ListTaskEvents(const Caller& caller, const v1::ListTaskEventsRequest& request,
                              v1::ListTaskEventsResponse* response) const;

 private:
  // A mutation's work on the writer thread; `change` has the caller, request_id and time.
  using Body = std::function<absl::Status(Txn& txn, const ChangeContext& change)>;
  // Runs `body` on the writer with request_id handling; `response` is what a retry gets.
  void Mutate(const Caller& caller, const std::string& request_id,
              const google::protobuf::Message& request, google::protobuf::Message* response,
              Body body, Done done);
  // Runs `body` on the writer as the server itself (actor "d06d", no request_id) and
  // waits until it is durable: the background jobs' writes.
  absl::Status MutateAsServer(Body body);
  // Sets the output-only timeliness of an assignment as of `today` (one day for a whole
  // list page, so it agrees with the page's timeliness filter).
  void Decorate(v1::Assignment* assignment, absl::CivilDay today) const;
  // Writes `after` (a new assignment when `before` is null) with an event of `action`;
  // gives `after` its update time, etag and timeliness. Returns the event for the caller
  // to add a reason.
  absl::StatusOr<v1::Event*> WriteAssignment(Txn& txn, const ChangeContext& change,
                                             const v1::Task& task, const v1::Assignment* before,
                                             v1::Assignment* after, v1::EventAction action,
                                             const std::vector<std::string>& changed) const;

  // Decides the pending extension of an assignment (approve or refuse) with `note`.
  void DecideExtension(const Caller& caller, const google::protobuf::Message& request,
                       const std::string& name, const std::string& etag,
                       const std::string& request_id, std::string note, bool approve,
                       v1::Assignment* out, Done done);
  // One page of a task's history, the events `keep` accepts; `scope` and `caller` bind
  // page tokens.
  absl::Status ListHistory(const Caller& caller, uint64_t task_id, absl::string_view scope,
                           int page_size, const std::string& page_token,
                           const std::function<bool(const v1::Event&)>& keep,
                           google::protobuf::RepeatedPtrField<v1::Event>* events,
                           std::string* next_page_token) const;

  // Checks a new assignment's own fields before the writer runs; returns its unit code.
  // `field` names it in errors ("assignment", "assignments[2]").
  static absl::StatusOr<std::string> ValidateNewAssignment(absl::string_view field,
                                                           const v1::Assignment& assignment);
  // On the writer: checks `assignment` of unit `code` against `task` and the task's
  // `existing` assignments (the unit active and not yet assigned, at most one live lead,
  // no deadline on a recurring task), fills and writes it, and adds it to `existing`.
  absl::Status AddAssignment(Txn& txn, const ChangeContext& change, const v1::Task& task,
                             absl::string_view field, const std::string& code,
                             v1::Assignment* assignment,
                             std::vector<v1::Assignment>* existing) const;
  // `lead` has just become the task's live lead (created, or reopened): every other lead
  // of `assignments` (declined or revoked, since one lead is live at a time) not yet
  // replaced gets `replaced_by` = lead's unit and stops counting in reports, so that the
  // task counts once, through `lead`.
  absl::Status ReplaceFormerLeads(Txn& txn, const ChangeContext& change, const v1::Task& task,
                                  const v1::Assignment& lead,
                                  std::vector<v1::Assignment>* assignments) const;

  // `done`, after marking every cached identity stale: the writes of principals and
  // tokens pass their `done` through it, so a change counts from the next call.
  Done AfterAccessChange(Done done);
  // `done`, after forgetting every unit's parent held in memory (unit_parents_): the
  // writes that change a unit's parent pass their `done` through it.
  Done AfterTreeChange(Done done);

  Store* const store_;
  const CoreOptions options_;
  // The identities of recently seen tokens (IdentifyToken), by the SHA-256 of the secret:
  // valid while no principal or token has changed since (access_epoch_) and until the
  // token expires. At most kMaxCachedIdentities; then it starts afresh.
  struct CachedIdentity {
    Identity identity;
    absl::Time expire;
    uint64_t epoch = 0;
  };
  static constexpr size_t kMaxCachedIdentities = 10000;
  std::atomic<uint64_t> access_epoch_{0};
  mutable absl::Mutex identities_mu_;
  mutable absl::flat_hash_map<std::string, CachedIdentity> identities_
      ABSL_GUARDED_BY(identities_mu_);
  // The units' parents for reads' authorisation (server/model/unit_parents.h).
  mutable UnitParents unit_parents_{store_};
  // Seals every list's page tokens with the data directory's key.
  const PageTokens page_tokens_{store_};
};

// The answer of CheckConsistency for `report` (also `d06d verify`'s).
void FillConsistencyResponse(const ConsistencyReport& report,
                             v1::CheckConsistencyResponse* response);

}  // namespace d06

#endif  // D06_SERVER_CORE_CORE_H_
