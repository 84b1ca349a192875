// NodeImpl: the methods API threads call. Each either runs inline (on the loop thread) or
// hands its work to the loop and waits for the answer.
#include <spdlog/spdlog.h>

#include "runtime/node_impl.hpp"
#include "runtime/pin_files.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p {

void NodeImpl::abort() {
  {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (thread_.joinable()) {
    if (!loop_->post([this] {
          finished_ = true;  // no goodbyes, no closes: the connections just go silent
          router_->shutdown(ExitReason{ExitCode::shutdown, "node aborted"});
          loop_->stop();
        })) {
      loop_->stop();
    }
    thread_.join();
  }
  socket_.reset();  // nothing answers on the port any more
  if (workers_) workers_->stop();
  std::lock_guard lock(events_mutex_);
  events_ready_.notify_all();
}

void NodeImpl::stop() {
  {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (thread_.joinable()) {
    if (!loop_->post([this] { begin_shutdown(); })) loop_->stop();
    thread_.join();
  }
  if (workers_) workers_->stop();
  if (!config_.endpoint_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove(config_.endpoint_dir / (config_.node_name + ".endpoint"), ignored);
  }
  std::lock_guard lock(events_mutex_);
  events_ready_.notify_all();
}

Result<void> NodeImpl::connect(std::string_view address) {
  auto remote = core::SocketAddress::parse(address);
  if (!remote) return Unexpected(remote.error());
  return call_on_loop([&]() -> Result<void> {
    if (stopping_) return fail(Errc::closed, "node is stopping");
    auto id = endpoint_->connect(clock_.now(), *remote);
    if (!id) return Unexpected(id.error());
    after_input();
    return {};
  });
}

Result<std::string> NodeImpl::connect_and_wait(std::string_view address,
                                               std::chrono::milliseconds timeout) {
  auto remote = core::SocketAddress::parse(address);
  if (!remote) return Unexpected(remote.error());
  auto waiter = std::make_shared<Waiter>();
  auto future = waiter->promise.get_future();
  auto started = call_on_loop([&]() -> Result<std::uint64_t> {
    if (stopping_) return fail(Errc::closed, "node is stopping");
    auto id = endpoint_->connect(clock_.now(), *remote);
    if (!id) return Unexpected(id.error());
    waiters_[id->value] = waiter;
    after_input();
    return id->value;
  });
  if (!started) return Unexpected(started.error());
  if (future.wait_for(timeout) != std::future_status::ready) {
    const std::uint64_t id = *started;
    (void)loop_->post([this, id] { waiters_.erase(id); });
    return fail(Errc::timeout, "peer at " + std::string(address) + " not authenticated within " +
                                   std::to_string(timeout.count()) + " ms");
  }
  return future.get();
}

Result<void> NodeImpl::send(std::string_view peer, Channel channel,
                            std::span<const std::uint8_t> payload) {
  if (payload.size() > config_.max_frame_size) {
    return fail(Errc::invalid_argument, "message of " + std::to_string(payload.size()) +
                                            " bytes exceeds max_frame_size (" +
                                            std::to_string(config_.max_frame_size) + ")");
  }
  if (on_loop_thread()) return send_on_loop(peer, channel, payload);
  {
    std::lock_guard lock(peers_mutex_);
    if (peers_.find(peer) == peers_.end()) {
      return fail(Errc::not_found, "no authenticated link to peer '" + std::string(peer) + "'");
    }
  }
  bool schedule = false;
  {
    std::lock_guard lock(inbox_mutex_);
    const auto index = static_cast<std::size_t>(channel);
    const std::size_t queued = inbox_[index].bytes();
    if (queued > 0 && queued + payload.size() > config_.send_buffer_limit) {
      return fail(Errc::limit_reached,
                  "send queue full (" + std::to_string(config_.send_buffer_limit) + " bytes)");
    }
    inbox_[index].push(peer, payload);
    schedule = !inbox_scheduled_;
    inbox_scheduled_ = true;
  }
  // One wake-up drains every send queued before the loop gets to it (batching).
  if (schedule) {
    if (auto posted = loop_->post([this] { drain_inbox(); }); !posted) {
      return fail(Errc::closed, "node stopped");
    }
  }
  return {};
}

Result<void> NodeImpl::disconnect(std::string_view peer, std::string_view reason) {
  return call_on_loop([&]() -> Result<void> {
    auto done = links_->disconnect(peer, reason);
    after_input();
    return done;
  });
}

std::vector<std::string> NodeImpl::peers() const {
  std::lock_guard lock(peers_mutex_);
  return {peers_.begin(), peers_.end()};
}

std::optional<Event> NodeImpl::next_event(std::chrono::milliseconds timeout) {
  std::unique_lock lock(events_mutex_);
  events_ready_.wait_for(lock, timeout, [this] { return !events_.empty() || stopped_; });
  if (events_.empty()) return std::nullopt;
  Event event = std::move(events_.front());
  events_.pop_front();
  return event;
}

NodeStats NodeImpl::stats() const {
  auto snapshot = const_cast<NodeImpl*>(this)->call_on_loop([this]() -> Result<NodeStats> {
    NodeStats out;
    const auto& link = links_->stats();
    out.auth_succeeded = link.auth_succeeded;
    out.auth_failed = link.auth_failed;
    out.auth_failed_by_reason = link.auth_failed_by_reason;
    const auto& transport = endpoint_->stats();
    out.datagrams_received = transport.datagrams_received;
    out.datagrams_dropped_garbage = transport.datagrams_dropped_garbage;
    out.datagrams_unknown_connection = transport.datagrams_unknown_connection;
    out.stateless_resets_sent = transport.stateless_resets_sent;
    out.connections_refused_limit = transport.connections_refused_limit;
    out.messages_sent = messages_sent_;
    out.messages_received = messages_received_;
    out.sends_dropped = sends_dropped_;
    out.connections = endpoint_->connection_count();
    out.peers = links_->peers().size();
    const auto processes = router_->stats();
    out.processes = processes.processes;
    out.pending_calls = processes.pending_calls;
    out.process_messages_local = processes.messages_local;
    out.process_messages_in = processes.messages_remote_in;
    out.process_messages_out = processes.messages_remote_out;
    out.dropped_noproc = processes.dropped_noproc;
    out.dropped_mailbox_full = dropped_mailbox_full_;
    out.dropped_connection_lost = dropped_connection_lost_;
    out.calls_timed_out = processes.calls_timed_out;
    out.on_demand_connects = on_demand_connects_;
    out.connects_failed = connects_failed_;
    out.connections_reaped = connections_reaped_;
    out.connections_initiated = transport.connections_initiated;
    out.connections_accepted = transport.connections_accepted;
    if (membership_ != nullptr) {
      const auto& membership = membership_->stats();
      out.membership_neighbor_requests = membership.neighbor_requests;
      out.membership_neighbor_refused = membership.neighbor_refused;
      out.membership_evictions = membership.evictions;
      out.membership_failures = membership.failures;
      out.membership_shuffles = membership.shuffles;
      for (std::size_t type = 0; type < hyparview::kMessageTypeCount; ++type) {
        out.membership_messages_out[hyparview::message_type_name(type)] =
            membership.messages_out_by_type[type];
      }
    }
    return out;
  });
  NodeStats out = snapshot ? *snapshot : NodeStats{};
  std::lock_guard lock(events_mutex_);
  out.events_dropped = events_dropped_;
  return out;
}

Result<void> NodeImpl::pin(std::string_view peer, const std::array<std::uint8_t, 32>& key) {
  if (!wire::is_valid_name(peer)) {
    return fail(Errc::invalid_argument, "invalid node name '" + std::string(peer) + "'");
  }
  return call_on_loop([&]() -> Result<void> {
    if (auto pinned = trust_.pin(std::string(peer), auth::PublicKey{key}); !pinned) return pinned;
    return runtime::save_pin(config_.data_dir, std::string(peer), key);
  });
}

Result<void> NodeImpl::unpin(std::string_view peer) {
  return call_on_loop([&]() -> Result<void> {
    if (auto removed = trust_.unpin(std::string(peer)); !removed) return removed;
    return runtime::remove_pin(config_.data_dir, std::string(peer));
  });
}

std::optional<Pin> NodeImpl::lookup_pin(std::string_view peer) const {
  auto found = const_cast<NodeImpl*>(this)->call_on_loop([&]() -> Result<std::optional<Pin>> {
    auto key = trust_.lookup(std::string(peer));
    if (!key) return std::optional<Pin>();
    return std::optional<Pin>(Pin{std::string(peer), key->bytes, auth::fingerprint(*key)});
  });
  return found ? *found : std::nullopt;
}

std::vector<Pin> NodeImpl::pins() const {
  auto all = const_cast<NodeImpl*>(this)->call_on_loop([&]() -> Result<std::vector<Pin>> {
    std::vector<Pin> out;
    for (const auto& [peer, key] : trust_.list()) {
      out.push_back(Pin{peer, key.bytes, auth::fingerprint(key)});
    }
    return out;
  });
  return all ? *all : std::vector<Pin>{};
}

void NodeImpl::set_trust_mode(TrustMode mode) {
  (void)call_on_loop([&]() -> Result<void> {
    trust_.set_mode(mode == TrustMode::strict ? auth::TrustMode::strict : auth::TrustMode::tofu);
    return {};
  });
}

TrustMode NodeImpl::trust_mode() const {
  auto mode = const_cast<NodeImpl*>(this)->call_on_loop([&]() -> Result<TrustMode> {
    return trust_.mode() == auth::TrustMode::strict ? TrustMode::strict : TrustMode::tofu;
  });
  return mode ? *mode : config_.trust_mode;
}

}  // namespace barrel_p2p
