#include "transport/connection.hpp"

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <algorithm>

#include "core/assert.hpp"
#include "transport/endpoint.hpp"
#include "transport/quic_memory.hpp"
#include "transport/tls_certificate.hpp"

namespace barrel_p2p::transport {

namespace {

constexpr std::size_t kCidLength = 16;
// Only TLS 1.3 with modern AEADs; QUIC forbids the middlebox compatibility mode.
constexpr const char* kPriority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:%DISABLE_TLS13_COMPAT_MODE";

/// kPriority parsed once per process and shared by every session (GnuTLS reference-counts a
/// priority cache atomically), instead of a private ~8 KiB copy in each session. Never freed:
/// sessions of any thread may hold it until the process ends. Null if GnuTLS rejects it.
gnutls_priority_t shared_priority() {
  static const gnutls_priority_t priority = [] {
    gnutls_priority_t parsed = nullptr;
    return gnutls_priority_init(&parsed, kPriority, nullptr) == 0 ? parsed : nullptr;
  }();
  return priority;
}

ngtcp2_tstamp timestamp(core::Instant now) { return static_cast<ngtcp2_tstamp>(now.nanos()); }

ngtcp2_path make_path(const core::SocketAddress& local, const core::SocketAddress& remote) {
  ngtcp2_path path{};
  path.local.addr = const_cast<sockaddr*>(local.data());
  path.local.addrlen = static_cast<ngtcp2_socklen>(local.size());
  path.remote.addr = const_cast<sockaddr*>(remote.data());
  path.remote.addrlen = static_cast<ngtcp2_socklen>(remote.size());
  return path;
}

Connection* self(void* user_data) { return static_cast<Connection*>(user_data); }

}  // namespace

Connection::Connection(Endpoint& endpoint, ConnectionId id, Role role,
                       const core::SocketAddress& remote)
    : endpoint_(endpoint), id_(id), role_(role), remote_(remote) {}

Connection::~Connection() {
  for (const CidKey& cid : cids_) endpoint_.unregister_cid(cid);
  for (const TokenKey& token : tokens_) endpoint_.unregister_token(token);
  if (conn_ != nullptr) ngtcp2_conn_del(conn_);
  if (session_ != nullptr) gnutls_deinit(session_);
}

ngtcp2_callbacks Connection::make_callbacks(Role role) {
  ngtcp2_callbacks cb{};
  if (role == Role::client) {
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  } else {
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  }
  cb.recv_crypto_data = on_recv_crypto_data;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.rand = on_rand;
  cb.get_new_connection_id = on_get_new_connection_id;
  cb.remove_connection_id = on_remove_connection_id;
  cb.dcid_status = on_dcid_status;
  cb.handshake_completed = on_handshake_completed;
  cb.handshake_confirmed = on_handshake_confirmed;
  cb.recv_stream_data = on_recv_stream_data;
  cb.acked_stream_data_offset = on_acked_stream_data_offset;
  cb.extend_max_stream_data = on_extend_max_stream_data;
  cb.stream_open = on_stream_open;
  cb.stream_close = on_stream_close;
  cb.stream_reset = on_stream_reset;
  cb.stream_stop_sending = on_stream_stop_sending;
  cb.recv_stateless_reset = on_recv_stateless_reset;
  cb.path_validation = on_path_validation;
  return cb;
}

void Connection::fill_settings(ngtcp2_settings& settings, ngtcp2_transport_params& params,
                               core::Instant now, std::size_t max_udp_payload) {
  const TransportConfig& config = endpoint_.config_;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = timestamp(now);
  settings.rand_ctx.native_handle = &endpoint_.rng_;
  settings.handshake_timeout = static_cast<ngtcp2_duration>(config.handshake_timeout.count());
  settings.max_window = config.max_window;
  settings.max_stream_window = config.max_window;
  if (max_udp_payload > 0) {
    // A user datagram transport (decision 0022): its datagrams stay within the bound both
    // ways, whatever the remote address says about the MTU.
    settings.max_tx_udp_payload_size = max_udp_payload;
  } else if (remote_.is_loopback() && config.loopback_udp_payload > 0) {
    settings.max_tx_udp_payload_size = config.loopback_udp_payload;
    settings.no_tx_udp_payload_size_shaping = 1;  // no PMTUD climb from 1,200: the MTU is known
  }
  ngtcp2_transport_params_default(&params);
  params.initial_max_streams_uni = 2;  // control + data; a third peer stream is an error
  // Tagged streams (decision 0019): the peer's bidirectional streams, credited back one by
  // one as they close (on_stream_close).
  params.initial_max_streams_bidi = config.max_app_streams_inbound;
  params.initial_max_stream_data_uni = config.initial_stream_window;
  params.initial_max_stream_data_bidi_local = config.app_stream_window;
  params.initial_max_stream_data_bidi_remote = config.app_stream_window;
  params.initial_max_data = config.initial_connection_window;
  params.max_idle_timeout = static_cast<ngtcp2_duration>(config.idle_timeout.count());
  params.active_connection_id_limit = 8;  // spare CIDs: a migration needs an unused one
  // Off only on request (a test hook): peers behind NATs must be able to move.
  params.disable_active_migration = config.disable_active_migration ? 1 : 0;
  if (max_udp_payload > 0) params.max_udp_payload_size = max_udp_payload;
}

Result<std::unique_ptr<Connection>> Connection::create_client(Endpoint& endpoint, ConnectionId id,
                                                              const core::SocketAddress& remote,
                                                              LocalId local, core::Instant now) {
  std::unique_ptr<Connection> connection(new Connection(endpoint, id, Role::client, remote));
  ngtcp2_cid dcid{};
  ngtcp2_cid scid{};
  dcid.datalen = kCidLength;
  scid.datalen = kCidLength;
  endpoint.rng_.fill({dcid.data, kCidLength});
  endpoint.rng_.fill({scid.data, kCidLength});
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  connection->fill_settings(settings, params, now, endpoint.locals_[local].max_udp_payload);
  const ngtcp2_callbacks callbacks = make_callbacks(Role::client);
  const ngtcp2_path path = make_path(endpoint.local_address(local), remote);
  const int rv =
      ngtcp2_conn_client_new(&connection->conn_, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
                             &callbacks, &settings, &params, quic_memory(), connection.get());
  if (rv != 0)
    return fail(Errc::internal, std::string("ngtcp2_conn_client_new: ") + ngtcp2_strerror(rv));
  if (auto ready = connection->finish_setup({CidKey::from(scid)}); !ready) {
    return Unexpected(ready.error());
  }
  return connection;
}

Result<std::unique_ptr<Connection>> Connection::create_server(Endpoint& endpoint, ConnectionId id,
                                                              const core::SocketAddress& remote,
                                                              const ngtcp2_pkt_hd& header,
                                                              core::Instant now) {
  std::unique_ptr<Connection> connection(new Connection(endpoint, id, Role::server, remote));
  ngtcp2_cid scid{};
  scid.datalen = kCidLength;
  endpoint.rng_.fill({scid.data, kCidLength});
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  connection->fill_settings(settings, params, now, 0);  // accepted on the listening socket
  params.original_dcid = header.dcid;
  params.stateless_reset_token_present = 1;
  ngtcp2_crypto_generate_stateless_reset_token(params.stateless_reset_token,
                                               endpoint.config_.static_secret.data(),
                                               endpoint.config_.static_secret.size(), &scid);
  const ngtcp2_callbacks callbacks = make_callbacks(Role::server);
  const ngtcp2_path path = make_path(endpoint.local_address(0), remote);
  const int rv =
      ngtcp2_conn_server_new(&connection->conn_, &header.scid, &scid, &path, header.version,
                             &callbacks, &settings, &params, quic_memory(), connection.get());
  if (rv != 0)
    return fail(Errc::internal, std::string("ngtcp2_conn_server_new: ") + ngtcp2_strerror(rv));
  // Retransmitted Initials still carry the client's original DCID.
  if (auto ready = connection->finish_setup({CidKey::from(scid), CidKey::from(header.dcid)});
      !ready) {
    return Unexpected(ready.error());
  }
  return connection;
}

Result<void> Connection::finish_setup(std::initializer_list<CidKey> cids) {
  for (const CidKey& key : cids) {
    endpoint_.register_cid(key, this);
    cids_.push_back(key);
  }
  if (auto tls = setup_tls(); !tls) return tls;
  ngtcp2_conn_set_keep_alive_timeout(
      conn_, static_cast<ngtcp2_duration>(endpoint_.config_.keep_alive.count()));
  return {};
}

Result<void> Connection::setup_tls() {
  const bool client = role_ == Role::client;
  // No session tickets: links never resume, so a ticket would be bytes on every handshake
  // and state kept in every session for nothing. A client offers one key share (X25519, the
  // first group of kPriority) instead of GnuTLS's default two, which added a P-256 key to
  // every handshake; a server without X25519 would still get there with a HelloRetryRequest.
  const unsigned flags = (client ? GNUTLS_CLIENT | GNUTLS_KEY_SHARE_TOP : GNUTLS_SERVER) |
                         GNUTLS_NO_END_OF_EARLY_DATA | GNUTLS_NO_TICKETS;
  if (gnutls_init(&session_, flags) != 0) {
    return fail(Errc::crypto, "gnutls_init failed");
  }
  const int configured = client ? ngtcp2_crypto_gnutls_configure_client_session(session_)
                                : ngtcp2_crypto_gnutls_configure_server_session(session_);
  if (configured != 0) return fail(Errc::crypto, "cannot configure the QUIC TLS session");
  // Replaces the helper's secret hook with one that also notes when a server's 1-RTT keys
  // exist (on_tls_secret); the client keeps the helper's.
  if (!client) gnutls_handshake_set_secret_function(session_, on_tls_secret);
  gnutls_priority_t priority = shared_priority();
  if (priority == nullptr || gnutls_priority_set(session_, priority) != 0) {
    return fail(Errc::crypto, "TLS priority string rejected");
  }
  if (gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE,
                             endpoint_.certificate_.credentials()) != 0) {
    return fail(Errc::crypto, "cannot set TLS credentials");
  }
  const std::string& alpn = endpoint_.config_.alpn;
  gnutls_datum_t protocol{reinterpret_cast<unsigned char*>(const_cast<char*>(alpn.data())),
                          static_cast<unsigned>(alpn.size())};
  const unsigned alpn_flags =
      GNUTLS_ALPN_MANDATORY | (client ? 0U : static_cast<unsigned>(GNUTLS_ALPN_SERVER_PRECEDENCE));
  if (gnutls_alpn_set_protocols(session_, &protocol, 1, alpn_flags) != 0) {
    return fail(Errc::crypto, "cannot set ALPN");
  }
  conn_ref_.get_conn = get_conn;
  conn_ref_.user_data = this;
  gnutls_session_set_ptr(session_, &conn_ref_);
  ngtcp2_conn_set_tls_native_handle(conn_, session_);
  return {};
}

