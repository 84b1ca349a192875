// The driver of one node: the I/O around its sans-IO node::Engine (ARCHITECTURE.md, "The node
// engine"). It owns the UDP socket, the QUIC endpoint, the mailboxes and handlers of local
// processes, promises, the worker pool and the application's callbacks; the Engine owns what
// the node knows. Many drivers share one LoopThread.
//
// One turn, on the loop thread (turn()): the Engine has been fed (datagrams through the
// endpoint, a timer, an API call); its commands are carried out (bytes to the endpoint,
// envelopes to mailboxes, dials, closes); the endpoint writes; only then do user handlers,
// continuations and callbacks run, and what they asked for is carried out in the next round
// of the same turn. Nothing calls user code from inside the Engine or ngtcp2.
//
// Thread-safety: the public members are called by Node, Process and Mailbox from any thread;
// each either runs on the loop thread (inline when already there) or posts its work there.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "barrel_p2p/node.hpp"
#include "barrel_p2p/stream.hpp"
#include "node/engine.hpp"
#include "runtime/data_dir_lock.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/file_writer.hpp"
#include "runtime/loop_thread.hpp"
#include "runtime/os_rng.hpp"
#include "runtime/relay_inbox.hpp"
#include "runtime/send_inbox.hpp"
#include "runtime/service_table.hpp"
#include "runtime/stream_state.hpp"
#include "runtime/subscriptions.hpp"
#include "runtime/system_clock.hpp"
#include "runtime/udp_socket.hpp"
#include "runtime/worker_pool.hpp"
#include "transport/endpoint.hpp"
#include "transport/tls_certificate.hpp"
#include "wire/rotation_record.hpp"
#include "wire/stream_preamble.hpp"

namespace spdlog {
class logger;
}

namespace barrel_p2p {

namespace detail {
struct MailboxQueue;
}

class NodeImpl final : public transport::EndpointHandler, public transport::DatagramSink {
 public:
  /// Loads the identity, binds the socket and attaches the node to `loop`.
  static Result<std::unique_ptr<NodeImpl>> create(Config config,
                                                  std::shared_ptr<runtime::LoopThread> loop);
  ~NodeImpl() override;

  void stop();
  void abort();
  [[nodiscard]] const std::string& name() const { return config_.node_name; }
  [[nodiscard]] std::string address() const { return local_.to_string(); }
  /// What peers should dial (the Engine's configuration is fixed once the node runs).
  [[nodiscard]] const std::string& advertise_address() const {
    return engine_->config().advertise_address;
  }
  [[nodiscard]] const auth::KeyPair& keys() const { return *keys_; }
  [[nodiscard]] std::uint64_t incarnation() const { return incarnation_; }
  [[nodiscard]] Pid anonymous_pid() const { return Pid{config_.node_name, 0, incarnation_}; }

