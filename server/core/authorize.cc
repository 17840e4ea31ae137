#include "server/core/authorize.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "d06/v1/api_names.h"
#include "server/core/rules.h"
#include "server/domain/authorization.h"
#include "server/domain/errors.h"
#include "server/domain/names.h"
#include "server/model/entities.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

int Needed(const Caller& caller) { return RoleRank(caller.policy->role()); }

}  // namespace

namespace {

// RankAtUnit with the unit tree walked by `walk` (WalkAncestry's signature, the view bound).
template <typename Walk>
absl::StatusOr<int> RankWalking(Walk walk, const v1::Principal& principal, const std::string& code,
                                int enough) {
  // A "*" binding needs no read.
  int every = 0;
  for (const v1::RoleBinding& b : principal.bindings()) {
    if (b.unit() == kEveryUnit) every = std::max(every, RoleRank(b.role()));
  }
  // Rank 0 is "not visible": telling that apart takes at least rank 1.
  enough = std::clamp(enough, 1, kMaxRoleRank);
  if (every >= enough) return every;
  // Up from the unit, one parent at a time until the bindings give `enough`; a broken
  // chain grants what the part that could be walked grants.
  int rank = every;
  std::vector<std::string> chain;
  absl::Status walked = walk(code, &chain, [&](const std::vector<std::string>& so_far) {
    rank = std::max(rank, RankAt(principal, {so_far.back()}));
    return rank >= enough;
  });
  if (!walked.ok() && !absl::IsDataLoss(walked)) return walked;
  return rank;
}

}  // namespace

absl::StatusOr<int> RankAtUnit(const ReadView& view, const v1::Principal& principal,
                               const std::string& code, int enough) {
  return RankWalking([&](const std::string& from, std::vector<std::string>* chain,
                         EnoughOfChain stop) { return WalkAncestry(view, from, chain, stop); },
                     principal, code, enough);
}

absl::StatusOr<int> RankAtUnit(UnitParents& parents, const v1::Principal& principal,
                               const std::string& code, int enough) {
  return RankWalking([&](const std::string& from, std::vector<std::string>* chain,
                         EnoughOfChain stop) { return parents.Walk(from, chain, stop); },
                     principal, code, enough);
}

absl::Status AuthorizeUnit(const ReadView& view, const Caller& caller, const std::string& code,
                           absl::string_view absent_name) {
  if (!Restricted(caller)) return absl::OkStatus();
  const v1::Principal& principal = *caller.principal;
  if (code.empty()) {  // a new root unit
    if (RankAt(principal, {}) >= Needed(caller)) return absl::OkStatus();
    return RoleRequired(caller, caller.policy->role(), "");
  }
  ASSIGN_OR_RETURN(int rank, RankAtUnit(view, principal, code, Needed(caller)));
  if (rank == 0) return NotFound(absent_name);
  if (rank < Needed(caller)) return RoleRequired(caller, caller.policy->role(), UnitName(code));
  return absl::OkStatus();
}

absl::Status AuthorizeTask(const ReadView& view, const Caller& caller, const v1::Task& task,
                           const std::string& assignment_code, absl::string_view absent_name) {
  if (!Restricted(caller)) return absl::OkStatus();
  const v1::Principal& principal = *caller.principal;
  const int needed = Needed(caller);
  const std::string assigning = CodeOf(task.assigning_unit());
  // Each rank is exact below `needed` and at least `needed` otherwise: all that is asked
  // of it below.
  ASSIGN_OR_RETURN(const int at_assigning, RankAtUnit(view, principal, assigning, needed));
  const bool by_assignment = caller.policy->scope() == v1::POLICY_SCOPE_ASSIGNMENT_UNIT;
  int at_assignment = 0;
  if (by_assignment) {
    ASSIGN_OR_RETURN(at_assignment, RankAtUnit(view, principal, assignment_code, needed));
  }
  // Whether the task is visible at all: through its assigning unit, the assignment at
  // hand, or any other of its assignments (read only when those two do not settle it).
  int involved = std::max(at_assigning, at_assignment);
  const bool read = !by_assignment && needed <= RoleRank(v1::ROLE_VIEWER);
  if (involved == 0 || (read && involved < needed)) {
    ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments,
                     LoadAssignments(view, IdOf(task.name())));
    for (const v1::Assignment& a : assignments) {
      ASSIGN_OR_RETURN(int rank, RankAtUnit(view, principal, CodeOf(a.unit()), needed));
      involved = std::max(involved, rank);
      if (involved >= needed) break;
    }
  }
  if (involved == 0) return NotFound(absent_name);
  if (read) return absl::OkStatus();  // any involved unit lets a viewer read
  if (by_assignment) {
    if (at_assignment >= needed) return absl::OkStatus();
    return RoleRequired(caller, caller.policy->role(), UnitName(assignment_code));
  }
  if (at_assigning >= needed) return absl::OkStatus();
  return RoleRequired(caller, caller.policy->role(), task.assigning_unit());
}