Result<void> Connection::migrate(core::Instant now, LocalId local,
                                 const std::optional<core::SocketAddress>& remote) {
  if (role_ != Role::client) {
    return fail(Errc::invalid_argument,
                "only the client side of a QUIC connection can migrate (this node accepted it)");
  }
  if (state_ != State::established || close_requested_) {
    return fail(Errc::closed, state_ == State::handshaking ? "connection not established yet"
                                                           : "connection is closing");
  }
  if (!handshake_confirmed_) return fail(Errc::closed, "handshake not confirmed yet");
  if (migrating_) return fail(Errc::busy, "a migration of this connection is in progress");
  const ngtcp2_transport_params* params = ngtcp2_conn_get_remote_transport_params(conn_);
  if (params != nullptr && params->disable_active_migration != 0) {
    return fail(Errc::unreachable,
                "the peer disabled active migration (transport parameter "
                "disable_active_migration)");
  }
  const ngtcp2_path* current = ngtcp2_conn_get_path(conn_);
  const core::SocketAddress& address = endpoint_.local_address(local);
  ngtcp2_path path = *current;
  path.local.addr = const_cast<sockaddr*>(address.data());
  path.local.addrlen = static_cast<ngtcp2_socklen>(address.size());
  if (remote) {
    path.remote.addr = const_cast<sockaddr*>(remote->data());
    path.remote.addrlen = static_cast<ngtcp2_socklen>(remote->size());
  }
  now_ = now;
  const int rv = ngtcp2_conn_initiate_migration(conn_, &path, timestamp(now));
  switch (rv) {
    case 0: break;
    case NGTCP2_ERR_CONN_ID_BLOCKED:
      return fail(Errc::limit_reached, "no spare connection ID from the peer yet");
    case NGTCP2_ERR_INVALID_ARGUMENT:
      return fail(Errc::invalid_argument, "the connection already uses that local address");
    case NGTCP2_ERR_INVALID_STATE:
      return fail(Errc::closed, "ngtcp2 refused the migration (handshake or state)");
    default:
      return fail(Errc::internal,
                  std::string("ngtcp2_conn_initiate_migration: ") + ngtcp2_strerror(rv));
  }
  migrating_ = true;
  ++endpoint_.stats_.migrations_started;
  endpoint_.mark_dirty(this);
  return {};
}

