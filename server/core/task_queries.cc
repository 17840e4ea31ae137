// ListTasks: the most selective index that serves the filter, or a text search
// (server/core/search.h).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "server/core/authorize.h"
#include "server/core/core.h"
#include "server/core/paging.h"
#include "server/core/rules.h"
#include "server/core/search.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/filter.h"
#include "server/domain/names.h"
#include "server/domain/text.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

using Op = FilterTerm::Op;

// What a ListTasks filter selects; the index planned from it only narrows the scan, and
// every listed task satisfies Matches.
struct TaskQuery {
  std::optional<v1::TaskState> state;
  std::optional<v1::TaskKind> kind;
  std::optional<v1::Urgency> urgency;
  std::optional<std::string> assigning_unit, label;
  std::optional<uint64_t> parent_task;

  bool Matches(const v1::Task& task) const {
    return !((state && task.state() != *state) || (kind && task.kind() != *kind) ||
             (urgency && task.urgency() != *urgency) ||
             (assigning_unit && CodeOf(task.assigning_unit()) != *assigning_unit) ||
             (label && std::find(task.labels().begin(), task.labels().end(), *label) ==
                           task.labels().end()) ||
             (parent_task && IdOf(task.parent_task()) != *parent_task));
  }
};

absl::StatusOr<TaskQuery> ParseTaskFilter(const std::string& filter) {
  ASSIGN_OR_RETURN(std::vector<FilterTerm> terms, ParseFilter(filter));
  RETURN_IF_ERROR(CheckFilterTerms(terms, {{"state", {Op::kEq}},
                                           {"assigning_unit", {Op::kEq}},
                                           {"kind", {Op::kEq}},
                                           {"urgency", {Op::kEq}},
                                           {"label", {Op::kEq}},
                                           {"parent_task", {Op::kEq}}}));
  TaskQuery q;
  for (const FilterTerm& term : terms) {
    if (term.key == "state") {
      ASSIGN_OR_RETURN(q.state, FilterEnum<v1::TaskState>(v1::TaskState_descriptor(), term));
    } else if (term.key == "kind") {
      ASSIGN_OR_RETURN(q.kind, FilterEnum<v1::TaskKind>(v1::TaskKind_descriptor(), term));
    } else if (term.key == "urgency") {
      ASSIGN_OR_RETURN(q.urgency, FilterEnum<v1::Urgency>(v1::Urgency_descriptor(), term));
    } else if (term.key == "assigning_unit") {
      ASSIGN_OR_RETURN(q.assigning_unit, FilterUnitCode(term, false));
    } else if (term.key == "label") {
      absl::StatusOr<std::string> normalized = NormalizeField("label", term.value, kMaxLabel);
      if (!normalized.ok()) {
        return FilterError(absl::StrCat("filter: ", normalized.status().message()));
      }
      q.label = *std::move(normalized);
    } else {
      absl::StatusOr<uint64_t> id = ParseTaskName("parent_task", term.value);
      if (!id.ok()) return FilterError("filter: parent_task must be a task name like \"tasks/7\"");
      q.parent_task = *id;
    }
  }
  return q;
}

// The most selective index that serves the query, ordered by task id.
std::vector<IndexRange> PlanTaskRanges(const TaskQuery& q) {
  std::vector<v1::TaskState> states = {v1::TASK_STATE_ACTIVE, v1::TASK_STATE_CANCELLED};
  if (q.state) states = {*q.state};
  auto with_states = [&](const std::string& prefix) {
    std::vector<IndexRange> ranges;
    for (v1::TaskState s : states) ranges.push_back({WithState(prefix, s), "", ""});
    return ranges;
  };
  if (q.assigning_unit) return with_states(TasksByAssigningUnitPrefix(*q.assigning_unit));
  if (q.label) return with_states(TasksByLabelPrefix(*q.label));
  if (q.parent_task) return {{TasksByParentPrefix(*q.parent_task), "", ""}};
  if (q.kind) return with_states(TasksByKindPrefix(*q.kind));
  if (q.urgency) return with_states(TasksByUrgencyPrefix(*q.urgency));
  return with_states(TasksPrefix());
}

