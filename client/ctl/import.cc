#include "client/ctl/import.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/ctl/csv_import.h"
#include "client/ctl/reorganisation_import.h"

namespace d06::ctl {
namespace {

struct ImportArgs {
  std::string kind;
  std::string file;
  bool dry_run = false;
  bool allow_same_title = false;
  int limit = -1;  // no limit
  CsvOptions csv;
};

// "CODE: message [REASON]".
std::string Describe(const absl::Status& status) {
  std::string text = absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
  const std::string reason = client::ErrorReason(status);
  if (!reason.empty() && reason != absl::StatusCodeToString(status.code())) {
    absl::StrAppend(&text, " [", reason, "]");
  }
  return text;
}

int ExitCode(const absl::Status& status) { return static_cast<int>(status.code()); }

// Parses args into *parsed; false after printing the problem to err.
bool ParseArgs(const std::vector<std::string>& args, ImportArgs* parsed, std::ostream& err) {
  std::vector<std::string> positional;
  for (const std::string& arg : args) {
    absl::string_view a = arg;
    if (!absl::StartsWith(a, "--") || a == "--") {
      positional.push_back(arg);
      continue;
    }
    absl::string_view name = a, value;
    const bool has_value = a.find('=') != absl::string_view::npos;
    if (has_value) {
      name = a.substr(0, a.find('='));
      value = a.substr(a.find('=') + 1);
    }
    auto flag = [&](bool* b) {
      if (has_value) {
        err << "import: " << name << " takes no value\n";
        return false;
      }
      *b = true;
      return true;
    };
    if (name == "--dry-run") {
      if (!flag(&parsed->dry_run)) return false;
    } else if (name == "--allow-same-title") {
      if (!flag(&parsed->allow_same_title)) return false;
    } else if (name == "--ignore-unknown-columns") {
      if (!flag(&parsed->csv.ignore_unknown_columns)) return false;
    } else if (name == "--delimiter") {
      if (value == "," || value == "comma") {
        parsed->csv.delimiter = ',';
      } else if (value == ";" || value == "semicolon") {
        parsed->csv.delimiter = ';';
      } else if (value == "tab" || value == "\t" || value == "\\t") {
        parsed->csv.delimiter = '\t';
      } else {
        err << "import: --delimiter must be ',', ';' or 'tab', not \"" << value << "\"\n";
        return false;
      }
    } else if (name == "--header-row") {
      if (!absl::SimpleAtoi(value, &parsed->csv.header_row) || parsed->csv.header_row < 1) {
        err << "import: --header-row needs the header's row number (1 = the first line), "
               "not \""
            << value << "\"\n";
        return false;
      }
    } else if (name == "--assigning-unit") {
      if (value.empty()) {
        err << "import: --assigning-unit needs a unit code, e.g. --assigning-unit=H29\n";
        return false;
      }
      parsed->csv.default_assigning_unit = std::string(value);
    } else if (name == "--limit") {
      if (!absl::SimpleAtoi(value, &parsed->limit) || parsed->limit < 0) {
        err << "import: --limit needs a number of rows >= 0, not \"" << value << "\"\n";
        return false;
      }
    } else {
      err << "import: unknown option " << name << "\n";
      return false;
    }
  }
  if (positional.empty()) {
    err << "import: say what to import: units, tasks or reorganisation\n";
    return false;
  }
  parsed->kind = positional[0];
  if (parsed->kind != "units" && parsed->kind != "tasks" && parsed->kind != "reorganisation") {
    err << "import: unknown kind \"" << parsed->kind << "\"; use units, tasks or reorganisation\n";
    return false;
  }
  if (positional.size() < 2) {
    err << "import: name the CSV file to import\n";
    return false;
  }
  if (positional.size() > 2) {
    err << "import: one file at a time (got \"" << positional[2] << "\" too)\n";
    return false;
  }
  parsed->file = positional[1];
  if (parsed->kind != "tasks" &&
      (parsed->allow_same_title || !parsed->csv.default_assigning_unit.empty())) {
    err << "import: --allow-same-title and --assigning-unit are for tasks\n";
    return false;
  }
  return true;
}

// The unit lookup of the validation: GetUnit, NOT_FOUND meaning "no such unit".
UnitLookup ServerUnits(Client& client) {
  return [&client](const std::string& code) -> absl::StatusOr<std::optional<v1::Unit>> {
    // A code the file got wrong (its row already has an error) names no unit: the server
    // would refuse the name.
    if (code.empty() || !std::all_of(code.begin(), code.end(), [](char c) {
          return absl::ascii_isdigit(c) || absl::ascii_isupper(c) || c == '.';
        })) {
      return std::optional<v1::Unit>();
    }
    v1::GetUnitRequest req;
    req.set_name(absl::StrCat("units/", code));
    absl::StatusOr<v1::GetUnitResponse> resp = client.GetUnit(req);
    if (resp.ok()) return std::optional<v1::Unit>(resp->unit());
    if (resp.status().code() == absl::StatusCode::kNotFound) {
      return std::optional<v1::Unit>();
    }
    return absl::Status(resp.status().code(),
                        absl::StrCat("reading units/", code, ": ", Describe(resp.status())));
  };
}

// The task lookup of the validation: each assigning unit's tasks listed once (by title),
// and the request_id of the first event of each task whose title a row has.
class ServerTasks {
 public:
  explicit ServerTasks(Client& client) : client_(client) {}

