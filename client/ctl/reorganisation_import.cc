#include "client/ctl/reorganisation_import.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/dates.h"
#include "common/unit_code.h"

namespace d06::ctl {
namespace {

enum class Action { kDefault, kMerge, kDissolve, kRename, kMove };

// Each column: its field and the names it is known by (folded with FoldKey).
const std::vector<std::pair<std::string, std::vector<std::string>>>& Columns() {
  static const auto* columns = new std::vector<std::pair<std::string, std::vector<std::string>>>{
      {"old_code", {"Mã cũ", "Mã đơn vị cũ", "Mã ĐVHC cũ", "Đơn vị cũ", "old code"}},
      {"new_code", {"Mã mới", "Mã đơn vị mới", "Mã ĐVHC mới", "Đơn vị mới", "new code"}},
      {"new_name", {"Tên mới", "Tên đơn vị mới", "new name"}},
      {"effective_date", {"Ngày hiệu lực", "Hiệu lực từ", "Có hiệu lực từ", "effective date"}},
      {"action", {"Hình thức", "Hình thức sắp xếp", "action"}},
      {"new_parent", {"Cấp trên mới", "Đơn vị cấp trên mới", "new parent"}},
      {"new_kind", {"Loại đơn vị mới", "Loại mới", "new kind"}},
      {"reason", {"Căn cứ", "Văn bản", "Quyết định", "reason"}},
  };
  return *columns;
}

// The field a header cell names, or "".
std::string FieldOf(absl::string_view cell) {
  const std::string key = FoldKey(cell);
  for (const auto& [field, names] : Columns()) {
    if (key == FoldKey(field)) return field;
    for (const std::string& name : names) {
      if (key == FoldKey(name)) return field;
    }
  }
  return "";
}

bool Ignored(absl::string_view cell) {
  const std::string key = FoldKey(cell);
  return key.empty() || key == "stt" || key == "tt" || key == "so thu tu" || key == "ghi chu";
}

std::optional<Action> ActionOf(absl::string_view word) {
  const std::string key = FoldKey(word);
  if (key.empty()) return Action::kDefault;
  if (key == "hop nhat" || key == "sap nhap" || key == "merge") return Action::kMerge;
  if (key == "giai the" || key == "dissolve") return Action::kDissolve;
  if (key == "doi ten" || key == "rename") return Action::kRename;
  if (key == "dieu chuyen" || key == "chuyen" || key == "move") return Action::kMove;
  return std::nullopt;
}

std::string Quoted(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

// One data row, read.
struct Row {
  int row = 0;
  std::string old_code, new_code, new_name, new_parent, reason;
  v1::Date effective;
  v1::UnitKind new_kind = v1::UNIT_KIND_UNSPECIFIED;
  Action action = Action::kDefault;
};

// Reads the cells of one record; errors go to `errors`.
class RowReader {
 public:
  RowReader(const CsvRecord& record, const std::map<std::string, int>& index,
            const std::vector<std::string>& header_cells, std::vector<RowError>* errors)
      : record_(record), index_(index), header_cells_(header_cells), errors_(errors) {}

  std::string Get(const std::string& field) const {
    auto it = index_.find(field);
    if (it == index_.end() || it->second >= static_cast<int>(record_.cells.size())) return "";
    return std::string(absl::StripAsciiWhitespace(record_.cells[it->second]));
  }
  void Error(const std::string& field, const std::string& message) {
    errors_->push_back({record_.row, Column(field), message});
  }
  // A unit code ("H29.01" or "units/H29.01", lower case accepted); "" after an error.
  std::string Code(const std::string& field, bool required) {
    const std::string text = Get(field);
    absl::string_view code = text;
    absl::ConsumePrefix(&code, "units/");
    const std::string upper = absl::AsciiStrToUpper(code);
    if (upper.empty()) {
      if (required) Error(field, "is required");
      return "";
    }
    if (CheckUnitCode(upper) != UnitCodeProblem::kNone) {
      Error(field,
            absl::StrCat(Quoted(text), " is not a unit code (0-9, A-Z and dots; e.g. \"H29.01\")"));
      return "";
    }
    return upper;
  }

 private:
  std::string Column(const std::string& field) const {
    auto it = index_.find(field);
    if (it == index_.end() || it->second >= static_cast<int>(header_cells_.size())) return field;
    return header_cells_[it->second];
  }

  const CsvRecord& record_;
  const std::map<std::string, int>& index_;
  const std::vector<std::string>& header_cells_;
  std::vector<RowError>* errors_;
};

// Units read from the server once each.
class Units {
 public:
  explicit Units(const UnitLookup& lookup) : lookup_(lookup) {}

  absl::StatusOr<std::optional<v1::Unit>> Get(const std::string& code) {
    auto it = cache_.find(code);
    if (it == cache_.end()) {
      absl::StatusOr<std::optional<v1::Unit>> unit = lookup_(code);
      if (!unit.ok()) return unit.status();
      it = cache_.emplace(code, *std::move(unit)).first;
    }
    return it->second;
  }

  // How deep the unit is (a root: 0), for the order of application.
  absl::StatusOr<int> Depth(const std::string& code) {
    int depth = 0;
    std::string at = code;
    while (depth < 16) {
      absl::StatusOr<std::optional<v1::Unit>> unit = Get(at);
      if (!unit.ok()) return unit.status();
      if (!*unit || (*unit)->parent().empty()) break;
      at = std::string(absl::StripPrefix((*unit)->parent(), "units/"));
      ++depth;
    }
    return depth;
  }

 private:
  const UnitLookup& lookup_;
  std::map<std::string, std::optional<v1::Unit>> cache_;
};

std::string UnitName(const std::string& code) { return absl::StrCat("units/", code); }

}  // namespace

absl::StatusOr<ParsedReorganisation> ParseReorganisationCsv(absl::string_view file,
                                                            const CsvOptions& options,
                                                            const UnitLookup& lookup) {
  ParsedReorganisation out;
  absl::StatusOr<CsvTable> csv = ReadCsv(file, options.delimiter);
  if (!csv.ok()) {
    out.errors.push_back({0, "", std::string(csv.status().message())});
    return out;
  }
  // The header: the given row, or the first of the top rows naming the most columns;
  // with the delimiter detected, the one that finds the best header (a title row above
  // the header may have suggested another).
  auto find_header = [&](const CsvTable& table) -> std::pair<size_t, int> {
    std::pair<size_t, int> best = {table.records.size(), 0};
    for (size_t i = 0; i < table.records.size() && i < static_cast<size_t>(kHeaderSearchRows);
         ++i) {
      if (options.header_row > 0) {
        if (table.records[i].row == options.header_row) return {i, 1};
        continue;
      }
      const int known = static_cast<int>(
          std::count_if(table.records[i].cells.begin(), table.records[i].cells.end(),
                        [](const std::string& cell) { return !FieldOf(cell).empty(); }));
      if (known > best.second) best = {i, known};
    }
    return best;
  };
  auto [header, best] = find_header(*csv);
  if (options.delimiter == 0) {
    for (char other : {',', ';', '\t'}) {
      if (other == csv->delimiter) continue;
      absl::StatusOr<CsvTable> retry = ReadCsv(file, other);
      if (!retry.ok()) continue;
      if (auto [i, n] = find_header(*retry); n > best) {
        csv = *std::move(retry);
        header = i;
        best = n;
      }
    }
  }
  if (header == csv->records.size()) {
    out.errors.push_back(
        {0, "",
         "cannot find the header row: no row names a column. The header is the row of "
         "column names, e.g. \"Mã cũ\", \"Mã mới\", \"Tên mới\", \"Ngày hiệu lực\""});
    return out;
  }
  out.header_row = csv->records[header].row;
  std::map<std::string, int> index;
  std::vector<std::string> header_cells;
  for (size_t c = 0; c < csv->records[header].cells.size(); ++c) {
    const std::string cell(absl::StripAsciiWhitespace(csv->records[header].cells[c]));
    header_cells.push_back(cell);
    const std::string field = FieldOf(cell);
    if (!field.empty()) {
      index.emplace(field, static_cast<int>(c));
    } else if (!Ignored(cell)) {
      const std::string message = absl::StrCat("unknown column ", Quoted(cell));
      if (options.ignore_unknown_columns) {
        out.warnings.push_back(message);
      } else {
        out.errors.push_back(
            {out.header_row, cell, absl::StrCat(message, " (or give --ignore-unknown-columns)")});
      }
    }
  }
  for (const auto& [field, names] : Columns()) {
    const bool required = field == "old_code" || field == "new_code" || field == "effective_date";
    if (required && !index.count(field)) {
      out.errors.push_back(
          {out.header_row, "", absl::StrCat("missing column ", Quoted(names.front()))});
    }
  }
  if (!out.errors.empty() && out.errors.front().row == out.header_row) return out;

  // The rows.
  std::vector<Row> rows;
  for (size_t k = header + 1; k < csv->records.size(); ++k) {
    const CsvRecord& record = csv->records[k];
    ++out.data_rows;
    RowReader r(record, index, header_cells, &out.errors);
    const size_t errors_before = out.errors.size();
    Row row;
    row.row = record.row;
    row.old_code = r.Code("old_code", true);
    row.new_code = r.Code("new_code", true);
    row.new_parent = r.Code("new_parent", false);
    row.new_name = r.Get("new_name");
    row.reason = r.Get("reason");
    const std::string date = r.Get("effective_date");
    if (date.empty()) {
      r.Error("effective_date", "is required");
    } else if (std::optional<v1::Date> d = ParseDateVn(date)) {
      row.effective = *d;
    } else {
      r.Error("effective_date", absl::StrCat(Quoted(date), " is not a date (dd/MM/yyyy)"));
    }
    if (std::optional<Action> action = ActionOf(r.Get("action"))) {
      row.action = *action;
    } else {
      r.Error("action", absl::StrCat(Quoted(r.Get("action")),
                                     " is not one of: Hợp nhất, Sáp nhập, Giải thể, Đổi tên, "
                                     "Điều chuyển"));
    }
    if (const std::string kind = r.Get("new_kind"); !kind.empty()) {
      row.new_kind = UnitKindOfWord(kind);
      if (row.new_kind == v1::UNIT_KIND_UNSPECIFIED) {
        r.Error("new_kind", absl::StrCat(Quoted(kind),
                                         " is not a unit kind (e.g. Tỉnh, Xã, "
                                         "Phường, Sở)"));
      }
    }
    const bool same = !row.old_code.empty() && row.old_code == row.new_code;
    if (same && (row.action == Action::kMerge || row.action == Action::kDissolve)) {
      r.Error("new_code", "a unit cannot be merged into or dissolved to itself");
    }
    if (!same && (row.action == Action::kRename || row.action == Action::kMove)) {
      r.Error("new_code", "a rename or a move keeps the unit's code: give the same code");
    }
    if (out.errors.size() == errors_before) rows.push_back(std::move(row));
  }

  // Against the server.
  auto column = [&](const std::string& field) {
    auto it = index.find(field);
    return it == index.end() ? field : header_cells[it->second];
  };
  Units units(lookup);
  auto need = [&](const Row& row, const std::string& field,
                  const std::string& code) -> absl::StatusOr<std::optional<v1::Unit>> {
    absl::StatusOr<std::optional<v1::Unit>> unit = units.Get(code);
    if (unit.ok() && !*unit) {
      out.errors.push_back(
          {row.row, column(field), absl::StrCat("unit ", code, " does not exist")});
    }
    return unit;
  };
  struct Group {
    std::vector<const Row*> rows;
  };
  std::map<std::pair<std::string, std::string>, Group> merges;  // (new code, date)
  std::vector<std::pair<int, ReorganisationStep>> ordered;      // (depth, step)
  std::vector<ReorganisationStep> moves, renames;
  for (const Row& row : rows) {
    absl::StatusOr<std::optional<v1::Unit>> old_unit = need(row, "old_code", row.old_code);
    if (!old_unit.ok()) return old_unit.status();
    if (!*old_unit) continue;
    if (!row.new_parent.empty()) {
      absl::StatusOr<std::optional<v1::Unit>> parent = need(row, "new_parent", row.new_parent);
      if (!parent.ok()) return parent.status();
    }
    const v1::Unit& old = **old_unit;
    auto ended = [&](const std::string& what) {
      out.errors.push_back(
          {row.row, column("old_code"),
           absl::StrCat("unit ", row.old_code, " is ", v1::UnitState_Name(old.state()),
                        old.successor().empty() ? "" : " into " + old.successor(),
                        ": it cannot be ", what)});
    };
    if (row.old_code == row.new_code) {
      if (old.state() != v1::UNIT_STATE_ACTIVE) {
        ended("renamed or moved");
        continue;
      }
      if (!row.new_parent.empty()) {
        auto request = std::make_shared<v1::MoveUnitRequest>();
        request->set_name(old.name());
        request->set_new_parent(UnitName(row.new_parent));
        *request->mutable_effective_date() = row.effective;
        request->set_reason(row.reason);
        request->set_request_id(RequestIdFor("imp-r-", *request, 1));
        moves.push_back({{row.row},
                         request,
                         absl::StrCat("move ", old.name(), " below ", UnitName(row.new_parent)),
                         old.parent() == UnitName(row.new_parent)});
      }
      if (!row.new_name.empty()) {
        auto request = std::make_shared<v1::RenameUnitRequest>();
        request->set_name(old.name());
        request->set_display_name(row.new_name);
        *request->mutable_effective_date() = row.effective;
        request->set_reason(row.reason);
        request->set_request_id(RequestIdFor("imp-r-", *request, 1));
        renames.push_back({{row.row},
                           request,
                           absl::StrCat("rename ", old.name(), " to ", Quoted(row.new_name)),
                           old.display_name() == row.new_name});
      }
      if (row.new_parent.empty() && row.new_name.empty()) {
        out.warnings.push_back(absl::StrCat("row ", row.row, ": ", old.name(),
                                            " keeps its code, and no new name or parent is "
                                            "given: nothing to do"));
      }
      continue;
    }
    if (row.action == Action::kDissolve) {
      absl::StatusOr<std::optional<v1::Unit>> successor = need(row, "new_code", row.new_code);
      if (!successor.ok()) return successor.status();
      if (!*successor) continue;
      auto request = std::make_shared<v1::DissolveUnitRequest>();
      request->set_name(old.name());
      request->set_successor(UnitName(row.new_code));
      if (!row.new_parent.empty()) request->set_children_parent(UnitName(row.new_parent));
      *request->mutable_effective_date() = row.effective;
      request->set_reason(row.reason);
      request->set_request_id(RequestIdFor("imp-r-", *request, 1));
      const bool done =
          old.state() == v1::UNIT_STATE_DISSOLVED && old.successor() == UnitName(row.new_code);
      if (!done && old.state() != v1::UNIT_STATE_ACTIVE) {
        ended("dissolved");
        continue;
      }
      absl::StatusOr<int> depth = units.Depth(row.old_code);
      if (!depth.ok()) return depth.status();
      ordered.push_back(
          {*depth,
           {{row.row},
            request,
            absl::StrCat("dissolve ", old.name(), ", its work to ", UnitName(row.new_code)),
            done}});
      continue;
    }
    if (old.state() != v1::UNIT_STATE_ACTIVE &&
        !(old.state() == v1::UNIT_STATE_MERGED && old.successor() == UnitName(row.new_code))) {
      ended("merged");
      continue;
    }
    merges[{row.new_code, FormatDate(row.effective)}].rows.push_back(&row);
  }
  for (auto& [key, group] : merges) {
    const std::string& code = key.first;
    const Row& first = *group.rows.front();
    absl::StatusOr<std::optional<v1::Unit>> successor = units.Get(code);
    if (!successor.ok()) return successor.status();
    auto request = std::make_shared<v1::MergeUnitsRequest>();
    ReorganisationStep step;
    int depth = 0;
    bool done = true;
    std::vector<std::string> names;
    for (const Row* row : group.rows) {
      step.rows.push_back(row->row);
      absl::StatusOr<std::optional<v1::Unit>> old = units.Get(row->old_code);
      if (!old.ok()) return old.status();
      const bool merged =
          (*old)->state() == v1::UNIT_STATE_MERGED && (*old)->successor() == UnitName(code);
      done = done && merged;
      if (merged) continue;
      request->add_names((*old)->name());
      names.push_back((*old)->name());
      absl::StatusOr<int> d = units.Depth(row->old_code);
      if (!d.ok()) return d.status();
      depth = std::max(depth, *d);
    }
    if (*successor) {
      request->set_successor(UnitName(code));
    } else {
      const Row* named = nullptr;
      for (const Row* row : group.rows) {
        if (!row->new_name.empty()) named = row;
      }
      if (named == nullptr) {
        out.errors.push_back({first.row, column("new_name"),
                              absl::StrCat("unit ", code,
                                           " does not exist yet: give its name (Tên mới) to "
                                           "create it")});
        continue;
      }
      absl::StatusOr<std::optional<v1::Unit>> model = units.Get(first.old_code);
      if (!model.ok()) return model.status();
      v1::Unit* fresh = request->mutable_new_successor();
      fresh->set_code(code);
      fresh->set_display_name(named->new_name);
      fresh->set_kind(named->new_kind != v1::UNIT_KIND_UNSPECIFIED ? named->new_kind
                                                                   : (*model)->kind());
      fresh->set_parent(named->new_parent.empty() ? (*model)->parent()
                                                  : UnitName(named->new_parent));
    }
    *request->mutable_effective_date() = first.effective;
    request->set_reason(first.reason);
    request->set_request_id(RequestIdFor("imp-r-", *request, 1));
    step.request = request;
    step.done = done;
    step.description = absl::StrCat(
        "merge ", absl::StrJoin(names, ", "), " into ", UnitName(code),
        *successor ? ""
                   : absl::StrCat(" (new: ", Quoted(request->new_successor().display_name()), ")"));
    ordered.push_back({depth, std::move(step)});
  }
  if (!out.errors.empty()) {
    std::stable_sort(out.errors.begin(), out.errors.end(),
                     [](const RowError& a, const RowError& b) { return a.row < b.row; });
    return out;
  }
  // The deepest units first; then moves, then renames; each in file order.
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second.rows.front() < b.second.rows.front();
  });
  for (auto& [depth, step] : ordered) out.steps.push_back(std::move(step));
  for (auto* list : {&moves, &renames}) {
    for (ReorganisationStep& step : *list) out.steps.push_back(std::move(step));
  }
  return out;
}

}  // namespace d06::ctl
