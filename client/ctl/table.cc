#include "client/ctl/table.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/ctl/catalog.h"
#include "client/ctl/display_width.h"
#include "client/ctl/output.h"

namespace d06::ctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// How a column shows its field's value.
enum class Show {
  kValue,      // as output.h formats it
  kUnit,       // a unit name: "H40.3 Sở Tư pháp"
  kTask,       // the task of an assignment name: "tasks/7"
  kTaskTitle,  // the title of the task of an assignment name
  kCode,       // the last segment of a name: "units/H40.3" -> "H40.3"
};

struct ColumnSpec {
  const char* key;    // the field path, or for derived columns a name of its own
  const char* title;  // the header
  const char* path;   // the field path read
  Show show = Show::kValue;
  bool wide = false;      // only with -o wide
  bool flexible = false;  // free text: shrinks first when the table is too wide
};

struct TypeColumns {
  const char* type;
  std::vector<ColumnSpec> columns;
};

// The curated columns of the resources operators list every day: what identifies a row
// and what it is about (names, titles, states, deadlines) by default; counts, dates of
// record and reasons with -o wide. Never the scheduler's bookkeeping (due_soon_recorded_for,
// overdue_recorded_for) or etags, which --columns can still ask for.
const std::vector<TypeColumns>& Curated() {
  static const auto* const kColumns = new std::vector<TypeColumns>{
      {"d06.v1.Unit",
       {{"name", "NAME", "name"},
        {"display_name", "DISPLAY_NAME", "display_name", Show::kValue, false, true},
        {"kind", "KIND", "kind"},
        {"parent", "PARENT", "parent", Show::kUnit, false, true},
        {"state", "STATE", "state"},
        {"admin_code", "ADMIN_CODE", "admin_code", Show::kValue, true},
        {"valid_from", "VALID_FROM", "valid_from", Show::kValue, true},
        {"valid_to", "VALID_TO", "valid_to", Show::kValue, true},
        {"successor", "SUCCESSOR", "successor", Show::kUnit, true, true}}},
      {"d06.v1.Task",
       {{"name", "NAME", "name"},
        {"title", "TITLE", "title", Show::kValue, false, true},
        {"assigning_unit", "ASSIGNED_BY", "assigning_unit", Show::kUnit, false, true},
        {"deadline", "DEADLINE", "deadline"},
        {"state", "STATE", "state"},
        {"kind", "KIND", "kind", Show::kValue, true},
        {"urgency", "URGENCY", "urgency", Show::kValue, true},
        {"directive.number", "DIRECTIVE", "directive.number", Show::kValue, true},
        {"category", "CATEGORY", "category", Show::kValue, true, true},
        {"labels", "LABELS", "labels", Show::kValue, true, true}}},
      {"d06.v1.Assignment",
       {{"task", "TASK", "name", Show::kTask},
        {"task_title", "TITLE", "name", Show::kTaskTitle, false, true},
        {"unit", "UNIT", "unit", Show::kUnit, false, true},
        {"role", "ROLE", "role"},
        {"state", "STATE", "state"},
        {"deadline", "DEADLINE", "deadline"},
        {"timeliness", "TIMELINESS", "timeliness"},
        {"progress_percent", "PROGRESS", "progress_percent", Show::kValue, true},
        {"submit_date", "SUBMITTED", "submit_date", Show::kValue, true},
        {"extension_count", "EXTENSIONS", "extension_count", Show::kValue, true},
        {"urge_count", "URGES", "urge_count", Show::kValue, true},
        {"last_reason", "LAST_REASON", "last_reason", Show::kValue, true, true}}},
      {"d06.v1.Principal",
       {{"name", "NAME", "name"},
        {"display_name", "DISPLAY_NAME", "display_name", Show::kValue, false, true},
        {"kind", "KIND", "kind"},
        {"unit", "UNIT", "unit", Show::kUnit, false, true},
        {"state", "STATE", "state"},
        {"bindings", "BINDINGS", "bindings", Show::kValue, true, true}}},
      {"d06.v1.Token",
       {{"name", "NAME", "name"},
        {"display_name", "DISPLAY_NAME", "display_name", Show::kValue, false, true},
        {"expire_time", "EXPIRES", "expire_time"},
        {"revoke_time", "REVOKED", "revoke_time"},
        {"last_use_time", "LAST_USE", "last_use_time", Show::kValue, true},
        {"creator", "CREATOR", "creator", Show::kValue, true}}},
      {"d06.v1.Event",
       {{"revision", "REVISION", "revision"},
        {"time", "TIME", "time"},
        {"actor", "ACTOR", "actor", Show::kValue, false, true},
        {"action", "ACTION", "action"},
        {"resource", "RESOURCE", "resource"},
        {"new_state", "STATE", "new_state"},
        {"reason", "REASON", "reason", Show::kValue, false, true},
        {"old_state", "OLD_STATE", "old_state", Show::kValue, true},
        {"changed_fields", "CHANGED", "changed_fields", Show::kValue, true, true},
        {"via", "VIA", "via", Show::kValue, true}}},
  };
  return *kColumns;
}

