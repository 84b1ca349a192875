// Monotonic time as values. Instants come from a Clock passed in; cores never read clocks.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>

namespace barrel_p2p::core {

/// A span of time with nanosecond resolution.
using Duration = std::chrono::nanoseconds;

/// A point on a monotonic clock, in nanoseconds since an arbitrary origin.
class Instant {
 public:
  constexpr Instant() = default;
  constexpr static Instant from_nanos(std::int64_t nanos) { return Instant(nanos); }
  /// The latest representable instant: "no deadline".
  constexpr static Instant never() { return Instant(std::numeric_limits<std::int64_t>::max()); }

  [[nodiscard]] constexpr std::int64_t nanos() const { return nanos_; }
  [[nodiscard]] constexpr bool is_never() const { return *this == never(); }

  // clang-tidy 14 reports a literal 0 inside every defaulted <=> (a false positive).
  constexpr auto operator<=>(const Instant&) const = default;  // NOLINT(modernize-use-nullptr)
  constexpr Instant operator+(Duration d) const {
    if (is_never()) return *this;
    return Instant(nanos_ + d.count());
  }
  constexpr Instant operator-(Duration d) const { return Instant(nanos_ - d.count()); }
  constexpr Duration operator-(Instant other) const { return Duration(nanos_ - other.nanos_); }
  constexpr Instant& operator+=(Duration d) { return *this = *this + d; }

 private:
  constexpr explicit Instant(std::int64_t nanos) : nanos_(nanos) {}
  std::int64_t nanos_ = 0;
};

/// Wall-clock time in milliseconds since the Unix epoch (for protocol timestamps only;
/// never used to measure durations).
struct WallTime {
  std::int64_t unix_millis = 0;
  auto operator<=>(const WallTime&) const = default;
};

/// Source of time. The real implementation lives in src/runtime; tests and the simulator
/// supply their own.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Monotonic now.
  [[nodiscard]] virtual Instant now() const = 0;
  /// Wall-clock now.
  [[nodiscard]] virtual WallTime wall_now() const = 0;
};

}  // namespace barrel_p2p::core
