// The cluster-wide service registry as the application sees it (SPEC §2.6): instances, events
// and settings. See docs/concepts/services.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "barrel_p2p/pid.hpp"

namespace barrel_p2p {

/// One registered instance of a service: a process on some node, with its metadata.
struct ServiceInstance {
  std::string name;                    ///< The service name it is registered under.
  Pid pid;                             ///< The process; pid.node is the node that registered it.
  std::vector<std::uint8_t> metadata;  ///< Opaque bytes given at registration.
  /// Equal name, pid and metadata.
  friend bool operator==(const ServiceInstance&, const ServiceInstance&) = default;
};

/// A change of the registry as seen on this node.
struct ServiceEvent {
  /// What happened to the instance.
  enum class Kind : std::uint8_t {
    registered,    ///< An instance appeared (here or on another node).
    unregistered,  ///< An instance was unregistered, replaced, or its node left or was pruned.
    /// The registered process ended (`reason` says why), or its node's lease ran out (reason
    /// noconnection "lease expired": the instance is registered again if its node is heard
    /// from once more).
    down,
  };
  Kind kind = Kind::registered;  ///< What happened.
  ServiceInstance instance;      ///< The instance it happened to.
  ExitReason reason;             ///< For down; normal otherwise.
};

/// Which services a subscription sees: one exact name, or every name starting with a prefix.
struct ServiceFilter {
  std::string name;     ///< The exact name, or the prefix when `prefix` is true.
  bool prefix = false;  ///< True: `name` is a prefix ("" with prefix = true: every service).
  /// Every service whose name is exactly `name`.
  static ServiceFilter exact(std::string name) { return {std::move(name), false}; }
  /// Every service whose name starts with `prefix`.
  static ServiceFilter starting_with(std::string prefix) { return {std::move(prefix), true}; }
  /// True when `service` passes the filter.
  [[nodiscard]] bool matches(std::string_view service) const {
    return prefix ? service.substr(0, name.size()) == name : service == name;
  }
};

/// "registered", "unregistered" or "down".
std::string_view service_event_name(ServiceEvent::Kind kind);

/// Registry settings (Config::registry). Every bound is enforced on local operations and on
/// what peers send (a delta or state over a bound is refused whole and counted).
struct RegistryConfig {
  std::size_t max_names = 65'536;            ///< Names with at least one instance.
  std::size_t max_entries_per_name = 1'024;  ///< Instances under one name.
  std::size_t max_entries = 262'144;         ///< Instances in all.
  std::size_t max_name_size = 255;           ///< Longest name, bytes.
  std::size_t max_metadata_size = 1'024;     ///< Longest metadata, bytes.
  std::size_t max_tombstones = 65'536;       ///< Removed entries remembered until collected.
  /// Largest full state exchanged with a peer (anti-entropy, new links). It travels in one
  /// link frame, so it is also bounded by Config::max_frame_size.
  std::size_t max_state_size = 16 * 1024 * 1024;
  /// How often a random active peer is asked whether its registry differs (a 9-byte digest;
  /// the states follow only when they differ). 0 turns periodic anti-entropy off; new links
  /// still compare digests.
  std::chrono::milliseconds anti_entropy_interval{5'000};
  /// A remote stamp further ahead of our wall clock than this is not adopted by our hybrid
  /// clock (counted in NodeStats::registry_clock_skew_rejections).
  std::chrono::milliseconds max_clock_skew{30'000};
  /// whereis_service(name, retries), when neither this node nor its replica knows `name`,
  /// walks the overlay (docs/concepts/services.md, "Overlay route requests"). Hops a walk
  /// makes after the first, 0-32.
  std::size_t route_ttl = 6;
  /// Active peers each walk starts from, 1-16.
  std::size_t route_fanout = 2;
  /// How long one walk waits for an answer before the next attempt, or not_found.
  std::chrono::milliseconds route_timeout{1'000};
  /// How long a walk's answer stays cached here (0: not cached).
  std::chrono::milliseconds route_cache_ttl{5'000};
  /// Walks waiting at once on this node; beyond, whereis_service fails with overloaded.
  std::size_t route_max_in_flight = 64;
  /// Lease on the instances of other nodes (docs/concepts/services.md, "Crashed nodes"): the
  /// instances of a node this node has heard nothing from (no heartbeat, change or direct
  /// link) for this long are hidden here, each reported `down` with reason noconnection
  /// "lease expired", and come back when the node is heard from again. 0: no leases (a crashed
  /// node's instances stay until it restarts). Use the same value on every node.
  std::chrono::milliseconds lease{60'000};
  /// How often a node with instances of its own broadcasts a heartbeat that renews their
  /// lease, and how often leases are checked. Must be below `lease`.
  std::chrono::milliseconds lease_renew_interval{10'000};
  /// Test hook, not for production: this node ignores registry deltas, digests and states
  /// from peers (its table holds only its own services; route requests still work).
  bool ignore_replication_for_testing = false;
};

}  // namespace barrel_p2p
