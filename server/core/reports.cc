// Reports: the summary of a unit's subtree as of a date, from the versioned report
// counters (server/model/report_counters.h); its cost follows the units in scope, not the
// tasks.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "d06/v1/report.pb.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/rules.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/filter.h"
#include "server/domain/names.h"
#include "server/domain/text.h"
#include "server/domain/unit_history.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/reorganization.h"
#include "server/model/report_counters.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

using Op = FilterTerm::Op;

// Adds the rows of one unit and relation to `c`, judging open work on `as_of_key`.
void AddRows(const std::vector<ReportRow>& rows, uint64_t as_of_key, v1::SummaryCounts* c) {
  for (const ReportRow& row : rows) {
    const int64_t n = row.count;
    const bool has_deadline = row.deadline_key != kNoDeadlineKey;
    switch (row.report_class) {
      case ReportClass::kNotStarted:
      case ReportClass::kInProgress:
      case ReportClass::kPendingAcceptance:
        c->set_total(c->total() + n);
        if (row.report_class == ReportClass::kNotStarted) c->set_not_started(c->not_started() + n);
        if (row.report_class == ReportClass::kPendingAcceptance) {
          c->set_pending_acceptance(c->pending_acceptance() + n);
        }
        if (has_deadline && row.deadline_key < as_of_key) {
          c->set_overdue(c->overdue() + n);
          c->set_due(c->due() + n);
          c->set_due_not_completed_overdue(c->due_not_completed_overdue() + n);
        } else {
          c->set_in_progress_on_time(c->in_progress_on_time() + n);
          if (row.deadline_key == as_of_key) {
            c->set_due(c->due() + n);
            c->set_due_not_completed_on_time(c->due_not_completed_on_time() + n);
          }
        }
        break;
      case ReportClass::kCompletedOnTime:
      case ReportClass::kCompletedLate: {
        const bool late = row.report_class == ReportClass::kCompletedLate;
        c->set_total(c->total() + n);
        c->set_completed(c->completed() + n);
        if (late) {
          c->set_completed_late(c->completed_late() + n);
        } else {
          c->set_completed_on_time(c->completed_on_time() + n);
        }
        if (has_deadline && row.deadline_key <= as_of_key) {
          c->set_due(c->due() + n);
          if (late) {
            c->set_due_completed_late(c->due_completed_late() + n);
          } else {
            c->set_due_completed_on_time(c->due_completed_on_time() + n);
          }
        }
        break;
      }
      case ReportClass::kRecurring:
        c->set_total(c->total() + n);
        c->set_recurring(c->recurring() + n);
        if (has_deadline && row.deadline_key < as_of_key) {
          c->set_recurring_missing_report(c->recurring_missing_report() + n);
        }
        break;
      case ReportClass::kDeclined:
        c->set_declined(c->declined() + n);
        break;
      case ReportClass::kRevoked:
        c->set_revoked(c->revoked() + n);
        break;
      case ReportClass::kUrges:
        c->set_urges(c->urges() + n);
        break;
    }
  }
}

double Percent(int64_t part, int64_t whole) {
  if (whole == 0) return 0;
  return std::round(1000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 10.0;
}

// "94,4%": one decimal, with the Vietnamese decimal comma.
std::string PercentVn(double percent) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f%%", percent);
  return absl::StrReplaceAll(text, {{".", ","}});
}

void Finish(v1::SummaryCounts* c) {
  c->set_completed_percent(Percent(c->completed(), c->total()));
  c->set_overdue_percent(Percent(c->overdue(), c->total()));
  c->set_in_progress_on_time_percent(Percent(c->in_progress_on_time(), c->total()));
  c->set_recurring_percent(Percent(c->recurring(), c->total()));
  c->set_due_completed_on_time_percent(Percent(c->due_completed_on_time(), c->due()));
  c->set_due_completed_late_percent(Percent(c->due_completed_late(), c->due()));
  c->set_due_not_completed_on_time_percent(Percent(c->due_not_completed_on_time(), c->due()));
  c->set_due_not_completed_overdue_percent(Percent(c->due_not_completed_overdue(), c->due()));
  c->set_completed_ratio(absl::StrCat(c->completed(), "/", c->total()));
}

}  // namespace

