#include "runtime/node_impl.hpp"

#include <sodium.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include <filesystem>

#include "core/assert.hpp"
#include "runtime/certificate_files.hpp"
#include "runtime/key_files.hpp"
#include "runtime/pin_files.hpp"
#include "transport/send_queue.hpp"
#include "wire/link_frame.hpp"

namespace barrel_p2p {

namespace {

// Budget for a graceful stop: goodbyes delivered and connections closed, then forced.
constexpr auto kShutdownGrace = std::chrono::milliseconds(300);
// Datagram batches read per readiness event before yielding to timers and posted jobs.
constexpr int kMaxReadBatches = 16;

transport::StreamKind to_stream(Channel channel) {
  return channel == Channel::control ? transport::StreamKind::control : transport::StreamKind::data;
}

Channel to_channel(node::Channel channel) {
  return channel == node::Channel::control ? Channel::control : Channel::data;
}

std::array<std::uint8_t, 32> derive_reset_secret(const std::array<std::uint8_t, 32>& seed) {
  static constexpr char kLabel[] = "barrel_p2p stateless reset secret v1";
  std::array<std::uint8_t, 32> secret{};
  crypto_generichash(secret.data(), secret.size(), reinterpret_cast<const std::uint8_t*>(kLabel),
                     sizeof(kLabel) - 1, seed.data(), seed.size());
  return secret;
}

}  // namespace

Result<std::unique_ptr<NodeImpl>> NodeImpl::create(Config config) {
  std::unique_ptr<NodeImpl> impl(new NodeImpl());
  if (auto started = impl->init(std::move(config)); !started) return Unexpected(started.error());
  return impl;
}

Result<void> NodeImpl::load_identity() {
  auto identity = runtime::load_or_create_identity(config_.data_dir);
  if (!identity) return Unexpected(identity.error());
  auto keys = auth::KeyPair::from_parts(identity->seed, auth::PublicKey{identity->public_key});
  if (!keys) return Unexpected(keys.error());
  keys_ = std::make_unique<auth::KeyPair>(std::move(keys).value());
  reset_secret_ = derive_reset_secret(identity->seed);
  auto pins = runtime::load_pins(config_.data_dir);
  if (!pins) return Unexpected(pins.error());
  for (const std::string& warning : pins->warnings) log_->warn("trust store: {}", warning);
  for (const auto& [peer, key] : pins->pins) {
    if (auto pinned = trust_.pin(peer, auth::PublicKey{key}); !pinned) {
      return Unexpected(pinned.error());
    }
  }
  trust_.set_mode(config_.trust_mode == TrustMode::strict ? auth::TrustMode::strict
                                                          : auth::TrustMode::tofu);
  auto certificate = runtime::load_or_create_certificate(config_.data_dir, config_.node_name);
  if (!certificate) return Unexpected(certificate.error());
  certificate_ = std::make_unique<transport::TlsCertificate>(std::move(certificate).value());
  return {};
}

Result<void> NodeImpl::init(Config config) {
  if (auto valid = config.validate(); !valid) return valid;
  config_ = std::move(config);
  log_ = std::make_shared<spdlog::logger>(config_.node_name,
                                          std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  log_->set_level(spdlog::level::from_str(config_.log_level));
  if (auto loaded = load_identity(); !loaded) return loaded;
  runtime::EventLoopOptions loop_options;
  loop_options.spin_before_sleep = config_.busy_poll;
  auto loop = runtime::EventLoop::create(loop_options);
  if (!loop) return Unexpected(loop.error());
  loop_ = std::move(loop).value();
  auto listen = core::SocketAddress::parse(config_.listen_address);
  if (!listen) return fail(Errc::invalid_argument, "listen_address: " + listen.error().message);
  auto socket = runtime::UdpSocket::bind(*listen);
  if (!socket) return Unexpected(socket.error());
  socket_ = std::make_unique<runtime::UdpSocket>(std::move(socket).value());
  local_ = socket_->local_address();
  transport::TransportConfig transport;
  transport.max_connections = config_.max_connections;
  transport.max_handshakes = config_.max_handshakes;
  transport.idle_timeout = config_.idle_timeout;
  transport.keep_alive = config_.keep_alive;
  transport.stream_send_buffer = config_.send_buffer_limit;
  transport.static_secret = reset_secret_;
  endpoint_ = std::make_unique<transport::Endpoint>(transport, *certificate_, rng_, *this, local_);
  node::LinkConfig links;
  links.auth.cluster_name = config_.cluster_name;
  links.auth.cluster_secret = config_.cluster_secret;
  links.auth.handshake_budget = config_.handshake_budget;
  links.auth.timestamp_skew = config_.timestamp_skew;
  links.max_frame_size = config_.max_frame_size;
  links_ = std::make_unique<node::PeerLinks>(links, config_.node_name, *keys_, trust_);
  links_->set_frame_sink(this);
  do {
    incarnation_ = rng_.next_u64();
  } while (incarnation_ == 0);
  router_ = std::make_unique<node::ProcessRouter>(config_.node_name, incarnation_, *this);
  workers_ = std::make_unique<runtime::WorkerPool>(config_.worker_threads);
  if (auto membership = init_membership(); !membership) return membership;
  write_endpoint_file();
  if (auto added =
          loop_->add_fd(socket_->fd(), EPOLLIN, [this](std::uint32_t) { on_socket_readable(); });
      !added) {
    return added;
  }
  log_->info("node {} listening on {} (key {})", config_.node_name, local_.to_string(),
             auth::fingerprint(keys_->public_key()));
  // Contacts from the configuration are tried as soon as the loop runs.
  if (!pending_contacts_.empty()) {
    (void)loop_->post([this] {
      try_contacts(clock_.now());
      after_input();
    });
  }
  thread_ = std::thread([this] {
    detail::on_event_loop_thread = true;  // Future::get() refuses to block here
    loop_->run();
    loop_exited_ = true;
  });
  loop_thread_id_ = thread_.get_id();
  return {};
}

NodeImpl::~NodeImpl() {
  stop();
  endpoint_.reset();  // refers to certificate_, rng_ and this
}

// ---- loop thread --------------------------------------------------------------------------

void NodeImpl::on_socket_readable() {
  const core::Instant now = clock_.now();
  for (int batch = 0; batch < kMaxReadBatches; ++batch) {
    auto received = socket_->receive_batch(
        [&](const core::SocketAddress& from, core::ByteView data, std::uint8_t ecn) {
          ++endpoint_depth_;  // callbacks from here must not flush (see after_input)
          endpoint_->handle_datagram(now, from, data, ecn);
          --endpoint_depth_;
        });
    if (!received || *received == 0) break;
  }
  after_input();
}

void NodeImpl::on_deadline() {
  timer_deadline_ = core::Instant::never();
  const core::Instant now = clock_.now();
  ++endpoint_depth_;
  endpoint_->on_timeout(now);
  --endpoint_depth_;
  links_->on_timeout(now);
  router_->on_timeout(now);
  check_dial_deadlines(now);
  sweep_idle(now);
  if (membership_->next_deadline() <= now) membership_->on_timeout(now);
  if (broadcast_->next_deadline() <= now) broadcast_->on_timeout(now);
  try_contacts(now);
  after_input();
}

void NodeImpl::after_input() {
  // Never re-entered: a call from inside an endpoint callback (ngtcp2 is reading) or from a
  // handler run below only asks for another pass, which the outer call makes.
  if (endpoint_depth_ > 0 || in_after_input_) {
    settle_again_ = true;
    return;
  }
  in_after_input_ = true;
  for (int pass = 0; pass < 4; ++pass) {
    settle_again_ = false;
    run_processes();
    pump_membership();
    // Writing can close connections and closing produces link output: settle both (bounded).
    for (int round = 0; round < 4; ++round) {
      apply_link_outputs();
      ++endpoint_depth_;
      endpoint_->flush(clock_.now(), *this);
      --endpoint_depth_;
      if (!links_->has_output()) break;
    }
    if (!settle_again_) break;
  }
  in_after_input_ = false;
  if (settle_again_ && !run_scheduled_) {
    run_scheduled_ = true;  // still more to do: continue on the next loop turn
    (void)loop_->post([this] {
      run_scheduled_ = false;
      after_input();
    });
  }
  if (stopping_ && endpoint_->connection_count() == 0) finish_shutdown();
  if (!finished_) rearm_timer();
}

void NodeImpl::rearm_timer() {
  if (next_sweep_.is_never() && config_.reaper_interval.count() > 0) {
    next_sweep_ = clock_.now() + sweep_period();
    next_full_sweep_ = clock_.now() + config_.reaper_interval;
  }
  core::Instant contacts = core::Instant::never();
  if (!pending_contacts_.empty() && !left_ && membership_->active_view().empty()) {
    contacts = next_contact_try_;
  }
  const core::Instant deadline = std::min(
      {endpoint_->next_deadline(), links_->next_deadline(), router_->next_deadline(),
       dialer_deadline(), membership_->next_deadline(), broadcast_->next_deadline(), contacts});
  if (deadline == timer_deadline_) return;
  if (!timer_deadline_.is_never()) loop_->cancel(timer_);
  timer_deadline_ = deadline;
  if (!deadline.is_never()) timer_ = loop_->schedule(deadline, [this] { on_deadline(); });
}

void NodeImpl::apply_link_outputs() {
  const core::Instant now = clock_.now();
  while (auto command = links_->poll_command()) {
    if (auto* send = std::get_if<node::SendBytes>(&*command)) {
      auto sent = endpoint_->send(transport::ConnectionId{send->connection},
                                  to_stream(to_channel(send->channel)), std::move(send->bytes));
      if (!sent) log_->debug("link output dropped: {}", sent.error().message);
    } else {
      const auto& close = std::get<node::CloseConnection>(*command);
      endpoint_->close(now, transport::ConnectionId{close.connection},
                       static_cast<std::uint64_t>(close.code), close.reason);
    }
  }
  while (auto event = links_->poll_event()) handle_link_event(std::move(*event));
}

void NodeImpl::handle_link_event(node::LinkEvent&& event) {
  if (auto* authenticated = std::get_if<node::LinkAuthenticated>(&event)) {
    {
      // The peer is routable from here on (on this link or an older one): make send() from
      // the thread that connect_and_wait() wakes see it.
      std::lock_guard lock(peers_mutex_);
      peers_.insert(authenticated->peer);
    }
    resolve_waiter(authenticated->connection, authenticated->peer);
    dials_.erase(authenticated->connection);
    join_linked(authenticated->connection, authenticated->peer);
  } else if (auto* up = std::get_if<node::PeerUp>(&event)) {
    const std::string print = auth::fingerprint(up->key);
    if (up->newly_trusted) {
      auto pinned = trust_.pin(up->peer, up->key);
      if (!pinned) {
        // Two first contacts raced with different keys: the first pin wins, this link goes.
        log_->warn("dropping {} at {}: {}", up->peer, up->address, pinned.error().message);
        (void)links_->disconnect(up->peer, "key conflicts with a pin made meanwhile");
        return;
      }
      if (auto saved = runtime::save_pin(config_.data_dir, up->peer, up->key.bytes); !saved) {
        log_->error("could not persist the pin for {}: {}", up->peer, saved.error().message);
      }
      log_->info("trusting {} on first use ({})", up->peer, print);
    }
    {
      std::lock_guard lock(peers_mutex_);
      peers_.insert(up->peer);
    }
    log_->info("peer {} up at {}", up->peer, up->address);
    peer_linked(up->peer, up->address);
    deliver(PeerUp{up->peer, print, up->address, up->newly_trusted});
  } else if (auto* down = std::get_if<node::PeerDown>(&event)) {
    {
      std::lock_guard lock(peers_mutex_);
      peers_.erase(down->peer);
    }
    log_->info("peer {} down: {}", down->peer, down->reason);
    peer_lost(down->peer);
    membership_->on_link_down(clock_.now(), down->peer);
    deliver(PeerDown{down->peer, down->reason});
  } else if (auto* retired = std::get_if<node::LinkRetired>(&event)) {
    log_->debug("duplicate link {} to {} retired", retired->connection, retired->peer);
    link_retired(retired->peer, retired->connection);
  } else if (auto* frame = std::get_if<node::FrameReceived>(&event)) {
    on_frame(frame->peer, frame->type, std::move(frame->payload));
  } else {
    auto& failed = std::get<node::AuthFailed>(event);
    const std::string reason(wire::auth_failure_name(failed.reason));
    log_->warn("authentication {} with {} ({}): {} {}",
               failed.local ? "rejected" : "refused by peer", failed.address,
               failed.peer.empty() ? "?" : failed.peer, reason, failed.detail);
    resolve_waiter(
        failed.connection,
        fail(Errc::auth_failed, reason + (failed.detail.empty() ? "" : ": " + failed.detail)));
    deliver(AuthFailure{failed.address, failed.peer, reason, failed.detail, failed.local});
  }
}

void NodeImpl::on_frame(const std::string& peer, wire::FrameType type, core::Bytes&& payload) {
  ++messages_received_;
  if (auto state = peer_states_.find(peer); state != peer_states_.end()) {
    ++state->second->activity;
    if (type == wire::FrameType::process) ++state->second->process_frames;
  }
  switch (type) {
    case wire::FrameType::process:
      if (auto handled = router_->on_frame(clock_.now(), peer, payload); !handled) {
        log_->warn("closing the link to {}: {}", peer, handled.error().message);
        (void)links_->disconnect(peer, "protocol violation: " + handled.error().message);
      }
      return;
    case wire::FrameType::control:
      deliver(Message{peer, Channel::control, std::move(payload)});
      return;
    case wire::FrameType::data: deliver(Message{peer, Channel::data, std::move(payload)}); return;
    case wire::FrameType::membership: on_membership_frame(peer, payload); return;
    case wire::FrameType::broadcast: on_broadcast_frame(peer, payload); return;
    default: log_->debug("ignoring a {} frame from {}", wire::frame_type_name(type), peer); return;
  }
}

void NodeImpl::deliver(Event&& event) {
  if (config_.event_handler) {
    config_.event_handler(std::move(event));
    return;
  }
  std::lock_guard lock(events_mutex_);
  if (events_.size() >= config_.event_queue_limit && std::holds_alternative<Message>(event)) {
    if (events_dropped_++ % 10000 == 0) {
      log_->warn("event queue full ({} events): dropping messages", events_.size());
    }
    return;
  }
  events_.push_back(std::move(event));
  events_ready_.notify_one();
}

void NodeImpl::resolve_waiter(std::uint64_t connection, Result<std::string> outcome) {
  auto it = waiters_.find(connection);
  if (it == waiters_.end()) return;
  it->second->promise.set_value(std::move(outcome));
  waiters_.erase(it);
}

void NodeImpl::on_connected(transport::ConnectionId id, const transport::ConnectionInfo& info) {
  links_->on_connected(clock_.now(), clock_.wall_now(), rng_, id.value,
                       info.role == transport::Role::client, info.server_cert_sha256,
                       info.remote.to_string());
}

void NodeImpl::on_stream_data(transport::ConnectionId id, transport::StreamKind kind,
                              core::ByteView data) {
  links_->on_stream_data(
      clock_.now(), clock_.wall_now(), rng_, id.value,
      kind == transport::StreamKind::control ? node::Channel::control : node::Channel::data, data);
}

void NodeImpl::on_writable(transport::ConnectionId /*id*/, transport::StreamKind /*kind*/) {
  // Resume sends that waited for buffer space; posted so it runs outside the endpoint call.
  (void)loop_->post([this] {
    for (auto& [node, state] : peer_states_) {
      if (!state->idle()) flush_peer(node, *state);
    }
    drain_inbox();
  });
}

void NodeImpl::on_closed(transport::ConnectionId id, transport::CloseReason reason,
                         const std::string& detail) {
  std::string text(transport::close_reason_name(reason));
  if (!detail.empty() && reason != transport::CloseReason::local) text += ": " + detail;
  log_->debug("connection {} closed: {}", id.value, text);
  links_->on_closed(id.value, text);
  on_dial_closed(id.value);
  resolve_waiter(id.value,
                 fail(Errc::closed, "connection closed before authentication (" + text + ")"));
}

bool NodeImpl::send_datagrams(const core::SocketAddress& to, core::ByteView data,
                              std::size_t segment_size, std::uint8_t ecn) {
  if (!socket_) return false;  // aborted: the port is closed
  auto sent = socket_->send(to, data, segment_size, ecn);
  if (!sent && sent.error().code != Errc::limit_reached) {
    log_->debug("send to {} failed: {}", to.to_string(), sent.error().message);
  }
  return sent.has_value();
}

Result<void> NodeImpl::send_on_loop(std::string_view peer, Channel channel,
                                    core::ByteView payload) {
  auto connection = links_->route(peer);
  if (!connection) return Unexpected(connection.error());
  frame_header_.clear();
  wire::encode_frame_header(
      frame_header_, channel == Channel::control ? wire::FrameType::control : wire::FrameType::data,
      payload.size());
  auto sent = endpoint_->send_frame(transport::ConnectionId{*connection}, to_stream(channel),
                                    frame_header_, payload);
  if (sent) ++messages_sent_;
  return sent;
}

void NodeImpl::drain_inbox() {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_batch_[0].swap(inbox_[0]);
    inbox_batch_[1].swap(inbox_[1]);
    inbox_scheduled_ = false;
  }
  bool blocked = false;
  for (std::size_t channel = 0; channel < 2; ++channel) {  // control first
    inbox_batch_[channel].drain([&](std::string_view peer, core::ByteView payload) {
      auto sent = send_on_loop(peer, static_cast<Channel>(channel), payload);
      if (!sent && sent.error().code == Errc::limit_reached) {
        blocked = true;
        return false;  // resumed by on_writable
      }
      if (!sent) {
        ++sends_dropped_;
        log_->debug("queued message to {} dropped: {}", peer, sent.error().message);
      }
      return true;
    });
  }
  if (blocked) {
    std::lock_guard lock(inbox_mutex_);
    for (std::size_t channel = 0; channel < 2; ++channel) {
      // Unsent messages go back in front of anything queued meanwhile, keeping order.
      inbox_batch_[channel].append(inbox_[channel]);
      inbox_[channel].clear();
      inbox_[channel].swap(inbox_batch_[channel]);
    }
  }
  after_input();
}

void NodeImpl::begin_shutdown() {
  router_->shutdown(ExitReason{ExitCode::shutdown, "node stopping"});
  membership_->leave(clock_.now());  // DISCONNECT(leaving) to the active view first
  pump_membership();
  stopping_ = true;
  for (const std::string& peer : links_->peers()) (void)links_->disconnect(peer, "node stopping");
  loop_->schedule(clock_.now() + kShutdownGrace, [this] { finish_shutdown(); });
  after_input();
}

void NodeImpl::finish_shutdown() {
  if (finished_) return;
  finished_ = true;
  endpoint_->close_all(clock_.now(), *this);
  for (auto& [connection, waiter] : waiters_) {
    waiter->promise.set_value(fail(Errc::closed, "node stopped"));
  }
  waiters_.clear();
  loop_->stop();
}

}  // namespace barrel_p2p
