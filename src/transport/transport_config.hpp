// Settings of one QUIC endpoint. Defaults are documented in docs/reference/configuration.md.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/time.hpp"

namespace barrel_p2p::transport {

using namespace std::chrono_literals;

struct TransportConfig {
  /// ALPN offered and required on every connection; carries the protocol version.
  std::string alpn = "barrel-p2p/1";
  /// Connections of any state; connect() fails and inbound Initials are refused beyond it.
  std::size_t max_connections = 1024;
  /// Connections whose TLS handshake has not completed yet (both directions).
  std::size_t max_handshakes = 128;
  /// QUIC idle timeout: a connection with no packets for this long is dropped.
  core::Duration idle_timeout = 5s;
  /// Keep-alive PING interval on an idle connection (must be below idle_timeout).
  core::Duration keep_alive = 1s;
  /// QUIC handshake timeout (TLS), separate from the authentication budget above it.
  core::Duration handshake_timeout = 10s;
  /// Unacknowledged bytes a stream may buffer before send() reports limit_reached.
  std::size_t stream_send_buffer = 16 * 1024 * 1024;
  /// Receive windows: initial per stream / per connection, and the auto-tuning ceiling.
  std::uint64_t initial_stream_window = 4 * 1024 * 1024;
  std::uint64_t initial_connection_window = 8 * 1024 * 1024;
  std::uint64_t max_window = 32 * 1024 * 1024;
  /// Largest UDP payload sent to a loopback address (127.0.0.0/8, ::1), whose MTU of 65,536
  /// is known: 65,488 fits IPv6 (65,536 - 40 - 8) and IPv4. Large packets cut the per-packet
  /// cost (crypto setup, ngtcp2, syscalls) that bounds QUIC throughput. 0 keeps the usual
  /// 1,200-byte start and path MTU discovery, as for every other address.
  std::size_t loopback_udp_payload = 65'488;
  /// Tagged streams (decision 0019): bidirectional streams the peer may have open at once on
  /// one connection; its next open waits for one to close (QUIC stream credit).
  std::uint64_t max_app_streams_inbound = 128;
  /// Receive window of each tagged stream: bytes the peer may send beyond what the
  /// application read (credit goes back only as it reads; auto-tuning may grow it up to
  /// max_window).
  std::uint64_t app_stream_window = 1024 * 1024;
  /// Unacknowledged bytes one tagged stream buffers on the sending side; a write takes what
  /// fits and the rest waits for on_app_stream_writable.
  std::size_t app_stream_send_buffer = 1024 * 1024;
  /// Sends the QUIC transport parameter disable_active_migration: peers must not move the
  /// connections they dialed to us (a test hook; NAT rebinding is followed regardless).
  bool disable_active_migration = false;
  /// Stateless resets sent per second at most (replies to packets for unknown connections).
  std::uint32_t stateless_resets_per_second = 100;
  /// Secret from which stateless-reset tokens are derived; stable across restarts so a node
  /// that lost a connection's state can still reset it (derived from the node identity).
  std::array<std::uint8_t, 32> static_secret{};
};

}  // namespace barrel_p2p::transport
