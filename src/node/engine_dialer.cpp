// Engine: on-demand connections and the idle reaper (SPEC §2.3). A frame for a node with no
// link is queued (bounded, in order) while the node's address is found and a connection
// opens and authenticates; the queue drains when the link is up and is dropped (counted) when
// the dial fails or times out. The reaper closes idle connections nobody needs.
#include <algorithm>

#include "node/engine.hpp"
#include "proto/auth/contact.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p::node {

namespace {
/// A link that only ever carried membership or broadcast messages, to a peer that is not an
/// active peer, is closed after this long without a frame (checked at this period).
constexpr core::Duration kGossipLinkIdle = std::chrono::seconds(5);
/// After an authentication failure with an address, no dial goes there for this long; each
/// further failure doubles the wait, up to kAuthBackoffMax (SPEC §2.2's passive-peer retry:
/// 1 s doubling to 5 min). A success forgets the address.
constexpr core::Duration kAuthBackoffBase = std::chrono::seconds(1);
constexpr core::Duration kAuthBackoffMax = std::chrono::minutes(5);
/// Addresses with a backoff remembered at most; at the bound the one whose wait ends first is
/// forgotten (it may then be dialed early, at worst once more per failure).
constexpr std::size_t kAuthBackoffEntriesMax = 4096;

/// The configured contact string of `node` (node_addresses, "name@host:port#SHA256:<hex>"),
/// parsed; empty for a plain "host:port" or no entry. Config::validate() checked it and its
/// name (the table key), so a parse failure here only means no contact string.
std::optional<auth::Contact> configured_contact(
    const std::map<std::string, std::string, std::less<>>& addresses, const std::string& node) {
  auto it = addresses.find(node);
  if (it == addresses.end() || !auth::is_contact_string(it->second)) return std::nullopt;
  auto contact = auth::parse_contact(it->second);
  if (!contact || !contact->peer || contact->peer->name != node) return std::nullopt;
  return std::move(contact).value();
}
}  // namespace

void Engine::auth_failed_at(const std::string& address) {
  if (!auth_backoff_.contains(address) && auth_backoff_.size() >= kAuthBackoffEntriesMax) {
    auto first = std::min_element(
        auth_backoff_.begin(), auth_backoff_.end(),
        [](const auto& a, const auto& b) { return a.second.retry_at < b.second.retry_at; });
    auth_backoff_.erase(first);
  }
  AuthBackoff& backoff = auth_backoff_[address];
  core::Duration wait = kAuthBackoffBase;
  for (std::uint32_t i = 0; i < backoff.failures && wait < kAuthBackoffMax; ++i) wait *= 2;
  backoff.failures = std::min<std::uint32_t>(backoff.failures + 1, 64);
  backoff.retry_at = now_ + std::min(wait, kAuthBackoffMax);
  log(2, "authentication with " + address + " failed " + std::to_string(backoff.failures) +
             " time(s) in a row: no dial there for " +
             std::to_string(std::min(wait, kAuthBackoffMax).count() / 1'000'000) + " ms");
}

void Engine::auth_succeeded_at(const std::string& address) {
  if (!auth_backoff_.empty()) auth_backoff_.erase(address);
}

bool Engine::backing_off(const std::string& address) {
  auto it = auth_backoff_.find(address);
  if (it == auth_backoff_.end() || it->second.retry_at <= now_) return false;
  ++stats_.dials_backed_off;
  return true;
}

Engine::PeerState& Engine::state_of(const std::string& node) {
  auto [it, inserted] = peer_states_.try_emplace(node);
  if (inserted) it->second = std::make_unique<PeerState>();
  return *it->second;
}

