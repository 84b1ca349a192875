// One QUIC connection: an ngtcp2_conn, its GnuTLS session, and the two stream send queues.
// Internal to the transport; the Endpoint owns every Connection and routes to it.
#pragma once

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <array>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "core/socket_address.hpp"
#include "core/time.hpp"
#include "transport/cid_key.hpp"
#include "transport/endpoint_handler.hpp"
#include "transport/packet_batcher.hpp"
#include "transport/send_queue.hpp"

namespace barrel_p2p::transport {

class Endpoint;

class Connection {
 public:
  enum class State : std::uint8_t { handshaking, established, closing, draining, dead };

  /// Creates a client connection. Errors: crypto (TLS setup), internal (ngtcp2).
  static Result<std::unique_ptr<Connection>> create_client(Endpoint& endpoint, ConnectionId id,
                                                           const core::SocketAddress& remote,
                                                           LocalId local, core::Instant now);
  /// Creates a server connection for an accepted Initial packet header.
  static Result<std::unique_ptr<Connection>> create_server(Endpoint& endpoint, ConnectionId id,
                                                           const core::SocketAddress& remote,
                                                           const ngtcp2_pkt_hd& header,
                                                           core::Instant now);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// A datagram for this connection arrived on local address `local` from `remote`.
  void read(core::Instant now, LocalId local, const core::SocketAddress& remote,
            core::ByteView data, std::uint8_t ecn);
  /// Starts migrating to local address `local`: see Endpoint::migrate.
  Result<void> migrate(core::Instant now, LocalId local,
                       const std::optional<core::SocketAddress>& remote);
  void handle_expiry(core::Instant now);
  void write(core::Instant now, PacketBatcher& out);
  Result<void> send(StreamKind kind, core::Bytes&& data);
  Result<void> send_copy(StreamKind kind, core::ByteView data);
  Result<void> send_post_handshake_bytes();  // see Endpoint::send_post_handshake_bytes
  Result<void> send_frame(StreamKind kind, core::ByteView header, core::ByteView payload);
  /// Graceful close: see Endpoint::close.
  void request_close(core::Instant now, std::uint64_t app_code, std::string_view reason,
                     bool keep_app_streams = false);
  /// Immediate close (no waiting for queued bytes).
  void close_now(core::Instant now, PacketBatcher& out, std::uint64_t app_code,
                 std::string_view reason);

  [[nodiscard]] core::Instant expiry() const;
  [[nodiscard]] State state() const { return state_; }
  /// The TLS handshake is still running. A server can be `established` meanwhile (0.5-RTT,
  /// decision 0027); only this counts toward TransportConfig::max_handshakes.
  [[nodiscard]] bool in_tls_handshake() const;
  [[nodiscard]] ConnectionId id() const { return id_; }
  [[nodiscard]] Role role() const { return role_; }
  [[nodiscard]] ngtcp2_conn* native() const { return conn_; }
  [[nodiscard]] std::uint64_t buffered(StreamKind kind) const;

  // Application (tagged) streams: bidirectional QUIC streams; see Endpoint.
  Result<std::int64_t> open_app_stream();
  Result<std::size_t> write_app_stream(std::int64_t stream, core::ByteView data, bool fin);
  Result<void> reset_app_stream(std::int64_t stream, std::uint64_t code);
  void consume_app_stream(std::int64_t stream, std::size_t count);
  [[nodiscard]] std::uint64_t app_stream_buffered(std::int64_t stream) const;
  [[nodiscard]] std::size_t app_stream_count() const { return app_streams_.size(); }

  // Bookkeeping used by the endpoint.
  bool dirty = false;
  std::int64_t scheduled_deadline = -1;

