// Plumtree epidemic broadcast trees as a sans-IO core (Leitão, Pereira, Rodrigues, SRDS 2007;
// SPEC §2.5). Neighbours come from the membership layer (on_neighbor_up/down). GOSSIP travels
// eagerly along a spanning tree, IHAVE lazily (batched) along the other links; a message
// announced but not received within ihave_timeout is GRAFTed, which also repairs the tree; a
// duplicate GOSSIP PRUNEs its link to lazy. Outputs: poll_send() and poll_delivery() (each
// message is delivered once per node while its id is cached).
//
// Driver loop (the runtime and the simulator): feed an input, then drain poll_send() and
// poll_delivery() until empty; call on_timeout(now) once now ≥ next_deadline().
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/time.hpp"
#include "proto/plumtree/message_cache.hpp"
#include "proto/plumtree/plumtree_config.hpp"
#include "proto/plumtree/plumtree_message.hpp"

namespace barrel_p2p::plumtree {

/// Command: send `message` to neighbour `peer` (over its link; a failed send needs no report
/// here, membership reports the loss through on_neighbor_down).
struct Send {
  std::string peer;
  Message message;
};

/// Event: a broadcast reached this node (including our own broadcast()).
struct Delivery {
  MessageId id;
  std::string origin;  ///< Node that broadcast it.
  std::string tag;
  core::Bytes payload;
  std::uint32_t hops = 0;  ///< Hops it travelled (0 for our own broadcast).
};

/// Monotonic counters for metrics and the paper's Relative Message Redundancy:
/// RMR = gossip_received / (deliveries - broadcasts) - 1 over a cluster, or per node
/// duplicates / gossip_received.
struct BroadcastStats {
  std::uint64_t broadcasts = 0;           ///< broadcast() calls that succeeded.
  std::uint64_t deliveries = 0;           ///< Deliveries emitted (own broadcasts included).
  std::uint64_t gossip_sent = 0;          ///< GOSSIP messages sent (eager push and GRAFT answers).
  std::uint64_t gossip_received = 0;      ///< GOSSIP messages received, duplicates included.
  std::uint64_t duplicates = 0;           ///< GOSSIP for an id already cached (redundancy).
  std::uint64_t ihave_sent = 0;           ///< IHAVE entries (announcements) sent.
  std::uint64_t ihave_received = 0;       ///< IHAVE entries received.
  std::uint64_t grafts_sent = 0;          ///< GRAFT messages sent.
  std::uint64_t prunes_sent = 0;          ///< PRUNE messages sent.
  std::uint64_t cache_evictions = 0;      ///< Ids dropped from the dedup cache (capacity or TTL).
  std::uint64_t grafts_received = 0;      ///< GRAFT messages received.
  std::uint64_t prunes_received = 0;      ///< PRUNE messages received.
  std::uint64_t ihave_messages_sent = 0;  ///< IHAVE messages sent (each with ≥ 1 entry).
  std::uint64_t rejected = 0;       ///< GOSSIP over this node's tag/payload limits, dropped unseen.
  std::uint64_t optimizations = 0;  ///< §3.8 link swaps (GRAFT closer announcer, PRUNE sender).
  /// IHAVE entries not sent because the lazy peer showed it has the message (it announced or
  /// pushed it to us before our flush).
  std::uint64_t ihave_withdrawn = 0;
};

/// One node's Plumtree state. Single-threaded; every call takes the current time, which must
/// not go backwards. Holds no pointers into caller data except `rng`.
class BroadcastTree {
 public:
  /// `config` must pass validate() (asserted). `self` is this node's name (the origin of its
  /// broadcasts). `rng` draws message ids and must outlive this object.
  BroadcastTree(Config config, std::string self, core::Rng& rng);

  /// `peer` entered the active view: it becomes eager (paper: initial eager set = all
  /// neighbours) and is sent IHAVE for messages received within announce_window. No effect
  /// for self or a peer already known.
  void on_neighbor_up(core::Instant now, const std::string& peer);

  /// `peer` left the active view: removed from both sets and its queued IHAVEs dropped. A
  /// message whose GRAFT went to it is grafted from the next announcer at once; one it had
  /// announced is grafted from the other announcers (forgotten when there are none).
  void on_neighbor_down(core::Instant now, const std::string& peer);

  /// Broadcasts to every node, delivering locally too (poll_delivery()), with a fresh id from
  /// the Rng. Errors: invalid_argument (tag over max_tag_size, payload over max_payload_size).
  Result<MessageId> broadcast(core::Instant now, std::string tag, core::Bytes payload);

