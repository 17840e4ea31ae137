// `d06ctl import units|tasks FILE.csv [options]`: creates the units or tasks an agency's
// spreadsheet lists, all or nothing at validation, and safely rerunnable.
// `d06ctl import reorganisation FILE.csv`: applies a reform's published table of old and
// new units (client/ctl/reorganisation_import.h), checked whole first, one MergeUnits,
// DissolveUnit, MoveUnit or RenameUnit per step; steps already applied are "already
// done", so a rerun finishes an interrupted one.
//
//   d06ctl import units examples/units.csv --dry-run
//   d06ctl import tasks examples/tasks.csv
//
// What RunImport does, in order:
//   1. reads FILE and parses it (client/ctl/csv_import.h documents the file: encoding,
//      delimiter, the accepted column names and values of both kinds);
//   2. validates every row, locally and then against the server with reads only (units
//      and parents exist and are active; which rows a previous run already wrote). Bad
//      rows are printed to `err`, the first kMaxPrintedProblems of them, as
//        row 7, column "Hạn xử lý": "31/02/2026" is not a valid date (dd/MM/yyyy)
//      then "... and N more errors"; if there is any, nothing is written and the result
//      is 3 (INVALID_ARGUMENT). A file over kMaxImportBytes, kMaxImportRows rows or
//      kMaxImportColumns columns (csv_import.h) is refused as a whole, early;
//   3. unless --dry-run, writes the rows one request each, in file order (units: parents
//      before their children), each with a request_id derived from the request itself
//      (RequestIdFor in csv_import.h): a rerun re-sends the same ids, and the server
//      answers each id's first result without writing again. A task row is ONE
//      CreateTask carrying its lead and coordinating units as `assignments`, so a task is
//      never left half-assigned;
//   4. prints one line per row to `out` ("row 3: created units/H29.01") and a summary,
//      "12 rows: 10 created, 2 already there".
//
// "Already there": a unit whose code the server has (created by an earlier run or by any
// other means) is not written again and is not an error: the import makes the listed
// units exist, and a unit's code is its identity. When the server's unit differs from
// the row (name, kind, parent, admin code) a warning says how; the import never updates
// it. A task counts as already there when the server has a task of the same assigning
// unit and title that this row's request_id created; one with the same title created
// otherwise stops validation (row error) unless --allow-same-title. Should that check
// miss (e.g. the server normalised the title differently), the write itself replays
// harmlessly: the same request_id never creates a second task.
//
// Stopping half-way (a write refused, the connection lost, ^C, --limit) leaves the
// rows written so far; running the same command again finishes the job without
// duplicates. A write the server refuses stops the import at that row, naming it.
//
// args: KIND ("units" | "tasks"), FILE, then options in any order:
//   --dry-run                  validate only (reads the server, writes nothing)
//   --delimiter=, | ; | tab    instead of detecting it from the header line
//   --header-row=N             the header is row N instead of the one found among the
//                              first rows (title rows above it are skipped; RunImport
//                              says on `err` which row it took when it is not row 1)
//   --ignore-unknown-columns   warn about unknown columns instead of refusing the file
//   --assigning-unit=CODE      tasks: the assigning unit of rows that name none
//   --allow-same-title         tasks: create a task even when its assigning unit already
//                              has one with the same title that this file did not create
//   --limit=N                  write at most N new rows, then stop (rerun to continue)
//   --help                     the usage, to `out`
// Returns the process exit code: 0 done (or dry run valid); 3 rows are invalid (all
// reported, nothing written); 64 usage error (no or unknown kind, no file, unknown or
// malformed option); 66 the file cannot be read; otherwise the gRPC code of the read or
// write that failed (e.g. 14 UNAVAILABLE, 9 FAILED_PRECONDITION), with the row named.
#ifndef D06_CLIENT_CTL_IMPORT_H_
#define D06_CLIENT_CTL_IMPORT_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "client/client.h"

namespace d06::ctl {

// Exit codes besides the gRPC codes.
inline constexpr int kExitInvalidRows = 3;  // INVALID_ARGUMENT
inline constexpr int kExitUsage = 64;       // EX_USAGE
inline constexpr int kExitNoInput = 66;     // EX_NOINPUT

// Warnings and row errors printed before "... and N more errors".
inline constexpr size_t kMaxPrintedProblems = 20;

// `d06ctl import ARGS...`; see above. Thread-compatible; uses only `client`'s calls.
int RunImport(Client& client, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err);

// The usage text of `d06ctl import`.
std::string ImportUsage();

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_IMPORT_H_
