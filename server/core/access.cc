// Access: principals, their tokens, and the lookups that authenticate a call.
#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/dates.h"
#include "common/limits.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/paging.h"
#include "server/core/rules.h"
#include "server/domain/authorization.h"
#include "server/domain/errors.h"
#include "server/domain/filter.h"
#include "server/domain/names.h"
#include "server/domain/page_limit.h"
#include "server/domain/text.h"
#include "server/domain/tokens.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

using Op = FilterTerm::Op;

constexpr char kPrincipalsPrefix[] = "principals/";
constexpr int kMaxBindings = 100;
constexpr int kMaxSubjects = 20;
constexpr size_t kMaxSubjectBytes = 512;
constexpr size_t kTokenIdChars = 16;

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

bool ValidPrincipalId(absl::string_view id) {
  if (id.empty() || id.size() > 63 || !(id[0] >= 'a' && id[0] <= 'z')) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

absl::Status InvalidName(absl::string_view field, absl::string_view what, absl::string_view name) {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidName,
               absl::StrCat(field, " must be ", what, ", not ", Quote(name)),
               {{std::string("field"), std::string(field)}});
}

// The id of "principals/{id}".
absl::StatusOr<std::string> ParsePrincipalName(absl::string_view field, absl::string_view name) {
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, kPrincipalsPrefix) || !ValidPrincipalId(id)) {
    return InvalidName(field, "\"principals/{id}\"", name);
  }
  return std::string(id);
}

// The principal and token ids of "principals/{id}/tokens/{token_id}".
absl::StatusOr<std::pair<std::string, std::string>> ParseTokenName(absl::string_view field,
                                                                   absl::string_view name) {
  const size_t at = name.find("/tokens/");
  if (at != absl::string_view::npos) {
    absl::StatusOr<std::string> principal = ParsePrincipalName(field, name.substr(0, at));
    absl::string_view token = name.substr(at + 8);
    if (principal.ok() && token.size() == kTokenIdChars &&
        std::all_of(token.begin(), token.end(),
                    [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); })) {
      return std::make_pair(*std::move(principal), std::string(token));
    }
  }
  return InvalidName(field, "\"principals/{id}/tokens/{token_id}\"", name);
}

absl::Status PrincipalNotFound(absl::string_view name) { return NotFound(name); }

bool HoldsRole(const v1::Principal& principal, v1::Role role) {
  return std::any_of(principal.bindings().begin(), principal.bindings().end(),
                     [role](const v1::RoleBinding& b) { return b.role() == role; });
}

// The admin API needs ROLE_ADMIN (at any unit; which principals an admin may manage is
// the authorisation rules' to decide). With authentication off anyone may call it.
absl::Status RequireAdmin(const Caller& caller) {
  if (caller.principal == nullptr || HoldsRole(*caller.principal, v1::ROLE_ADMIN)) {
    return absl::OkStatus();
  }
  return Error(absl::StatusCode::kPermissionDenied, v1::reason::kRoleRequired,
               "managing principals and tokens needs the admin role (ROLE_ADMIN); ask an "
               "administrator of your unit",
               {{"role", "ROLE_ADMIN"}});
}

// The escalation rule for an update: each binding of `after` not in `before`, and each of
// `before` not in `after`, must be one the caller could grant (AuthorizeGrant).
absl::Status CheckChangedGrants(const ReadView& view, const Caller& caller,
                                const v1::Principal& before, const v1::Principal& after) {
  auto has = [](const v1::Principal& p, const v1::RoleBinding& b) {
    return std::any_of(p.bindings().begin(), p.bindings().end(), [&b](const v1::RoleBinding& x) {
      return x.role() == b.role() && x.unit() == b.unit();
    });
  };
  for (int i = 0; i < after.bindings_size(); ++i) {
    if (has(before, after.bindings(i))) continue;
    RETURN_IF_ERROR(AuthorizeGrant(view, caller, after.bindings(i),
                                   absl::StrCat("principal.bindings[", i, "]")));
  }
  for (const v1::RoleBinding& removed : before.bindings()) {
    if (has(after, removed)) continue;
    RETURN_IF_ERROR(AuthorizeGrant(view, caller, removed, "principal.bindings"));
  }
  return absl::OkStatus();
}