int Connection::on_path_validation(ngtcp2_conn* /*conn*/, std::uint32_t /*flags*/,
                                   const ngtcp2_path* path, ngtcp2_path_validation_result result,
                                   void* user_data) {
  self(user_data)->path_validated(*path, result == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS);
  return 0;
}

void Connection::path_validated(const ngtcp2_path& path, bool ok) {
  if (role_ == Role::client) {
    if (!migrating_) return;
    migrating_ = false;
    ++(ok ? endpoint_.stats_.migrations_succeeded : endpoint_.stats_.migrations_failed);
    endpoint_.handler_.on_migrated(id_, ok);
    return;
  }
  if (!ok) return;  // ngtcp2 keeps (or went back to) the last validated path
  auto remote = core::SocketAddress::from_sockaddr(path.remote.addr, path.remote.addrlen);
  if (remote && *remote != remote_) {
    remote_ = *remote;
    ++endpoint_.stats_.peer_address_changes;
    endpoint_.handler_.on_peer_address_changed(id_, remote_);
  }
  if (auto local = endpoint_.local_of(path.local))
    endpoint_.handler_.on_path_validated(id_, *local);
}

ngtcp2_conn* Connection::get_conn(ngtcp2_crypto_conn_ref* ref) {
  return self(ref->user_data)->conn_;
}

