// barrel_p2p::Node: one cluster node with its identity, its UDP port and its peer links.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "barrel_p2p/config.hpp"
#include "barrel_p2p/datagram_transport.hpp"
#include "barrel_p2p/events.hpp"
#include "barrel_p2p/future.hpp"
#include "barrel_p2p/histogram.hpp"
#include "barrel_p2p/membership.hpp"
#include "barrel_p2p/path_stats.hpp"
#include "barrel_p2p/pid.hpp"
#include "barrel_p2p/process.hpp"
#include "barrel_p2p/result.hpp"
#include "barrel_p2p/services.hpp"
#include "barrel_p2p/stream.hpp"
#include "barrel_p2p/subscription.hpp"

namespace barrel_p2p {

/// Counters of one node (monotonic unless noted).
struct NodeStats {
  std::uint64_t auth_succeeded = 0;  ///< peer authentications that succeeded
  std::uint64_t auth_failed = 0;     ///< peer authentications that failed (either side refused)
  /// auth_failed split by reason (e.g. "key_mismatch", "contact_mismatch").
  std::map<std::string, std::uint64_t> auth_failed_by_reason;
  /// How long successful authentications took, from the end of the TLS handshake to the
  /// outcome.
  DurationHistogram auth_succeeded_duration;
  /// How long failed authentications took, measured as auth_succeeded_duration.
  DurationHistogram auth_failed_duration;
  std::uint64_t datagrams_received = 0;            ///< UDP datagrams received
  std::uint64_t datagrams_dropped_garbage = 0;     ///< datagrams dropped as not QUIC
  std::uint64_t datagrams_unknown_connection = 0;  ///< datagrams for no known connection
  std::uint64_t stateless_resets_sent = 0;         ///< QUIC stateless resets sent
  /// Connections refused at max_connections or max_handshakes.
  std::uint64_t connections_refused_limit = 0;
  std::uint64_t messages_sent = 0;      ///< messages sent on peer links
  std::uint64_t messages_received = 0;  ///< messages received on peer links
  /// Events dropped because the event queue (Config::event_queue_limit) was full.
  std::uint64_t events_dropped = 0;
  std::uint64_t sends_dropped = 0;  ///< sends queued off-loop whose peer went away first
  /// How long each of this node's loop turns took: reading datagrams or a timer, the Engine
  /// and transport calls, and the user code run after them.
  DurationHistogram loop_turns;
  std::size_t connections = 0;  ///< current
  std::size_t peers = 0;        ///< current authenticated links
  // Processes and on-demand connections.
  std::size_t processes = 0;                  ///< current
  std::size_t pending_calls = 0;              ///< current
  std::uint64_t process_messages_local = 0;   ///< delivered between processes of this node
  std::uint64_t process_messages_in = 0;      ///< process frames received from peers
  std::uint64_t process_messages_out = 0;     ///< process frames sent or queued to peers
  std::uint64_t dropped_noproc = 0;           ///< messages to processes that did not exist
  std::uint64_t dropped_mailbox_full = 0;     ///< remote messages and calls a full mailbox refused
  std::uint64_t worker_jobs_refused = 0;      ///< worker-pool jobs refused (queue at its bound)
  std::uint64_t remote_monitors_refused = 0;  ///< monitors from peers over the per-process bound
  std::uint64_t remote_links_refused = 0;     ///< links from peers over the per-process bound
  std::uint64_t dropped_connection_lost = 0;  ///< queued frames lost with their connection
  /// Calls and rpcs this node made (call, rpc, call_service), each ending in a reply, an
  /// error or a timeout.
  std::uint64_t calls_started = 0;
  std::uint64_t calls_timed_out = 0;     ///< calls_started that ended in a timeout
  std::uint64_t on_demand_connects = 0;  ///< connections opened because a process sent
  std::uint64_t connects_failed = 0;     ///< on-demand connections that failed or timed out
  std::uint64_t connections_reaped = 0;  ///< idle connections closed by the reaper
  /// First-contact or rotated pins whose file could not be written: the pin was dropped again
  /// (a rotated one put back on the old key) and the peer's links closed (auth failure reason
  /// pin_not_persisted).
  std::uint64_t pins_not_persisted = 0;
  /// Pins moved to a peer's new key by its rotation record (decision 0023).
  std::uint64_t pins_rotated = 0;
  /// Dials not made because authentication with that address failed just before: after each
  /// failure the address waits 1 s, doubling up to 5 min (reset by a success).
  std::uint64_t dials_backed_off = 0;
  // Connection churn and membership (HyParView), counted since start.
  std::uint64_t connections_initiated = 0;  ///< QUIC connections this node dialled (any purpose)
  std::uint64_t connections_accepted = 0;   ///< QUIC connections peers dialled to this node
  // Connection migration (migrate_peer), counted since start.
  std::uint64_t migrations_ok = 0;         ///< links moved to a new local address
  std::uint64_t migrations_failed = 0;     ///< refused, or the new path failed validation
  std::uint64_t migrations_timed_out = 0;  ///< not validated within migrate_peer's timeout
  /// Links moved to a takeover connection (migrate_peer on the side the peer dialed, here or
  /// at the peer, when the dialing side could not move the connection; decision 0020).
  std::uint64_t link_takeovers = 0;
  /// Connections this node moved to a new socket of its own and to the peer's new address
  /// because the peer, which had accepted them, migrated its end (decision 0036).
  std::uint64_t migrations_for_peers = 0;
  /// Accepted connections whose peer now sends from another address, validated: the peer
  /// migrated, or a NAT rebound its address (QUIC cannot tell the two apart).
  std::uint64_t peer_address_changes = 0;
  /// Packets of a peer dropped, connection kept, because the QUIC library counted one
  /// connection ID too many after a migration (docs/internals/decisions/0031-*.md).
  std::uint64_t connection_id_limit_drops = 0;
  // Relayed connections (set_connect_options with a DatagramTransport), counted since start.
  std::uint64_t relay_datagrams_sent = 0;      ///< handed to a transport's send() and taken
  std::uint64_t relay_datagrams_received = 0;  ///< fed from a transport to QUIC
  /// Relay datagrams dropped: inbound over a connection's receive_queue_limit, empty or above
  /// kMaxRelayDatagramSize; outbound refused by the transport's send().
  std::uint64_t relay_datagrams_dropped = 0;
  std::uint64_t membership_neighbor_requests = 0;  ///< NEIGHBOR requests sent
  std::uint64_t membership_neighbor_refused = 0;   ///< of them, refused (the peer was full)
  std::uint64_t membership_evictions = 0;  ///< active peers dropped to make room for another
  std::uint64_t membership_failures = 0;   ///< lost links, failed sends, unanswered NEIGHBORs
  std::uint64_t membership_shuffles = 0;   ///< SHUFFLEs this node started
  /// Membership messages sent, by type: join, forward_join, join_reply, neighbor,
  /// neighbor_reply, disconnect, shuffle, shuffle_reply.
  std::map<std::string, std::uint64_t> membership_messages_out;
  // Broadcast (Plumtree), counted since start.
  std::uint64_t broadcasts = 0;            ///< broadcast() calls that succeeded
  std::uint64_t broadcast_deliveries = 0;  ///< broadcasts delivered here, our own included
  std::uint64_t broadcast_duplicates = 0;  ///< GOSSIP copies of a broadcast already delivered
  std::uint64_t broadcast_rejected = 0;    ///< GOSSIP over this node's tag or payload limits
  std::uint64_t broadcast_announcements_sent = 0;      ///< IHAVE entries sent (ids announced)
  std::uint64_t broadcast_announcements_received = 0;  ///< IHAVE entries received
  /// Plumtree frames sent, by type: gossip, ihave, graft, prune.
  std::map<std::string, std::uint64_t> broadcast_frames_out;
  /// Plumtree frames received, by type: gossip, graft, prune (IHAVE frames are not counted
  /// as frames: see broadcast_announcements_received).
  std::map<std::string, std::uint64_t> broadcast_frames_in;
  // Service registry.
  std::size_t registry_names = 0;                    ///< current: names with an instance
  std::size_t registry_entries = 0;                  ///< current: instances, on all nodes
  std::size_t registry_tombstones = 0;               ///< current: removed entries remembered
  std::uint64_t registry_deltas_out = 0;             ///< changes made here, broadcast
  std::uint64_t registry_deltas_in = 0;              ///< changes from peers
  std::uint64_t registry_digests_out = 0;            ///< digest comparisons sent
  std::uint64_t registry_digests_in = 0;             ///< digest comparisons received
  std::uint64_t registry_states_out = 0;             ///< full states sent (digests differed)
  std::uint64_t registry_states_in = 0;              ///< full states received
  std::uint64_t registry_anti_entropy_rounds = 0;    ///< periodic comparisons started
  std::uint64_t registry_malformed = 0;              ///< undecodable registry messages from peers
  std::uint64_t registry_clock_skew_rejections = 0;  ///< remote stamps too far ahead
  /// Deltas, states and local operations refused, by reason: malformed, too_large, name_size,
  /// pid_size, metadata_size, names, entries_per_name, entries, tombstones, nodes, foreign_dot.
  std::map<std::string, std::uint64_t> registry_refused;
  /// Changes not broadcast (too large) or states not sent (above max_state_size or
  /// max_frame_size); anti-entropy or a larger limit is needed.
  std::uint64_t registry_dropped_too_large = 0;
  /// Replicated entries no application can use (their pid is not a contact of a process of
  /// the node that registered them): kept by the CRDT, left out of lookups and events.
  std::uint64_t registry_unusable_entries = 0;
  std::uint64_t registry_route_requests_sent = 0;       ///< overlay walks started (whereis)
  std::uint64_t registry_route_requests_answered = 0;   ///< walks answered from our table
  std::uint64_t registry_route_requests_forwarded = 0;  ///< walks passed on to a peer
  std::uint64_t registry_route_requests_timed_out = 0;  ///< our walks that got no answer
  std::uint64_t registry_route_cache_hits = 0;          ///< whereis answered from the cache
  std::uint64_t registry_heartbeats_sent = 0;           ///< lease heartbeats broadcast by this node
  std::uint64_t registry_heartbeats_received = 0;       ///< lease heartbeats of other nodes
  std::uint64_t registry_leases_expired = 0;   ///< nodes whose instances were hidden (no news)
  std::uint64_t registry_leases_restored = 0;  ///< hidden nodes heard from again
  std::uint64_t registry_leases_pruned = 0;    ///< hidden nodes pruned for good
  /// Instances of this node a peer pruned (a cut longer than 60 leases) while their process
  /// ran: registered again.
  std::uint64_t registry_entries_reasserted = 0;
  /// Route requests and replies dropped, by reason: duplicate, ttl_expired, no_peer,
  /// unknown_reply, bad_reply, overloaded (a whereis refused at route_max_in_flight).
  std::map<std::string, std::uint64_t> registry_route_dropped;
  // Tagged streams (decision 0019).
  std::size_t streams_open = 0;              ///< current: streams not closed yet
  std::uint64_t streams_opened_out = 0;      ///< open_stream() successes
  std::uint64_t streams_opened_in = 0;       ///< peer streams handed to an acceptor
  std::uint64_t stream_resets_sent = 0;      ///< by Stream::reset and refused inbound streams
  std::uint64_t stream_resets_received = 0;  ///< RESET_STREAM or STOP_SENDING from peers
  /// Inbound streams reset before an acceptor saw them, by reason: cap (over
  /// streams.max_pending_preambles), unknown_tag (no acceptor, or a reserved tag), malformed
  /// (a bad preamble, or the stream ended inside it).
  std::map<std::string, std::uint64_t> stream_preamble_dropped;
};

/// A pinned peer key.
struct Pin {
  std::string peer;                           ///< The peer's node name.
  std::array<std::uint8_t, 32> public_key{};  ///< Its Ed25519 public key.
  std::string fingerprint;                    ///< fingerprint(public_key): "SHA256:<hex>".
};

class NodeImpl;
class Runtime;

/// A running node. Every method is thread-safe. Work happens on the node's event-loop thread
/// (its own, or one it shares with other nodes of a Runtime); methods called from that thread
/// (inside a handler or callback) run inline.
class Node {
 public:
  /// Loads or creates the identity and TLS certificate under config.data_dir, binds the UDP
  /// port and starts an event loop of the node's own. To run many nodes on a few threads, use
  /// Runtime::start_node. Errors: invalid_argument (config), io (files, bind, the loop),
  /// crypto (a key pair whose halves do not match, a corrupt certificate).
  static Result<std::unique_ptr<Node>> start(Config config);
  /// Stops the node (see stop()).
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// Closes every connection (peers see the close at once) and joins the loop thread.
  /// Idempotent. Must not be called from the event handler.
  void stop();
  /// Stops at once without telling anyone, as a crash would: no goodbye, no DISCONNECT, no
  /// close; peers find out through the idle timeout. For fault injection and emergency stops.
  /// Afterwards the node is stopped (stop() does nothing more).
  void abort();

