// Authorisation of the core's operations on the resource itself: the policy the method
// table put in the Caller (server/domain/authorization.h: roles, bindings, the errors),
// decided from the unit tree as the operation reads it — for a write, on the writer
// thread after the entity is loaded, so that nothing changes between check and use.
//
// Outside the caller's bindings a resource does not exist: the same NOT_FOUND as for an
// absent one (so names cannot be probed). Inside them without the policy's role:
// PERMISSION_DENIED/ROLE_REQUIRED naming the RPC, the role and the unit that decides.
// An unrestricted caller (no principal or no policy) passes every check.
#ifndef D06_SERVER_CORE_AUTHORIZE_H_
#define D06_SERVER_CORE_AUTHORIZE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "d06/v1/policy.pb.h"
#include "d06/v1/task.pb.h"
#include "server/domain/authorization.h"
#include "server/domain/caller.h"
#include "server/model/unit_parents.h"
#include "storage/store.h"

namespace d06 {

// The highest rank (server/domain/authorization.h) the principal's bindings give at unit
// `code`, through its ancestry; or, once the walk up from `code` has found `enough`, that
// rank (the units above are not read: a binding at the unit itself needs no read at all).
absl::StatusOr<int> RankAtUnit(const ReadView& view, const v1::Principal& principal,
                               const std::string& code, int enough = kMaxRoleRank);
// RankAtUnit over the latest committed tree, the parents from memory (for reads only:
// server/model/unit_parents.h).
absl::StatusOr<int> RankAtUnit(UnitParents& parents, const v1::Principal& principal,
                               const std::string& code, int enough = kMaxRoleRank);

// A unit named by the request (POLICY_SCOPE_UNIT) or the parent of a new one
// (POLICY_SCOPE_PARENT_UNIT; `code` empty: a root unit, for an admin of every unit).
// `absent_name` is what NOT_FOUND names.
absl::Status AuthorizeUnit(const ReadView& view, const Caller& caller, const std::string& code,
                           absl::string_view absent_name);

// A task (POLICY_SCOPE_TASK: decided at its assigning unit; a viewer's read, at any unit
// the task involves: the assigning unit or an assignment's) or one of its assignments
// (POLICY_SCOPE_ASSIGNMENT_UNIT: decided at `assignment_code`, the task visible as
// above). `absent_name` is what NOT_FOUND names.
absl::Status AuthorizeTask(const ReadView& view, const Caller& caller, const v1::Task& task,
                           const std::string& assignment_code, absl::string_view absent_name);

// AuthorizeTask for a read of assignment `assignment_code` of task `task_id` that has
// not loaded the task: a viewer's read (POLICY_SCOPE_TASK) that a binding covering the
// assignment's unit allows needs no read of the task nor of the tree; the rest loads
// the task and decides as AuthorizeTask.
absl::Status AuthorizeAssignmentRead(const ReadView& view, UnitParents& parents,
                                     const Caller& caller, uint64_t task_id,
                                     const std::string& assignment_code,
                                     absl::string_view absent_name);

// A principal of unit `unit_name` ("units/X"; empty: none, the whole system's) or a new
// one (POLICY_SCOPE_PRINCIPAL): admin there. `absent_name` is what NOT_FOUND names.
absl::Status AuthorizePrincipal(const ReadView& view, const Caller& caller,
                                const std::string& unit_name, absl::string_view absent_name);

// The whole database (POLICY_SCOPE_SYSTEM: backups, the consistency check): the
// policy's role at every unit ("*"), else PERMISSION_DENIED/ROLE_REQUIRED.
absl::Status AuthorizeSystem(const Caller& caller);

// What a list reads for `caller`: std::nullopt when everything (an unrestricted caller,
// or a "*" binding of at least `least`); else the units its bindings of at least `least`
// name, none below another, by code (empty: nothing). Lists push these into the index
// ranges they read, so a page costs what it holds, whatever lies outside.
using ReadRoots = std::optional<std::vector<std::string>>;
absl::StatusOr<ReadRoots> RootsOf(const ReadView& view, const Caller& caller, v1::Role least);
// Whether unit `code` is in the subtree of one of `roots` (always, for std::nullopt).
absl::StatusOr<bool> InRoots(const ReadView& view, const ReadRoots& roots, const std::string& code);
// The roots strictly below unit `code` (those whose ancestry holds it).
absl::StatusOr<std::vector<std::string>> RootsBelow(const ReadView& view,
                                                    const std::vector<std::string>& roots,
                                                    const std::string& code);

// Changing a principal or its credentials (UpdatePrincipal, CreateToken, RevokeToken):
// admin at its unit (AuthorizePrincipal) and able to grant every binding it holds, so
// that nobody takes over a principal with more rights than their own (a token for it
// would be those rights).
absl::Status AuthorizeManage(const ReadView& view, const Caller& caller,
                             const v1::Principal& principal, absl::string_view absent_name);

// Kubernetes' escalation rule for the bindings a caller gives a principal: each binding's
// unit inside the caller's admin scope, and its role held there by the caller
// (ROLE_IMPERSONATOR: admin suffices). "*" needs an admin of every unit.
absl::Status AuthorizeGrant(const ReadView& view, const Caller& caller,
                            const v1::RoleBinding& binding, absl::string_view field);

}  // namespace d06

#endif  // D06_SERVER_CORE_AUTHORIZE_H_
