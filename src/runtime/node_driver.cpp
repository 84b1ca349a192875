// NodeImpl, the driver of one node: start-up, the turn, and the transport's side of the
// Engine. Commands are carried out in node_driver_commands.cpp; API calls are in
// node_driver_api.cpp and node_driver_processes.cpp.
#include "runtime/node_driver.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include <filesystem>

#include "proto/auth/rotation.hpp"
#include "runtime/certificate_files.hpp"
#include "runtime/endpoint_files.hpp"
#include "runtime/key_files.hpp"
#include "runtime/log_format.hpp"
#include "runtime/pin_files.hpp"
#include "runtime/rotation_files.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p {

namespace {
// Budget for a graceful stop: goodbyes delivered and connections closed, then forced.
constexpr auto kShutdownGrace = std::chrono::milliseconds(300);
// Datagram batches read per readiness event before the turn runs.
constexpr int kMaxReadBatches = 16;
// Rounds of (commands, flush, user work) per turn before yielding to the loop; a turn that
// still has work posts another.
constexpr int kTurnRounds = 8;

std::array<std::uint8_t, 32> derive_reset_secret(const std::array<std::uint8_t, 32>& seed) {
  static constexpr char kLabel[] = "barrel_p2p stateless reset secret v1";
  std::array<std::uint8_t, 32> secret{};
  crypto_generichash(secret.data(), secret.size(), reinterpret_cast<const std::uint8_t*>(kLabel),
                     sizeof(kLabel) - 1, seed.data(), seed.size());
  return secret;
}

node::Channel to_engine(transport::StreamKind kind) {
  return kind == transport::StreamKind::control ? node::Channel::control : node::Channel::data;
}

core::Duration nanos(std::chrono::milliseconds value) {
  return std::chrono::duration_cast<core::Duration>(value);
}

int engine_log_level(const std::string& level) {
  return static_cast<int>(spdlog::level::from_str(level));
}
}  // namespace

Result<std::unique_ptr<NodeImpl>> NodeImpl::create(Config config,
                                                   std::shared_ptr<runtime::LoopThread> loop) {
  std::unique_ptr<NodeImpl> impl(new NodeImpl());
  if (auto started = impl->init(std::move(config), std::move(loop)); !started) {
    return Unexpected(started.error());
  }
  return impl;
}

Result<void> NodeImpl::guard_files() {
  auto lock = runtime::DataDirLock::acquire(config_.data_dir);
  if (!lock) return Unexpected(lock.error());
  data_dir_lock_ = std::move(lock).value();
  std::vector<std::filesystem::path> secrets = {
      runtime::keys_directory(config_.data_dir) / "node.key",
      runtime::quic_directory(config_.data_dir) / "node.key"};
  if (!config_.cluster_secret_file.empty()) secrets.push_back(config_.cluster_secret_file);
  for (const auto& path : secrets) {
    auto checked = runtime::check_secret_file_mode(path);
    if (checked || checked.error().code != Errc::unsafe_file) {
      if (!checked) return checked;
      continue;
    }
    if (!config_.allow_insecure_file_modes) {
      return fail(Errc::unsafe_file, checked.error().message +
                                         "; allow_insecure_file_modes (barrel-p2p node "
                                         "--allow-insecure-file-modes) starts anyway");
    }
    log_->warn("{} (started anyway: allow_insecure_file_modes)", checked.error().message);
  }
  return {};
}

Result<void> NodeImpl::load_identity() {
  auto identity = runtime::load_or_create_identity(config_.data_dir);
  if (!identity) return Unexpected(identity.error());
  auto keys = auth::KeyPair::from_parts(identity->seed, auth::PublicKey{identity->public_key});
  if (!keys) return Unexpected(keys.error());
  keys_ = std::make_unique<auth::KeyPair>(std::move(keys).value());
  reset_secret_ = derive_reset_secret(identity->seed);
  auto certificate = runtime::load_or_create_certificate(config_.data_dir, config_.node_name);
  if (!certificate) return Unexpected(certificate.error());
  certificate_ = std::make_unique<transport::TlsCertificate>(std::move(certificate).value());
  load_rotation_record();
  return {};
}

