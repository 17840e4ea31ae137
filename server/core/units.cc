// Units: create, update, get, list (reorganize.cc: rename, move).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "common/limits.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/paging.h"
#include "server/core/rules.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/filter.h"
#include "server/domain/names.h"
#include "server/domain/text.h"
#include "server/domain/unit_history.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {

using Op = FilterTerm::Op;

void Core::CreateUnit(const Caller& caller, const v1::CreateUnitRequest& request,
                      v1::CreateUnitResponse* response, Done done) {
  v1::Unit unit = request.unit();
  if (absl::Status valid = PrepareNewUnit("unit", &unit); !valid.ok()) return done(valid);
  Mutate(
      caller, request.request_id(), request, response,
      [unit, response](Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(std::vector<std::string> ancestry,
                         PlaceNewUnit(txn.reader(), *change.caller, "unit", unit));
        *response->mutable_unit() = WriteNewUnit(txn, change, unit, ancestry, "");
        return absl::OkStatus();
      },
      std::move(done));
}

void Core::UpdateUnit(const Caller& caller, const v1::UpdateUnitRequest& request,
                      v1::UpdateUnitResponse* response, Done done) {
  static const std::vector<std::string> kSettable = {"display_name", "admin_code", "valid_from",
                                                     "valid_to"};
  absl::StatusOr<std::string> code = ParseUnitName("unit.name", request.unit().name());
  if (!code.ok()) return done(code.status());
  if (absl::Status s =
          CheckUpdateMask("unit", request.update_mask(), kSettable, v1::Unit::descriptor());
      !s.ok()) {
    return done(s);
  }
  Mutate(
      caller, request.request_id(), request, response,
      [&request, code = *code, response](Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::Unit> stored, LoadUnit(txn.reader(), code));
        if (!stored) return NotFound(UnitName(code));
        RETURN_IF_ERROR(AuthorizeUnit(txn.reader(), *change.caller, code, UnitName(code)));
        RETURN_IF_ERROR(
            CheckEtag("unit.etag", request.unit().etag(), stored->etag(), stored->name()));
        v1::Unit unit = *stored;
        ApplyMask(request.unit(), request.update_mask(), &unit);
        RETURN_IF_ERROR(PrepareUnitFields(&unit));
        CorrectCurrentPeriod(&unit);  // a correction, not a new period (RenameUnit)
        const absl::Time now = change.time;
        *unit.mutable_update_time() = ToTimestamp(now);
        unit.set_etag(Etag(txn.revision()));
        v1::Event* event = PutUnit(txn, change, &*stored, unit, v1::EVENT_ACTION_UPDATE_UNIT);
        for (const std::string& path : request.update_mask().paths()) {
          event->add_changed_fields(path);
        }
        *response->mutable_unit() = unit;
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status Core::GetUnit(const Caller& caller, const v1::GetUnitRequest& request,
                           v1::GetUnitResponse* response) const {
  ASSIGN_OR_RETURN(std::string code, ParseUnitName("name", request.name()));
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(*view, code));
  if (!unit) return NotFound(request.name());
  RETURN_IF_ERROR(AuthorizeUnit(*view, caller, code, request.name()));
  *response->mutable_unit() = *std::move(unit);
  return absl::OkStatus();
}

absl::Status Core::ListUnits(const Caller& caller, const v1::ListUnitsRequest& request,
                             v1::ListUnitsResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(std::vector<FilterTerm> terms, ParseFilter(request.filter()));
  RETURN_IF_ERROR(
      CheckFilterTerms(terms, {{"parent", {Op::kEq}}, {"kind", {Op::kEq}}, {"state", {Op::kEq}}}));
  std::optional<std::string> parent;
  std::vector<v1::UnitKind> kinds;
  std::vector<v1::UnitState> states;
  for (const FilterTerm& term : terms) {
    if (term.key == "parent") {
      ASSIGN_OR_RETURN(parent, FilterUnitCode(term, /*allow_empty=*/true));
    } else if (term.key == "kind") {
      ASSIGN_OR_RETURN(auto kind, FilterEnum<v1::UnitKind>(v1::UnitKind_descriptor(), term));
      kinds = {kind};
    } else {
      ASSIGN_OR_RETURN(auto state, FilterEnum<v1::UnitState>(v1::UnitState_descriptor(), term));
      states = {state};
    }
  }
  if (states.empty()) {
    for (int s = 1; v1::UnitState_IsValid(s); ++s) states.push_back(static_cast<v1::UnitState>(s));
  }
  if (kinds.empty()) {
    for (int k = 1; v1::UnitKind_IsValid(k); ++k) kinds.push_back(static_cast<v1::UnitKind>(k));
  }
  // Every (state, kind) pair is one range under the parent (or global) index; the merge
  // orders them by code.
  std::vector<IndexRange> ranges;
  for (v1::UnitState state : states) {
    for (v1::UnitKind kind : kinds) {
      ranges.push_back({UnitsPrefix(parent, state, kind), "", ""});
    }
  }
  // The query's words, folded: each must begin a word of the folded display name or code
  // ("ha" finds "Hà Nội", not "Sở Tư pháp"; "h29.0" finds "H29.01").
  ASSIGN_OR_RETURN(std::string query, NormalizeField("query", request.query(), kMaxQuery));
  const std::vector<std::string> words = FoldedTokens(query);
  if (!request.query().empty() && words.empty()) {
    return InvalidField("query",
                        "query has no words to search for (letters or digits); "
                        "send an empty query to list without searching");
  }
  auto matches = [&](const v1::Unit& unit) {
    const std::vector<std::string> text =
        FoldedTokens(absl::StrCat(unit.display_name(), " ", unit.code()));
    return std::all_of(words.begin(), words.end(), [&](const std::string& word) {
      return std::any_of(text.begin(), text.end(),
                         [&](const std::string& t) { return absl::StartsWith(t, word); });
    });
  };
  const bool past = !IsZeroDate(request.as_of());
  ASSIGN_OR_RETURN(const absl::CivilDay as_of,
                   AsOfDay("as_of", request.as_of(), TodayInVietnam(*options_.clock)));
  // A token is bound to its filter, query and date (without the last two, as it always
  // was).
  std::string scope = query.empty() ? absl::StrCat("units\n", request.filter())
                                    : absl::StrCat("units\n", request.filter(), "\n", query);
  if (past) absl::StrAppend(&scope, "\nas_of ", FormatDate(ToDate(as_of)));
  ASSIGN_OR_RETURN(std::string after, page_tokens_.Decode(caller, request.page_token(), scope));
  auto view = store_->Snapshot();
  // A restricted caller reads the subtrees of its bindings: under a parent outside them,
  // only those of its roots that are that parent's children.
  ASSIGN_OR_RETURN(const ReadRoots roots, RootsOf(*view, caller, v1::ROLE_VIEWER));
  // Whether a unit read outside the (state, kind) ranges passes the filter.
  auto wanted = [&](const v1::Unit& unit) {
    return std::find(states.begin(), states.end(), unit.state()) != states.end() &&
           std::find(kinds.begin(), kinds.end(), unit.kind()) != kinds.end();
  };
  if (past) {
    // Every unit by code (the global index of each state and kind), each as it stood
    // that day; the parent filter is that day's, the scope today's tree.
    const int64_t day = DayNumber(as_of);
    std::vector<IndexRange> all;
    for (int s = 1; v1::UnitState_IsValid(s); ++s) {
      for (int k = 1; v1::UnitKind_IsValid(k); ++k) {
        all.push_back(
            {UnitsPrefix(std::nullopt, static_cast<v1::UnitState>(s), static_cast<v1::UnitKind>(k)),
             "", ""});
      }
    }
    std::function<absl::StatusOr<bool>(absl::string_view, v1::Unit*)> then =
        [&](absl::string_view suffix, v1::Unit* unit) -> absl::StatusOr<bool> {
      std::string code;
      if (!ParseUnitIndexSuffix(suffix, &code)) return absl::DataLossError("bad unit index key");
      ASSIGN_OR_RETURN(std::optional<v1::Unit> found, LoadUnit(*view, code));
      if (!found || !ExistedOn(*found, day)) return false;
      v1::Unit as_it_was = UnitAsOf(*found, day);
      if (parent && CodeOf(as_it_was.parent()) != *parent) return false;
      if (!wanted(as_it_was) || !matches(as_it_was)) return false;
      if (Restricted(caller)) {
        ASSIGN_OR_RETURN(const int rank, RankAtUnit(unit_parents_, *caller.principal, code,
                                                    RoleRank(v1::ROLE_VIEWER)));
        if (rank < RoleRank(v1::ROLE_VIEWER)) return false;
      }
      *unit = std::move(as_it_was);
      return true;
    };
    ASSIGN_OR_RETURN(std::string next,
                     CollectPage(*view, Cf::kIndexes, all, after, PageSize(request.page_size()),
                                 then, response->mutable_units()));
    ASSIGN_OR_RETURN(*response->mutable_next_page_token(),
                     page_tokens_.Encode(caller, scope, next));
    return absl::OkStatus();
  }
  bool filter_in_code = false;  // the ranges hold units of any state and kind
  if (roots) {
    bool parent_in = false;
    if (parent && !parent->empty()) {
      ASSIGN_OR_RETURN(parent_in, InRoots(*view, roots, *parent));
    }
    if (!parent) {
      ranges.clear();
      for (const std::string& root : *roots) ranges.push_back({UnitSubtreePrefix(root), "", ""});
      filter_in_code = true;
    } else if (!parent_in) {
      for (const std::string& root : *roots) {
        if (root <= after) continue;  // roots are by code, as pages are
        ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(*view, root));
        if (!unit || CodeOf(unit->parent()) != *parent || !wanted(*unit) || !matches(*unit)) {
          continue;
        }
        *response->add_units() = *std::move(unit);
      }
      return absl::OkStatus();  // at most one root per binding: one page
    }
  }
  std::function<absl::StatusOr<bool>(absl::string_view, v1::Unit*)> match =
      [&](absl::string_view suffix, v1::Unit* unit) -> absl::StatusOr<bool> {
    std::string code;
    if (!ParseUnitIndexSuffix(suffix, &code)) return absl::DataLossError("bad unit index key");
    ASSIGN_OR_RETURN(std::optional<v1::Unit> found, LoadUnit(*view, code));
    if (!found) return false;
    if ((filter_in_code && !wanted(*found)) || !matches(*found)) return false;
    *unit = *std::move(found);
    return true;
  };
  ASSIGN_OR_RETURN(std::string next,
                   CollectPage(*view, Cf::kIndexes, ranges, after, PageSize(request.page_size()),
                               match, response->mutable_units()));
  ASSIGN_OR_RETURN(*response->mutable_next_page_token(), page_tokens_.Encode(caller, scope, next));
  return absl::OkStatus();
}

}  // namespace d06