// Normalises and checks the client-settable fields of a principal against the store:
// display name, bindings (roles set, units exist, ROLE_IMPERSONATOR only on a portal) and
// certificate subjects (form, no duplicates, none answered by another principal).
absl::Status PreparePrincipal(const ReadView& view, absl::string_view id,
                              v1::Principal* principal) {
  RETURN_IF_ERROR(NormalizeText("principal.display_name", principal->mutable_display_name(),
                                kMaxUnitName, /*required=*/true));
  if (principal->bindings_size() > kMaxBindings) {
    return InvalidField("principal.bindings",
                        absl::StrCat("a principal has at most ", kMaxBindings, " bindings"));
  }
  for (int i = 0; i < principal->bindings_size(); ++i) {
    const v1::RoleBinding& binding = principal->bindings(i);
    const std::string field = absl::StrCat("principal.bindings[", i, "]");
    RETURN_IF_ERROR(
        CheckRequiredEnum(absl::StrCat(field, ".role"), binding.role(), v1::Role_IsValid));
    if (binding.role() == v1::ROLE_IMPERSONATOR && principal->kind() != v1::PRINCIPAL_KIND_PORTAL) {
      return InvalidField(absl::StrCat(field, ".role"),
                          "ROLE_IMPERSONATOR is granted only to PORTAL principals (a portal "
                          "acting for the people who sign in to it)");
    }
    if (binding.unit() == kEveryUnit) continue;
    ASSIGN_OR_RETURN(std::string code, ParseUnitName(absl::StrCat(field, ".unit"), binding.unit()));
    ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, code));
    if (!unit) return NotFound(binding.unit());
  }
  if (principal->certificate_subjects_size() > kMaxSubjects) {
    return InvalidField(
        "principal.certificate_subjects",
        absl::StrCat("a principal has at most ", kMaxSubjects, " certificate subjects"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < principal->certificate_subjects_size(); ++i) {
    const std::string& subject = principal->certificate_subjects(i);
    const std::string field = absl::StrCat("principal.certificate_subjects[", i, "]");
    absl::StatusOr<std::string> normal = NormalizeField(field, subject, kMaxSubjectBytes);
    const bool form = absl::StartsWith(subject, "URI:") || absl::StartsWith(subject, "DNS:") ||
                      absl::StartsWith(subject, "CN:");
    if (!normal.ok() || *normal != subject || !form || subject.find(':') + 1 == subject.size()) {
      return InvalidField(field, absl::StrCat(field,
                                              " must be \"URI:<uri>\" or \"DNS:<name>\" (a "
                                              "subjectAltName of the certificate) or "
                                              "\"CN:<common name>\", not ",
                                              Quote(subject)));
    }
    if (!seen.insert(subject).second) {
      return InvalidField(field, absl::StrCat(Quote(subject), " is listed twice"));
    }
    ASSIGN_OR_RETURN(std::optional<std::string> owner, PrincipalIdOfSubject(view, subject));
    if (owner.has_value() && *owner != id) {
      return Error(
          absl::StatusCode::kAlreadyExists, v1::reason::kAlreadyExists,
          absl::StrCat("certificate subject ", Quote(subject), " already belongs to principals/",
                       *owner, ": a subject names one principal"),
          {{"field", field}});
    }
  }
  return absl::OkStatus();
}

absl::Status Unauthenticated(absl::string_view reason, absl::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, reason, message);
}

// An active principal, shared; PRINCIPAL_DISABLED (or TOKEN_UNKNOWN-like `missing`) else.
absl::StatusOr<std::shared_ptr<const v1::Principal>> ActivePrincipal(const ReadView& view,
                                                                     absl::string_view id) {
  ASSIGN_OR_RETURN(std::optional<v1::Principal> principal, LoadPrincipal(view, id));
  if (!principal || principal->state() != v1::PRINCIPAL_STATE_ACTIVE) {
    return Unauthenticated(v1::reason::kPrincipalDisabled,
                           "the principal of this credential is disabled; ask an administrator");
  }
  return std::make_shared<const v1::Principal>(*std::move(principal));
}

