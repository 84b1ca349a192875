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

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/rng.hpp"
#include "core/time.hpp"
#include "proto/hyparview/hyparview_config.hpp"
#include "proto/hyparview/hyparview_message.hpp"

namespace barrel_p2p::hyparview {

/// Deliver `message` to `to` over its link, opening an authenticated connection on demand
/// (`to.address` says where; it may be empty when the message answers a peer over the link it
/// used). If the link cannot be made or the send fails, call on_unreachable(to.name).
struct Send {
  PeerInfo to;
  Message message;
};
/// Membership no longer needs the link to `peer`; the runtime may close it once nothing else
/// uses it. (The brief's "Disconnect" command: named DropLink so it cannot be confused with
/// the DISCONNECT message, which is sent with Send before it when the peer must be told.)
struct DropLink {
  std::string peer;
};
/// What the runtime must do, in order.
using Command = std::variant<Send, DropLink>;

/// Why a peer left the active view.
enum class DownReason : std::uint8_t {
  failed,                ///< its link was lost or could not be made
  disconnected_by_peer,  ///< it sent DISCONNECT (it keeps running; it went to our passive view)
  evicted,               ///< we dropped it to make room (we sent DISCONNECT)
  peer_left,             ///< it left the cluster (DISCONNECT with `leaving`)
  we_left,               ///< we called leave()
};

/// `peer` entered the active view.
struct PeerUp {
  PeerInfo peer;
};
/// `peer` left the active view. Every PeerUp is followed by at most one PeerDown for that peer
/// before the next PeerUp for it.
struct PeerDown {
  std::string peer;
  DownReason reason = DownReason::failed;
};
/// The active view became non-empty for the first time since construction or the last leave()
/// (also on a node that never called join(): the first node of a cluster joins when the
/// second one reaches it).
struct Joined {};
/// leave() ran.
struct Left {};
/// Local evidence of a partition: at least kSuspectLosses active links failed within
/// kSuspectWindow (a cut, or that many neighbours crashed: the two look the same from here).
/// `lost` names them. At most one until PartitionHealed or the lost peers are forgotten.
struct PartitionSuspected {
  std::vector<std::string> lost;
};
/// After PartitionSuspected: a peer lost then is linked again (a rejoin probe was accepted, or
/// it probed us), or its name reached us through a walk (a shuffle it started, or one that
/// ended at it): either way it is in our component. It says that the cut between us and `peer` is
/// gone, not that every group re-merged (no node can see the whole overlay).
struct PartitionHealed {
  std::string peer;
};
using MembershipEvent =
    std::variant<PeerUp, PeerDown, Joined, Left, PartitionSuspected, PartitionHealed>;

/// Counters since construction (never reset, leave() included).
struct MembershipStats {
  std::uint64_t messages_in = 0;   ///< on_message calls (all types)
  std::uint64_t messages_out = 0;  ///< Send commands produced (all types)
  /// messages_in / messages_out split by `Message::index()` (see message_type_name()).
  std::array<std::uint64_t, kMessageTypeCount> messages_in_by_type{};
  std::array<std::uint64_t, kMessageTypeCount> messages_out_by_type{};
  std::uint64_t joins_handled = 0;      ///< JOINs accepted as a contact
  std::uint64_t shuffles = 0;           ///< SHUFFLEs we started
  std::uint64_t failures = 0;           ///< lost links, failed sends, unanswered NEIGHBORs
  std::uint64_t evictions = 0;          ///< active peers dropped to make room
  std::uint64_t neighbor_requests = 0;  ///< NEIGHBORs we sent
  std::uint64_t neighbor_refused = 0;   ///< of them, refused (the peer was full)
  std::uint64_t passive_expired = 0;    ///< passive entries dropped for age
  std::uint64_t passive_dropped = 0;    ///< passive entries dropped after max_failures
  std::uint64_t rejoin_probes = 0;      ///< rejoin NEIGHBORs we sent to lost peers
  std::uint64_t rejoins = 0;            ///< links to lost peers made again (either side asked)
  std::uint64_t rejoin_evictions = 0;   ///< of evictions, made to accept a rejoin
  std::uint64_t lost_heard = 0;         ///< lost peers forgotten: heard of through a walk
  std::uint64_t world_probes = 0;       ///< rejoin NEIGHBORs sent from a small world
};

/// One node's HyParView state. Not thread-safe: one owner calls every member. Every input may
/// queue commands and events: drain poll_command() and poll_event() after each, then wait until
/// next_deadline() (or the next input) and call on_timeout().
class Membership {
 public:
  /// `config` must pass validate(); `self.name` must be a valid node name (wire::is_valid_name)
  /// and `self.address` is what we advertise to others. `rng` is used for every random choice
  /// and must outlive this object.
  Membership(Config config, PeerInfo self, core::Rng& rng);

