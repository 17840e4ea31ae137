#include "server/model/consistency.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/dates.h"
#include "server/domain/dates.h"
#include "server/domain/fingerprint.h"
#include "server/model/entities.h"
#include "server/model/event_log.h"
#include "server/model/reorganization.h"
#include "server/model/report_counters.h"
#include "server/model/schema.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

// Report rows start with it (server/model/report_counters.h); they are recounted, not
// matched entry by entry.
constexpr absl::string_view kReportRows = "rc";

// The day in Vietnam an event was recorded: the day of its change's report counters.
int64_t DayOf(const v1::Event& event) {
  return DayNumber(DayInVietnam(absl::FromUnixSeconds(event.time().seconds()) +
                                absl::Nanoseconds(event.time().nanos())));
}

class Checker {
 public:
  Checker(const ReadView& view, const ConsistencyOptions& options)
      : view_(view), options_(options) {}

  absl::StatusOr<ConsistencyReport> Run() {
    ASSIGN_OR_RETURN(std::optional<std::string> revision,
                     view_.Get(Cf::kMeta, keys::kMetaRevision));
    if (revision) {
      absl::string_view in = *revision;
      uint64_t r = 0;
      if (!keys::GetU64(&in, &r)) return absl::DataLossError("the revision does not parse");
      report_.revision = static_cast<int64_t>(r);
    }
    ASSIGN_OR_RETURN(oldest_, OldestEventRevision(view_));
    RETURN_IF_ERROR(CheckEvents());
    // The index entries: what the entities and events expect, against what is there.
    RETURN_IF_ERROR(ForEachExpected(
        /*first=*/true,
        [this](const std::string&, const IndexEntry& e) { expected_.push_back(Hash(e)); }));
    std::sort(expected_.begin(), expected_.end());
    expected_.erase(std::unique(expected_.begin(), expected_.end()), expected_.end());
    found_.assign(expected_.size(), false);
    RETURN_IF_ERROR(ScanIndexes());
    RETURN_IF_ERROR(
        ForEachExpected(/*first=*/false, [this](const std::string& owner, const IndexEntry& e) {
          auto it = std::lower_bound(expected_.begin(), expected_.end(), Hash(e));
          if (it != expected_.end() && *it == Hash(e) && found_[it - expected_.begin()]) return;
          Problem(absl::StrCat(owner, ": missing ", Describe(e.key)));
          if (it != expected_.end() && *it == Hash(e))
            found_[it - expected_.begin()] = true;  // once
        }));
    RETURN_IF_ERROR(CompareCounters(options_.today, today_rows_, "today"));
    RETURN_IF_ERROR(RecountPast());
    return std::move(report_);
  }

 private:
  static uint64_t Hash(const IndexEntry& e) {
    return Fnv1a(absl::StrCat(e.key.size(), ":", e.key, e.value));
  }

  // A key for a report: its family (the first two bytes, storage/keys.h) and the rest.
  static std::string Describe(absl::string_view key) {
    const absl::string_view family = key.substr(0, 2);
    const char* what = family == "dq"   ? "deadline queue entry"
                       : family == "ht" ? "task history entry"
                       : family == "kh" ? "token hash entry"
                       : family == "pc" ? "certificate subject entry"
                                        : "index entry";
    return absl::StrCat(what, " \"", absl::CHexEscape(key), "\"");
  }

  void Problem(std::string text) {
    ++report_.problem_count;
    if (report_.problems.size() < options_.max_problems)
      report_.problems.push_back(std::move(text));
  }

  void Pace() {
    if (options_.pause_every == 0 || ++read_ % options_.pause_every != 0) return;
    absl::SleepFor(options_.pause);
  }

