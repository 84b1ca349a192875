// The service registry as a sans-IO core (SPEC §2.6): an OR-Map from service name to a set of
// entries (node, pid, metadata), replicated as a delta-state CRDT (Almeida, Shoker, Baquero,
// "Delta State Replicated Data Types", JPDC 2018, §7 "optimized add-wins OR-Set", with the
// causal context kept per node). No clocks, threads, sockets or callbacks: the caller passes
// wall time in, ships the returned deltas (Plumtree, anti-entropy) and drains poll_event().
//
// Dots. Every add made on node N carries a dot (N, t), t a stamp of N's hybrid logical clock
// (proto/hlc). Stamps of one node strictly increase, so a dot names one add forever.
//
// State. For every node N: the live entries whose dot is N's, a floor F(N) and the removed
// dots of N above F(N) (the tombstones). This replica knows (has seen the fate of) every dot
// of N at or below F(N), every tombstone and every live dot; a known dot that is not live has
// been removed. Merging a delta (the join of the paper): a live dot of the delta is added
// unless this replica already knows it; a local live dot is removed when the delta knows it
// and does not hold it live; floors join by maximum and the tombstones by union. A remove
// therefore deletes only the dots it observed: an add it did not see carries a dot it does not
// know, and survives (add wins). The join is commutative, associative and idempotent, so
// replicas that received the same deltas, in any order, with duplicates, hold the same state,
// and a full-state exchange (export_state()) repairs any loss.
//
// Floors. F(self) is always this node's latest stamp: it made every one of its dots, so it
// knows them all. It starts at the clock's stamp when the registry is constructed, so a
// restarted node (same name, empty state) declares the dots of its previous run removed, and
// its first full state retires them everywhere. Other floors only rise through full states
// (a replica copies its floor for N together with all its live dots of N, so the claim stays
// true) and through remove_node(N), which sets F(N) to the highest dot of N it has seen:
// "every entry of N up to here is gone", including any this replica never saw.
//
// Tombstones. A tombstone is kept only while it is above its node's floor, and collected as
// soon as a floor reaches it: the floor keeps the dot known, so a late or duplicated add of
// it stays dead. An incremental delta never raises a floor (it does not carry all of a node's
// live dots), so tombstones of node N wait for the next full state that carries N's floor,
// which anti-entropy brings within one round once N's state has reached the sender. They are
// bounded by max_tombstones; at the bound a delta or remove that needs more is refused (the
// full state that lowers the count still merges). A node's floor itself is the last trace of
// N; collect() drops it once N has no entries and no tombstones and the floor is older than
// node_retention. That is the one unsafe case: a replica cut off for longer than that, still
// holding removed entries of N, brings them back (node pruning by the caller removes them
// again). See docs/internals/decisions/0009-registry-crdt.md.
//
// Bare floors. A node's context with no live entries and no tombstones is exported (its floor
// alone) only when the floor says something a peer may need: this node made adds (F(self)),
// remove_node() raised it, it came from a peer's slice with a floor, or a peer sent a slice of
// this node's own dots (a restart: the old run's entries are out there, and F(self) retires
// them). Otherwise a node that never registers anything would spread one context per node to
// every replica: 1,000 contexts on each of 1,000 nodes with an empty registry.
//
// Events. Every entry that becomes live emits `registered`, every live entry removed emits
// `unregistered` (a re-registration of the same pid under a name is an unregistered of the
// old entry followed by a registered of the new one). Entries of this node removed by a peer
// (a remove or remove_node that named them) emit `unregistered` too: the caller re-registers.
//
// Hidden nodes (leases, decision 0025). hide_node(N) makes N's entries invisible here without
// touching the CRDT: lookup() and list() skip them, each emits `expired`, and merges that add
// or remove entries of N emit nothing while it is hidden. show_node(N) makes them visible
// again, each current entry emitting `registered`. The state, its export and so its digest
// are the same as if nothing were hidden, so replicas that hide different nodes still agree
// and a node that was only cut off comes back whole. The caller decides when (a lease on the
// node's liveness evidence) and prunes for real with remove_node() much later.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "proto/hlc/hybrid_clock.hpp"
#include "proto/registry/registry_config.hpp"
#include "proto/registry/registry_delta.hpp"

