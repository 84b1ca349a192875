// The real clock: the one place the node reads the operating system's time.
#pragma once

#include "core/time.hpp"

namespace barrel_p2p::runtime {

/// core::Clock backed by the kernel: CLOCK_MONOTONIC for now() (the same clock as
/// EventLoop::now() and its timer deadlines), CLOCK_REALTIME for wall_now().
/// Thread-safe. now() never goes backwards on a thread, even on virtual machines whose
/// monotonic clock steps back a little when a thread moves between CPUs.
class SystemClock final : public core::Clock {
 public:
  /// Monotonic time in nanoseconds since boot (stops while suspended). Never less than the
  /// previous value this thread got: a kernel reading that went back (seen on this project's
  /// VM: 280 ns) returns the previous value instead.
  [[nodiscard]] core::Instant now() const override;
  /// Wall-clock time in milliseconds since the Unix epoch (may jump when the clock is set).
  [[nodiscard]] core::WallTime wall_now() const override;
};

}  // namespace barrel_p2p::runtime