// The token a secret names, checked: TOKEN_MALFORMED before any read, then
// TOKEN_UNKNOWN, TOKEN_REVOKED, TOKEN_EXPIRED.
absl::StatusOr<StoredToken> CheckedToken(const ReadView& view, absl::string_view secret,
                                         absl::Time now) {
  RETURN_IF_ERROR(CheckTokenFormat(secret));
  const std::string hash = TokenHash(secret);
  ASSIGN_OR_RETURN(std::optional<StoredToken> token, LoadTokenByHash(view, hash));
  if (!token || !HashesEqual(token->hash, hash)) {
    return Unauthenticated(v1::reason::kTokenUnknown,
                           "the bearer token is not known to this server");
  }
  if (token->token.has_revoke_time()) {
    return Unauthenticated(v1::reason::kTokenRevoked,
                           "the bearer token was revoked; ask for a new one");
  }
  if (FromTimestamp(token->token.expire_time()) <= now) {
    return Unauthenticated(v1::reason::kTokenExpired,
                           "the bearer token has expired; ask for a new one");
  }
  return *std::move(token);
}

}  // namespace

// ---- the admin API ----

void Core::CreatePrincipal(const Caller& caller, const v1::CreatePrincipalRequest& request,
                           v1::CreatePrincipalResponse* response, Done done) {
  if (absl::Status s = RequireAdmin(caller); !s.ok()) return done(s);
  if (!ValidPrincipalId(request.principal_id())) {
    return done(InvalidField("principal_id",
                             absl::StrCat("principal_id must be 1 to 63 characters of a-z, 0-9 "
                                          "and \"-\", starting with a letter (e.g. "
                                          "\"nguyen-van-an\"), not ",
                                          Quote(request.principal_id()))));
  }
  if (absl::Status s = CheckRequiredEnum("principal.kind", request.principal().kind(),
                                         v1::PrincipalKind_IsValid);
      !s.ok()) {
    return done(s);
  }
  std::string unit_code;
  if (!request.principal().unit().empty()) {
    absl::StatusOr<std::string> code = ParseUnitName("principal.unit", request.principal().unit());
    if (!code.ok()) return done(code.status());
    unit_code = *std::move(code);
  }
  Mutate(
      caller, request.request_id(), request, response,
      [&request, response, unit_code](Txn& txn, const ChangeContext& change) -> absl::Status {
        const std::string& id = request.principal_id();
        // An admin of the new principal's unit (of every unit, for one without a unit),
        // who holds every role it grants there.
        RETURN_IF_ERROR(
            AuthorizeUnit(txn.reader(), *change.caller, unit_code, request.principal().unit()));
        for (int i = 0; i < request.principal().bindings_size(); ++i) {
          RETURN_IF_ERROR(AuthorizeGrant(txn.reader(), *change.caller,
                                         request.principal().bindings(i),
                                         absl::StrCat("principal.bindings[", i, "]")));
        }
        ASSIGN_OR_RETURN(std::optional<v1::Principal> existing, LoadPrincipal(txn.reader(), id));
        if (existing) {
          return Error(absl::StatusCode::kAlreadyExists, v1::reason::kAlreadyExists,
                       absl::StrCat("principals/", id, " already exists"),
                       {{"field", "principal_id"}});
        }
        if (!unit_code.empty()) {
          ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(txn.reader(), unit_code));
          if (!unit) return NotFound(request.principal().unit());
        }
        v1::Principal principal;
        principal.set_name(absl::StrCat(kPrincipalsPrefix, id));
        principal.set_display_name(request.principal().display_name());
        principal.set_kind(request.principal().kind());
        principal.set_unit(request.principal().unit());
        principal.set_state(v1::PRINCIPAL_STATE_ACTIVE);
        *principal.mutable_bindings() = request.principal().bindings();
        *principal.mutable_certificate_subjects() = request.principal().certificate_subjects();
        RETURN_IF_ERROR(PreparePrincipal(txn.reader(), id, &principal));
        *principal.mutable_create_time() = ToTimestamp(change.time);
        *principal.mutable_update_time() = ToTimestamp(change.time);
        principal.set_etag(Etag(txn.revision()));
        PutPrincipal(txn, change, nullptr, principal, v1::EVENT_ACTION_CREATE_PRINCIPAL);
        *response->mutable_principal() = std::move(principal);
        return absl::OkStatus();
      },
      std::move(done));
}