namespace barrel_p2p::registry {

/// One instance of a service: the node that registered it, the add's stamp (its dot is
/// (node, stamp)), the pid bytes and metadata.
struct Instance {
  std::string node;
  hlc::Timestamp stamp;
  core::Bytes pid;
  core::Bytes metadata;
  bool operator==(const Instance&) const = default;
};

/// An instance with the name it is registered under.
struct Registration {
  std::string name;
  Instance instance;
  bool operator==(const Registration&) const = default;
};

/// Event: an entry became visible (registered), stopped being live (unregistered), or was
/// hidden because its node was hidden (expired, hide_node()).
struct Event {
  enum class Kind : std::uint8_t { registered, unregistered, expired };
  Kind kind = Kind::registered;
  Registration registration;
  bool operator==(const Event&) const = default;
};

/// What a successful merge changed.
struct MergeReport {
  std::size_t added = 0;    ///< Entries that became live.
  std::size_t removed = 0;  ///< Live entries removed.
};

/// Which limit an encoded input is decoded under.
enum class Kind : std::uint8_t { delta, state };

/// Monotonic counters, for metrics.
struct RegistryStats {
  std::uint64_t local_adds = 0;       ///< add() calls that succeeded.
  std::uint64_t local_removes = 0;    ///< remove()/remove_entry()/remove_node() that succeeded.
  std::uint64_t merges = 0;           ///< Deltas and states merged.
  std::uint64_t entries_added = 0;    ///< Entries made live by merges.
  std::uint64_t entries_removed = 0;  ///< Live entries removed by merges.
  std::uint64_t tombstones_collected = 0;  ///< Tombstones dropped because a floor covered them.
  std::uint64_t nodes_collected = 0;       ///< Node contexts dropped by collect().
  std::uint64_t events_dropped = 0;        ///< Events dropped at max_events (oldest first).
  /// Refused deltas and local operations, by Refusal reason (index = enum value).
  std::array<std::uint64_t, kRefusalCount> refused{};
  /// Refusals of one reason.
  [[nodiscard]] std::uint64_t refusals(Refusal reason) const {
    return refused[static_cast<std::size_t>(reason)];
  }
};

/// One node's replica of the registry. Single-threaded; holds no pointers into caller data.
class ServiceRegistry {
 public:
  /// `config` must pass validate() (asserted). `self` is this node's name
  /// (wire::is_valid_name(), asserted). `now` is the wall clock at start: the first stamp
  /// becomes this node's floor (see "Floors" above).
  ServiceRegistry(Config config, std::string self, core::WallTime now);

  /// Registers `pid` under `name` on this node with a fresh dot; an entry of this node with
  /// the same pid under the same name is replaced (its dot is removed in the same delta).
  /// Returns the delta to replicate. Errors (each counted): invalid_argument (name, pid or
  /// metadata size out of bounds), limit_reached (max_names, max_entries_per_name,
  /// max_entries).
  Result<Delta> add(core::WallTime now, std::string_view name, core::Bytes pid,
                    core::Bytes metadata);

  /// Removes every entry this replica sees under `name` (OR-Map remove: adds it has not seen
  /// survive). Returns the delta to replicate. Errors: not_found (no entry under `name`),
  /// limit_reached (max_tombstones, or the delta would exceed max_delta_size; counted).
  Result<Delta> remove(std::string_view name);

  /// Removes the entries this replica sees under `name` registered by `node` with `pid`.
  /// Errors as remove(); not_found when no entry matches.
  Result<Delta> remove_entry(std::string_view name, std::string_view node, core::ByteView pid);

  /// Prunes a node that is gone: removes its entries and raises its floor to the highest of
  /// its dots seen here, so every replica drops them, also those this one never saw. Its
  /// entries added later (a restart with newer stamps) are not affected.
  /// Errors: invalid_argument (node is this node), not_found (no dot of `node` seen).
  Result<Delta> remove_node(std::string_view node);

  /// Hides the live entries of `node` (see "Hidden nodes" above): each emits `expired`, and
  /// they stay in the state. Returns how many entries were hidden (0 when it already was).
  /// Errors: invalid_argument (node is this node), not_found (no live entry of `node`).
  Result<std::size_t> hide_node(std::string_view node);

  /// Shows a hidden node's live entries again, each emitting `registered`. Returns how many
  /// (0, and no error, when `node` is not hidden).
  std::size_t show_node(std::string_view node);

  /// True when hide_node(`node`) holds and show_node() or remove_node() has not undone it.
  [[nodiscard]] bool hidden(std::string_view node) const { return hidden_.contains(node); }

  /// A fresh stamp of this node's clock, for heartbeats: above every stamp it made before. Not a
  /// dot (no entry carries it).
  hlc::Timestamp stamp(core::WallTime now) { return clock_.now(now); }

  /// Nodes other than this one with at least one live entry (hidden or not), ascending.
  [[nodiscard]] std::vector<std::string> nodes_with_entries() const;

  /// True when this node has at least one live entry of its own.
  [[nodiscard]] bool has_own_entries() const;

  /// Merges a delta or a full state from a peer (or from another replica's export_state()).
  /// All or nothing: a delta that breaks a shape rule or a bound is refused as a whole and
  /// counted under its reason. Adopts the highest stamp it carries into the clock (a stamp too
  /// far ahead is counted by the clock, the delta still merges).
  /// Errors: protocol (shape, or a dot of this node it never made), limit_reached (a bound).
  Result<MergeReport> merge(core::WallTime now, const Delta& delta);

