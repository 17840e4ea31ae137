// A unit's history (Unit.history): the periods of its name, code, parent and state, each
// in force from its first day until the next one's. Pure functions over the proto.
//
//   v1::Unit unit = ...;                 // renamed from 01/07/2025
//   PeriodAsOf(unit, DayNumber(absl::CivilDay(2025, 6, 30))).display_name();  // the old name
#ifndef D06_SERVER_DOMAIN_UNIT_HISTORY_H_
#define D06_SERVER_DOMAIN_UNIT_HISTORY_H_

#include <cstdint>

#include "d06/v1/unit.pb.h"

namespace d06 {

// The period the unit's current fields make, from its valid_from (zero: always).
v1::UnitPeriod CurrentFields(const v1::Unit& unit);

// The period in force on `day_number` (common/dates.h DayNumber): the last whose first
// day is on or before it; for a day before them all, the first. A unit without a history
// has always been as it is.
v1::UnitPeriod PeriodAsOf(const v1::Unit& unit, int64_t day_number);

// Whether the unit had begun by `day_number`: its first period (or valid_from) is on or
// before it, or has no date.
bool BegunBy(const v1::Unit& unit, int64_t day_number);

// Whether the unit existed on `day_number`: begun by then (BegunBy), and its valid_to
// (the last day it exists) unset or not before it.
bool ExistedOn(const v1::Unit& unit, int64_t day_number);

// The unit as it stood on `day_number`: its display name, administrative code and parent
// of that day (PeriodAsOf); the rest (state, successor, history) as it is.
v1::Unit UnitAsOf(const v1::Unit& unit, int64_t day_number);

// Gives a unit without a history its one period (CurrentFields), so that a change can
// begin the next; a unit with one is left alone.
void SeedHistory(v1::Unit* unit);

// After a correction of the unit's current fields (UpdateUnit), the current period says
// the same: its name, code and state are the unit's; the first period's day follows
// valid_from while there is only one.
void CorrectCurrentPeriod(v1::Unit* unit);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_UNIT_HISTORY_H_
