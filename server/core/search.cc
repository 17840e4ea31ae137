#include "server/core/search.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "common/limits.h"
#include "server/core/paging.h"
#include "server/domain/text.h"
#include "server/model/schema.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

class PostingJoin {
 public:
  // The words' postings first (HasForm's `i` counts them), then the `within` prefixes.
  PostingJoin(const ReadView& view, const std::vector<std::string>& folded_words,
              const std::vector<std::string>& within) {
    for (const std::string& word : folded_words) {
      cursors_.push_back(view.NewPrefixCursor(Cf::kIndexes, PostingPrefix(word)));
    }
    for (const std::string& prefix : within) {
      cursors_.push_back(view.NewPrefixCursor(Cf::kIndexes, prefix));
    }
  }

  // The smallest id >= target posted under every word, or 0 when there is none. Each
  // seek costs one unit of *budget; with the budget spent, returns nullopt (the caller
  // resumes at the same target later).
  absl::StatusOr<std::optional<uint64_t>> NextAtLeast(uint64_t target, int* budget) {
    size_t agreed = 0;
    for (size_t i = 0; agreed < cursors_.size(); i = (i + 1) % cursors_.size()) {
      if (*budget <= 0) return std::optional<uint64_t>();
      --*budget;
      RETURN_IF_ERROR(cursors_[i]->SeekForward(TaskIndexSuffix(target)));
      if (!cursors_[i]->Valid()) return std::optional<uint64_t>(0);
      uint64_t id;
      if (!ParseTaskIndexSuffix(cursors_[i]->suffix(), &id)) {
        return absl::DataLossError("bad text index key");
      }
      if (id == target) {
        ++agreed;
      } else {
        target = id;
        agreed = 1;
      }
    }
    return std::optional<uint64_t>(target);
  }

  // After NextAtLeast found a task: whether its posting of folded word `i` lists `form`.
  bool HasForm(size_t i, uint32_t form) const { return PostingHasForm(cursors_[i]->value(), form); }

 private:
  std::vector<std::unique_ptr<PrefixCursor>> cursors_;
};

}  // namespace

absl::StatusOr<std::string> SearchTasks(
    const ReadView& view, const std::vector<std::string>& exact_words,
    const std::vector<std::string>& folded_words, const std::vector<std::string>& within,
    absl::string_view cursor, int page_size,
    const std::function<absl::StatusOr<bool>(uint64_t, v1::Task*)>& load,
    v1::ListTasksResponse* response) {
  uint8_t phase = 0;
  uint64_t after = 0;
  if (!cursor.empty()) {
    absl::string_view in = cursor;
    if (!keys::GetU8(&in, &phase) || phase > 1 || !keys::GetU64(&in, &after) || !in.empty()) {
      return InvalidPageToken();
    }
  }
  int budget = kScanBudget;
  PageLimit limit(page_size);
  auto stop_at = [&](uint64_t last_looked_at) {
    std::string next;
    keys::PutU8(&next, phase);
    keys::PutU64(&next, last_looked_at);
    return next;
  };
  // Each word typed with diacritics: its hash and which folded word's posting lists it.
  // A word typed without them matches every spelling alike (whoever types "de an" asks
  // for "Đề án" as much as for "de an"), so it does not split the phases.
  std::vector<std::pair<size_t, uint32_t>> forms;
  for (const std::string& word : exact_words) {
    const std::string folded = Fold(word);
    if (folded == word) continue;
    const size_t i =
        std::find(folded_words.begin(), folded_words.end(), folded) - folded_words.begin();
    if (i == folded_words.size()) return absl::InternalError("search word without its folded form");
    forms.emplace_back(i, ExactFormHash(word));
  }
  // Without such words every match is in phase 0; phase 1 would read them all for nothing.
  const uint8_t last_phase = forms.empty() ? 0 : 1;
  if (phase > last_phase) return InvalidPageToken();
  for (; phase <= last_phase; ++phase, after = 0) {
    PostingJoin join(view, folded_words, within);
    for (uint64_t target = after + 1; target != 0;) {
      ASSIGN_OR_RETURN(std::optional<uint64_t> id, join.NextAtLeast(target, &budget));
      if (!id) return stop_at(target - 1);
      if (*id == 0) break;
      target = *id + 1;  // 0 after the largest id: the end
      // Phase 0 lists the tasks with every word as typed, phase 1 the others.
      const bool as_typed = std::all_of(forms.begin(), forms.end(), [&](const auto& form) {
        return join.HasForm(form.first, form.second);
      });
      if (as_typed != (phase == 0)) continue;
      if (limit.Full(response->tasks_size())) return stop_at(*id - 1);
      v1::Task task;
      ASSIGN_OR_RETURN(bool keep, load(*id, &task));
      if (keep) {
        limit.Add(task);
        *response->add_tasks() = std::move(task);
      }
    }
  }
  return std::string();  // the end
}

}  // namespace d06
