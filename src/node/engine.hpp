// The node Engine: everything one node knows, as one sans-IO state machine (ARCHITECTURE.md,
// "The node engine"). It owns by value the peer links and their authentication, the trust
// store, the process router, HyParView, Plumtree, the dialer's decisions (per-node frame
// queues, dials, learned addresses), the idle reaper and the join contacts.
//
// Shape (as every core): inputs are handle_*(now, ...) calls for transport events, API
// requests and timers; outputs are Commands drained with poll_command() until it returns
// nothing; next_deadline() says when on_timeout() must run. The Engine holds no promise,
// callback, lock, clock or socket and never calls out: the driver (src/runtime, or the
// simulator) carries out its commands and runs user code after the Engine's turn.
//
// Not thread-safe: one thread (the node's loop) drives it.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "barrel_p2p/envelope.hpp"
#include "barrel_p2p/membership.hpp"
#include "barrel_p2p/pid.hpp"
#include "barrel_p2p/result.hpp"
#include "barrel_p2p/services.hpp"
#include "core/bytes.hpp"
#include "core/fifo.hpp"
#include "core/rng.hpp"
#include "core/time.hpp"
#include "node/engine_command.hpp"
#include "node/peer_links.hpp"
#include "node/process_router.hpp"
#include "proto/auth/identity.hpp"
#include "proto/auth/trust_store.hpp"
#include "proto/hyparview/membership.hpp"
#include "proto/plumtree/broadcast_tree.hpp"
#include "proto/registry/exit_causes.hpp"
#include "proto/registry/registry_message.hpp"
#include "proto/registry/route_table.hpp"
#include "proto/registry/service_registry.hpp"
#include "wire/link_frame.hpp"
#include "wire/views_message.hpp"

