// What a QUIC endpoint reports to the layer above it (the node runtime).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/bytes.hpp"
#include "core/socket_address.hpp"

namespace barrel_p2p::transport {

/// Handle of one QUIC connection inside an endpoint; never reused within a process.
struct ConnectionId {
  std::uint64_t value = 0;
  auto operator<=>(const ConnectionId&) const = default;
};

enum class Role : std::uint8_t { client, server };

/// Index of one local address (socket) of an endpoint: 0 is the address the endpoint was made
/// with, others come from Endpoint::add_local. A datagram's local index says which socket it
/// arrived on or must leave from.
using LocalId = std::uint32_t;

/// The two unidirectional streams each side opens on every connection. Control frames
/// (authentication, membership, heartbeats) never wait behind data frames.
enum class StreamKind : std::uint8_t { control = 0, data = 1 };

/// Facts about a connection that can carry stream bytes (see on_connected).
struct ConnectionInfo {
  Role role = Role::client;
  core::SocketAddress remote;
  /// SHA-256 of the server's DER certificate: the one received (client) or our own (server).
  std::array<std::uint8_t, 32> server_cert_sha256{};
};

enum class CloseReason : std::uint8_t {
  local,             ///< We closed it (close() or endpoint shutdown).
  peer_closed,       ///< The peer sent CONNECTION_CLOSE.
  idle_timeout,      ///< No packets for the idle timeout (peer silent or gone).
  handshake_failed,  ///< TLS handshake failed or timed out.
  stateless_reset,   ///< The peer lost the connection state and reset it.
  protocol_error,    ///< A QUIC or stream-usage violation.
};

/// Receives endpoint events. Called on the loop thread, from inside Endpoint calls;
/// implementations may call Endpoint::send/close (they are deferred) but must not destroy
/// the endpoint.
class EndpointHandler {
 public:
  virtual ~EndpointHandler() = default;
  /// Streams are open and send() may be used: on a client once the TLS handshake completed,
  /// on a server as soon as its 1-RTT keys exist, before the client's Finished (0.5-RTT data,
  /// decision 0027). A server connection that then fails its handshake is closed as usual.
  virtual void on_connected(ConnectionId id, const ConnectionInfo& info) = 0;
  /// Bytes arrived on the peer's stream of `kind`, in order.
  virtual void on_stream_data(ConnectionId id, StreamKind kind, core::ByteView data) = 0;
  /// The stream's send buffer fell below half of its bound after send() had refused.
  virtual void on_writable(ConnectionId id, StreamKind kind) = 0;
  /// The connection ended; `id` is invalid afterwards. Called exactly once per connection
  /// (including client connections that never completed the handshake).
  virtual void on_closed(ConnectionId id, CloseReason reason, const std::string& detail) = 0;

  // Application (tagged) streams: bidirectional QUIC streams either side opens (decision
  // 0019). A stream's events stop after on_app_stream_closed, or with its connection's
  // on_closed. Default: ignored (a handler that never opens or accepts them).
  /// Bytes (possibly none when `fin`) arrived in order on application stream `stream`; the
  /// first call for a stream the peer opened is how it is announced. Receive credit for them
  /// goes back only through Endpoint::consume_app_stream.
  virtual void on_app_stream_data(ConnectionId /*id*/, std::int64_t /*stream*/,
                                  core::ByteView /*data*/, bool /*fin*/) {}
  /// The peer reset the stream (RESET_STREAM or STOP_SENDING) with `code`; the transport shuts
  /// down both directions and reports on_app_stream_closed later.
  virtual void on_app_stream_reset(ConnectionId /*id*/, std::int64_t /*stream*/,
                                   std::uint64_t /*code*/) {}
  /// The stream's send buffer fell below half of its bound after a write was cut short.
  virtual void on_app_stream_writable(ConnectionId /*id*/, std::int64_t /*stream*/) {}
  /// The stream is gone (both directions ended, or reset); its ID is invalid afterwards.
  virtual void on_app_stream_closed(ConnectionId /*id*/, std::int64_t /*stream*/) {}
  /// The migration started by Endpoint::migrate ended: `ok` when the new path was validated
  /// and the connection now uses it, false when validation failed (the old path stays).
  virtual void on_migrated(ConnectionId /*id*/, bool /*ok*/) {}
  /// The peer of an accepted connection now sends from `remote` (it migrated, or a NAT
  /// rebound its address), and the new path was validated.
  virtual void on_peer_address_changed(ConnectionId /*id*/, const core::SocketAddress& /*remote*/) {
  }
  /// An accepted connection validated a path on our local address `local` (its peer moved it
  /// there: a migration it was asked for, decision 0036). Reported for every validated path
  /// of an accepted connection, whichever local address it uses.
  virtual void on_path_validated(ConnectionId /*id*/, LocalId /*local*/) {}
  /// A connection closed with `keep_app_streams` (Endpoint::close) had every byte queued on
  /// its two link streams acknowledged while application streams were still open: it stays
  /// open for them, carries no more link bytes, and closes once the last one ends (then
  /// on_closed follows). Not called when no application stream was open at that point.
  virtual void on_link_streams_flushed(ConnectionId /*id*/) {}
};

/// Receives outgoing datagrams. `data` holds one or more packets of `segment_size` bytes (the
/// last may be shorter): send them with GSO or one by one. Returns false when the socket is
/// full; the endpoint then stops writing until the next flush (QUIC recovers the loss).
class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  virtual bool send_datagrams(const core::SocketAddress& to, core::ByteView data,
                              std::size_t segment_size, std::uint8_t ecn) = 0;
  /// As send_datagrams, from the socket of local index `local` (never 0: index 0 goes through
  /// send_datagrams, the fast path). A sink with one socket drops them (the default).
  virtual bool send_datagrams_from(LocalId /*local*/, const core::SocketAddress& /*to*/,
                                   core::ByteView /*data*/, std::size_t /*segment_size*/,
                                   std::uint8_t /*ecn*/) {
    return true;
  }
};

std::string_view close_reason_name(CloseReason reason);

}  // namespace barrel_p2p::transport
