// Overlay route requests (SPEC §2.6, whereis_service step 3): when neither a local instance
// nor the replicated table knows a name, the asking node (the origin) starts a TTL-bounded
// walk over the active views. Each hop that does not know the name forwards the request to
// one random active peer; the first node whose table has the name replies straight to the
// origin. The origin caches the answer (each instance with its HLC stamp) for cache_ttl.
//
// This class is the bookkeeping of both sides, sans-IO: time is passed in, nothing is sent
// here. The Engine (src/node/engine_registry_route.cpp) picks the peers and carries the
// messages (registry_message.hpp, ROUTE_REQUEST and ROUTE_REPLY).
//
// Origin side: a query is one whereis_service(name, retries) call. Each attempt is a walk
// with a request id of its own; a walk unanswered after `timeout` starts the next attempt
// while retries remain, else the query fails. At most max_in_flight queries wait at once:
// beyond, start() fails with Errc::overloaded.
// Forwarding side: request ids seen recently (origin, id) are remembered (max_seen, seen_ttl)
// so a walk that comes back to a node, or a duplicate, is dropped instead of forwarded again.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/time.hpp"
#include "proto/registry/registry_delta.hpp"

namespace barrel_p2p::registry {

/// Settings of a RouteTable. Plain value; check with validate().
struct RouteConfig {
  /// Hops a walk makes after the origin's first one (0-32); 0 asks only the neighbours.
  std::size_t ttl = 6;
  /// Active peers the origin sends each walk to (each then walks on its own).
  std::size_t fanout = 2;
  /// How long one walk waits for its answer before the next attempt (or the failure).
  core::Duration timeout = std::chrono::seconds(1);
  /// How long an answer stays cached at the origin.
  core::Duration cache_ttl = std::chrono::seconds(5);
  /// Queries waiting at once; at the bound start() fails with Errc::overloaded.
  std::size_t max_in_flight = 64;
  /// Names cached at once; at the bound the entry expiring first is dropped.
  std::size_t max_cached = 1024;
  /// Request ids remembered for duplicate suppression; at the bound the oldest is forgotten.
  std::size_t max_seen = 4096;
  /// How long a request id is remembered.
  core::Duration seen_ttl = std::chrono::seconds(30);

  /// Errors: invalid_argument, "<key>: <why>" naming the first bad setting.
  [[nodiscard]] Result<void> validate() const;
};

/// Why a route message was dropped (RouteStats::dropped is indexed by it).
enum class RouteDrop : std::uint8_t {
  duplicate,      ///< A request this node has seen already (a walk came back, or a copy).
  ttl_expired,    ///< A request with no hops left, not answerable here.
  no_peer,        ///< No active peer to send or forward a request to.
  unknown_reply,  ///< A reply to no walk in flight (late, after a retry or an answer).
  bad_reply,      ///< A reply whose instances are malformed or name another service.
  overloaded,     ///< A query refused: max_in_flight queries were waiting.
};
/// Number of RouteDrop values.
inline constexpr std::size_t kRouteDropCount = 6;
/// snake_case name of a drop reason, e.g. "ttl_expired".
std::string_view route_drop_name(RouteDrop reason) noexcept;

/// Counters of a RouteTable (the Engine adds the forwarding ones it sees).
struct RouteStats {
  std::uint64_t sent = 0;        ///< walks started at this node (first attempts and retries)
  std::uint64_t answered = 0;    ///< requests this node answered from its table
  std::uint64_t forwarded = 0;   ///< requests this node passed on
  std::uint64_t timed_out = 0;   ///< walks that got no answer within timeout
  std::uint64_t cache_hits = 0;  ///< queries answered from the cache
  std::array<std::uint64_t, kRouteDropCount> dropped{};
};

/// One instance in a route answer: the registering node and its entry (stamp included).
struct RoutedInstance {
  std::string node;
  DeltaEntry entry;
  bool operator==(const RoutedInstance&) const = default;
};

/// A walk to send: ROUTE_REQUEST `request_id` for `name`, to `fanout` active peers.
struct RouteWalk {
  std::uint64_t request_id = 0;
  std::string name;
};

/// A finished query: the instances found, or why none were (not_found after every attempt,
/// closed at shutdown).
struct RouteResult {
  std::uint64_t query = 0;
  Result<std::vector<RoutedInstance>> found;
};

/// What a node does with a ROUTE_REQUEST it received.
enum class RouteDecision : std::uint8_t { answer, forward, drop };

/// The origin and forwarding bookkeeping of route requests. Not thread-safe.
class RouteTable {
 public:
  /// `first_request_id` starts this node's request ids (take it from the node's Rng, so a
  /// restarted node does not reuse the ids its peers still remember).
  RouteTable(RouteConfig config, std::uint64_t first_request_id);

