// Connection: packet input, timers, the write loop and closing.
#include <algorithm>
#include <cstring>

#include "core/assert.hpp"
#include "transport/connection.hpp"
#include "transport/endpoint.hpp"
#include "transport/stream_in_flight.hpp"

namespace barrel_p2p::transport {

namespace {

ngtcp2_tstamp timestamp(core::Instant now) { return static_cast<ngtcp2_tstamp>(now.nanos()); }

// Closing and draining periods last three probe timeouts (RFC 9000 §10.2).
core::Duration linger(ngtcp2_conn* conn) {
  return core::Duration(static_cast<std::int64_t>(3 * ngtcp2_conn_get_pto(conn)));
}

}  // namespace

// How long a graceful close waits for the peer to acknowledge queued bytes without progress:
// as long as the idle timeout (a live peer acknowledges within it, whatever its load), and
// at least the closing period. Every acknowledgement restarts it (on_acked_stream_data_offset),
// so a close never cuts off bytes that a live peer is still taking in.
core::Duration Connection::close_wait() const {
  return std::max(linger(conn_), endpoint_.config_.idle_timeout);
}

namespace {

// A peer sending packets during our closing period gets the close again, a few times.
constexpr std::uint32_t kMaxCloseResends = 8;
constexpr std::size_t kMaxVecs = 16;

}  // namespace

void Connection::read(core::Instant now, LocalId local, const core::SocketAddress& remote,
                      core::ByteView data, std::uint8_t ecn) {
  now_ = now;
  if (state_ == State::closing) {
    resend_close_ = true;
    endpoint_.mark_dirty(this);
    return;
  }
  if (state_ == State::draining || state_ == State::dead) return;
  ngtcp2_path path{};
  const core::SocketAddress& local_address = endpoint_.local_address(local);
  path.local.addr = const_cast<sockaddr*>(local_address.data());
  path.local.addrlen = static_cast<ngtcp2_socklen>(local_address.size());
  path.remote.addr = const_cast<sockaddr*>(remote.data());
  path.remote.addrlen = static_cast<ngtcp2_socklen>(remote.size());
  ngtcp2_pkt_info info{};
  info.ecn = ecn;
  int rv = ngtcp2_conn_read_pkt(conn_, &path, &info, data.data(), data.size(), timestamp(now));
  // A server reports the link up as soon as its 1-RTT keys exist: the link's first bytes then
  // leave with our handshake flight (0.5-RTT data, decision 0027). The client's bytes still
  // arrive only after its Finished, which ngtcp2 checks before it reads any 1-RTT packet.
  if (rv == 0 && half_rtt_ready_ && state_ == State::handshaking) rv = establish();
  if (rv == NGTCP2_ERR_CONNECTION_ID_LIMIT) {
    // After a migration ngtcp2 0.12 can count one of the peer's connection IDs too many and
    // refuse its next NEW_CONNECTION_ID, which closed live connections. The packet is dropped
    // instead (not acknowledged: the peer sends its other frames again) and that one
    // connection ID goes unused (decision 0031).
    ++endpoint_.stats_.connection_id_limit_drops;
    endpoint_.mark_dirty(this);
    return;
  }
  if (rv == 0 && handshake_confirmed_ && session_ != nullptr) release_tls_session();
  if (rv != 0) on_error(now, rv);
  endpoint_.mark_dirty(this);
}

void Connection::handle_expiry(core::Instant now) {
  now_ = now;
  if (state_ == State::closing || state_ == State::draining) {
    if (now >= linger_deadline_) state_ = State::dead;
    return;
  }
  if (state_ == State::dead) return;
  const int rv = ngtcp2_conn_handle_expiry(conn_, timestamp(now));
  if (rv != 0) on_error(now, rv);
  endpoint_.mark_dirty(this);
}

bool Connection::in_tls_handshake() const {
  return state_ == State::handshaking ||
         (state_ == State::established && ngtcp2_conn_get_handshake_completed(conn_) == 0);
}

void Connection::on_error(core::Instant now, int liberr) {
  // Not state_: a server is established before its handshake ends (decision 0027).
  const bool handshaking = in_tls_handshake();
  switch (liberr) {
    case NGTCP2_ERR_DRAINING:
      state_ = State::draining;
      linger_deadline_ = now + linger(conn_);
      if (reset_received_) ++endpoint_.stats_.stateless_resets_received;
      report_closed(reset_received_ ? CloseReason::stateless_reset : CloseReason::peer_closed,
                    reset_received_ ? "stateless reset" : "peer closed the connection");
      return;
    case NGTCP2_ERR_DROP_CONN:
      state_ = State::dead;
      report_closed(CloseReason::protocol_error, "connection dropped");
      return;
    case NGTCP2_ERR_IDLE_CLOSE:
      state_ = State::dead;
      report_closed(handshaking ? CloseReason::handshake_failed : CloseReason::idle_timeout,
                    "idle timeout");
      return;
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
      state_ = State::dead;
      report_closed(CloseReason::handshake_failed, "handshake timeout");
      return;
    default: break;
  }
  std::string detail = ngtcp2_strerror(liberr);
  if (liberr == NGTCP2_ERR_CRYPTO) {
    const std::uint8_t alert = ngtcp2_conn_get_tls_alert(conn_);
    ngtcp2_connection_close_error_set_transport_error_tls_alert(&close_error_, alert, nullptr, 0);
    detail = "TLS alert " + std::to_string(alert);
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&close_error_, liberr, nullptr, 0);
  }
  state_ = State::closing;
  close_pending_write_ = true;
  linger_deadline_ = now + linger(conn_);
  report_closed(handshaking ? CloseReason::handshake_failed : CloseReason::protocol_error, detail);
}