  absl::StatusOr<std::vector<ExistingTask>> Find(const std::string& assigning_unit,
                                                 const std::string& title) {
    auto unit = by_unit_.find(assigning_unit);
    if (unit == by_unit_.end()) {
      std::multimap<std::string, std::string> titles;
      v1::ListTasksRequest req;
      req.set_filter(absl::StrCat("assigning_unit = \"", assigning_unit, "\""));
      req.set_page_size(1000);
      do {
        absl::StatusOr<v1::ListTasksResponse> page = client_.ListTasks(req);
        if (!page.ok()) {
          return absl::Status(
              page.status().code(),
              absl::StrCat("listing the tasks of ", assigning_unit, ": ", Describe(page.status())));
        }
        for (const v1::Task& t : page->tasks()) titles.emplace(t.title(), t.name());
        req.set_page_token(page->next_page_token());
      } while (!req.page_token().empty());
      unit = by_unit_.emplace(assigning_unit, std::move(titles)).first;
    }
    std::vector<ExistingTask> found;
    auto [begin, end] = unit->second.equal_range(title);
    for (auto it = begin; it != end; ++it) {
      absl::StatusOr<std::string> id = CreatingRequestId(it->second);
      if (!id.ok()) return id.status();
      found.push_back({it->second, *id});
    }
    return found;
  }

 private:
  absl::StatusOr<std::string> CreatingRequestId(const std::string& task) {
    v1::ListTaskEventsRequest req;
    req.set_parent(task);
    req.set_page_size(1);
    absl::StatusOr<v1::ListTaskEventsResponse> events = client_.ListTaskEvents(req);
    if (!events.ok()) {
      return absl::Status(events.status().code(), absl::StrCat("reading the history of ", task,
                                                               ": ", Describe(events.status())));
    }
    if (events->events().empty() || events->events(0).action() != v1::EVENT_ACTION_CREATE_TASK) {
      return std::string();
    }
    return events->events(0).request_id();
  }

