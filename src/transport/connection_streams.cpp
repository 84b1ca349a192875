// Connection: application (tagged) streams, bidirectional QUIC streams next to the two link
// streams (decision 0019). Receive credit for them goes back only as the application
// consumes bytes (back-pressure); connection credit goes back on arrival, so a stream whose
// reader pauses never stalls the link's control and data streams.
#include "transport/connection.hpp"
#include "transport/endpoint.hpp"

namespace barrel_p2p::transport {

namespace {
Connection* self(void* user_data) { return static_cast<Connection*>(user_data); }
}  // namespace

Result<std::int64_t> Connection::open_app_stream() {
  if (state_ != State::established || close_requested_) {
    return fail(Errc::closed, "connection not established or closing");
  }
  std::int64_t stream_id = -1;
  const int rv = ngtcp2_conn_open_bidi_stream(conn_, &stream_id, nullptr);
  if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED) {
    return fail(Errc::limit_reached, "the peer allows no more open streams now");
  }
  if (rv != 0) return fail(Errc::internal, std::string("open stream: ") + ngtcp2_strerror(rv));
  app_streams_.try_emplace(stream_id);
  return stream_id;
}

Result<std::size_t> Connection::write_app_stream(std::int64_t stream, core::ByteView data,
                                                 bool fin) {
  auto it = app_streams_.find(stream);
  if (it == app_streams_.end()) return fail(Errc::not_found, "no such stream");
  AppStream& app = it->second;
  if (state_ != State::established || (close_requested_ && !keep_app_streams_)) {
    return fail(Errc::closed, "connection is closing");
  }
  if (app.reset || app.fin_queued) return fail(Errc::closed, "stream finished or reset");
  const std::size_t limit = endpoint_.config_.app_stream_send_buffer;
  const std::uint64_t buffered = app.queue.buffered();
  const std::size_t room = buffered >= limit ? 0 : limit - static_cast<std::size_t>(buffered);
  const std::size_t take = std::min(room, data.size());
  if (take > 0) app.queue.append_copy(data.first(take));
  if (take < data.size()) {
    app.writable_wanted = true;
  } else if (fin) {
    app.fin_queued = true;
  }
  if (take > 0 || app.fin_queued) endpoint_.mark_dirty(this);
  return take;
}

Result<void> Connection::reset_app_stream(std::int64_t stream, std::uint64_t code) {
  auto it = app_streams_.find(stream);
  if (it == app_streams_.end()) return fail(Errc::not_found, "no such stream");
  if (!it->second.reset) {
    it->second.reset = true;
    deferred_shutdowns_.emplace_back(stream, code);  // may run inside a callback: defer
    endpoint_.mark_dirty(this);
  }
  return {};
}

void Connection::consume_app_stream(std::int64_t stream, std::size_t count) {
  if (count == 0 || !app_streams_.contains(stream)) return;
  if (state_ != State::established) return;
  ngtcp2_conn_extend_max_stream_offset(conn_, stream, count);
  endpoint_.mark_dirty(this);  // MAX_STREAM_DATA goes out with the next write
}

std::uint64_t Connection::app_stream_buffered(std::int64_t stream) const {
  auto it = app_streams_.find(stream);
  return it == app_streams_.end() ? 0 : it->second.queue.buffered();
}

int Connection::app_stream_data(std::int64_t stream_id, core::ByteView data, bool fin) {
  if (state_ != State::established) return NGTCP2_ERR_CALLBACK_FAILURE;
  // Connection credit goes back at once: the bytes sit in the application's per-stream
  // buffer, bounded by the stream window, which only the application's reads extend.
  ngtcp2_conn_extend_max_offset(conn_, data.size());
  auto it = app_streams_.find(stream_id);
  if (it == app_streams_.end() || it->second.reset) return 0;  // reset by us: discarded
  endpoint_.handler_.on_app_stream_data(id_, stream_id, data, fin);
  return 0;
}

void Connection::peer_reset(std::int64_t stream_id, std::uint64_t code) {
  auto it = app_streams_.find(stream_id);
  if (it == app_streams_.end() || it->second.reset) return;
  it->second.reset = true;
  deferred_shutdowns_.emplace_back(stream_id, code);
  endpoint_.mark_dirty(this);
  endpoint_.handler_.on_app_stream_reset(id_, stream_id, code);
}

void Connection::apply_deferred_shutdowns() {
  if (deferred_shutdowns_.empty()) return;
  std::vector<std::pair<std::int64_t, std::uint64_t>> pending;
  pending.swap(deferred_shutdowns_);
  if (state_ != State::established) return;
  for (const auto& [stream, code] : pending) {
    (void)ngtcp2_conn_shutdown_stream(conn_, stream, code);  // fails only for closed streams
  }
}

int Connection::on_stream_close(ngtcp2_conn* conn, std::uint32_t /*flags*/, std::int64_t stream_id,
                                std::uint64_t /*app_error_code*/, void* user_data,
                                void* /*stream_user_data*/) {
  Connection* connection = self(user_data);
  if ((stream_id & 0x2) != 0) return 0;  // the link streams live as long as the connection
  if (connection->app_streams_.erase(stream_id) == 0) return 0;
  // A lingering close (close with keep_app_streams) ends with its last stream.
  if (connection->close_requested_ && connection->app_streams_.empty()) {
    connection->endpoint_.mark_dirty(connection);
  }
  const bool ours = (stream_id & 0x1) == (connection->role_ == Role::client ? 0 : 1);
  if (!ours) ngtcp2_conn_extend_max_streams_bidi(conn, 1);  // the peer may open another
  connection->endpoint_.handler_.on_app_stream_closed(connection->id_, stream_id);
  return 0;
}

int Connection::on_stream_reset(ngtcp2_conn* /*conn*/, std::int64_t stream_id,
                                std::uint64_t /*final_size*/, std::uint64_t app_error_code,
                                void* user_data, void* /*stream_user_data*/) {
  if ((stream_id & 0x2) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;  // link streams never reset
  self(user_data)->peer_reset(stream_id, app_error_code);
  return 0;
}

int Connection::on_stream_stop_sending(ngtcp2_conn* /*conn*/, std::int64_t stream_id,
                                       std::uint64_t app_error_code, void* user_data,
                                       void* /*stream_user_data*/) {
  if ((stream_id & 0x2) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  self(user_data)->peer_reset(stream_id, app_error_code);
  return 0;
}

// ---- Endpoint wrappers --------------------------------------------------------------------

Result<std::int64_t> Endpoint::open_app_stream(ConnectionId id) {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  return connection->open_app_stream();
}

Result<std::size_t> Endpoint::write_app_stream(ConnectionId id, std::int64_t stream,
                                               core::ByteView data, bool fin) {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  return connection->write_app_stream(stream, data, fin);
}

Result<void> Endpoint::reset_app_stream(ConnectionId id, std::int64_t stream, std::uint64_t code) {
  Connection* connection = find(id);
  if (connection == nullptr) return fail(Errc::not_found, "no such connection");
  return connection->reset_app_stream(stream, code);
}

void Endpoint::consume_app_stream(ConnectionId id, std::int64_t stream, std::size_t count) {
  if (Connection* connection = find(id)) connection->consume_app_stream(stream, count);
}

std::uint64_t Endpoint::app_stream_buffered(ConnectionId id, std::int64_t stream) const {
  Connection* connection = find(id);
  return connection == nullptr ? 0 : connection->app_stream_buffered(stream);
}

}  // namespace barrel_p2p::transport