void Connection::report_closed(CloseReason reason, const std::string& detail) {
  if (closed_reported_) return;
  closed_reported_ = true;
  endpoint_.handler_.on_closed(id_, reason, detail);
}

Result<void> Connection::admit(StreamKind kind, std::size_t size) {
  if (state_ != State::established || close_requested_) {
    return fail(Errc::closed, state_ == State::handshaking ? "connection not established yet"
                                                           : "connection is closing");
  }
  const SendQueue& queue = queues_[static_cast<std::size_t>(kind)];
  const std::size_t limit = endpoint_.config_.stream_send_buffer;
  // An empty queue takes any size, so one frame larger than the limit still goes out.
  if (queue.buffered() > 0 && queue.buffered() + size > limit) {
    writable_wanted_[static_cast<std::size_t>(kind)] = true;
    return fail(Errc::limit_reached, "stream send buffer full (" + std::to_string(limit) +
                                         " bytes); wait for on_writable");
  }
  return {};
}

Result<void> Connection::send(StreamKind kind, core::Bytes&& data) {
  if (auto room = admit(kind, data.size()); !room) return room;
  queues_[static_cast<std::size_t>(kind)].append(std::move(data));
  endpoint_.mark_dirty(this);
  return {};
}

Result<void> Connection::send_copy(StreamKind kind, core::ByteView data) {
  return send_frame(kind, {}, data);
}

Result<void> Connection::send_frame(StreamKind kind, core::ByteView header,
                                    core::ByteView payload) {
  if (auto room = admit(kind, header.size() + payload.size()); !room) return room;
  SendQueue& queue = queues_[static_cast<std::size_t>(kind)];
  queue.append_copy(header);
  queue.append_copy(payload);
  endpoint_.mark_dirty(this);
  return {};
}

void Connection::request_close(core::Instant now, std::uint64_t app_code, std::string_view reason,
                               bool keep_app_streams) {
  if (close_requested_ || state_ == State::closing || state_ == State::draining ||
      state_ == State::dead) {
    return;
  }
  close_requested_ = true;
  keep_app_streams_ = keep_app_streams;
  close_code_ = app_code;
  close_reason_ = std::string(reason.substr(0, 256));
  close_wait_deadline_ = now + close_wait();
  endpoint_.mark_dirty(this);
}

void Connection::close_now(core::Instant now, PacketBatcher& out, std::uint64_t app_code,
                           std::string_view reason) {
  if (state_ == State::closing || state_ == State::draining || state_ == State::dead) return;
  close_requested_ = true;
  close_code_ = app_code;
  close_reason_ = std::string(reason.substr(0, 256));
  close_wait_deadline_ = now;
  write(now, out);
}

std::uint64_t Connection::buffered(StreamKind kind) const {
  return queues_[static_cast<std::size_t>(kind)].buffered();
}

core::Instant Connection::expiry() const {
  if (state_ == State::closing || state_ == State::draining) return linger_deadline_;
  if (state_ == State::dead) return core::Instant::from_nanos(0);
  const ngtcp2_tstamp expiry = ngtcp2_conn_get_expiry(conn_);
  core::Instant deadline = expiry >= static_cast<ngtcp2_tstamp>(INT64_MAX)
                               ? core::Instant::never()
                               : core::Instant::from_nanos(static_cast<std::int64_t>(expiry));
  if (close_requested_ && !lingering_) deadline = std::min(deadline, close_wait_deadline_);
  return deadline;
}

