// NodeImpl: tagged streams (decision 0019). The transport carries them as bidirectional QUIC
// streams; here live the acceptor table, the preambles of inbound streams still being read
// (at most streams.max_pending_preambles), the bytes the application has not read and the
// reads and writes in progress. Transport events only update this state and queue
// completions; promises are completed and acceptors called in the user phase of the turn.
#include <algorithm>

#include "barrel_p2p/stream.hpp"
#include "runtime/node_driver.hpp"
#include "runtime/stream_state.hpp"
#include "wire/stream_preamble.hpp"

namespace barrel_p2p {

namespace {
// Application error codes of the resets the node sends itself.
constexpr std::uint64_t kResetRefused = 0x62700001;  // cap, unknown tag, malformed preamble
// Acceptors one node holds at most.
constexpr std::size_t kMaxAcceptors = 4096;

Result<void> check_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxStreamTagSize) {
    return fail(Errc::invalid_argument, "a stream tag is 1 to 255 bytes");
  }
  if (tag.starts_with(kReservedStreamTagPrefix)) {
    return fail(Errc::invalid_argument, "stream tags starting with '" +
                                            std::string(kReservedStreamTagPrefix) +
                                            "' are reserved for barrel_p2p");
  }
  return {};
}

Unexpected stream_error(const detail::StreamState& state) {
  return fail(Errc::closed, state.error.value_or("stream closed"));
}
}  // namespace

template <typename T>
void NodeImpl::stream_job(const Promise<T>& promise, std::function<void()> job) {
  if (on_loop_thread()) {
    if (finished_) {
      promise.set(fail(Errc::closed, "node stopped"));
      return;
    }
    job();
    request_turn();
    return;
  }
  if (stopped_.load()) {
    promise.set(fail(Errc::closed, "node stopped"));
    return;
  }
  auto posted = loop_->post([this, promise, job = std::move(job)] {
    if (finished_) {
      promise.set(fail(Errc::closed, "node stopped"));
      return;
    }
    job();
    request_turn();
  });
  if (!posted) promise.set(Unexpected(posted.error()));
}

template <typename T>
void NodeImpl::complete_later(const Promise<T>& promise, Result<T> result) {
  stream_work_.emplace_back(
      [promise, result = std::move(result)]() mutable { promise.set(std::move(result)); });
}

// ---- the API ----------------------------------------------------------------------------

Result<Stream> NodeImpl::open_stream(std::string_view peer, std::string_view tag) {
  if (auto valid = check_tag(tag); !valid) return Unexpected(valid.error());
  return call_on_loop([&]() -> Result<Stream> {
    auto connection = engine_->link_connection(peer);
    if (!connection) {
      return fail(Errc::not_found, "no authenticated link to '" + std::string(peer) + "'");
    }
    const transport::ConnectionId id{*connection};
    auto opened = endpoint_->open_app_stream(id);
    if (!opened) return Unexpected(opened.error());
    const core::Bytes preamble = wire::encode_stream_preamble(tag);
    // A new stream's send buffer is empty and far larger than a preamble: all of it fits.
    auto written = endpoint_->write_app_stream(id, *opened, preamble, false);
    if (!written || *written != preamble.size()) {
      (void)endpoint_->reset_app_stream(id, *opened, kResetRefused);
      return fail(Errc::internal, "cannot write the stream preamble");
    }
    auto state = std::make_shared<detail::StreamState>();
    state->peer = std::string(peer);
    state->tag = std::string(tag);
    state->connection = *connection;
    state->stream = *opened;
    streams_.emplace(StreamKey{*connection, *opened}, state);
    ++stream_counters_.opened_out;
    return make_stream(std::move(state));
  });
}