  // Peer links (node_driver_api.cpp).
  Result<void> connect(std::string_view address);
  Result<std::string> connect_and_wait(std::string_view address, std::chrono::milliseconds timeout);
  Result<void> send(std::string_view peer, Channel channel, std::span<const std::uint8_t> payload);
  Result<void> disconnect(std::string_view peer, std::string_view reason);
  // Connection migration (node_driver_migrate.cpp).
  Result<void> migrate_peer(std::string_view peer, std::chrono::milliseconds timeout,
                            std::string_view local_address);
  // Relayed connections (node_driver_relay.cpp, decision 0022).
  Result<void> set_connect_options(std::string_view node, ConnectOptions options);
  Result<void> clear_connect_options(std::string_view node);
  std::vector<std::string> peers() const;
  Result<PathStats> path_stats(std::string_view node) const;
  std::vector<PathStats> path_stats() const;
  Result<std::chrono::nanoseconds> ping(std::string_view node,
                                        std::chrono::milliseconds timeout) const;
  std::optional<Event> next_event(std::chrono::milliseconds timeout);
  NodeStats stats() const;
  Result<void> pin(std::string_view peer, const std::array<std::uint8_t, 32>& key);
  Result<void> unpin(std::string_view peer);
  std::optional<Pin> lookup_pin(std::string_view peer) const;
  std::vector<Pin> pins() const;
  void set_trust_mode(TrustMode mode);
  TrustMode trust_mode() const;
  Result<void> add_address(std::string_view node, std::string_view address);
  // Membership and broadcast (node_driver_api.cpp).
  Result<void> join(std::string_view contact);
  Result<void> leave();
  std::vector<NodeInfo> active_view() const;
  Result<ClusterView> cluster_view(std::chrono::milliseconds timeout) const;
  std::vector<NodeInfo> passive_view() const;
  Result<void> broadcast(std::string_view tag, BytesView payload);
  Result<Subscription> subscribe(std::string_view tag,
                                 std::function<void(const BroadcastMessage&)> handler);
  Result<Subscription> on_membership_event(std::function<void(const MembershipEvent&)> handler);
  // Service registry (node_driver_services.cpp).
  Result<void> register_service(std::string_view name, const Pid& pid, BytesView metadata);
  Result<void> unregister_service(std::string_view name);
  std::vector<ServiceInstance> lookup_service(std::string_view name) const;
  std::vector<ServiceInstance> lookup_local_service(std::string_view name) const;
  std::vector<std::string> list_services(std::string_view prefix) const;
  Result<ServiceInstance> whereis_service(std::string_view name) const;
  Future<ServiceInstance> whereis_service(std::string_view name, std::uint32_t retries);
  Result<Subscription> subscribe_services(ServiceFilter filter,
                                          std::function<void(const ServiceEvent&)> handler);
  Result<void> send_service(const Pid& from, std::string_view name, BytesView payload);
  Future<Bytes> call_service(const Pid& from, std::string_view name, BytesView request,
                             std::chrono::milliseconds timeout);

  // Processes (node_driver_processes.cpp). `from` is a local pid or anonymous.
  Result<Pid> spawn(Node& node, Handler handler, SpawnOptions options);
  Result<std::unique_ptr<Mailbox>> open_mailbox(Node& node, std::size_t limit);
  Result<void> process_send(const Pid& from, const Pid& to, BytesView payload);
  Result<void> process_send_named(const Pid& from, std::string_view node, std::string_view name,
                                  BytesView payload);
  Future<Bytes> process_call(const Pid& from, const Pid& to, BytesView request,
                             std::chrono::milliseconds timeout);
  Result<void> process_reply(const Envelope& call, BytesView payload);
  Future<Bytes> process_rpc(const Pid& from, std::string_view node, std::string_view function,
                            BytesView payload, std::chrono::milliseconds timeout);
  Result<MonitorRef> process_monitor(const Pid& watcher, const Pid& target);
  Result<void> process_demonitor(const Pid& watcher, MonitorRef ref);
  Result<void> process_link(const Pid& from, const Pid& to, bool add);
  Result<void> process_trap_exit(const Pid& pid, bool enabled);
  Result<void> process_exit(const Pid& from, const Pid& to, ExitReason reason);
  /// Ends `pid` (a Mailbox closing, or Process::stop outside a handler).
  void process_stop(const Pid& pid, ExitReason reason);
  Result<void> register_name(std::string_view name, const Pid& pid);
  Result<void> unregister_name(std::string_view name);
  std::optional<Pid> whereis(std::string_view name);
  Result<void> register_function(std::string_view name, RpcFunction function, Placement placement);
  Result<void> unregister_function(std::string_view name);

  // Tagged streams (node_driver_streams.cpp, decision 0019).
  Result<Stream> open_stream(std::string_view peer, std::string_view tag);
  /// `owner`: the registration also ends when that local process exits.
  Result<void> register_acceptor(std::string_view tag, std::optional<Pid> owner,
                                 StreamAcceptor acceptor);
  Result<void> unregister_acceptor(std::string_view tag);
  Future<std::size_t> stream_write(const std::shared_ptr<detail::StreamState>& state,
                                   BytesView data);
  Future<Bytes> stream_read(const std::shared_ptr<detail::StreamState>& state,
                            std::size_t max_bytes);
  Result<void> stream_finish(const std::shared_ptr<detail::StreamState>& state);
  Result<void> stream_reset(const std::shared_ptr<detail::StreamState>& state, std::uint64_t code);
  /// Ends the write (`write`) or read in progress, if any: a write completes with the bytes
  /// taken so far (timeout when none), a read with timeout. For the blocking forms.
  void stream_cancel(const std::shared_ptr<detail::StreamState>& state, bool write);
  /// Every handle of the stream was dropped (any thread; StreamReleaser): abandons it on the
  /// loop (see StreamState::abandoned).
  void stream_released(const std::shared_ptr<detail::StreamState>& state);