  Client& client_;
  std::map<std::string, std::multimap<std::string, std::string>> by_unit_;
};

// Prints the first kMaxPrintedProblems warnings and errors, and how many more there are;
// the exit code when the import must stop here, else -1.
int Report(const std::vector<std::string>& warnings, const std::vector<RowError>& errors,
           int data_rows, std::ostream& err) {
  for (size_t i = 0; i < warnings.size() && i < kMaxPrintedProblems; ++i) {
    err << "warning: " << warnings[i] << "\n";
  }
  if (warnings.size() > kMaxPrintedProblems) {
    err << "warning: ... and " << warnings.size() - kMaxPrintedProblems << " more warnings\n";
  }
  if (errors.empty()) return -1;
  for (size_t i = 0; i < errors.size() && i < kMaxPrintedProblems; ++i) {
    err << FormatRowError(errors[i]) << "\n";
  }
  if (errors.size() > kMaxPrintedProblems) {
    err << "... and " << errors.size() - kMaxPrintedProblems
        << " more errors (fix these and check again with --dry-run)\n";
  }
  err << data_rows << (data_rows == 1 ? " row" : " rows") << ", " << errors.size()
      << (errors.size() == 1 ? " error" : " errors") << ": nothing written\n";
  return kExitInvalidRows;
}

// The outcome of the write phase.
struct Tally {
  int created = 0;
  int already = 0;
  int to_create = 0;  // dry run
};

std::string Summary(int data_rows, const Tally& tally) {
  return absl::StrCat(data_rows, data_rows == 1 ? " row: " : " rows: ", tally.created, " created, ",
                      tally.already, " already there");
}

// Writes `rows` (UnitRow or TaskRow) with `create`, which returns the created resource's
// name or the call's error; `already_there(status)` says whether an error means the row
// exists. Returns the exit code.
template <typename Row, typename Create, typename Exists, typename Existing>
int WriteRows(const std::vector<Row>& rows, const ImportArgs& args, int data_rows,
              const Create& create, const Exists& already_there, const Existing& existing,
              std::ostream& out, std::ostream& err) {
  Tally tally;
  if (args.dry_run) {
    for (const Row& row : rows) {
      if (existing(row).empty()) {
        ++tally.to_create;
      } else {
        ++tally.already;
      }
    }
    out << data_rows << (data_rows == 1 ? " row valid: " : " rows valid: ") << tally.to_create
        << " to create, " << tally.already << " already there (dry run: nothing written)\n";
    return 0;
  }
  int writes = 0;
  for (const Row& row : rows) {
    if (const std::string name = existing(row); !name.empty()) {
      ++tally.already;
      out << "row " << row.row << ": already there " << name << "\n";
      continue;
    }
    if (args.limit >= 0 && writes >= args.limit) {
      out << Summary(data_rows, tally) << "; stopped after " << writes
          << " writes (--limit): run the same command again to write the rest\n";
      return 0;
    }
    ++writes;
    absl::StatusOr<std::string> created = create(row);
    if (created.ok()) {
      ++tally.created;
      out << "row " << row.row << ": created " << *created << "\n";
    } else if (already_there(created.status())) {
      ++tally.already;
      out << "row " << row.row << ": already there (" << created.status().message() << ")\n";
    } else {
      err << "row " << row.row << ": the server refused it: " << Describe(created.status()) << "\n";
      out << Summary(data_rows, tally) << "; stopped at row " << row.row
          << ": fix it and run the same command again (rows already written are not "
             "written twice)\n";
      return ExitCode(created.status());
    }
  }
  out << Summary(data_rows, tally) << "\n";
  return 0;
}

// Says where the header was found when rows above it were skipped (title rows).
void SayHeaderRow(int header_row, std::ostream& err) {
  if (header_row > 1) {
    err << "import: the header is row " << header_row
        << "; the rows above it are skipped as titles (--header-row=N to choose another)\n";
  }
}

int ImportUnits(Client& client, const ImportArgs& args, const std::string& file, std::ostream& out,
                std::ostream& err) {
  ParsedUnits units = ParseUnitsCsv(file, args.csv);
  SayHeaderRow(units.header_row, err);
  const bool file_level = !units.errors.empty() && units.errors.front().row == 0;
  if (!file_level) {
    if (absl::Status s = CheckUnits(units, ServerUnits(client)); !s.ok()) {
      err << "import: " << s.message() << "\n";
      return ExitCode(s);
    }
  }
  if (int code = Report(units.warnings, units.errors, units.data_rows, err); code >= 0) {
    return code;
  }
  return WriteRows(
      units.rows, args, units.data_rows,
      [&](const UnitRow& row) -> absl::StatusOr<std::string> {
        absl::StatusOr<v1::CreateUnitResponse> resp = client.CreateUnit(row.request);
        if (!resp.ok()) return resp.status();
        return resp->unit().name();
      },
      [](const absl::Status& s) { return s.code() == absl::StatusCode::kAlreadyExists; },
      [](const UnitRow& row) { return row.existing ? row.existing->name() : std::string(); }, out,
      err);
}

int ImportTasks(Client& client, const ImportArgs& args, const std::string& file, std::ostream& out,
                std::ostream& err) {
  ParsedTasks tasks = ParseTasksCsv(file, args.csv);
  SayHeaderRow(tasks.header_row, err);
  const bool file_level = !tasks.errors.empty() && tasks.errors.front().row == 0;
  if (!file_level) {
    absl::Status s = CheckTaskUnits(tasks, ServerUnits(client));
    if (s.ok()) {
      ServerTasks server(client);
      s = CheckExistingTasks(
          tasks,
          [&server](const std::string& unit, const std::string& title) {
            return server.Find(unit, title);
          },
          args.allow_same_title);
    }
    if (!s.ok()) {
      err << "import: " << s.message() << "\n";
      return ExitCode(s);
    }
  }
  if (int code = Report(tasks.warnings, tasks.errors, tasks.data_rows, err); code >= 0) {
    return code;
  }
  return WriteRows(
      tasks.rows, args, tasks.data_rows,
      [&](const TaskRow& row) -> absl::StatusOr<std::string> {
        absl::StatusOr<v1::CreateTaskResponse> resp = client.CreateTask(row.request);
        if (!resp.ok()) return resp.status();
        return absl::StrCat(resp->task().name(), " (", resp->assignments_size(),
                            resp->assignments_size() == 1 ? " assignment)" : " assignments)");
      },
      [](const absl::Status&) { return false; }, [](const TaskRow& row) { return row.existing; },
      out, err);
}

// One step of a reorganisation sent: its response summarised.
absl::StatusOr<std::string> ApplyStep(Client& client, const google::protobuf::Message& request) {
  auto result_text = [](const v1::ReorganizationResult& r) {
    std::string text = absl::StrCat(
        r.moved_units(), r.moved_units() == 1 ? " unit" : " units", " moved, ",
        r.transferred_assignments(),
        r.transferred_assignments() == 1 ? " assignment continues" : " assignments continue",
        " at the successor");
    if (r.conflicts_size() > 0) {
      absl::StrAppend(&text, " (", r.conflicts_size(), " where it already had the task)");
    }
    if (r.reassigned_tasks() > 0) absl::StrAppend(&text, ", ", r.reassigned_tasks(), " tasks");
    if (r.principals_size() > 0) {
      absl::StrAppend(&text, "; rebind ", absl::StrJoin(r.principals(), ", "));
    }
    return text;
  };
  if (const auto* merge = dynamic_cast<const v1::MergeUnitsRequest*>(&request)) {
    absl::StatusOr<v1::MergeUnitsResponse> r = client.MergeUnits(*merge);
    if (!r.ok()) return r.status();
    return result_text(r->result());
  }
  if (const auto* dissolve = dynamic_cast<const v1::DissolveUnitRequest*>(&request)) {
    absl::StatusOr<v1::DissolveUnitResponse> r = client.DissolveUnit(*dissolve);
    if (!r.ok()) return r.status();
    return result_text(r->result());
  }
  if (const auto* move = dynamic_cast<const v1::MoveUnitRequest*>(&request)) {
    absl::StatusOr<v1::MoveUnitResponse> r = client.MoveUnit(*move);
    if (!r.ok()) return r.status();
    return absl::StrCat(r->moved_units(), " units and ", r->moved_assignments(),
                        " assignments moved");
  }
  const auto& rename = dynamic_cast<const v1::RenameUnitRequest&>(request);
  absl::StatusOr<v1::RenameUnitResponse> r = client.RenameUnit(rename);
  if (!r.ok()) return r.status();
  return std::string("renamed");
}

int ImportReorganisation(Client& client, const ImportArgs& args, const std::string& file,
                         std::ostream& out, std::ostream& err) {
  absl::StatusOr<ParsedReorganisation> plan =
      ParseReorganisationCsv(file, args.csv, ServerUnits(client));
  if (!plan.ok()) {
    err << "import: " << plan.status().message() << "\n";
    return ExitCode(plan.status());
  }
  SayHeaderRow(plan->header_row, err);
  if (int code = Report(plan->warnings, plan->errors, plan->data_rows, err); code >= 0) {
    return code;
  }
  auto rows_of = [](const ReorganisationStep& step) {
    return absl::StrCat(step.rows.size() == 1 ? "row " : "rows ", absl::StrJoin(step.rows, ", "));
  };
  int applied = 0, already = 0, writes = 0;
  for (const ReorganisationStep& step : plan->steps) {
    if (step.done) {
      ++already;
      out << rows_of(step) << ": already done: " << step.description << "\n";
      continue;
    }
    if (args.dry_run) {
      out << rows_of(step) << ": would " << step.description << "\n";
      continue;
    }
    if (args.limit >= 0 && writes >= args.limit) {
      out << applied << " applied, " << already << " already done; stopped after " << writes
          << " writes (--limit): run the same command again to apply the rest\n";
      return 0;
    }
    ++writes;
    absl::StatusOr<std::string> result = ApplyStep(client, *step.request);
    if (!result.ok()) {
      err << rows_of(step) << ": the server refused to " << step.description << ": "
          << Describe(result.status()) << "\n";
      out << applied << " applied, " << already << " already done; stopped at " << rows_of(step)
          << ": fix it and run the same command again (steps already applied are not applied "
             "twice)\n";
      return ExitCode(result.status());
    }
    ++applied;
    out << rows_of(step) << ": " << step.description << ": " << *result << "\n";
  }
  if (args.dry_run) {
    out << plan->data_rows << (plan->data_rows == 1 ? " row valid: " : " rows valid: ")
        << plan->steps.size() - already << " steps to apply, " << already
        << " already done (dry run: nothing written)\n";
  } else {
    out << plan->data_rows << (plan->data_rows == 1 ? " row: " : " rows: ") << applied
        << " steps applied, " << already << " already done\n";
  }
  return 0;
}

}  // namespace

std::string ImportUsage() {
  return R"(usage: d06ctl import units|tasks|reorganisation FILE.csv [options]

Creates the units or tasks listed in a CSV file, or applies a reorganisation
of units from the published tables (Mã cũ, Mã mới, Tên mới, Ngày hiệu lực;
merges, dissolutions, moves and renames): UTF-8, with or without BOM;
',' or ';' detected; the header row found below any title rows; dates
dd/MM/yyyy or yyyy-MM-dd; Vietnamese or English column names (README,
"Importing a province's spreadsheet"). Every row is checked first: if any is
wrong, each problem is printed with its row and column and nothing is written.
Rerunning the same file creates nothing twice, so an interrupted import is
finished by running it again.

options:
  --dry-run                 check only (reads the server, writes nothing)
  --delimiter=,|;|tab       do not detect the delimiter
  --header-row=N            the header is row N (default: found in the first
                            20 rows, below any title rows)
  --ignore-unknown-columns  warn about unknown columns instead of refusing
  --assigning-unit=CODE     tasks: the assigning unit (Cơ quan giao) of rows
                            without one
  --allow-same-title        tasks: create a task even if its assigning unit
                            already has one with that title that this file
                            did not create
  --limit=N                 write at most N rows, then stop (run again to
                            continue)

exit codes: 0 done; 3 invalid rows (nothing written); 64 usage; 66 unreadable
file; otherwise the gRPC code of the failed call.
)";
}