absl::Status AuthorizeAssignmentRead(const ReadView& view, UnitParents& parents,
                                     const Caller& caller, uint64_t task_id,
                                     const std::string& assignment_code,
                                     absl::string_view absent_name) {
  if (!Restricted(caller)) return absl::OkStatus();
  const int needed = Needed(caller);
  // The assignment's unit is one the task involves: a binding covering it lets a viewer
  // read, with no read of the task.
  if (caller.policy->scope() == v1::POLICY_SCOPE_TASK && needed <= RoleRank(v1::ROLE_VIEWER)) {
    ASSIGN_OR_RETURN(const int rank,
                     RankAtUnit(parents, *caller.principal, assignment_code, needed));
    if (rank >= needed) return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(v1::Task task, RequireTask(view, task_id));
  return AuthorizeTask(view, caller, task, assignment_code, absent_name);
}

absl::Status AuthorizeSystem(const Caller& caller) {
  if (!Restricted(caller)) return absl::OkStatus();
  if (RankAt(*caller.principal, {}) >= RoleRank(caller.policy->role())) return absl::OkStatus();
  return RoleRequired(caller, caller.policy->role(), "");
}

absl::Status AuthorizePrincipal(const ReadView& view, const Caller& caller,
                                const std::string& unit_name, absl::string_view absent_name) {
  if (!Restricted(caller)) return absl::OkStatus();
  const v1::Principal& principal = *caller.principal;
  int rank = 0;
  if (unit_name.empty()) {
    rank = RankAt(principal, {});
  } else {
    ASSIGN_OR_RETURN(rank, RankAtUnit(view, principal, CodeOf(unit_name)));
  }
  // Principals are the admins' business: below admin, they do not exist.
  if (rank < RoleRank(v1::ROLE_ADMIN)) return NotFound(absent_name);
  return absl::OkStatus();
}

absl::Status AuthorizeManage(const ReadView& view, const Caller& caller,
                             const v1::Principal& principal, absl::string_view absent_name) {
  RETURN_IF_ERROR(AuthorizePrincipal(view, caller, principal.unit(), absent_name));
  for (const v1::RoleBinding& binding : principal.bindings()) {
    absl::Status grantable = AuthorizeGrant(view, caller, binding, "");
    if (absl::IsPermissionDenied(grantable)) {
      return Error(absl::StatusCode::kPermissionDenied, v1::reason::kRoleRequired,
                   absl::StrCat(caller.rpc, ": ", principal.name(), " holds ",
                                RoleWord(binding.role()), " at ", binding.unit(),
                                ", beyond your admin scope; only an admin who could grant "
                                "every role it holds may change it or its tokens"),
                   {{"role", "ROLE_ADMIN"}, {"unit", binding.unit()}});
    }
    RETURN_IF_ERROR(grantable);
  }
  return absl::OkStatus();
}

absl::StatusOr<ReadRoots> RootsOf(const ReadView& view, const Caller& caller, v1::Role least) {
  if (!Restricted(caller)) return ReadRoots();
  const int needed = RoleRank(least);
  std::vector<std::string> named;
  for (const v1::RoleBinding& b : caller.principal->bindings()) {
    if (RoleRank(b.role()) < needed) continue;
    if (b.unit() == kEveryUnit) return ReadRoots();
    named.push_back(CodeOf(b.unit()));
  }
  std::sort(named.begin(), named.end());
  named.erase(std::unique(named.begin(), named.end()), named.end());
  std::vector<std::string> roots;
  for (const std::string& code : named) {
    ASSIGN_OR_RETURN(std::vector<std::string> chain, WalkableAncestry(view, code));
    const bool below_another = std::any_of(
        chain.begin() + 1, chain.end(),
        [&](const std::string& c) { return std::binary_search(named.begin(), named.end(), c); });
    if (!below_another) roots.push_back(code);
  }
  return ReadRoots(std::move(roots));
}

absl::StatusOr<bool> InRoots(const ReadView& view, const ReadRoots& roots,
                             const std::string& code) {
  if (!roots) return true;
  ASSIGN_OR_RETURN(std::vector<std::string> chain, WalkableAncestry(view, code));
  return std::any_of(chain.begin(), chain.end(), [&](const std::string& c) {
    return std::find(roots->begin(), roots->end(), c) != roots->end();
  });
}

absl::StatusOr<std::vector<std::string>> RootsBelow(const ReadView& view,
                                                    const std::vector<std::string>& roots,
                                                    const std::string& code) {
  std::vector<std::string> below;
  for (const std::string& root : roots) {
    ASSIGN_OR_RETURN(std::vector<std::string> chain, WalkableAncestry(view, root));
    if (std::find(chain.begin() + 1, chain.end(), code) != chain.end()) below.push_back(root);
  }
  return below;
}

absl::Status AuthorizeGrant(const ReadView& view, const Caller& caller,
                            const v1::RoleBinding& binding, absl::string_view field) {
  if (!Restricted(caller)) return absl::OkStatus();
  const v1::Principal& principal = *caller.principal;
  int rank = 0;
  if (binding.unit() == kEveryUnit) {
    rank = RankAt(principal, {});
  } else {
    ASSIGN_OR_RETURN(rank, RankAtUnit(view, principal, CodeOf(binding.unit())));
  }
  const int granted =
      binding.role() == v1::ROLE_IMPERSONATOR ? RoleRank(v1::ROLE_ADMIN) : RoleRank(binding.role());
  if (rank >= RoleRank(v1::ROLE_ADMIN) && rank >= granted) return absl::OkStatus();
  const std::string where = binding.unit() == kEveryUnit
                                ? std::string("every unit (\"*\")")
                                : absl::StrCat(binding.unit(), " or above");
  return Error(
      absl::StatusCode::kPermissionDenied, v1::reason::kRoleRequired,
      absl::StrCat(field, ": granting ", RoleWord(binding.role()), " at ", binding.unit(),
                   " needs admin at ", where, " (nobody grants beyond their own admin scope)"),
      {{"field", std::string(field)}, {"role", "ROLE_ADMIN"}});
}

}  // namespace d06