  /// The process a handler receives; the driver sets and reads its stop request.
  struct HandlerContext;

 private:
  NodeImpl() = default;
  Result<void> init(Config config, std::shared_ptr<runtime::LoopThread> loop);
  Result<void> load_identity();
  /// Reads keys/rotation.rec into rotation_record_ when it proves our key (decision 0023).
  void load_rotation_record();
  /// Locks data_dir and checks the secret files' modes (before any of them is read).
  Result<void> guard_files();
  Result<node::EngineConfig> engine_config() const;
  void attach();  // loop thread: watch the socket, first timeout, first turn

  // ---- the turn (node_driver.cpp) ------------------------------------------------------
  void on_socket_readable();
  /// Whether a socket's reading should pause after the datagram just handled: the Engine has
  /// work (a message, a call, a reply) and tagged streams are open, whose bytes would
  /// otherwise be read ahead of it (decision 0019 §8). Without streams, reading on keeps
  /// message floods at one turn per batch.
  [[nodiscard]] bool pause_reading() const {
    return engine_->has_commands() && (!streams_.empty() || !pending_streams_.empty());
  }
  void on_deadline();
  /// Asks for a turn on the loop thread (posted unless one is pending). Any thread.
  void request_turn();
  void turn();
  /// Carries out the Engine's commands; true when they handed the endpoint frames to send.
  bool drain_commands();
  void execute(node::Command&& command);
  void transmit(node::Transmit&& transmit);
  void resolve(node::Resolve&& resolve);
  /// Queues the write of a first-contact pin on the file writer (its fsyncs never run here).
  void persist_pin(node::PersistPin&& pin);
  /// Reports a pin whose file could not be written to the Engine (on the loop thread).
  void pin_not_persisted(const node::PersistPin& pin, const Error& error);
  void deliver(node::Deliver&& deliver);
  void emit(Event&& event);
  bool run_user_work();
  void rearm_timer();
  void begin_shutdown();
  void finish_shutdown();
  /// The node is finished: timers and the socket leave the loop, waiters and calls fail with
  /// closed (`why`), stop()/abort() are released. Loop thread.
  void finish(const std::string& why);
  /// Waits (API thread) until finish() ran, then stops the worker pool and wakes next_event().
  void wait_finished();
  /// Runs `function` on the loop thread and returns its result (closed once the node stopped).
  template <typename F>
  auto call_on_loop(F&& function) const -> decltype(function());
  /// Carries out the Engine's commands and sends what they queued, without the user phase of
  /// a turn (loop thread, outside any turn; a turn must still follow).
  void flush_now();
  /// Runs `job` on the loop thread, inline when there; a turn follows. Errors: closed.
  Result<void> on_loop(std::function<void()> job);
  [[nodiscard]] bool on_loop_thread() const { return loop_thread_->in_loop_thread(); }
  [[nodiscard]] core::Instant now() const { return clock_.now(); }

  // transport::EndpointHandler: straight into the Engine (which never calls back out).
  void on_connected(transport::ConnectionId id, const transport::ConnectionInfo& info) override;
  void on_stream_data(transport::ConnectionId id, transport::StreamKind kind,
                      core::ByteView data) override;
  void on_writable(transport::ConnectionId id, transport::StreamKind kind) override;
  void on_closed(transport::ConnectionId id, transport::CloseReason reason,
                 const std::string& detail) override;
  void on_migrated(transport::ConnectionId id, bool ok) override;
  void on_link_streams_flushed(transport::ConnectionId id) override;
  void on_peer_address_changed(transport::ConnectionId id,
                               const core::SocketAddress& remote) override;
  void on_path_validated(transport::ConnectionId id, transport::LocalId local) override;
  void on_app_stream_data(transport::ConnectionId id, std::int64_t stream, core::ByteView data,
                          bool fin) override;
  void on_app_stream_reset(transport::ConnectionId id, std::int64_t stream,
                           std::uint64_t code) override;
  void on_app_stream_writable(transport::ConnectionId id, std::int64_t stream) override;
  void on_app_stream_closed(transport::ConnectionId id, std::int64_t stream) override;
  // transport::DatagramSink
  bool send_datagrams(const core::SocketAddress& to, core::ByteView data, std::size_t segment_size,
                      std::uint8_t ecn) override;
  bool send_datagrams_from(transport::LocalId local, const core::SocketAddress& to,
                           core::ByteView data, std::size_t segment_size,
                           std::uint8_t ecn) override;