  /// This node's name (Config::node_name).
  [[nodiscard]] const std::string& name() const;
  /// The bound UDP address, e.g. "127.0.0.1:40123".
  [[nodiscard]] std::string address() const;
  /// Our Ed25519 public key, raw.
  [[nodiscard]] std::array<std::uint8_t, 32> public_key() const;
  /// "SHA256:<hex>" of our public key.
  [[nodiscard]] std::string fingerprint() const;
  /// Our contact string, "name@host:port#SHA256:<hex>", with the address peers should dial
  /// (membership.advertise_address, else the bound address). A peer that connects or joins
  /// through it refuses any node that does not prove this name and key
  /// (docs/concepts/authentication.md#contact-strings).
  [[nodiscard]] std::string contact() const;

  /// Starts connecting to a node at `address`: "host:port", or a contact string
  /// "name@host:port#SHA256:<hex>" (the peer must then prove that name and key, else the
  /// connection fails with auth failure contact_mismatch). Completion is reported as a
  /// PeerUp or AuthFailure event (or PeerDown for a failed connection). The link is kept until
  /// disconnect() or stop(), or until the peer closes it or the connection fails: the idle
  /// reaper here never closes a link opened here, and the peer's leaves it to us while only
  /// send() messages use it (membership or process traffic on it makes it the peer's to
  /// close when idle, as any such link). Errors: invalid_argument (address), limit_reached
  /// (connection caps), closed (node stopped).
  Result<void> connect(std::string_view address);
  /// Connects and waits until the peer is authenticated; returns its name. The link is kept as
  /// connect()'s is. Errors: as connect(), plus auth_failed (with the reason) and timeout. Must not
  /// be called from the event handler.
  Result<std::string> connect_and_wait(std::string_view address, std::chrono::milliseconds timeout);