  // Calls fn(owner, entry) for every index entry the stored entities and kept events
  // should have. The first pass also counts the entities and the lead assignments'
  // report rows.
  absl::Status ForEachExpected(
      bool first, const std::function<void(const std::string&, const IndexEntry&)>& fn) {
    reporting_ = first;  // a problem of an entity is reported once
    auto all = [&](const std::string& owner, const IndexEntries& entries) {
      for (const IndexEntry& e : entries) fn(owner, e);
    };
    absl::Status error;
    auto fail = [&](absl::Status s) {
      error = std::move(s);
      return false;
    };
    auto entity = [&](absl::string_view key, absl::string_view value) -> bool {
      Pace();
      if (first) ++report_.entities;
      const int size = static_cast<int>(value.size());
      switch (key.empty() ? '\0' : key[0]) {
        case 'u': {
          v1::Unit unit;
          if (!unit.ParseFromArray(value.data(), size)) return Unparsable(key);
          all(unit.name(), UnitIndexEntries(unit));
          absl::StatusOr<std::vector<std::string>> ancestry = AncestryOf(unit.name(), unit.code());
          if (!ancestry.ok()) return fail(ancestry.status());
          all(unit.name(), UnitSubtreeEntries(*ancestry));
          all(unit.name(), FormerChildEntries(unit));
          return true;
        }
        case 't': {
          v1::Task task;
          if (!task.ParseFromArray(value.data(), size)) return Unparsable(key);
          all(task.name(), TaskIndexEntries(task));
          absl::StatusOr<std::vector<std::string>> ancestry =
              AncestryOf(task.name(), CodeOf(task.assigning_unit()));
          if (!ancestry.ok()) return fail(ancestry.status());
          all(task.name(), TaskInvolvementEntries(IdOf(task.name()), *ancestry));
          return true;
        }
        case 'a': {
          v1::Assignment a;
          if (!a.ParseFromArray(value.data(), size)) return Unparsable(key);
          const uint64_t task_id = TaskIdOfResource(a.name());
          absl::StatusOr<std::vector<std::string>> ancestry =
              AncestryOf(a.name(), CodeOf(a.unit()));
          if (!ancestry.ok()) return fail(ancestry.status());
          all(a.name(), AssignmentEntries(a, task_id, *ancestry, options_.due_soon_days));
          all(a.name(), TaskInvolvementEntries(task_id, *ancestry));
          if (first && a.role() == v1::ASSIGNMENT_ROLE_LEAD) {
            absl::StatusOr<std::optional<v1::Task>> task = LoadTask(view_, task_id);
            if (!task.ok()) return fail(task.status());
            if (!task->has_value()) {
              Problem(absl::StrCat(a.name(), ": its task is missing"));
              return true;
            }
            // Where its unit's work counts now (a merged unit's: at its successor).
            absl::StatusOr<std::string> counting =
                CountingUnit(view_, CodeOf(a.unit()), std::nullopt);
            if (!counting.ok()) return fail(counting.status());
            absl::StatusOr<std::vector<std::string>> counted =
                *counting == CodeOf(a.unit()) ? ancestry : AncestryOf(a.name(), *counting);
            if (!counted.ok()) return fail(counted.status());
            CountLead(**task, a, *counted, &today_rows_);
          }
          return true;
        }
        case 'P': {
          v1::Principal principal;
          if (!principal.ParseFromArray(value.data(), size)) return Unparsable(key);
          all(principal.name(), PrincipalIndexEntries(principal));
          return true;
        }
        case 'K': {
          absl::string_view in = key.substr(1);
          std::string principal_id, token_id;
          if (!keys::GetString(&in, &principal_id) || !keys::GetString(&in, &token_id)) {
            return Unparsable(key);
          }
          absl::StatusOr<std::optional<StoredToken>> token =
              LoadToken(view_, principal_id, token_id);
          if (!token.ok() || !token->has_value()) return Unparsable(key);
          all(absl::StrCat("principals/", principal_id, "/tokens/", token_id),
              TokenIndexEntries(**token));
          return true;
        }
        default:  // period reports ('p') have no index entries
          return true;
      }
    };
    RETURN_IF_ERROR(view_.ScanPrefix(Cf::kEntities, "", "", entity));
    RETURN_IF_ERROR(error);
    // Each kept event of a task is in the task's history.
    auto history = [&](v1::Event event) {
      Pace();
      const uint64_t task = TaskIdOfResource(event.resource());
      if (task != 0) {
        fn(event.resource(), IndexEntry{TaskHistoryKey(task, event.revision(), event.index()), ""});
      }
      return true;
    };
    return ReadEvents(view_, {}, report_.revision, std::numeric_limits<size_t>::max(), history)
        .status();
  }

