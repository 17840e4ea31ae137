// The parent of each unit as last committed, kept in memory so that the authorisation of
// a read walks the unit tree without reading it (a viewer's GetAssignment is one read of
// the assignment, whatever the depth of its unit).
//
// Parents change only by the reorganisation of units (MoveUnit and the like), whose
// writes call Changed() once committed; that empties the map, and an entry filled from a
// state read before it is not kept (the epoch is read before the state, as Core's cached
// identities do). Between the commit and Changed() a walk may still see the tree as it
// was just before: a read that ran a moment earlier. Entries are filled from the latest
// committed state, never from a writer's staged one, so writes (which must see their own
// group's effects) walk their Txn's reader instead.
//
// Thread-safe.
#ifndef D06_SERVER_MODEL_UNIT_PARENTS_H_
#define D06_SERVER_MODEL_UNIT_PARENTS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/model/entities.h"
#include "storage/store.h"

namespace d06 {

class UnitParents {
 public:
  // `store` must outlive this.
  explicit UnitParents(const Store* store) : store_(store) {}

  // WalkAncestry over the latest committed state, the parents from memory where known.
  absl::Status Walk(std::string code, std::vector<std::string>* chain, EnoughOfChain enough);

  // A unit's parent may have changed: forget every parent (after the change committed).
  void Changed();

  // Units whose parent is held now (for tests).
  size_t size() const;

 private:
  // The parent's code (empty: a root); std::nullopt: no such unit (not remembered).
  absl::StatusOr<std::optional<std::string>> ParentOf(const std::string& code);

  // More units than any country has; past it the map starts afresh.
  static constexpr size_t kMaxUnits = 200000;

  const Store* const store_;
  mutable absl::Mutex mu_;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::string> parents_ ABSL_GUARDED_BY(mu_);
};

}  // namespace d06

#endif  // D06_SERVER_MODEL_UNIT_PARENTS_H_