  // ---- connection migration (node_driver_migrate.cpp) ---------------------------------------
  /// Loop thread: binds the new socket and starts the migration of `connection`.
  Result<void> start_migration(std::uint64_t connection, const std::string& peer,
                               std::string_view local_address, std::chrono::milliseconds timeout,
                               std::future<Result<void>>& outcome);
  void on_extra_socket_readable(transport::LocalId local);
  void migration_timed_out(std::uint64_t connection);
  /// Binds a socket for a migration of `connection` (see migrate_peer) and registers it with
  /// the loop and the endpoint. Errors: invalid_argument, io.
  Result<transport::LocalId> open_extra_socket(std::string_view local_address,
                                               std::uint64_t connection);
  /// Answers the migrate_peer caller of `connection` (once) and counts the outcome.
  void migration_done(std::uint64_t connection, Result<void> outcome);
  /// Closes, after the turn, the extra socket `local` (the endpoint forgets it at once).
  void retire_socket(transport::LocalId local);
  /// Closes the extra sockets retired during the turn (never from inside the endpoint).
  void close_retired_sockets();
  /// The connection ended: its migration fails, its extra sockets close.
  void migration_connection_closed(std::uint64_t connection);
  /// A takeover of the link that `connection` carried is done if the link now runs on the
  /// takeover connection; else it failed with `failure`.
  void takeover_settled(std::uint64_t connection, const std::string& failure);
  struct Migration;
  /// Dials the peer of `connection` from the migration's socket; that connection takes the
  /// link over (decision 0020). Errors: those of Endpoint::connect.
  Result<void> start_takeover(std::uint64_t connection, Migration& migration);
  /// Retires every extra socket of `connection` but `keep` (it moved there).
  void retire_other_sockets(std::uint64_t connection, transport::LocalId keep);

  // ---- moving the accepting end (node_driver_path_move.cpp, decision 0036) -----------------
  void on_path_message(const std::string& peer, wire::PathMessage&& message);
  /// The peer asked us to move the connection of its link to its `address`.
  void move_for_peer(const std::string& peer, const std::string& address);
  /// The move we made for the peer (peer_moves_) was validated (`ok`) or failed.
  void peer_move_validated(std::uint64_t connection, bool ok);
  /// The peer says it moved the connection to our new socket (MOVED).
  void peer_moved(const std::string& peer);
  /// The connection's path now uses our local address `local`: a requested migration there
  /// is done.
  void path_moved(std::uint64_t connection, transport::LocalId local);
  /// The peer answered our MOVE with REFUSED or UNABLE.
  void peer_did_not_move(const std::string& peer, const wire::PathMessage& answer);

  /// finish(): every migration fails with `why`, every extra socket leaves the loop, every
  /// relay transport stops, and connect options never used are dropped (decision 0022).
  void finish_migrations(const std::string& why);
  void drain_inbox();

  // ---- relayed connections (node_driver_relay.cpp, decision 0022) -------------------------
  struct ExtraSocket;
  /// Opens a client connection to `remote`: over the transport set for `node` when there is
  /// one (consumed), else from the listening socket. Errors: those of Endpoint::connect and
  /// DatagramTransport::start.
  Result<transport::ConnectionId> open_connection(const core::SocketAddress& remote,
                                                  std::string_view node);
  Result<transport::ConnectionId> connect_relayed(const core::SocketAddress& remote,
                                                  ConnectOptions options);
  /// Feeds the datagrams the relay of `local` queued to the endpoint, then turns.
  void on_relay_ready(transport::LocalId local);
  /// Sends a batch of `segment_size` packets through a relay entry. False when the transport
  /// is full (limit_reached).
  bool send_relayed(ExtraSocket& extra, core::ByteView data, std::size_t segment_size);
  /// Stops the transport (or leaves the socket's fd) of an extra entry being dropped.
  void release_extra(ExtraSocket& extra);

