// A task's audit history, in the order it happened.
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

namespace d06 {

absl::Status Core::ListTaskEvents(const Caller& caller, const v1::ListTaskEventsRequest& request,
                                  v1::ListTaskEventsResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(uint64_t id, ParseTaskName("parent", request.parent()));
  const std::string scope = absl::StrCat("events\n", request.parent());
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(request.page_token(), scope));
  auto view = store_->Snapshot();
  RETURN_IF_ERROR(RequireTask(*view, id).status());
  std::function<absl::StatusOr<bool>(absl::string_view, v1::Event*)> match =
      [&](absl::string_view suffix, v1::Event* event) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(std::optional<v1::Event> found, LoadHistoryEvent(*view, suffix));
    if (found) *event = *std::move(found);
    return found.has_value();
  };
  ASSIGN_OR_RETURN(std::string next,
                   CollectPage(*view, Cf::kIndexes, {{TaskHistoryPrefix(id), "", ""}}, after,
                               PageSize(request.page_size()), match, response->mutable_events()));
  if (!next.empty()) response->set_next_page_token(EncodePageToken(scope, next));
  return absl::OkStatus();
}

}  // namespace d06
