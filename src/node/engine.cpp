// Engine: construction, transport input, link events, application frames and output.
// On-demand connections are in engine_dialer.cpp, membership in engine_membership.cpp.
#include "node/engine.hpp"

#include <utility>

#include "proto/auth/contact.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p::node {

namespace {
// Rounds of internal settling per input: link output can close links, which produce more
// link output and membership work. Each round drains everything, so a few always suffice;
// the bound only stops a bug from spinning the loop.
constexpr int kSettleRounds = 16;
// The output arena keeps at most this much capacity once drained (a large frame's buffer is
// not kept for the node's lifetime: there can be 1,000 nodes in a process).
constexpr std::size_t kArenaKeep = 256 * 1024;
// A frame at least this large gets a buffer of its own, which the driver moves into the
// transport: large payloads are copied once on their way out, and the arena stays small.
constexpr std::size_t kOwnedFrameMin = 4096;
// Small frames for one stream share a Transmit up to this many bytes, so a stream whose
// buffer is full hands back batches of a bounded size.
constexpr std::size_t kTransmitBatchMax = 64 * 1024;

barrel_p2p::Channel to_public(Channel channel) {
  return channel == Channel::control ? barrel_p2p::Channel::control : barrel_p2p::Channel::data;
}
}  // namespace

Engine::Engine(EngineConfig config, const auth::KeyPair& keys, auth::TrustStore trust)
    : config_(std::move(config)),
      rng_(config_.seed),
      keys_(keys),
      trust_(std::move(trust)),
      links_(config_.links, config_.node_name, keys_, trust_),
      router_(config_.node_name, config_.incarnation, *this),
      membership_(config_.membership,
                  hyparview::PeerInfo{config_.node_name, config_.advertise_address}, rng_),
      broadcast_(config_.broadcast, config_.node_name, rng_),
      pending_contacts_(config_.contacts),
      wall_(config_.wall_at_start),
      registry_(config_.registry, config_.node_name, config_.wall_at_start),
      // Request ids differ between runs (the start time) and nodes (the seed), so a restarted
      // node's walks are not taken for duplicates its peers remember.
      route_(config_.route,
             (config_.seed * 0x9e3779b97f4a7c15ULL) ^
                 (static_cast<std::uint64_t>(config_.wall_at_start.unix_millis) << 20U)) {
  links_.set_frame_sink(this);
  require_configured_contacts();
}

void Engine::require_configured_contacts() {
  // Contact strings in the configuration (join contacts, the address book) name keys that
  // every link with those names must prove, accepted or dialed (decision 0024).
  // Config::validate() refused malformed ones and one name with two keys.
  std::vector<std::string_view> texts(config_.contacts.begin(), config_.contacts.end());
  for (const auto& [node, address] : config_.node_addresses) texts.push_back(address);
  for (std::string_view text : texts) {
    if (!auth::is_contact_string(text)) continue;
    auto contact = auth::parse_contact(text);
    if (!contact || !contact->peer) continue;
    if (auto required = trust_.require(contact->peer->name, contact->peer->key_sha256); !required) {
      log(3, "contact " + std::string(text) + " not required: " + required.error().message);
    }
  }
}

Engine::~Engine() = default;

// ---- transport events ----------------------------------------------------------------------

void Engine::handle_connected(core::Instant now, core::WallTime wall, std::uint64_t connection,
                              bool is_client,
                              const std::array<std::uint8_t, 32>& server_cert_sha256,
                              const std::string& address) {
  now_ = now;
  wall_ = std::max(wall_, wall);
  std::optional<auth::ExpectedPeer> expected;
  if (auto it = expected_peers_.find(connection); it != expected_peers_.end()) {
    expected = std::move(it->second);
    expected_peers_.erase(it);
  }
  const bool takeover = takeovers_.erase(connection) > 0;
  links_.on_connected(now, wall, rng_, connection, is_client, server_cert_sha256, address,
                      std::move(expected), takeover);
  settle(now);
}

void Engine::handle_stream_data(core::Instant now, core::WallTime wall, std::uint64_t connection,
                                Channel channel, core::ByteView data) {
  now_ = now;
  wall_ = std::max(wall_, wall);
  links_.on_stream_data(now, wall, rng_, connection, channel, data);
  settle(now);
}

