// A deterministic discrete-event simulator running the very same HyParView and Plumtree cores
// as the runtime, for thousands of nodes in one process (SPEC §3). Simulated clock, one seeded
// Rng per run, per-message latency (base + uniform jitter), loss, partitions, crashes and
// restarts. The same seed gives the same run, event for event.
//
// Link model (docs/simulation.md): a Send opens a link between the two nodes. A message to a
// crashed or partitioned node fails at the sender after one round trip (on_unreachable, like
// a connection reset). When a node crashes, nodes holding a link to it see on_link_down after
// `detect_delay` (the keep-alive/idle bound of the real transport).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/rng.hpp"
#include "proto/hyparview/membership.hpp"
#include "proto/plumtree/broadcast_tree.hpp"

namespace barrel_p2p::sim {

struct SimConfig {
  std::uint64_t seed = 1;
  core::Duration latency = std::chrono::milliseconds(5);  ///< one-way base latency
  core::Duration jitter = std::chrono::milliseconds(5);   ///< + uniform [0, jitter)
  double loss = 0.0;                                      ///< per-message drop probability
  core::Duration detect_delay = std::chrono::seconds(4);  ///< crash seen on idle links after
  bool encode_messages = true;  ///< round-trip every message through the wire codecs
  /// Extra delay of the first message on a new link (a QUIC handshake is one round trip).
  /// 0 keeps the original model, in which links are free.
  core::Duration connect_delay = core::Duration(0);
  hyparview::Config membership;
  plumtree::Config broadcast;
};

/// Per-broadcast outcome.
struct BroadcastRecord {
  std::size_t origin = 0;
  core::Instant sent;
  std::size_t live_at_send = 0;
  std::size_t delivered = 0;           ///< live nodes that delivered it (origin included)
  std::size_t duplicates = 0;          ///< deliveries beyond the first per node (must stay 0)
  std::uint64_t payload_messages = 0;  ///< GOSSIP messages received for it
  std::uint32_t last_hop = 0;
  core::Instant last_delivery;
};

class Simulation {
 public:
  explicit Simulation(SimConfig config);
  ~Simulation();

  /// Adds a node (not joined). Returns its index.
  std::size_t add_node();
  /// `node` joins through `contact`.
  void join(std::size_t node, std::size_t contact);
  /// Adds `count` nodes, each joining through a random earlier node, `spacing` apart.
  void grow(std::size_t count, core::Duration spacing);
  /// A join storm: adds `count` nodes that all join through `contact` (which must exist), each
  /// at a random moment within `window`; returns once the last one has joined.
  void join_storm(std::size_t count, std::size_t contact, core::Duration window);
  void crash(std::size_t node);
  /// A crashed node comes back with empty state (a new run of the node) and rejoins.
  void restart(std::size_t node, std::size_t contact);
  /// Nodes in different groups cannot reach each other; empty = heal.
  void partition(const std::vector<int>& group_of_node);
  /// Broadcasts from `node`; returns the record index.
  std::size_t broadcast(std::size_t node);

  /// Runs events until `now + duration`.
  void run_for(core::Duration duration);

  [[nodiscard]] core::Instant now() const { return now_; }
  [[nodiscard]] std::size_t size() const { return nodes_.size(); }
  [[nodiscard]] bool alive(std::size_t node) const;
  [[nodiscard]] std::size_t live_count() const;
  [[nodiscard]] const BroadcastRecord& record(std::size_t index) const { return records_[index]; }
  [[nodiscard]] const hyparview::Membership& membership(std::size_t node) const;
  [[nodiscard]] std::uint64_t events_processed() const { return events_; }
  /// Links opened since the start (a membership message to a node with no link to it).
  [[nodiscard]] std::uint64_t links_opened() const { return links_opened_; }
  [[nodiscard]] std::uint64_t trace_hash() const { return trace_hash_; }
  [[nodiscard]] std::uint64_t seed() const { return config_.seed; }

  // Invariant checks: empty string when they hold, else a description. Symmetry is checked
  // for pairs with no membership message in flight between them (the "once quiet" rule).
  [[nodiscard]] std::string check_bounded() const;
  [[nodiscard]] std::string check_symmetric() const;
  [[nodiscard]] std::string check_connected() const;
  /// Saturated: no two live nodes that both have room in their active views are left
  /// unlinked (every link membership could still make is made).
  [[nodiscard]] std::string check_saturated() const;

 private:
  struct Node;
  struct Event {
    core::Instant at;
    std::uint64_t seq = 0;
    std::function<void()> action;
    bool operator>(const Event& other) const {
      return at != other.at ? at > other.at : seq > other.seq;
    }
  };

  void schedule(core::Instant at, std::function<void()> action);
  core::Duration one_way();
  core::Instant arrival(std::size_t from, std::size_t to, core::Duration setup = core::Duration(0));
  [[nodiscard]] bool reachable(std::size_t from, std::size_t to) const;
  void pump(std::size_t node);
  void arm_timer(std::size_t node);
  void deliver_membership(std::size_t from, std::size_t to, hyparview::Message message);
  void deliver_broadcast(std::size_t from, std::size_t to, plumtree::Message message);
  /// Records a link between `a` and `b`; true when it is new.
  bool link(std::size_t a, std::size_t b);
  void drop_link(std::size_t a, std::size_t b);
  std::size_t index_of(const std::string& name) const;
  void mix(std::uint64_t value);

  SimConfig config_;
  core::SeededRng rng_;
  core::Instant now_ = core::Instant::from_nanos(1'000'000'000);
  std::uint64_t seq_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t links_opened_ = 0;
  std::uint64_t trace_hash_ = 1469598103934665603ULL;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<int> group_;
  std::vector<BroadcastRecord> records_;
  std::map<plumtree::MessageId, std::size_t> record_of_;
  std::unordered_map<std::size_t, core::Instant> last_arrival_;  // per ordered pair
  std::unordered_map<std::size_t, int> in_flight_;  // membership messages per ordered pair
  [[nodiscard]] std::size_t pair_key(std::size_t from, std::size_t to) const {
    return from * 1'000'003 + to;
  }
};

}  // namespace barrel_p2p::sim