absl::Status Core::GetSummary(const Caller& caller, const v1::GetSummaryRequest& request,
                              v1::GetSummaryResponse* response) const {
  if (request.unit().empty()) return Required("unit");
  ASSIGN_OR_RETURN(std::string code, ParseUnitName("unit", request.unit()));
  const absl::CivilDay today = TodayInVietnam(*options_.clock);
  ASSIGN_OR_RETURN(const absl::CivilDay as_of, AsOfDay("as_of", request.as_of(), today));
  if (!v1::SummaryGroupBy_IsValid(request.group_by())) {
    return InvalidField("group_by", absl::StrCat("group_by ", request.group_by(),
                                                 " is not a SummaryGroupBy value"));
  }
  // The one category, directive or label the counts are restricted to, if any.
  ASSIGN_OR_RETURN(std::vector<FilterTerm> terms, ParseFilter(request.filter()));
  RETURN_IF_ERROR(CheckFilterTerms(
      terms, {{"category", {Op::kEq}}, {"directive", {Op::kEq}}, {"label", {Op::kEq}}}));
  if (terms.size() > 1) {
    return FilterError("filter takes one term: a category, a directive or a label");
  }
  const GroupKind only_kind = terms.empty()                 ? GroupKind::kNone
                              : terms[0].key == "category"  ? GroupKind::kCategory
                              : terms[0].key == "directive" ? GroupKind::kDirective
                                                            : GroupKind::kLabel;
  if (only_kind != GroupKind::kNone && request.group_by() != v1::SUMMARY_GROUP_BY_NONE &&
      request.group_by() != v1::SUMMARY_GROUP_BY_UNSPECIFIED &&
      request.group_by() != v1::SUMMARY_GROUP_BY_CHILD_UNIT) {
    return FilterError("filter cannot be combined with group_by category, directive or label");
  }
  const int64_t day = DayNumber(as_of);
  const uint64_t as_of_key = DeadlineKeyOfDay(day);
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(*view, code));
  if (!unit) return NotFound(request.unit());
  RETURN_IF_ERROR(AuthorizeUnit(*view, caller, code, request.unit()));
  ReportReader reader(*view, day);

  // The rows of one unit and relation: all of them, or under the filter those of its
  // category, directive or label (the counters kept per group for group_by).
  auto rows_of = [&](const std::string& unit_code,
                     uint8_t relation) -> absl::StatusOr<std::vector<ReportRow>> {
    ASSIGN_OR_RETURN(std::vector<ReportRow> rows, reader.Rows(unit_code, relation, only_kind));
    if (only_kind != GroupKind::kNone) {
      rows.erase(std::remove_if(rows.begin(), rows.end(),
                                [&](const ReportRow& row) { return row.group != terms[0].value; }),
                 rows.end());
    }
    return rows;
  };
  // The counts of `unit_code`'s own leads (relation 0) and of those below it (1).
  auto counts_of = [&](const std::string& unit_code, bool below,
                       v1::SummaryCounts* c) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<ReportRow> own, rows_of(unit_code, 0));
    AddRows(own, as_of_key, c);
    if (below) {
      ASSIGN_OR_RETURN(std::vector<ReportRow> rest, rows_of(unit_code, 1));
      AddRows(rest, as_of_key, c);
    }
    Finish(c);
    return absl::OkStatus();
  };

  // Every unit under the name it had on the report date.
  const std::string display_name = PeriodAsOf(*unit, day).display_name();
  response->set_unit(unit->name());
  response->set_display_name(display_name);
  *response->mutable_as_of() = ToDate(as_of);
  v1::SummaryCounts* total = response->mutable_total();
  RETURN_IF_ERROR(counts_of(code, true, total));
  if (request.group_by() == v1::SUMMARY_GROUP_BY_CHILD_UNIT) {
    v1::SummaryRow* own = response->add_rows();
    own->set_unit(unit->name());
    own->set_display_name(display_name);
    own->set_own(true);
    RETURN_IF_ERROR(counts_of(code, false, own->mutable_counts()));
    ASSIGN_OR_RETURN(std::vector<v1::Unit> children, ChildrenAsOf(*view, code, day));
    // The children of that day, each under the name it had then; one that had not yet
    // begun (e.g. a successor formed later) or had ended (merged or dissolved: its work
    // counts at its successor) is left out unless it counts something.
    for (const v1::Unit& child : children) {
      v1::SummaryCounts counts;
      RETURN_IF_ERROR(counts_of(child.code(), true, &counts));
      const bool counts_nothing = counts.total() == 0 && counts.declined() == 0 &&
                                  counts.revoked() == 0 && counts.urges() == 0;
      if (counts_nothing && !ExistedOn(child, day)) continue;
      v1::SummaryRow* row = response->add_rows();
      row->set_unit(child.name());
      row->set_display_name(PeriodAsOf(child, day).display_name());
      *row->mutable_counts() = std::move(counts);
    }
  }
  const GroupKind group_kind =
      request.group_by() == v1::SUMMARY_GROUP_BY_CATEGORY    ? GroupKind::kCategory
      : request.group_by() == v1::SUMMARY_GROUP_BY_DIRECTIVE ? GroupKind::kDirective
      : request.group_by() == v1::SUMMARY_GROUP_BY_LABEL     ? GroupKind::kLabel
                                                             : GroupKind::kNone;
  if (group_kind != GroupKind::kNone) {
    std::map<std::string, v1::SummaryCounts> groups;
    for (uint8_t relation : {0, 1}) {
      ASSIGN_OR_RETURN(std::vector<ReportRow> rows, reader.Rows(code, relation, group_kind));
      for (const ReportRow& row : rows) AddRows({row}, as_of_key, &groups[row.group]);
    }
    std::vector<std::string> names;
    for (auto& [group, counts] : groups) names.push_back(group);
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return CompareVietnamese(a, b) < 0;
    });
    for (const std::string& group : names) {
      v1::SummaryRow* row = response->add_rows();
      row->set_unit(unit->name());
      row->set_group(group);
      row->set_display_name(group.empty() ? "(không có)" : group);
      *row->mutable_counts() = groups[group];
      Finish(row->mutable_counts());
    }
  }
  response->set_completed_line(absl::StrCat(display_name, " đã hoàn thành ",
                                            total->completed_ratio(), " nhiệm vụ (",
                                            PercentVn(total->completed_percent()), ")"));
  response->set_status_line(absl::StrCat("Tổng số ", total->total(), " nhiệm vụ: đã hoàn thành ",
                                         total->completed(), "; chưa hoàn thành ", total->overdue(),
                                         "; thực hiện thường xuyên ", total->recurring(),
                                         "; đang triển khai ", total->in_progress_on_time()));
  return absl::OkStatus();
}

}  // namespace d06