  [[nodiscard]] const RouteConfig& config() const { return config_; }
  [[nodiscard]] const RouteStats& stats() const { return stats_; }

  // ---- origin side -------------------------------------------------------------------------
  /// The cached answer for `name` when one is younger than cache_ttl (an expired one is
  /// dropped); counts a cache hit.
  std::optional<std::vector<RoutedInstance>> cached(core::Instant now, std::string_view name);
  /// Starts query `name` with `retries` further attempts; returns the query id and its first
  /// walk (send it). Errors: overloaded (max_in_flight queries wait; counted).
  Result<std::pair<std::uint64_t, RouteWalk>> start(core::Instant now, std::string name,
                                                    std::uint32_t retries);
  /// A ROUTE_REPLY to walk `request_id` with `instances`: caches them (unless the cache holds
  /// a newer answer, by the highest stamp) and finishes the query. Nothing when the reply is
  /// dropped (unknown walk, empty, or an instance under another name; counted).
  std::optional<RouteResult> on_reply(core::Instant now, std::uint64_t request_id,
                                      std::vector<RoutedInstance> instances);
  /// Queries waiting.
  [[nodiscard]] std::size_t in_flight() const { return queries_.size(); }

  // ---- forwarding side -----------------------------------------------------------------
  /// A ROUTE_REQUEST from `origin` with `ttl` hops left: answer when `known_here`, forward
  /// when hops remain, else drop (duplicates and expired ttl are counted here). The caller
  /// counts a forward it could not send (no_peer) with count_drop().
  RouteDecision on_request(core::Instant now, const std::string& origin, std::uint64_t request_id,
                           std::uint8_t ttl, bool known_here);
  /// Counts a request the caller forwarded to a peer.
  void count_forwarded() { ++stats_.forwarded; }
  /// Counts a drop the caller decided (no_peer, bad_reply).
  void count_drop(RouteDrop reason) { ++stats_.dropped[static_cast<std::size_t>(reason)]; }

  // ---- time ------------------------------------------------------------------------------
  /// When on_timeout() has work: the earliest walk deadline, or never.
  [[nodiscard]] core::Instant next_deadline() const;
  /// Walks past their deadline: the next attempt goes into `walks` (send them), a query out
  /// of attempts into `failed`. Also forgets expired seen ids and cache entries.
  void on_timeout(core::Instant now, std::vector<RouteWalk>& walks,
                  std::vector<RouteResult>& failed);
  /// Ends every query with `error` (shutdown).
  std::vector<RouteResult> fail_all(const Error& error);

 private:
  struct Query {
    std::string name;
    std::uint64_t request_id = 0;  // the current walk
    std::uint32_t retries_left = 0;
    std::uint32_t attempts = 0;
    core::Instant deadline;
  };
  struct Cached {
    std::vector<RoutedInstance> instances;
    core::Instant expires;
  };
  using SeenKey = std::pair<std::string, std::uint64_t>;  // (origin, request id)

  RouteWalk next_walk(core::Instant now, Query& query);
  void remember(core::Instant now, const std::string& origin, std::uint64_t request_id);
  void cache(core::Instant now, const std::string& name, std::vector<RoutedInstance> instances);
  void forget_expired(core::Instant now);

  RouteConfig config_;
  std::uint64_t next_request_id_;
  std::uint64_t next_query_ = 1;
  std::map<std::uint64_t, Query> queries_;                    // by query id; ≤ max_in_flight
  std::map<std::string, Cached, std::less<>> cache_;          // ≤ max_cached
  std::set<SeenKey> seen_;                                    // ≤ max_seen
  std::deque<std::pair<core::Instant, SeenKey>> seen_order_;  // oldest first (expiry)
  RouteStats stats_;
};

}  // namespace barrel_p2p::registry