void NodeImpl::load_rotation_record() {
  // Decision 0023: sent in every HELLO only when it proves this node's current key. Anything
  // else (a record left by an older rotation, a crash inside `keys rotate`, a renamed node)
  // must not stop the node: peers then refuse or accept its key exactly as without a record.
  const std::string file = runtime::rotation_record_path(config_.data_dir).string();
  auto record = runtime::load_rotation_record(config_.data_dir);
  if (!record) {
    log_->warn("not sending a rotation record: {}", record.error().message);
    return;
  }
  if (!*record) return;
  auto checked = auth::check_rotation_record(**record, config_.cluster_name, config_.node_name,
                                             keys_->public_key());
  if (!checked) {
    log_->warn("not sending the rotation record {}: it does not prove this node's key ({})", file,
               checked.error().message);
    return;
  }
  log_->info("sending the rotation record {} (rotation {}, from {}) to peers", file,
             (*record)->sequence, auth::fingerprint(auth::PublicKey{(*record)->old_key}));
  rotation_record_ = std::move(*record);
}

Result<node::EngineConfig> NodeImpl::engine_config() const {
  const MembershipConfig& m = config_.membership;
  node::EngineConfig out;
  out.node_name = config_.node_name;
  out.incarnation = incarnation_;
  out.seed = const_cast<runtime::OsRng&>(rng_).next_u64();
  out.links.auth.cluster_name = config_.cluster_name;
  out.links.auth.cluster_secret = config_.cluster_secret;
  out.links.auth.handshake_budget = nanos(config_.handshake_budget);
  out.links.auth.timestamp_skew = nanos(config_.timestamp_skew);
  out.links.auth.rotation_record = rotation_record_;
  out.links.max_frame_size = config_.max_frame_size;
  out.membership.active_size = m.active_view_size;
  out.membership.passive_size = m.passive_view_size;
  out.membership.active_random_walk = m.active_random_walk;
  out.membership.passive_random_walk = m.passive_random_walk;
  out.membership.shuffle_interval = m.shuffle_interval;
  out.membership.shuffle_size = m.shuffle_size;
  if (auto valid = out.membership.validate(); !valid) {
    return fail(Errc::invalid_argument, "membership." + valid.error().message);
  }
  out.broadcast.ihave_timeout = m.ihave_timeout;
  // A broadcast travels in one frame: keep room for its header.
  out.broadcast.max_payload_size = std::min(
      m.max_broadcast_size, config_.max_frame_size > 512 ? config_.max_frame_size - 512 : 1);
  if (auto valid = out.broadcast.validate(); !valid) {
    return fail(Errc::invalid_argument, "membership." + valid.error().message);
  }
  out.advertise_address = m.advertise_address.empty() ? local_.to_string() : m.advertise_address;
  out.contacts = m.contacts;
  out.contact_retry = m.contact_retry;
  out.node_queue_limit = config_.node_queue_limit;
  out.peer_queue_limit = config_.send_buffer_limit;
  out.connect_timeout = nanos(config_.connect_timeout);
  out.reaper_interval = nanos(config_.reaper_interval);
  out.reaper_min_age = nanos(config_.reaper_min_age);
  out.node_addresses.insert(config_.node_addresses.begin(), config_.node_addresses.end());
  out.endpoint_directory = !config_.endpoint_dir.empty();
  out.log_level = engine_log_level(config_.log_level);
  out.registry = node::registry_core_config(config_.registry);
  if (auto valid = out.registry.validate(); !valid) {
    return fail(Errc::invalid_argument, "registry." + valid.error().message);
  }
  out.anti_entropy_interval = nanos(config_.registry.anti_entropy_interval);
  out.route = node::registry_route_config(config_.registry);
  out.registry_lease = nanos(config_.registry.lease);
  out.registry_lease_renew_interval = nanos(config_.registry.lease_renew_interval);
  out.ignore_registry_replication = config_.registry.ignore_replication_for_testing;
  out.wall_at_start = clock_.wall_now();
  return out;
}