Connection::Pick Connection::pick_next(bool apps) {
  for (std::size_t kind = 0; kind < 2; ++kind) {  // control first, always; then data
    if (stream_ids_[kind] >= 0 && queues_[kind].unsent() > 0 && !stream_blocked_[kind]) {
      return {stream_ids_[kind], &queues_[kind], &stream_blocked_[kind], false};
    }
  }
  if (!apps) return {};
  // Then the application streams, in turn: the one after the stream served last first.
  const auto writable = [](const AppStream& app) {
    return !app.blocked && !app.reset &&
           (app.queue.unsent() > 0 || (app.fin_queued && !app.fin_sent));
  };
  const auto start = app_streams_.upper_bound(app_cursor_);
  for (auto it = start; it != app_streams_.end(); ++it) {
    if (writable(it->second)) {
      return {it->first, &it->second.queue, &it->second.blocked, it->second.fin_queued};
    }
  }
  for (auto it = app_streams_.begin(); it != start; ++it) {
    if (writable(it->second)) {
      return {it->first, &it->second.queue, &it->second.blocked, it->second.fin_queued};
    }
  }
  return {};
}

void Connection::wrote(const Pick& pick, bool with_fin, std::size_t total, ngtcp2_ssize accepted) {
  if (pick.stream_id < 0) return;
  if (accepted > 0) pick.queue->mark_sent(static_cast<std::size_t>(accepted));
  if ((pick.stream_id & 0x2) != 0) {  // a link stream
    if (accepted > 0) link_written_at_ = now_;
    return;
  }
  app_cursor_ = pick.stream_id;
  // pdatalen >= 0 means a STREAM frame went out; with FIN, only when it took every byte.
  if (with_fin && accepted >= 0 && static_cast<std::size_t>(accepted) == total) {
    if (auto it = app_streams_.find(pick.stream_id); it != app_streams_.end()) {
      it->second.fin_sent = true;
    }
  }
}

void Connection::write(core::Instant now, PacketBatcher& out) {
  now_ = now;
  if (state_ == State::dead || state_ == State::draining) return;
  if (state_ == State::closing) {
    if (close_pending_write_) {
      write_close_packet(now, out);
    } else if (resend_close_) {
      send_stored_close(out);
    }
    return;
  }
  apply_deferred_shutdowns();
  if (!close_requested_ || state_ == State::established) write_streams(now, out);
  if (state_ != State::handshaking && state_ != State::established) return;
  const bool flushed = queues_[0].buffered() == 0 && queues_[1].buffered() == 0;
  if (close_requested_ && keep_app_streams_ && flushed && state_ == State::established &&
      !app_streams_.empty()) {
    // The link's bytes are delivered; its application streams go on until the last one ends
    // (on_stream_close marks the connection dirty, and this write then closes it).
    if (!lingering_) {
      lingering_ = true;
      endpoint_.handler_.on_link_streams_flushed(id_);
    }
    return;
  }
  if (close_requested_ &&
      (flushed || now >= close_wait_deadline_ || state_ == State::handshaking)) {
    ngtcp2_connection_close_error_set_application_error(
        &close_error_, close_code_, reinterpret_cast<const std::uint8_t*>(close_reason_.data()),
        close_reason_.size());
    state_ = State::closing;
    write_close_packet(now, out);
    report_closed(CloseReason::local, close_reason_);
  }
}

