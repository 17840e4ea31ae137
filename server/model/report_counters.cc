#include "server/model/report_counters.h"

#include <optional>
#include <utility>

#include "server/domain/state_machine.h"
#include "server/domain/timeliness.h"
#include "server/model/schema.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

// Staged deltas are kept in Txn::sums() under this prefix followed by the row key.
constexpr char kSumPrefix[] = "report\n";

std::string RowPrefix(absl::string_view unit_code, uint8_t relation) {
  std::string key = "rc";
  keys::PutString(&key, unit_code);
  keys::PutU8(&key, relation);
  return key;
}

std::string RowSuffix(ReportClass report_class, uint64_t deadline_key) {
  std::string suffix;
  keys::PutU8(&suffix, static_cast<uint8_t>(report_class));
  keys::PutU64(&suffix, deadline_key);
  return suffix;
}

constexpr size_t kRowSuffixSize = 1 + 8;

std::string VersionSuffix(int64_t day_number) {
  std::string suffix;
  keys::PutU64(&suffix, ~static_cast<uint64_t>(day_number));
  return suffix;
}

std::string EncodeCount(int64_t count) {
  std::string out;
  keys::PutU64(&out, static_cast<uint64_t>(count));
  return out;
}

absl::StatusOr<int64_t> DecodeCount(absl::string_view value) {
  uint64_t v;
  if (!keys::GetU64(&value, &v) || !value.empty()) {
    return absl::DataLossError("a report counter is malformed");
  }
  return static_cast<int64_t>(v);
}

// What `a` counts as, if anything.
std::optional<std::pair<ReportClass, uint64_t>> Contribution(const v1::Task& task,
                                                            const v1::Assignment& a) {
  if (a.role() != v1::ASSIGNMENT_ROLE_LEAD) return std::nullopt;
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
    return std::make_pair(ReportClass::kRecurring, keys::kNoDeadline);
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
      const bool late = ComputeTimeliness(in, absl::CivilDay(), 0) ==
                        v1::TIMELINESS_COMPLETED_LATE;
      return std::make_pair(late ? ReportClass::kCompletedLate : ReportClass::kCompletedOnTime,
                            DeadlineKeyOf(in.deadline));
    }
    default:
      return std::nullopt;
  }
}

void Stage(Txn& txn, const std::vector<std::string>& ancestry, ReportClass report_class,
           uint64_t deadline_key, int64_t delta) {
  const std::string row = RowSuffix(report_class, deadline_key);
  for (size_t i = 0; i < ancestry.size(); ++i) {
    txn.sums()[kSumPrefix + RowPrefix(ancestry[i], i == 0 ? 0 : 1) + row] += delta;
  }
}

}  // namespace

void StageLeadChange(Txn& txn, const v1::Task& task, const v1::Assignment* before,
                     const v1::Assignment& after, const std::vector<std::string>& ancestry) {
  auto was = before ? Contribution(task, *before) : std::nullopt;
  auto is = Contribution(task, after);
  if (was == is) return;
  if (was) Stage(txn, ancestry, was->first, was->second, -1);
  if (is) Stage(txn, ancestry, is->first, is->second, +1);
}

void StageUrge(Txn& txn, const std::vector<std::string>& ancestry) {
  Stage(txn, ancestry, ReportClass::kUrges, keys::kNoDeadline, +1);
}

absl::Status FlushReportCounters(Txn& txn, int64_t day_number) {
  const absl::string_view prefix = kSumPrefix;
  auto& sums = txn.sums();
  for (auto it = sums.lower_bound(std::string(prefix));
       it != sums.end() && absl::string_view(it->first).substr(0, prefix.size()) == prefix;
       it = sums.erase(it)) {
    if (it->second == 0) continue;
    const std::string row = it->first.substr(prefix.size());
    // The newest version (versions sort newest first).
    std::optional<std::pair<uint64_t, int64_t>> newest;
    absl::Status parsed;
    RETURN_IF_ERROR(txn.reader().ScanPrefix(
        Cf::kIndexes, row, "", [&](absl::string_view suffix, absl::string_view value) {
          uint64_t inverted;
          absl::StatusOr<int64_t> count = DecodeCount(value);
          if (!keys::GetU64(&suffix, &inverted) || !count.ok()) {
            parsed = absl::DataLossError("a report counter is malformed");
          } else {
            newest.emplace(~inverted, *count);
          }
          return false;
        }));
    RETURN_IF_ERROR(parsed);
    // A clock set back never writes under a day older than the newest version.
    int64_t day = day_number;
    int64_t count = it->second;
    if (newest) {
      day = std::max(day, static_cast<int64_t>(newest->first));
      count += newest->second;
    }
    txn.Put(Cf::kIndexes, row + VersionSuffix(day), EncodeCount(count));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ReportRow>> ReadReportRows(const ReadView& view,
                                                      const std::string& unit_code,
                                                      uint8_t relation, int64_t day_number) {
  std::vector<ReportRow> rows;
  const std::string as_of = VersionSuffix(day_number);
  auto cursor = view.NewPrefixCursor(Cf::kIndexes, RowPrefix(unit_code, relation));
  RETURN_IF_ERROR(cursor->Seek(""));
  while (cursor->Valid()) {
    const std::string row(cursor->suffix().substr(0, kRowSuffixSize));
    if (row.size() != kRowSuffixSize) return absl::DataLossError("a report row is malformed");
    // The newest version on or before the day, if the row has one.
    RETURN_IF_ERROR(cursor->Seek(row + as_of));
    if (cursor->Valid() && cursor->suffix().substr(0, kRowSuffixSize) == row) {
      absl::string_view in = row;
      uint8_t report_class;
      uint64_t deadline_key;
      keys::GetU8(&in, &report_class);
      keys::GetU64(&in, &deadline_key);
      ASSIGN_OR_RETURN(int64_t count, DecodeCount(cursor->value()));
      if (count != 0) {
        rows.push_back({static_cast<ReportClass>(report_class), deadline_key, count});
      }
    }
    const std::string next = keys::PrefixEnd(row);
    if (next.empty()) break;
    RETURN_IF_ERROR(cursor->Seek(next));
  }
  return rows;
}

}  // namespace d06
