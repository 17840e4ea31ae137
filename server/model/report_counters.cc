#include "server/model/report_counters.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/domain/dates.h"
#include "server/domain/periods.h"
#include "server/domain/state_machine.h"
#include "server/domain/timeliness.h"
#include "server/model/schema.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

// Staged deltas are kept in Txn::sums() under this prefix followed by the row key.
constexpr char kSumPrefix[] = "report\n";
// Every report row starts with it.
constexpr char kRowsPrefix[] = "rc";
// The version suffix of the pointer to the newest version.
constexpr uint64_t kNewest = 0;

std::string GroupPrefix(absl::string_view unit_code, uint8_t relation, GroupKind kind) {
  std::string key = kRowsPrefix;
  keys::PutString(&key, unit_code);
  keys::PutU8(&key, relation);
  keys::PutU8(&key, static_cast<uint8_t>(kind));
  return key;
}

std::string RowSuffix(GroupKind kind, absl::string_view group, ReportClass report_class,
                      uint64_t deadline_key) {
  std::string suffix;
  if (kind != GroupKind::kNone) keys::PutString(&suffix, group);
  keys::PutU8(&suffix, static_cast<uint8_t>(report_class));
  keys::PutU64(&suffix, deadline_key);
  return suffix;
}

std::string Version(uint64_t v) {
  std::string suffix;
  keys::PutU64(&suffix, v);
  return suffix;
}

uint64_t VersionOfDay(int64_t day_number) { return ~static_cast<uint64_t>(day_number); }

// A closed day's count: i64.
std::string EncodeCount(int64_t count) {
  std::string value;
  keys::PutU64(&value, static_cast<uint64_t>(count));
  return value;
}

absl::StatusOr<int64_t> DecodeCount(absl::string_view value) {
  uint64_t v;
  if (!keys::GetU64(&value, &v) || !value.empty()) {
    return absl::DataLossError("a report counter is malformed");
  }
  return static_cast<int64_t>(v);
}

// The row's first key: its newest count and the day of its last change.
struct Newest {
  int64_t day;
  int64_t count;
};

std::string EncodeNewest(const Newest& newest) {
  std::string value;
  keys::PutU64(&value, static_cast<uint64_t>(newest.day));
  value += EncodeCount(newest.count);
  return value;
}

absl::StatusOr<Newest> DecodeNewest(absl::string_view value) {
  uint64_t day;
  if (!keys::GetU64(&value, &day)) return absl::DataLossError("a report counter is malformed");
  ASSIGN_OR_RETURN(int64_t count, DecodeCount(value));
  return Newest{static_cast<int64_t>(day), count};
}

// The groups a task counts in: ungrouped, its category, its directive, each label.
std::vector<std::pair<GroupKind, std::string>> Groups(const v1::Task& task) {
  std::vector<std::pair<GroupKind, std::string>> groups = {
      {GroupKind::kNone, ""},
      {GroupKind::kCategory, task.category()},
      {GroupKind::kDirective, task.directive().number()}};
  for (const std::string& label : task.labels()) groups.emplace_back(GroupKind::kLabel, label);
  return groups;
}

