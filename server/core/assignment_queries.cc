// ListAssignments: the filter is parsed into an AssignmentQuery (state buckets, a deadline
// range, unit and role), planned as index ranges (server/model/schema.h), and a page is
// read from them; what the ranges do not guarantee is checked on each assignment.
#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "d06/v1/api_names.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/paging.h"
#include "server/core/rules.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/filter.h"
#include "server/domain/names.h"
#include "server/domain/timeliness.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

using Op = FilterTerm::Op;

// What a ListAssignments filter selects.
struct AssignmentQuery {
  // State buckets (COMPLETED split by lateness) and an inclusive deadline-key range.
  std::set<uint8_t> buckets = {1, 2, 3, 4, 5, 6, 7, CompletedLateBucket()};
  uint64_t lo = 0;
  uint64_t hi = kNoDeadlineKey;
  std::optional<std::string> unit, unit_tree;
  std::optional<v1::AssignmentRole> role;

  void KeepBuckets(const std::set<uint8_t>& allowed) {
    std::set<uint8_t> both;
    for (uint8_t b : buckets) {
      if (allowed.count(b)) both.insert(b);
    }
    buckets = std::move(both);
  }
  void Limit(uint64_t first, uint64_t last) {
    lo = std::max(lo, first);
    hi = std::min(hi, last);
  }
};

// Narrows `q` to the assignments of timeliness `t` as of `today`.
void ApplyTimeliness(v1::Timeliness t, absl::CivilDay today, int due_soon_days,
                     AssignmentQuery* q) {
  const std::set<uint8_t> open = {1, 2, 3};
  switch (t) {
    case v1::TIMELINESS_NO_DEADLINE:
      q->KeepBuckets(open);
      q->Limit(kNoDeadlineKey, kNoDeadlineKey);
      break;
    case v1::TIMELINESS_ON_TIME:
    case v1::TIMELINESS_DUE_SOON:
    case v1::TIMELINESS_OVERDUE: {
      q->KeepBuckets(open);
      DayRange range = DeadlineRangeFor(t, today, due_soon_days);
      q->Limit(
          range.first == std::numeric_limits<int64_t>::min() ? 0 : DeadlineKeyOfDay(range.first),
          range.last == std::numeric_limits<int64_t>::max() ? kNoDeadlineKey - 1
                                                            : DeadlineKeyOfDay(range.last));
      break;
    }
    case v1::TIMELINESS_COMPLETED_ON_TIME:
      q->KeepBuckets({static_cast<uint8_t>(v1::ASSIGNMENT_STATE_COMPLETED)});
      break;
    case v1::TIMELINESS_COMPLETED_LATE:
      q->KeepBuckets({CompletedLateBucket()});
      break;
    default:
      q->KeepBuckets({static_cast<uint8_t>(v1::ASSIGNMENT_STATE_DECLINED),
                      static_cast<uint8_t>(v1::ASSIGNMENT_STATE_REVOKED),
                      static_cast<uint8_t>(v1::ASSIGNMENT_STATE_TRANSFERRED)});
      break;
  }
}