  bool Unparsable(absl::string_view key) {
    if (reporting_) {
      Problem(absl::StrCat("entity \"", absl::CHexEscape(key), "\" does not parse"));
    }
    return true;
  }

  // The unit's ancestry; a broken chain is a problem of `owner`, and what could be
  // walked is used.
  absl::StatusOr<std::vector<std::string>> AncestryOf(const std::string& owner, std::string code) {
    std::vector<std::string> chain;
    absl::Status walked = WalkAncestry(view_, std::move(code), &chain);
    if (!walked.ok() && !absl::IsDataLoss(walked)) return walked;
    if (!walked.ok() && reporting_) Problem(absl::StrCat(owner, ": ", walked.message()));
    return chain;
  }

  absl::Status ScanIndexes() {
    absl::Status error;
    RETURN_IF_ERROR(
        view_.ScanPrefix(Cf::kIndexes, "", "", [&](absl::string_view key, absl::string_view value) {
          Pace();
          if (key.substr(0, 2) == kReportRows) return true;
          ++report_.index_entries;
          const uint64_t hash = Hash({std::string(key), std::string(value)});
          auto it = std::lower_bound(expected_.begin(), expected_.end(), hash);
          if (it == expected_.end() || *it != hash) {
            Problem(absl::StrCat("orphan ", Describe(key), ": no entity or event has it"));
          } else {
            found_[it - expected_.begin()] = true;
          }
          return true;
        }));
    return error;
  }

  // Every revision from the oldest kept to the last has events 0, 1, ...; none beyond.
  absl::Status CheckEvents() {
    int64_t expect_revision = oldest_;
    int32_t expect_index = 0;
    auto check = [&](v1::Event event) {
      Pace();
      ++report_.events;
      const int64_t r = event.revision();
      if (r < oldest_) return true;  // kept from before a restore's bump
      if (r > report_.revision) {
        Problem(absl::StrCat("event ", r, ".", event.index(), " is beyond the last revision ",
                             report_.revision));
        return true;
      }
      if (r == expect_revision - 1 && event.index() == expect_index) {
        ++expect_index;
      } else if (r == expect_revision && event.index() == 0) {
        ++expect_revision;
        expect_index = 1;
      } else {
        if (r >= expect_revision) {
          Problem(absl::StrCat("revisions ", expect_revision, "..", r - 1,
                               " have no events (a gap in the event log)"));
        } else {
          Problem(absl::StrCat("event ", r, ".", event.index(), " is out of order"));
        }
        expect_revision = r + 1;
        expect_index = event.index() + 1;
      }
      return CheckIdempotency(event);
    };
    RETURN_IF_ERROR(ReadEvents(view_, {}, std::numeric_limits<int64_t>::max() - 1,
                               std::numeric_limits<size_t>::max(), check)
                        .status());
    if (expect_revision <= report_.revision) {
      Problem(absl::StrCat("revisions ", expect_revision, "..", report_.revision,
                           " have no events (a gap in the event log)"));
    }
    return absl::OkStatus();
  }

  // A kept event with a request_id has its request's idempotency record: per principal
  // ("principal name" 0x00 request_id), or the bare request_id with authentication off.
  bool CheckIdempotency(const v1::Event& event) {
    if (event.request_id().empty() || event.index() != 0) return true;
    for (const std::string& key :
         {absl::StrCat(event.actor(), std::string(1, '\0'), event.request_id()),
          absl::StrCat(event.via(), std::string(1, '\0'), event.request_id()),
          event.request_id()}) {
      absl::StatusOr<std::optional<IdempotencyRecord>> record = LoadIdempotencyRecord(view_, key);
      if (record.ok() && record->has_value()) return true;
      if (!record.ok()) {
        Problem(absl::StrCat("the idempotency record of request ", event.request_id(),
                             " (revision ", event.revision(), ") is malformed"));
        return true;
      }
    }
    Problem(absl::StrCat("revision ", event.revision(), " was written under request_id ",
                         event.request_id(), " but has no idempotency record"));
    return true;
  }