namespace barrel_p2p::node {

/// Broadcast tags starting with this are the system's own: Node::broadcast refuses them, and
/// gossip under one the Engine does not know is delivered to no subscriber.
inline constexpr std::string_view kReservedTagPrefix = "barrel_p2p:";
/// The Plumtree tag registry deltas travel under.
inline constexpr std::string_view kRegistryTag = "barrel_p2p:registry";
/// The text of the `down` reason (ExitCode::noconnection) of a service whose node's lease ran
/// out (decision 0025).
inline constexpr std::string_view kLeaseExpired = "lease expired";
/// A node hidden this many leases without news is pruned for real (remove_node).
inline constexpr int kLeasePruneFactor = 60;
/// True for a tag under kReservedTagPrefix.
bool is_reserved_tag(std::string_view tag);
/// The registry core's settings for the public ones (pid size, event bound and clock added).
registry::Config registry_core_config(const RegistryConfig& config);
/// The route requests' settings (whereis_service step 3) for the public ones.
registry::RouteConfig registry_route_config(const RegistryConfig& config);

/// Everything an Engine is configured with; validated by the driver (Config::validate).
struct EngineConfig {
  std::string node_name;
  std::uint64_t incarnation = 1;  ///< This run's incarnation (part of every local pid).
  std::uint64_t seed = 1;         ///< Seeds the Engine's own Rng (membership, jitter, auth).
  LinkConfig links;
  hyparview::Config membership;
  plumtree::Config broadcast;
  /// The address other nodes reach us at (advertised in membership messages).
  std::string advertise_address;
  std::vector<std::string> contacts;  ///< Join contacts, tried as soon as the Engine runs.
  core::Duration contact_retry = std::chrono::seconds(1);
  /// Bytes of frames queued towards one node while its link opens or its stream is full;
  /// beyond it sends to that node fail with limit_reached.
  std::size_t node_queue_limit = 8 * 1024 * 1024;
  /// Bytes of raw peer messages (send_peer) queued per link behind a full stream buffer.
  std::size_t peer_queue_limit = 8 * 1024 * 1024;
  core::Duration connect_timeout = std::chrono::seconds(5);
  core::Duration reaper_interval = std::chrono::seconds(60);  ///< 0: never reap
  core::Duration reaper_min_age = std::chrono::seconds(30);
  /// Configured node -> "host:port" addresses, or contact strings (whose name and key a dial
  /// to that node requires), for on-demand connections.
  std::map<std::string, std::string, std::less<>> node_addresses;
  /// True when the driver can look nodes up in an endpoint directory (Resolve{node, ""}).
  bool endpoint_directory = false;
  /// Learned addresses kept at most (oldest-learned forgotten first; configured ones stay).
  std::size_t learned_address_limit = 65536;
  /// Registered rpc functions at most.
  std::size_t function_limit = 4096;
  int log_level = 2;  ///< Log commands below this level are not produced (spdlog levels).
  /// The service registry's core settings (registry_core_config()).
  registry::Config registry = registry_core_config({});
  /// How often a random active peer compares registry digests; 0: never (new links still do).
  core::Duration anti_entropy_interval = std::chrono::seconds(5);
  /// Wall-clock time at start: the registry's first stamp, which retires the entries a
  /// previous run of this node left behind.
  core::WallTime wall_at_start;
  /// Overlay route requests (whereis_service step 3; registry_route_config()).
  registry::RouteConfig route;
  /// Lease on the registry entries of other nodes (engine_registry_lease.cpp): entries of a
  /// node with no liveness evidence for this long are hidden. 0: no leases, no heartbeats.
  core::Duration registry_lease = std::chrono::seconds(60);
  /// How often this node, when it has entries, broadcasts a heartbeat, and how often leases
  /// are checked. Below registry_lease.
  core::Duration registry_lease_renew_interval = std::chrono::seconds(10);
  /// Test hook: registry deltas, digests and states from peers are ignored (route requests
  /// still work), so tests can make a node whose table misses what its peers know.
  bool ignore_registry_replication = false;
};

/// Counters and sizes of the Engine's service registry.
struct EngineRegistryStats {
  std::size_t names = 0;                   ///< current: names with an instance
  std::size_t entries = 0;                 ///< current: instances
  std::size_t tombstones = 0;              ///< current
  std::uint64_t deltas_out = 0;            ///< deltas broadcast (local changes)
  std::uint64_t deltas_in = 0;             ///< deltas from peers, merged or refused
  std::uint64_t deltas_not_broadcast = 0;  ///< too large for a broadcast: left to anti-entropy
  std::uint64_t digests_out = 0;
  std::uint64_t digests_in = 0;
  std::uint64_t states_out = 0;
  std::uint64_t states_in = 0;
  std::uint64_t states_too_large = 0;       ///< states not sent: above max_state_size or a frame
  std::uint64_t anti_entropy_rounds = 0;    ///< periodic digest comparisons started
  std::uint64_t malformed = 0;              ///< undecodable registry messages from peers
  std::uint64_t unusable_entries = 0;       ///< entries whose pid is not a process of their node
  std::uint64_t clock_skew_rejections = 0;  ///< remote stamps too far ahead (not adopted)
  std::map<std::string, std::uint64_t> refused;  ///< deltas and states refused, by reason
  std::uint64_t route_requests_sent = 0;         ///< overlay walks started here (with retries)
  std::uint64_t route_requests_answered = 0;     ///< requests answered from this node's table
  std::uint64_t route_requests_forwarded = 0;    ///< requests passed on to an active peer
  std::uint64_t route_requests_timed_out = 0;    ///< walks of this node that got no answer
  std::uint64_t route_cache_hits = 0;            ///< whereis answered from the route cache
  std::map<std::string, std::uint64_t> route_dropped;  ///< route messages dropped, by reason
  std::uint64_t heartbeats_sent = 0;      ///< lease heartbeats broadcast (this node has entries)
  std::uint64_t heartbeats_received = 0;  ///< lease heartbeats of other nodes delivered here
  std::uint64_t leases_expired = 0;       ///< nodes whose entries were hidden (lease ran out)
  std::uint64_t leases_restored = 0;      ///< hidden nodes shown again (news from them)
  std::uint64_t leases_pruned = 0;        ///< hidden nodes pruned for good (remove_node)
  /// Entries of this node a peer removed (a prune after a long cut) while their process
  /// runs, registered again.
  std::uint64_t entries_reasserted = 0;
};

/// A query of find_service() that needed the overlay: its instances, or not_found (no answer
/// after every attempt) or closed (shutdown).
struct ServiceFound {
  std::uint64_t query = 0;
  Result<std::vector<ServiceInstance>> found;
};

/// Counters of the parts the Engine owns (the driver adds transport and mailbox figures).
struct EngineStats {
  std::uint64_t messages_sent = 0;      ///< link frames written
  std::uint64_t messages_received = 0;  ///< application frames received
  std::uint64_t dropped_connection_lost = 0;
  std::uint64_t on_demand_connects = 0;
  std::uint64_t connects_failed = 0;
  std::uint64_t connections_reaped = 0;
  std::uint64_t learned_addresses_forgotten = 0;
  std::uint64_t pins_rotated = 0;        ///< pins moved by a rotation record (decision 0023)
  std::uint64_t pins_not_persisted = 0;  ///< first-contact pins dropped: their file failed
  std::uint64_t dials_backed_off = 0;    ///< dials held back after authentication failures
  std::size_t learned_addresses = 0;     ///< current
  std::size_t queued_frames = 0;         ///< current, towards every node
};

class Engine final : private ProcessHost, private FrameSink {
 public:
  /// `keys` is copied; `trust` is the initial trust store (pins loaded from disk).
  Engine(EngineConfig config, const auth::KeyPair& keys, auth::TrustStore trust);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  [[nodiscard]] const EngineConfig& config() const { return config_; }
  [[nodiscard]] const std::string& name() const { return config_.node_name; }

