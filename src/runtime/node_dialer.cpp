// NodeImpl: on-demand connections and the idle reaper (SPEC §2.3). A process frame for a node
// with no link is queued (bounded, in order) while the node's address is resolved and a
// connection opens and authenticates; the queue drains when the link is up and fails when the
// dial fails or times out. The reaper closes idle connections nobody needs.
#include <netdb.h>
#include <spdlog/spdlog.h>

#include <fstream>

#include "runtime/node_impl.hpp"
#include "runtime/secure_file.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p {

namespace {
constexpr std::string_view kEndpointSuffix = ".endpoint";
/// A link that only ever carried membership or broadcast messages, to a peer that is not an
/// active peer, is closed after this long without a frame (checked at this period).
constexpr core::Duration kGossipLinkIdle = std::chrono::seconds(5);

// Resolves "host:port" with the system resolver (blocking: call on a worker thread).
Result<core::SocketAddress> resolve_host(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return fail(Errc::invalid_argument, "not host:port: " + address);
  std::string host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return fail(Errc::unreachable, "cannot resolve " + address + ": " + gai_strerror(rc));
  }
  auto result = core::SocketAddress::from_sockaddr(found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return result;
}
}  // namespace

Result<void> NodeImpl::write_frame(std::uint64_t connection, wire::FrameType type,
                                   core::ByteView frame) {
  const bool control = wire::is_control_stream_frame(type);
  frame_header_.clear();
  wire::encode_frame_header(frame_header_, type, frame.size());
  return endpoint_->send_frame(
      transport::ConnectionId{connection},
      control ? transport::StreamKind::control : transport::StreamKind::data, frame_header_, frame);
}

Result<void> NodeImpl::send_frame(const std::string& node, core::ByteView frame) {
  return send_link_frame(node, wire::FrameType::process, frame);
}

Result<void> NodeImpl::send_link_frame(const std::string& node, wire::FrameType type,
                                       core::ByteView frame) {
  if (stopping_) return fail(Errc::closed, "node is stopping");
  if (node == config_.node_name || !wire::is_valid_name(node)) {
    return fail(Errc::invalid_argument, "not a remote node name: '" + node + "'");
  }
  auto [it, inserted] = peer_states_.try_emplace(node);
  if (inserted) it->second = std::make_unique<PeerState>();
  PeerState& state = *it->second;
  auto& queue = state.queues[wire::is_control_stream_frame(type) ? 0 : 1];
  if (queue.empty() && state.draining == 0) {
    if (auto connection = links_->route(node)) {
      auto sent = write_frame(*connection, type, frame);
      if (sent) {
        state.connection = *connection;
        ++state.activity;
        if (type == wire::FrameType::process) ++state.process_frames;
        ++messages_sent_;
        return {};
      }
      if (sent.error().code != Errc::limit_reached) return sent;
      // The stream buffer is full: queue behind it, in order (drained by on_writable).
    } else if (!state.dialing) {
      if (auto dialed = dial(node, state); !dialed) return dialed;
    }
  }
  if (state.queued_bytes + frame.size() > config_.node_queue_limit) {
    return fail(Errc::limit_reached, "queue towards node " + node + " is full (" +
                                         std::to_string(config_.node_queue_limit) + " bytes)");
  }
  queue.push_back({type, core::Bytes(frame.begin(), frame.end())});
  state.queued_bytes += frame.size();
  return {};
}

std::optional<std::string> NodeImpl::resolve_address(const std::string& node) const {
  if (auto it = learned_addresses_.find(node); it != learned_addresses_.end()) return it->second;
  if (auto it = config_.node_addresses.find(node); it != config_.node_addresses.end()) {
    return it->second;
  }
  if (!config_.endpoint_dir.empty()) {
    std::ifstream file(config_.endpoint_dir / (node + std::string(kEndpointSuffix)));
    std::string address;
    if (file && std::getline(file, address) && !address.empty() && address.size() <= 255) {
      return address;
    }
  }
  return std::nullopt;
}

Result<void> NodeImpl::dial(const std::string& node, PeerState& state) {
  auto address = resolve_address(node);
  if (!address) {
    return fail(Errc::unreachable, "no address known for node " + node +
                                       " (add it to node_addresses, the endpoint directory "
                                       "or with add_address)");
  }
  state.dialing = true;
  state.dial_deadline = clock_.now() + config_.connect_timeout;
  ++on_demand_connects_;
  if (auto numeric = core::SocketAddress::parse(*address)) {
    dial_address(node, *numeric);
    return {};
  }
  // A DNS name: resolve on a worker (getaddrinfo blocks), connect back on the loop.
  (void)workers_->submit([this, node, host = *address] {
    auto resolved = resolve_host(host);
    (void)on_loop([this, node, resolved = std::move(resolved)] {
      if (!resolved) {
        dial_failed(node, resolved.error().message);
      } else {
        dial_address(node, *resolved);
      }
    });
  });
  return {};
}

void NodeImpl::dial_address(const std::string& node, const core::SocketAddress& address) {
  auto it = peer_states_.find(node);
  if (it == peer_states_.end() || !it->second->dialing) return;
  if (links_->route(node)) {  // linked meanwhile (the peer dialed us)
    peer_linked(node, address.to_string());
    return;
  }
  auto id = endpoint_->connect(clock_.now(), address);
  if (!id) {
    dial_failed(node, id.error().message);
    return;
  }
  dials_[id->value] = node;
  log_->debug("dialing {} at {}", node, address.to_string());
}

