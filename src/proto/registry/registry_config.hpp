// Service registry settings (SPEC §2.6). Every collection the core keeps has a bound here; a
// delta or local operation that would break one is refused as a whole with its Refusal reason
// and counted (RegistryStats::refused).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "barrel_p2p/result.hpp"
#include "proto/hlc/hybrid_clock.hpp"
#include "proto/registry/registry_delta.hpp"

namespace barrel_p2p::registry {

/// Settings of one ServiceRegistry. Plain value; check with validate() before use.
struct Config {
  /// Distinct names with at least one live entry. 65,536 names × the sizes below stay within
  /// tens of MiB even when every name is at its largest.
  std::size_t max_names = 65'536;
  /// Live entries (instances) under one name: enough for a service on every node of a large
  /// cluster, small enough that lookup() stays a short copy.
  std::size_t max_entries_per_name = 1024;
  /// Live entries in all.
  std::size_t max_entries = 262'144;
  /// Longest name in bytes.
  std::size_t max_name_size = 255;
  /// Longest serialized pid (a node name of ≤ 64 bytes plus two varints fits in 82).
  std::size_t max_pid_size = 128;
  /// Longest metadata value.
  std::size_t max_metadata_size = 1024;
  /// Removed dots kept above their node's floor (the tombstones). They are collected as soon
  /// as a floor covers them (service_registry.hpp, "Tombstones"); at the bound, a delta or a
  /// remove that would add more is refused until anti-entropy raises the floors.
  std::size_t max_tombstones = 65'536;
  /// Nodes with a context (a floor, tombstones or entries). At the bound, a delta naming a new
  /// node is refused; collect() frees nodes with neither entries nor tombstones after
  /// node_retention.
  std::size_t max_nodes = 65'536;
  /// Largest encoded incremental delta accepted (merge_encoded(..., Kind::delta)).
  std::size_t max_delta_size = 1024 * 1024;
  /// Largest encoded full state accepted (merge_encoded(..., Kind::state)).
  std::size_t max_state_size = 64 * 1024 * 1024;
  /// A node's context (its floor) is kept this long after its last entry and tombstone are
  /// gone, measured in hybrid time from the floor's stamp. A replica cut off for longer could
  /// bring back removed entries of that node (service_registry.hpp, "Tombstones").
  std::chrono::milliseconds node_retention = std::chrono::hours(24);
  /// Events kept for poll_event(); at the bound the oldest is dropped and counted.
  std::size_t max_events = 65'536;
  /// The clock that stamps this node's adds.
  hlc::Config clock;

  /// Limits for decoding an incremental delta.
  [[nodiscard]] Limits delta_limits() const {
    return Limits{max_delta_size, max_name_size, max_pid_size, max_metadata_size};
  }
  /// Limits for decoding a full state.
  [[nodiscard]] Limits state_limits() const {
    return Limits{max_state_size, max_name_size, max_pid_size, max_metadata_size};
  }

  /// Errors: invalid_argument, "<key>: <why>" naming the first bad setting.
  [[nodiscard]] Result<void> validate() const {
    auto bad = [](const char* field, const char* why) {
      return fail(Errc::invalid_argument, std::string(field) + ": " + why);
    };
    if (max_names == 0) return bad("max_names", "must be at least 1");
    if (max_entries_per_name == 0) return bad("max_entries_per_name", "must be at least 1");
    if (max_entries == 0) return bad("max_entries", "must be at least 1");
    if (max_name_size == 0 || max_name_size > 4096) return bad("max_name_size", "must be 1-4096");
    if (max_pid_size == 0 || max_pid_size > 4096) return bad("max_pid_size", "must be 1-4096");
    if (max_metadata_size > (std::size_t{1} << 20)) {
      return bad("max_metadata_size", "must be at most 1 MiB");
    }
    if (max_nodes == 0) return bad("max_nodes", "must be at least 1");
    // One add (its entry at the largest sizes, one superseded dot, node name, counts) must fit.
    if (max_delta_size < max_name_size + max_pid_size + max_metadata_size + 256 ||
        max_delta_size > max_state_size) {
      return bad("max_delta_size",
                 "must hold one largest entry (sizes + 256 bytes) and be ≤ max_state_size");
    }
    if (max_state_size > (std::size_t{1} << 30)) return bad("max_state_size", "must be ≤ 1 GiB");
    if (node_retention.count() <= 0) return bad("node_retention", "must be positive");
    if (max_events == 0) return bad("max_events", "must be at least 1");
    return clock.validate();
  }
};

}  // namespace barrel_p2p::registry
