#include "server/domain/authorization.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "d06/v1/api_names.h"
#include "server/domain/errors.h"

namespace d06 {

int RoleRank(v1::Role role) {
  switch (role) {
    case v1::ROLE_VIEWER:
      return 1;
    case v1::ROLE_MEMBER:
      return 2;
    case v1::ROLE_COORDINATOR:
      return 3;
    case v1::ROLE_ADMIN:
      return kMaxRoleRank;
    default:
      return 0;
  }
}

std::string RoleWord(v1::Role role) {
  std::string name(absl::StripPrefix(v1::Role_Name(role), "ROLE_"));
  absl::AsciiStrToLower(&name);
  return name;
}

bool PolicyIsDeclared(const v1::Policy& policy) {
  if (policy.scope() == v1::POLICY_SCOPE_UNSPECIFIED) return false;
  return policy.scope() == v1::POLICY_SCOPE_SELF || RoleRank(policy.role()) > 0;
}

bool Restricted(const Caller& caller) {
  return caller.principal != nullptr && caller.policy != nullptr;
}

bool Covers(const v1::RoleBinding& binding, const std::vector<std::string>& ancestry) {
  if (binding.unit() == kEveryUnit) return true;
  absl::string_view code = binding.unit();
  return absl::ConsumePrefix(&code, "units/") &&
         std::find(ancestry.begin(), ancestry.end(), code) != ancestry.end();
}

int RankAt(const v1::Principal& principal, const std::vector<std::string>& ancestry) {
  int best = 0;
  for (const v1::RoleBinding& binding : principal.bindings()) {
    const int rank = RoleRank(binding.role());
    if (rank > best && Covers(binding, ancestry)) best = rank;
  }
  return best;
}

bool HoldsRankAnywhere(const v1::Principal& principal, int rank) {
  return std::any_of(principal.bindings().begin(), principal.bindings().end(),
                     [rank](const v1::RoleBinding& b) { return RoleRank(b.role()) >= rank; });
}

absl::Status CheckHeldAnywhere(const Caller& caller) {
  if (!Restricted(caller) || caller.policy->scope() == v1::POLICY_SCOPE_SELF) {
    return absl::OkStatus();
  }
  if (HoldsRankAnywhere(*caller.principal, RoleRank(caller.policy->role()))) {
    return absl::OkStatus();
  }
  return Error(absl::StatusCode::kPermissionDenied, v1::reason::kRoleRequired,
               absl::StrCat(caller.rpc, " needs ", RoleWord(caller.policy->role()),
                            " at a unit, and ", caller.principal->name(),
                            " holds it nowhere; ask an administrator of your unit"),
               {{"role", v1::Role_Name(caller.policy->role())}});
}

absl::Status RoleRequired(const Caller& caller, v1::Role role, absl::string_view unit_name) {
  const std::string where =
      unit_name.empty() ? "every unit (\"*\")" : absl::StrCat(unit_name, " or above");
  return Error(absl::StatusCode::kPermissionDenied, v1::reason::kRoleRequired,
               absl::StrCat(caller.rpc.empty() ? "this call" : caller.rpc, " needs ",
                            RoleWord(role), " at ", where),
               {{"role", v1::Role_Name(role)},
                {"unit", unit_name.empty() ? std::string(kEveryUnit) : std::string(unit_name)}});
}

}  // namespace d06