  // ---- tagged streams (node_driver_streams.cpp) -------------------------------------------
  using StreamKey = std::pair<std::uint64_t, std::int64_t>;  // (connection, QUIC stream)
  struct Acceptor {
    StreamAcceptor handler;
    std::optional<std::uint64_t> owner;  // local process id whose exit unregisters it
  };
  /// An inbound stream whose preamble is not complete, or whose link is not authenticated
  /// yet; bytes after the preamble wait in `early` (bounded by the stream window).
  struct PendingStream {
    wire::StreamPreambleDecoder decoder;
    Bytes early;
    bool fin = false;
  };
  struct StreamCounters {
    std::uint64_t opened_in = 0;
    std::uint64_t opened_out = 0;
    std::uint64_t resets_sent = 0;
    std::uint64_t resets_received = 0;
    std::map<std::string, std::uint64_t> preamble_dropped;  // cap, unknown_tag, malformed
  };
  /// Runs `job` on the loop thread (inline there); `promise` fails with closed when the node
  /// stops first.
  template <typename T>
  void stream_job(const Promise<T>& promise, std::function<void()> job);
  /// Completes `promise` in the user phase of the turn.
  template <typename T>
  void complete_later(const Promise<T>& promise, Result<T> result);
  void pump_write(detail::StreamState& state);
  void satisfy_read(detail::StreamState& state);
  void fail_pending(detail::StreamState& state);
  void detach_stream(detail::StreamState& state, const std::string& why);
  void feed_preamble(const StreamKey& key, PendingStream& pending, core::ByteView data, bool fin);
  /// Hands a stream whose preamble is complete to its acceptor (or refuses it); false while
  /// its link is not authenticated.
  bool accept_stream(const StreamKey& key);
  void settle_pending_streams();
  void refuse_stream(transport::ConnectionId id, std::int64_t stream, const std::string& reason);
  void close_streams_of(std::uint64_t connection, const std::string& why);
  void close_all_streams(const std::string& why);
  void drop_acceptors_of(std::uint64_t process);
  bool run_stream_work();
  /// A handle for `state`, sharing this node's releaser.
  Stream make_stream(std::shared_ptr<detail::StreamState> state);
  void abandon_stream(detail::StreamState& state);

  // ---- local processes (node_driver_processes.cpp) ----------------------------------------
  struct LocalProcess {
    Pid pid;
    Placement placement = Placement::loop;
    bool is_mailbox = false;
    std::shared_ptr<detail::MailboxQueue> queue;
    Handler handler;
    std::unique_ptr<HandlerContext> context;
    bool scheduled = false;  // in run_queue_ or on a worker
    bool ended = false;
  };
  struct Function {
    RpcFunction function;
    Placement placement = Placement::loop;
  };
  Result<Pid> spawn_on_loop(Node& node, Handler handler, SpawnOptions options);
  /// limit_reached when `to` is a local process whose mailbox is full (from every thread).
  /// Takes a slot in the mailbox for the send (released by release_mailbox if not made).
  Result<void> check_mailbox(const Pid& to) const;
  void release_mailbox(const Pid& to) const;
  void schedule(LocalProcess& process);
  void process_ended(std::uint64_t id, const ExitReason& reason);
  bool run_processes();
  void run_worker_batch(std::shared_ptr<LocalProcess> process);
  void finish_handler(LocalProcess& process);
  void run_rpc(node::RpcRequest&& request);
  void complete_call(std::uint64_t ref, Result<Bytes> result);
  /// The handle of subscription `id`, or limit_reached when Subscriptions refused it (id 0).
  Result<Subscription> subscription_of(std::uint64_t id);
  /// Applies the Engine's registry changes to services_ and queues them for subscribers.
  void drain_service_events();
  /// Completes the whereis_service futures whose overlay queries finished; true when any ran.
  bool complete_service_queries();

