// Roles scoped to the unit tree: the pure part of authorisation (which binding covers
// which unit, what a role includes, the errors), used by the method table for the check
// that needs no read and by the core (server/core/authorize.h) on the resource itself.
//
// A binding (role, unit) covers that unit and every unit below it; "*" covers every
// unit. VIEWER < MEMBER < COORDINATOR < ADMIN, each including the ones before it;
// IMPERSONATOR grants no access of its own. A Caller without a principal (authentication
// off) or without a policy (the server's own work, direct calls of the core) is not
// restricted.
#ifndef D06_SERVER_DOMAIN_AUTHORIZATION_H_
#define D06_SERVER_DOMAIN_AUTHORIZATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "d06/v1/access.pb.h"
#include "d06/v1/policy.pb.h"
#include "server/domain/caller.h"

namespace d06 {

// The binding unit that covers every unit.
inline constexpr char kEveryUnit[] = "*";

// 1 VIEWER .. 4 ADMIN (kMaxRoleRank); 0 for IMPERSONATOR and UNSPECIFIED.
inline constexpr int kMaxRoleRank = 4;
int RoleRank(v1::Role role);
// "viewer", "member", "coordinator", "admin", "impersonator".
std::string RoleWord(v1::Role role);

// Whether a policy is complete: a scope, and a role unless the scope is SELF.
bool PolicyIsDeclared(const v1::Policy& policy);

// Whether `caller` is checked at all (a principal and a policy).
bool Restricted(const Caller& caller);

// Whether `binding` covers the unit whose ancestry is `ancestry` (its code first, then
// its parent's, up to the root): a "*" binding covers every unit, even none (empty).
bool Covers(const v1::RoleBinding& binding, const std::vector<std::string>& ancestry);

// The highest rank the principal's bindings give at the unit whose ancestry is `ancestry`
// (its code first, then its parent's, up to the root); only "*" bindings count for an
// empty ancestry (no unit: the whole system).
int RankAt(const v1::Principal& principal, const std::vector<std::string>& ancestry);

// Whether the principal has a binding with rank >= `rank` anywhere.
bool HoldsRankAnywhere(const v1::Principal& principal, int rank);

// The check of a restricted caller that needs no read: the policy's role held at some
// unit; else PERMISSION_DENIED/ROLE_REQUIRED naming the RPC and the role.
absl::Status CheckHeldAnywhere(const Caller& caller);

// PERMISSION_DENIED/ROLE_REQUIRED: "<rpc> needs <role> at <unit> or above" (`unit_name`
// "units/H40"; empty: the whole system, an admin of every unit).
absl::Status RoleRequired(const Caller& caller, v1::Role role, absl::string_view unit_name);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_AUTHORIZATION_H_