const TypeColumns* CuratedFor(const Descriptor& type) {
  for (const TypeColumns& columns : Curated()) {
    if (type.full_name() == columns.type) return &columns;
  }
  return nullptr;
}

// The field at dotted `path` under `type` (each step but the last a singular message).
std::vector<const FieldDescriptor*> ResolvePath(const Descriptor& type, absl::string_view path) {
  std::vector<const FieldDescriptor*> fields;
  const Descriptor* at = &type;
  for (absl::string_view step : absl::StrSplit(path, '.')) {
    if (at == nullptr) return {};
    const FieldDescriptor* field = at->FindFieldByName(std::string(step));
    if (field == nullptr) field = at->FindFieldByCamelcaseName(std::string(step));
    if (field == nullptr) return {};
    fields.push_back(field);
    at = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()
             ? field->message_type()
             : nullptr;
  }
  return fields;
}

std::string ValueAt(const Message& row, const std::vector<const FieldDescriptor*>& path) {
  const Message* at = &row;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!at->GetReflection()->HasField(*at, path[i])) return "";
    at = &at->GetReflection()->GetMessage(*at, path[i]);
  }
  return FormatField(*at, *path.back());
}

// "units/H40.3" -> "H40.3"; "tasks/7/assignments/H40" -> "H40".
std::string LastSegment(absl::string_view name) {
  const size_t slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

// "tasks/7/assignments/H40" -> "tasks/7".
std::string TaskOf(absl::string_view assignment) {
  std::vector<absl::string_view> parts = absl::StrSplit(assignment, '/');
  return parts.size() >= 2 ? absl::StrCat(parts[0], "/", parts[1]) : std::string(assignment);
}

// One column as the table uses it.
struct Column {
  std::string key;
  std::string title;
  std::vector<const FieldDescriptor*> path;
  Show show = Show::kValue;
  bool flexible = false;
};

std::string Cell(const Message& row, const Column& column, NameSource* names) {
  const std::string value = ValueAt(row, column.path);
  if (value.empty()) return "";
  switch (column.show) {
    case Show::kValue:
      return value;
    case Show::kCode:
      return LastSegment(value);
    case Show::kUnit: {
      const std::string name = names != nullptr ? names->UnitDisplayName(value) : "";
      return name.empty() ? LastSegment(value) : absl::StrCat(LastSegment(value), " ", name);
    }
    case Show::kTask:
      return TaskOf(value);
    case Show::kTaskTitle:
      return names != nullptr ? names->TaskTitle(TaskOf(value)) : "";
  }
  return value;
}

bool IsFreeText(const FieldDescriptor& field) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
         (absl::StrContains(field.name(), "name") || absl::StrContains(field.name(), "title") ||
          absl::StrContains(field.name(), "note") || absl::StrContains(field.name(), "reason"));
}

// Every column `element` may show: the curated ones, then its cell fields by name.
std::vector<Column> AvailableColumns(const Descriptor& element, bool wide, bool for_lookup) {
  std::vector<Column> columns;
  if (const TypeColumns* curated = CuratedFor(element); curated != nullptr) {
    for (const ColumnSpec& spec : curated->columns) {
      if (spec.wide && !wide && !for_lookup) continue;
      columns.push_back(
          {spec.key, spec.title, ResolvePath(element, spec.path), spec.show, spec.flexible});
    }
    if (!for_lookup) return columns;
  }
  for (int f = 0; f < element.field_count(); ++f) {
    const FieldDescriptor& field = *element.field(f);
    if (!IsSingleValueField(field)) continue;
    const std::string& name = field.name();
    if (!for_lookup && (name == "etag" || name == "create_time" || name == "update_time" ||
                        name == "request_id")) {
      continue;
    }
    columns.push_back(
        {name, absl::AsciiStrToUpper(name), {&field}, Show::kValue, IsFreeText(field)});
  }
  return columns;
}

