// The kill scenario of `cluster_bench kill`, on the simulator: a settled cluster, one node
// with a full active view crashes, and the run measures when it is out of every view and when
// the overlay is saturated again (no two live nodes with room left unlinked).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/time.hpp"

namespace barrel_p2p::sim {

struct KillOutcome {
  std::optional<core::Duration> detected;  ///< the victim left the last active view
  std::optional<core::Duration> repaired;  ///< saturated again (after detection)
  std::string problem;                     ///< check_saturated() at the limit, if unrepaired
};

/// `nodes` join one contact within 100 ms and settle for 30 s; then a node with a full active
/// view crashes and the run lasts until repaired or `limit` (simulated time) has passed.
/// Deterministic in `seed`.
KillOutcome run_kill(std::size_t nodes, std::uint64_t seed, core::Duration limit);

}  // namespace barrel_p2p::sim