 private:
  Connection(Endpoint& endpoint, ConnectionId id, Role role, const core::SocketAddress& remote);
  Result<void> setup_tls();
  /// How long a graceful close waits without acknowledgement progress before it closes.
  [[nodiscard]] core::Duration close_wait() const;
  /// Registers our connection IDs, sets up TLS and keep-alive. Errors: crypto.
  Result<void> finish_setup(std::initializer_list<CidKey> cids);
  static ngtcp2_callbacks make_callbacks(Role role);
  /// `max_udp_payload`: the bound of the local address the connection starts on (see
  /// Endpoint::add_local), 0 for a kernel socket.
  void fill_settings(ngtcp2_settings& settings, ngtcp2_transport_params& params, core::Instant now,
                     std::size_t max_udp_payload);
  void on_error(core::Instant now, int liberr);
  /// Checks that `size` more bytes may be queued on `kind`. Errors: closed, limit_reached.
  Result<void> admit(StreamKind kind, std::size_t size);
  void write_streams(core::Instant now, PacketBatcher& out);
  /// One stream with something to write: control, then data, then application streams in
  /// turn (round robin after app_cursor_). `stream_id` < 0 when nothing is writable.
  struct Pick {
    std::int64_t stream_id = -1;
    SendQueue* queue = nullptr;
    bool* blocked = nullptr;
    bool fin = false;  // an application stream whose FIN is queued
  };
  /// `apps`: false when tagged streams must wait (their in-flight limit is reached).
  [[nodiscard]] Pick pick_next(bool apps);
  void wrote(const Pick& pick, bool with_fin, std::size_t total, ngtcp2_ssize accepted);
  void apply_deferred_shutdowns();
  void report_closed(CloseReason reason, const std::string& detail);
  void enter_closing_wait(core::Instant now);
  void write_close_packet(core::Instant now, PacketBatcher& out);
  void send_stored_close(PacketBatcher& out);

  // ngtcp2 callbacks (static trampolines to members).
  static int on_handshake_completed(ngtcp2_conn* conn, void* user_data);
  static int on_handshake_confirmed(ngtcp2_conn* conn, void* user_data);
  static int on_recv_crypto_data(ngtcp2_conn* conn, ngtcp2_crypto_level level, std::uint64_t offset,
                                 const std::uint8_t* data, std::size_t datalen, void* user_data);
  static int on_recv_stream_data(ngtcp2_conn* conn, std::uint32_t flags, std::int64_t stream_id,
                                 std::uint64_t offset, const std::uint8_t* data,
                                 std::size_t datalen, void* user_data, void* stream_user_data);
  static int on_acked_stream_data_offset(ngtcp2_conn* conn, std::int64_t stream_id,
                                         std::uint64_t offset, std::uint64_t datalen,
                                         void* user_data, void* stream_user_data);
  static int on_extend_max_stream_data(ngtcp2_conn* conn, std::int64_t stream_id,
                                       std::uint64_t max_data, void* user_data,
                                       void* stream_user_data);
  static int on_stream_open(ngtcp2_conn* conn, std::int64_t stream_id, void* user_data);
  static int on_stream_close(ngtcp2_conn* conn, std::uint32_t flags, std::int64_t stream_id,
                             std::uint64_t app_error_code, void* user_data, void* stream_user_data);
  static int on_stream_reset(ngtcp2_conn* conn, std::int64_t stream_id, std::uint64_t final_size,
                             std::uint64_t app_error_code, void* user_data, void* stream_user_data);
  static int on_stream_stop_sending(ngtcp2_conn* conn, std::int64_t stream_id,
                                    std::uint64_t app_error_code, void* user_data,
                                    void* stream_user_data);
  static int on_recv_stateless_reset(ngtcp2_conn* conn, const ngtcp2_pkt_stateless_reset* sr,
                                     void* user_data);
  static void on_rand(std::uint8_t* dest, std::size_t destlen, const ngtcp2_rand_ctx* rand_ctx);
  static int on_get_new_connection_id(ngtcp2_conn* conn, ngtcp2_cid* cid, std::uint8_t* token,
                                      std::size_t cidlen, void* user_data);
  static int on_remove_connection_id(ngtcp2_conn* conn, const ngtcp2_cid* cid, void* user_data);
  static int on_dcid_status(ngtcp2_conn* conn, int type, std::uint64_t seq, const ngtcp2_cid* cid,
                            const std::uint8_t* token, void* user_data);
  static int on_path_validation(ngtcp2_conn* conn, std::uint32_t flags, const ngtcp2_path* path,
                                ngtcp2_path_validation_result result, void* user_data);
  static ngtcp2_conn* get_conn(ngtcp2_crypto_conn_ref* ref);
  static int on_tls_secret(gnutls_session_t session, gnutls_record_encryption_level_t level,
                           const void* rx_secret, const void* tx_secret, std::size_t size);
  void path_validated(const ngtcp2_path& path, bool ok);
  /// Adds a written packet to `out` from the local address of `path`; a packet for a local
  /// address the endpoint no longer holds is dropped (QUIC treats it as lost).
  void commit_packet(PacketBatcher& out, const ngtcp2_path& path, std::size_t size,
                     std::uint8_t ecn);