void Core::UpdatePrincipal(const Caller& caller, const v1::UpdatePrincipalRequest& request,
                           v1::UpdatePrincipalResponse* response, Done done) {
  static const std::vector<std::string> kSettable = {"display_name", "state", "bindings",
                                                     "certificate_subjects"};
  if (absl::Status s = RequireAdmin(caller); !s.ok()) return done(s);
  absl::StatusOr<std::string> id = ParsePrincipalName("principal.name", request.principal().name());
  if (!id.ok()) return done(id.status());
  if (absl::Status s = CheckUpdateMask("principal", request.update_mask(), kSettable,
                                       v1::Principal::descriptor());
      !s.ok()) {
    return done(s);
  }
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "state" && request.principal().state() != v1::PRINCIPAL_STATE_ACTIVE &&
        request.principal().state() != v1::PRINCIPAL_STATE_DISABLED) {
      return done(InvalidField("principal.state",
                               "principal.state must be PRINCIPAL_STATE_ACTIVE or "
                               "PRINCIPAL_STATE_DISABLED"));
    }
  }
  Mutate(
      caller, request.request_id(), request, response,
      [&request, response, id = *id](Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::Principal> stored, LoadPrincipal(txn.reader(), id));
        if (!stored) return PrincipalNotFound(request.principal().name());
        RETURN_IF_ERROR(
            AuthorizeManage(txn.reader(), *change.caller, *stored, request.principal().name()));
        RETURN_IF_ERROR(CheckEtag("principal.etag", request.principal().etag(), stored->etag(),
                                  stored->name()));
        v1::Principal principal = *stored;
        ApplyMask(request.principal(), request.update_mask(), &principal);
        // Every binding added or removed is a grant the caller must be able to make.
        RETURN_IF_ERROR(CheckChangedGrants(txn.reader(), *change.caller, *stored, principal));
        RETURN_IF_ERROR(PreparePrincipal(txn.reader(), id, &principal));
        *principal.mutable_update_time() = ToTimestamp(change.time);
        principal.set_etag(Etag(txn.revision()));
        v1::Event* event =
            PutPrincipal(txn, change, &*stored, principal, v1::EVENT_ACTION_UPDATE_PRINCIPAL);
        for (const std::string& path : request.update_mask().paths()) {
          event->add_changed_fields(path);
        }
        *response->mutable_principal() = std::move(principal);
        return absl::OkStatus();
      },
      AfterAccessChange(std::move(done)));
}

absl::Status Core::GetPrincipal(const Caller& caller, const v1::GetPrincipalRequest& request,
                                v1::GetPrincipalResponse* response) const {
  RETURN_IF_ERROR(RequireAdmin(caller));
  ASSIGN_OR_RETURN(std::string id, ParsePrincipalName("name", request.name()));
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(std::optional<v1::Principal> principal, LoadPrincipal(*view, id));
  if (!principal) return PrincipalNotFound(request.name());
  RETURN_IF_ERROR(AuthorizePrincipal(*view, caller, principal->unit(), request.name()));
  *response->mutable_principal() = *std::move(principal);
  return absl::OkStatus();
}

absl::Status Core::ListPrincipals(const Caller& caller, const v1::ListPrincipalsRequest& request,
                                  v1::ListPrincipalsResponse* response) const {
  RETURN_IF_ERROR(RequireAdmin(caller));
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(std::vector<FilterTerm> terms, ParseFilter(request.filter()));
  RETURN_IF_ERROR(
      CheckFilterTerms(terms, {{"unit", {Op::kEq}}, {"kind", {Op::kEq}}, {"state", {Op::kEq}}}));
  std::optional<std::string> subtree;
  std::optional<v1::PrincipalKind> kind;
  std::optional<v1::PrincipalState> state;
  for (const FilterTerm& term : terms) {
    if (term.key == "unit") {
      ASSIGN_OR_RETURN(subtree, FilterUnitCode(term, /*allow_empty=*/false));
    } else if (term.key == "kind") {
      ASSIGN_OR_RETURN(kind, FilterEnum<v1::PrincipalKind>(v1::PrincipalKind_descriptor(), term));
    } else {
      ASSIGN_OR_RETURN(state,
                       FilterEnum<v1::PrincipalState>(v1::PrincipalState_descriptor(), term));
    }
  }
  const std::string scope = absl::StrCat("principals\n", request.filter());
  ASSIGN_OR_RETURN(std::string after, page_tokens_.Decode(caller, request.page_token(), scope));
  auto view = store_->Snapshot();
  const int page_size = PageSize(request.page_size());
  absl::Status error;
  std::string last, next;
  int scanned = 0;
  PageLimit limit(page_size);
  RETURN_IF_ERROR(ScanPrincipals(*view, after, [&](v1::Principal principal) {
    if (limit.Full(response->principals_size()) || scanned >= kScanBudget) {
      next = last;
      return false;
    }
    ++scanned;
    last = std::string(absl::StripPrefix(principal.name(), kPrincipalsPrefix));
    if (kind && principal.kind() != *kind) return true;
    if (state && principal.state() != *state) return true;
    // Only the principals of the caller's admin scope exist for it.
    if (absl::Status visible = AuthorizePrincipal(*view, caller, principal.unit(), "");
        !visible.ok()) {
      if (absl::IsNotFound(visible)) return true;
      error = visible;
      return false;
    }
    if (subtree) {
      if (principal.unit().empty()) return true;
      absl::StatusOr<std::vector<std::string>> chain =
          Ancestry(*view, std::string(absl::StripPrefix(principal.unit(), "units/")));
      if (!chain.ok()) {
        error = chain.status();
        return false;
      }
      if (std::find(chain->begin(), chain->end(), *subtree) == chain->end()) return true;
    }
    limit.Add(principal);
    *response->add_principals() = std::move(principal);
    return true;
  }));
  RETURN_IF_ERROR(error);
  ASSIGN_OR_RETURN(*response->mutable_next_page_token(), page_tokens_.Encode(caller, scope, next));
  return absl::OkStatus();
}

