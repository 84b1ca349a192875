#include "transport/endpoint.hpp"

#include <ngtcp2/ngtcp2_crypto.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/assert.hpp"
#include "transport/connection.hpp"
#include "transport/packet_batcher.hpp"

namespace barrel_p2p::transport {

namespace {
constexpr std::size_t kCidLength = 16;
// A stateless reset must be smaller than its trigger and at least 43 bytes long is the
// trigger size we answer (RFC 9000 §10.3: shorter triggers could be resets themselves).
constexpr std::size_t kMinResetTrigger = 43;
// Bound on resets waiting for the next flush; further ones are not sent.
constexpr std::size_t kMaxPendingResets = 64;
}  // namespace

std::string_view close_reason_name(CloseReason reason) {
  switch (reason) {
    case CloseReason::local: return "local";
    case CloseReason::peer_closed: return "peer_closed";
    case CloseReason::idle_timeout: return "idle_timeout";
    case CloseReason::handshake_failed: return "handshake_failed";
    case CloseReason::stateless_reset: return "stateless_reset";
    case CloseReason::protocol_error: return "protocol_error";
  }
  return "unknown";
}

Endpoint::Endpoint(TransportConfig config, const TlsCertificate& certificate, core::Rng& rng,
                   EndpointHandler& handler, const core::SocketAddress& local)
    : config_(std::move(config)),
      certificate_(certificate),
      rng_(rng),
      handler_(handler),
      locals_{Local{local, true, 0}},
      batch_buffer_(std::make_unique_for_overwrite<std::uint8_t[]>(PacketBatcher::kMaxBytes)) {}

Endpoint::~Endpoint() {
  // Connections unregister themselves from the maps as they are destroyed.
  connections_.clear();
}

std::size_t Endpoint::handshake_count() const {
  return static_cast<std::size_t>(
      std::count_if(connections_.begin(), connections_.end(),
                    [](const auto& entry) { return entry.second->in_tls_handshake(); }));
}

Result<ConnectionId> Endpoint::connect(core::Instant now, const core::SocketAddress& remote,
                                       LocalId local) {
  if (local >= locals_.size() || !locals_[local].held) {
    return fail(Errc::not_found, "no such local address");
  }
  if (connections_.size() >= config_.max_connections) {
    return fail(Errc::limit_reached, "connection limit reached (max_connections = " +
                                         std::to_string(config_.max_connections) + ")");
  }
  if (handshake_count() >= config_.max_handshakes) {
    return fail(Errc::limit_reached, "too many handshakes in progress (max_handshakes = " +
                                         std::to_string(config_.max_handshakes) + ")");
  }
  const ConnectionId id{next_id_++};
  auto connection = Connection::create_client(*this, id, remote, local, now);
  if (!connection) return Unexpected(connection.error());
  Connection* raw = connection->get();
  connections_.emplace(id.value, std::move(connection).value());
  ++stats_.connections_initiated;
  mark_dirty(raw);
  return id;
}

void Endpoint::handle_datagram(core::Instant now, const core::SocketAddress& remote,
                               core::ByteView data, std::uint8_t ecn, LocalId local) {
  ++stats_.datagrams_received;
  ngtcp2_version_cid vc{};
  const int rv = ngtcp2_pkt_decode_version_cid(&vc, data.data(), data.size(), kCidLength);
  if (rv != 0) {
    ++stats_.datagrams_dropped_garbage;  // includes unsupported versions: we speak v1 only
    return;
  }
  const CidKey dcid = CidKey::from(vc.dcid, vc.dcidlen);
  if (auto it = by_cid_.find(dcid); it != by_cid_.end()) {
    if (local < locals_.size() && locals_[local].held) {
      it->second->read(now, local, remote, data, ecn);
    }
    return;
  }
  if (local != 0) {
    // Only the listening address accepts connections and answers for lost ones; the others
    // carry migrated paths of our own client connections.
    ++stats_.datagrams_unknown_connection;
    return;
  }
  const bool long_header = (data[0] & 0x80U) != 0;
  if (long_header) {
    accept(now, remote, data, ecn);
  } else {
    handle_unknown_short(now, remote, data, ecn, dcid);
  }
}

void Endpoint::accept(core::Instant now, const core::SocketAddress& remote, core::ByteView data,
                      std::uint8_t /*ecn*/) {
  ngtcp2_pkt_hd header{};
  if (ngtcp2_accept(&header, data.data(), data.size()) != 0) {
    ++stats_.datagrams_dropped_garbage;
    return;
  }
  if (connections_.size() >= config_.max_connections ||
      handshake_count() >= config_.max_handshakes) {
    // Over a cap: drop the Initial. The client's handshake times out or retries later.
    ++stats_.connections_refused_limit;
    return;
  }
  const ConnectionId id{next_id_++};
  auto connection = Connection::create_server(*this, id, remote, header, now);
  if (!connection) {
    ++stats_.datagrams_dropped_garbage;
    return;
  }
  Connection* raw = connection->get();
  connections_.emplace(id.value, std::move(connection).value());
  ++stats_.connections_accepted;
  raw->read(now, 0, remote, data, 0);
}

void Endpoint::handle_unknown_short(core::Instant now, const core::SocketAddress& remote,
                                    core::ByteView data, std::uint8_t ecn, const CidKey& dcid) {
  // A stateless reset carries a random DCID: match its trailing token against the tokens
  // our peers handed us (notes §6) before treating the packet as for a lost connection.
  if (data.size() >= NGTCP2_STATELESS_RESET_TOKENLEN + 5) {
    TokenKey token;
    std::copy_n(data.end() - NGTCP2_STATELESS_RESET_TOKENLEN, token.bytes.size(),
                token.bytes.begin());
    if (auto it = by_token_.find(token); it != by_token_.end()) {
      it->second->read(now, 0, remote, data, ecn);
      return;
    }
  }
  ++stats_.datagrams_unknown_connection;
  if (data.size() < kMinResetTrigger || pending_resets_.size() >= kMaxPendingResets) return;
  const std::int64_t second = now.nanos() / 1'000'000'000;
  if (second != reset_window_start_) {
    reset_window_start_ = second;
    resets_in_window_ = 0;
  }
  if (resets_in_window_ >= config_.stateless_resets_per_second) return;
  ++resets_in_window_;
  ngtcp2_cid cid{};
  ngtcp2_cid_init(&cid, dcid.bytes.data(), dcid.length);
  std::uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];
  if (ngtcp2_crypto_generate_stateless_reset_token(token, config_.static_secret.data(),
                                                   config_.static_secret.size(), &cid) != 0) {
    return;
  }
  const std::size_t size = std::min<std::size_t>(data.size() - 1, kMinResetTrigger);
  std::uint8_t random[kMinResetTrigger];
  const std::size_t random_size = size - 1 - NGTCP2_STATELESS_RESET_TOKENLEN;
  rng_.fill({random, random_size});
  core::Bytes packet(size);
  const ngtcp2_ssize n =
      ngtcp2_pkt_write_stateless_reset(packet.data(), packet.size(), token, random, random_size);
  if (n <= 0) return;
  packet.resize(static_cast<std::size_t>(n));
  pending_resets_.emplace_back(remote, std::move(packet));
}