// The distinct words of a search query, as typed and folded. A query of only spaces or
// punctuation searches for nothing: refused like any other query without words, rather
// than read as "no query" and listing every task.
absl::Status ParseQueryWords(const std::string& raw, const std::string& query,
                             std::vector<std::string>* exact, std::vector<std::string>* folded) {
  for (std::string& token : Tokenize(query)) {
    if (std::find(exact->begin(), exact->end(), token) != exact->end()) continue;
    std::string f = Fold(token);
    if (std::find(folded->begin(), folded->end(), f) == folded->end()) {
      folded->push_back(std::move(f));
    }
    exact->push_back(std::move(token));
  }
  if (!raw.empty() && exact->empty()) {
    return InvalidField("query",
                        "query has no words to search for (letters or digits); "
                        "send an empty query to list without searching");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Core::ListTasks(const Caller& caller, const v1::ListTasksRequest& request,
                             v1::ListTasksResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(TaskQuery q, ParseTaskFilter(request.filter()));
  ASSIGN_OR_RETURN(std::string query, NormalizeField("query", request.query(), kMaxQuery));
  std::vector<std::string> exact_words, folded_words;
  RETURN_IF_ERROR(ParseQueryWords(request.query(), query, &exact_words, &folded_words));
  const std::string scope = absl::StrCat("tasks\n", request.filter(), "\n", query);
  ASSIGN_OR_RETURN(std::string cursor, page_tokens_.Decode(caller, request.page_token(), scope));
  const int page_size = PageSize(request.page_size());

  auto view = store_->Snapshot();
  // A restricted caller lists the tasks involving its bindings' subtrees.
  ASSIGN_OR_RETURN(const ReadRoots roots, RootsOf(*view, caller, v1::ROLE_VIEWER));
  // Loads task `id` into *task; false if it is gone or fails the filter.
  auto load = [&](uint64_t id, v1::Task* task) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(std::optional<v1::Task> found, LoadTask(*view, id));
    if (!found) return false;
    *task = *std::move(found);
    return q.Matches(*task);
  };
  if (!exact_words.empty()) {
    // A restricted caller's scope joins the intersection when it is one subtree (its
    // involvement index is one more sorted list of ids); with several, each hit is
    // checked against them, one point read per root.
    std::vector<std::string> within;
    if (roots && roots->size() == 1) within.push_back(TasksInvolvingPrefix(roots->front()));
    auto visible_load = [&](uint64_t id, v1::Task* task) -> absl::StatusOr<bool> {
      if (roots && roots->size() != 1) {
        ASSIGN_OR_RETURN(bool involved, TaskInvolves(*view, id, *roots));
        if (!involved) return false;
      }
      return load(id, task);
    };
    ASSIGN_OR_RETURN(std::string next, SearchTasks(*view, exact_words, folded_words, within, cursor,
                                                   page_size, visible_load, response));
    ASSIGN_OR_RETURN(*response->mutable_next_page_token(),
                     page_tokens_.Encode(caller, scope, next));
    return absl::OkStatus();
  }
  std::function<absl::StatusOr<bool>(absl::string_view, v1::Task*)> match =
      [&](absl::string_view suffix, v1::Task* task) -> absl::StatusOr<bool> {
    uint64_t id;
    if (!ParseTaskIndexSuffix(suffix, &id)) return absl::DataLossError("bad task index key");
    return load(id, task);
  };
  std::vector<IndexRange> ranges;
  if (roots) {
    for (const std::string& root : *roots) ranges.push_back({TasksInvolvingPrefix(root), "", ""});
  } else {
    ranges = PlanTaskRanges(q);
  }
  ASSIGN_OR_RETURN(std::string next, CollectPage(*view, Cf::kIndexes, ranges, cursor, page_size,
                                                 match, response->mutable_tasks()));
  ASSIGN_OR_RETURN(*response->mutable_next_page_token(), page_tokens_.Encode(caller, scope, next));
  return absl::OkStatus();
}

}  // namespace d06
