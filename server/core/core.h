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
// (stale: ABORTED/STALE_ETAG).
//
// The operations are defined one file per resource: units.cc, tasks.cc, assignments.cc,
// extensions.cc, periods.cc, deadlines.cc, history.cc, reports.cc, exports.cc, and the
// list planners task_queries.cc, assignment_queries.cc.
//
// Thread-safe.
#ifndef D06_SERVER_CORE_CORE_H_
#define D06_SERVER_CORE_CORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "d06/v1/report.pb.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "server/domain/caller.h"
#include "server/domain/clock.h"
#include "server/domain/state_machine.h"
#include "server/model/entities.h"
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

  // `store` is not owned and must outlive the Core.
  Core(Store* store, CoreOptions options);
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Units.
  void CreateUnit(const Caller& caller, const v1::CreateUnitRequest& request,
                  v1::CreateUnitResponse* response, Done done);
  void UpdateUnit(const Caller& caller, const v1::UpdateUnitRequest& request,
                  v1::UpdateUnitResponse* response, Done done);
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
  // One page of a task's history, the events `keep` accepts; `scope` binds page tokens.
  absl::Status ListHistory(uint64_t task_id, absl::string_view scope, int page_size,
                           const std::string& page_token,
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

  Store* const store_;
  const CoreOptions options_;
};

}  // namespace d06

#endif  // D06_SERVER_CORE_CORE_H_