  // ---- transport events ------------------------------------------------------------------
  /// A QUIC connection can carry link bytes (starts authentication on it): a client's at its
  /// TLS handshake's end, a server's as soon as its 1-RTT keys exist (decision 0027).
  void handle_connected(core::Instant now, core::WallTime wall, std::uint64_t connection,
                        bool is_client, const std::array<std::uint8_t, 32>& server_cert_sha256,
                        const std::string& address);
  /// Bytes arrived on the peer's stream of `channel` (in order).
  void handle_stream_data(core::Instant now, core::WallTime wall, std::uint64_t connection,
                          Channel channel, core::ByteView data);
  /// The connection ended, for any reason; `reason` is for logs and PeerDown.
  void handle_closed(core::Instant now, std::uint64_t connection, const std::string& reason);
  /// A retired link's connection delivered every byte queued on its link streams and stays
  /// open only for tagged streams (decision 0020): frames held for the peer since the
  /// retirement go out on its new link now, as they would at handle_closed.
  void handle_link_flushed(core::Instant now, std::uint64_t connection);
  /// The stream of `channel` on `connection` has room again after a refused write.
  void handle_writable(core::Instant now, std::uint64_t connection, Channel channel);
  /// The driver could not write a Transmit's `frame` (stream buffer full): the Engine queues
  /// the bytes again (a Transmit's `owned`, moved back, or a copy of its `frame`), in order,
  /// and writes them after handle_writable(). May be called while draining.
  void handle_transmit_blocked(core::Instant now, std::uint64_t connection, Channel channel,
                               core::Bytes frame);
  /// A Dial command's connection was created (`connection`), or could not be (the error).
  void handle_dial_started(core::Instant now, std::uint64_t dial, Result<std::uint64_t> connection);
  /// The answer to a Resolve command.
  void handle_resolved(core::Instant now, const std::string& node,
                       Result<core::SocketAddress> address);
  /// The outcome of a PersistPin command, needed only when it failed (`written` holds the
  /// error): the Engine then takes the pin back (if it still is `pin.key`: it drops a
  /// first-contact pin, and puts a rotated pin back on `pin.previous`, the key its file still
  /// holds), closes the peer's links with auth failure reason pin_not_persisted (an
  /// AuthFailure event) and counts it, so a key that cannot be kept across a restart is not
  /// trusted now either. Until the writer reports, the peer is trusted (authentication does
  /// not wait for the fsync). A success changes nothing, so the driver may skip reporting it.
  void handle_pin_persisted(core::Instant now, const PersistPin& pin, Result<void> written);
  /// A Deliver command's mailbox was full: the Engine answers a call, counts the rest.
  void handle_delivery_refused(std::uint64_t process, Envelope&& envelope);

