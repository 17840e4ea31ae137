// The CSV files d06ctl imports (client/ctl/csv_import.h, reorganisation_import.h): the
// first byte picks units, tasks or a reorganisation, the rest is the file. Whatever the
// bytes, the parse and the checks after it end without a crash or a sanitizer report.
// Seeds: tests/fuzz/corpus/csv.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "client/ctl/csv_import.h"
#include "client/ctl/reorganisation_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view file(reinterpret_cast<const char*>(data) + 1, size - 1);
  d06::ctl::CsvOptions options;
  options.today = absl::CivilDay(2026, 3, 20);
  options.default_assigning_unit = "H01";
  // Every code names a province that exists, so the checks after the parse run too.
  const d06::ctl::UnitLookup lookup =
      [](const std::string& code) -> absl::StatusOr<std::optional<d06::v1::Unit>> {
    d06::v1::Unit unit;
    unit.set_name("units/" + code);
    unit.set_code(code);
    unit.set_display_name("Đơn vị " + code);
    unit.set_kind(d06::v1::UNIT_KIND_PROVINCE);
    return unit;
  };
  switch (data[0] % 3) {
    case 0: {
      d06::ctl::ParsedUnits units = d06::ctl::ParseUnitsCsv(file, options);
      if (units.errors.empty()) (void)d06::ctl::CheckUnits(units, lookup);
      break;
    }
    case 1: {
      d06::ctl::ParsedTasks tasks = d06::ctl::ParseTasksCsv(file, options);
      if (tasks.errors.empty()) (void)d06::ctl::CheckTaskUnits(tasks, lookup);
      break;
    }
    default:
      (void)d06::ctl::ParseReorganisationCsv(file, options, lookup);
  }
  return 0;
}