void Connection::on_rand(std::uint8_t* dest, std::size_t destlen, const ngtcp2_rand_ctx* rand_ctx) {
  static_cast<core::Rng*>(rand_ctx->native_handle)->fill({dest, destlen});
}

int Connection::on_get_new_connection_id(ngtcp2_conn* /*conn*/, ngtcp2_cid* cid,
                                         std::uint8_t* token, std::size_t cidlen, void* user_data) {
  Connection* connection = self(user_data);
  Endpoint& endpoint = connection->endpoint_;
  cid->datalen = cidlen;
  endpoint.rng_.fill({cid->data, cidlen});
  const auto& secret = endpoint.config_.static_secret;
  if (ngtcp2_crypto_generate_stateless_reset_token(token, secret.data(), secret.size(), cid) != 0) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  const CidKey key = CidKey::from(*cid);
  endpoint.register_cid(key, connection);
  connection->cids_.push_back(key);
  return 0;
}

int Connection::on_remove_connection_id(ngtcp2_conn* /*conn*/, const ngtcp2_cid* cid,
                                        void* user_data) {
  Connection* connection = self(user_data);
  const CidKey key = CidKey::from(*cid);
  connection->endpoint_.unregister_cid(key);
  std::erase(connection->cids_, key);
  return 0;
}

int Connection::on_dcid_status(ngtcp2_conn* /*conn*/, int type, std::uint64_t /*seq*/,
                               const ngtcp2_cid* /*cid*/, const std::uint8_t* token,
                               void* user_data) {
  if (token == nullptr) return 0;
  Connection* connection = self(user_data);
  TokenKey key;
  std::copy_n(token, key.bytes.size(), key.bytes.begin());
  if (type == NGTCP2_CONNECTION_ID_STATUS_TYPE_ACTIVATE) {
    connection->endpoint_.register_token(key, connection);
    connection->tokens_.push_back(key);
  } else {
    connection->endpoint_.unregister_token(key);
    std::erase(connection->tokens_, key);
  }
  return 0;
}

int Connection::on_handshake_completed(ngtcp2_conn* /*conn*/, void* user_data) {
  return self(user_data)->handshake_completed();
}

int Connection::on_handshake_confirmed(ngtcp2_conn* /*conn*/, void* user_data) {
  self(user_data)->handshake_confirmed_ = true;
  return 0;
}