  /// Joins through `contact`: sends JOIN now and again every `join_retry` while the active view
  /// is empty (or under half full with no passive peer left to ask; see on_timeout()). Calling
  /// it again replaces the contact; after leave() it starts over. Joining ourselves is ignored.
  void join(core::Instant now, const PeerInfo& contact);
  /// Leaves for good: DISCONNECT(leaving) and DropLink to every active peer (PeerDown we_left for
  /// each), clears both views, emits Left and stops every timer. Later link and timer inputs
  /// are ignored; a later message that assumes we are still its active peer is answered with
  /// DISCONNECT(leaving) so that peer drops us too. join() starts again.
  void leave(core::Instant now);
  /// A decoded message from authenticated node `from`. Messages whose sender field is not
  /// `from` (forged) are ignored; so is anything from ourselves.
  void on_message(core::Instant now, const std::string& from, Message message);
  /// An established link to `peer` was lost: if `peer` is active (or answering our NEIGHBOR),
  /// it fails (PeerDown failed, to the passive view with backoff) and a replacement is asked.
  void on_link_down(core::Instant now, const std::string& peer);
  /// A send to `peer` failed, or a connection to it could not be made: counts as a failure of
  /// `peer` if it is in either view.
  void on_unreachable(core::Instant now, const std::string& peer);
  /// Runs every timer due at `now` (join retry, NEIGHBOR timeout, shuffle, repair, ageing).
  /// Calling it early is harmless.
  void on_timeout(core::Instant now);
  /// When on_timeout() must next be called; Instant::never() when no timer runs.
  [[nodiscard]] core::Instant next_deadline() const;

  /// The next command, in the order produced; nullopt when none is queued.
  std::optional<Command> poll_command();
  /// The next event, in the order produced; nullopt when none is queued.
  std::optional<MembershipEvent> poll_event();

  /// Peers we keep a link with (at most active_size; never ourselves).
  [[nodiscard]] const std::vector<PeerInfo>& active_view() const { return active_; }
  /// Known peers kept for repairs (at most passive_size; disjoint from the active view).
  [[nodiscard]] std::vector<PeerInfo> passive_view() const;
  [[nodiscard]] bool is_active(const std::string& name) const;
  [[nodiscard]] bool is_passive(const std::string& name) const;
  [[nodiscard]] const PeerInfo& self() const { return self_; }
  [[nodiscard]] const MembershipStats& stats() const { return stats_; }
  [[nodiscard]] const Config& config() const { return config_; }

  /// How long a refused NEIGHBOR request marks its sender as a peer with room. Two former
  /// neighbours of a dead node detect the loss up to a keep-alive interval apart; the first
  /// one's request is refused by the second, which asks it back once its own slot opens.
  /// Within the same time a refusal to another requester names it as a room hint.
  static constexpr core::Duration kRoomSeenFor = std::chrono::seconds(10);
  /// PartitionSuspected: this many active links failed within kSuspectWindow.
  static constexpr std::size_t kSuspectLosses = 2;
  static constexpr core::Duration kSuspectWindow = std::chrono::seconds(10);
  /// Small-world check (decision 0012): at a shuffle, a node that heard of at most
  /// active_size + 1 distinct live nodes (shuffle origins and ends, joiners) in the last
  /// kSmallWorldIntervals shuffle intervals probes a passive peer it did not hear of with a
  /// rejoin NEIGHBOR, at most once per that window. The check runs for kWorldCheckIntervals
  /// shuffle intervals after this node evicted a peer, was evicted or lost a link. A failed
  /// probe counts as a failure of the passive entry (its retry delay doubles, and it is
  /// dropped after max_failures).
  static constexpr int kSmallWorldIntervals = 6;
  static constexpr int kWorldCheckIntervals = 60;

  /// Peers lost to a link failure and not linked since (the re-merge probe targets).
  [[nodiscard]] std::vector<std::string> lost_peers() const;

 private:
  struct PassiveEntry {
    PeerInfo info;
    core::Instant refreshed;                   // last time we heard of it
    std::size_t failures = 0;                  // consecutive failed attempts
    core::Instant retry_at = core::Instant();  // not tried before this
    std::size_t refusals = 0;                  // consecutive refused NEIGHBORs (it was full)
    // When we refused its NEIGHBOR because we were full: it had room then, so it is the first
    // one to ask when a slot of ours opens (see kRoomSeenFor).
    core::Instant room_seen = core::Instant::never();
  };
  struct PendingNeighbor {
    std::string name;
    core::Instant deadline;
    bool world = false;  // a small-world probe: no answer is a failure of the passive entry
  };
  // A peer whose active link failed (decision 0012): probed with a rejoin NEIGHBOR until it is
  // linked again or remerge_max_age passes.
  struct LostPeer {
    PeerInfo info;
    core::Instant lost_at;
    core::Instant next_probe;
    core::Duration delay;  // before the probe after next_probe (doubles up to backoff_max)
  };