void Connection::write_streams(core::Instant now, PacketBatcher& out) {
  // Handshake datagrams keep the 1,200 bytes every path carries (see handshake_confirmed_).
  const std::size_t max_size = handshake_confirmed_ ? ngtcp2_conn_get_max_tx_udp_payload_size(conn_)
                                                    : std::size_t{NGTCP2_MAX_UDP_PAYLOAD_SIZE};
  const std::size_t quantum = ngtcp2_conn_get_send_quantum(conn_);
  std::size_t written = 0;
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_conn_stat before;
  ngtcp2_conn_get_conn_stat(conn_, &before);
  const std::size_t app_packet_size = std::min(max_size, kLatencyPacketBytes);
  const std::uint64_t app_limit =
      app_stream_in_flight_limit(before.delivery_rate_sec, before.min_rtt, app_packet_size);
  const core::Duration window = latency_window(before.smoothed_rtt);
  bool link_in_packet = false;  // the packet being filled holds link bytes
  for (;;) {
    // Tagged streams wait while link bytes went out recently and theirs fill the limit.
    const bool link_active = !link_written_at_.is_never() && now - link_written_at_ <= window;
    Pick pick = pick_next(!link_active || before.bytes_in_flight + written < app_limit);
    // Link bytes end their packet rather than ride at the head of a packet full of stream
    // bytes, which the peer would have to decrypt before it sees them.
    const bool app_pick = pick.stream_id >= 0 && (pick.stream_id & 0x2) == 0;
    if (link_in_packet && app_pick) pick = {};
    ngtcp2_vec vecs[kMaxVecs];
    std::size_t vec_count = 0;
    std::size_t total = 0;
    std::uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_NONE;
    if (pick.stream_id >= 0) {
      vec_count = pick.queue->unsent_vecs(vecs, kMaxVecs);
      for (std::size_t i = 0; i < vec_count; ++i) total += vecs[i].len;
      flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
      // FIN goes with the last bytes (or alone): only when these vectors hold all of them.
      if (pick.fin && total == pick.queue->unsent()) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    }
    ngtcp2_pkt_info info{};
    ngtcp2_ssize accepted = -1;
    // While link bytes flow, stream packets are smaller: fewer bytes to decrypt ahead of them.
    const std::size_t packet_size = app_pick && link_active ? app_packet_size : max_size;
    std::uint8_t* dest = out.reserve(packet_size);
    const ngtcp2_ssize n =
        ngtcp2_conn_writev_stream(conn_, &ps.path, &info, dest, packet_size, &accepted, flags,
                                  pick.stream_id, vecs, vec_count, timestamp(now));
    wrote(pick, (flags & NGTCP2_WRITE_STREAM_FLAG_FIN) != 0, total, accepted);
    if (n < 0) {
      if (n == NGTCP2_ERR_WRITE_MORE) {
        link_in_packet = link_in_packet || (pick.stream_id >= 0 && (pick.stream_id & 0x2) != 0);
        continue;
      }
      if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR ||
          n == NGTCP2_ERR_STREAM_NOT_FOUND) {
        *pick.blocked = true;
        continue;
      }
      on_error(now, static_cast<int>(n));
      if (close_pending_write_) write_close_packet(now, out);
      return;
    }
    if (n == 0) break;
    link_in_packet = false;
    commit_packet(out, ps.path, static_cast<std::size_t>(n), static_cast<std::uint8_t>(info.ecn));
    written += static_cast<std::size_t>(n);
    if (written >= quantum || out.blocked()) break;
  }
  // ngtcp2 0.12 paces from initial_rtt (333 ms) until the first RTT sample, which stalls the
  // handshake by ~23 ms; pacing starts once a real sample exists (notes §5, workaround B).
  ngtcp2_conn_stat stat;
  ngtcp2_conn_get_conn_stat(conn_, &stat);
  if (stat.first_rtt_sample_ts != UINT64_MAX) ngtcp2_conn_update_pkt_tx_time(conn_, timestamp(now));
}

void Connection::write_close_packet(core::Instant now, PacketBatcher& out) {
  close_pending_write_ = false;
  state_ = State::closing;
  linger_deadline_ = now + linger(conn_);
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info info{};
  close_packet_.resize(NGTCP2_MAX_UDP_PAYLOAD_SIZE);
  const ngtcp2_ssize n =
      ngtcp2_conn_write_connection_close(conn_, &ps.path, &info, close_packet_.data(),
                                         close_packet_.size(), &close_error_, timestamp(now));
  if (n <= 0) {
    close_packet_.clear();
    state_ = State::dead;
    return;
  }
  close_packet_.resize(static_cast<std::size_t>(n));
  auto remote = core::SocketAddress::from_sockaddr(ps.path.remote.addr, ps.path.remote.addrlen);
  close_to_ = remote ? *remote : remote_;
  close_local_ = endpoint_.local_of(ps.path.local).value_or(0);
  send_stored_close(out);
}

void Connection::commit_packet(PacketBatcher& out, const ngtcp2_path& path, std::size_t size,
                               std::uint8_t ecn) {
  const std::optional<LocalId> local = endpoint_.local_of(path.local);
  if (!local) {
    ++endpoint_.stats_.packets_unroutable;
    return;
  }
  auto remote = core::SocketAddress::from_sockaddr(path.remote.addr, path.remote.addrlen);
  out.commit(size, remote ? *remote : remote_, ecn, *local);
}

void Connection::send_stored_close(PacketBatcher& out) {
  resend_close_ = false;
  if (close_packet_.empty() || close_resends_ > kMaxCloseResends) return;
  ++close_resends_;
  std::uint8_t* dest = out.reserve(close_packet_.size());
  std::memcpy(dest, close_packet_.data(), close_packet_.size());
  out.commit(close_packet_.size(), close_to_, 0, close_local_);
}

}  // namespace barrel_p2p::transport