void Core::CreateToken(const Caller& caller, const v1::CreateTokenRequest& request,
                       v1::CreateTokenResponse* response, Done done) {
  if (absl::Status s = RequireAdmin(caller); !s.ok()) return done(s);
  absl::StatusOr<std::string> principal_id = ParsePrincipalName("parent", request.parent());
  if (!principal_id.ok()) return done(principal_id.status());
  std::string display_name = request.token().display_name();
  if (absl::Status s =
          NormalizeText("token.display_name", &display_name, kMaxUnitName, /*required=*/true);
      !s.ok()) {
    return done(s);
  }
  const absl::Time now = options_.clock->Now();
  if (!request.token().has_expire_time()) {
    return done(
        InvalidField("token.expire_time",
                     absl::StrCat("token.expire_time is required: every token expires, "
                                  "at most ",
                                  absl::FormatDuration(options_.max_token_lifetime), " from now")));
  }
  const absl::Time expire = FromTimestamp(request.token().expire_time());
  if (expire <= now || expire > now + options_.max_token_lifetime) {
    return done(InvalidField("token.expire_time",
                             absl::StrCat("token.expire_time must be in the future and at most ",
                                          absl::FormatDuration(options_.max_token_lifetime),
                                          " from now (d06d --max_token_lifetime)")));
  }
  // The secret lives only in this call's memory and the response: the store keeps its
  // hash, and a retry's stored answer carries the token without it.
  struct Fresh {
    std::string secret = NewTokenSecret();
    bool written = false;  // false on a retry, answered from the stored response
  };
  auto fresh = std::make_shared<Fresh>();
  Mutate(
      caller, request.request_id(), request, response,
      [response, principal_id = *principal_id, display_name, expire, fresh,
       parent = request.parent()](Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::Principal> principal,
                         LoadPrincipal(txn.reader(), principal_id));
        if (!principal) return PrincipalNotFound(parent);
        RETURN_IF_ERROR(AuthorizeManage(txn.reader(), *change.caller, *principal, parent));
        StoredToken token{principal_id, RandomId(kTokenIdChars), TokenHash(fresh->secret), {}};
        token.token.set_name(absl::StrCat(parent, "/tokens/", token.token_id));
        token.token.set_display_name(display_name);
        *token.token.mutable_expire_time() = ToTimestamp(expire);
        *token.token.mutable_create_time() = ToTimestamp(change.time);
        token.token.set_creator(change.actor);
        RETURN_IF_ERROR(
            PutToken(txn, change, token, /*is_new=*/true, v1::EVENT_ACTION_CREATE_TOKEN).status());
        *response->mutable_token() = token.token;
        fresh->written = true;
        return absl::OkStatus();
      },
      [response, fresh, validate_only = request.validate_only(),
       done = std::move(done)](absl::Status status) {
        // Set after the idempotency record was written, so that it never holds the
        // secret; a retry's answer (that record) goes without, and so does a dry run's
        // (its token was never stored: a secret would not work).
        if (status.ok() && fresh->written && !validate_only) response->set_secret(fresh->secret);
        done(std::move(status));
      });
}

