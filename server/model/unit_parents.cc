#include "server/model/unit_parents.h"

#include <utility>

#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {

absl::Status UnitParents::Walk(std::string code, std::vector<std::string>* chain,
                               EnoughOfChain enough) {
  return WalkUp([this](const std::string& unit) { return ParentOf(unit); }, std::move(code), chain,
                enough);
}

void UnitParents::Changed() {
  absl::MutexLock lock(&mu_);
  ++epoch_;
  parents_.clear();
}

size_t UnitParents::size() const {
  absl::MutexLock lock(&mu_);
  return parents_.size();
}

absl::StatusOr<std::optional<std::string>> UnitParents::ParentOf(const std::string& code) {
  uint64_t epoch;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = parents_.find(code);
    if (it != parents_.end()) return it->second;
    epoch = epoch_;
  }
  // Read after the epoch: a change committed before this read is seen by it, and one
  // committed after has bumped the epoch by the time the entry would be kept.
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(*view, code));
  if (!unit) return std::nullopt;
  std::string parent = CodeOf(unit->parent());
  absl::MutexLock lock(&mu_);
  if (epoch_ == epoch) {
    if (parents_.size() >= kMaxUnits) parents_.clear();
    parents_.emplace(code, parent);
  }
  return parent;
}

}  // namespace d06