Result<void> NodeImpl::init(Config config, std::shared_ptr<runtime::LoopThread> loop) {
  if (auto valid = config.validate(); !valid) return valid;
  config_ = std::move(config);
  loop_thread_ = std::move(loop);
  loop_ = &loop_thread_->loop();
  finished_future_ = finished_promise_.get_future().share();
  log_ = runtime::make_stderr_logger(config_.node_name, config_.log_level, config_.log_format);
  if (auto guarded = guard_files(); !guarded) return guarded;
  if (auto loaded = load_identity(); !loaded) return loaded;
  auto pins = runtime::load_pins(config_.data_dir);
  if (!pins) return Unexpected(pins.error());
  for (const std::string& warning : pins->warnings) log_->warn("trust store: {}", warning);
  auth::TrustStore trust;
  for (const auto& [peer, key] : pins->pins) {
    if (auto pinned = trust.pin(peer, auth::PublicKey{key}); !pinned) {
      return Unexpected(pinned.error());
    }
  }
  trust.set_mode(config_.trust_mode == TrustMode::strict ? auth::TrustMode::strict
                                                         : auth::TrustMode::tofu);
  auto listen = core::SocketAddress::parse(config_.listen_address);
  if (!listen) return fail(Errc::invalid_argument, "listen_address: " + listen.error().message);
  auto socket = runtime::UdpSocket::bind(*listen);
  if (!socket) return Unexpected(socket.error());
  socket_ = std::make_unique<runtime::UdpSocket>(std::move(socket).value());
  local_ = socket_->local_address();
  do {
    incarnation_ = rng_.next_u64();
  } while (incarnation_ == 0);
  auto engine = engine_config();
  if (!engine) return Unexpected(engine.error());
  engine_ = std::make_unique<node::Engine>(std::move(engine).value(), *keys_, std::move(trust));
  transport::TransportConfig transport;
  transport.max_connections = config_.max_connections;
  transport.max_handshakes = config_.max_handshakes;
  transport.idle_timeout = config_.idle_timeout;
  transport.keep_alive = config_.keep_alive;
  transport.stream_send_buffer = config_.send_buffer_limit;
  transport.max_app_streams_inbound = config_.streams.max_inbound_per_peer;
  transport.app_stream_window = config_.streams.window;
  transport.app_stream_send_buffer = config_.streams.send_buffer;
  transport.static_secret = reset_secret_;
  transport.disable_active_migration = config_.disable_active_migration;
  endpoint_ = std::make_unique<transport::Endpoint>(transport, *certificate_, rng_, *this, local_);
  workers_ = std::make_unique<runtime::WorkerPool>(config_.worker_threads);
  files_ = runtime::FileWriter::shared();
  if (!config_.endpoint_dir.empty()) {
    // What peers should dial: the advertise address when set (required on a wildcard).
    runtime::write_endpoint_file(config_.endpoint_dir, config_.node_name,
                                 engine_->config().advertise_address, *log_);
  }
  auto attached = call_on_loop([this]() -> Result<void> {
    if (auto added =
            loop_->add_fd(socket_->fd(), EPOLLIN, [this](std::uint32_t) { on_socket_readable(); });
        !added) {
      return added;
    }
    engine_->on_timeout(now());  // configured contacts are tried at once
    return {};
  });
  if (!attached) return attached;
  attached_ = true;
  log_->info("node {} listening on {} (key {})", config_.node_name, local_.to_string(),
             auth::fingerprint(keys_->public_key()));
  return {};
}

NodeImpl::~NodeImpl() {
  stream_releaser_->detach();  // Stream handles dropped from now on leave the node alone
  stop();
  // Jobs posted before now may still refer to this node: let the loop run them first (they
  // find the node finished and do nothing).
  std::promise<void> barrier;
  auto passed = barrier.get_future();
  if (loop_ != nullptr && loop_->post([&barrier] { barrier.set_value(); })) passed.wait();
  endpoint_.reset();  // refers to certificate_, rng_ and this
}

// ---- the turn --------------------------------------------------------------------------------