// The column `key` names (a key or title of `available`, any case, or a field path).
std::optional<Column> FindColumn(const Descriptor& element, const std::vector<Column>& available,
                                 absl::string_view key) {
  std::string wanted(absl::StripPrefix(absl::StripAsciiWhitespace(key), "."));
  for (const Column& column : available) {
    if (absl::EqualsIgnoreCase(column.key, wanted) ||
        absl::EqualsIgnoreCase(column.title, wanted)) {
      return column;
    }
  }
  std::vector<const FieldDescriptor*> path = ResolvePath(element, absl::AsciiStrToLower(wanted));
  if (path.empty()) path = ResolvePath(element, wanted);
  if (path.empty()) return std::nullopt;
  return Column{wanted, absl::AsciiStrToUpper(wanted), path, Show::kValue,
                IsFreeText(*path.back())};
}

std::string KeysOf(const std::vector<Column>& columns) {
  std::vector<std::string> keys;
  for (const Column& column : columns) keys.push_back(column.key);
  return absl::StrJoin(keys, ", ");
}

// A sort key that orders numbers by value and dd/MM/yyyy dates by date.
struct SortKey {
  int kind = 2;  // 0 number, 1 date, 2 text (empty cells last)
  double number = 0;
  std::string text;
  bool operator<(const SortKey& other) const {
    if (kind != other.kind) return kind < other.kind;
    if (kind == 0) return number < other.number;
    return text < other.text;
  }
};

SortKey SortKeyOf(const std::string& cell) {
  SortKey key;
  double number;
  std::vector<std::string> date = absl::StrSplit(cell, '/');
  if (absl::SimpleAtod(cell, &number)) {
    key.kind = 0;
    key.number = number;
  } else if (date.size() == 3 && date[0].size() == 2 && date[1].size() == 2 &&
             date[2].size() == 4) {
    key.kind = 1;
    key.text = absl::StrCat(date[2], date[1], date[0]);
  } else {
    key.kind = cell.empty() ? 3 : 2;
    key.text = cell;
  }
  return key;
}

std::string Join(const std::vector<std::string>& parts, const std::vector<int>& widths,
                 const std::vector<bool>& right) {
  std::string line;
  for (size_t c = 0; c < parts.size(); ++c) {
    const std::string cell = TruncateToWidth(parts[c], widths[c]);
    const int pad = widths[c] - DisplayWidth(cell);
    if (c > 0) line += "  ";
    if (right[c]) {
      absl::StrAppend(&line, std::string(static_cast<size_t>(std::max(pad, 0)), ' '), cell);
    } else {
      absl::StrAppend(&line, cell, std::string(static_cast<size_t>(std::max(pad, 0)), ' '));
    }
  }
  absl::StripTrailingAsciiWhitespace(&line);
  return line;
}

}  // namespace