void NodeImpl::dial_failed(const std::string& node, const std::string& why) {
  auto it = peer_states_.find(node);
  if (it == peer_states_.end()) return;
  PeerState& state = *it->second;
  if (!state.dialing) return;
  ++connects_failed_;
  log_->info("could not connect to {}: {}", node, why);
  dropped_connection_lost_ += state.queued_frames();
  state = PeerState{};
  router_->on_node_down(node);
  membership_->on_unreachable(clock_.now(), node);
}

void NodeImpl::link_retired(const std::string& peer, std::uint64_t connection) {
  auto it = peer_states_.find(peer);
  if (it != peer_states_.end() && it->second->connection == connection) {
    it->second->draining = connection;
  }
}

void NodeImpl::on_dial_closed(std::uint64_t connection) {
  joins_.erase(connection);  // a contact that did not answer: try_contacts() dials it again
  for (auto& [node, state] : peer_states_) {
    if (state->connection == connection) state->connection = 0;
    if (state->draining == connection) {
      state->draining = 0;
      flush_peer(node, *state);
    }
  }
  auto it = dials_.find(connection);
  if (it == dials_.end()) return;
  std::string node = std::move(it->second);
  dials_.erase(it);
  auto state = peer_states_.find(node);
  if (state != peer_states_.end() && state->second->dialing && !links_->route(node)) {
    dial_failed(node, "connection closed before authentication");
  }
}

void NodeImpl::peer_linked(const std::string& peer, const std::string& address) {
  learned_addresses_[peer] = address;  // one UDP port per node: its source is its address
  auto [it, inserted] = peer_states_.try_emplace(peer);
  if (inserted) it->second = std::make_unique<PeerState>();
  PeerState& state = *it->second;
  state.dialing = false;
  state.dial_deadline = core::Instant::never();
  if (!state.up) {
    state.up = true;
    state.up_since = clock_.now();
  }
  flush_peer(peer, state);
}

void NodeImpl::flush_peer(const std::string& node, PeerState& state) {
  if (state.draining != 0) return;  // resumed when the retired link closed
  auto connection = links_->route(node);
  if (!connection) return;
  for (auto& queue : state.queues) {  // control first
    while (!queue.empty()) {
      auto sent = write_frame(*connection, queue.front().type, queue.front().payload);
      state.connection = *connection;
      if (!sent && sent.error().code == Errc::limit_reached) break;  // on_writable resumes
      if (!sent) {
        ++dropped_connection_lost_;
        log_->debug("queued frame to {} dropped: {}", node, sent.error().message);
      } else {
        ++state.activity;
        if (queue.front().type == wire::FrameType::process) ++state.process_frames;
        ++messages_sent_;
      }
      state.queued_bytes -= queue.front().payload.size();
      queue.pop_front();
    }
  }
}

void NodeImpl::peer_lost(const std::string& peer) {
  auto it = peer_states_.find(peer);
  if (it != peer_states_.end()) {
    dropped_connection_lost_ += it->second->queued_frames();
    peer_states_.erase(it);
  }
  router_->on_node_down(peer);
}

void NodeImpl::check_dial_deadlines(core::Instant now) {
  std::vector<std::string> expired;
  for (const auto& [node, state] : peer_states_) {
    if (state->dialing && state->dial_deadline <= now) expired.push_back(node);
  }
  for (const auto& node : expired) {
    dial_failed(node, "not connected within connect_timeout (" +
                          std::to_string(config_.connect_timeout.count()) + " ms)");
  }
}

core::Duration NodeImpl::sweep_period() const {
  return std::min<core::Duration>(config_.reaper_interval, kGossipLinkIdle);
}

void NodeImpl::sweep_idle(core::Instant now) {
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
    if (router_->node_in_use(node)) continue;
    if (reaper_guard_ && reaper_guard_(node)) continue;
    idle.push_back(node);
  }
  for (const auto& node : idle) {
    log_->debug("closing idle connection to {}", node);
    ++connections_reaped_;
    (void)links_->disconnect(node, "idle");
  }
}

core::Instant NodeImpl::dialer_deadline() const {
  core::Instant deadline = next_sweep_;
  for (const auto& [node, state] : peer_states_) {
    if (state->dialing) deadline = std::min(deadline, state->dial_deadline);
  }
  return deadline;
}

void NodeImpl::write_endpoint_file() {
  if (config_.endpoint_dir.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(config_.endpoint_dir, error);
  const std::string text = local_.to_string() + "\n";
  auto path = config_.endpoint_dir / (config_.node_name + std::string(kEndpointSuffix));
  if (auto written = runtime::write_file_atomic(path, core::as_bytes(text), 0644); !written) {
    log_->warn("could not write endpoint file {}: {}", path.string(), written.error().message);
  }
}

Result<void> NodeImpl::add_address(std::string_view node, std::string_view address) {
  if (!wire::is_valid_name(node)) {
    return fail(Errc::invalid_argument, "add_address: invalid node name");
  }
  if (address.rfind(':') == std::string_view::npos || address.size() > 255) {
    return fail(Errc::invalid_argument,
                "add_address: '" + std::string(address) + "' is not host:port");
  }
  return call_on_loop([&]() -> Result<void> {
    learned_addresses_[std::string(node)] = std::string(address);
    return {};
  });
}

void NodeImpl::set_reaper_guard(std::function<bool(const std::string&)> is_protected) {
  (void)call_on_loop([&]() -> Result<void> {
    reaper_guard_ = std::move(is_protected);
    return {};
  });
}

}  // namespace barrel_p2p