void Engine::handle_closed(core::Instant now, std::uint64_t connection, const std::string& reason) {
  now_ = now;
  links_.on_closed(connection, reason);
  connection_closed(connection);
  user_connections_.erase(connection);
  expected_peers_.erase(connection);
  takeovers_.erase(connection);
  commands_.emplace_back(ConnectionOutcome{
      connection, fail(Errc::closed, "connection closed before authentication (" + reason + ")")});
  settle(now);
}

void Engine::handle_link_flushed(core::Instant now, std::uint64_t connection) {
  now_ = now;
  end_draining(connection);
  settle(now);
}

void Engine::handle_writable(core::Instant now, std::uint64_t connection, Channel channel) {
  now_ = now;
  for (auto& [node, state] : peer_states_) {
    if (state->connection != connection) continue;
    state->blocked[static_cast<std::size_t>(channel)] = false;
    flush_peer(node, *state);
  }
  settle(now);
}

void Engine::handle_transmit_blocked(core::Instant now, std::uint64_t connection, Channel channel,
                                     core::Bytes frame) {
  now_ = now;
  for (auto& [node, state] : peer_states_) {
    if (state->connection != connection) continue;
    auto index = static_cast<std::size_t>(channel);
    state->blocked[index] = true;
    // Behind the frames handed back before it in this drain, ahead of anything newer: the
    // Engine queued nothing newer for a stream it did not know was blocked.
    // Its activity was counted when it was first written.
    state->queued_bytes += frame.size();
    state->queues[index].push_back({std::move(frame), false});
    return;
  }
  ++stats_.dropped_connection_lost;  // the link is gone: its frames go with it
}

void Engine::handle_pin_persisted(core::Instant now, const PersistPin& pin, Result<void> written) {
  if (written) return;  // the pin already holds: nothing waits for the file
  now_ = now;
  ++stats_.pins_not_persisted;
  const std::string& peer = pin.peer;
  const std::string address = known_address(peer).value_or("");
  log(4, "dropping the " + std::string(pin.previous ? "rotated" : "first-contact") + " pin of " +
             peer + ": " + written.error().message);
  // Only the pin this write was for: an explicit pin made meanwhile stays. A rotated pin goes
  // back to the key its file still holds.
  if (auto pinned = trust_.lookup(peer); pinned && pinned->bytes == pin.key) {
    if (pin.previous) {
      (void)trust_.replace(peer, *pinned, auth::PublicKey{*pin.previous});
    } else {
      (void)trust_.unpin(peer);
    }
  }
  if (!address.empty()) auth_failed_at(address);  // its reconnects back off like failures
  (void)links_.disconnect(peer, "pin_not_persisted");
  commands_.emplace_back(
      EmitEvent{AuthFailure{address, peer, "pin_not_persisted", written.error().message, true}});
  settle(now);
}

void Engine::handle_delivery_refused(std::uint64_t process, Envelope&& envelope) {
  router_.delivery_refused(process, std::move(envelope));
}

// ---- peer links ----------------------------------------------------------------------------

template <typename Now, typename Later>
Result<void> Engine::send_peer_with(std::string_view peer, Channel channel, std::size_t size,
                                    Now&& now, Later&& later) {
  if (stopping_) return fail(Errc::closed, "node is stopping");
  auto connection = links_.route(peer);
  if (!connection) return Unexpected(connection.error());
  PeerState& state = state_of(std::string(peer));
  auto index = static_cast<std::size_t>(channel);
  ++state.activity;  // application traffic: the reaper treats the link as on-demand
  ++state.process_frames;
  if (state.queues[index].empty() && !state.blocked[index] && state.draining == 0) {
    state.connection = *connection;
    now(*connection);
    return {};
  }
  if (state.queued_bytes + size > config_.peer_queue_limit) {
    return fail(Errc::limit_reached, "send queue towards " + std::string(peer) + " is full (" +
                                         std::to_string(config_.peer_queue_limit) + " bytes)");
  }
  core::Bytes frame = later();
  state.queued_bytes += frame.size();
  state.queues[index].push_back({std::move(frame), false});
  return {};
}

Result<void> Engine::send_peer(std::string_view peer, Channel channel, core::ByteView payload) {
  const auto type = channel == Channel::control ? wire::FrameType::control : wire::FrameType::data;
  return send_peer_with(
      peer, channel, payload.size(),
      [&](std::uint64_t connection) { push_transmit(connection, channel, type, payload); },
      [&] {
        core::Bytes frame;
        wire::encode_frame(frame, type, payload);
        return frame;
      });
}