  /// Queues `payload` for `peer` on `channel`. Messages on one channel arrive in order.
  /// Errors: not_found (no authenticated link to peer), invalid_argument (payload larger
  /// than max_frame_size), limit_reached (send buffer full), closed (node stopped).
  Result<void> send(std::string_view peer, Channel channel, std::span<const std::uint8_t> payload);
  /// Says goodbye with `reason` and closes the link. Errors: not_found, closed.
  Result<void> disconnect(std::string_view peer, std::string_view reason);
  /// Moves the link to `peer` to a new local UDP address and port (QUIC connection
  /// migration) and waits until the new path is validated, at most `timeout`. The new socket
  /// belongs to this node, bound to `local_address` ("host:port"; empty: the listening IP and
  /// a port the kernel chooses); the listening port does not change. Streams, queued and
  /// in-flight messages, monitors and links ride through: no PeerDown or PeerUp, and the
  /// path's congestion state starts afresh. Either side may call it: on the side the peer
  /// dialed (where QUIC cannot migrate) the node asks the peer to move the connection to the
  /// new socket, and the peer does so with a QUIC migration of its own (decision 0036); a
  /// peer that cannot (Config::follow_peer_migrations off) is answered by a new connection
  /// from the new socket that takes the link over, after everything queued on the old one
  /// was delivered, in order (docs/internals/decisions/0020-connection-migration.md).
  /// Errors: not_found (no authenticated link to `peer`), invalid_argument (`local_address`
  /// is bad), unreachable (the peer disabled active migration or refused to move, the new
  /// path failed validation, or the takeover connection failed), limit_reached (no spare
  /// connection ID from the peer yet), busy (a migration of this link is in progress),
  /// timeout (not validated in time: the link stays on its old path, usable), io (the new
  /// socket), closed. Blocks: must not be called from the event handler or a loop process.
  Result<void> migrate_peer(std::string_view peer, std::chrono::milliseconds timeout,
                            std::string_view local_address = {});
  /// Makes the next connection this node opens to `node` run over `options.transport` (a
  /// relay, a tunnel: see DatagramTransport) instead of the UDP socket; the QUIC handshake,
  /// the authentication and the session run over it unchanged, so the carrier can neither
  /// read, forge nor replay its way into the link. `node` is a node name, or a contact string
  /// whose name is used. The options are consumed once: by the next connect() or
  /// connect_and_wait() with a contact string naming `node`, or the next dial the node makes to
  /// `node` by itself (join() through a contact string, a message or call to one of its
  /// processes); whether that connection succeeds or not, the one after it uses UDP again
  /// unless options are set anew. connect() with a plain "host:port" never uses them (the name
  /// is not known before authentication). Options never used stay until
  /// clear_connect_options() or stop(), and the transport is then released without being
  /// started. The connection releases its transport (DatagramTransport::stop) when it closes.
  /// Errors: invalid_argument (a bad name or contact, this node's own name, no transport, a
  /// receive_queue_limit of 0 or above kMaxRelayReceiveQueue), already_exists (options for
  /// `node` are set and not used yet: clear them first), busy (an authenticated link to `node`
  /// exists: the options would not be used; disconnect first), limit_reached (options for 64
  /// nodes are pending), closed.
  Result<void> set_connect_options(std::string_view node, ConnectOptions options);
  /// Drops the options set for `node` and not used yet. Errors: invalid_argument (a bad name or
  /// contact), not_found (none are pending), closed.
  Result<void> clear_connect_options(std::string_view node);
  /// Every node we hold an authenticated link to (active view, on-demand and plain links),
  /// sorted.
  [[nodiscard]] std::vector<std::string> peers() const;
  /// Path statistics of the connection carrying the authenticated link to `node`: round-trip
  /// times, congestion window, bytes in flight, delivery rate and the current addresses.
  /// Errors: not_found (no authenticated link to `node`), closed.
  [[nodiscard]] Result<PathStats> path_stats(std::string_view node) const;
  /// Path statistics of every authenticated link, ordered by node name. Empty when stopped.
  [[nodiscard]] std::vector<PathStats> path_stats() const;
  /// A timed ping of `node` over its existing link: a small request on the control stream
  /// that the peer's node answers itself, without the application (a views request). Returns
  /// the round trip as this node's loop measured it. Errors: not_found (no authenticated link
  /// to `node`), timeout (no answer within `timeout`, or the link was lost), limit_reached (64
  /// pings and cluster_view() requests in flight), invalid_argument (called from the loop
  /// thread: it blocks), closed.
  Result<std::chrono::nanoseconds> ping(std::string_view node,
                                        std::chrono::milliseconds timeout) const;

