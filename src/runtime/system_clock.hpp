// The real clock: the one place the node reads the operating system's time.
#pragma once

#include "core/time.hpp"

namespace barrel_p2p::runtime {

/// core::Clock backed by the kernel: CLOCK_MONOTONIC for now() (the same clock as
/// EventLoop::now() and its timer deadlines), CLOCK_REALTIME for wall_now().
/// Stateless; thread-safe.
class SystemClock final : public core::Clock {
 public:
  /// Monotonic time in nanoseconds since boot (never goes backwards, stops while suspended).
  [[nodiscard]] core::Instant now() const override;
  /// Wall-clock time in milliseconds since the Unix epoch (may jump when the clock is set).
  [[nodiscard]] core::WallTime wall_now() const override;
};

}  // namespace barrel_p2p::runtime