Result<void> Engine::send_link_frame(const std::string& node, wire::FrameType type,
                                     core::ByteView payload) {
  if (stopping_) return fail(Errc::closed, "node is stopping");
  if (node == config_.node_name || !wire::is_valid_name(node)) {
    return fail(Errc::invalid_argument, "not a remote node name: '" + node + "'");
  }
  PeerState& state = state_of(node);
  ++state.engine_frames;
  const auto channel = wire::is_control_stream_frame(type) ? Channel::control : Channel::data;
  const auto index = static_cast<std::size_t>(channel);
  auto& queue = state.queues[index];
  if (queue.empty() && state.draining == 0 && !state.blocked[index]) {
    if (auto connection = links_.route(node)) {
      state.connection = *connection;
      ++state.activity;
      if (type == wire::FrameType::process) ++state.process_frames;
      push_transmit(*connection, channel, type, payload);
      return {};
    }
    if (!state.dialing) {
      if (auto dialed = dial(node, state); !dialed) return dialed;
    }
  }
  if (state.queued_bytes + payload.size() > config_.node_queue_limit) {
    return fail(Errc::limit_reached, "queue towards node " + node + " is full (" +
                                         std::to_string(config_.node_queue_limit) + " bytes)");
  }
  core::Bytes frame;
  wire::encode_frame(frame, type, payload);
  state.queued_bytes += frame.size();
  queue.push_back({std::move(frame), type == wire::FrameType::process});
  return {};
}

std::optional<std::string> Engine::known_address(const std::string& node) const {
  if (auto it = learned_addresses_.find(node); it != learned_addresses_.end()) return it->second;
  if (auto contact = configured_contact(config_.node_addresses, node)) {
    return contact->address.to_string();  // the address part of a contact string
  }
  if (auto it = config_.node_addresses.find(node); it != config_.node_addresses.end()) {
    return it->second;
  }
  return std::nullopt;
}

void Engine::learn_address(const std::string& node, const std::string& address) {
  auto [it, inserted] = learned_addresses_.insert_or_assign(node, address);
  if (!inserted) return;
  learned_order_.push_back(node);
  // Bounded: the oldest-learned address is forgotten first (a later contact relearns it).
  while (learned_addresses_.size() > config_.learned_address_limit && !learned_order_.empty()) {
    const std::string oldest = std::move(learned_order_.front());
    learned_order_.pop_front();
    if (oldest != node && learned_addresses_.erase(oldest) > 0) {
      ++stats_.learned_addresses_forgotten;
    }
  }
}

void Engine::add_address(std::string_view node, std::string_view address) {
  learn_address(std::string(node), std::string(address));
}

Result<void> Engine::dial(const std::string& node, PeerState& state) {
  auto address = known_address(node);
  if (!address && !config_.endpoint_directory) {
    return fail(Errc::unreachable, "no address known for node " + node +
                                       " (add it to node_addresses, the endpoint directory "
                                       "or with add_address)");
  }
  std::optional<core::SocketAddress> numeric;
  if (address) {
    if (auto parsed = core::SocketAddress::parse(*address)) numeric = *parsed;
  }
  if (numeric && backing_off(numeric->to_string())) {
    return fail(Errc::unreachable, "authentication with node " + node + " at " +
                                       numeric->to_string() +
                                       " failed just before; its dials back off");
  }
  state.dialing = true;
  state.dial_deadline = now_ + config_.connect_timeout;
  ++stats_.on_demand_connects;
  if (address) {
    if (numeric) {
      dial_address(node, *numeric);
      return {};
    }
  }
  // A DNS name, or the endpoint directory: the driver looks it up off the loop.
  commands_.emplace_back(Resolve{node, address.value_or("")});
  return {};
}

void Engine::handle_resolved(core::Instant now, const std::string& node,
                             Result<core::SocketAddress> address) {
  now_ = now;
  if (!address) {
    dial_failed(node, address.error().message);
  } else if (backing_off(address->to_string())) {
    dial_failed(node, "authentication at " + address->to_string() + " failed just before");
  } else {
    dial_address(node, *address);
  }
  settle(now);
}

