#include "server/domain/clock.h"

namespace d06 {
namespace {

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock* Clock::System() {
  static const SystemClock* const clock = new SystemClock();
  return clock;
}

}  // namespace d06