Result<void> NodeImpl::register_acceptor(std::string_view tag, std::optional<Pid> owner,
                                         StreamAcceptor acceptor) {
  if (auto valid = check_tag(tag); !valid) return valid;
  if (!acceptor) return fail(Errc::invalid_argument, "register_acceptor: no handler");
  return call_on_loop([&]() -> Result<void> {
    if (acceptors_.contains(tag)) {
      return fail(Errc::already_exists,
                  "stream tag '" + std::string(tag) + "' already has an acceptor on this node");
    }
    if (acceptors_.size() >= kMaxAcceptors) {
      return fail(Errc::limit_reached, "4096 stream acceptors already registered");
    }
    std::optional<std::uint64_t> owner_id;
    if (owner) {
      const bool local = owner->node == config_.node_name && owner->incarnation == incarnation_;
      if (!local || !processes_.contains(owner->id)) {
        return fail(Errc::noproc, "acceptor owner " + owner->to_string() + " is not alive here");
      }
      owner_id = owner->id;
    }
    acceptors_.emplace(std::string(tag), Acceptor{std::move(acceptor), owner_id});
    return {};
  });
}

Result<void> NodeImpl::unregister_acceptor(std::string_view tag) {
  return call_on_loop([&]() -> Result<void> {
    auto it = acceptors_.find(tag);
    if (it == acceptors_.end()) {
      return fail(Errc::not_found, "no acceptor for stream tag '" + std::string(tag) + "'");
    }
    acceptors_.erase(it);
    return {};
  });
}

void NodeImpl::drop_acceptors_of(std::uint64_t process) {
  std::erase_if(acceptors_, [process](const auto& entry) { return entry.second.owner == process; });
}

Future<std::size_t> NodeImpl::stream_write(const std::shared_ptr<detail::StreamState>& state,
                                           BytesView data) {
  Promise<std::size_t> promise;
  auto future = promise.future();
  stream_job(promise, [this, state, promise, bytes = Bytes(data.begin(), data.end())]() mutable {
    if (state->write_promise) {
      complete_later(promise,
                     Result<std::size_t>(fail(Errc::overloaded, "a write is in progress")));
    } else if (state->error) {
      complete_later(promise, Result<std::size_t>(stream_error(*state)));
    } else if (state->finished || !state->attached) {
      complete_later(promise, Result<std::size_t>(fail(Errc::closed, "stream finished")));
    } else {
      state->write_promise = promise;
      state->write_data = std::move(bytes);
      state->write_offset = 0;
      pump_write(*state);
    }
  });
  return future;
}

Future<Bytes> NodeImpl::stream_read(const std::shared_ptr<detail::StreamState>& state,
                                    std::size_t max_bytes) {
  Promise<Bytes> promise;
  auto future = promise.future();
  stream_job(promise, [this, state, promise, max_bytes] {
    if (state->read_promise) {
      complete_later(promise, Result<Bytes>(fail(Errc::overloaded, "a read is in progress")));
      return;
    }
    state->read_promise = promise;
    state->read_max = max_bytes;
    satisfy_read(*state);
  });
  return future;
}

Result<void> NodeImpl::stream_finish(const std::shared_ptr<detail::StreamState>& state) {
  return call_on_loop([&]() -> Result<void> {
    if (state->error) return stream_error(*state);
    if (state->write_promise) return fail(Errc::overloaded, "a write is in progress");
    if (state->finished || !state->attached) return fail(Errc::closed, "stream finished");
    auto done = endpoint_->write_app_stream(transport::ConnectionId{state->connection},
                                            state->stream, {}, true);
    if (!done) return Unexpected(done.error());
    state->finished = true;
    return {};
  });
}

Result<void> NodeImpl::stream_reset(const std::shared_ptr<detail::StreamState>& state,
                                    std::uint64_t code) {
  return call_on_loop([&]() -> Result<void> {
    if (state->error || !state->attached) return {};
    state->error = "stream reset here (code " + std::to_string(code) + ")";
    (void)endpoint_->reset_app_stream(transport::ConnectionId{state->connection}, state->stream,
                                      code);
    ++stream_counters_.resets_sent;
    state->received.clear();
    fail_pending(*state);
    return {};
  });
}

