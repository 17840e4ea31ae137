// A task's audit history, in the order it happened, and the urges of an assignment in it.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "server/core/core.h"
#include "server/core/paging.h"
#include "server/core/rules.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/filter.h"
#include "server/domain/names.h"
#include "server/domain/validation.h"
#include "server/model/entities.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {

absl::Status Core::ListHistory(const Caller& caller, uint64_t task_id, absl::string_view scope,
                               int page_size, const std::string& page_token,
                               const std::function<bool(const v1::Event&)>& keep,
                               google::protobuf::RepeatedPtrField<v1::Event>* events,
                               std::string* next_page_token) const {
  ASSIGN_OR_RETURN(std::string after, page_tokens_.Decode(caller, page_token, scope));
  auto view = store_->Snapshot();
  RETURN_IF_ERROR(RequireTask(*view, caller, task_id).status());
  std::function<absl::StatusOr<bool>(absl::string_view, v1::Event*)> match =
      [&](absl::string_view suffix, v1::Event* event) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(std::optional<v1::Event> found, LoadHistoryEvent(*view, suffix));
    if (!found || (keep && !keep(*found))) return false;
    *event = *std::move(found);
    return true;
  };
  ASSIGN_OR_RETURN(std::string next,
                   CollectPage(*view, Cf::kIndexes, {{TaskHistoryPrefix(task_id), "", ""}}, after,
                               PageSize(page_size), match, events));
  ASSIGN_OR_RETURN(*next_page_token, page_tokens_.Encode(caller, scope, next));
  return absl::OkStatus();
}

absl::Status Core::ListTaskEvents(const Caller& caller, const v1::ListTaskEventsRequest& request,
                                  v1::ListTaskEventsResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(uint64_t id, ParseTaskName("parent", request.parent()));
  return ListHistory(caller, id, absl::StrCat("events\n", request.parent()), request.page_size(),
                     request.page_token(), nullptr, response->mutable_events(),
                     response->mutable_next_page_token());
}

}  // namespace d06
