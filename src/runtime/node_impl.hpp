// The runtime behind barrel_p2p::Node: it owns the event loop thread, the UDP socket, the QUIC
// endpoint and the peer-link core, and moves bytes and events between them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "barrel_p2p/node.hpp"
#include "node/peer_links.hpp"
#include "node/process_router.hpp"
#include "proto/auth/identity.hpp"
#include "proto/auth/trust_store.hpp"
#include "proto/hyparview/membership.hpp"
#include "proto/plumtree/broadcast_tree.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/os_rng.hpp"
#include "runtime/send_inbox.hpp"
#include "runtime/system_clock.hpp"
#include "runtime/udp_socket.hpp"
#include "runtime/worker_pool.hpp"
#include "transport/endpoint.hpp"
#include "transport/tls_certificate.hpp"

namespace spdlog {
class logger;
}

namespace barrel_p2p {

class NodeImpl final : public transport::EndpointHandler,
                       public transport::DatagramSink,
                       public node::FrameSink,
                       public node::ProcessHost {
 public:
  static Result<std::unique_ptr<NodeImpl>> create(Config config);
  ~NodeImpl() override;

  void stop();
  void abort();
  [[nodiscard]] const std::string& name() const { return config_.node_name; }
  [[nodiscard]] std::string address() const { return local_.to_string(); }
  [[nodiscard]] const auth::KeyPair& keys() const { return *keys_; }

  Result<void> connect(std::string_view address);
  Result<std::string> connect_and_wait(std::string_view address, std::chrono::milliseconds timeout);
  Result<void> send(std::string_view peer, Channel channel, std::span<const std::uint8_t> payload);
  Result<void> disconnect(std::string_view peer, std::string_view reason);
  std::vector<std::string> peers() const;
  std::optional<Event> next_event(std::chrono::milliseconds timeout);
  NodeStats stats() const;
  Result<void> pin(std::string_view peer, const std::array<std::uint8_t, 32>& key);
  Result<void> unpin(std::string_view peer);
  std::optional<Pin> lookup_pin(std::string_view peer) const;
  std::vector<Pin> pins() const;
  void set_trust_mode(TrustMode mode);
  TrustMode trust_mode() const;

  // Processes (node_processes.cpp); any thread. `from` is a local pid or anonymous.
  [[nodiscard]] std::uint64_t incarnation() const { return incarnation_; }
  [[nodiscard]] Pid anonymous_pid() const { return Pid{config_.node_name, 0, incarnation_}; }
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
  /// Ends `pid` (a Mailbox closing, or stop() outside a handler).
  void process_stop(const Pid& pid, ExitReason reason);
  Result<void> register_name(std::string_view name, const Pid& pid);
  Result<void> unregister_name(std::string_view name);
  std::optional<Pid> whereis(std::string_view name);
  Result<void> register_function(std::string_view name, RpcFunction function, Placement placement);
  Result<void> unregister_function(std::string_view name);
  Result<void> add_address(std::string_view node, std::string_view address);
  // Membership and broadcast (node_membership.cpp); any thread.
  Result<void> join(std::string_view contact);
  Result<void> leave();
  std::vector<NodeInfo> active_view();
  std::vector<NodeInfo> passive_view();
  Result<void> broadcast(std::string_view tag, BytesView payload);
  Result<void> subscribe(std::string_view tag,
                         std::function<void(const BroadcastMessage&)> handler);
  Result<void> on_membership_event(std::function<void(const MembershipEvent&)> handler);

  /// Membership's hook for the reaper: peers for which it returns true are never reaped.
  void set_reaper_guard(std::function<bool(const std::string&)> is_protected);

  // node::ProcessHost (loop thread)
  bool deliver(std::uint64_t id, Envelope&& envelope) override;
  void process_ended(std::uint64_t id, const ExitReason& reason) override;
  Result<void> send_frame(const std::string& node, core::ByteView frame) override;
  bool run_function(node::RpcRequest&& request) override;
  void call_done(std::uint64_t ref, Result<Bytes> result) override;

  // transport::EndpointHandler (loop thread)
  void on_connected(transport::ConnectionId id, const transport::ConnectionInfo& info) override;
  void on_stream_data(transport::ConnectionId id, transport::StreamKind kind,
                      core::ByteView data) override;
  void on_writable(transport::ConnectionId id, transport::StreamKind kind) override;
  void on_closed(transport::ConnectionId id, transport::CloseReason reason,
                 const std::string& detail) override;
  // node::FrameSink (loop thread)
  void on_frame(const std::string& peer, wire::FrameType type, core::Bytes&& payload) override;
  // transport::DatagramSink (loop thread)
  bool send_datagrams(const core::SocketAddress& to, core::ByteView data, std::size_t segment_size,
                      std::uint8_t ecn) override;

 private:
  NodeImpl() = default;
  Result<void> init(Config config);
  Result<void> load_identity();
  void run_loop();
  void on_socket_readable();
  void on_deadline();
  void after_input();
  void apply_link_outputs();
  void handle_link_event(node::LinkEvent&& event);
  void deliver(Event&& event);
  void rearm_timer();
  Result<void> send_on_loop(std::string_view peer, Channel channel, core::ByteView payload);
  void drain_inbox();
  void begin_shutdown();
  void finish_shutdown();
  /// Runs `function` on the loop thread and returns its Result (closed if the node stopped).
  template <typename F>
  auto call_on_loop(F&& function) -> decltype(function());
  void resolve_waiter(std::uint64_t connection, Result<std::string> outcome);

  // Processes (node_processes.cpp), loop thread.
  struct LocalProcess {
    Pid pid;
    Placement placement = Placement::loop;
    bool is_mailbox = false;
    std::shared_ptr<Mailbox::Queue> queue;
    Handler handler;
    std::unique_ptr<Process> context;
    bool scheduled = false;  // in run_queue_ or on a worker
    bool ended = false;
  };
  /// Runs `job` now on the loop thread, or posts it. Errors: limit_reached, closed.
  Result<void> on_loop(std::function<void()> job);
  void schedule(LocalProcess& process);
  void run_processes();
  void run_worker_batch(std::shared_ptr<LocalProcess> process);
  void finish_handler(LocalProcess& process, Process& context);
  // On-demand connections and the reaper (node_dialer.cpp), loop thread.
  struct PeerState {
    struct QueuedFrame {
      wire::FrameType type;
      core::Bytes payload;
    };
    // Frames waiting for the link or for buffer space, per stream (control, data).
    std::array<std::deque<QueuedFrame>, 2> queues;
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
    std::uint64_t activity = 0;           // frames in and out while up
    std::uint64_t activity_at_sweep = 0;  // `activity` at the previous reaper sweep
    std::uint64_t process_frames = 0;     // process frames in and out while up
  };
  Result<void> dial(const std::string& node, PeerState& state);
  void dial_address(const std::string& node, const core::SocketAddress& address);
  void dial_failed(const std::string& node, const std::string& why);
  std::optional<std::string> resolve_address(const std::string& node) const;
  void flush_peer(const std::string& node, PeerState& state);
  Result<void> write_frame(std::uint64_t connection, wire::FrameType type, core::ByteView frame);
  /// Sends one frame of `type` to `node` over its link, connecting on demand; frames wait in
  /// order (bounded by node_queue_limit) while the link opens or its stream is full.
  Result<void> send_link_frame(const std::string& node, wire::FrameType type, core::ByteView frame);
  void peer_linked(const std::string& peer, const std::string& address);
  void peer_lost(const std::string& peer);
  void on_dial_closed(std::uint64_t connection);
  void link_retired(const std::string& peer, std::uint64_t connection);
  void check_dial_deadlines(core::Instant now);
  void sweep_idle(core::Instant now);
  /// How often sweep_idle() runs: reaper_interval, or the gossip-link idle time if shorter.
  [[nodiscard]] core::Duration sweep_period() const;
  [[nodiscard]] core::Instant dialer_deadline() const;
  void write_endpoint_file();
  // Membership (node_membership.cpp), loop thread.
  Result<void> init_membership();
  void try_contacts(core::Instant now);
  Result<void> start_join(const std::string& address);
  void join_linked(std::uint64_t connection, const std::string& peer);
  void pump_membership();
  void notify_membership(const MembershipEvent& event);
  void on_membership_frame(const std::string& peer, core::ByteView payload);
  void on_broadcast_frame(const std::string& peer, core::ByteView payload);

  struct Waiter {
    std::promise<Result<std::string>> promise;
  };

  Config config_;
  std::shared_ptr<spdlog::logger> log_;
  runtime::SystemClock clock_;
  runtime::OsRng rng_;
  std::unique_ptr<auth::KeyPair> keys_;
  auth::TrustStore trust_;
  std::unique_ptr<transport::TlsCertificate> certificate_;
  std::unique_ptr<runtime::EventLoop> loop_;
  std::unique_ptr<runtime::UdpSocket> socket_;
  core::SocketAddress local_;
  std::unique_ptr<transport::Endpoint> endpoint_;
  std::unique_ptr<node::PeerLinks> links_;
  std::thread thread_;
  std::thread::id loop_thread_id_;  // set before start() returns; read-only afterwards
  [[nodiscard]] bool on_loop_thread() const {
    return std::this_thread::get_id() == loop_thread_id_;
  }
  runtime::TimerId timer_{};
  core::Instant timer_deadline_ = core::Instant::never();
  bool stopping_ = false;  // loop thread only
  bool finished_ = false;  // loop thread only
  std::array<std::uint8_t, 32> reset_secret_{};
  bool stopped_ = false;  // guarded by lifecycle_mutex_
  std::mutex lifecycle_mutex_;
  std::atomic<bool> loop_exited_{false};
  std::unordered_map<std::uint64_t, std::shared_ptr<Waiter>> waiters_;  // loop thread only
  std::uint64_t messages_sent_ = 0;                                     // loop thread only
  std::uint64_t messages_received_ = 0;                                 // loop thread only
  std::uint64_t sends_dropped_ = 0;  // queued sends whose peer went away; loop thread only

  // Shared with API threads.
  mutable std::mutex peers_mutex_;
  std::set<std::string, std::less<>> peers_;  // snapshot of authenticated peers
  std::mutex inbox_mutex_;
  // Sends from other threads, one queue per channel so control never waits behind data;
  // each bounded by send_buffer_limit bytes (send() returns limit_reached beyond it).
  std::array<runtime::SendInbox, 2> inbox_;
  std::array<runtime::SendInbox, 2> inbox_batch_;  // loop thread only: the batch being sent
  core::Bytes frame_header_;                       // loop thread only: scratch
  bool inbox_scheduled_ = false;
  mutable std::mutex events_mutex_;
  std::condition_variable events_ready_;
  std::deque<Event> events_;
  std::uint64_t events_dropped_ = 0;

  // Processes (loop thread only unless noted).
  std::uint64_t incarnation_ = 0;  // set in init, read-only afterwards
  std::unique_ptr<node::ProcessRouter> router_;
  std::unique_ptr<runtime::WorkerPool> workers_;
  std::unordered_map<std::uint64_t, std::shared_ptr<LocalProcess>> processes_;
  std::deque<std::uint64_t> run_queue_;
  bool running_processes_ = false;
  int endpoint_depth_ = 0;       // > 0 while the endpoint may call back into us
  bool in_after_input_ = false;  // after_input() is running
  bool settle_again_ = false;    // a nested after_input() asked for another pass
  bool run_scheduled_ = false;
  struct Function {
    RpcFunction function;
    Placement placement = Placement::loop;
  };
  std::map<std::string, std::shared_ptr<Function>, std::less<>> functions_;
  // Promises of calls and rpcs in flight, by ref. A ref completed inside router_->call()
  // itself (before its promise is registered) waits in done_early_.
  std::unordered_map<std::uint64_t, Promise<Bytes>> call_promises_;
  std::unordered_map<std::uint64_t, Result<Bytes>> done_early_;
  /// Registers the promise of call `ref` and returns its future (complete if done early).
  Future<Bytes> track_call(std::uint64_t ref);
  // On-demand connections.
  std::unordered_map<std::string, std::unique_ptr<PeerState>> peer_states_;
  std::unordered_map<std::uint64_t, std::string> dials_;  // connection -> node dialed
  std::map<std::string, std::string, std::less<>> learned_addresses_;
  std::function<bool(const std::string&)> reaper_guard_;
  core::Instant next_sweep_ = core::Instant::never();       // every sweep (gossip-only links)
  core::Instant next_full_sweep_ = core::Instant::never();  // sweeps that also reap on-demand links
  std::uint64_t dropped_connection_lost_ = 0;
  std::uint64_t dropped_mailbox_full_ = 0;
  std::uint64_t on_demand_connects_ = 0;
  std::uint64_t connects_failed_ = 0;
  std::uint64_t connections_reaped_ = 0;

  // Membership and broadcast (loop thread only).
  std::unique_ptr<core::SeededRng> membership_rng_;  // seeded from the OS at start
  hyparview::PeerInfo self_info_;
  std::unique_ptr<hyparview::Membership> membership_;
  std::unique_ptr<plumtree::BroadcastTree> broadcast_;
  std::vector<std::string> pending_contacts_;
  core::Instant next_contact_try_;
  std::unordered_map<std::uint64_t, std::string> joins_;  // connection -> contact address
  bool left_ = false;
  std::map<std::string, std::vector<std::function<void(const BroadcastMessage&)>>, std::less<>>
      subscriptions_;
  std::vector<std::function<void(const MembershipEvent&)>> membership_handlers_;
};

template <typename F>
auto NodeImpl::call_on_loop(F&& function) -> decltype(function()) {
  // How often a waiting API call re-checks whether the node stopped meanwhile.
  constexpr auto kStopPoll = std::chrono::milliseconds(100);
  using R = decltype(function());
  if (on_loop_thread()) return function();
  auto promise = std::make_shared<std::promise<R>>();
  auto future = promise->get_future();
  auto posted = loop_->post([promise, &function] { promise->set_value(function()); });
  if (!posted) return R(Unexpected(posted.error()));
  while (future.wait_for(kStopPoll) != std::future_status::ready) {
    if (loop_exited_) return R(fail(Errc::closed, "node stopped"));
  }
  return future.get();
}

}  // namespace barrel_p2p
