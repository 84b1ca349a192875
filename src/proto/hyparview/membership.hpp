// HyParView membership (Leitão, Pereira, Rodrigues, DSN 2007) as a sans-IO core (SPEC §2.2).
// Inputs carry the time; randomness comes from the Rng passed in; outputs are commands (send a
// message to a peer, drop a link) and events, drained with poll_command()/poll_event() after
// every input. next_deadline()/on_timeout() drive the timers (shuffle, repair, retries).
//
// Invariants (checked by the property tests): views never exceed their bounds, never hold
// ourselves, and a peer is never in both views. Active links are symmetric once quiet: every
// way into an active view (JOIN, accepted FORWARD_JOIN, NEIGHBOR) tells the other side, which
// adds us too or answers DISCONNECT.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/rng.hpp"
#include "core/time.hpp"
#include "proto/hyparview/hyparview_config.hpp"
#include "proto/hyparview/hyparview_message.hpp"

namespace barrel_p2p::hyparview {

/// Deliver `message` to `to` over its link, opening an authenticated connection on demand.
struct Send {
  PeerInfo to;
  Message message;
};
/// Membership no longer needs the link to `peer` (the runtime may close it).
struct DropLink {
  std::string peer;
};
using Command = std::variant<Send, DropLink>;

enum class DownReason : std::uint8_t {
  failed,                ///< its link was lost or could not be made
  disconnected_by_peer,  ///< it sent DISCONNECT
  evicted,               ///< we dropped it to make room
  peer_left,             ///< it left the cluster
  we_left,               ///< we called leave()
};

struct PeerUp {
  PeerInfo peer;
};
struct PeerDown {
  std::string peer;
  DownReason reason = DownReason::failed;
};
struct Joined {};
struct Left {};
using MembershipEvent = std::variant<PeerUp, PeerDown, Joined, Left>;

struct MembershipStats {
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t joins_handled = 0;
  std::uint64_t shuffles = 0;
  std::uint64_t failures = 0;
  std::uint64_t evictions = 0;
  std::uint64_t neighbor_requests = 0;
};

class Membership {
 public:
  /// `rng` must outlive this object. `self.name` must be a valid node name.
  Membership(Config config, PeerInfo self, core::Rng& rng);

  /// Joins through `contact` (retried every join_retry until the active view is non-empty).
  void join(core::Instant now, PeerInfo contact);
  /// Leaves: DISCONNECT(leaving) to every active peer, then ignores further input.
  void leave(core::Instant now);
  /// A message from authenticated node `from`.
  void on_message(core::Instant now, const std::string& from, Message message);
  /// An established link to `peer` was lost.
  void on_link_down(core::Instant now, const std::string& peer);
  /// A send to `peer` failed, or a connection to it could not be made.
  void on_unreachable(core::Instant now, const std::string& peer);
  void on_timeout(core::Instant now);
  [[nodiscard]] core::Instant next_deadline() const;

  std::optional<Command> poll_command();
  std::optional<MembershipEvent> poll_event();

  [[nodiscard]] const std::vector<PeerInfo>& active_view() const { return active_; }
  [[nodiscard]] std::vector<PeerInfo> passive_view() const;
  [[nodiscard]] bool is_active(const std::string& name) const;
  [[nodiscard]] bool is_passive(const std::string& name) const;
  [[nodiscard]] const PeerInfo& self() const { return self_; }
  [[nodiscard]] const MembershipStats& stats() const { return stats_; }
  [[nodiscard]] const Config& config() const { return config_; }

 private:
  struct PassiveEntry {
    PeerInfo info;
    core::Instant refreshed;                   // last time we heard of it
    std::size_t failures = 0;                  // consecutive failed attempts
    core::Instant retry_at = core::Instant();  // not tried before this
  };
  struct PendingNeighbor {
    std::string name;
    core::Instant deadline;
  };

  void send(const PeerInfo& to, Message message);
  void emit(MembershipEvent event) { events_.push_back(std::move(event)); }
  void start_timers(core::Instant now);
  void add_active(core::Instant now, const PeerInfo& peer);
  void remove_active(const std::string& name, DownReason reason);
  void drop_random_active(core::Instant now);
  void add_passive(core::Instant now, const PeerInfo& peer);
  void remove_passive(const std::string& name);
  PassiveEntry* find_passive(const std::string& name);
  void peer_failed(core::Instant now, const std::string& name);
  /// Asks a ready passive peer for a NEIGHBOR link (only previously failed ones when
  /// `retries_only`).
  void try_neighbor(core::Instant now, bool retries_only = false);
  /// Answers a message that only active peers send, from a peer not in our active view.
  bool repair_asymmetry(const std::string& from);
  void do_shuffle(core::Instant now);
  void integrate(core::Instant now, const std::vector<PeerInfo>& peers);
  std::vector<PeerInfo> sample_passive(std::size_t count);
  std::size_t random_index(std::size_t size) {
    return static_cast<std::size_t>(rng_.uniform(size));
  }
  [[nodiscard]] core::Duration backoff(std::size_t failures) const;

  void handle(core::Instant now, const std::string& from, const Join& m);
  void handle(core::Instant now, const std::string& from, const ForwardJoin& m);
  void handle(core::Instant now, const std::string& from, const JoinReply& m);
  void handle(core::Instant now, const std::string& from, const Neighbor& m);
  void handle(core::Instant now, const std::string& from, const NeighborReply& m);
  void handle(core::Instant now, const std::string& from, const Disconnect& m);
  void handle(core::Instant now, const std::string& from, const Shuffle& m);
  void handle(core::Instant now, const std::string& from, const ShuffleReply& m);

  Config config_;
  PeerInfo self_;
  core::Rng& rng_;
  std::vector<PeerInfo> active_;
  std::vector<PassiveEntry> passive_;
  std::optional<PeerInfo> contact_;
  std::optional<PendingNeighbor> pending_neighbor_;
  std::map<std::string, core::Instant> disconnected_at_;  // peers we evicted, recently
  bool started_ = false;
  bool joined_ = false;
  bool left_ = false;
  core::Instant next_join_ = core::Instant::never();
  core::Instant next_shuffle_ = core::Instant::never();
  core::Instant next_repair_ = core::Instant::never();
  core::Instant next_age_check_ = core::Instant::never();
  std::deque<Command> commands_;
  std::deque<MembershipEvent> events_;
  MembershipStats stats_;
};

}  // namespace barrel_p2p::hyparview