int RunImport(Client& client, const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      out << ImportUsage();
      return 0;
    }
  }
  ImportArgs parsed;
  if (!ParseArgs(args, &parsed, err)) {
    err << "usage: d06ctl import units|tasks|reorganisation FILE.csv [--dry-run] [options]; "
           "d06ctl import --help\n";
    return kExitUsage;
  }
  std::ifstream in(parsed.file, std::ios::binary | std::ios::ate);
  if (in.is_open()) {
    // Refused before it is read: what an import holds in memory stays bounded.
    const std::streamoff size = in.tellg();
    if (size > static_cast<std::streamoff>(kMaxImportBytes)) {
      err << parsed.file << " has " << size << " bytes; an import takes at most "
          << (kMaxImportBytes >> 20) << " MiB and " << kMaxImportRows
          << " rows per file: split it into several files, each with the header row, and "
             "import them one after the other\n";
      return kExitInvalidRows;
    }
    in.seekg(0);
  }
  std::ostringstream bytes;
  if (!in || !(bytes << in.rdbuf())) {
    // An empty file reads as a failed << too: let the parser say it is empty.
    if (!in.is_open()) {
      err << "import: cannot read " << parsed.file << "\n";
      return kExitNoInput;
    }
  }
  const std::string file = bytes.str();
  if (parsed.kind == "reorganisation") return ImportReorganisation(client, parsed, file, out, err);
  return parsed.kind == "units" ? ImportUnits(client, parsed, file, out, err)
                                : ImportTasks(client, parsed, file, out, err);
}

}  // namespace d06::ctl
