// A bare QUIC endpoint driven by the test thread: it speaks TLS and stream bytes but none of
// the node protocol unless the test does. Used to play attackers (relays, silent peers,
// replays) against real nodes.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "runtime/os_rng.hpp"
#include "runtime/system_clock.hpp"
#include "runtime/udp_socket.hpp"
#include "transport/endpoint.hpp"
#include "transport/tls_certificate.hpp"

namespace barrel_p2p::testing {

class RawPeer final : public transport::EndpointHandler, public transport::DatagramSink {
 public:
  /// Binds 127.0.0.1:0 with a fresh self-signed certificate.
  static std::unique_ptr<RawPeer> create(transport::TransportConfig config = default_config());
  static transport::TransportConfig default_config();
  /// Forgets every connection (as after a crash and restart on the same port and secret).
  void lose_state();
  ~RawPeer() override;

  [[nodiscard]] std::string address() const { return socket_->local_address().to_string(); }
  [[nodiscard]] const transport::TlsCertificate& certificate() const { return *certificate_; }
  transport::Endpoint& endpoint() { return *endpoint_; }
  core::Instant now() const { return clock_.now(); }
  core::WallTime wall_now() const { return clock_.wall_now(); }
  core::Rng& rng() { return rng_; }

  Result<transport::ConnectionId> connect(const std::string& address);
  /// Runs the endpoint until `done()` holds or `timeout` passes; returns done().
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  void pump_for(std::chrono::milliseconds duration);

  std::function<void(transport::ConnectionId, const transport::ConnectionInfo&)> connected_hook;
  std::function<void(transport::ConnectionId, transport::StreamKind, core::ByteView)> data_hook;
  /// Passes the link-stream bytes that arrived while data_hook was unset to data_hook, in
  /// order. A node's first auth messages arrive with its TLS handshake (decision 0027), so in
  /// the same pump that reports the connection.
  void deliver_held(transport::ConnectionId id);
  std::function<void(transport::ConnectionId, transport::CloseReason, const std::string&)>
      closed_hook;

  /// Application (tagged) stream bytes, and the streams the node reset (stream -> code).
  std::function<void(transport::ConnectionId, std::int64_t, core::ByteView, bool)> app_data_hook;
  std::map<std::int64_t, std::uint64_t> app_resets;

  std::map<std::uint64_t, transport::ConnectionInfo> connected;
  std::map<std::uint64_t, std::string> closed;  // id -> reason
  /// Link-stream bytes that arrived while data_hook was unset, per connection, in order.
  std::map<std::uint64_t, std::vector<std::pair<transport::StreamKind, core::Bytes>>> held;
  /// Size of every UDP datagram sent so far, in order (GSO batches split into segments).
  std::vector<std::size_t> sent_datagrams;
  /// Sizes of the sent datagrams that start with a long-header (handshake) packet.
  std::vector<std::size_t> sent_long_header_datagrams;

  void on_connected(transport::ConnectionId id, const transport::ConnectionInfo& info) override;
  void on_stream_data(transport::ConnectionId id, transport::StreamKind kind,
                      core::ByteView data) override;
  void on_writable(transport::ConnectionId, transport::StreamKind) override {}
  void on_app_stream_data(transport::ConnectionId id, std::int64_t stream, core::ByteView data,
                          bool fin) override {
    if (app_data_hook) app_data_hook(id, stream, data, fin);
  }
  void on_app_stream_reset(transport::ConnectionId /*id*/, std::int64_t stream,
                           std::uint64_t code) override {
    app_resets[stream] = code;
  }
  void on_closed(transport::ConnectionId id, transport::CloseReason reason,
                 const std::string& detail) override;
  bool send_datagrams(const core::SocketAddress& to, core::ByteView data, std::size_t segment_size,
                      std::uint8_t ecn) override;

 private:
  RawPeer() = default;
  void step(std::chrono::milliseconds max_wait);

  transport::TransportConfig config_;
  runtime::SystemClock clock_;
  runtime::OsRng rng_;
  std::unique_ptr<transport::TlsCertificate> certificate_;
  std::unique_ptr<runtime::UdpSocket> socket_;
  std::unique_ptr<transport::Endpoint> endpoint_;
};

}  // namespace barrel_p2p::testing