  /// decode() with the limits of `kind` (max_delta_size or max_state_size), then merge().
  /// A decoding failure is counted under its reason. Errors: as decode() and merge().
  Result<MergeReport> merge_encoded(core::WallTime now, core::ByteView bytes, Kind kind);

  /// The whole state as one delta (for anti-entropy and a new link): merging it into any
  /// replica makes that replica include everything this one knows. Bare floors nobody needs
  /// are left out ("Bare floors" above), so an empty registry exports an empty delta.
  [[nodiscard]] Delta export_state() const;

  /// Drops contexts of nodes with no entries and no tombstones whose floor is older than
  /// node_retention at `now` (never this node's). Returns how many.
  std::size_t collect(core::WallTime now);

  /// Next event, oldest first.
  std::optional<Event> poll_event();

  /// Live instances under `name` of nodes that are not hidden, ordered by (node, stamp). Empty
  /// when none.
  [[nodiscard]] std::vector<Instance> lookup(std::string_view name) const;
  /// Names with at least one live entry of a node that is not hidden that start with
  /// `prefix`, ascending.
  [[nodiscard]] std::vector<std::string> list(std::string_view prefix = {}) const;
  /// Live entries registered by `node`, hidden or not, ordered by stamp (for pruning and
  /// inspection).
  [[nodiscard]] std::vector<Registration> entries_of(std::string_view node) const;

  /// Names with at least one live entry, hidden or not (≤ max_names).
  [[nodiscard]] std::size_t names() const { return names_.size(); }
  /// Live entries in all (≤ max_entries).
  [[nodiscard]] std::size_t entries() const { return entry_count_; }
  /// Tombstones held (≤ max_tombstones).
  [[nodiscard]] std::size_t tombstones() const { return tombstone_count_; }
  /// Nodes with a context (≤ max_nodes).
  [[nodiscard]] std::size_t nodes() const { return nodes_.size(); }
  /// This replica's floor for `node` ({0, 0} when it has none).
  [[nodiscard]] hlc::Timestamp floor_of(std::string_view node) const;
  [[nodiscard]] const std::string& self() const { return self_; }
  [[nodiscard]] const hlc::HybridClock& clock() const { return clock_; }
  [[nodiscard]] const RegistryStats& stats() const { return stats_; }
  [[nodiscard]] const Config& config() const { return config_; }

 private:
  struct Value {
    std::string name;
    core::Bytes pid;
    core::Bytes metadata;
  };
  struct NodeState {
    hlc::Timestamp floor;
    std::set<hlc::Timestamp> removed;      // tombstones, all > floor
    std::map<hlc::Timestamp, Value> live;  // live dots of this node
    // The floor is exported even when live and removed are empty ("Bare floors" above).
    bool carry = false;
  };
  struct Dot {
    std::string node;
    hlc::Timestamp stamp;
    // clang-tidy 14 reports a literal 0 inside every defaulted <=> (a false positive).
    auto operator<=>(const Dot&) const = default;  // NOLINT(modernize-use-nullptr)
  };
  struct Plan;

  Unexpected refuse(Refusal reason, Errc code, const std::string& message);
  [[nodiscard]] std::optional<ShapeError> check_bounds(const Plan& plan) const;
  [[nodiscard]] std::optional<ShapeError> check_own_slice(const NodeSlice& slice) const;
  void plan_slice(const NodeSlice& slice, Plan& plan) const;
  void apply_slice(const NodeSlice& slice, const Plan& plan, std::size_t index,
                   MergeReport& report);
  Result<Delta> remove_dots(const std::vector<Dot>& dots);
  void kill(NodeState& state, const std::string& node, hlc::Timestamp stamp);
  void make_live(NodeState& state, const std::string& node, hlc::Timestamp stamp, Value value);
  void raise_floor(NodeState& state, hlc::Timestamp floor);
  void emit(Event::Kind kind, const std::string& node, hlc::Timestamp stamp, const Value& value);
  [[nodiscard]] const Value* find(const Dot& dot) const;

  Config config_;
  std::string self_;
  hlc::HybridClock clock_;
  hlc::Timestamp own_last_;                                  // this node's latest stamp = F(self)
  std::map<std::string, NodeState, std::less<>> nodes_;      // ≤ max_nodes
  std::map<std::string, std::set<Dot>, std::less<>> names_;  // non-empty sets, ≤ max_names
  std::size_t entry_count_ = 0;
  std::size_t tombstone_count_ = 0;
  std::deque<Event> events_;  // ≤ max_events
  // Nodes whose entries are hidden (hide_node); each has a context, so ≤ max_nodes.
  std::set<std::string, std::less<>> hidden_;
  RegistryStats stats_;
};

}  // namespace barrel_p2p::registry
