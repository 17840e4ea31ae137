// Text search of tasks (ListTasks.query): the tasks whose title and content have every
// word of the query, found by intersecting the words' posting lists (index entries
// ordered by task id, server/model/schema.h) with leapfrogging cursors, so a page costs
// what its matches cost, not what the commonest word costs.
#ifndef D06_SERVER_CORE_SEARCH_H_
#define D06_SERVER_CORE_SEARCH_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "d06/v1/task.pb.h"
#include "storage/store.h"

namespace d06 {

// Fills one page of a search into `response` and returns the cursor of the next page
// (empty at the end): phase 0 lists the tasks that have every
// word typed with diacritics spelled as typed, then phase 1 those that have some of them
// only once folded ("đề an" finds "Đề án" first, then "de an"), each in id order. A word
// typed without diacritics matches every spelling alike ("de an" finds "Đề án" and
// "de an" together, in id order). `load(id, task)` reads a candidate
// and says whether it passes the list's filter. A cursor (`cursor`, and the one
// returned) is the phase and the last id looked at; a page reads at most kScanBudget index
// entries, so it may be short (with a next cursor) when the words rarely occur together.
// `within`: more index prefixes, each followed by task ids as the postings are (e.g. the
// tasks involving a viewer's unit, TasksInvolvingPrefix), that every hit must be under;
// they join the intersection, so a page costs what the matches within them cost.
absl::StatusOr<std::string> SearchTasks(
    const ReadView& view, const std::vector<std::string>& exact_words,
    const std::vector<std::string>& folded_words, const std::vector<std::string>& within,
    absl::string_view cursor, int page_size,
    const std::function<absl::StatusOr<bool>(uint64_t, v1::Task*)>& load,
    v1::ListTasksResponse* response);

}  // namespace d06

#endif  // D06_SERVER_CORE_SEARCH_H_