void NodeImpl::stream_cancel(const std::shared_ptr<detail::StreamState>& state, bool write) {
  (void)call_on_loop([&]() -> Result<void> {
    if (write && state->write_promise) {
      const std::size_t taken = state->write_offset;
      Promise<std::size_t> promise = *state->write_promise;
      state->write_promise.reset();
      state->write_data.clear();
      promise.set(taken > 0 ? Result<std::size_t>(taken)
                            : Result<std::size_t>(fail(Errc::timeout, "no byte taken in time")));
    } else if (!write && state->read_promise) {
      Promise<Bytes> promise = *state->read_promise;
      state->read_promise.reset();
      promise.set(fail(Errc::timeout, "nothing to read in time"));
    }
    return {};
  });
}

Stream NodeImpl::make_stream(std::shared_ptr<detail::StreamState> state) {
  return Stream(this, std::make_shared<detail::StreamHandle>(stream_releaser_, std::move(state)));
}

void NodeImpl::stream_released(const std::shared_ptr<detail::StreamState>& state) {
  // Posted even on the loop thread: a handle may go inside this node's own stream work.
  (void)loop_->post([this, state] {
    if (finished_) return;
    abandon_stream(*state);
    request_turn();
  });
}

void NodeImpl::abandon_stream(detail::StreamState& state) {
  state.abandoned = true;
  if (!state.attached || state.error) return;
  const transport::ConnectionId id{state.connection};
  // Nobody reads any more: what arrived is dropped and its credit goes back, so the peer's
  // writer is never held back by us and can finish.
  std::size_t unread = 0;
  for (const Bytes& chunk : state.received) unread += chunk.size();
  state.received.clear();
  endpoint_->consume_app_stream(id, state.stream, unread - state.front_offset);
  state.front_offset = 0;
  if (!state.finished && !state.write_promise) {
    state.finished = endpoint_->write_app_stream(id, state.stream, {}, true).has_value();
  }
  // A write in progress finishes the stream when it completes (pump_write).
}

// ---- moving bytes -----------------------------------------------------------------------

void NodeImpl::pump_write(detail::StreamState& state) {
  while (state.write_promise && state.write_offset < state.write_data.size()) {
    const core::ByteView rest(state.write_data.data() + state.write_offset,
                              state.write_data.size() - state.write_offset);
    auto taken = endpoint_->write_app_stream(transport::ConnectionId{state.connection},
                                             state.stream, rest, false);
    if (!taken) {
      complete_later(*state.write_promise, Result<std::size_t>(Unexpected(taken.error())));
      state.write_promise.reset();
      state.write_data.clear();
      return;
    }
    if (*taken == 0) return;  // the send buffer is full: on_app_stream_writable resumes
    state.write_offset += *taken;
  }
  if (state.write_promise) {
    complete_later(*state.write_promise, Result<std::size_t>(state.write_data.size()));
    state.write_promise.reset();
    state.write_data.clear();
  }
  if (state.abandoned && !state.finished) {
    state.finished =
        endpoint_
            ->write_app_stream(transport::ConnectionId{state.connection}, state.stream, {}, true)
            .has_value();
  }
}

void NodeImpl::satisfy_read(detail::StreamState& state) {
  if (!state.read_promise) return;
  if (state.received.empty()) {
    if (state.error) {
      complete_later(*state.read_promise, Result<Bytes>(stream_error(state)));
    } else if (state.fin_received) {
      complete_later(*state.read_promise, Result<Bytes>(Bytes{}));
    } else {
      return;  // wait for bytes
    }
    state.read_promise.reset();
    return;
  }
  Bytes out;
  while (!state.received.empty() && out.size() < state.read_max) {
    Bytes& front = state.received.front();
    const std::size_t take =
        std::min(front.size() - state.front_offset, state.read_max - out.size());
    if (out.empty() && state.front_offset == 0 && take == front.size()) {
      out = std::move(front);
    } else {
      const auto begin = front.begin() + static_cast<std::ptrdiff_t>(state.front_offset);
      out.insert(out.end(), begin, begin + static_cast<std::ptrdiff_t>(take));
    }
    state.front_offset += take;
    if (state.front_offset >= front.size()) {
      state.received.pop_front();
      state.front_offset = 0;
    }
  }
  // Reading is what lets the peer send more (decision 0019: back-pressure).
  if (state.attached) {
    endpoint_->consume_app_stream(transport::ConnectionId{state.connection}, state.stream,
                                  out.size());
  }
  complete_later(*state.read_promise, Result<Bytes>(std::move(out)));
  state.read_promise.reset();
}