  Config config_;
  std::shared_ptr<spdlog::logger> log_;
  runtime::SystemClock clock_;
  runtime::OsRng rng_;
  std::unique_ptr<auth::KeyPair> keys_;
  std::unique_ptr<transport::TlsCertificate> certificate_;
  std::optional<wire::RotationRecord> rotation_record_;  // sent in every HELLO, set at start
  std::array<std::uint8_t, 32> reset_secret_{};
  std::uint64_t incarnation_ = 0;  // set in init, read-only afterwards
  std::shared_ptr<runtime::LoopThread> loop_thread_;
  runtime::EventLoop* loop_ = nullptr;  // loop_thread_'s loop
  std::unique_ptr<runtime::UdpSocket> socket_;
  runtime::DataDirLock data_dir_lock_;  // held from start until stop() has returned
  core::SocketAddress local_;
  std::unique_ptr<node::Engine> engine_;
  std::unique_ptr<transport::Endpoint> endpoint_;  // refers to certificate_, rng_ and this
  std::unique_ptr<runtime::WorkerPool> workers_;
  std::shared_ptr<runtime::FileWriter> files_;  // pin writes, off the loop (shared per process)

  // Loop thread only.
  bool turn_pending_ = false;  // a turn is posted or running: new work will be seen
  core::Instant turn_started_ = core::Instant::never();  // set by the input that starts a turn
  DurationHistogram loop_turns_;                         // NodeStats::loop_turns
  runtime::TimerId timer_{};
  core::Instant timer_deadline_ = core::Instant::never();
  runtime::TimerId grace_timer_{};
  bool stopping_ = false;
  bool finished_ = false;
  std::deque<node::Command> user_work_;  // CallDone, RunRpc and Emit*: run after the I/O
  std::unordered_map<std::uint64_t, std::promise<Result<std::string>>> waiters_;
  // cluster_view() callers, by gather ref (at most Engine::kMaxViewGathers); loop thread only.
  std::unordered_map<std::uint64_t, std::promise<ClusterView>> view_waiters_;
  // ping() callers, by gather ref (they share the Engine's gather bound); loop thread only.
  struct PingWaiter {
    core::Instant started;
    std::promise<Result<std::chrono::nanoseconds>> promise;
  };
  std::unordered_map<std::uint64_t, PingWaiter> ping_waiters_;
  /// Completes a ping with the time since it started (the peer answered) or an error.
  void finish_ping(PingWaiter& waiter, const ClusterView& answer);
  // Calls and rpcs in flight, by ref. Their CallDone is carried out after the turn that
  // started them, so the promise is always registered first.
  std::unordered_map<std::uint64_t, Promise<Bytes>> call_promises_;
  // whereis_service queries waiting for the overlay, by the Engine's query id (≤ its
  // route_max_in_flight), and their answers drained from the Engine, completed in the user
  // phase of the turn (a continuation may call back into the node).
  std::unordered_map<std::uint64_t, Promise<ServiceInstance>> service_promises_;
  std::deque<node::ServiceFound> service_found_;
  std::unordered_map<std::uint64_t, std::shared_ptr<LocalProcess>> processes_;
  std::deque<std::uint64_t> run_queue_;
  bool transmitted_ = false;             // drain_commands() handed the endpoint a frame
  std::vector<Envelope> process_batch_;  // run_processes()'s batch, reused (loop thread)
  std::map<std::string, std::shared_ptr<Function>, std::less<>> functions_;
  std::vector<std::pair<std::uint64_t, node::Channel>> blocked_;  // streams full in this drain
  std::array<runtime::SendInbox, 2> inbox_batch_;                 // the batch being sent
  std::uint64_t sends_dropped_ = 0;
  // Sockets besides the listening one, each carrying the migrated path of one connection this
  // node dialed (loop thread only). Index = the endpoint's LocalId.
  // A relayed connection's entry has no socket but a user transport, the inbox its datagrams
  // arrive in, and the peer address its path was built with (decision 0022).
  struct ExtraSocket {
    std::unique_ptr<runtime::UdpSocket> socket;
    std::uint64_t connection = 0;
    std::shared_ptr<DatagramTransport> transport;
    std::shared_ptr<runtime::RelayInbox> inbox;
    core::SocketAddress remote;
  };
  std::unordered_map<transport::LocalId, ExtraSocket> extra_sockets_;
  std::vector<transport::LocalId> retired_sockets_;
  // migrate_peer calls waiting for path validation, by connection. An entry stays after its
  // caller was answered (timeout) until ngtcp2 reports the outcome or the connection closes.
  struct Migration {
    transport::LocalId local = 0;
    std::string peer;
    std::promise<Result<void>> promise;
    bool answered = false;
    runtime::TimerId timer{};
    bool requested = false;      // the accepting side asked its peer to move (decision 0036)
    std::uint64_t takeover = 0;  // the accepting side's new connection (decision 0020)
  };
  std::unordered_map<std::uint64_t, Migration> migrations_;
  // Connections this node is moving because their peer asked (MOVE, decision 0036), by
  // connection: the new socket and the peer to answer. Loop thread only.
  struct PeerMove {
    transport::LocalId local = 0;
    std::string peer;
  };
  std::unordered_map<std::uint64_t, PeerMove> peer_moves_;
  std::uint64_t moves_for_peers_ = 0;
  // set_connect_options not used yet, by node name (at most kMaxConnectOptions); loop thread.
  std::map<std::string, ConnectOptions, std::less<>> connect_options_;
  std::shared_ptr<runtime::RelayCounters> relay_counters_ =
      std::make_shared<runtime::RelayCounters>();
  std::uint32_t relay_serial_ = 0;  // numbers the relays' virtual local addresses
  std::uint64_t migrations_ok_ = 0;
  std::uint64_t migrations_failed_ = 0;
  std::uint64_t migrations_timed_out_ = 0;
  // Tagged streams; loop thread only.
  std::map<std::string, Acceptor, std::less<>> acceptors_;  // at most 4,096
  std::map<StreamKey, PendingStream> pending_streams_;      // at most max_pending_preambles
  std::map<StreamKey, std::shared_ptr<detail::StreamState>> streams_;  // bounded by QUIC
  /// Shared with every Stream handle; detached when the node is destroyed.
  std::shared_ptr<detail::StreamReleaser> stream_releaser_ =
      std::make_shared<detail::StreamReleaser>(this);
  std::deque<std::function<void()>> stream_work_;  // completions and acceptor calls, user phase
  StreamCounters stream_counters_;