Result<void> Engine::send_peer_frame(std::string_view peer, Channel channel, core::ByteView frame) {
  return send_peer_with(
      peer, channel, frame.size(),
      [&](std::uint64_t connection) {
        ++stats_.messages_sent;
        push_transmit_frame(connection, channel, frame);
      },
      [&] { return core::Bytes(frame.begin(), frame.end()); });
}

Result<void> Engine::send_peer_frame(std::string_view peer, Channel channel, core::Bytes& frame) {
  return send_peer_with(
      peer, channel, frame.size(),
      [&](std::uint64_t connection) {
        ++stats_.messages_sent;
        push_transmit_frame(connection, channel, std::move(frame));
      },
      [&] { return std::move(frame); });
}

Result<void> Engine::disconnect(std::string_view peer, std::string_view reason) {
  auto done = links_.disconnect(peer, reason);
  settle(now_);
  return done;
}

void Engine::handle_user_connect(std::uint64_t connection,
                                 std::optional<auth::ExpectedPeer> expected) {
  user_connections_.insert(connection);
  if (expected) expected_peers_[connection] = std::move(*expected);
}

// ---- processes -----------------------------------------------------------------------------

std::uint64_t Engine::call(core::Instant now, const Pid& from, const Pid& to,
                           core::ByteView request, core::Duration timeout) {
  now_ = now;
  auto ref = router_.call(now, from, to, request, timeout);
  settle(now);
  return ref;
}

std::uint64_t Engine::rpc(core::Instant now, const Pid& from, std::string_view node,
                          std::string_view function, core::ByteView payload,
                          core::Duration timeout) {
  now_ = now;
  auto ref = router_.rpc(now, from, node, function, payload, timeout);
  settle(now);
  return ref;
}

void Engine::finish_rpc(const RpcRequest& request, Result<core::Bytes> result) {
  router_.finish_rpc(request, std::move(result));
  settle(now_);
}

Result<void> Engine::add_function(std::string_view name) {
  if (functions_.contains(name)) {
    return fail(Errc::already_exists, "function '" + std::string(name) + "' is registered");
  }
  if (functions_.size() >= config_.function_limit) {
    return fail(Errc::limit_reached, "at most " + std::to_string(config_.function_limit) +
                                         " functions can be registered");
  }
  functions_.emplace(name);
  return {};
}

Result<void> Engine::remove_function(std::string_view name) {
  auto it = functions_.find(name);
  if (it == functions_.end()) {
    return fail(Errc::not_found, "function '" + std::string(name) + "' is not registered");
  }
  functions_.erase(it);
  return {};
}

bool Engine::deliver(std::uint64_t id, Envelope&& envelope) {
  commands_.emplace_back(Deliver{id, std::move(envelope)});
  return true;  // a full mailbox comes back through handle_delivery_refused()
}

void Engine::process_ended(std::uint64_t id, const ExitReason& reason) {
  commands_.emplace_back(ProcessEnded{id, reason});
  registered_process_ended(Pid{config_.node_name, id, config_.incarnation}, reason);
}

Result<void> Engine::send_frame(const std::string& node, core::ByteView frame) {
  return send_link_frame(node, wire::FrameType::process, frame);
}

bool Engine::run_function(RpcRequest&& request) {
  if (!functions_.contains(request.function)) return false;
  commands_.emplace_back(RunRpc{std::move(request)});
  return true;
}

void Engine::call_done(std::uint64_t ref, Result<core::Bytes> result) {
  commands_.emplace_back(CallDone{ref, std::move(result)});
}

// ---- lifecycle -----------------------------------------------------------------------------

void Engine::shutdown(core::Instant now) {
  now_ = now;
  // The registry deltas of the processes about to end are our last broadcasts: push them to
  // every neighbour, since none could GRAFT them from us once we are gone.
  broadcast_.leaving();
  router_.shutdown(ExitReason{ExitCode::shutdown, "node stopping"});
  route_shutdown();
  pump_membership(now);    // the registry deltas of ended processes go out first
  membership_.leave(now);  // then DISCONNECT(leaving) to the active view
  pump_membership(now);
  stopping_ = true;
  views_on_timeout(now);  // gathers in flight finish with what they have
  for (const std::string& peer : links_.peers()) (void)links_.disconnect(peer, "node stopping");
  settle(now);
}

