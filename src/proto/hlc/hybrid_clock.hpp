// Hybrid logical clock as a sans-IO core (Kulkarni, Demirbas et al., OPODIS 2014, Fig. 5;
// SPEC §2.10). Physical time is a parameter: the caller reads its wall clock and passes it in,
// so the clock runs the same in the runtime, the simulator and tests.
//
// Guarantees, for stamps issued by one HybridClock:
//   - now() and update() return strictly increasing stamps, even when the physical time passed
//     in steps backwards (the stamp keeps the largest wall_ms seen and counts up);
//   - an adopted update(remote) returns a stamp greater than both `remote` and every stamp
//     issued before;
//   - wall_ms stays within max_skew of the largest physical time passed in (plus one
//     millisecond per logical-counter overflow, below).
//
// Skew: a remote stamp whose wall_ms is more than max_skew ahead of the physical time passed
// with it is not adopted (a peer with a runaway clock would otherwise drag every clock, and
// every stamp issued afterwards, into its future). The update then acts as a local event,
// counts ClockStats::skew_rejections and says so in UpdateResult::adopted.
//
// Logical overflow: the logical counter is 32 bits. When it would pass 2^32 - 1 (over four
// billion events in one millisecond of hybrid time, or a hostile remote stamp near the top
// that was adopted), the clock moves wall_ms forward by one millisecond and restarts the
// counter at 0. Stamps stay strictly increasing; the cost is running 1 ms ahead of physical
// time per overflow. Each overflow is counted in ClockStats::logical_overflows.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "barrel_p2p/result.hpp"
#include "core/time.hpp"
#include "proto/hlc/hlc_timestamp.hpp"

namespace barrel_p2p::hlc {

/// Settings of one HybridClock. Plain value; check with validate() before use.
struct Config {
  /// Largest distance a remote stamp may be ahead of the local physical time and still be
  /// adopted. 30 s matches the handshake's timestamp-skew window (SPEC §2.1): a peer whose
  /// clock is further off does not authenticate in the first place.
  std::chrono::milliseconds max_skew = std::chrono::seconds(30);

  /// Errors: invalid_argument, "max_skew: must be between 1 ms and 1 day".
  [[nodiscard]] Result<void> validate() const {
    if (max_skew.count() < 1 || max_skew > std::chrono::hours(24)) {
      return fail(Errc::invalid_argument, "max_skew: must be between 1 ms and 1 day");
    }
    return {};
  }
};

/// Monotonic counters of one clock, for metrics.
struct ClockStats {
  std::uint64_t ticks = 0;              ///< Stamps issued by now() and update().
  std::uint64_t updates = 0;            ///< update() calls.
  std::uint64_t skew_rejections = 0;    ///< Remote stamps not adopted: too far ahead.
  std::uint64_t logical_overflows = 0;  ///< Times the logical counter wrapped into wall_ms.
};

/// What update() did with a remote stamp.
struct UpdateResult {
  Timestamp stamp;       ///< The stamp of this receive event (greater than every earlier one).
  bool adopted = false;  ///< False: the remote stamp was more than max_skew ahead; ignored.
};

/// One node's hybrid logical clock. Single-threaded; holds no pointers.
class HybridClock {
 public:
  /// `config` must pass validate() (asserted).
  explicit HybridClock(Config config = {});

  /// A stamp for a local or send event at physical time `physical` (wall clock, Unix ms;
  /// negative values count as 0). Strictly greater than every stamp issued before.
  Timestamp now(core::WallTime physical);

  /// A stamp for receiving `remote` at physical time `physical`. When remote.wall_ms is at most
  /// max_skew ahead of `physical`, the remote stamp is adopted and the result is greater than
  /// both `remote` and every earlier stamp. Otherwise it acts as now(physical), counts a skew
  /// rejection and returns adopted = false. Never fails: `remote` may be any peer bytes.
  UpdateResult update(const Timestamp& remote, core::WallTime physical);

  /// The last stamp issued ({0, 0} before the first).
  [[nodiscard]] const Timestamp& last() const { return last_; }
  [[nodiscard]] const ClockStats& stats() const { return stats_; }
  [[nodiscard]] const Config& config() const { return config_; }

 private:
  // Moves last_ to {wall, logical}, carrying a logical overflow into wall_ms.
  Timestamp advance(std::uint64_t wall, std::uint64_t logical);

  Config config_;
  Timestamp last_;
  ClockStats stats_;
};

}  // namespace barrel_p2p::hlc