int Connection::on_recv_crypto_data(ngtcp2_conn* conn, ngtcp2_crypto_level level,
                                    std::uint64_t offset, const std::uint8_t* data,
                                    std::size_t datalen, void* user_data) {
  // Handshake bytes after the session was released: a peer of ours never sends them.
  if (self(user_data)->session_ == nullptr) return NGTCP2_ERR_PROTO;
  return ngtcp2_crypto_recv_crypto_data_cb(conn, level, offset, data, datalen, user_data);
}

Result<void> Connection::send_post_handshake_bytes() {
  if (!handshake_confirmed_) return fail(Errc::closed, "handshake not confirmed yet");
  // A TLS NewSessionTicket header with an empty body. ngtcp2 keeps a pointer to the bytes
  // until they are acknowledged, so they are static.
  static constexpr std::array<std::uint8_t, 4> kBytes{4, 0, 0, 0};
  if (ngtcp2_conn_submit_crypto_data(conn_, NGTCP2_CRYPTO_LEVEL_APPLICATION, kBytes.data(),
                                     kBytes.size()) != 0) {
    return fail(Errc::crypto, "ngtcp2 refused the handshake bytes");
  }
  endpoint_.mark_dirty(this);
  return {};
}

void Connection::release_tls_session() {
  ngtcp2_conn_set_tls_native_handle(conn_, nullptr);
  gnutls_deinit(session_);
  session_ = nullptr;
  ++endpoint_.stats_.tls_sessions_released;
}

int Connection::handshake_completed() {
  if (role_ == Role::server) {
    // ngtcp2 calls handshake_confirmed on clients only: for a server, completed is confirmed.
    handshake_confirmed_ = true;
    return state_ == State::established ? 0 : establish();
  }
  gnutls_datum_t selected{};
  const std::string& alpn = endpoint_.config_.alpn;
  if (gnutls_alpn_get_selected_protocol(session_, &selected) != 0 ||
      std::string_view(reinterpret_cast<const char*>(selected.data), selected.size) != alpn) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  return establish();
}

int Connection::on_tls_secret(gnutls_session_t session, gnutls_record_encryption_level_t level,
                              const void* rx_secret, const void* tx_secret, std::size_t size) {
  // What ngtcp2's GnuTLS helper installs, plus one fact for a server: its 1-RTT write keys.
  auto* ref = static_cast<ngtcp2_crypto_conn_ref*>(gnutls_session_get_ptr(session));
  Connection* connection = self(ref->user_data);
  const ngtcp2_crypto_level ours = ngtcp2_crypto_gnutls_from_gnutls_record_encryption_level(level);
  const auto* rx = static_cast<const std::uint8_t*>(rx_secret);
  const auto* tx = static_cast<const std::uint8_t*>(tx_secret);
  if (rx != nullptr && ngtcp2_crypto_derive_and_install_rx_key(connection->conn_, nullptr, nullptr,
                                                               nullptr, ours, rx, size) != 0) {
    return -1;
  }
  if (tx != nullptr && ngtcp2_crypto_derive_and_install_tx_key(connection->conn_, nullptr, nullptr,
                                                               nullptr, ours, tx, size) != 0) {
    return -1;
  }
  if (tx != nullptr && ours == NGTCP2_CRYPTO_LEVEL_APPLICATION) connection->half_rtt_ready_ = true;
  return 0;
}

int Connection::establish() {
  ConnectionInfo info;
  info.role = role_;
  info.remote = remote_;
  if (role_ == Role::server) {
    info.server_cert_sha256 = endpoint_.certificate_.cert_sha256();
  } else {
    unsigned count = 0;
    const gnutls_datum_t* peers = gnutls_certificate_get_peers(session_, &count);
    if (peers == nullptr || count == 0) return NGTCP2_ERR_CALLBACK_FAILURE;
    info.server_cert_sha256 = sha256_of(core::ByteView(peers[0].data, peers[0].size));
  }
  for (std::size_t kind = 0; kind < 2; ++kind) {
    if (ngtcp2_conn_open_uni_stream(conn_, &stream_ids_[kind], nullptr) != 0) {
      return NGTCP2_ERR_CALLBACK_FAILURE;
    }
  }
  state_ = State::established;
  endpoint_.handler_.on_connected(id_, info);
  return 0;
}

