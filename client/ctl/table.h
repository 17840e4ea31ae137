// d06ctl's tables, made to be read at a terminal (kubectl's conventions):
//   * A list response prints one row per element. The known resources (Unit, Task,
//     Assignment, Principal, Token, Event) have a curated set of columns: names, titles
//     and states, not bookkeeping; `-o wide` adds more (kColumns in table.cc). Any other
//     element type shows its top-level scalar fields that are set in some row.
//   * A unit shows as its code and display name ("H40.3 Sở Tư pháp") and an assignment
//     row carries its task's title, looked up through a NameSource (one lookup per
//     distinct name and invocation, bounded; unknown names show as they are).
//   * --columns a,b,c picks the columns by key (a column's title or field path, any case;
//     any field path of the element is a column too, e.g. pending_extension.deadline);
//     --sort-by KEY sorts the rows by a column (numbers by value, dd/MM/yyyy dates by
//     date, text by bytes), stably.
//   * A table wider than the terminal is cut to fit: the free-text columns (titles,
//     names, reasons) first, each cell truncated by display width with "…". The width is
//     the terminal's (TIOCGWINSZ) when stdout is one, else $COLUMNS if set, else none
//     (piped output is never cut, as kubectl does).
//   * A summary (GetSummaryResponse) prints its report lines, then one row per unit (or
//     group) with the report's columns, then the total.
// Thread-compatible: a NameSource is used from one thread.
#ifndef D06_CLIENT_CTL_TABLE_H_
#define D06_CLIENT_CTL_TABLE_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace d06::ctl {

// Where a table finds the names behind the codes it shows.
class NameSource {
 public:
  virtual ~NameSource() = default;
  // The display name of unit `unit` ("units/H40"), or "" if unknown.
  virtual std::string UnitDisplayName(const std::string& unit) = 0;
  // The title of task `task` ("tasks/7"), or "" if unknown.
  virtual std::string TaskTitle(const std::string& task) = 0;
};

struct TableOptions {
  bool wide = false;                 // -o wide
  std::vector<std::string> columns;  // --columns; empty: the default set
  std::string sort_by;               // --sort-by; empty: the server's order
  int width = 0;                     // the terminal's columns; 0: no limit
  NameSource* names = nullptr;       // null: codes only
};

// Prints the list field `list` of `response` as a table. INVALID_ARGUMENT for an unknown
// --columns or --sort-by key (naming the keys there are).
absl::Status PrintListTable(const google::protobuf::Message& response,
                            const google::protobuf::FieldDescriptor& list,
                            const TableOptions& options, std::ostream& out);

// Whether `type` is a summary (d06.v1.GetSummaryResponse).
bool IsSummaryType(const google::protobuf::Descriptor& type);
// Prints a summary: the report lines, then its table (see above).
absl::Status PrintSummaryTable(const google::protobuf::Message& summary,
                               const TableOptions& options, std::ostream& out);

// `header` and `rows` as aligned columns two spaces apart, cut to `width` (0: no limit):
// the `flexible` columns shrink first. Numbers right-aligned where `right` says.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& flexible, const std::vector<bool>& right,
                        int width);

// The width tables are cut to (see above): the terminal's, else $COLUMNS, else 0.
int OutputWidth();

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_TABLE_H_
