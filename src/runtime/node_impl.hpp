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
#include "proto/auth/identity.hpp"
#include "proto/auth/trust_store.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/os_rng.hpp"
#include "runtime/send_inbox.hpp"
#include "runtime/system_clock.hpp"
#include "runtime/udp_socket.hpp"
#include "transport/endpoint.hpp"
#include "transport/tls_certificate.hpp"

namespace spdlog {
class logger;
}

namespace barrel_p2p {

class NodeImpl final : public transport::EndpointHandler,
                       public transport::DatagramSink,
                       public node::FrameSink {
 public:
  static Result<std::unique_ptr<NodeImpl>> create(Config config);
  ~NodeImpl() override;

  void stop();
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

  // transport::EndpointHandler (loop thread)
  void on_connected(transport::ConnectionId id, const transport::ConnectionInfo& info) override;
  void on_stream_data(transport::ConnectionId id, transport::StreamKind kind,
                      core::ByteView data) override;
  void on_writable(transport::ConnectionId id, transport::StreamKind kind) override;
  void on_closed(transport::ConnectionId id, transport::CloseReason reason,
                 const std::string& detail) override;
  // node::FrameSink (loop thread)
  void on_frame(const std::string& peer, node::Channel channel, core::Bytes&& payload) override;
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
};

}  // namespace barrel_p2p