  bool attached_ = false;  // set once by init(), before the node is handed out

  // Shared with API threads.
  std::atomic<bool> stopped_{false};
  std::mutex lifecycle_mutex_;  // serialises stop() and abort()
  std::promise<void> finished_promise_;
  std::shared_future<void> finished_future_;
  mutable std::mutex peers_mutex_;
  std::set<std::string, std::less<>> peers_;  // authenticated peers, for off-loop checks
  mutable std::mutex directory_mutex_;        // local mailboxes, for off-loop limit checks
  std::unordered_map<std::uint64_t, std::shared_ptr<detail::MailboxQueue>> directory_;
  std::mutex inbox_mutex_;
  std::array<runtime::SendInbox, 2> inbox_;  // off-loop Node::send (whole frames), per channel
  core::Bytes inbox_header_;                 // scratch for a frame header
  bool inbox_scheduled_ = false;
  mutable std::mutex events_mutex_;
  std::condition_variable events_ready_;
  std::deque<Event> events_;
  std::uint64_t events_dropped_ = 0;
  std::shared_ptr<runtime::Subscriptions> subscriptions_ =
      std::make_shared<runtime::Subscriptions>();
  runtime::ServiceTable services_;  // written on the loop, read from any thread
};

template <typename F>
auto NodeImpl::call_on_loop(F&& function) const -> decltype(function()) {
  using R = decltype(function());
  auto* self = const_cast<NodeImpl*>(this);
  if (on_loop_thread()) {
    if (finished_) return R(fail(Errc::closed, "node stopped"));
    R result = function();
    self->request_turn();
    return result;
  }
  if (stopped_.load()) return R(fail(Errc::closed, "node stopped"));
  auto promise = std::make_shared<std::promise<R>>();
  auto future = promise->get_future();
  auto posted = loop_->post([self, promise, &function] {
    if (self->finished_) {
      promise->set_value(R(fail(Errc::closed, "node stopped")));
      return;
    }
    R result = function();
    self->flush_now();  // the network sees the call's effect before its caller wakes
    promise->set_value(std::move(result));
    self->request_turn();
  });
  if (!posted) return R(Unexpected(posted.error()));
  return future.get();  // the loop runs every posted job, also while the node stops
}

}  // namespace barrel_p2p