int Connection::on_stream_open(ngtcp2_conn* /*conn*/, std::int64_t stream_id, void* user_data) {
  // Peers open exactly two unidirectional streams (control, data) and bidirectional tagged
  // streams (at most max_app_streams_inbound open, enforced by ngtcp2); nothing else.
  Connection* connection = self(user_data);
  if (connection->state_ != State::established) return NGTCP2_ERR_CALLBACK_FAILURE;
  const bool unidirectional = (stream_id & 0x2) != 0;
  if (!unidirectional) {
    connection->app_streams_.try_emplace(stream_id);
    return 0;
  }
  return (stream_id >> 2) < 2 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int Connection::on_recv_stream_data(ngtcp2_conn* /*conn*/, std::uint32_t flags,
                                    std::int64_t stream_id, std::uint64_t /*offset*/,
                                    const std::uint8_t* data, std::size_t datalen, void* user_data,
                                    void* /*stream_user_data*/) {
  return self(user_data)->stream_data(stream_id, core::ByteView(data, datalen),
                                      (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0);
}

int Connection::stream_data(std::int64_t stream_id, core::ByteView data, bool fin) {
  const bool unidirectional = (stream_id & 0x2) != 0;
  if (!unidirectional) return app_stream_data(stream_id, data, fin);
  const std::int64_t index = stream_id >> 2;
  if (!unidirectional || index > 1 || state_ != State::established) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  if (!data.empty()) {
    endpoint_.handler_.on_stream_data(id_, static_cast<StreamKind>(index), data);
  }
  // The handler consumed the bytes synchronously: return the receive credit at once.
  ngtcp2_conn_extend_max_stream_offset(conn_, stream_id, data.size());
  ngtcp2_conn_extend_max_offset(conn_, data.size());
  return 0;
}

int Connection::on_acked_stream_data_offset(ngtcp2_conn* /*conn*/, std::int64_t stream_id,
                                            std::uint64_t offset, std::uint64_t datalen,
                                            void* user_data, void* /*stream_user_data*/) {
  Connection* connection = self(user_data);
  if (auto app = connection->app_streams_.find(stream_id); app != connection->app_streams_.end()) {
    AppStream& stream = app->second;
    stream.queue.acknowledge(offset, datalen);
    const auto limit = connection->endpoint_.config_.app_stream_send_buffer;
    if (stream.writable_wanted && stream.queue.buffered() < limit / 2) {
      stream.writable_wanted = false;
      connection->endpoint_.handler_.on_app_stream_writable(connection->id_, stream_id);
    }
    return 0;
  }
  for (std::size_t kind = 0; kind < 2; ++kind) {
    if (connection->stream_ids_[kind] != stream_id) continue;
    SendQueue& queue = connection->queues_[kind];
    queue.acknowledge(offset, datalen);
    // Progress: a graceful close keeps waiting for the rest (see close_wait()).
    if (connection->close_requested_) {
      connection->close_wait_deadline_ = connection->now_ + connection->close_wait();
    }
    const auto limit = connection->endpoint_.config_.stream_send_buffer;
    if (connection->writable_wanted_[kind] && queue.buffered() < limit / 2) {
      connection->writable_wanted_[kind] = false;
      connection->endpoint_.handler_.on_writable(connection->id_, static_cast<StreamKind>(kind));
    }
  }
  return 0;
}

int Connection::on_extend_max_stream_data(ngtcp2_conn* /*conn*/, std::int64_t stream_id,
                                          std::uint64_t /*max_data*/, void* user_data,
                                          void* /*stream_user_data*/) {
  Connection* connection = self(user_data);
  for (std::size_t kind = 0; kind < 2; ++kind) {
    if (connection->stream_ids_[kind] == stream_id) connection->stream_blocked_[kind] = false;
  }
  if (auto app = connection->app_streams_.find(stream_id); app != connection->app_streams_.end()) {
    app->second.blocked = false;
  }
  return 0;
}

int Connection::on_recv_stateless_reset(ngtcp2_conn* /*conn*/,
                                        const ngtcp2_pkt_stateless_reset* /*sr*/, void* user_data) {
  self(user_data)->reset_received_ = true;
  return 0;
}

}  // namespace barrel_p2p::transport