// Narrows `q` by a deadline comparison.
absl::Status ApplyDeadline(const FilterTerm& term, AssignmentQuery* q) {
  absl::StatusOr<v1::Date> date = ParseIsoDate(term.value);
  if (!date.ok()) return FilterError(absl::StrCat("filter: deadline: ", date.status().message()));
  const uint64_t k = DeadlineKeyOfDay(DayNumber(ToCivilDay(*date)));
  switch (term.op) {
    case Op::kEq:
      q->Limit(k, k);
      break;
    case Op::kLt:
      q->Limit(0, k - 1);
      break;
    case Op::kLe:
      q->Limit(0, k);
      break;
    case Op::kGt:
      q->Limit(k + 1, kNoDeadlineKey - 1);
      break;
    default:
      q->Limit(k, kNoDeadlineKey - 1);
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<AssignmentQuery> ParseAssignmentFilter(const std::string& filter,
                                                      absl::CivilDay today, int due_soon_days) {
  ASSIGN_OR_RETURN(std::vector<FilterTerm> terms, ParseFilter(filter));
  const std::vector<Op> kCompare = {Op::kEq, Op::kLt, Op::kLe, Op::kGt, Op::kGe};
  RETURN_IF_ERROR(CheckFilterTerms(terms, {{"unit", {Op::kEq}},
                                           {"unit_tree", {Op::kEq}},
                                           {"state", {Op::kEq}},
                                           {"timeliness", {Op::kEq}},
                                           {"role", {Op::kEq}},
                                           {"deadline", kCompare}}));
  AssignmentQuery q;
  for (const FilterTerm& term : terms) {
    if (term.key == "unit") {
      ASSIGN_OR_RETURN(q.unit, FilterUnitCode(term, false));
    } else if (term.key == "unit_tree") {
      ASSIGN_OR_RETURN(q.unit_tree, FilterUnitCode(term, false));
    } else if (term.key == "role") {
      ASSIGN_OR_RETURN(q.role,
                       FilterEnum<v1::AssignmentRole>(v1::AssignmentRole_descriptor(), term));
    } else if (term.key == "state") {
      ASSIGN_OR_RETURN(auto state,
                       FilterEnum<v1::AssignmentState>(v1::AssignmentState_descriptor(), term));
      if (state == v1::ASSIGNMENT_STATE_COMPLETED) {
        q.KeepBuckets({static_cast<uint8_t>(state), CompletedLateBucket()});
      } else {
        q.KeepBuckets({static_cast<uint8_t>(state)});
      }
    } else if (term.key == "timeliness") {
      ASSIGN_OR_RETURN(auto t, FilterEnum<v1::Timeliness>(v1::Timeliness_descriptor(), term));
      ApplyTimeliness(t, today, due_soon_days, &q);
    } else {
      RETURN_IF_ERROR(ApplyDeadline(term, &q));
    }
  }
  if (q.unit && q.unit_tree) {
    return FilterError("filter: use either unit or unit_tree, not both");
  }
  return q;
}

// The residual predicate: what the index ranges do not already guarantee.
absl::StatusOr<bool> Matches(const ReadView& view, const AssignmentQuery& q,
                             const v1::Assignment& a) {
  if (!q.buckets.count(Bucket(a))) return false;
  const uint64_t k = DeadlineKeyOf(a.deadline());
  if (k < q.lo || k > q.hi) return false;
  if (q.role && a.role() != *q.role) return false;
  if (q.unit && CodeOf(a.unit()) != *q.unit) return false;
  if (q.unit_tree) {
    // A unit whose chain cannot be walked to its root matches the units that could be
    // walked; it fails no one's list.
    ASSIGN_OR_RETURN(std::vector<std::string> chain, WalkableAncestry(view, CodeOf(a.unit())));
    if (std::find(chain.begin(), chain.end(), *q.unit_tree) == chain.end()) return false;
  }
  return true;
}

absl::StatusOr<uint64_t> ParseParent(const std::string& parent) {
  if (parent == "tasks/-") return 0;
  absl::StatusOr<uint64_t> id = ParseTaskName("parent", parent);
  if (!id.ok()) {
    return Error(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidName,
                 absl::StrCat("parent must be \"tasks/{id}\" or \"tasks/-\" for every task; "
                              "got ",
                              Quote(parent)),
                 {{"field", "parent"}});
  }
  return *id;
}

// One task has few assignments: read them all, order them by the same sort key as the
// cross-task index (deadline, task, unit) and resume after the cursor. Returns the
// cursor of the next page.
absl::StatusOr<std::string> OneTaskPage(const ReadView& view, const Caller& caller,
                                        uint64_t task_id, const AssignmentQuery& q,
                                        absl::string_view after, int page_size,
                                        google::protobuf::RepeatedPtrField<v1::Assignment>* out) {
  // The caller sees all of a visible task's assignments (partners see each other).
  RETURN_IF_ERROR(ReadableTask(view, caller, task_id).status());
  ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments, LoadAssignments(view, task_id));
  std::vector<std::pair<std::string, v1::Assignment>> sorted;
  for (v1::Assignment& a : assignments) {
    ASSIGN_OR_RETURN(bool keep, Matches(view, q, a));
    std::string key = SortKey(a, task_id, CodeOf(a.unit()));
    if (keep && key > after) sorted.emplace_back(std::move(key), std::move(a));
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  PageLimit limit(page_size);
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (limit.Full(out->size())) return sorted[i - 1].first;
    limit.Add(sorted[i].second);
    *out->Add() = std::move(sorted[i].second);
  }
  return std::string();
}

// Every task: the planned index ranges, merged in sort-key order.
// The assignments of every task (`roots`: of the units in their subtrees only).
absl::StatusOr<std::string> AllTasksPage(const ReadView& view, const ReadRoots& roots,
                                         const AssignmentQuery& q, absl::string_view after,
                                         int page_size,
                                         google::protobuf::RepeatedPtrField<v1::Assignment>* out) {
  std::vector<v1::AssignmentRole> roles = {v1::ASSIGNMENT_ROLE_LEAD, v1::ASSIGNMENT_ROLE_SUPPORT};
  if (q.role) roles = {*q.role};
  const std::vector<uint8_t> buckets(q.buckets.begin(), q.buckets.end());
  const std::optional<std::string>& unit = q.unit ? q.unit : q.unit_tree;
  // The subtrees to read: the filter's unit when the caller may read it, else the roots
  // of the caller's that lie below it (none, for a single unit outside them).
  std::vector<std::string> subtrees;
  bool unit_in = !roots.has_value();
  if (roots && unit) {
    ASSIGN_OR_RETURN(unit_in, InRoots(view, roots, *unit));
  }
  if (roots && !unit) {
    subtrees = *roots;
  } else if (roots && !unit_in && q.unit_tree) {
    ASSIGN_OR_RETURN(subtrees, RootsBelow(view, *roots, *q.unit_tree));
  }
  std::vector<IndexRange> ranges;
  if (unit_in) {
    ranges = AssignmentRanges(unit, q.unit_tree.has_value(), roles, buckets, q.lo, q.hi);
  } else {
    for (const std::string& root : subtrees) {
      std::vector<IndexRange> more = AssignmentRanges(root, true, roles, buckets, q.lo, q.hi);
      ranges.insert(ranges.end(), more.begin(), more.end());
    }
  }
  std::function<absl::StatusOr<bool>(absl::string_view, v1::Assignment*)> match =
      [&](absl::string_view suffix, v1::Assignment* a) -> absl::StatusOr<bool> {
    uint64_t task_id;
    std::string code;
    if (!ParseAssignmentSortKey(suffix, &task_id, &code)) {
      return absl::DataLossError("bad assignment index key");
    }
    ASSIGN_OR_RETURN(std::optional<v1::Assignment> found, LoadAssignment(view, task_id, code));
    if (found) *a = *std::move(found);
    return found.has_value();
  };
  return CollectPage(view, Cf::kIndexes, ranges, after, page_size, match, out);
}

}  // namespace