void Engine::abort() {
  stopping_ = true;
  router_.shutdown(ExitReason{ExitCode::shutdown, "node aborted"});
  route_shutdown();
}

core::Instant Engine::next_deadline() const {
  core::Instant deadline =
      std::min({links_.next_deadline(), router_.next_deadline(), dialer_deadline(),
                membership_.next_deadline(), broadcast_.next_deadline(), contacts_deadline(),
                registry_deadline(), views_deadline()});
  if (next_sweep_.is_never() && config_.reaper_interval.count() > 0) {
    deadline = std::min(deadline, now_);  // the first sweep is scheduled on the first timeout
  }
  return deadline;
}

void Engine::on_timeout(core::Instant now) {
  now_ = now;
  links_.on_timeout(now);
  router_.on_timeout(now);
  check_dial_deadlines(now);
  sweep_idle(now);
  if (membership_.next_deadline() <= now) membership_.on_timeout(now);
  if (broadcast_.next_deadline() <= now) broadcast_.on_timeout(now);
  try_contacts(now);
  registry_on_timeout(now);
  views_on_timeout(now);
  settle(now);
}

// ---- output --------------------------------------------------------------------------------

std::optional<Command> Engine::poll_command() {
  if (commands_.empty()) {
    if (arena_.capacity() > kArenaKeep) {
      core::Bytes().swap(arena_);
    } else {
      arena_.clear();
    }
    return std::nullopt;
  }
  Command command = commands_.take_front();
  if (auto* transmit = std::get_if<Transmit>(&command);
      transmit != nullptr && transmit->owned.empty()) {
    const PendingTransmit pending = transmits_.take_front();
    transmit->frame = core::ByteView(arena_.data() + pending.offset, pending.size);
  }
  return command;
}

void Engine::push_transmit(std::uint64_t connection, Channel channel, wire::FrameType type,
                           core::ByteView payload) {
  ++stats_.messages_sent;
  if (payload.size() >= kOwnedFrameMin) {
    core::Bytes frame;
    frame.reserve(payload.size() + 16);  // a header is two varints of at most 8 bytes
    wire::encode_frame(frame, type, payload);
    push_transmit_frame(connection, channel, std::move(frame));
    return;
  }
  const std::size_t offset = arena_.size();
  wire::encode_frame_header(arena_, type, payload.size());
  arena_.insert(arena_.end(), payload.begin(), payload.end());
  push_arena_transmit(connection, channel, offset);
}

void Engine::push_transmit_frame(std::uint64_t connection, Channel channel, core::ByteView frame) {
  const std::size_t offset = arena_.size();
  arena_.insert(arena_.end(), frame.begin(), frame.end());
  push_arena_transmit(connection, channel, offset);
}

void Engine::push_transmit_frame(std::uint64_t connection, Channel channel, core::Bytes&& frame) {
  if (frame.size() < kOwnedFrameMin) {
    push_transmit_frame(connection, channel, core::ByteView(frame));
    return;
  }
  const core::ByteView view(frame);  // a vector's buffer survives the move below
  commands_.emplace_back(Transmit{connection, channel, view, std::move(frame)});
}

void Engine::push_arena_transmit(std::uint64_t connection, Channel channel, std::size_t offset) {
  const std::size_t size = arena_.size() - offset;
  if (!commands_.empty() && !transmits_.empty()) {
    auto* last = std::get_if<Transmit>(&commands_.back());
    PendingTransmit& pending = transmits_.back();
    if (last != nullptr && last->owned.empty() && pending.connection == connection &&
        pending.channel == channel && pending.offset + pending.size == offset &&
        pending.size + size <= kTransmitBatchMax) {
      pending.size += size;
      return;
    }
  }
  transmits_.push_back({connection, channel, offset, size});
  commands_.emplace_back(Transmit{connection, channel, {}, {}});
}

void Engine::log(int level, std::string text) {
  if (logs(level)) commands_.emplace_back(Log{level, std::move(text)});
}

EngineStats Engine::stats() const {
  EngineStats out = stats_;
  out.learned_addresses = learned_addresses_.size();
  for (const auto& [node, state] : peer_states_) out.queued_frames += state->queued_frames();
  return out;
}

Engine::NodeQueue Engine::queue_towards(const std::string& node) const {
  auto it = peer_states_.find(node);
  if (it == peer_states_.end()) return {};
  return NodeQueue{it->second->queued_frames(), it->second->dialing};
}

