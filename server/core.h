// d06::Core: the service logic of d06, independent of any transport.
//
// It validates requests, applies the domain rules (server/state_machine.h,
// server/timeliness.h) and reads and writes the Store. The gRPC services
// (server/services.h) are thin adapters over it; an HTTP/JSON gateway can call it the same
// way. Writes are asynchronous: a mutating method returns at once and calls `done` from
// the store's writer thread once the change is durable (or failed); the request must stay
// alive and the response must not be read until then. Reads are synchronous.
//
// Every mutation: validates (INVALID_ARGUMENT changes nothing), honours request_id
// (a retry returns the first response; a different request under the same id is
// INVALID_ARGUMENT/REQUEST_ID_REUSED), checks etags (stale: ABORTED/STALE_ETAG), and writes
// entity, indexes, events and the idempotency record in one atomic batch.
//
// Thread-safe.
#ifndef D06_SERVER_CORE_H_
#define D06_SERVER_CORE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "server/clock.h"
#include "server/state_machine.h"
#include "storage/store.h"

namespace d06 {

// Who is calling; recorded as the actor of every event.
struct CallContext {
  std::string actor;
};

struct CoreOptions {
  // An open assignment whose deadline is at most this many days away is DUE_SOON.
  int due_soon_days = 3;
  // Source of "now". Not owned; never null.
  const Clock* clock = Clock::System();
};

// The arguments shared by every assignment transition request.
struct TransitionArgs {
  Action action;
  std::string name;
  std::string etag;
  std::string request_id;
  std::string reason;   // return, decline, revoke, reopen
  std::string note;     // report_progress, submit
  int32_t percent = 0;  // report_progress
};

// The "indexes" keys kept for a stored unit (storage/keys.h): whoever writes a unit
// without Core (tests that put one in place) keeps them with it.
std::vector<std::string> UnitIndexKeys(const v1::Unit& unit);

class Core {
 public:
  using Done = std::function<void(absl::Status)>;

  // `store` is not owned and must outlive the Core.
  Core(Store* store, CoreOptions options);
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Units.
  void CreateUnit(const CallContext& ctx, const v1::CreateUnitRequest& request,
                  v1::CreateUnitResponse* response, Done done);
  void UpdateUnit(const CallContext& ctx, const v1::UpdateUnitRequest& request,
                  v1::UpdateUnitResponse* response, Done done);
  absl::Status GetUnit(const v1::GetUnitRequest& request, v1::GetUnitResponse* response) const;
  absl::Status ListUnits(const v1::ListUnitsRequest& request,
                         v1::ListUnitsResponse* response) const;

  // Tasks.
  void CreateTask(const CallContext& ctx, const v1::CreateTaskRequest& request,
                  v1::CreateTaskResponse* response, Done done);
  void UpdateTask(const CallContext& ctx, const v1::UpdateTaskRequest& request,
                  v1::UpdateTaskResponse* response, Done done);
  void CancelTask(const CallContext& ctx, const v1::CancelTaskRequest& request,
                  v1::CancelTaskResponse* response, Done done);
  absl::Status GetTask(const v1::GetTaskRequest& request, v1::GetTaskResponse* response) const;
  absl::Status ListTasks(const v1::ListTasksRequest& request,
                         v1::ListTasksResponse* response) const;

  // Assignments.
  void CreateAssignment(const CallContext& ctx, const v1::CreateAssignmentRequest& request,
                        v1::CreateAssignmentResponse* response, Done done);
  // Any transition; `request` is the transport's request message (for idempotency).
  void Transition(const CallContext& ctx, const google::protobuf::Message& request,
                  const TransitionArgs& args, v1::Assignment* assignment, Done done);
  absl::Status GetAssignment(const v1::GetAssignmentRequest& request,
                             v1::GetAssignmentResponse* response) const;
  absl::Status ListAssignments(const v1::ListAssignmentsRequest& request,
                               v1::ListAssignmentsResponse* response) const;

  // History.
  absl::Status ListTaskEvents(const v1::ListTaskEventsRequest& request,
                              v1::ListTaskEventsResponse* response) const;

 private:
  using Body = std::function<absl::Status(Txn&)>;
  // Runs `body` on the writer with request_id handling; `response` is what a retry gets.
  void Mutate(const CallContext& ctx, const std::string& request_id,
              const google::protobuf::Message& request, google::protobuf::Message* response,
              Body body, Done done);
  // Sets the output-only timeliness of an assignment as of `today` (one day for a whole
  // list page, so it agrees with the page's timeliness filter).
  void Decorate(v1::Assignment* assignment, absl::CivilDay today) const;
  // Writes `after` (a new assignment when `before` is null) with its index entries and an
  // event of `action`; gives `after` its update time, etag and timeliness. Returns the
  // event for the caller to add a reason.
  absl::StatusOr<v1::Event*> WriteAssignment(Txn& txn, const CallContext& ctx,
                                             const std::string& request_id, absl::Time now,
                                             uint64_t task_id, const v1::Assignment* before,
                                             v1::Assignment* after, v1::EventAction action,
                                             const std::vector<std::string>& changed) const;

  Store* const store_;
  const CoreOptions options_;
};

}  // namespace d06

#endif  // D06_SERVER_CORE_H_