void NodeImpl::fail_pending(detail::StreamState& state) {
  if (state.write_promise) {
    complete_later(*state.write_promise, Result<std::size_t>(stream_error(state)));
    state.write_promise.reset();
    state.write_data.clear();
  }
  satisfy_read(state);
}

void NodeImpl::detach_stream(detail::StreamState& state, const std::string& why) {
  state.attached = false;
  if (!state.fin_received && !state.error) state.error = why;
  if (state.write_promise) {
    if (!state.error) state.error = why;
    complete_later(*state.write_promise, Result<std::size_t>(stream_error(state)));
    state.write_promise.reset();
    state.write_data.clear();
  }
  satisfy_read(state);
}

// ---- transport events -------------------------------------------------------------------

void NodeImpl::on_app_stream_data(transport::ConnectionId id, std::int64_t stream,
                                  core::ByteView data, bool fin) {
  const StreamKey key{id.value, stream};
  if (auto it = streams_.find(key); it != streams_.end()) {
    detail::StreamState& state = *it->second;
    if (state.error) return;
    if (state.abandoned) {  // nobody reads: the credit goes back at once
      endpoint_->consume_app_stream(id, stream, data.size());
      state.fin_received = state.fin_received || fin;
      satisfy_read(state);  // a read still pending ends with the stream
      return;
    }
    if (!data.empty()) state.received.emplace_back(data.begin(), data.end());
    if (fin) state.fin_received = true;
    satisfy_read(state);
    return;
  }
  auto pending = pending_streams_.find(key);
  if (pending == pending_streams_.end()) {
    if (pending_streams_.size() >= config_.streams.max_pending_preambles) {
      refuse_stream(id, stream, "cap");
      return;
    }
    pending = pending_streams_.emplace(key, PendingStream{}).first;
  }
  feed_preamble(key, pending->second, data, fin);
}

void NodeImpl::feed_preamble(const StreamKey& key, PendingStream& pending, core::ByteView data,
                             bool fin) {
  const transport::ConnectionId id{key.first};
  std::size_t consumed = 0;
  const auto status = pending.decoder.feed(data, consumed);
  // The preamble is the node's to read: its credit goes back at once.
  endpoint_->consume_app_stream(id, key.second, consumed);
  if (consumed < data.size())
    pending.early.insert(pending.early.end(), data.begin() + static_cast<std::ptrdiff_t>(consumed),
                         data.end());
  pending.fin = pending.fin || fin;
  using Status = wire::StreamPreambleDecoder::Status;
  if (status == Status::malformed || (status == Status::incomplete && pending.fin)) {
    pending_streams_.erase(key);
    refuse_stream(id, key.second, "malformed");
    return;
  }
  if (status == Status::complete) (void)accept_stream(key);
}