// ---- link outputs and frames ---------------------------------------------------------------

void Engine::settle(core::Instant now) {
  for (int round = 0; round < kSettleRounds; ++round) {
    bool moved = links_.has_output();
    apply_link_outputs(now);
    moved = pump_membership(now) || moved;
    if (!moved && !links_.has_output()) return;
  }
}

void Engine::apply_link_outputs(core::Instant now) {
  while (auto command = links_.poll_command()) {
    if (auto* send = std::get_if<SendBytes>(&*command)) {
      push_transmit_frame(send->connection, send->channel, send->bytes);  // not a message
    } else {
      auto& close = std::get<CloseConnection>(*command);
      commands_.emplace_back(Close{close.connection, close.code, std::move(close.reason)});
    }
  }
  while (auto event = links_.poll_event()) handle_link_event(now, std::move(*event));
}

void Engine::handle_link_event(core::Instant now, LinkEvent&& event) {
  if (auto* authenticated = std::get_if<LinkAuthenticated>(&event)) {
    if (authenticated->rotated_from) key_rotated(*authenticated);
    commands_.emplace_back(ConnectionOutcome{authenticated->connection, authenticated->peer});
    dials_.erase(authenticated->connection);
    // Also when this link then loses a simultaneous-dial race: the peer is what was asked for.
    if (user_connections_.erase(authenticated->connection) > 0) {
      state_of(authenticated->peer).kept = true;
    }
    join_linked(now, authenticated->connection, authenticated->peer);
  } else if (auto* up = std::get_if<PeerUp>(&event)) {
    peer_up(now, std::move(*up));
  } else if (auto* down = std::get_if<PeerDown>(&event)) {
    peer_down(now, std::move(*down));
  } else if (auto* retired = std::get_if<LinkRetired>(&event)) {
    log(1, "duplicate link " + std::to_string(retired->connection) + " to " + retired->peer +
               " retired");
    link_retired(retired->peer, retired->connection);
  } else if (auto* frame = std::get_if<FrameReceived>(&event)) {
    on_frame(frame->peer, frame->type, std::move(frame->payload));
  } else {
    auto& failed = std::get<AuthFailed>(event);
    const std::string reason(wire::auth_failure_name(failed.reason));
    // Our own dials (contacts, on-demand, membership) back off from an address that fails.
    if (dials_.contains(failed.connection) || joins_.contains(failed.connection)) {
      auth_failed_at(failed.address);
    }
    log(3, "authentication " + std::string(failed.local ? "rejected" : "refused by peer") +
               " with " + failed.address + " (" + (failed.peer.empty() ? "?" : failed.peer) +
               "): " + reason + " " + failed.detail);
    commands_.emplace_back(ConnectionOutcome{
        failed.connection,
        fail(Errc::auth_failed, reason + (failed.detail.empty() ? "" : ": " + failed.detail))});
    commands_.emplace_back(
        EmitEvent{AuthFailure{failed.address, failed.peer, reason, failed.detail, failed.local}});
  }
}

void Engine::key_rotated(const LinkAuthenticated& link) {
  // Decision 0023: the session accepted the record only from the pin it saw at the HELLO; a
  // pin changed since (an explicit pin or unpin) is never overwritten.
  const auth::PublicKey& from = *link.rotated_from;
  auto moved = trust_.replace(link.peer, from, link.key);
  std::optional<std::array<std::uint8_t, 32>> previous = from.bytes;
  if (!moved && moved.error().code == Errc::not_found) {  // unpinned meanwhile: a first contact
    moved = trust_.pin(link.peer, link.key);
    previous.reset();
  }
  if (!moved) {
    log(3, "dropping " + link.peer + ": " + moved.error().message);
    (void)links_.disconnect(link.peer, "key conflicts with a pin made meanwhile");
    return;
  }
  ++stats_.pins_rotated;
  commands_.emplace_back(PersistPin{link.peer, link.key.bytes, previous});
  log(3, "moving the pin of " + link.peer + " from " + auth::fingerprint(from) + " to " +
             auth::fingerprint(link.key) + " (rotation record signed by both keys)");
}

