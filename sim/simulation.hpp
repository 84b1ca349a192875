// A deterministic discrete-event simulator running whole node Engines (src/node/engine) — the
// very same state machine the runtime drives — for thousands of nodes in one process (SPEC §3,
// ARCHITECTURE.md "The node engine"). The simulator is a second driver: it carries out the
// Engines' commands over a simulated network (sim/sim_network.hpp) with a simulated clock and
// one seeded Rng, and injects crashes, restarts and partitions. The same seed gives the same
// run, event for event.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "barrel_p2p/envelope.hpp"
#include "core/rng.hpp"
#include "node/engine.hpp"
#include "proto/auth/identity.hpp"
#include "sim/event_queue.hpp"
#include "sim/sim_network.hpp"

namespace barrel_p2p::sim {

struct SimConfig {
  std::uint64_t seed = 1;
  core::Duration latency = std::chrono::milliseconds(5);  ///< one-way base latency
  core::Duration jitter = std::chrono::milliseconds(5);   ///< + uniform [0, jitter)
  /// Per-frame probability of a retransmission (the frame is late, never lost: QUIC).
  double loss = 0.0;
  core::Duration detect_delay = std::chrono::seconds(4);  ///< crash seen on idle links after
  /// Time from a dial to connected (the QUIC handshake); 0 means one round trip.
  core::Duration connect_delay = core::Duration(0);
  /// A dial to a crashed or cut-off node fails after this (handshake timeout).
  core::Duration dial_timeout = std::chrono::seconds(3);
  hyparview::Config membership;
  plumtree::Config broadcast;
  /// Overlay route requests of every Engine (whereis_service step 3).
  registry::RouteConfig route;
  /// Every Engine ignores registry deltas, digests and states (EngineConfig's test hook), so
  /// a name is known only where it was registered: route tests.
  bool ignore_registry_replication = false;
  /// Registry leases of every Engine (EngineConfig::registry_lease; 0: off, the default here so
  /// that long runs with crashes measure what they did before) and their heartbeat interval.
  core::Duration registry_lease = core::Duration(0);
  core::Duration registry_lease_renew_interval = std::chrono::seconds(10);
};

/// Per-broadcast outcome.
struct BroadcastRecord {
  std::size_t origin = 0;
  core::Instant sent;
  std::size_t live_at_send = 0;
  std::size_t delivered = 0;           ///< live nodes that delivered it (origin included)
  std::size_t duplicates = 0;          ///< deliveries beyond the first per node (must stay 0)
  std::uint64_t payload_messages = 0;  ///< GOSSIP frames received for it
  std::uint32_t last_hop = 0;
  core::Instant last_delivery;
};

/// Receives the process-related commands of every Engine (a test workload's view of the
/// mailboxes). Called from inside the simulator's drain of `node`; it must not call into the
/// simulation.
class ProcessObserver {
 public:
  virtual ~ProcessObserver() = default;
  virtual void delivered(std::size_t node, std::uint64_t process, const Envelope& envelope) = 0;
  virtual void ended(std::size_t node, std::uint64_t process, const ExitReason& reason) = 0;
  virtual void call_done(std::size_t node, std::uint64_t ref,
                         const Result<core::Bytes>& result) = 0;
};

class Simulation final : private NetworkHost {
 public:
  explicit Simulation(SimConfig config);
  ~Simulation() override;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Adds a node (an Engine, not joined). Returns its index; its name is "s<index>".
  std::size_t add_node();
  /// `node` joins through `contact` (Engine::join with the contact's address).
  void join(std::size_t node, std::size_t contact);
  /// Adds `count` nodes, each joining through a random earlier node, `spacing` apart.
  void grow(std::size_t count, core::Duration spacing);
  /// A join storm: adds `count` nodes that all join through `contact` (which must exist), each
  /// at a random moment within `window`; returns once the last one has joined.
  void join_storm(std::size_t count, std::size_t contact, core::Duration window);
  /// The node's Engine is dropped (no goodbye); its peers notice after detect_delay.
  void crash(std::size_t node);
  /// A crashed node runs again: a fresh Engine (new incarnation, same name and keys) that
  /// joins through `contact`.
  void restart(std::size_t node, std::size_t contact);
  /// Nodes in different groups cannot reach each other; empty = heal.
  void partition(const std::vector<int>& group_of_node);
  /// Broadcasts from `node`; returns the record index.
  std::size_t broadcast(std::size_t node);