  void send(const PeerInfo& to, Message message);
  void emit(MembershipEvent event) { events_.push_back(std::move(event)); }
  void start_timers(core::Instant now);
  void add_active(core::Instant now, const PeerInfo& peer);
  void remove_active(const std::string& name, DownReason reason);
  /// Evicts a random active peer other than those named in `room` (unless no other is left),
  /// sending it a DISCONNECT that carries `room`; returns it.
  std::optional<PeerInfo> drop_random_active(core::Instant now, std::vector<PeerInfo> room = {});
  void remember_lost(core::Instant now, const PeerInfo& peer);
  /// Forgets a lost peer and ends a suspicion with PartitionHealed; false if it was not lost.
  bool forget_lost(const std::string& name);
  /// A lost peer is linked again: forget it, and end a suspicion with PartitionHealed.
  void found_lost(const std::string& name);
  /// A lost peer is in our component again (heard of through a walk): forget it, without
  /// touching a probe to it that is under way.
  void heard_lost(const std::string& name);
  void probe_lost(core::Instant now);
  /// A live node's name reached us through a walk (shuffle origin or terminal, joiner).
  void sighted(core::Instant now, const std::string& name);
  /// Links moved here: run the small-world check for a while.
  void arm_world_check(core::Instant now);
  /// When the nodes we heard of lately are few, ask a passive peer we did not hear of.
  void probe_if_small_world(core::Instant now);
  [[nodiscard]] core::Duration jittered(core::Duration delay);
  void add_passive(core::Instant now, const PeerInfo& peer);
  void remove_passive(const std::string& name);
  PassiveEntry* find_passive(const std::string& name);
  void peer_failed(core::Instant now, const std::string& name);
  /// Asks a ready passive peer for a NEIGHBOR link: first one known to have had room lately
  /// (it asked us while we were full, or a refusal named it), then one that never failed, then
  /// a lost one due for a retry.
  void try_neighbor(core::Instant now);
  /// Answers a message that only active peers send, from a peer not in our active view.
  bool repair_asymmetry(const std::string& from);
  /// After leave(): tells a peer that still counts on us that we are gone.
  void answer_after_leave(const std::string& from, const Message& message);
  /// A walk TTL from a peer, capped at our own walk length so a hostile TTL cannot make a walk
  /// longer than the configuration allows.
  [[nodiscard]] std::uint8_t capped_ttl(std::uint8_t ttl) const;
  void do_shuffle(core::Instant now);
  void integrate(core::Instant now, const std::vector<PeerInfo>& peers);
  std::vector<PeerInfo> sample_passive(std::size_t count);
  /// Up to `count` random active peers, leaving out the one named `except`.
  std::vector<PeerInfo> sample_active(std::size_t count, std::string_view except);
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
  std::vector<LostPeer> lost_;                     // at most remerge_contacts, oldest loss first
  std::optional<PendingNeighbor> pending_rejoin_;  // the one rejoin probe under way
  bool suspected_ = false;                         // PartitionSuspected emitted, not healed
  // Small-world check: live nodes heard of within the window (at most 2 * (active_size + 1),
  // newest kept), and the earliest next probe.
  std::map<std::string, core::Instant> sighted_;
  core::Instant next_world_probe_ = core::Instant::never();
  core::Instant world_check_until_ = core::Instant();  // armed by evictions and losses
  // Peers we sent DISCONNECT to within the last neighbor_timeout, so a JOIN_REPLY that crossed
  // it is refused. Bound: kMaxRecentDisconnects entries; past it the oldest is forgotten (a
  // stale JOIN_REPLY from it is then accepted, and the link heals through repair_asymmetry).
  static constexpr std::size_t kMaxRecentDisconnects = 256;
  std::map<std::string, core::Instant> disconnected_at_;
  bool started_ = false;
  bool joined_ = false;
  bool left_ = false;
  core::Instant next_join_ = core::Instant::never();
  core::Instant next_shuffle_ = core::Instant::never();
  core::Instant next_repair_ = core::Instant::never();
  core::Instant next_age_check_ = core::Instant::never();
  // Output queues. Not capped: one input queues O(active_size + shuffle_size) items and the
  // owner drains both after every input (see the class comment).
  std::deque<Command> commands_;
  std::deque<MembershipEvent> events_;
  MembershipStats stats_;
};

}  // namespace barrel_p2p::hyparview
