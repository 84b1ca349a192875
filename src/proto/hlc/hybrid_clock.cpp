#include "proto/hlc/hybrid_clock.hpp"

#include <algorithm>
#include <limits>

#include "core/assert.hpp"

namespace barrel_p2p::hlc {

namespace {
constexpr std::uint64_t kLogicalMax = std::numeric_limits<std::uint32_t>::max();

std::uint64_t physical_ms(core::WallTime physical) {
  return physical.unix_millis < 0 ? 0 : static_cast<std::uint64_t>(physical.unix_millis);
}
}  // namespace

HybridClock::HybridClock(Config config) : config_(config) {
  BARREL_ASSERT(config_.validate().has_value(), "invalid hlc config");
}

Timestamp HybridClock::advance(std::uint64_t wall, std::uint64_t logical) {
  if (logical > kLogicalMax) {
    // Overflow (header): borrow one millisecond. wall_ms is bounded by the largest physical
    // time (< 2^63) plus max_skew plus one per overflow, so this cannot wrap.
    BARREL_ASSERT(wall < std::numeric_limits<std::uint64_t>::max());
    ++wall;
    logical = 0;
    ++stats_.logical_overflows;
  }
  last_ = Timestamp{wall, static_cast<std::uint32_t>(logical)};
  ++stats_.ticks;
  return last_;
}

Timestamp HybridClock::now(core::WallTime physical) {
  const std::uint64_t pt = physical_ms(physical);
  if (pt > last_.wall_ms) return advance(pt, 0);
  return advance(last_.wall_ms, std::uint64_t{last_.logical} + 1);
}

UpdateResult HybridClock::update(const Timestamp& remote, core::WallTime physical) {
  ++stats_.updates;
  const std::uint64_t pt = physical_ms(physical);
  const auto skew = static_cast<std::uint64_t>(config_.max_skew.count());
  if (remote.wall_ms > pt && remote.wall_ms - pt > skew) {
    ++stats_.skew_rejections;
    return UpdateResult{now(physical), false};
  }
  // OPODIS 2014, Fig. 5, receive event: l' = max(l, l_m, pt); c follows whichever held l'.
  const std::uint64_t wall = std::max({last_.wall_ms, remote.wall_ms, pt});
  std::uint64_t logical = 0;
  if (wall == last_.wall_ms && wall == remote.wall_ms) {
    logical = std::uint64_t{std::max(last_.logical, remote.logical)} + 1;
  } else if (wall == last_.wall_ms) {
    logical = std::uint64_t{last_.logical} + 1;
  } else if (wall == remote.wall_ms) {
    logical = std::uint64_t{remote.logical} + 1;
  }
  return UpdateResult{advance(wall, logical), true};
}

}  // namespace barrel_p2p::hlc