  /// Waits up to `timeout` for the next event (only when Config::event_handler is unset).
  std::optional<Event> next_event(std::chrono::milliseconds timeout);

  /// A snapshot of this node's counters (docs/reference/admin-api.md lists them as /v1/stats
  /// and /metrics serve them).
  [[nodiscard]] NodeStats stats() const;

  // Trust store (persisted under <data>/keys/trusted/).
  /// Pins `peer` to `public_key`. Errors: invalid_argument (name), already_exists (a different
  /// key is pinned: unpin first), io.
  Result<void> pin(std::string_view peer, const std::array<std::uint8_t, 32>& public_key);
  /// Removes a pin. Errors: not_found, io.
  Result<void> unpin(std::string_view peer);
  /// The pin of `peer`; empty when none is pinned.
  [[nodiscard]] std::optional<Pin> lookup_pin(std::string_view peer) const;
  /// Every pin, ordered by peer name.
  [[nodiscard]] std::vector<Pin> pins() const;
  /// Switches the trust mode (Config::trust_mode) for authentications that start afterwards;
  /// links already up stay.
  void set_trust_mode(TrustMode mode);
  /// The current trust mode.
  [[nodiscard]] TrustMode trust_mode() const;

  // Processes (docs/concepts/processes.md). Thread-safe; called from a loop process's
  // handler they take no thread hop.
  /// This run's incarnation (part of every local pid).
  [[nodiscard]] std::uint64_t incarnation() const;
  /// Starts a process running `handler`. Errors: invalid_argument (no handler, bad name),
  /// already_exists (the name is taken), noproc (link_to is a dead local process), closed.
  Result<Pid> spawn(Handler handler, SpawnOptions options = {});
  /// A process owned by the calling thread (see Mailbox). `mailbox_limit` 0 means
  /// Config::mailbox_limit. Errors: closed.
  Result<std::unique_ptr<Mailbox>> mailbox(std::size_t mailbox_limit = 0);
  /// Sends from no process (the message's `from` is the node's anonymous pid, id 0). A local
  /// target whose mailbox is full refuses it with limit_reached, from every thread. Errors:
  /// as Process::send.
  Result<void> send(const Pid& to, BytesView payload);
  /// Sends to the process registered as `name` on `node` (empty: this node).
  Result<void> send(std::string_view node, std::string_view name, BytesView payload);
  /// Calls `to` from no process; see Process::call.
  Future<Bytes> call(const Pid& to, BytesView request, std::chrono::milliseconds timeout);
  /// Runs `function` on `node` (this node when empty or our name); see Process::rpc.
  Future<Bytes> rpc(std::string_view node, std::string_view function, BytesView payload,
                    std::chrono::milliseconds timeout);
  /// Sends an exit signal to `target` from no process (kill: ExitReason::killed()).
  Result<void> exit(const Pid& target, ExitReason reason);
  /// Registers `pid` (a live local process) as `name` on this node; the name goes when the
  /// process ends. Errors: invalid_argument (1-255 bytes), already_exists, noproc, closed.
  Result<void> register_name(std::string_view name, const Pid& pid);
  /// Errors: not_found, closed.
  Result<void> unregister_name(std::string_view name);
  /// The local process registered as `name`.
  [[nodiscard]] std::optional<Pid> whereis(std::string_view name) const;
  /// Registers a named function for rpc() from any node. `placement` worker runs it on the
  /// worker pool (it may block). Errors: invalid_argument (name 1-255 bytes, no function),
  /// already_exists, closed.
  Result<void> register_function(std::string_view name, RpcFunction function,
                                 Placement placement = Placement::loop);
  /// Errors: not_found, closed.
  Result<void> unregister_function(std::string_view name);
  // Membership and broadcast (docs/concepts/membership.md). Thread-safe.
  /// Joins the cluster through the node at `contact` ("host:port", or a contact string
  /// "name@host:port#SHA256:<hex>" whose name and key the node must prove, as connect()'s):
  /// connects, authenticates and sends JOIN. Connecting and JOIN are retried every
  /// membership.contact_retry until the active view is non-empty (also when the first connection
  /// fails or is refused, e.g. by a contact busy with many joins, or our own connection caps are
  /// reached). Errors: invalid_argument (not an address or contact string), closed.
  Result<void> join(std::string_view contact);
  /// Leaves the cluster: every active peer is told (it drops us at once), views are emptied.
  Result<void> leave();
  /// The active view: the nodes we keep gossip links with (at most
  /// Config::membership.active_view_size).
  [[nodiscard]] std::vector<NodeInfo> active_view() const;
  /// The passive view: known nodes kept for repairs.
  [[nodiscard]] std::vector<NodeInfo> passive_view() const;
  /// The cluster as this node sees it and as its active peers report it: asks every active
  /// peer for its views (a views request on the link; peers answer without the application)
  /// and returns this node's views plus every answer that came within `timeout`. Peers that
  /// did not answer in time, or whose link was lost, are listed in ClusterView::unanswered.
  /// Blocks the calling thread up to `timeout` (plus a turn of the loop): not for the loop
  /// thread or a loop-placed handler. Thread-safe. Errors: invalid_argument (called on the
  /// loop thread), limit_reached (64 requests already in flight), timeout (the loop did not
  /// answer in time), closed.
  [[nodiscard]] Result<ClusterView> cluster_view(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2'000)) const;
  /// Broadcasts `payload` under `tag` to every node of the cluster (Plumtree), including this
  /// one's subscribers. Errors: invalid_argument (tag over 255 bytes, payload over
  /// membership.max_broadcast_size), closed.
  Result<void> broadcast(std::string_view tag, BytesView payload);
  /// Calls `handler` (on the loop thread: do not block) for every broadcast under `tag`,
  /// until the returned handle's cancel(). Errors: invalid_argument (no handler),
  /// limit_reached (65,536 callbacks registered on this node), closed.
  Result<Subscription> subscribe(std::string_view tag,
                                 std::function<void(const BroadcastMessage&)> handler);
  /// Calls `handler` (on the loop thread) for NeighborUp / NeighborDown / Joined / Left,
  /// until the returned handle's cancel(). Errors: as subscribe().
  Result<Subscription> on_membership_event(std::function<void(const MembershipEvent&)> handler);

  // Service registry (docs/concepts/services.md). Thread-safe. Names are cluster-wide: a
  // registration replicates to every node (Plumtree deltas, digest comparison with peers), and
  // each node reads its own replica, so lookups never wait for the network.
  /// Registers local process `pid` under `name` with `metadata`, on every node. A process can
  /// hold many names and a name many processes (one per process and node); registering the
  /// same pid under the same name again replaces its metadata. The entry goes when the process
  /// ends (a `down` event with its exit reason) or its node stops. Errors: invalid_argument
  /// (name 1-registry.max_name_size bytes, metadata over registry.max_metadata_size, a pid of
  /// another node), noproc (no such live process), limit_reached (a registry bound), closed.
  Result<void> register_service(std::string_view name, const Pid& pid, BytesView metadata = {});
  /// Removes this node's instances under `name` everywhere (other nodes' instances stay).
  /// Errors: not_found (none on this node), closed.
  Result<void> unregister_service(std::string_view name);
  /// Every instance under `name` known here, ordered by node name; empty when none.
  [[nodiscard]] std::vector<ServiceInstance> lookup_service(std::string_view name) const;
  /// The instances under `name` whose process runs on this node.
  [[nodiscard]] std::vector<ServiceInstance> lookup_local_service(std::string_view name) const;
  /// Names with at least one instance that start with `prefix` ("" lists all), ascending.
  [[nodiscard]] std::vector<std::string> list_services(std::string_view prefix = {}) const;
  /// One instance of `name` to talk to: an instance on this node when there is one, otherwise
  /// one of the others chosen at random per call (which spreads callers over instances).
  /// Errors: not_found (no instance known here yet).
  [[nodiscard]] Result<ServiceInstance> whereis_service(std::string_view name) const;
  /// Like whereis_service(name), and when neither this node nor its replica knows `name`,
  /// asks the overlay: a walk of at most registry.route_ttl hops over active views, answered
  /// by the first node that knows the name; the answer is cached for registry.route_cache_ttl.
  /// A walk unanswered after registry.route_timeout is tried again, `retries` times. Completes
  /// on the loop thread (or at once when the answer is known here). Thread-safe.
  /// Errors: not_found (no answer after every walk), overloaded (registry.route_max_in_flight
  /// walks already wait on this node: try later), invalid_argument (name size), closed.
  [[nodiscard]] Future<ServiceInstance> whereis_service(std::string_view name,
                                                        std::uint32_t retries);
  /// Calls `handler` (on the loop thread: do not block) for every service event whose name
  /// passes `filter`, until the returned handle's cancel(). Errors: invalid_argument (no
  /// handler), limit_reached (65,536 callbacks on this node), closed.
  Result<Subscription> subscribe_services(ServiceFilter filter,
                                          std::function<void(const ServiceEvent&)> handler);
  /// Sends to the instance whereis_service(name) picks (Erlang's `via`): no proxy process.
  /// Errors: not_found (no instance), then as send(const Pid&, ...).
  Result<void> send_service(std::string_view name, BytesView payload);
  /// Calls the instance whereis_service(name) picks. Errors: not_found, then as call().
  Future<Bytes> call_service(std::string_view name, BytesView request,
                             std::chrono::milliseconds timeout);

  // Tagged streams (docs/how-to/tagged-streams.md, decision 0019). Thread-safe.
  /// Opens a byte stream to `node` under `tag`, on the connection of its authenticated link
  /// (connect() or membership made it). The peer hands it to the acceptor it registered for
  /// `tag`; without one it resets the stream, and the first read or write here fails with
  /// closed. Errors: invalid_argument (tag empty, over 255 bytes, or reserved: starting with
  /// "barrel_p2p:"), not_found (no authenticated link to `node`), limit_reached (the peer's
  /// streams.max_inbound_per_peer streams are open), closed.
  Result<Stream> open_stream(std::string_view node, std::string_view tag);
  /// Hands every stream a peer opens under `tag` to `acceptor` (on the loop thread: it must
  /// not block), until unregister_acceptor(tag) or stop(). One acceptor per tag per node.
  /// Errors: invalid_argument (tag as open_stream's, no acceptor), already_exists (the tag
  /// has an acceptor), limit_reached (4,096 acceptors), closed.
  Result<void> register_acceptor(std::string_view tag, StreamAcceptor acceptor);
  /// As register_acceptor(tag, acceptor), owned by the local process `owner`: when it exits
  /// (any reason), the tag is unregistered, and later streams under it are reset. Errors: as
  /// above, plus noproc (`owner` is not a live process of this node).
  Result<void> register_acceptor(std::string_view tag, const Pid& owner, StreamAcceptor acceptor);
  /// Removes the acceptor of `tag`; streams already accepted go on. Errors: not_found, closed.
  Result<void> unregister_acceptor(std::string_view tag);

  /// Adds or replaces the address of `node` in the address book used by on-demand
  /// connections ("host:port"; host may be a DNS name). Errors: invalid_argument, closed.
  Result<void> add_address(std::string_view node, std::string_view address);

 private:
  friend class Process;
  friend class Mailbox;
  friend class Runtime;
  explicit Node(std::unique_ptr<NodeImpl> impl);
  std::unique_ptr<NodeImpl> impl_;
};

/// "SHA256:<hex>" of a raw Ed25519 public key.
std::string fingerprint(const std::array<std::uint8_t, 32>& public_key);

/// The contact string "name@address#SHA256:<hex>" of a node named `name`, dialed at `address`
/// ("host:port": a numeric IP or localhost, not a wildcard, not port 0), whose public key is
/// `public_key`. Errors: invalid_argument naming the bad name or address.
Result<std::string> make_contact(std::string_view name, std::string_view address,
                                 const std::array<std::uint8_t, 32>& public_key);

}  // namespace barrel_p2p
