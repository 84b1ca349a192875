// A QUIC endpoint on one UDP socket: it both accepts and initiates connections, routes
// datagrams by connection ID, and keeps every connection's ngtcp2 + GnuTLS state.
// Sans-IO: datagrams and time go in; datagrams (through a DatagramSink), stream bytes and
// connection events (through an EndpointHandler) and the next deadline come out.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "core/rng.hpp"
#include "core/socket_address.hpp"
#include "core/time.hpp"
#include "transport/cid_key.hpp"
#include "transport/endpoint_handler.hpp"
#include "transport/transport_config.hpp"

struct ngtcp2_addr;

namespace barrel_p2p::transport {

class Connection;
class TlsCertificate;

/// Counters of one endpoint (monotonic, for metrics and tests).
struct EndpointStats {
  std::uint64_t datagrams_received = 0;
  std::uint64_t datagrams_dropped_garbage = 0;  ///< undecodable or truncated
  std::uint64_t datagrams_unknown_connection = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_initiated = 0;
  std::uint64_t connections_refused_limit = 0;  ///< inbound Initials over a cap
  std::uint64_t stateless_resets_sent = 0;
  std::uint64_t stateless_resets_received = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t send_blocked = 0;          ///< flushes cut short by a full socket
  std::uint64_t migrations_started = 0;    ///< migrate() calls that began a validation
  std::uint64_t migrations_succeeded = 0;  ///< ... whose new path was validated and taken
  std::uint64_t migrations_failed = 0;     ///< ... whose new path failed validation
  std::uint64_t peer_address_changes = 0;  ///< accepted connections whose peer moved (NAT)
  std::uint64_t packets_unroutable = 0;    ///< written for a local address no longer held
  /// Packets dropped because ngtcp2 found the peer's NEW_CONNECTION_ID over our limit
  /// (decision 0031): the connection stays up.
  std::uint64_t connection_id_limit_drops = 0;
  /// TLS sessions freed once their connection's handshake was confirmed (decision 0034).
  std::uint64_t tls_sessions_released = 0;
};

/// Path statistics of one connection (RFC 9002 estimators, from ngtcp2).
struct PathStats {
  core::Duration smoothed_rtt{};
  core::Duration latest_rtt{};
  core::Duration min_rtt{};
  core::Duration rtt_variance{};
  std::uint64_t congestion_window = 0;
  std::uint64_t bytes_in_flight = 0;
  std::uint64_t delivery_rate = 0;  ///< bytes per second; 0 until measured
  core::SocketAddress local;        ///< the current path's local address
  core::SocketAddress remote;       ///< the current path's remote address
  Role role = Role::client;         ///< client: we dialed the connection
};

class Endpoint {
 public:
  /// `certificate`, `rng` and `handler` must outlive the endpoint. `local` is the socket's
  /// concrete bound address (ngtcp2 compares paths byte for byte).
  Endpoint(TransportConfig config, const TlsCertificate& certificate, core::Rng& rng,
           EndpointHandler& handler, const core::SocketAddress& local);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  /// Starts a client connection to `remote` from local address `local` (see add_local). The
  /// handler reports on_connected or on_closed. Errors: limit_reached when max_connections or
  /// max_handshakes is reached; crypto when TLS session setup fails; not_found for a local
  /// index not held.
  Result<ConnectionId> connect(core::Instant now, const core::SocketAddress& remote,
                               LocalId local = 0);

  /// Feeds one received datagram, which arrived on the socket of `local`. Garbage is dropped
  /// and counted, never fatal to the node.
  void handle_datagram(core::Instant now, const core::SocketAddress& remote, core::ByteView data,
                       std::uint8_t ecn, LocalId local = 0);