// What `a` counts as, if anything.
std::optional<std::pair<ReportClass, uint64_t>> Contribution(const v1::Task& task,
                                                             const v1::Assignment& a) {
  // A lead another lead took over from counts nowhere: the task counts through that one.
  // A transferred one neither: its continuation at the successor counts.
  if (a.role() != v1::ASSIGNMENT_ROLE_LEAD || !a.replaced_by().empty() ||
      a.state() == v1::ASSIGNMENT_STATE_TRANSFERRED) {
    return std::nullopt;
  }
  const uint64_t deadline = DeadlineKeyOf(a.deadline());
  switch (a.state()) {
    case v1::ASSIGNMENT_STATE_DECLINED:
      return std::make_pair(ReportClass::kDeclined, deadline);
    case v1::ASSIGNMENT_STATE_REVOKED:
      return std::make_pair(ReportClass::kRevoked, deadline);
    default:
      break;
  }
  if (task.kind() == v1::TASK_KIND_RECURRING) {
    // Keyed by the last day of the first period not reported on: a report as of a later
    // date counts the task as missing a period report.
    if (!IsOpen(a.state())) return std::make_pair(ReportClass::kRecurring, keys::kNoDeadline);
    return std::make_pair(ReportClass::kRecurring,
                          keys::DeadlineKey(DayNumber(FirstUnreportedPeriod(a).end)));
  }
  switch (a.state()) {
    case v1::ASSIGNMENT_STATE_NOT_STARTED:
      return std::make_pair(ReportClass::kNotStarted, deadline);
    case v1::ASSIGNMENT_STATE_IN_PROGRESS:
      return std::make_pair(ReportClass::kInProgress, deadline);
    case v1::ASSIGNMENT_STATE_PENDING_ACCEPTANCE:
      return std::make_pair(ReportClass::kPendingAcceptance, deadline);
    case v1::ASSIGNMENT_STATE_COMPLETED: {
      const TimelinessInput in = TimelinessInputOf(a);
      const bool late = ComputeTimeliness(in, absl::CivilDay(), 0) == v1::TIMELINESS_COMPLETED_LATE;
      return std::make_pair(late ? ReportClass::kCompletedLate : ReportClass::kCompletedOnTime,
                            DeadlineKeyOf(in.deadline));
    }
    default:
      return std::nullopt;
  }
}

// Adds `delta` to every row (its key without the version) a task of `task`'s groups
// counts in with `report_class` and `deadline_key`, for each unit of `ancestry`, in
// `sums` under `key_prefix`.
void AddToRows(std::map<std::string, int64_t>& sums, absl::string_view key_prefix,
               const v1::Task& task, const std::vector<std::string>& ancestry,
               ReportClass report_class, uint64_t deadline_key, int64_t delta) {
  for (const auto& [kind, group] : Groups(task)) {
    const std::string row = RowSuffix(kind, group, report_class, deadline_key);
    for (size_t i = 0; i < ancestry.size(); ++i) {
      sums[absl::StrCat(key_prefix, GroupPrefix(ancestry[i], i == 0 ? 0 : 1, kind), row)] += delta;
    }
  }
}

void Stage(Txn& txn, const v1::Task& task, const std::vector<std::string>& ancestry,
           ReportClass report_class, uint64_t deadline_key, int64_t delta) {
  AddToRows(txn.sums(), kSumPrefix, task, ancestry, report_class, deadline_key, delta);
}

}  // namespace

bool GroupsDiffer(const v1::Task& a, const v1::Task& b) { return Groups(a) != Groups(b); }

void StageLeadChange(Txn& txn, const v1::Task& task_before, const v1::Task& task_after,
                     const v1::Assignment* before, const v1::Assignment& after,
                     const std::vector<std::string>& ancestry) {
  auto was = before ? Contribution(task_before, *before) : std::nullopt;
  auto is = Contribution(task_after, after);
  if (was == is && !GroupsDiffer(task_before, task_after)) return;
  if (was) Stage(txn, task_before, ancestry, was->first, was->second, -1);
  if (is) Stage(txn, task_after, ancestry, is->first, is->second, +1);
}

void StageUrge(Txn& txn, const v1::Task& task, const std::vector<std::string>& ancestry) {
  Stage(txn, task, ancestry, ReportClass::kUrges, keys::kNoDeadline, +1);
}

absl::Status FlushReportCounters(Txn& txn, int64_t day_number) {
  const absl::string_view prefix = kSumPrefix;
  auto& sums = txn.sums();
  for (auto it = sums.lower_bound(std::string(prefix));
       it != sums.end() && absl::string_view(it->first).substr(0, prefix.size()) == prefix;
       it = sums.erase(it)) {
    if (it->second == 0) continue;
    const std::string row = it->first.substr(prefix.size());
    Newest next{day_number, it->second};
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     txn.reader().Get(Cf::kIndexes, row + Version(kNewest)));
    if (stored) {
      ASSIGN_OR_RETURN(Newest newest, DecodeNewest(*stored));
      if (newest.day < next.day) {
        // The first change of a day closes the newest one: its count becomes that day's
        // version. (A clock set back keeps counting under the newest day.)
        txn.Put(Cf::kIndexes, row + Version(VersionOfDay(newest.day)), EncodeCount(newest.count));
      }
      next.day = std::max(next.day, newest.day);
      next.count += newest.count;
    }
    txn.Put(Cf::kIndexes, row + Version(kNewest), EncodeNewest(next));
  }
  return absl::OkStatus();
}