  // ---- peer links -------------------------------------------------------------------------
  /// A message for `peer` on `channel` of its authenticated link (Node::send). Errors:
  /// not_found (no link), limit_reached (peer_queue_limit bytes wait behind a full stream).
  Result<void> send_peer(std::string_view peer, Channel channel, core::ByteView payload);
  /// Like send_peer(), for a whole frame the driver built itself (wire::encode_frame with the
  /// channel's frame type: control or data). The Engine copies `frame`.
  Result<void> send_peer_frame(std::string_view peer, Channel channel, core::ByteView frame);
  /// Like send_peer_frame(), moving `frame` (a large one is never copied); moved from only
  /// when the result is a success, so a refused frame stays with the caller.
  Result<void> send_peer_frame(std::string_view peer, Channel channel, core::Bytes& frame);
  /// Says goodbye and closes the link to `peer`. Errors: not_found.
  Result<void> disconnect(std::string_view peer, std::string_view reason);
  /// The application opened `connection` itself (Node::connect), just now: the link it
  /// authenticates is kept. The idle reaper never closes it; it lasts until disconnect(),
  /// shutdown(), the peer closing it or the connection failing. With `expected` (the
  /// application dialed a contact string) the peer must prove that identity (AuthSession).
  void handle_user_connect(std::uint64_t connection,
                           std::optional<auth::ExpectedPeer> expected = std::nullopt);
  /// The driver opened `connection` to take over the link to a peer (Node::migrate_peer on
  /// the accepting side when the peer cannot move the connection, decisions 0020 and 0036): its
  /// authentication asks the peer to retire the existing link in its favour, in order (the
  /// duplicate-link retirement of decision 0002).
  void handle_takeover_connect(std::uint64_t connection) { takeovers_.insert(connection); }
  /// Sends a path message (decision 0036) on the link to `peer`, on its control stream.
  /// Errors: as for any link frame (not a remote name, closed, limit_reached).
  Result<void> send_path_message(const std::string& peer, const wire::PathMessage& message);
  /// Where `node` accepts connections as far as this node knows (learned from its links and
  /// membership, or node_addresses): where a takeover dials.
  [[nodiscard]] std::optional<std::string> listening_address(const std::string& node) const {
    return known_address(node);
  }
  /// Names of peers with an authenticated link, sorted.
  [[nodiscard]] std::vector<std::string> peers() const { return links_.peers(); }
  /// The connection carrying the authenticated link to `peer`. Errors: not_found.
  [[nodiscard]] Result<std::uint64_t> link_connection(std::string_view peer) const {
    return links_.route(peer);
  }
  /// The peer authenticated on `connection`, if any (who opened an inbound tagged stream).
  [[nodiscard]] std::optional<std::string> link_peer(std::uint64_t connection) const {
    return links_.peer_of(connection);
  }
  /// The trust store (pins); changes apply to authentications that start afterwards.
  [[nodiscard]] auth::TrustStore& trust() { return trust_; }
  [[nodiscard]] const auth::TrustStore& trust() const { return trust_; }

  // ---- processes (see ProcessRouter for the rules) ---------------------------------------
  [[nodiscard]] ProcessRouter& processes() { return router_; }
  [[nodiscard]] const ProcessRouter& processes() const { return router_; }
  /// Starts a call; completion comes as CallDone{ref} (possibly already queued on return).
  std::uint64_t call(core::Instant now, const Pid& from, const Pid& to, core::ByteView request,
                     core::Duration timeout);
  /// Starts an rpc; completion comes as CallDone{ref}.
  std::uint64_t rpc(core::Instant now, const Pid& from, std::string_view node,
                    std::string_view function, core::ByteView payload, core::Duration timeout);
  /// Completes a RunRpc the driver ran.
  void finish_rpc(const RpcRequest& request, Result<core::Bytes> result);
  /// Names of functions this node runs for rpc (the driver keeps the functions themselves).
  /// Errors: already_exists, limit_reached (function_limit).
  Result<void> add_function(std::string_view name);
  /// Errors: not_found.
  Result<void> remove_function(std::string_view name);
  /// Adds or replaces the address of `node` (host:port, host may be a DNS name).
  void add_address(std::string_view node, std::string_view address);

  // ---- membership and broadcast ------------------------------------------------------------
  /// Joins through `contact` (host:port, or a contact string name@host:port#SHA256:<hex>
  /// whose identity the contact must prove), retried every contact_retry while no peer is
  /// active. Errors: invalid_argument (neither an address nor a contact string).
  Result<void> join(core::Instant now, std::string_view contact);
  void leave(core::Instant now);
  [[nodiscard]] std::vector<NodeInfo> active_view() const;
  [[nodiscard]] std::vector<NodeInfo> passive_view() const;
  /// Errors: invalid_argument (tag or payload too large).
  Result<void> broadcast(core::Instant now, std::string_view tag, core::ByteView payload);
  [[nodiscard]] const hyparview::Membership& membership() const { return membership_; }
  [[nodiscard]] const plumtree::BroadcastTree& broadcast_tree() const { return broadcast_; }