LocalId Endpoint::add_local(const core::SocketAddress& local, std::size_t max_udp_payload) {
  for (LocalId index = 1; index < locals_.size(); ++index) {
    if (!locals_[index].held) {
      locals_[index] = Local{local, true, max_udp_payload};
      return index;
    }
  }
  locals_.push_back(Local{local, true, max_udp_payload});
  return static_cast<LocalId>(locals_.size() - 1);
}

void Endpoint::remove_local(LocalId local) {
  if (local == 0 || local >= locals_.size()) return;
  locals_[local] = Local{};
  // Back to one address: the write path takes its fast path again (see local_of).
  while (locals_.size() > 1 && !locals_.back().held) locals_.pop_back();
}

std::optional<LocalId> Endpoint::local_of(const ngtcp2_addr& address) const {
  // The fast path: one socket, every packet leaves from it.
  if (locals_.size() == 1) return LocalId{0};
  for (LocalId index = 0; index < locals_.size(); ++index) {
    const Local& local = locals_[index];
    if (local.held && local.address.size() == static_cast<std::size_t>(address.addrlen) &&
        std::memcmp(local.address.data(), address.addr, local.address.size()) == 0) {
      return index;
    }
  }
  return std::nullopt;
}

Result<void> Endpoint::migrate(core::Instant now, ConnectionId id, LocalId local,
                               const std::optional<core::SocketAddress>& remote) {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  if (local >= locals_.size() || !locals_[local].held) {
    return fail(Errc::not_found, "no such local address");
  }
  return connection->migrate(now, local, remote);
}

Result<Role> Endpoint::role(ConnectionId id) const {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  return connection->role();
}

Result<core::SocketAddress> Endpoint::remote_address(ConnectionId id) const {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  const ngtcp2_addr& remote = ngtcp2_conn_get_path(connection->native())->remote;
  return core::SocketAddress::from_sockaddr(remote.addr, remote.addrlen);
}

Result<LocalId> Endpoint::path_local(ConnectionId id) const {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  auto local = local_of(ngtcp2_conn_get_path(connection->native())->local);
  if (!local) return fail(Errc::not_found, "the connection's local address is not held");
  return *local;
}

Connection* Endpoint::find(ConnectionId id) const {
  auto it = connections_.find(id.value);
  return it == connections_.end() ? nullptr : it->second.get();
}

Result<void> Endpoint::send(ConnectionId id, StreamKind kind, core::Bytes&& data) {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  return connection->send(kind, std::move(data));
}

Result<void> Endpoint::send_frame(ConnectionId id, StreamKind kind, core::ByteView header,
                                  core::ByteView payload) {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  return connection->send_frame(kind, header, payload);
}

Result<void> Endpoint::send_copy(ConnectionId id, StreamKind kind, core::ByteView data) {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  return connection->send_copy(kind, data);
}

Result<void> Endpoint::send_post_handshake_bytes(ConnectionId id) {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  return connection->send_post_handshake_bytes();
}

