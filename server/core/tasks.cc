// Tasks: create, update (deadline changes carry to the assignments that had it), cancel
// (revokes what can be revoked), get.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/paging.h"
#include "server/core/rules.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/filter.h"
#include "server/domain/names.h"
#include "server/domain/state_machine.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {

void Core::CreateTask(const Caller& caller, const v1::CreateTaskRequest& request,
                      v1::CreateTaskResponse* response, Done done) {
  v1::Task task = request.task();
  std::string assigning_code;
  uint64_t parent_id = 0;
  std::vector<std::string> codes;  // of the initial assignments
  absl::Status valid = [&]() -> absl::Status {
    RETURN_IF_ERROR(PrepareTaskFields(&task));
    if (task.assigning_unit().empty()) return Required("task.assigning_unit");
    ASSIGN_OR_RETURN(assigning_code, ParseUnitName("task.assigning_unit", task.assigning_unit()));
    if (!task.parent_task().empty()) {
      ASSIGN_OR_RETURN(parent_id, ParseTaskName("task.parent_task", task.parent_task()));
    }
    if (request.assignments_size() > kMaxInitialAssignments) {
      return InvalidField("assignments",
                          absl::StrCat("assignments may hold at most ", kMaxInitialAssignments,
                                       " assignments; this one has ", request.assignments_size(),
                                       ": add the rest with CreateAssignment"));
    }
    for (int i = 0; i < request.assignments_size(); ++i) {
      ASSIGN_OR_RETURN(std::string code, ValidateNewAssignment(absl::StrCat("assignments[", i, "]"),
                                                               request.assignments(i)));
      codes.push_back(std::move(code));
    }
    return absl::OkStatus();
  }();
  if (!valid.ok()) return done(valid);
  Mutate(
      caller, request.request_id(), request, response,
      [this, task, assigning_code, parent_id, codes, &request, response](
          Txn& txn, const ChangeContext& change) mutable -> absl::Status {
        // A coordinator of the assigning unit creates its tasks; outside the caller's
        // scope the unit does not exist.
        RETURN_IF_ERROR(
            AuthorizeUnit(txn.reader(), *change.caller, assigning_code, UnitName(assigning_code)));
        RETURN_IF_ERROR(RequireActiveUnit(txn.reader(), "task.assigning_unit", assigning_code));
        if (parent_id != 0) {
          RETURN_IF_ERROR(ReadableTask(txn.reader(), *change.caller, parent_id).status());
        }
        ASSIGN_OR_RETURN(uint64_t id, NextTaskId(txn));
        const absl::Time now = change.time;
        task.set_name(TaskName(id));
        task.set_state(v1::TASK_STATE_ACTIVE);
        task.clear_cancel_reason();
        *task.mutable_create_time() = ToTimestamp(now);
        *task.mutable_update_time() = ToTimestamp(now);
        task.set_etag(Etag(txn.revision()));
        ASSIGN_OR_RETURN(v1::Event * created,
                         PutTask(txn, change, nullptr, task, v1::EVENT_ACTION_CREATE_TASK));
        for (const std::string& code : codes) AddAudience(created, UnitName(code));
        *response->mutable_task() = task;
        // The initial assignments, in the same batch: all or nothing.
        std::vector<v1::Assignment> existing;
        for (int i = 0; i < request.assignments_size(); ++i) {
          v1::Assignment* assignment = response->add_assignments();
          *assignment = request.assignments(i);
          RETURN_IF_ERROR(AddAssignment(txn, change, task, absl::StrCat("assignments[", i, "]"),
                                        codes[i], assignment, &existing));
        }
        return absl::OkStatus();
      },
      std::move(done));
}