  /// Runs events until `now + duration`.
  void run_for(core::Duration duration);

  [[nodiscard]] core::Instant now() const { return queue_.now(); }
  [[nodiscard]] std::size_t size() const { return nodes_.size(); }
  [[nodiscard]] bool alive(std::size_t node) const;
  [[nodiscard]] std::size_t live_count() const;
  [[nodiscard]] const std::string& name(std::size_t node) const;
  [[nodiscard]] const BroadcastRecord& record(std::size_t index) const { return records_[index]; }
  /// The membership core of a live node's Engine.
  [[nodiscard]] const hyparview::Membership& membership(std::size_t node) const;
  /// A live node's Engine. After calling its API directly, call drain(node).
  [[nodiscard]] node::Engine& engine(std::size_t node);
  /// Carries out the commands a live node's Engine has queued (and re-arms its timer).
  void drain(std::size_t node);
  /// Sees every Deliver, ProcessEnded and CallDone; `observer` must outlive the simulation.
  void set_process_observer(ProcessObserver* observer) { observer_ = observer; }
  /// Keeps every service event of every node (Engine::poll_service_event), in order, for tests
  /// that check what a driver's subscribers would see. Off by default.
  void record_service_events(bool on) { record_service_events_ = on; }
  /// The service events recorded for `node` so far (record_service_events(true)).
  [[nodiscard]] const std::vector<ServiceEvent>& service_events(std::size_t node) const;
  [[nodiscard]] std::uint64_t events_processed() const { return queue_.events_processed(); }
  /// Connections opened since the start (each one authenticated by the Engines).
  [[nodiscard]] std::uint64_t links_opened() const { return network_.connections_opened(); }
  [[nodiscard]] const SimNetwork& network() const { return network_; }
  [[nodiscard]] std::uint64_t trace_hash() const { return trace_hash_; }
  [[nodiscard]] std::uint64_t seed() const { return config_.seed; }
  /// The simulated wall clock (protocol timestamps: the registry's hybrid clock).
  [[nodiscard]] core::WallTime wall() const;

  // Invariant checks: empty string when they hold, else a description. Symmetry is checked
  // for pairs with nothing under way between them (no dial, frame or close: "once quiet").
  [[nodiscard]] std::string check_bounded() const;
  [[nodiscard]] std::string check_symmetric() const;
  [[nodiscard]] std::string check_connected() const;
  /// Saturated: no two live nodes that both have room in their active views are left
  /// unlinked (every link membership could still make is made).
  [[nodiscard]] std::string check_saturated() const;
  /// Every live node's registry holds the same `entries` live entries as the first live
  /// node's (floors and tombstones may differ until anti-entropy has run).
  [[nodiscard]] std::string check_registries(std::size_t entries) const;

 private:
  struct Node;

  // NetworkHost
  void dial_started(std::size_t node, std::uint64_t dial,
                    Result<std::uint64_t> connection) override;
  void connected(std::size_t node, std::uint64_t connection, bool is_client,
                 const std::array<std::uint8_t, 32>& server_cert_sha256,
                 const std::string& address) override;
  void stream_data(std::size_t node, std::uint64_t connection, node::Channel channel,
                   const core::Bytes& bytes) override;
  void closed(std::size_t node, std::uint64_t connection, const std::string& reason) override;

  std::unique_ptr<node::Engine> make_engine(std::size_t index);
  void carry_out(std::size_t index, node::Command&& command, std::vector<Envelope>& calls,
                 std::vector<node::RpcRequest>& rpcs);
  void resolve(std::size_t index, const std::string& name);
  void delivered_broadcast(std::size_t index, const BroadcastMessage& message);
  void count_gossip(const core::Bytes& frame);
  void arm_timer(std::size_t index);
  [[nodiscard]] std::size_t index_of(const std::string& name) const;
  void mix(std::uint64_t value);

  SimConfig config_;
  core::SeededRng rng_;
  EventQueue queue_;
  SimNetwork network_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<BroadcastRecord> records_;
  ProcessObserver* observer_ = nullptr;  // outlives this object when set
  bool record_service_events_ = false;
  std::unordered_map<std::size_t, std::vector<ServiceEvent>> service_events_;  // by node
  std::uint64_t trace_hash_ = 1469598103934665603ULL;
};

}  // namespace barrel_p2p::sim