void Endpoint::close(core::Instant now, ConnectionId id, std::uint64_t app_code,
                     std::string_view reason, bool keep_app_streams) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  connection->request_close(now, app_code, reason, keep_app_streams);
}

void Endpoint::close_all(core::Instant now, DatagramSink& sink) {
  PacketBatcher batcher(sink, {batch_buffer_.get(), PacketBatcher::kMaxBytes});
  for (auto& [value, connection] : connections_) {
    connection->close_now(now, batcher, 0, "endpoint shutting down");
  }
  batcher.flush();
}

void Endpoint::mark_dirty(Connection* connection) {
  if (connection->dirty) return;
  connection->dirty = true;
  dirty_.push_back(connection);
}

void Endpoint::reschedule(Connection* connection) {
  const core::Instant deadline = connection->expiry();
  const std::int64_t nanos = deadline.nanos();
  if (nanos == connection->scheduled_deadline) return;
  if (connection->scheduled_deadline >= 0) {
    timers_.erase({connection->scheduled_deadline, connection->id().value});
  }
  connection->scheduled_deadline = deadline.is_never() ? -1 : nanos;
  if (!deadline.is_never()) timers_.insert({nanos, connection->id().value});
}

void Endpoint::flush(core::Instant now, DatagramSink& sink) {
  PacketBatcher batcher(sink, {batch_buffer_.get(), PacketBatcher::kMaxBytes});
  for (auto& [remote, packet] : pending_resets_) {
    std::uint8_t* dest = batcher.reserve(packet.size());
    std::copy(packet.begin(), packet.end(), dest);
    batcher.commit(packet.size(), remote, 0);
    ++stats_.stateless_resets_sent;
  }
  pending_resets_.clear();
  // Writing can mark more connections dirty (handler callbacks): loop until quiet.
  while (!dirty_.empty()) {
    std::vector<Connection*> batch;
    batch.swap(dirty_);
    for (Connection* connection : batch) {
      connection->dirty = false;
      connection->write(now, batcher);
      reschedule(connection);
    }
  }
  batcher.flush();
  stats_.packets_sent += batcher.packets();
  if (batcher.blocked()) ++stats_.send_blocked;
  reap_dead();
}

core::Instant Endpoint::next_deadline() const {
  if (!dirty_.empty() || !pending_resets_.empty()) return core::Instant::from_nanos(0);
  if (timers_.empty()) return core::Instant::never();
  return core::Instant::from_nanos(timers_.begin()->first);
}

void Endpoint::on_timeout(core::Instant now) {
  while (!timers_.empty() && timers_.begin()->first <= now.nanos()) {
    const auto [deadline, value] = *timers_.begin();
    timers_.erase(timers_.begin());
    Connection* connection = find(ConnectionId{value});
    if (connection == nullptr) continue;
    connection->scheduled_deadline = -1;
    connection->handle_expiry(now);
    mark_dirty(connection);
  }
}

void Endpoint::reap_dead() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection& connection = *it->second;
    if (connection.state() != Connection::State::dead) {
      ++it;
      continue;
    }
    if (connection.scheduled_deadline >= 0) {
      timers_.erase({connection.scheduled_deadline, connection.id().value});
    }
    BARREL_ASSERT(!connection.dirty);
    it = connections_.erase(it);
  }
}

Result<PathStats> Endpoint::path_stats(ConnectionId id) const {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  ngtcp2_conn_stat stat;
  ngtcp2_conn_get_conn_stat(connection->native(), &stat);
  PathStats out;
  out.smoothed_rtt = core::Duration(static_cast<std::int64_t>(stat.smoothed_rtt));
  out.latest_rtt = core::Duration(static_cast<std::int64_t>(stat.latest_rtt));
  out.min_rtt = core::Duration(static_cast<std::int64_t>(stat.min_rtt));
  out.rtt_variance = core::Duration(static_cast<std::int64_t>(stat.rttvar));
  out.congestion_window = stat.cwnd;
  out.bytes_in_flight = stat.bytes_in_flight;
  out.delivery_rate = stat.delivery_rate_sec;
  const ngtcp2_path* path = ngtcp2_conn_get_path(connection->native());
  if (auto local = core::SocketAddress::from_sockaddr(path->local.addr, path->local.addrlen)) {
    out.local = *local;
  }
  if (auto remote = core::SocketAddress::from_sockaddr(path->remote.addr, path->remote.addrlen)) {
    out.remote = *remote;
  }
  out.role = connection->role();
  return out;
}

std::uint64_t Endpoint::buffered(ConnectionId id, StreamKind kind) const {
  Connection* connection = find(id);
  return connection == nullptr ? 0 : connection->buffered(kind);
}

void Endpoint::register_cid(const CidKey& cid, Connection* connection) {
  by_cid_[cid] = connection;
}

void Endpoint::unregister_cid(const CidKey& cid) { by_cid_.erase(cid); }

void Endpoint::register_token(const TokenKey& token, Connection* connection) {
  by_token_[token] = connection;
}

void Endpoint::unregister_token(const TokenKey& token) { by_token_.erase(token); }

}  // namespace barrel_p2p::transport