int OutputWidth() {
  struct winsize size = {};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  int columns = 0;
  const char* env = std::getenv("COLUMNS");
  if (env != nullptr && absl::SimpleAtoi(env, &columns) && columns > 0) return columns;
  return 0;
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& flexible, const std::vector<bool>& right,
                        int width) {
  const size_t n = header.size();
  std::vector<int> widths(n, 0);
  for (size_t c = 0; c < n; ++c) {
    widths[c] = DisplayWidth(header[c]);
    for (const auto& row : rows) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  if (width > 0) {
    auto total = [&] {
      return std::accumulate(widths.begin(), widths.end(), 0) + 2 * static_cast<int>(n - 1);
    };
    // The free-text columns give way first, the widest one column at a time, down to 10
    // (or their header); then any column, down to 3.
    for (const bool only_flexible : {true, false}) {
      while (total() > width) {
        int widest = -1;
        for (size_t c = 0; c < n; ++c) {
          if (only_flexible && !flexible[c]) continue;
          const int floor = only_flexible ? std::max(10, DisplayWidth(header[c])) : 3;
          if (widths[c] <= floor) continue;
          if (widest < 0 || widths[c] > widths[static_cast<size_t>(widest)]) {
            widest = static_cast<int>(c);
          }
        }
        if (widest < 0) break;
        --widths[static_cast<size_t>(widest)];
      }
    }
  }
  std::string out = Join(header, widths, std::vector<bool>(n, false)) + "\n";
  for (const auto& row : rows) absl::StrAppend(&out, Join(row, widths, right), "\n");
  return out;
}

absl::Status PrintListTable(const Message& response, const FieldDescriptor& list,
                            const TableOptions& options, std::ostream& out) {
  const Reflection* r = response.GetReflection();
  const int count = r->FieldSize(response, &list);
  const Descriptor& element = *list.message_type();
  const std::vector<Column> lookup = AvailableColumns(element, true, true);
  std::vector<Column> columns;
  if (!options.columns.empty()) {
    for (const std::string& key : options.columns) {
      std::optional<Column> column = FindColumn(element, lookup, key);
      if (!column.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("--columns: ", element.name(),
                                                       " has no column \"", key,
                                                       "\" (columns: ", KeysOf(lookup), ")"));
      }
      columns.push_back(*column);
    }
  } else {
    columns = AvailableColumns(element, options.wide, false);
  }
  std::optional<Column> sort_by;
  if (!options.sort_by.empty()) {
    sort_by = FindColumn(element, lookup, options.sort_by);
    if (!sort_by.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("--sort-by: ", element.name(),
                                                     " has no column \"", options.sort_by,
                                                     "\" (columns: ", KeysOf(lookup), ")"));
    }
  }
  if (count == 0) {
    out << "(no " << list.name() << ")\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows(static_cast<size_t>(count));
  std::vector<SortKey> keys(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const Message& row = r->GetRepeatedMessage(response, &list, i);
    for (const Column& column : columns) rows[i].push_back(Cell(row, column, options.names));
    if (sort_by.has_value()) keys[i] = SortKeyOf(Cell(row, *sort_by, options.names));
  }
  // Without --columns, a column empty in every row (e.g. no task has a category) is left out.
  if (options.columns.empty()) {
    for (size_t c = columns.size(); c-- > 0;) {
      const bool any =
          std::any_of(rows.begin(), rows.end(),
                      [c](const std::vector<std::string>& row) { return !row[c].empty(); });
      if (any) continue;
      columns.erase(columns.begin() + static_cast<std::ptrdiff_t>(c));
      for (auto& row : rows) row.erase(row.begin() + static_cast<std::ptrdiff_t>(c));
    }
  }
  if (sort_by.has_value()) {
    std::vector<size_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&keys](size_t a, size_t b) { return keys[a] < keys[b]; });
    std::vector<std::vector<std::string>> sorted;
    for (size_t i : order) sorted.push_back(std::move(rows[i]));
    rows = std::move(sorted);
  }
  std::vector<std::string> header;
  std::vector<bool> flexible, right;
  for (size_t c = 0; c < columns.size(); ++c) {
    header.push_back(columns[c].title);
    flexible.push_back(columns[c].flexible);
    const FieldDescriptor::CppType type = columns[c].path.empty()
                                              ? FieldDescriptor::CPPTYPE_STRING
                                              : columns[c].path.back()->cpp_type();
    right.push_back(
        type != FieldDescriptor::CPPTYPE_STRING && type != FieldDescriptor::CPPTYPE_ENUM &&
        type != FieldDescriptor::CPPTYPE_MESSAGE && type != FieldDescriptor::CPPTYPE_BOOL);
  }
  out << RenderTable(header, rows, flexible, right, options.width);
  return absl::OkStatus();
}

bool IsSummaryType(const Descriptor& type) {
  return type.full_name() == "d06.v1.GetSummaryResponse";
}

