// The dedup cache of a BroadcastTree: ids of delivered messages with the round they arrived
// at, plus (within a byte budget) their GOSSIP to answer GRAFTs. Bounded in entries, in
// payload bytes and in time (TTL). Keyed by an ordered map: ids come from peers, so a hash
// table could be flooded with colliding ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "proto/plumtree/plumtree_message.hpp"

namespace barrel_p2p::plumtree {

/// Bounded, time-limited set of seen message ids. Not thread-safe; owned by one core.
class MessageCache {
 public:
  /// Preconditions (asserted): capacity ≥ 1, ttl > 0.
  MessageCache(std::size_t capacity, core::Duration ttl, std::size_t payload_budget);

  /// Whether `id` was inserted and has neither expired nor been evicted.
  [[nodiscard]] bool contains(const MessageId& id) const;

  /// Remembers `gossip` (received at `now` from `sender`, at round gossip.round; sender is
  /// empty for our own broadcasts). Keeps a copy of the whole GOSSIP when its payload fits the
  /// byte budget, dropping the oldest payloads to make room; evicts the oldest ids beyond
  /// capacity. Precondition (asserted): !contains(id), and `now` is not earlier than the
  /// previous insert. Returns how many ids were evicted.
  std::size_t insert(core::Instant now, const Gossip& gossip, const std::string& sender = {});

  /// The cached GOSSIP (as received) for `id`, or nullptr when unknown or its payload was
  /// dropped. The pointer is valid until the next non-const call.
  [[nodiscard]] const Gossip* find_payload(const MessageId& id) const;

  /// The round `id` was received at, when cached.
  [[nodiscard]] std::optional<std::uint32_t> round_of(const MessageId& id) const;

  /// The neighbour `id` came from (empty for our own), when cached.
  [[nodiscard]] const std::string* sender_of(const MessageId& id) const;

  /// Records that `id` is now reached through `sender` at `round` (a §3.8 link swap).
  /// No effect when `id` is not cached.
  void update_route(const MessageId& id, const std::string& sender, std::uint32_t round);

  /// Forgets ids older than the TTL at `now`. Returns how many were removed.
  std::size_t expire(core::Instant now);

  /// When the oldest id expires (Instant::never() when empty).
  [[nodiscard]] core::Instant next_expiry() const;

  /// Up to `limit` (id, round) of the newest ids with a cached payload received within
  /// `window` of `now`, newest first (announced to a new neighbour).
  [[nodiscard]] std::vector<IHave::Entry> recent(core::Instant now, core::Duration window,
                                                 std::size_t limit) const;

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  /// Payload bytes currently held (≤ the budget).
  [[nodiscard]] std::size_t payload_bytes() const { return payload_bytes_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  [[nodiscard]] std::size_t payload_budget() const { return payload_budget_; }

 private:
  struct Entry {
    core::Instant seen;
    std::uint32_t round = 0;
    std::string sender;
    std::optional<Gossip> gossip;
  };
  void erase(std::map<MessageId, Entry>::iterator it);
  void drop_payloads_over_budget();

  std::size_t capacity_;
  core::Duration ttl_;
  std::size_t payload_budget_;
  std::map<MessageId, Entry> entries_;
  std::deque<std::pair<core::Instant, MessageId>> by_age_;  // oldest first; may hold stale ids
  std::deque<MessageId> payload_order_;  // ids whose payload is kept, oldest first; may be stale
  std::size_t payload_bytes_ = 0;
};

}  // namespace barrel_p2p::plumtree