void Engine::peer_up(core::Instant /*now*/, PeerUp&& up) {
  const std::string print = auth::fingerprint(up.key);
  if (up.newly_trusted) {
    if (auto pinned = trust_.pin(up.peer, up.key); !pinned) {
      // Two first contacts raced with different keys: the first pin wins, this link goes.
      log(3, "dropping " + up.peer + " at " + up.address + ": " + pinned.error().message);
      (void)links_.disconnect(up.peer, "key conflicts with a pin made meanwhile");
      return;
    }
    commands_.emplace_back(PersistPin{up.peer, up.key.bytes, std::nullopt});
    log(2, "trusting " + up.peer + " on first use (" + print + ")");
  }
  log(2, "peer " + up.peer + " up at " + up.address);
  auth_succeeded_at(up.address);
  peer_linked(up.peer, up.address);
  commands_.emplace_back(
      EmitEvent{barrel_p2p::PeerUp{up.peer, print, up.address, up.newly_trusted}});
}

void Engine::peer_down(core::Instant now, PeerDown&& down) {
  log(2, "peer " + down.peer + " down: " + down.reason);
  peer_lost(down.peer);
  views_peer_lost(down.peer);
  membership_.on_link_down(now, down.peer);
  commands_.emplace_back(EmitEvent{barrel_p2p::PeerDown{down.peer, std::move(down.reason)}});
}

void Engine::on_frame(const std::string& peer, wire::FrameType type, core::Bytes&& payload) {
  ++stats_.messages_received;
  if (auto state = peer_states_.find(peer); state != peer_states_.end()) {
    ++state->second->activity;
    // Application frames (process, control, data) make a link more than a gossip link: the
    // reaper then waits reaper_interval and reaper_min_age before closing it.
    if (type == wire::FrameType::process || type == wire::FrameType::control ||
        type == wire::FrameType::data) {
      ++state->second->process_frames;
    }
    if (type != wire::FrameType::control && type != wire::FrameType::data) {
      ++state->second->engine_frames;
    }
  }
  switch (type) {
    case wire::FrameType::process:
      if (auto handled = router_.on_frame(now_, peer, payload); !handled) {
        close_on_violation(peer, "", handled.error().message);
      }
      return;
    case wire::FrameType::control:
      commands_.emplace_back(
          EmitEvent{Message{peer, to_public(Channel::control), std::move(payload)}});
      return;
    case wire::FrameType::data:
      commands_.emplace_back(
          EmitEvent{Message{peer, to_public(Channel::data), std::move(payload)}});
      return;
    case wire::FrameType::membership: on_membership_frame(peer, payload); return;
    case wire::FrameType::broadcast: on_broadcast_frame(peer, payload); return;
    case wire::FrameType::registry: on_registry_frame(peer, payload); return;
    case wire::FrameType::views: on_views_frame(peer, payload); return;
    case wire::FrameType::path: on_path_frame(peer, payload); return;
    default:
      log(1, "ignoring a " + std::string(wire::frame_type_name(type)) + " frame from " + peer);
      return;
  }
}

void Engine::close_on_violation(const std::string& peer, std::string_view frame,
                                const std::string& why) {
  log(3, "closing the link to " + peer + ": " + std::string(frame) + why);
  (void)links_.disconnect(peer, "protocol violation: " + why);
}

Result<void> Engine::send_path_message(const std::string& peer, const wire::PathMessage& message) {
  return send_link_frame(peer, wire::FrameType::path, wire::encode_path_message(message));
}

void Engine::on_path_frame(const std::string& peer, core::ByteView payload) {
  auto message = wire::decode_path_message(payload);
  if (!message) {
    close_on_violation(peer, "path frame: ", message.error().message);
    return;
  }
  commands_.emplace_back(PathMessageReceived{peer, std::move(*message)});
}

void Engine::on_membership_frame(const std::string& peer, core::ByteView payload) {
  auto message = hyparview::decode(payload);
  if (!message) {
    close_on_violation(peer, "membership frame: ", message.error().message);
    return;
  }
  membership_.on_message(now_, peer, std::move(*message));
}

void Engine::on_broadcast_frame(const std::string& peer, core::ByteView payload) {
  // The configured limits, not the defaults: max_broadcast_size may be above 1 MiB.
  auto message = plumtree::decode(payload, broadcast_.config().message_limits());
  if (!message) {
    close_on_violation(peer, "broadcast frame: ", message.error().message);
    return;
  }
  broadcast_.on_message(now_, peer, std::move(*message));
}

}  // namespace barrel_p2p::node