void Core::UpdateTask(const Caller& caller, const v1::UpdateTaskRequest& request,
                      v1::UpdateTaskResponse* response, Done done) {
  static const std::vector<std::string> kSettable = {"directive", "title",    "content", "category",
                                                     "urgency",   "deadline", "labels",  "kpi"};
  absl::StatusOr<uint64_t> id = ParseTaskName("task.name", request.task().name());
  if (!id.ok()) return done(id.status());
  if (absl::Status s =
          CheckUpdateMask("task", request.update_mask(), kSettable, v1::Task::descriptor());
      !s.ok()) {
    return done(s);
  }
  Mutate(
      caller, request.request_id(), request, response,
      [this, &request, id = *id, response](Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Task stored, RequireTask(txn.reader(), *change.caller, id));
        RETURN_IF_ERROR(
            CheckEtag("task.etag", request.task().etag(), stored.etag(), stored.name()));
        RETURN_IF_ERROR(TaskNotCancelled(stored));
        v1::Task task = stored;
        ApplyMask(request.task(), request.update_mask(), &task);
        RETURN_IF_ERROR(PrepareTaskFields(&task));
        const absl::Time now = change.time;
        *task.mutable_update_time() = ToTimestamp(now);
        task.set_etag(Etag(txn.revision()));
        ASSIGN_OR_RETURN(v1::Event * event,
                         PutTask(txn, change, &stored, task, v1::EVENT_ACTION_UPDATE_TASK));
        for (const std::string& path : request.update_mask().paths()) {
          event->add_changed_fields(path);
        }
        // Open assignments that had the task's deadline follow it.
        if (!google::protobuf::util::MessageDifferencer::Equals(stored.deadline(),
                                                                task.deadline())) {
          ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments,
                           LoadAssignments(txn.reader(), id));
          for (const v1::Assignment& old : assignments) {
            if (!IsOpen(old.state()) || !google::protobuf::util::MessageDifferencer::Equals(
                                            old.deadline(), stored.deadline())) {
              continue;
            }
            v1::Assignment a = old;
            *a.mutable_deadline() = task.deadline();
            RETURN_IF_ERROR(WriteAssignment(txn, change, task, &old, &a,
                                            v1::EVENT_ACTION_UPDATE_ASSIGNMENT, {"deadline"})
                                .status());
          }
        }
        *response->mutable_task() = task;
        return absl::OkStatus();
      },
      std::move(done));
}

void Core::CancelTask(const Caller& caller, const v1::CancelTaskRequest& request,
                      v1::CancelTaskResponse* response, Done done) {
  absl::StatusOr<uint64_t> id = ParseTaskName("name", request.name());
  if (!id.ok()) return done(id.status());
  std::string reason = request.reason();
  if (absl::Status s = ValidateReason(&reason, true); !s.ok()) return done(s);
  Mutate(
      caller, request.request_id(), request, response,
      [this, &request, reason, id = *id, response](Txn& txn,
                                                   const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Task task, RequireTask(txn.reader(), *change.caller, id));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), task.etag(), task.name()));
        RETURN_IF_ERROR(TaskNotCancelled(task));
        const absl::Time now = change.time;
        v1::Task old = task;
        task.set_state(v1::TASK_STATE_CANCELLED);
        task.set_cancel_reason(reason);
        *task.mutable_update_time() = ToTimestamp(now);
        task.set_etag(Etag(txn.revision()));
        ASSIGN_OR_RETURN(v1::Event * cancelled,
                         PutTask(txn, change, &old, task, v1::EVENT_ACTION_CANCEL_TASK));
        cancelled->set_reason(reason);
        ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments,
                         LoadAssignments(txn.reader(), id));
        for (const v1::Assignment& before : assignments) {
          absl::StatusOr<v1::AssignmentState> revoked = NextState(before.state(), Action::kRevoke);
          if (!revoked.ok()) continue;  // completed or already revoked: left as they are
          v1::Assignment a = before;
          a.set_state(*revoked);
          a.set_last_reason(reason);
          a.clear_pending_extension();
          ASSIGN_OR_RETURN(v1::Event * e,
                           WriteAssignment(txn, change, task, &before, &a, v1::EVENT_ACTION_REVOKE,
                                           {"state", "last_reason"}));
          e->set_reason(reason);
        }
        *response->mutable_task() = task;
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status Core::GetTask(const Caller& caller, const v1::GetTaskRequest& request,
                           v1::GetTaskResponse* response) const {
  ASSIGN_OR_RETURN(uint64_t id, ParseTaskName("name", request.name()));
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(*response->mutable_task(), RequireTask(*view, caller, id));
  return absl::OkStatus();
}

}  // namespace d06