  /// This node is about to leave: its later broadcasts are pushed (GOSSIP) to every neighbour,
  /// lazy ones too. A lazy neighbour learns of a message from its IHAVE and GRAFTs it from the
  /// announcer; after we leave no GRAFT can reach us, so a message only we hold (the registry
  /// delta of our ended services) would otherwise reach nobody when every neighbour had pruned
  /// us. Irreversible; messages of others are forwarded as before.
  void leaving() { leaving_ = true; }

  /// A decoded message from neighbour `from` (decode with config.message_limits()). Messages
  /// from self are ignored; those from non-neighbours are processed without changing the
  /// peer sets. Never fails: peer input cannot reach an assertion.
  void on_message(core::Instant now, const std::string& from, Message message);

  /// Fires due timers: lazy flush, IHAVE/GRAFT timers, cache expiry. Harmless when early.
  void on_timeout(core::Instant now);

  /// Earliest instant on_timeout() has work (Instant::never() when none).
  [[nodiscard]] core::Instant next_deadline() const;

  /// Next message to send, oldest first. The queue holds only what the last inputs produced.
  std::optional<Send> poll_send();
  /// Next delivery, in arrival order. Exactly once per id per node while the id is cached.
  std::optional<Delivery> poll_delivery();

  /// Neighbours we push GOSSIP to. Disjoint from lazy_peers(); both ⊆ current neighbours.
  [[nodiscard]] const std::set<std::string>& eager_peers() const { return eager_; }
  /// Neighbours we only announce to (IHAVE).
  [[nodiscard]] const std::set<std::string>& lazy_peers() const { return lazy_; }
  [[nodiscard]] const BroadcastStats& stats() const { return stats_; }
  /// Ids in the dedup cache (≤ cache_capacity).
  [[nodiscard]] std::size_t cached() const { return cache_.size(); }
  /// Payload bytes held for GRAFT answers (≤ cache_payload_budget).
  [[nodiscard]] std::size_t cached_payload_bytes() const { return cache_.payload_bytes(); }
  /// Ids announced but not yet received, awaiting a timer (≤ max_missing).
  [[nodiscard]] std::size_t missing() const { return missing_.size(); }
  /// IHAVE entries queued for `peer` (≤ max_ihave_batch).
  [[nodiscard]] std::size_t queued_announcements(const std::string& peer) const;
  [[nodiscard]] const Config& config() const { return config_; }

 private:
  struct Missing {
    std::deque<std::pair<std::string, std::uint32_t>> announcers;  // (peer, round) to try
    std::optional<std::string> grafted;                            // peer the last GRAFT went to
    core::Instant deadline = core::Instant::never();
  };

  void handle(core::Instant now, const std::string& from, Gossip&& m);
  void handle(core::Instant now, const std::string& from, const IHave& m);
  void handle(core::Instant now, const std::string& from, const Graft& m);
  void handle(core::Instant now, const std::string& from, const Prune& m);
  void deliver_and_forward(core::Instant now, const std::string& from, Gossip&& m);
  void maybe_optimize(const std::string& from, const IHave::Entry& entry);
  /// Drops a queued announcement of `id` to `peer`: it has the message.
  void withdraw_announcement(const std::string& peer, const MessageId& id);
  void note_announcer(core::Instant now, const std::string& from, const IHave::Entry& entry);
  // GRAFTs produced by one input, grouped per peer (fewest messages).
  using GraftBatch = std::map<std::string, std::vector<MessageId>>;
  void send_grafts(const GraftBatch& grafts);
  [[nodiscard]] bool is_neighbor(const std::string& peer) const;
  void make_eager(const std::string& peer);
  void make_lazy(const std::string& peer);
  void send(const std::string& peer, Message message);
  void announce(core::Instant now, const std::string& peer, const IHave::Entry& entry);
  void flush_peer(const std::string& peer, std::vector<IHave::Entry>& entries);
  void flush_lazy();

  Config config_;
  std::string self_;
  core::Rng& rng_;  // outlives this object (constructor contract)
  std::set<std::string> eager_;
  std::set<std::string> lazy_;
  MessageCache cache_;
  std::map<MessageId, Missing> missing_;  // ≤ max_missing
  // peer → the id we grafted from it for a §3.8 swap: its answer is an expected duplicate and
  // must not PRUNE the new eager link. ≤ one entry per neighbour.
  std::map<std::string, MessageId> swap_grafts_;
  std::map<std::string, std::vector<IHave::Entry>> lazy_queue_;  // each ≤ max_ihave_batch
  core::Instant next_flush_ = core::Instant::never();
  bool leaving_ = false;    // leaving(): our own broadcasts go to every neighbour
  std::deque<Send> sends_;  // drained by the driver after each input
  std::deque<Delivery> deliveries_;
  BroadcastStats stats_;
};

}  // namespace barrel_p2p::plumtree