void Engine::dial_address(const std::string& node, const core::SocketAddress& address) {
  auto it = peer_states_.find(node);
  if (it == peer_states_.end() || !it->second->dialing) return;
  if (links_.route(node)) {  // linked meanwhile (the peer dialed us)
    peer_linked(node, address.to_string());
    return;
  }
  const std::uint64_t dial = next_dial_++;
  // A configured contact string names the identity that must answer, whichever address we
  // dial (a learned one too): the peer must prove that name and key, even on first contact.
  auto contact = configured_contact(config_.node_addresses, node);
  dial_purposes_[dial] = DialPurpose{node, {}, contact ? contact->peer : std::nullopt};
  commands_.emplace_back(Dial{dial, address, node});
  log(1, "dialing " + node + " at " + address.to_string());
}

void Engine::handle_dial_started(core::Instant now, std::uint64_t dial,
                                 Result<std::uint64_t> connection) {
  now_ = now;
  auto it = dial_purposes_.find(dial);
  if (it == dial_purposes_.end()) return;
  DialPurpose purpose = std::move(it->second);
  dial_purposes_.erase(it);
  if (!purpose.contact.empty()) {
    if (!connection) {
      log(1, "contact " + purpose.contact + ": " + connection.error().message);
    } else {
      joins_[*connection] = purpose.contact;
      if (purpose.expected) expected_peers_[*connection] = std::move(*purpose.expected);
    }
    return;
  }
  if (!connection) {
    dial_failed(purpose.node, connection.error().message);
  } else {
    dials_[*connection] = purpose.node;
    if (purpose.expected) expected_peers_[*connection] = std::move(*purpose.expected);
  }
  settle(now);
}

void Engine::dial_failed(const std::string& node, const std::string& why) {
  auto it = peer_states_.find(node);
  if (it == peer_states_.end()) return;
  PeerState& state = *it->second;
  if (!state.dialing) return;
  ++stats_.connects_failed;
  log(2, "could not connect to " + node + ": " + why);
  stats_.dropped_connection_lost += state.queued_frames();
  peer_states_.erase(it);
  router_.on_node_down(node);
  membership_.on_unreachable(now_, node);
}

void Engine::link_retired(const std::string& peer, std::uint64_t connection) {
  auto it = peer_states_.find(peer);
  if (it != peer_states_.end() && it->second->connection == connection) {
    it->second->draining = connection;
  }
}

void Engine::connection_closed(std::uint64_t connection) {
  joins_.erase(connection);  // a contact that did not answer: try_contacts() dials it again
  for (auto& [node, state] : peer_states_) {
    if (state->connection == connection) {
      state->connection = 0;
      state->blocked = {};
    }
  }
  end_draining(connection);
  auto it = dials_.find(connection);
  if (it == dials_.end()) return;
  std::string node = std::move(it->second);
  dials_.erase(it);
  auto state = peer_states_.find(node);
  if (state != peer_states_.end() && state->second->dialing && !links_.route(node)) {
    dial_failed(node, "connection closed before authentication");
  }
}

void Engine::end_draining(std::uint64_t connection) {
  for (auto& [node, state] : peer_states_) {
    if (state->draining == connection) {
      state->draining = 0;
      flush_peer(node, *state);
    }
  }
}

void Engine::peer_linked(const std::string& peer, const std::string& address) {
  learn_address(peer, address);  // one UDP port per node: its source is its address
  PeerState& state = state_of(peer);
  state.dialing = false;
  state.dial_deadline = core::Instant::never();
  if (!state.up) {
    state.up = true;
    state.up_since = now_;
  }
  flush_peer(peer, state);
}

