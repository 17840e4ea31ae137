// The pure part of `d06ctl import reorganisation FILE.csv`: the published tables of a
// reform (bảng sắp xếp đơn vị hành chính: old unit, new unit, new name, effective date)
// read into the MergeUnits, DissolveUnit, MoveUnit and RenameUnit requests they stand
// for, checked row by row against what the server holds (through a UnitLookup), and put
// in the order they can be applied. import.h writes them.
//
// The file is read as the other imports read theirs (csv_import.h: UTF-8, ',' ';' or tab,
// the header found below title rows, dates dd/MM/yyyy or yyyy-MM-dd). One row per old
// unit. Columns, with the names accepted (besides the field name in English):
//   old_code        required  Mã cũ | Mã đơn vị cũ | Mã ĐVHC cũ | Đơn vị cũ
//   new_code        required  Mã mới | Mã đơn vị mới | Mã ĐVHC mới | Đơn vị mới
//   new_name        optional  Tên mới | Tên đơn vị mới — required for a new unit to create
//   effective_date  required  Ngày hiệu lực | Hiệu lực từ | Có hiệu lực từ
//   action          optional  Hình thức | Hình thức sắp xếp — "Hợp nhất" / "Sáp nhập"
//                             (merge, the default when the codes differ), "Giải thể"
//                             (dissolve), "Đổi tên" (rename), "Điều chuyển" (move)
//   new_parent      optional  Cấp trên mới | Đơn vị cấp trên mới — the parent of a new unit
//                             (default: the first old unit's), where a moved unit goes, or
//                             where a dissolved unit's children go (default: the new unit)
//   new_kind        optional  Loại đơn vị mới | Loại mới — of a new unit (default: the first
//                             old unit's)
//   reason          optional  Căn cứ | Văn bản | Quyết định
//
// What the rows mean:
//   * old ≠ new, merge: every row with that new code (and date) is one MergeUnits of their
//     old units into the new one, which is created when the server does not have it;
//   * old ≠ new, dissolve: one DissolveUnit of the old unit, its work to the new one;
//   * old = new: a RenameUnit when the new name differs from the unit's name, a MoveUnit
//     when new_parent differs from its parent (both, in that order of application: moves
//     first).
// Order of application: merges and dissolutions of the deepest units first (communes,
// then districts, then provinces), then moves, then renames. A step the server already
// shows (the old units merged or dissolved into the new one, the name or parent already
// as asked) is "already done": a rerun writes nothing twice.
#ifndef D06_CLIENT_CTL_REORGANISATION_IMPORT_H_
#define D06_CLIENT_CTL_REORGANISATION_IMPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/ctl/csv_import.h"
#include "d06/v1/unit.pb.h"
#include "google/protobuf/message.h"

namespace d06::ctl {

// One write: the rows it comes from, its request (request_id set) and what it does.
struct ReorganisationStep {
  std::vector<int> rows;
  // A MergeUnitsRequest, DissolveUnitRequest, MoveUnitRequest or RenameUnitRequest.
  std::shared_ptr<google::protobuf::Message> request;
  // "merge units/H01.X1, units/H01.X2 into units/H01.XA (new: Phường Mới)".
  std::string description;
  // The server already shows it.
  bool done = false;
};

struct ParsedReorganisation {
  int header_row = 0;
  int data_rows = 0;
  // In the order to apply.
  std::vector<ReorganisationStep> steps;
  std::vector<RowError> errors;
  std::vector<std::string> warnings;
};

// Reads and checks a reorganisation file. `lookup` reads units from the server; a read
// that fails stops the check, its error in the result's status.
absl::StatusOr<ParsedReorganisation> ParseReorganisationCsv(absl::string_view file,
                                                            const CsvOptions& options,
                                                            const UnitLookup& lookup);

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_REORGANISATION_IMPORT_H_