  /// Adds another local address (a socket the caller owns and reads into handle_datagram with
  /// the returned index). Datagrams from it reach DatagramSink::send_datagrams_from. Indices
  /// of removed addresses are reused. `max_udp_payload` > 0 marks a path whose datagrams are
  /// bounded whatever the remote address (a user datagram transport, decision 0022): a
  /// connection started on it sends at most that many bytes per datagram and advertises it as
  /// its max_udp_payload_size, so the peer does too. 0: a kernel socket.
  LocalId add_local(const core::SocketAddress& local, std::size_t max_udp_payload = 0);
  /// Forgets a local address added by add_local: packets still written for it are dropped
  /// (counted in packets_unroutable). Index 0 cannot be removed.
  void remove_local(LocalId local);
  /// Starts moving client connection `id` to local address `local` (QUIC connection migration:
  /// the new path is validated, then used). The outcome comes as on_migrated. Errors:
  /// not_found (unknown connection or local index), invalid_argument (we accepted the
  /// connection: only its client can migrate; or `local` is already its path), closed (the
  /// handshake is not confirmed, or the connection is closing), busy (a migration of it is in
  /// progress), unreachable (the peer disabled active migration), limit_reached (no spare
  /// connection ID from the peer). With `remote`, the new path also goes to that peer
  /// address instead of the current one (the peer asked for it: decision 0036).
  Result<void> migrate(core::Instant now, ConnectionId id, LocalId local,
                       const std::optional<core::SocketAddress>& remote = std::nullopt);
  /// The role of connection `id`. Errors: not_found.
  [[nodiscard]] Result<Role> role(ConnectionId id) const;
  /// The peer address of connection `id`'s current path. Errors: not_found.
  [[nodiscard]] Result<core::SocketAddress> remote_address(ConnectionId id) const;
  /// The local index of connection `id`'s current path. Errors: not_found.
  [[nodiscard]] Result<LocalId> path_local(ConnectionId id) const;

  /// Queues bytes on our stream of `kind` (written at the next flush, control first).
  /// Errors: not_found (unknown or closed connection), closed (handshake not complete or
  /// closing), limit_reached (stream_send_buffer full; on_writable follows).
  Result<void> send(ConnectionId id, StreamKind kind, core::Bytes&& data);
  /// Queues `header` then `payload` as one unit (both or neither), copying them.
  /// Errors: as send().
  Result<void> send_frame(ConnectionId id, StreamKind kind, core::ByteView header,
                          core::ByteView payload);
  /// As send(), copying `data`.
  Result<void> send_copy(ConnectionId id, StreamKind kind, core::ByteView data);
  /// For tests of what a hostile peer can send: makes the connection send a few handshake
  /// bytes (a CRYPTO frame) at the 1-RTT level, as a TLS stack would for a session ticket.
  /// Peers of ours never do; a receiver closes the connection (decision 0034).
  /// Errors: not_found, closed (handshake not confirmed yet), crypto (ngtcp2 refused).
  Result<void> send_post_handshake_bytes(ConnectionId id);

  // Application (tagged) streams: bidirectional QUIC streams, written after control and data
  // (fair among themselves), with per-stream flow control (decision 0019).
  /// Opens an application stream. Errors: not_found, closed (not established or closing),
  /// limit_reached (the peer allows no more open streams now).
  Result<std::int64_t> open_app_stream(ConnectionId id);
  /// Queues a copy of as much of `data` as fits in the stream's send buffer
  /// (app_stream_send_buffer) and returns how much; `fin` ends the stream once every byte was
  /// taken. When not all fit, on_app_stream_writable follows. Errors: not_found (connection or
  /// stream), closed (the stream was finished or reset, or the connection is closing).
  Result<std::size_t> write_app_stream(ConnectionId id, std::int64_t stream, core::ByteView data,
                                       bool fin);
  /// Resets both directions of a stream with `code`. Errors: not_found.
  Result<void> reset_app_stream(ConnectionId id, std::int64_t stream, std::uint64_t code);
  /// The application consumed `count` bytes of the stream: gives that receive credit back.
  /// Unknown ids are ignored.
  void consume_app_stream(ConnectionId id, std::int64_t stream, std::size_t count);
  /// Bytes queued but not yet acknowledged on an application stream (0 when unknown).
  [[nodiscard]] std::uint64_t app_stream_buffered(ConnectionId id, std::int64_t stream) const;