  int handshake_completed();
  /// Opens our two link streams and reports the connection up (on_connected): at the
  /// handshake's end on a client, as soon as 1-RTT keys exist on a server (0.5-RTT).
  int establish();
  /// Frees the GnuTLS session once the handshake is confirmed (after a packet read, never
  /// inside an ngtcp2 callback): see the note at `session_`.
  void release_tls_session();
  int stream_data(std::int64_t stream_id, core::ByteView data, bool fin);
  int app_stream_data(std::int64_t stream_id, core::ByteView data, bool fin);
  void peer_reset(std::int64_t stream_id, std::uint64_t code);

  Endpoint& endpoint_;  // owns this connection
  ConnectionId id_;
  Role role_;
  core::SocketAddress remote_;
  State state_ = State::handshaking;
  ngtcp2_conn* conn_ = nullptr;
  // The TLS session, needed only until the handshake is confirmed: by then ngtcp2 holds every
  // key (key updates derive from them, not from TLS), establish() has hashed the server's
  // certificate, and links send no session tickets (GNUTLS_NO_TICKETS), so no more handshake
  // bytes are due. Freeing it saves ~7 KiB per connection (decision 0034); handshake bytes
  // that still arrive close the connection (on_recv_crypto_data).
  gnutls_session_t session_ = nullptr;
  ngtcp2_crypto_conn_ref conn_ref_{};
  std::array<SendQueue, 2> queues_;
  std::array<std::int64_t, 2> stream_ids_{-1, -1};
  std::array<bool, 2> stream_blocked_{false, false};
  // The handshake is confirmed (server: completed; client: HANDSHAKE_DONE received). Until
  // then datagrams keep 1,200 bytes: ngtcp2 pads a client's Initial-bearing datagram to the
  // whole buffer it is given.
  bool handshake_confirmed_ = false;
  // Server: our 1-RTT keys exist (our Finished is written), so the link's first bytes can
  // leave with the handshake's flight, before the client's Finished (decision 0027).
  bool half_rtt_ready_ = false;
  std::array<bool, 2> writable_wanted_{false, false};
  // Application streams by QUIC stream ID (bidirectional), at most our own opens plus
  // TransportConfig::max_app_streams_inbound of the peer's; erased on stream_close.
  struct AppStream {
    SendQueue queue;
    bool blocked = false;
    bool fin_queued = false;
    bool fin_sent = false;
    bool writable_wanted = false;
    bool reset = false;  // reset by us or the peer: nothing more is written
  };
  std::map<std::int64_t, AppStream> app_streams_;
  std::int64_t app_cursor_ = -1;  // the application stream served last (round robin)
  // When link bytes (process messages, control frames) were last written: for a while after,
  // tagged streams keep few bytes in flight (stream_in_flight.hpp).
  core::Instant link_written_at_ = core::Instant::never();
  // Streams the peer reset or stopped, shut down in both directions after the packet read
  // (not from inside ngtcp2's callback); at most one entry per open stream.
  std::vector<std::pair<std::int64_t, std::uint64_t>> deferred_shutdowns_;
  std::vector<CidKey> cids_;      // registered with the endpoint
  std::vector<TokenKey> tokens_;  // registered with the endpoint
  // Graceful close in progress.
  bool close_requested_ = false;
  std::uint64_t close_code_ = 0;
  std::string close_reason_;
  core::Instant close_wait_deadline_ = core::Instant::never();  // see close_wait()
  // close(keep_app_streams): once the link bytes are acknowledged, the connection stays open
  // for its application streams (lingering) and closes when the last one ends.
  bool keep_app_streams_ = false;
  bool lingering_ = false;
  // Closing/draining period. close_error_ is what the next write turns into CONNECTION_CLOSE.
  ngtcp2_connection_close_error close_error_{};
  bool close_pending_write_ = false;
  bool resend_close_ = false;
  std::uint32_t close_resends_ = 0;
  core::Bytes close_packet_;
  core::SocketAddress close_to_;
  core::Instant linger_deadline_ = core::Instant::never();
  bool closed_reported_ = false;
  bool reset_received_ = false;
  bool migrating_ = false;  // a migrate() waits for its path validation
  LocalId close_local_ = 0;
  core::Instant now_;  // time of the call in progress, for callbacks
};

}  // namespace barrel_p2p::transport