  absl::Status CompareCounters(int64_t day, const std::map<std::string, int64_t>& recount,
                               absl::string_view when) {
    std::map<std::string, int64_t> stored;
    RETURN_IF_ERROR(ScanReportCounts(view_, day, [&](const std::string& row, int64_t count) {
      Pace();
      if (count != 0) stored[row] = count;
    }));
    auto s = stored.begin();
    auto r = recount.begin();
    while (s != stored.end() || r != recount.end()) {
      if (r != recount.end() && r->second == 0) {
        ++r;
        continue;
      }
      if (r == recount.end() || (s != stored.end() && s->first < r->first)) {
        Problem(absl::StrCat("report counter ", DescribeReportRow(s->first), " as of ", when,
                             ": stored ", s->second, ", recount 0"));
        ++s;
      } else if (s == stored.end() || r->first < s->first) {
        Problem(absl::StrCat("report counter ", DescribeReportRow(r->first), " as of ", when,
                             ": stored 0, recount ", r->second));
        ++r;
      } else {
        if (s->second != r->second) {
          Problem(absl::StrCat("report counter ", DescribeReportRow(s->first), " as of ", when,
                               ": stored ", s->second, ", recount ", r->second));
        }
        ++s;
        ++r;
      }
    }
    return absl::OkStatus();
  }

  // Replays the event log up to the end of the past day: each task and lead assignment
  // as its last event that day left it.
  absl::Status RecountPast() {
    if (oldest_ > 1) {
      report_.notes = absl::StrCat(
          "the past-day recount of the report counters was skipped: "
          "the events before revision ",
          oldest_, " were removed (retention, or a restore)");
      return absl::OkStatus();
    }
    if (report_.revision == 0) return absl::OkStatus();
    int64_t day = 0;
    if (options_.past_day) {
      day = *options_.past_day;
    } else {
      auto first = [&](v1::Event event) {
        day = DayOf(event);
        return false;
      };
      RETURN_IF_ERROR(
          ReadEvents(view_, {(report_.revision + 1) / 2, 0}, report_.revision, 1, first).status());
    }
    report_.past_day = day;
    absl::flat_hash_map<uint64_t, v1::Task> tasks;
    std::map<std::pair<uint64_t, std::string>, v1::Assignment> assignments;
    auto replay = [&](v1::Event event) {
      Pace();
      if (DayOf(event) > day) return false;
      if (event.has_task()) tasks[IdOf(event.task().name())] = event.task();
      if (event.has_assignment()) {
        const v1::Assignment& a = event.assignment();
        assignments[{TaskIdOfResource(a.name()), CodeOf(a.unit())}] = a;
      }
      return true;
    };
    RETURN_IF_ERROR(
        ReadEvents(view_, {}, report_.revision, std::numeric_limits<size_t>::max(), replay)
            .status());
    std::map<std::string, int64_t> rows;
    for (const auto& [key, a] : assignments) {
      if (a.role() != v1::ASSIGNMENT_ROLE_LEAD) continue;
      auto task = tasks.find(key.first);
      if (task == tasks.end()) continue;
      // The tree of that day: a unit that has moved since counted under its old parent,
      // one merged or dissolved by then at its successor.
      ASSIGN_OR_RETURN(const std::string counting, CountingUnit(view_, key.second, day));
      ASSIGN_OR_RETURN(std::vector<std::string> ancestry, AncestryAsOf(view_, counting, day));
      CountLead(task->second, a, ancestry, &rows);
    }
    return CompareCounters(day, rows, FormatDay(day));
  }

  static std::string FormatDay(int64_t day_number) {
    return absl::FormatCivilTime(absl::CivilDay(1970, 1, 1) + day_number);
  }

  const ReadView& view_;
  const ConsistencyOptions& options_;
  ConsistencyReport report_;
  int64_t oldest_ = 1;
  size_t read_ = 0;
  bool reporting_ = true;
  std::vector<uint64_t> expected_;
  std::vector<bool> found_;
  std::map<std::string, int64_t> today_rows_;
};

}  // namespace

absl::StatusOr<ConsistencyReport> CheckConsistency(const ReadView& view,
                                                   const ConsistencyOptions& options) {
  Checker checker(view, options);
  return checker.Run();
}

}  // namespace d06