namespace {

// A row's counts by day: each entry holds from its day until the next one's, ascending.
using Series = std::map<int64_t, int64_t>;

int64_t ValueAt(const Series& series, int64_t day) {
  auto it = series.upper_bound(day);
  return it == series.begin() ? 0 : std::prev(it)->second;
}

// Adds one version (`version`, `value` as stored) of a row to its series.
absl::Status AddVersion(uint64_t version, absl::string_view value, Series* series) {
  if (version == kNewest) {
    ASSIGN_OR_RETURN(Newest newest, DecodeNewest(value));
    (*series)[newest.day] = newest.count;
  } else {
    ASSIGN_OR_RETURN(int64_t count, DecodeCount(value));
    (*series)[static_cast<int64_t>(~version)] = count;
  }
  return absl::OkStatus();
}

absl::StatusOr<Series> ReadSeries(const ReadView& view, const std::string& row) {
  Series series;
  absl::Status error;
  RETURN_IF_ERROR(view.ScanPrefix(Cf::kIndexes, row, "",
                                  [&](absl::string_view suffix, absl::string_view value) {
                                    uint64_t version;
                                    if (!keys::GetU64(&suffix, &version) || !suffix.empty()) {
                                      error = absl::DataLossError("a report counter is malformed");
                                      return false;
                                    }
                                    error = AddVersion(version, value, &series);
                                    return error.ok();
                                  }));
  RETURN_IF_ERROR(error);
  return series;
}

// `a` plus `sign` times `b` on every day from `from_day` on (`a` alone before): an entry
// on each day the sum changes.
Series Sum(const Series& a, int sign, const Series& b, int64_t from_day) {
  Series sum(a.begin(), a.lower_bound(from_day));
  std::vector<int64_t> days = {from_day};
  for (const Series* s : {&a, &b}) {
    for (auto it = s->lower_bound(from_day); it != s->end(); ++it) days.push_back(it->first);
  }
  std::sort(days.begin(), days.end());
  for (int64_t day : days) {
    const int64_t count = ValueAt(a, day) + sign * ValueAt(b, day);
    if (count != ValueAt(sum, day)) sum[day] = count;
  }
  return sum;
}

// Adds `sign` times `delta`'s counts to the row's counts of every day from `from_day` on,
// rewriting the row's versions (one per day on which its count changes).
absl::Status AddSeries(Txn& txn, const std::string& row, int sign, const Series& delta,
                       int64_t from_day) {
  ASSIGN_OR_RETURN(Series old, ReadSeries(txn.reader(), row));
  const Series updated = Sum(old, sign, delta, from_day);
  for (const auto& [day, count] : old) {
    txn.Delete(Cf::kIndexes,
               row + Version(day == old.rbegin()->first ? kNewest : VersionOfDay(day)));
  }
  for (auto it = updated.begin(); it != updated.end(); ++it) {
    if (std::next(it) == updated.end()) {
      txn.Put(Cf::kIndexes, row + Version(kNewest), EncodeNewest({it->first, it->second}));
    } else {
      txn.Put(Cf::kIndexes, row + Version(VersionOfDay(it->first)), EncodeCount(it->second));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, CountChanges::Series>> CountChanges::ReadRows(
    const ReadView& view, const std::string& prefix) {
  std::map<std::string, Series> rows;
  absl::Status error;
  RETURN_IF_ERROR(view.ScanPrefix(
      Cf::kIndexes, prefix, "", [&](absl::string_view suffix, absl::string_view value) {
        absl::string_view tail = suffix.size() >= 9 ? suffix.substr(suffix.size() - 8) : "";
        uint64_t version;
        if (tail.empty() || !keys::GetU64(&tail, &version)) {
          error = absl::DataLossError("a report counter is malformed");
          return false;
        }
        error = AddVersion(version, value, &rows[std::string(suffix.substr(0, suffix.size() - 8))]);
        return error.ok();
      }));
  RETURN_IF_ERROR(error);
  return rows;
}

void CountChanges::Add(const std::string& row, int sign, const Series& series) {
  Series& sum = rows_[row];
  sum = Sum(sum, sign, series, std::numeric_limits<int64_t>::min());
}

absl::Status CountChanges::MoveSubtree(const ReadView& view, const std::string& unit,
                                       const std::vector<std::string>& from_units,
                                       const std::vector<std::string>& to_units) {
  std::string prefix = kRowsPrefix;
  keys::PutString(&prefix, unit);
  ASSIGN_OR_RETURN(auto each, ReadRows(view, prefix));
  // The subtree's counts by row without its unit and relation (the group, class and
  // deadline): the unit's own (relation 0) and those below it (1) together.
  std::map<std::string, Series> rows;
  for (const auto& [suffix, series] : each) {
    Series& sum = rows[suffix.substr(1)];  // past the relation byte
    sum = Sum(sum, +1, series, std::numeric_limits<int64_t>::min());
  }
  for (const auto& [rest, series] : rows) {
    for (const auto& [units, sign] : {std::pair(&from_units, -1), std::pair(&to_units, +1)}) {
      for (const std::string& target : *units) {
        std::string row = kRowsPrefix;
        keys::PutString(&row, target);
        keys::PutU8(&row, 1);
        Add(row + rest, sign, series);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CountChanges::MoveOwn(const ReadView& view, const std::string& unit,
                                   const std::string& successor,
                                   const std::vector<std::string>& from_units,
                                   const std::vector<std::string>& to_units) {
  std::string prefix = kRowsPrefix;
  keys::PutString(&prefix, unit);
  keys::PutU8(&prefix, 0);
  ASSIGN_OR_RETURN(auto own, ReadRows(view, prefix));
  auto row_of = [](const std::string& code, uint8_t relation, const std::string& rest) {
    std::string row = kRowsPrefix;
    keys::PutString(&row, code);
    keys::PutU8(&row, relation);
    return row + rest;
  };
  for (const auto& [rest, series] : own) {
    Add(row_of(unit, 0, rest), -1, series);
    Add(row_of(successor, 0, rest), +1, series);
    for (const std::string& target : from_units) Add(row_of(target, 1, rest), -1, series);
    for (const std::string& target : to_units) Add(row_of(target, 1, rest), +1, series);
  }
  return absl::OkStatus();
}

void CountChanges::TakeStaged(Txn& txn, int64_t day_number) {
  const absl::string_view prefix = kSumPrefix;
  auto& sums = txn.sums();
  for (auto it = sums.lower_bound(std::string(prefix));
       it != sums.end() && absl::string_view(it->first).substr(0, prefix.size()) == prefix;
       it = sums.erase(it)) {
    if (it->second != 0) Add(it->first.substr(prefix.size()), +1, {{day_number, it->second}});
  }
}

absl::Status CountChanges::Write(Txn& txn) const {
  for (const auto& [row, series] : rows_) {
    if (std::all_of(series.begin(), series.end(), [](const auto& e) { return e.second == 0; })) {
      continue;
    }
    RETURN_IF_ERROR(AddSeries(txn, row, +1, series, from_day_));
  }
  return absl::OkStatus();
}

void CountLead(const v1::Task& task, const v1::Assignment& a,
               const std::vector<std::string>& ancestry, std::map<std::string, int64_t>* rows) {
  if (auto is = Contribution(task, a)) {
    AddToRows(*rows, "", task, ancestry, is->first, is->second, +1);
  }
}

absl::Status ScanReportCounts(
    const ReadView& view, int64_t day_number,
    const std::function<void(const std::string& row, int64_t count)>& fn) {
  std::string row;  // the row being read
  bool counted = false;
  Newest newest{0, 0};
  const uint64_t as_of = VersionOfDay(day_number);
  absl::Status error;
  RETURN_IF_ERROR(view.ScanPrefix(
      Cf::kIndexes, kRowsPrefix, "", [&](absl::string_view suffix, absl::string_view value) {
        uint64_t version;
        absl::string_view tail = suffix.size() >= 8 ? suffix.substr(suffix.size() - 8) : "";
        if (suffix.size() < 9 + 8 || !keys::GetU64(&tail, &version)) {
          error = absl::DataLossError("a report row is malformed");
          return false;
        }
        const absl::string_view this_row = suffix.substr(0, suffix.size() - 8);
        // The class byte precedes the deadline key; urges are not recounted.
        const bool urges = static_cast<uint8_t>(this_row[this_row.size() - 9]) ==
                           static_cast<uint8_t>(ReportClass::kUrges);
        if (version == kNewest) {
          row = absl::StrCat(kRowsPrefix, this_row);
          counted = false;
          absl::StatusOr<Newest> decoded = DecodeNewest(value);
          if (!decoded.ok()) {
            error = decoded.status();
            return false;
          }
          newest = *decoded;
          if (newest.day <= day_number) {
            counted = true;
            if (!urges) fn(row, newest.count);
          }
          return true;
        }
        // A closed day's version, newest first: the first on or before the day counts.
        if (counted || version < as_of || row.substr(2) != this_row) return true;
        counted = true;
        absl::StatusOr<int64_t> count = DecodeCount(value);
        if (!count.ok()) {
          error = count.status();
          return false;
        }
        if (!urges) fn(row, *count);
        return true;
      }));
  return error;
}

std::string DescribeReportRow(absl::string_view row) {
  absl::string_view in = row;
  std::string unit, group;
  uint8_t relation = 0, kind = 0, report_class = 0;
  uint64_t deadline = 0;
  if (!absl::ConsumePrefix(&in, kRowsPrefix) || !keys::GetString(&in, &unit) ||
      !keys::GetU8(&in, &relation) || !keys::GetU8(&in, &kind) ||
      (kind != 0 && !keys::GetString(&in, &group)) || !keys::GetU8(&in, &report_class) ||
      !keys::GetU64(&in, &deadline)) {
    return "a malformed report row";
  }
  return absl::StrCat("units/", unit, relation == 0 ? " (own)" : " (below)", " group ",
                      static_cast<int>(kind), " '", group, "' class ",
                      static_cast<int>(report_class), " deadline key ", deadline);
}

ReportReader::ReportReader(const ReadView& view, int64_t day_number)
    : day_number_(day_number), cursor_(view.NewPrefixCursor(Cf::kIndexes, kRowsPrefix)) {}

absl::StatusOr<std::vector<ReportRow>> ReportReader::Rows(const std::string& unit_code,
                                                          uint8_t relation, GroupKind kind) {
  std::vector<ReportRow> rows;
  // Changes are stamped with the server's clock: nothing was counted before 1970.
  if (day_number_ < 0) return rows;
  // Keys below are suffixes after kRowsPrefix.
  const std::string group = GroupPrefix(unit_code, relation, kind).substr(2);
  const uint64_t as_of = VersionOfDay(day_number_);
  RETURN_IF_ERROR(cursor_->Seek(group));
  while (cursor_->Valid() && absl::StartsWith(cursor_->suffix(), group)) {
    // Rows start with their pointer to the newest version: (u64 day, i64 count).
    absl::string_view in = cursor_->suffix().substr(group.size());
    ReportRow row;
    uint8_t report_class;
    uint64_t version;
    if ((kind != GroupKind::kNone && !keys::GetString(&in, &row.group)) ||
        !keys::GetU8(&in, &report_class) || !keys::GetU64(&in, &row.deadline_key) ||
        !keys::GetU64(&in, &version) || !in.empty() || version != kNewest) {
      return absl::DataLossError("a report row is malformed");
    }
    ASSIGN_OR_RETURN(Newest newest, DecodeNewest(cursor_->value()));
    row.report_class = static_cast<ReportClass>(report_class);
    const absl::string_view suffix = cursor_->suffix();
    const std::string row_suffix(suffix.substr(0, suffix.size() - 8));
    if (newest.day <= day_number_) {
      row.count = newest.count;
    } else {
      // Changed after the day: the newest closed day on or before it, if any.
      row.count = 0;
      RETURN_IF_ERROR(cursor_->Seek(row_suffix + Version(as_of)));
      if (cursor_->Valid() && cursor_->suffix().size() == row_suffix.size() + 8 &&
          absl::StartsWith(cursor_->suffix(), row_suffix)) {
        ASSIGN_OR_RETURN(row.count, DecodeCount(cursor_->value()));
      }
    }
    if (row.count != 0) rows.push_back(std::move(row));
    const std::string next = keys::PrefixEnd(row_suffix);
    if (next.empty()) break;
    RETURN_IF_ERROR(cursor_->Seek(next));
  }
  return rows;
}

}  // namespace d06