  // ---- cluster views (engine_views.cpp) ----------------------------------------------------
  /// Asks every active peer for its views (a views REQUEST each, wire/views_message.hpp). The
  /// answer comes as ViewsGathered{ref} once every peer answered, lost its link, or `timeout`
  /// passed, whichever is first; it carries this node's own views, taken then. With an empty
  /// active view it is queued at once. Peers answer REQUESTs from their Engine, without the
  /// application. Errors: limit_reached (kMaxViewGathers gathers in flight), closed (stopping).
  Result<std::uint64_t> gather_views(core::Instant now, core::Duration timeout);
  /// A timed ping of `peer`: a views REQUEST to that peer alone, over its existing link. The
  /// answer comes as ViewsGathered{ref} with the peer in `peers` (it answered) or in
  /// `unanswered` (link lost, or `timeout` passed). Errors: not_found (no authenticated link
  /// to `peer`), limit_reached (kMaxViewGathers gathers in flight), closed (stopping).
  Result<std::uint64_t> ping_peer(core::Instant now, const std::string& peer,
                                  core::Duration timeout);
  /// This node's own views, as a views REPLY reports them.
  [[nodiscard]] NodeViews own_views() const;
  /// Gathers in flight at most; a gather beyond it is refused with limit_reached.
  static constexpr std::size_t kMaxViewGathers = 64;

  // ---- service registry (engine_registry.cpp) -----------------------------------------------
  /// Registers local process `pid` under `name` cluster-wide; replaces its earlier entry under
  /// the same name. Errors: invalid_argument (name size, metadata size, not a local pid), noproc
  /// (not alive), limit_reached (a registry bound), closed.
  Result<void> register_service(core::Instant now, core::WallTime wall, std::string_view name,
                                const Pid& pid, core::ByteView metadata);
  /// Removes this node's instances under `name`. Errors: not_found, closed.
  Result<void> unregister_service(core::Instant now, std::string_view name);
  /// Every instance under `name` this node knows, ordered by (node, registration time).
  [[nodiscard]] std::vector<ServiceInstance> lookup_service(std::string_view name) const;
  /// Names with an instance that start with `prefix`, ascending.
  [[nodiscard]] std::vector<std::string> list_services(std::string_view prefix) const;
  /// The next change of the registry (registered, unregistered, down), oldest first. Drain
  /// after every input, as poll_command(): each is the result of an input already handled.
  std::optional<ServiceEvent> poll_service_event();
  [[nodiscard]] EngineRegistryStats registry_stats() const;
  [[nodiscard]] const registry::ServiceRegistry& registry() const { return registry_; }
  /// What find_service() knows at once: instances (from the table or the route cache), or
  /// the id of a query whose answer comes later from poll_service_found().
  struct ServiceQuery {
    std::vector<ServiceInstance> found;  ///< non-empty: answered now
    std::uint64_t query = 0;             ///< otherwise: the overlay query started
  };
  /// whereis_service steps 2 and 3 (engine_registry_route.cpp): the replicated table, then
  /// the route cache, then an overlay route request walked `retries` more times after a
  /// timeout. Errors: overloaded (route max_in_flight queries wait), invalid_argument (name
  /// empty or over max_name_size), closed.
  Result<ServiceQuery> find_service(core::Instant now, std::string_view name,
                                    std::uint32_t retries);
  /// The next finished overlay query. Drain after every input, as poll_service_event().
  std::optional<ServiceFound> poll_service_found();

  // ---- lifecycle and timers ----------------------------------------------------------------
  /// Starts the graceful stop: processes end (shutdown), calls fail (closed), the active view
  /// hears DISCONNECT, every link says goodbye. Later sends fail with closed.
  void shutdown(core::Instant now);
  /// Ends processes and calls without telling peers (abort: a crash).
  void abort();
  [[nodiscard]] bool stopping() const { return stopping_; }
  [[nodiscard]] core::Instant next_deadline() const;
  void on_timeout(core::Instant now);

  // ---- output ------------------------------------------------------------------------------
  /// The next command, or nothing. A Transmit's frame is valid until the next call.
  std::optional<Command> poll_command();
  [[nodiscard]] bool has_commands() const { return !commands_.empty() || links_.has_output(); }
  [[nodiscard]] EngineStats stats() const;
  /// What waits towards one node: frames queued for its link, and whether a connection to it
  /// is being made (for the simulator's "nothing left behind" checks).
  struct NodeQueue {
    std::size_t frames = 0;
    bool dialing = false;
  };
  [[nodiscard]] NodeQueue queue_towards(const std::string& node) const;
  [[nodiscard]] const LinkStats& link_stats() const { return links_.stats(); }