bool NodeImpl::accept_stream(const StreamKey& key) {
  auto it = pending_streams_.find(key);
  if (it == pending_streams_.end()) return true;
  PendingStream& pending = it->second;
  const transport::ConnectionId id{key.first};
  // Data can overtake the authentication OK on the control stream (decision 0002): the
  // stream waits, still counted in the cap, until the link is authenticated.
  auto peer = engine_->link_peer(key.first);
  if (!peer) return false;
  const std::string& tag = pending.decoder.tag();
  auto acceptor = acceptors_.find(tag);
  if (acceptor == acceptors_.end() || tag.starts_with(kReservedStreamTagPrefix)) {
    pending_streams_.erase(it);
    refuse_stream(id, key.second, "unknown_tag");
    return true;
  }
  auto state = std::make_shared<detail::StreamState>();
  state->peer = *peer;
  state->tag = tag;
  state->inbound = true;
  state->connection = key.first;
  state->stream = key.second;
  if (!pending.early.empty()) state->received.push_back(std::move(pending.early));
  state->fin_received = pending.fin;
  pending_streams_.erase(it);
  streams_.emplace(key, state);
  ++stream_counters_.opened_in;
  stream_work_.emplace_back(
      [handler = acceptor->second.handler, stream = make_stream(state)] { handler(stream); });
  return true;
}

void NodeImpl::settle_pending_streams() {
  std::vector<StreamKey> ready;
  for (const auto& [key, pending] : pending_streams_) {
    if (pending.decoder.status() == wire::StreamPreambleDecoder::Status::complete) {
      ready.push_back(key);
    }
  }
  for (const StreamKey& key : ready) (void)accept_stream(key);
}

void NodeImpl::refuse_stream(transport::ConnectionId id, std::int64_t stream,
                             const std::string& reason) {
  (void)endpoint_->reset_app_stream(id, stream, kResetRefused);
  ++stream_counters_.resets_sent;
  ++stream_counters_.preamble_dropped[reason];
}

void NodeImpl::on_app_stream_reset(transport::ConnectionId id, std::int64_t stream,
                                   std::uint64_t code) {
  const StreamKey key{id.value, stream};
  ++stream_counters_.resets_received;
  pending_streams_.erase(key);
  auto it = streams_.find(key);
  if (it == streams_.end()) return;
  detail::StreamState& state = *it->second;
  if (!state.error) state.error = "stream reset by the peer (code " + std::to_string(code) + ")";
  state.received.clear();
  fail_pending(state);
}

void NodeImpl::on_app_stream_writable(transport::ConnectionId id, std::int64_t stream) {
  if (auto it = streams_.find(StreamKey{id.value, stream}); it != streams_.end()) {
    pump_write(*it->second);
  }
}

void NodeImpl::on_app_stream_closed(transport::ConnectionId id, std::int64_t stream) {
  const StreamKey key{id.value, stream};
  pending_streams_.erase(key);
  auto it = streams_.find(key);
  if (it == streams_.end()) return;
  detach_stream(*it->second, "stream closed");
  streams_.erase(it);
}

void NodeImpl::close_streams_of(std::uint64_t connection, const std::string& why) {
  const StreamKey low{connection, INT64_MIN};
  const StreamKey high{connection, INT64_MAX};
  pending_streams_.erase(pending_streams_.lower_bound(low), pending_streams_.upper_bound(high));
  auto first = streams_.lower_bound(low);
  auto last = streams_.upper_bound(high);
  for (auto it = first; it != last; ++it) {
    detach_stream(*it->second, "connection lost: " + why);
  }
  streams_.erase(first, last);
}

void NodeImpl::close_all_streams(const std::string& why) {
  for (auto& [key, state] : streams_) {
    state->attached = false;
    if (!state->error) state->error = why;
    if (state->write_promise) state->write_promise->set(stream_error(*state));
    if (state->read_promise) state->read_promise->set(stream_error(*state));
    state->write_promise.reset();
    state->read_promise.reset();
  }
  streams_.clear();
  pending_streams_.clear();
  acceptors_.clear();
  for (auto& work : stream_work_) work();  // completions and acceptors already due
  stream_work_.clear();
}

bool NodeImpl::run_stream_work() {
  if (stream_work_.empty()) return false;
  // Only what is queued now; what these callbacks queue runs in the next round.
  for (std::size_t count = stream_work_.size(); count > 0 && !stream_work_.empty(); --count) {
    auto work = std::move(stream_work_.front());
    stream_work_.pop_front();
    work();
  }
  return true;
}

}  // namespace barrel_p2p