void Engine::flush_peer(const std::string& node, PeerState& state) {
  if (state.draining != 0) return;  // resumed when the retired link closed
  auto connection = links_.route(node);
  if (!connection) return;
  if (state.connection != *connection) state.blocked = {};  // a new link: nothing refused yet
  state.connection = *connection;
  for (std::size_t index = 0; index < state.queues.size(); ++index) {  // control first
    auto& queue = state.queues[index];
    if (state.blocked[index]) continue;  // resumed by handle_writable
    while (!queue.empty()) {
      auto& front = queue.front();
      ++state.activity;
      if (front.process) ++state.process_frames;
      state.queued_bytes -= front.frame.size();
      push_transmit_frame(*connection, static_cast<Channel>(index), std::move(front.frame));
      ++stats_.messages_sent;
      queue.pop_front();
    }
  }
}

void Engine::peer_lost(const std::string& peer) {
  auto it = peer_states_.find(peer);
  if (it != peer_states_.end()) {
    stats_.dropped_connection_lost += it->second->queued_frames();
    peer_states_.erase(it);
  }
  router_.on_node_down(peer);
}

void Engine::check_dial_deadlines(core::Instant now) {
  std::vector<std::string> expired;
  for (const auto& [node, state] : peer_states_) {
    if (state->dialing && state->dial_deadline <= now) expired.push_back(node);
  }
  for (const auto& node : expired) {
    dial_failed(node, "not connected within connect_timeout (" +
                          std::to_string(config_.connect_timeout.count() / 1'000'000) + " ms)");
  }
}

core::Duration Engine::sweep_period() const {
  return std::min<core::Duration>(config_.reaper_interval, kGossipLinkIdle);
}

void Engine::sweep_idle(core::Instant now) {
  if (config_.reaper_interval.count() == 0) return;
  if (next_sweep_.is_never()) {
    next_sweep_ = now + sweep_period();
    next_full_sweep_ = now + config_.reaper_interval;
    return;
  }
  if (now < next_sweep_) return;
  next_sweep_ = now + sweep_period();
  const bool full = now >= next_full_sweep_;
  if (full) next_full_sweep_ = now + config_.reaper_interval;
  std::vector<std::string> idle;
  for (auto& [node, state] : peer_states_) {
    // A link the application opened (Node::connect) is never reaped by the node that opened
    // it (issue 13). The other end cannot tell it from a link the peer's Engine dialed and
    // then lost its frames on: a link that carried no membership, broadcast or process frame
    // is left to the end that dialed it, which keeps the first and reaps the second. Both
    // ends still reap membership and process links: the end that did not dial one closing a
    // link to a peer it does not hold is how a one-sided active view gets noticed.
    if (state->kept || (state->engine_frames == 0 && !links_.dialed(node))) continue;
    // A link that never carried process traffic exists for membership or broadcast messages
    // (a NEIGHBOR probe, a SHUFFLE_REPLY, a GRAFT, a JOIN): once its peer is not an active
    // peer and it has been quiet for a whole sweep period, nothing needs it. A link that
    // carried process traffic is an on-demand connection: quiet for reaper_interval and older
    // than reaper_min_age.
    const bool gossip_only = state->process_frames == 0;
    if (!gossip_only && !full) continue;
    const bool quiet = state->activity == state->activity_at_sweep;
    state->activity_at_sweep = state->activity;
    if (!state->up || !quiet || !state->idle()) continue;
    if (!gossip_only && now - state->up_since < config_.reaper_min_age) continue;
    if (router_.node_in_use(node) || membership_.is_active(node)) continue;
    idle.push_back(node);
  }
  for (const auto& node : idle) {
    log(1, "closing idle connection to " + node);
    ++stats_.connections_reaped;
    (void)links_.close_quietly(now, node, "idle");  // what the peer sent meanwhile arrives
  }
}

core::Instant Engine::dialer_deadline() const {
  core::Instant deadline = next_sweep_;
  for (const auto& [node, state] : peer_states_) {
    if (state->dialing) deadline = std::min(deadline, state->dial_deadline);
  }
  return deadline;
}

}  // namespace barrel_p2p::node
