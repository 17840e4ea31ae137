// Checks and helpers shared by the operations of server/core: existence, etags, the lead
// rule, active units, cancelled tasks and the parsing of list filter values.
#ifndef D06_SERVER_CORE_RULES_H_
#define D06_SERVER_CORE_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "server/domain/caller.h"
#include "server/domain/filter.h"
#include "server/model/entities.h"
#include "storage/status_macros.h"
#include "storage/store.h"

namespace d06 {

// The etag of an entity written at `revision`.
std::string Etag(int64_t revision);

// NOT_FOUND naming `what`.
absl::Status NotFound(absl::string_view what);

// OK when `sent` is empty or the current etag; else ABORTED/STALE_ETAG.
absl::Status CheckEtag(absl::string_view field, absl::string_view sent, absl::string_view current,
                       absl::string_view resource);

// The task, or NOT_FOUND.
absl::StatusOr<v1::Task> RequireTask(const ReadView& view, uint64_t id);
// The task as `caller` may have it (server/core/authorize.h): NOT_FOUND also outside the
// caller's scope, PERMISSION_DENIED/ROLE_REQUIRED below the policy's role.
absl::StatusOr<v1::Task> RequireTask(const ReadView& view, const Caller& caller, uint64_t id);
// The task if `caller` may read it (whatever the call's own policy), else NOT_FOUND.
absl::StatusOr<v1::Task> ReadableTask(const ReadView& view, const Caller& caller, uint64_t id);

// The unit exists (NOT_FOUND) and is active (FAILED_PRECONDITION/UNIT_NOT_ACTIVE).
absl::Status RequireActiveUnit(const ReadView& view, absl::string_view field,
                               absl::string_view code);

// FAILED_PRECONDITION/TASK_CANCELLED for a cancelled task.
absl::Status TaskNotCancelled(const v1::Task& task);

// A new unit (CreateUnit's `unit`, a merge's `new_successor`; `field` names it), checked
// before the write: its code, its fields (PrepareUnitFields), its kind and its parent's
// name.
absl::Status PrepareNewUnit(absl::string_view field, v1::Unit* unit);
// Where the new unit goes, checked in the write: `caller` an admin of its parent (of
// every unit for a root), its code not taken (ALREADY_EXISTS), its parent active and not
// at the deepest level. Its ancestry, its own code first.
absl::StatusOr<std::vector<std::string>> PlaceNewUnit(const ReadView& view, const Caller& caller,
                                                      absl::string_view field,
                                                      const v1::Unit& unit);
// Writes the new unit at `ancestry` (PlaceNewUnit), active, with the first period of its
// history (its reason `reason`, also the event's), recorded by the change's actor.
v1::Unit WriteNewUnit(Txn& txn, const ChangeContext& change, v1::Unit unit,
                      const std::vector<std::string>& ancestry, const std::string& reason);

// The day a request's `field` (an as_of date) asks for: `today` when unset; else the date,
// INVALID_ARGUMENT/INVALID_FIELD when it is not a date or is after today.
absl::StatusOr<absl::CivilDay> AsOfDay(absl::string_view field, const v1::Date& date,
                                       absl::CivilDay today);

// An assignment about to change, with its task.
struct AssignmentOfTask {
  v1::Assignment assignment;
  v1::Task task;
};
// The assignment `code` of task `task_id` (NOT_FOUND) as `caller` may change it
// (NOT_FOUND outside its scope, PERMISSION_DENIED below the policy's role), its etag when
// `etag` is set (ABORTED/STALE_ETAG) and its task, not cancelled
// (FAILED_PRECONDITION/TASK_CANCELLED), at a unit still active
// (FAILED_PRECONDITION/UNIT_NOT_ACTIVE): the checks every change of an assignment makes
// first, in this order.
absl::StatusOr<AssignmentOfTask> RequireChangeableAssignment(const ReadView& view,
                                                             const Caller& caller, uint64_t task_id,
                                                             const std::string& code,
                                                             absl::string_view etag);

// The task's live lead other than the assignment named `except`, or null.
const v1::Assignment* LiveLead(const std::vector<v1::Assignment>& assignments,
                               absl::string_view except);

// INVALID_ARGUMENT/INVALID_FILTER.
absl::Status FilterError(absl::string_view message);

// A unit name filter value ("units/H29") as its code; "" allowed when `allow_empty`.
absl::StatusOr<std::string> FilterUnitCode(const FilterTerm& term, bool allow_empty);

template <typename Enum>
absl::StatusOr<Enum> FilterEnum(const google::protobuf::EnumDescriptor* desc,
                                const FilterTerm& term) {
  ASSIGN_OR_RETURN(int value, ParseEnumValue(desc, term.key, term.value));
  return static_cast<Enum>(value);
}

}  // namespace d06

#endif  // D06_SERVER_CORE_RULES_H_