void NodeImpl::on_socket_readable() {
  const core::Instant at = now();
  turn_started_ = at;
  // While tagged streams are open, a datagram that gave the Engine work (a message, a call, a
  // reply) ends the reading: the turn runs that work before the datagrams behind it, often a
  // stream's bulk (pause_reading()). The socket holds the rest of its batch for the next turn.
  const auto pause = [this] { return pause_reading(); };
  for (int batch = 0; batch < kMaxReadBatches; ++batch) {
    auto received = socket_->receive_batch(
        [&](const core::SocketAddress& from, core::ByteView data, std::uint8_t ecn) {
          endpoint_->handle_datagram(at, from, data, ecn);
        },
        pause);
    // A batch with slots to spare emptied the socket's queue: a datagram arriving since is
    // reported by the next wait (level-triggered), so no recvmmsg that finds nothing.
    if (!received || *received == 0 || pause() || !socket_->filled_last_batch()) break;
  }
  turn();
  // Held datagrams are no longer the kernel's: epoll will not report them. (Should the post
  // fail, the loop being full, the next datagram's readiness delivers them first.)
  if (!finished_ && socket_->holds_datagrams()) {
    (void)loop_->post([this] {
      if (!finished_) on_socket_readable();
    });
  }
}

void NodeImpl::on_deadline() {
  timer_deadline_ = core::Instant::never();
  const core::Instant at = now();
  turn_started_ = at;
  endpoint_->on_timeout(at);
  if (engine_->next_deadline() <= at) engine_->on_timeout(at);
  turn();
}

void NodeImpl::request_turn() {
  if (!on_loop_thread()) {
    (void)loop_->post([this] { request_turn(); });
    return;
  }
  if (turn_pending_ || finished_) return;
  turn_pending_ = true;
  if (!loop_->post([this] { turn(); })) turn_pending_ = false;  // full: the next input turns
}

void NodeImpl::turn() {
  if (finished_) return;
  const core::Instant started = turn_started_.is_never() ? now() : turn_started_;
  turn_started_ = core::Instant::never();
  turn_pending_ = true;  // work asked for during this turn is seen by its rounds
  bool more = false;
  for (int round = 0; round < kTurnRounds; ++round) {
    // Frames the Engine queued (forwarded gossip, its own answers) leave before user code
    // runs. When it queued none, the ACKs for what arrived wait for the user work: what the
    // handlers send (a reply, the next call) then leaves in the same packet (decision 0029).
    if (drain_commands()) endpoint_->flush(now(), *this);
    if (!pending_streams_.empty()) settle_pending_streams();  // links authenticated since
    const bool ran = run_user_work();
    if (ran) drain_commands();
    endpoint_->flush(now(), *this);
    close_retired_sockets();
    more = engine_->has_commands() || !user_work_.empty() || !run_queue_.empty() ||
           !stream_work_.empty();
    if (!ran && !more) break;
  }
  turn_pending_ = false;
  loop_turns_.record(now() - started);
  if (more) request_turn();  // yield to the network, then continue
  if (stopping_ && endpoint_->connection_count() == 0) finish_shutdown();
  if (!finished_) rearm_timer();
}

void NodeImpl::flush_now() {
  if (finished_) return;
  drain_commands();
  endpoint_->flush(now(), *this);
}

bool NodeImpl::run_user_work() {
  bool ran = complete_service_queries();
  ran = run_stream_work() || ran;
  // Only what is queued now: work queued by these callbacks waits for the next round, after
  // its commands were carried out.
  for (std::size_t count = user_work_.size(); count > 0 && !user_work_.empty(); --count) {
    node::Command work = std::move(user_work_.front());
    user_work_.pop_front();
    ran = true;
    if (auto* done = std::get_if<node::CallDone>(&work)) {
      complete_call(done->ref, std::move(done->result));
    } else if (auto* rpc = std::get_if<node::RunRpc>(&work)) {
      run_rpc(std::move(rpc->request));
    } else if (auto* event = std::get_if<node::EmitEvent>(&work)) {
      config_.event_handler(std::move(event->event));
    } else if (auto* membership = std::get_if<node::EmitMembership>(&work)) {
      subscriptions_->deliver(membership->event);
    } else if (auto* broadcast = std::get_if<node::EmitBroadcast>(&work)) {
      subscriptions_->deliver(broadcast->message);
    } else if (auto* service = std::get_if<node::EmitService>(&work)) {
      subscriptions_->deliver(service->event);
    }
  }
  return run_processes() || ran;
}

void NodeImpl::rearm_timer() {
  const core::Instant deadline = std::min(endpoint_->next_deadline(), engine_->next_deadline());
  if (deadline == timer_deadline_) return;
  if (!timer_deadline_.is_never()) loop_->cancel(timer_);
  timer_deadline_ = deadline;
  if (!deadline.is_never()) timer_ = loop_->schedule(deadline, [this] { on_deadline(); });
}