void Core::RevokeToken(const Caller& caller, const v1::RevokeTokenRequest& request,
                       v1::RevokeTokenResponse* response, Done done) {
  if (absl::Status s = RequireAdmin(caller); !s.ok()) return done(s);
  absl::StatusOr<std::pair<std::string, std::string>> ids = ParseTokenName("name", request.name());
  if (!ids.ok()) return done(ids.status());
  Mutate(
      caller, request.request_id(), request, response,
      [&request, response, ids = *ids](Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<StoredToken> token,
                         LoadToken(txn.reader(), ids.first, ids.second));
        if (!token) return NotFound(request.name());
        ASSIGN_OR_RETURN(std::optional<v1::Principal> owner,
                         LoadPrincipal(txn.reader(), ids.first));
        if (!owner) return NotFound(request.name());
        RETURN_IF_ERROR(AuthorizeManage(txn.reader(), *change.caller, *owner, request.name()));
        if (!token->token.has_revoke_time()) {
          *token->token.mutable_revoke_time() = ToTimestamp(change.time);
          RETURN_IF_ERROR(
              PutToken(txn, change, *token, /*is_new=*/false, v1::EVENT_ACTION_REVOKE_TOKEN)
                  .status());
        }
        *response->mutable_token() = token->token;
        return absl::OkStatus();
      },
      AfterAccessChange(std::move(done)));
}

absl::Status Core::ListTokens(const Caller& caller, const v1::ListTokensRequest& request,
                              v1::ListTokensResponse* response) const {
  RETURN_IF_ERROR(RequireAdmin(caller));
  ASSIGN_OR_RETURN(std::string principal_id, ParsePrincipalName("parent", request.parent()));
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  const std::string scope = absl::StrCat("tokens\n", request.parent());
  ASSIGN_OR_RETURN(std::string after, page_tokens_.Decode(caller, request.page_token(), scope));
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(std::optional<v1::Principal> principal, LoadPrincipal(*view, principal_id));
  if (!principal) return PrincipalNotFound(request.parent());
  RETURN_IF_ERROR(AuthorizePrincipal(*view, caller, principal->unit(), request.parent()));
  const int page_size = PageSize(request.page_size());
  std::string next;
  PageLimit limit(page_size);
  RETURN_IF_ERROR(ScanTokens(*view, principal_id, after, [&](StoredToken token) {
    if (limit.Full(response->tokens_size())) {
      next = response->tokens(response->tokens_size() - 1).name();
      next = next.substr(next.rfind('/') + 1);
      return false;
    }
    limit.Add(token.token);
    *response->add_tokens() = std::move(token.token);
    return true;
  }));
  ASSIGN_OR_RETURN(*response->mutable_next_page_token(), page_tokens_.Encode(caller, scope, next));
  return absl::OkStatus();
}

absl::Status Core::WhoAmI(const Caller& caller, const v1::WhoAmIRequest&,
                          v1::WhoAmIResponse* response) const {
  response->set_method(caller.method);
  response->set_via(caller.via);
  if (caller.principal != nullptr) {
    *response->mutable_principal() = *caller.principal;
  } else {
    response->mutable_principal()->set_display_name(caller.actor);
  }
  return absl::OkStatus();
}

// ---- authentication ----

Core::Done Core::AfterAccessChange(Done done) {
  return [this, done = std::move(done)](absl::Status status) {
    access_epoch_.fetch_add(1, std::memory_order_acq_rel);
    done(std::move(status));
  };
}

Core::Done Core::AfterTreeChange(Done done) {
  return [this, done = std::move(done)](absl::Status status) {
    unit_parents_.Changed();
    done(std::move(status));
  };
}