  /// Closes a connection gracefully: bytes already queued are delivered first, then
  /// CONNECTION_CLOSE carries `app_code` and `reason`. The wait ends early only when the peer
  /// acknowledges nothing for max(idle_timeout, 3 PTO): a live peer gets every queued byte,
  /// however loaded it is. With `keep_app_streams`, application streams still open once the
  /// link bytes are acknowledged keep the connection open (EndpointHandler::
  /// on_link_streams_flushed) until the last one ends: they go on being written and read, no
  /// new one can be opened here. Unknown ids are ignored.
  void close(core::Instant now, ConnectionId id, std::uint64_t app_code, std::string_view reason,
             bool keep_app_streams = false);
  /// Closes every connection at once (endpoint shutdown), without waiting.
  void close_all(core::Instant now, DatagramSink& sink);

  /// Writes everything pending for connections touched since the last flush.
  void flush(core::Instant now, DatagramSink& sink);
  /// The earliest instant at which on_timeout must run (Instant::never() when idle).
  [[nodiscard]] core::Instant next_deadline() const;
  /// Runs the timers that are due (loss detection, ACK delay, idle, keep-alive, pacing).
  void on_timeout(core::Instant now);

  [[nodiscard]] const EndpointStats& stats() const { return stats_; }
  [[nodiscard]] std::size_t connection_count() const { return connections_.size(); }
  [[nodiscard]] std::size_t handshake_count() const;
  /// Errors: not_found.
  [[nodiscard]] Result<PathStats> path_stats(ConnectionId id) const;
  /// Bytes queued but not yet acknowledged on our stream of `kind` (0 for unknown ids).
  [[nodiscard]] std::uint64_t buffered(ConnectionId id, StreamKind kind) const;
  [[nodiscard]] const core::SocketAddress& local_address() const { return locals_[0].address; }

 private:
  friend class Connection;
  void register_cid(const CidKey& cid, Connection* connection);
  void unregister_cid(const CidKey& cid);
  void register_token(const TokenKey& token, Connection* connection);
  void unregister_token(const TokenKey& token);
  void mark_dirty(Connection* connection);
  void reschedule(Connection* connection);
  Connection* find(ConnectionId id) const;
  void accept(core::Instant now, const core::SocketAddress& remote, core::ByteView data,
              std::uint8_t ecn);
  void handle_unknown_short(core::Instant now, const core::SocketAddress& remote,
                            core::ByteView data, std::uint8_t ecn, const CidKey& dcid);
  void reap_dead();
  /// The local index of `address`, or nothing when no local address held matches it.
  [[nodiscard]] std::optional<LocalId> local_of(const ngtcp2_addr& address) const;
  [[nodiscard]] const core::SocketAddress& local_address(LocalId local) const {
    return locals_[local].address;
  }

  TransportConfig config_;
  const TlsCertificate& certificate_;  // outlives the endpoint
  core::Rng& rng_;                     // outlives the endpoint
  EndpointHandler& handler_;           // outlives the endpoint
  struct Local {
    core::SocketAddress address;
    bool held = false;
    std::size_t max_udp_payload = 0;  // see add_local
  };
  std::vector<Local> locals_;  // by LocalId; [0] is the construction address, always held
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::unordered_map<CidKey, Connection*, CidKeyHash> by_cid_;
  std::unordered_map<TokenKey, Connection*, TokenKeyHash> by_token_;
  std::set<std::pair<std::int64_t, std::uint64_t>> timers_;  // (deadline ns, connection id)
  std::vector<Connection*> dirty_;
  // One GSO batch, allocated once and not zeroed: only the pages batches reach become
  // resident (a quiet node's short batches touch one or two of its 16).
  std::unique_ptr<std::uint8_t[]> batch_buffer_;
  std::vector<std::pair<core::SocketAddress, core::Bytes>> pending_resets_;  // bounded below
  std::int64_t reset_window_start_ = 0;
  std::uint32_t resets_in_window_ = 0;
  EndpointStats stats_;
};

}  // namespace barrel_p2p::transport