absl::Status PrintSummaryTable(const Message& summary, const TableOptions& options,
                               std::ostream& out) {
  const Descriptor& type = *summary.GetDescriptor();
  const Reflection* r = summary.GetReflection();
  auto text = [&](const Message& m, const char* field) {
    return FormatField(m, *m.GetDescriptor()->FindFieldByName(field));
  };
  // The report lines, as the report prints them above its table.
  out << text(summary, "unit") << "  " << text(summary, "display_name") << "  (as of "
      << text(summary, "as_of") << ")\n";
  for (const char* line : {"completed_line", "status_line"}) {
    if (text(summary, line).empty()) continue;
    out << (options.width > 0 ? absl::StrJoin(WrapToWidth(text(summary, line), options.width), "\n")
                              : text(summary, line))
        << "\n";
  }
  // The report's columns (server/core/exports.cc), then with -o wide the breakdowns and
  // the central form (of the tasks that came due).
  struct Count {
    const char* field;
    const char* title;
    bool wide;
  };
  static constexpr Count kCounts[] = {
      {"total", "TOTAL", false},
      {"completed", "DONE", false},
      {"completed_on_time", "ON_TIME", false},
      {"completed_late", "LATE", false},
      {"overdue", "OVERDUE", false},
      {"in_progress_on_time", "ONGOING", false},
      {"recurring", "RECUR", false},
      {"completed_percent", "DONE%", false},
      {"not_started", "NOT_STARTED", true},
      {"pending_acceptance", "PENDING", true},
      {"declined", "DECLINED", true},
      {"revoked", "REVOKED", true},
      {"urges", "URGES", true},
      {"due", "DUE", true},
      {"due_completed_on_time", "DUE_ON_TIME", true},
      {"due_completed_late", "DUE_LATE", true},
      {"due_not_completed_on_time", "DUE_OPEN", true},
      {"due_not_completed_overdue", "DUE_OVERDUE", true},
  };
  const FieldDescriptor* rows_field = type.FindFieldByName("rows");
  const FieldDescriptor* total_field = type.FindFieldByName("total");
  const int count = r->FieldSize(summary, rows_field);
  bool grouped = false;  // by category, directive or label: rows are groups, not units
  for (int i = 0; i < count; ++i) {
    if (!text(r->GetRepeatedMessage(summary, rows_field, i), "group").empty()) grouped = true;
  }
  std::vector<std::string> header = {grouped ? "GROUP" : "UNIT", "NAME"};
  std::vector<bool> flexible = {false, true}, right = {false, false};
  std::vector<const Count*> shown;
  for (const Count& c : kCounts) {
    if (c.wide && !options.wide) continue;
    shown.push_back(&c);
    header.push_back(c.title);
    flexible.push_back(false);
    right.push_back(true);
  }
  auto row_of = [&](const std::string& first, const std::string& name, const Message& counts) {
    std::vector<std::string> row = {first, name};
    for (const Count* c : shown) row.push_back(text(counts, c->field));
    return row;
  };
  std::vector<std::vector<std::string>> rows;
  std::vector<SortKey> keys;
  std::optional<size_t> sort_column;
  if (!options.sort_by.empty()) {
    for (size_t c = 0; c < header.size(); ++c) {
      if (absl::EqualsIgnoreCase(header[c], options.sort_by) ||
          (c >= 2 && absl::EqualsIgnoreCase(shown[c - 2]->field, options.sort_by))) {
        sort_column = c;
      }
    }
    if (!sort_column.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--sort-by: the summary has no column \"", options.sort_by,
                       "\" (columns: ", absl::StrJoin(header, ", "), ")"));
    }
  }
  for (int i = 0; i < count; ++i) {
    const Message& row = r->GetRepeatedMessage(summary, rows_field, i);
    const Message& counts =
        row.GetReflection()->GetMessage(row, row.GetDescriptor()->FindFieldByName("counts"));
    std::string name = text(row, "display_name");
    if (text(row, "own") == "true") name = absl::StrCat(name, " (own)");
    rows.push_back(
        row_of(grouped ? text(row, "group") : LastSegment(text(row, "unit")), name, counts));
  }
  if (sort_column.has_value()) {
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      return SortKeyOf(a[*sort_column]) < SortKeyOf(b[*sort_column]);
    });
  }
  rows.push_back(row_of("TOTAL", "", r->GetMessage(summary, total_field)));
  out << "\n" << RenderTable(header, rows, flexible, right, options.width);
  return absl::OkStatus();
}

}  // namespace d06::ctl