absl::StatusOr<Identity> Core::IdentifyToken(absl::string_view secret) const {
  RETURN_IF_ERROR(CheckTokenFormat(secret));  // before any read
  const std::string hash = TokenHash(secret);
  const absl::Time now = options_.clock->Now();
  // Read before the lookup: a change committed meanwhile makes this entry stale at once.
  const uint64_t epoch = access_epoch_.load(std::memory_order_acquire);
  {
    absl::ReaderMutexLock lock(&identities_mu_);
    auto it = identities_.find(hash);
    if (it != identities_.end() && it->second.epoch == epoch && now < it->second.expire) {
      return it->second.identity;
    }
  }
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(StoredToken token, CheckedToken(*view, secret, now));
  Identity identity;
  ASSIGN_OR_RETURN(identity.principal, ActivePrincipal(*view, token.principal_id));
  identity.method = "token";
  identity.credential = token.token.name();
  if (token.token.has_last_use_time()) {
    identity.last_use = FromTimestamp(token.token.last_use_time());
  }
  absl::MutexLock lock(&identities_mu_);
  if (identities_.size() >= kMaxCachedIdentities) identities_.clear();
  identities_[hash] = {identity, FromTimestamp(token.token.expire_time()), epoch};
  return identity;
}

absl::StatusOr<Identity> Core::IdentifyCertificate(const std::vector<std::string>& subjects) const {
  auto view = store_->Snapshot();
  for (const std::string& subject : subjects) {
    ASSIGN_OR_RETURN(std::optional<std::string> id, PrincipalIdOfSubject(*view, subject));
    if (!id) continue;
    Identity identity;
    ASSIGN_OR_RETURN(identity.principal, ActivePrincipal(*view, *id));
    identity.method = "certificate";
    identity.credential = subject;
    return identity;
  }
  return Unauthenticated(v1::reason::kCertificateUnknown,
                         "the client certificate is valid but names no principal of this "
                         "server; an administrator lists its subject on the agency system's "
                         "principal (certificate_subjects)");
}

absl::StatusOr<std::shared_ptr<const v1::Principal>> Core::Impersonate(
    const v1::Principal& portal, absl::string_view target) const {
  const absl::Status denied =
      Error(absl::StatusCode::kPermissionDenied, v1::reason::kImpersonationDenied,
            absl::StrCat(portal.name(), " may not act for ", Quote(target),
                         ": only a PORTAL with ROLE_IMPERSONATOR at that principal's unit (or "
                         "above it) may, and only for an active principal"));
  if (portal.kind() != v1::PRINCIPAL_KIND_PORTAL || !HoldsRole(portal, v1::ROLE_IMPERSONATOR)) {
    return denied;
  }
  absl::StatusOr<std::string> id = ParsePrincipalName(v1::kImpersonateMetadataKey, target);
  if (!id.ok()) return id.status();
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(std::optional<v1::Principal> principal, LoadPrincipal(*view, *id));
  if (!principal || principal->state() != v1::PRINCIPAL_STATE_ACTIVE ||
      principal->name() == portal.name()) {
    return denied;
  }
  std::vector<std::string> chain;
  if (!principal->unit().empty()) {
    ASSIGN_OR_RETURN(chain,
                     Ancestry(*view, std::string(absl::StripPrefix(principal->unit(), "units/"))));
  }
  for (const v1::RoleBinding& binding : portal.bindings()) {
    if (binding.role() == v1::ROLE_IMPERSONATOR && Covers(binding, chain)) {
      return std::make_shared<const v1::Principal>(*std::move(principal));
    }
  }
  return denied;
}

absl::Status Core::RecheckCredential(const Caller& caller) const {
  auto view = store_->Snapshot();
  if (caller.method == "token") {
    ASSIGN_OR_RETURN(auto ids, ParseTokenName("token", caller.credential));
    ASSIGN_OR_RETURN(std::optional<StoredToken> token, LoadToken(*view, ids.first, ids.second));
    if (!token || token->token.has_revoke_time()) {
      return Unauthenticated(v1::reason::kTokenRevoked,
                             "the bearer token was revoked; ask for a new one");
    }
    if (FromTimestamp(token->token.expire_time()) <= options_.clock->Now()) {
      return Unauthenticated(v1::reason::kTokenExpired,
                             "the bearer token has expired; ask for a new one");
    }
    RETURN_IF_ERROR(ActivePrincipal(*view, ids.first).status());
  } else if (caller.method == "certificate") {
    ASSIGN_OR_RETURN(std::optional<std::string> id, PrincipalIdOfSubject(*view, caller.credential));
    if (!id) {
      return Unauthenticated(v1::reason::kCertificateUnknown,
                             "the client certificate no longer names a principal");
    }
    RETURN_IF_ERROR(ActivePrincipal(*view, *id).status());
  } else {
    return absl::OkStatus();  // authentication off
  }
  if (!caller.via.empty() && caller.principal != nullptr) {
    RETURN_IF_ERROR(
        ActivePrincipal(*view, absl::StripPrefix(caller.principal->name(), kPrincipalsPrefix))
            .status());
  }
  return absl::OkStatus();
}