 private:
  // Per remote node: frames waiting for a link or for stream room, and reaper bookkeeping.
  struct PeerState {
    struct QueuedFrame {
      core::Bytes frame;  // header included
      bool process = false;
    };
    std::array<std::deque<QueuedFrame>, 2> queues;  // by Channel
    std::size_t queued_bytes = 0;
    [[nodiscard]] bool idle() const { return queues[0].empty() && queues[1].empty(); }
    [[nodiscard]] std::size_t queued_frames() const { return queues[0].size() + queues[1].size(); }
    bool dialing = false;
    core::Instant dial_deadline = core::Instant::never();
    bool up = false;
    core::Instant up_since;
    std::uint64_t connection = 0;  // where our last frame went
    // A retired duplicate link we sent on: new frames wait until it closed (order).
    std::uint64_t draining = 0;
    std::array<bool, 2> blocked{};        // the stream refused a write; waits for writable
    std::uint64_t activity = 0;           // frames in and out while up
    std::uint64_t activity_at_sweep = 0;  // `activity` at the previous reaper sweep
    std::uint64_t process_frames = 0;     // application frames in and out while up
    // Membership, broadcast and process frames in and out (not Node::send's): a link that
    // carried none is the application's alone, and the reaper leaves it.
    std::uint64_t engine_frames = 0;
    bool kept = false;  // linked by the application (handle_user_connect): never reaped
  };
  struct PendingTransmit {
    std::uint64_t connection;
    Channel channel;
    std::size_t offset;
    std::size_t size;
  };
  // Authentication failures towards one address (auth backoff, engine_dialer.cpp).
  struct AuthBackoff {
    std::uint32_t failures = 0;
    core::Instant retry_at;  // no dial to the address before this
  };
  struct DialPurpose {
    std::string node;     // on-demand dial of a node (empty for a join contact)
    std::string contact;  // join contact address (empty for an on-demand dial)
    std::optional<auth::ExpectedPeer> expected;  // the identity a contact string names
  };

  // ProcessHost (the router's side)
  bool deliver(std::uint64_t id, Envelope&& envelope) override;
  void process_ended(std::uint64_t id, const ExitReason& reason) override;
  Result<void> send_frame(const std::string& node, core::ByteView frame) override;
  bool run_function(RpcRequest&& request) override;
  void call_done(std::uint64_t ref, Result<core::Bytes> result) override;
  // FrameSink (the links' side)
  void on_frame(const std::string& peer, wire::FrameType type, core::Bytes&& payload) override;

