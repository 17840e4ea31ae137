#include "server/domain/unit_history.h"

#include "common/dates.h"

namespace d06 {

v1::UnitPeriod CurrentFields(const v1::Unit& unit) {
  v1::UnitPeriod period;
  *period.mutable_from() = unit.valid_from();
  period.set_display_name(unit.display_name());
  period.set_admin_code(unit.admin_code());
  period.set_parent(unit.parent());
  period.set_state(unit.state());
  period.set_successor(unit.successor());
  return period;
}

v1::UnitPeriod PeriodAsOf(const v1::Unit& unit, int64_t day_number) {
  if (unit.history().empty()) return CurrentFields(unit);
  const v1::UnitPeriod* found = &unit.history(0);
  for (const v1::UnitPeriod& period : unit.history()) {
    if (!IsZeroDate(period.from()) && DayNumber(ToCivilDay(period.from())) > day_number) break;
    found = &period;
  }
  return *found;
}

bool BegunBy(const v1::Unit& unit, int64_t day_number) {
  const v1::Date& began = unit.history().empty() ? unit.valid_from() : unit.history(0).from();
  return IsZeroDate(began) || DayNumber(ToCivilDay(began)) <= day_number;
}

bool ExistedOn(const v1::Unit& unit, int64_t day_number) {
  return BegunBy(unit, day_number) &&
         (IsZeroDate(unit.valid_to()) || DayNumber(ToCivilDay(unit.valid_to())) >= day_number);
}

v1::Unit UnitAsOf(const v1::Unit& unit, int64_t day_number) {
  const v1::UnitPeriod then = PeriodAsOf(unit, day_number);
  v1::Unit out = unit;
  out.set_display_name(then.display_name());
  out.set_admin_code(then.admin_code());
  out.set_parent(then.parent());
  return out;
}

void SeedHistory(v1::Unit* unit) {
  if (unit->history().empty()) *unit->add_history() = CurrentFields(*unit);
}

void CorrectCurrentPeriod(v1::Unit* unit) {
  if (unit->history().empty()) return;
  v1::UnitPeriod* current = unit->mutable_history(unit->history_size() - 1);
  current->set_display_name(unit->display_name());
  current->set_admin_code(unit->admin_code());
  current->set_parent(unit->parent());
  current->set_state(unit->state());
  current->set_successor(unit->successor());
  if (unit->history_size() == 1) *current->mutable_from() = unit->valid_from();
}

}  // namespace d06