// ---- transport events: straight into the Engine ------------------------------------------

void NodeImpl::on_connected(transport::ConnectionId id, const transport::ConnectionInfo& info) {
  engine_->handle_connected(now(), clock_.wall_now(), id.value,
                            info.role == transport::Role::client, info.server_cert_sha256,
                            info.remote.to_string());
}

void NodeImpl::on_stream_data(transport::ConnectionId id, transport::StreamKind kind,
                              core::ByteView data) {
  engine_->handle_stream_data(now(), clock_.wall_now(), id.value, to_engine(kind), data);
}

void NodeImpl::on_writable(transport::ConnectionId id, transport::StreamKind kind) {
  engine_->handle_writable(now(), id.value, to_engine(kind));
  // Off-loop sends that waited for room go next (posted: this runs inside the endpoint).
  (void)loop_->post([this] {
    if (!finished_) drain_inbox();
  });
}

void NodeImpl::on_closed(transport::ConnectionId id, transport::CloseReason reason,
                         const std::string& detail) {
  std::string text(transport::close_reason_name(reason));
  if (!detail.empty() && reason != transport::CloseReason::local) text += ": " + detail;
  log_->debug("connection {} closed: {}", id.value, text);
  migration_connection_closed(id.value);
  close_streams_of(id.value, text);
  engine_->handle_closed(now(), id.value, text);
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

// ---- stopping ----------------------------------------------------------------------------

void NodeImpl::begin_shutdown() {
  if (stopping_ || finished_) return;
  stopping_ = true;
  engine_->shutdown(now());
  grace_timer_ = loop_->schedule(now() + kShutdownGrace, [this] {
    grace_timer_ = {};
    finish_shutdown();
  });
  turn();
}

void NodeImpl::finish_shutdown() {
  if (finished_) return;
  drain_commands();  // the goodbyes and process ends the Engine still holds
  endpoint_->close_all(now(), *this);
  run_user_work();  // calls failed by the stop complete their futures
  finish("node stopped");
}

void NodeImpl::finish(const std::string& why) {
  finished_ = true;
  loop_->cancel(timer_);
  loop_->cancel(grace_timer_);
  loop_->remove_fd(socket_->fd());
  finish_migrations(why);
  for (auto& [connection, waiter] : waiters_) waiter.set_value(fail(Errc::closed, why));
  waiters_.clear();
  for (auto& [ref, promise] : call_promises_) promise.set(fail(Errc::closed, why));
  call_promises_.clear();
  for (auto& [query, promise] : service_promises_) promise.set(fail(Errc::closed, why));
  service_promises_.clear();
  close_all_streams(why);
  finished_promise_.set_value();
}

void NodeImpl::wait_finished() {
  finished_future_.wait();
  workers_->stop();
  files_->flush();  // the pins this node learned are on disk when stop() returns
  std::lock_guard lock(events_mutex_);
  events_ready_.notify_all();
}

void NodeImpl::stop() {
  {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_.exchange(true) || !attached_) return;  // never started: nothing to stop
  }
  if (!loop_->post([this] { begin_shutdown(); })) {
    (void)loop_->post([this] { finish_shutdown(); });
  }
  wait_finished();
  if (!config_.endpoint_dir.empty()) {
    runtime::remove_endpoint_file(config_.endpoint_dir, config_.node_name);
  }
  data_dir_lock_.release();  // pins are on disk (wait_finished): the next node may start
}

void NodeImpl::abort() {
  {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_.exchange(true) || !attached_) return;
  }
  (void)loop_->post([this] {
    if (finished_) return;
    engine_->abort();  // no goodbyes: the connections just go silent
    while (auto command = engine_->poll_command()) {
      // Only the local side of the crash: processes end, calls fail. Nothing is sent.
      if (std::holds_alternative<node::ProcessEnded>(*command) ||
          std::holds_alternative<node::CallDone>(*command)) {
        execute(std::move(*command));
      }
    }
    run_user_work();
    finish("node aborted");
    socket_.reset();  // nothing answers on the port any more
  });
  wait_finished();
  data_dir_lock_.release();
}

}  // namespace barrel_p2p