  // engine.cpp: link outputs and frames
  void settle(core::Instant now);
  void apply_link_outputs(core::Instant now);
  void handle_link_event(core::Instant now, LinkEvent&& event);
  void key_rotated(const LinkAuthenticated& link);
  void peer_up(core::Instant now, PeerUp&& up);
  void peer_down(core::Instant now, PeerDown&& down);
  void on_membership_frame(const std::string& peer, core::ByteView payload);
  void on_broadcast_frame(const std::string& peer, core::ByteView payload);
  /// The checks and bookkeeping of send_peer*: `now(connection)` writes the message when the
  /// stream is free, `later()` returns its frame to queue behind a full stream.
  template <typename Now, typename Later>
  Result<void> send_peer_with(std::string_view peer, Channel channel, std::size_t size, Now&& now,
                              Later&& later);
  void push_transmit(std::uint64_t connection, Channel channel, wire::FrameType type,
                     core::ByteView payload);
  void push_transmit_frame(std::uint64_t connection, Channel channel, core::ByteView frame);
  /// A frame already in its own buffer (queued earlier): moved, not copied, when large.
  void push_transmit_frame(std::uint64_t connection, Channel channel, core::Bytes&& frame);
  /// Appends `size` more arena bytes (from the arena's end) to the last Transmit when it is an
  /// arena Transmit on the same stream, else starts a new one.
  void push_arena_transmit(std::uint64_t connection, Channel channel, std::size_t offset);
  void log(int level, std::string text);
  /// A frame from `peer` broke the protocol: logs `frame` (which frame, "" for none) and
  /// `why`, and closes the link with "protocol violation: <why>".
  void close_on_violation(const std::string& peer, std::string_view frame, const std::string& why);
  /// Decodes a path frame (decision 0036) and hands it to the driver.
  void on_path_frame(const std::string& peer, core::ByteView payload);
  [[nodiscard]] bool logs(int level) const { return level >= config_.log_level; }
  // engine_dialer.cpp: on-demand connections, queues and the reaper
  Result<void> send_link_frame(const std::string& node, wire::FrameType type,
                               core::ByteView payload);
  PeerState& state_of(const std::string& node);
  Result<void> dial(const std::string& node, PeerState& state);
  void dial_address(const std::string& node, const core::SocketAddress& address);
  void dial_failed(const std::string& node, const std::string& why);
  std::optional<std::string> known_address(const std::string& node) const;
  void learn_address(const std::string& node, const std::string& address);
  void flush_peer(const std::string& node, PeerState& state);
  void peer_linked(const std::string& peer, const std::string& address);
  void peer_lost(const std::string& peer);
  void connection_closed(std::uint64_t connection);
  /// Frames held for a peer behind its retired link `connection` go out on the new link.
  void end_draining(std::uint64_t connection);
  void link_retired(const std::string& peer, std::uint64_t connection);
  void check_dial_deadlines(core::Instant now);
  void auth_failed_at(const std::string& address);
  void auth_succeeded_at(const std::string& address);
  /// True (and counted) when `address` is waiting out an authentication backoff.
  bool backing_off(const std::string& address);
  void sweep_idle(core::Instant now);
  [[nodiscard]] core::Duration sweep_period() const;
  [[nodiscard]] core::Instant dialer_deadline() const;
  // engine_membership.cpp
  void try_contacts(core::Instant now);
  /// At construction: the keys configured contact strings name become requirements of the
  /// trust store (TrustStore::require).
  void require_configured_contacts();
  Result<void> start_join(core::Instant now, const std::string& address);
  void join_linked(core::Instant now, std::uint64_t connection, const std::string& peer);
  bool pump_membership(core::Instant now);
  void drop_membership_link(const std::string& peer);
  [[nodiscard]] core::Instant contacts_deadline() const;
  // engine_views.cpp
  struct ViewGather {
    core::Instant deadline;
    std::set<std::string> waiting;  // active peers asked that have not answered
    ClusterView view;
  };
  void on_views_frame(const std::string& peer, core::ByteView payload);
  void on_views_reply(const std::string& peer, wire::ViewsReply&& reply);
  void views_peer_lost(const std::string& peer);
  /// Sends a views REQUEST to each of `peers` and tracks the answers (gather_views, ping_peer).
  Result<std::uint64_t> start_gather(core::Instant now, core::Duration timeout,
                                     const std::vector<std::string>& peers);
  void finish_gather(std::uint64_t ref);
  void views_on_timeout(core::Instant now);
  [[nodiscard]] core::Instant views_deadline() const;
  // engine_registry.cpp
  /// The pid of a registry entry of `node` (learning its node's address), or nothing when the
  /// entry is not a contact of a process of `node`.
  std::optional<Pid> instance_pid(const std::string& node, core::ByteView bytes);
  void publish_delta(const registry::Delta& delta, const std::optional<registry::ExitCause>& exit);
  void on_registry_delta(const std::string& origin, core::ByteView payload);
  void on_registry_frame(const std::string& peer, core::ByteView payload);
  /// Turns the registry core's events into service events; unregistered entries of
  /// `exited_node` become `down` with `exit`'s reason when it is set.
  void drain_registry_events(const std::string& exited_node,
                             const std::optional<registry::ExitCause>& exit);
  void registered_process_ended(const Pid& pid, const ExitReason& reason);
  /// Registers again an entry of this node that a peer removed while its process runs.
  void reassert_service(ServiceInstance&& instance);
  std::uint64_t registry_digest();
  void send_registry_digest(const std::string& peer);
  void send_registry_state(const std::string& peer, bool reply);
  void registry_neighbor_up(const std::string& peer);
  [[nodiscard]] core::Instant registry_deadline() const;
  void registry_on_timeout(core::Instant now);
  // engine_registry_route.cpp
  void send_walk(const registry::RouteWalk& walk);
  void on_route_request(const std::string& peer, registry::Message&& request);
  void answer_route_request(const registry::Message& request);
  void on_route_reply(const std::string& peer, const registry::Message& reply);
  std::vector<ServiceInstance> service_instances(
      const std::vector<registry::RoutedInstance>& instances);
  void finish_route(registry::RouteResult&& result);
  void route_on_timeout(core::Instant now);
  void route_shutdown();
  // engine_registry_lease.cpp
  [[nodiscard]] bool leases_on() const;
  /// Liveness evidence from `node`: its lease starts again, and hidden entries show.
  void renew_lease(const std::string& node);
  void on_registry_heartbeat(const std::string& origin, const registry::Message& message);
  void send_heartbeat();
  void check_leases(core::Instant now);
  [[nodiscard]] core::Instant lease_deadline() const;