void Core::TouchToken(const std::string& name, absl::Time now) {
  absl::StatusOr<std::pair<std::string, std::string>> ids = ParseTokenName("token", name);
  if (!ids.ok()) return;
  store_->Submit(
      [ids = *ids, now](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<StoredToken> token,
                         LoadToken(txn.reader(), ids.first, ids.second));
        if (!token) return absl::OkStatus();
        txn.SetBookkeeping();
        *token->token.mutable_last_use_time() = ToTimestamp(
            absl::FromUnixSeconds(absl::ToUnixSeconds(now) / 60 * 60));  // to the minute
        return PutToken(txn, ChangeContext{}, *token, /*is_new=*/false,
                        v1::EVENT_ACTION_UNSPECIFIED)
            .status();
      },
      [](absl::Status) {});  // a lost last-use time is no error
}

absl::StatusOr<std::string> Core::BootstrapAdmin(const std::string& id,
                                                 const std::string& display_name,
                                                 absl::Duration lifetime, bool force) {
  if (!ValidPrincipalId(id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--id must be 1 to 63 characters of a-z, 0-9 and \"-\", starting with a letter, not ",
        Quote(id)));
  }
  if (lifetime <= absl::ZeroDuration() || lifetime > options_.max_token_lifetime) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token's lifetime must be positive and at most ",
                     absl::FormatDuration(options_.max_token_lifetime)));
  }
  const std::string secret = NewTokenSecret();
  const absl::Status written =
      MutateAsServer([&](Txn& txn, const ChangeContext& change) -> absl::Status {
        if (!force) {
          std::string admin;
          RETURN_IF_ERROR(ScanPrincipals(txn.reader(), "", [&](v1::Principal principal) {
            if (principal.state() == v1::PRINCIPAL_STATE_ACTIVE) {
              for (const v1::RoleBinding& binding : principal.bindings()) {
                if (binding.role() == v1::ROLE_ADMIN && binding.unit() == kEveryUnit) {
                  admin = principal.name();
                }
              }
            }
            return admin.empty();
          }));
          if (!admin.empty()) {
            return absl::FailedPreconditionError(absl::StrCat(
                "an administrator of every unit exists already (", admin,
                "): it creates principals and tokens with d06ctl access; to add another "
                "administrator here anyway, add --force"));
          }
        }
        ASSIGN_OR_RETURN(std::optional<v1::Principal> existing, LoadPrincipal(txn.reader(), id));
        if (existing) {
          return absl::AlreadyExistsError(
              absl::StrCat("principals/", id, " exists already; choose another --id"));
        }
        v1::Principal principal;
        principal.set_name(absl::StrCat(kPrincipalsPrefix, id));
        principal.set_display_name(display_name);
        principal.set_kind(v1::PRINCIPAL_KIND_PERSON);
        principal.set_state(v1::PRINCIPAL_STATE_ACTIVE);
        v1::RoleBinding* binding = principal.add_bindings();
        binding->set_role(v1::ROLE_ADMIN);
        binding->set_unit(kEveryUnit);
        RETURN_IF_ERROR(PreparePrincipal(txn.reader(), id, &principal));
        *principal.mutable_create_time() = ToTimestamp(change.time);
        *principal.mutable_update_time() = ToTimestamp(change.time);
        principal.set_etag(Etag(txn.revision()));
        PutPrincipal(txn, change, nullptr, principal, v1::EVENT_ACTION_CREATE_PRINCIPAL);
        StoredToken token{id, RandomId(kTokenIdChars), TokenHash(secret), {}};
        token.token.set_name(absl::StrCat(principal.name(), "/tokens/", token.token_id));
        token.token.set_display_name("bootstrap");
        *token.token.mutable_expire_time() = ToTimestamp(change.time + lifetime);
        *token.token.mutable_create_time() = ToTimestamp(change.time);
        token.token.set_creator(change.actor);
        RETURN_IF_ERROR(
            PutToken(txn, change, token, /*is_new=*/true, v1::EVENT_ACTION_CREATE_TOKEN).status());
        return absl::OkStatus();
      });
  RETURN_IF_ERROR(written);
  return secret;
}

}  // namespace d06
