// Plumtree epidemic broadcast trees as a sans-IO core (SPEC §2.5). Neighbours come from the
// membership layer (on_neighbor_up/down). GOSSIP travels eagerly along a spanning tree,
// IHAVE lazily along the other links; a missing message is GRAFTed after ihave_timeout, which
// also repairs the tree; a duplicate GOSSIP PRUNEs its link to lazy. Outputs: poll_send() and
// poll_delivery() (each message is delivered once per node while its id is cached).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/rng.hpp"
#include "core/time.hpp"
#include "proto/plumtree/plumtree_config.hpp"
#include "proto/plumtree/plumtree_message.hpp"

namespace barrel_p2p::plumtree {

struct Send {
  std::string peer;
  Message message;
};

struct Delivery {
  MessageId id;
  std::string origin;
  std::string tag;
  core::Bytes payload;
  std::uint32_t hops = 0;
};

struct BroadcastStats {
  std::uint64_t broadcasts = 0;
  std::uint64_t deliveries = 0;
  std::uint64_t gossip_sent = 0;
  std::uint64_t gossip_received = 0;
  std::uint64_t duplicates = 0;  ///< GOSSIP for an id already delivered (redundancy)
  std::uint64_t ihave_sent = 0;
  std::uint64_t ihave_received = 0;
  std::uint64_t grafts_sent = 0;
  std::uint64_t prunes_sent = 0;
  std::uint64_t cache_evictions = 0;
};

class BroadcastTree {
 public:
  /// `rng` (message ids) must outlive this object.
  BroadcastTree(Config config, std::string self, core::Rng& rng);

  void on_neighbor_up(core::Instant now, const std::string& peer);
  void on_neighbor_down(core::Instant now, const std::string& peer);
  /// Broadcasts to every node, delivering locally too. Errors: invalid_argument (tag or
  /// payload over its limit).
  Result<MessageId> broadcast(core::Instant now, std::string tag, core::Bytes payload);
  void on_message(core::Instant now, const std::string& from, Message message);
  void on_timeout(core::Instant now);
  [[nodiscard]] core::Instant next_deadline() const;

  std::optional<Send> poll_send();
  std::optional<Delivery> poll_delivery();

  [[nodiscard]] const std::set<std::string>& eager_peers() const { return eager_; }
  [[nodiscard]] const std::set<std::string>& lazy_peers() const { return lazy_; }
  [[nodiscard]] const BroadcastStats& stats() const { return stats_; }
  [[nodiscard]] std::size_t cached() const { return cache_.size(); }

 private:
  struct Cached {
    core::Instant seen;
    std::optional<Gossip> gossip;  // kept to answer GRAFTs while within the payload budget
  };
  struct Missing {
    std::deque<std::pair<std::string, std::uint32_t>> announcers;  // (peer, round)
    core::Instant deadline = core::Instant::never();
  };

  void handle(core::Instant now, const std::string& from, Gossip&& m);
  void handle(core::Instant now, const std::string& from, const IHave& m);
  void handle(core::Instant now, const std::string& from, const Graft& m);
  void handle(core::Instant now, const std::string& from, const Prune& m);
  void deliver_and_forward(core::Instant now, const std::string& from, Gossip&& m);
  void remember(core::Instant now, const Gossip& m);
  void make_eager(const std::string& peer);
  void make_lazy(const std::string& peer);
  void send(const std::string& peer, Message message);
  void flush_lazy();
  void expire(core::Instant now);

  Config config_;
  std::string self_;
  core::Rng& rng_;
  std::set<std::string> eager_;
  std::set<std::string> lazy_;
  std::unordered_map<MessageId, Cached> cache_;
  std::deque<std::pair<core::Instant, MessageId>> cache_order_;  // oldest first
  std::size_t cached_payload_bytes_ = 0;
  std::map<MessageId, Missing> missing_;
  std::map<std::string, std::vector<IHave::Entry>> lazy_queue_;
  core::Instant next_flush_ = core::Instant::never();
  std::deque<Send> sends_;
  std::deque<Delivery> deliveries_;
  BroadcastStats stats_;
};

}  // namespace barrel_p2p::plumtree
