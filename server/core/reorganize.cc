// Reorganising the unit tree (the 2025 reform): renaming a unit and moving it, with its
// subtree and work, below another parent, each from a date. Every operation begins a
// period of the unit's history (server/domain/unit_history.h) on its effective date;
// reports as of an earlier date read as they did before.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "common/limits.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/rules.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/names.h"
#include "server/domain/unit_history.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/reorganization.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

// An operation's effective date: required, a calendar date, not after `today`.
absl::Status CheckEffectiveDate(const v1::Date& date, absl::CivilDay today) {
  if (IsZeroDate(date)) {
    return InvalidField("effective_date",
                        "effective_date is required: the first day the change holds, e.g. "
                        "{year: 2025, month: 7, day: 1}");
  }
  RETURN_IF_ERROR(ValidateDate("effective_date", date));
  if (ToCivilDay(date) > today) {
    return InvalidField(
        "effective_date",
        absl::StrCat("effective_date ", FormatDate(date), " is after today (",
                     FormatDate(ToDate(today)), "): apply a change on or after its first day"));
  }
  return absl::OkStatus();
}

// The period of `unit`'s history that begins on `from`: a new one (a copy of the current
// one), or the current one when it begins that very day (its reason then also names
// `reason`); recorded by the change's actor. FAILED_PRECONDITION/EFFECTIVE_DATE_CONFLICT when the
// current period began after `from` (a history is written in date order).
absl::StatusOr<v1::UnitPeriod*> BeginPeriod(v1::Unit* unit, const v1::Date& from,
                                            const std::string& reason,
                                            const ChangeContext& change) {
  SeedHistory(unit);
  v1::UnitPeriod* current = unit->mutable_history(unit->history_size() - 1);
  const bool dated = !IsZeroDate(current->from());
  const int64_t day = DayNumber(ToCivilDay(from));
  const int64_t current_from = dated ? DayNumber(ToCivilDay(current->from())) : 0;
  if (dated && day < current_from) {
    return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kEffectiveDateConflict,
                 absl::StrCat(unit->name(), "'s current period began on ",
                              FormatDateVn(current->from()), "; a change from ", FormatDateVn(from),
                              " would rewrite it (a unit's history is written in date order)"),
                 {{"period_start", FormatDate(current->from())}});
  }
  if (!dated || day > current_from) {
    v1::UnitPeriod next = *current;
    current = unit->add_history();
    *current = std::move(next);
    *current->mutable_from() = from;
    current->set_reason(reason);
  } else if (!reason.empty() && current->reason() != reason) {
    // A second change from the same day (a move, then a rename): both decisions stay.
    current->set_reason(current->reason().empty() ? reason
                                                  : absl::StrCat(current->reason(), "; ", reason));
  }
  *current->mutable_record_time() = ToTimestamp(change.time);
  current->set_recorded_by(change.actor);
  return current;
}

absl::Status NotANewValue(const std::string& what) {
  return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kEffectiveDateConflict, what,
               {{"period_start", ""}});
}

}  // namespace

void Core::RenameUnit(const Caller& caller, const v1::RenameUnitRequest& request,
                      v1::RenameUnitResponse* response, Done done) {
  v1::RenameUnitRequest r = request;
  absl::StatusOr<std::string> code = [&]() -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(std::string code, ParseUnitName("name", r.name()));
    RETURN_IF_ERROR(NormalizeText("display_name", r.mutable_display_name(), kMaxUnitName,
                                  /*required=*/true));
    RETURN_IF_ERROR(ValidateAdminCode("admin_code", r.admin_code()));
    RETURN_IF_ERROR(NormalizeText("reason", r.mutable_reason(), kMaxReason, false));
    RETURN_IF_ERROR(CheckEffectiveDate(r.effective_date(), TodayInVietnam(*options_.clock)));
    return code;
  }();
  if (!code.ok()) return done(code.status());
  Mutate(
      caller, r.request_id(), request, response,
      [r, code = *code, response](Txn& txn, const ChangeContext& change) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::Unit> stored, LoadUnit(txn.reader(), code));
        if (!stored) return NotFound(UnitName(code));
        RETURN_IF_ERROR(AuthorizeUnit(txn.reader(), *change.caller, code, UnitName(code)));
        RETURN_IF_ERROR(CheckEtag("etag", r.etag(), stored->etag(), stored->name()));
        RETURN_IF_ERROR(RequireActiveUnit(txn.reader(), "name", code));
        const std::string admin_code =
            r.admin_code().empty() ? stored->admin_code() : r.admin_code();
        if (r.display_name() == stored->display_name() && admin_code == stored->admin_code()) {
          return NotANewValue(
              absl::StrCat(stored->name(), " is already named ", Quote(r.display_name()),
                           admin_code.empty() ? "" : absl::StrCat(" (", admin_code, ")")));
        }
        v1::Unit unit = *stored;
        ASSIGN_OR_RETURN(v1::UnitPeriod * period,
                         BeginPeriod(&unit, r.effective_date(), r.reason(), change));
        period->set_display_name(r.display_name());
        period->set_admin_code(admin_code);
        std::vector<std::string> changed;
        if (unit.display_name() != r.display_name()) changed.push_back("display_name");
        if (unit.admin_code() != admin_code) changed.push_back("admin_code");
        unit.set_display_name(r.display_name());
        unit.set_admin_code(admin_code);
        *unit.mutable_update_time() = ToTimestamp(change.time);
        unit.set_etag(Etag(txn.revision()));
        v1::Event* event = PutUnit(txn, change, &*stored, unit, v1::EVENT_ACTION_RENAME_UNIT);
        event->set_reason(r.reason());
        for (const std::string& field : changed) event->add_changed_fields(field);
        *response->mutable_unit() = unit;
        return absl::OkStatus();
      },
      std::move(done));
}

