// ListTasks: the most selective index that serves the filter, or a text search
// (server/core/search.h).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/core/core.h"
#include "server/core/paging.h"
#include "server/core/rules.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/filter.h"
#include "server/domain/limits.h"
#include "server/domain/names.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"
#include "server/core/search.h"
#include "server/domain/text.h"

namespace d06 {

using Op = FilterTerm::Op;

absl::Status Core::ListTasks(const Caller& caller, const v1::ListTasksRequest& request,
                             v1::ListTasksResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(std::vector<FilterTerm> terms, ParseFilter(request.filter()));
  RETURN_IF_ERROR(CheckFilterTerms(terms, {{"state", {Op::kEq}},
                                           {"assigning_unit", {Op::kEq}},
                                           {"kind", {Op::kEq}},
                                           {"urgency", {Op::kEq}},
                                           {"label", {Op::kEq}},
                                           {"parent_task", {Op::kEq}}}));
  // The predicate every listed task satisfies; the index below only narrows the scan.
  std::optional<v1::TaskState> state;
  std::optional<v1::TaskKind> kind;
  std::optional<v1::Urgency> urgency;
  std::optional<std::string> assigning_unit, label;
  std::optional<uint64_t> parent_task;
  for (const FilterTerm& term : terms) {
    if (term.key == "state") {
      ASSIGN_OR_RETURN(state, FilterEnum<v1::TaskState>(v1::TaskState_descriptor(), term));
    } else if (term.key == "kind") {
      ASSIGN_OR_RETURN(kind, FilterEnum<v1::TaskKind>(v1::TaskKind_descriptor(), term));
    } else if (term.key == "urgency") {
      ASSIGN_OR_RETURN(urgency, FilterEnum<v1::Urgency>(v1::Urgency_descriptor(), term));
    } else if (term.key == "assigning_unit") {
      ASSIGN_OR_RETURN(assigning_unit, FilterUnitCode(term, false));
    } else if (term.key == "label") {
      absl::StatusOr<std::string> normalized = NormalizeField("label", term.value, kMaxLabel);
      if (!normalized.ok()) return FilterError(absl::StrCat("filter: ", normalized.status().message()));
      label = *std::move(normalized);
    } else {
      absl::StatusOr<uint64_t> id = ParseTaskName("parent_task", term.value);
      if (!id.ok()) return FilterError("filter: parent_task must be a task name like \"tasks/7\"");
      parent_task = *id;
    }
  }
  ASSIGN_OR_RETURN(std::string query, NormalizeField("query", request.query(), kMaxQuery));
  // Each distinct word once, as typed and folded.
  std::vector<std::string> query_tokens, query_folded;
  for (std::string& token : Tokenize(query)) {
    if (std::find(query_tokens.begin(), query_tokens.end(), token) != query_tokens.end()) continue;
    std::string folded = Fold(token);
    if (std::find(query_folded.begin(), query_folded.end(), folded) == query_folded.end()) {
      query_folded.push_back(std::move(folded));
    }
    query_tokens.push_back(std::move(token));
  }
  // A query of only spaces or punctuation searches for nothing: refused like any other
  // query without words, rather than read as "no query" and listing every task.
  if (!request.query().empty() && query_tokens.empty()) {
    return InvalidField("query", "query has no words to search for (letters or digits); "
                                 "send an empty query to list without searching");
  }

  std::vector<v1::TaskState> states;
  if (state) {
    states = {*state};
  } else {
    states = {v1::TASK_STATE_ACTIVE, v1::TASK_STATE_CANCELLED};
  }
  auto with_states = [&](const std::string& prefix) {
    std::vector<IndexRange> ranges;
    for (v1::TaskState s : states) ranges.push_back({WithState(prefix, s), "", ""});
    return ranges;
  };
  // Without a query: the most selective index that serves a filter, ordered by id.
  std::vector<IndexRange> ranges;
  if (assigning_unit) {
    ranges = with_states(TasksByAssigningUnitPrefix(*assigning_unit));
  } else if (label) {
    ranges = with_states(TasksByLabelPrefix(*label));
  } else if (parent_task) {
    ranges = {{TasksByParentPrefix(*parent_task), "", ""}};
  } else if (kind) {
    ranges = with_states(TasksByKindPrefix(*kind));
  } else if (urgency) {
    ranges = with_states(TasksByUrgencyPrefix(*urgency));
  } else {
    ranges = with_states(TasksPrefix());
  }

  auto view = store_->Snapshot();
  // Loads task `id` into *task; false if it is gone or fails the filter.
  auto load = [&](uint64_t id, v1::Task* task) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(std::optional<v1::Task> found, LoadTask(*view, id));
    if (!found) return false;
    *task = *std::move(found);
    return !((state && task->state() != *state) || (kind && task->kind() != *kind) ||
             (urgency && task->urgency() != *urgency) ||
             (assigning_unit && CodeOf(task->assigning_unit()) != *assigning_unit) ||
             (label && std::find(task->labels().begin(), task->labels().end(), *label) ==
                           task->labels().end()) ||
             (parent_task && IdOf(task->parent_task()) != *parent_task));
  };

  const std::string scope = absl::StrCat("tasks\n", request.filter(), "\n", query);
  ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(request.page_token(), scope));
  const int page_size = PageSize(request.page_size());
  if (query_tokens.empty()) {
    std::function<absl::StatusOr<bool>(absl::string_view, v1::Task*)> match =
        [&](absl::string_view suffix, v1::Task* task) -> absl::StatusOr<bool> {
      uint64_t id;
      if (!ParseTaskIndexSuffix(suffix, &id)) return absl::DataLossError("bad task index key");
      return load(id, task);
    };
    ASSIGN_OR_RETURN(std::string next, CollectPage(*view, Cf::kIndexes, ranges, cursor, page_size,
                                                   match, response->mutable_tasks()));
    if (!next.empty()) response->set_next_page_token(EncodePageToken(scope, next));
    return absl::OkStatus();
  }
  return SearchTasks(*view, query_tokens, query_folded, cursor, page_size, load, scope,
                     response);
}

}  // namespace d06