absl::Status Core::ListAssignments(const Caller& caller, const v1::ListAssignmentsRequest& request,
                                   v1::ListAssignmentsResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(uint64_t task_id, ParseParent(request.parent()));  // 0: every task
  const absl::CivilDay today = TodayInVietnam(*options_.clock);
  ASSIGN_OR_RETURN(AssignmentQuery query,
                   ParseAssignmentFilter(request.filter(), today, options_.due_soon_days));
  // Not the day: a token taken before midnight resumes after it, under the new day's
  // timeliness (like any change made between two pages).
  const std::string scope = absl::StrCat("assignments\n", request.parent(), "\n", request.filter());
  ASSIGN_OR_RETURN(std::string after, page_tokens_.Decode(caller, request.page_token(), scope));
  const int page_size = PageSize(request.page_size());
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(const ReadRoots roots, RootsOf(*view, caller, v1::ROLE_VIEWER));
  ASSIGN_OR_RETURN(std::string next, task_id != 0
                                         ? OneTaskPage(*view, caller, task_id, query, after,
                                                       page_size, response->mutable_assignments())
                                         : AllTasksPage(*view, roots, query, after, page_size,
                                                        response->mutable_assignments()));
  for (v1::Assignment& a : *response->mutable_assignments()) Decorate(&a, today);
  ASSIGN_OR_RETURN(*response->mutable_next_page_token(), page_tokens_.Encode(caller, scope, next));
  return absl::OkStatus();
}

}  // namespace d06