  EngineConfig config_;
  core::SeededRng rng_;
  auth::KeyPair keys_;
  auth::TrustStore trust_;
  PeerLinks links_;  // refers to keys_ and trust_ (declared before it)
  ProcessRouter router_;
  hyparview::Membership membership_;   // refers to rng_
  plumtree::BroadcastTree broadcast_;  // refers to rng_
  bool stopping_ = false;
  bool left_ = false;
  core::Instant now_;  // the latest input's time (for inputs that carry none)

  // Output.
  core::Fifo<Command> commands_;
  core::Fifo<PendingTransmit> transmits_;  // Transmit commands, in order among commands_
  core::Bytes arena_;                      // their frames; cleared once drained
  core::Bytes scratch_;                    // one encoded message

  // Dialer.
  std::unordered_map<std::string, std::unique_ptr<PeerState>> peer_states_;
  std::uint64_t next_dial_ = 1;
  std::unordered_map<std::uint64_t, DialPurpose> dial_purposes_;  // Dial commands in flight
  std::unordered_map<std::uint64_t, std::string> dials_;          // connection -> node dialed
  std::unordered_map<std::uint64_t, std::string> joins_;          // connection -> contact address
  // Connections the application opened, until they authenticate or close (at most the
  // transport's connection cap).
  std::set<std::uint64_t> user_connections_;
  // Identities that dialed contact strings name, by connection, until the connection's TLS
  // handshake is done or it closes (at most the transport's connection cap).
  std::unordered_map<std::uint64_t, auth::ExpectedPeer> expected_peers_;
  // Connections the driver opened as takeovers, until their TLS handshake completes or they
  // close (one per migrate_peer in progress at most).
  std::set<std::uint64_t> takeovers_;
  std::map<std::string, std::string, std::less<>> learned_addresses_;
  std::deque<std::string> learned_order_;  // oldest first, for learned_address_limit
  std::set<std::string, std::less<>> functions_;
  std::unordered_map<std::string, AuthBackoff> auth_backoff_;  // by address; bounded
  core::Instant next_sweep_ = core::Instant::never();
  core::Instant next_full_sweep_ = core::Instant::never();
  std::vector<std::string> pending_contacts_;
  core::Instant next_contact_try_;
  bool contacts_started_ = false;
  EngineStats stats_;

  // Service registry.
  core::WallTime wall_;  // the latest wall time an input carried
  registry::ServiceRegistry registry_;
  core::Instant next_anti_entropy_ = core::Instant::never();
  std::uint64_t registry_version_ = 0;  // bumped by every change (digest cache key)
  std::uint64_t digest_version_ = 0;
  bool digest_valid_ = false;
  std::uint64_t digest_ = 0;
  core::Bytes state_bytes_;  // the encoded state digest_ was taken of
  EngineRegistryStats registry_counters_;
  std::deque<ServiceEvent> service_events_;  // drained by the driver after every input
  // Why recently removed entries ended, sent with every STATE (exit_causes.hpp): 64, for 60 s.
  registry::RecentExitCauses exit_causes_{registry::kMaxStateCauses, std::chrono::seconds(60)};
  registry::RouteTable route_;
  // Finished overlay queries, drained by the driver after every input (≤ max_in_flight: one
  // per query, and a query finishes once).
  std::deque<ServiceFound> service_found_;
  // Leases of the nodes with entries in the replica (≤ its max_nodes).
  struct Lease {
    core::Instant renewed;  // latest liveness evidence
    hlc::Timestamp beat;    // latest heartbeat's stamp (older ones renew nothing)
    bool hidden = false;
    core::Instant hidden_at;
  };
  std::map<std::string, Lease, std::less<>> leases_;
  core::Instant next_lease_check_ = core::Instant::never();

  // Cluster views: gathers in flight, by ref (at most kMaxViewGathers).
  std::map<std::uint64_t, ViewGather> view_gathers_;
  std::uint64_t next_view_gather_ = 1;
};

}  // namespace barrel_p2p::node
