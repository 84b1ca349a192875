// Durations counted in fixed buckets (NodeStats), as Prometheus histograms expose them.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace barrel_p2p {

/// Counts of durations in fixed buckets, from 10 µs to 2.5 s. Each bucket counts the durations
/// above the previous bound up to its own (not cumulative); the last counts those above 2.5 s.
struct DurationHistogram {
  /// The buckets' upper bounds, inclusive.
  static constexpr std::array<std::chrono::microseconds, 16> kBounds = {
      std::chrono::microseconds(10),        std::chrono::microseconds(25),
      std::chrono::microseconds(50),        std::chrono::microseconds(100),
      std::chrono::microseconds(250),       std::chrono::microseconds(500),
      std::chrono::microseconds(1'000),     std::chrono::microseconds(2'500),
      std::chrono::microseconds(5'000),     std::chrono::microseconds(10'000),
      std::chrono::microseconds(25'000),    std::chrono::microseconds(50'000),
      std::chrono::microseconds(100'000),   std::chrono::microseconds(250'000),
      std::chrono::microseconds(1'000'000), std::chrono::microseconds(2'500'000)};

  std::array<std::uint64_t, kBounds.size() + 1> buckets{};  ///< the last: above every bound
  std::uint64_t count = 0;                                  ///< durations recorded
  std::chrono::nanoseconds sum{};                           ///< their total

  /// Counts `duration` (a negative one as zero).
  void record(std::chrono::nanoseconds duration) {
    if (duration.count() < 0) duration = std::chrono::nanoseconds(0);
    std::size_t bucket = 0;
    while (bucket < kBounds.size() && duration > kBounds[bucket]) ++bucket;
    ++buckets[bucket];
    ++count;
    sum += duration;
  }
  /// Equal buckets, count and sum.
  friend bool operator==(const DurationHistogram&, const DurationHistogram&) = default;
};

}  // namespace barrel_p2p