void Core::MoveUnit(const Caller& caller, const v1::MoveUnitRequest& request,
                    v1::MoveUnitResponse* response, Done done) {
  v1::MoveUnitRequest r = request;
  std::string code, parent;
  absl::Status valid = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(code, ParseUnitName("name", r.name()));
    if (r.new_parent().empty()) {
      return InvalidField("new_parent",
                          "new_parent is required: the unit's parent from effective_date, e.g. "
                          "\"units/H29\"");
    }
    ASSIGN_OR_RETURN(parent, ParseUnitName("new_parent", r.new_parent()));
    if (parent == code) return InvalidField("new_parent", "a unit cannot be its own parent");
    RETURN_IF_ERROR(NormalizeText("reason", r.mutable_reason(), kMaxReason, false));
    return CheckEffectiveDate(r.effective_date(), TodayInVietnam(*options_.clock));
  }();
  if (!valid.ok()) return done(valid);
  Mutate(
      caller, r.request_id(), request, response,
      [r, code, parent, response](Txn& txn, const ChangeContext& change) -> absl::Status {
        const ReadView& view = txn.reader();
        ASSIGN_OR_RETURN(std::optional<v1::Unit> stored, LoadUnit(view, code));
        if (!stored) return NotFound(UnitName(code));
        // An admin of the unit where it stands, and of where it goes.
        RETURN_IF_ERROR(AuthorizeUnit(view, *change.caller, code, UnitName(code)));
        RETURN_IF_ERROR(CheckEtag("etag", r.etag(), stored->etag(), stored->name()));
        RETURN_IF_ERROR(RequireActiveUnit(view, "name", code));
        RETURN_IF_ERROR(AuthorizeUnit(view, *change.caller, parent, r.new_parent()));
        RETURN_IF_ERROR(RequireActiveUnit(view, "new_parent", parent));
        ASSIGN_OR_RETURN(Subtree subtree, ReadSubtree(view, code));
        auto cycle = [&](const std::string& why) {
          return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kUnitTreeCycle, why,
                       {{"field", "new_parent"}});
        };
        if (CodeOf(stored->parent()) == parent) {
          return cycle(absl::StrCat(stored->name(), " is already below ", r.new_parent()));
        }
        if (std::find(subtree.codes.begin(), subtree.codes.end(), parent) != subtree.codes.end()) {
          return cycle(absl::StrCat(r.new_parent(), " is below ", stored->name(),
                                    ": a unit cannot move into its own subtree"));
        }
        std::vector<std::string> old_above;
        if (!stored->parent().empty()) {
          ASSIGN_OR_RETURN(old_above, Ancestry(view, CodeOf(stored->parent())));
        }
        ASSIGN_OR_RETURN(std::vector<std::string> new_above, Ancestry(view, parent));
        const int deepest = static_cast<int>(new_above.size()) + 1 + subtree.height();
        if (deepest > kMaxUnitDepth) {
          return Error(absl::StatusCode::kFailedPrecondition, v1::reason::kUnitTreeTooDeep,
                       absl::StrCat("below ", r.new_parent(), " (level ", new_above.size(),
                                    ") the subtree of ", stored->name(), " would reach level ",
                                    deepest, "; a unit may be at most at level ", kMaxUnitDepth),
                       {{"field", "new_parent"}, {"max_depth", absl::StrCat(kMaxUnitDepth)}});
        }
        v1::Unit unit = *stored;
        ASSIGN_OR_RETURN(v1::UnitPeriod * period,
                         BeginPeriod(&unit, r.effective_date(), r.reason(), change));
        period->set_parent(r.new_parent());
        unit.set_parent(r.new_parent());
        *unit.mutable_update_time() = ToTimestamp(change.time);
        unit.set_etag(Etag(txn.revision()));
        ASSIGN_OR_RETURN(Moved moved, MoveSubtree(txn, subtree, old_above, new_above,
                                                  DayNumber(ToCivilDay(r.effective_date()))));
        v1::Event* event = PutUnit(txn, change, &*stored, unit, v1::EVENT_ACTION_MOVE_UNIT);
        event->set_reason(r.reason());
        event->add_changed_fields("parent");
        // Watchers of both parents see the move.
        if (!stored->parent().empty()) event->add_audience(stored->parent());
        event->add_audience(r.new_parent());
        *response->mutable_unit() = unit;
        response->set_moved_units(moved.units);
        response->set_moved_assignments(moved.assignments);
        return absl::OkStatus();
      },
      AfterTreeChange(std::move(done)));
}

}  // namespace d06
