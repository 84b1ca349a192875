// NodeImpl: membership (HyParView) and broadcast (Plumtree) over authenticated links. The cores
// are sans-IO; this file feeds them link events and frames, and turns their commands into
// frames on the control stream (connecting on demand) and their events into application
// callbacks. HyParView's active view drives Plumtree's neighbours.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "runtime/node_impl.hpp"

namespace barrel_p2p {

namespace {
std::string down_reason(hyparview::DownReason reason) {
  switch (reason) {
    case hyparview::DownReason::failed: return "failed";
    case hyparview::DownReason::disconnected_by_peer: return "disconnected";
    case hyparview::DownReason::evicted: return "evicted";
    case hyparview::DownReason::peer_left: return "left";
    case hyparview::DownReason::we_left: return "we_left";
  }
  return "unknown";
}
}  // namespace

Result<void> NodeImpl::init_membership() {
  const MembershipConfig& m = config_.membership;
  hyparview::Config hv;
  hv.active_size = m.active_view_size;
  hv.passive_size = m.passive_view_size;
  hv.active_random_walk = m.active_random_walk;
  hv.passive_random_walk = m.passive_random_walk;
  hv.shuffle_interval = m.shuffle_interval;
  hv.shuffle_size = m.shuffle_size;
  if (auto valid = hv.validate(); !valid) {
    return fail(Errc::invalid_argument, "membership." + valid.error().message);
  }
  self_info_ = hyparview::PeerInfo{
      config_.node_name, m.advertise_address.empty() ? local_.to_string() : m.advertise_address};
  membership_rng_ = std::make_unique<core::SeededRng>(rng_.next_u64());
  membership_ = std::make_unique<hyparview::Membership>(hv, self_info_, *membership_rng_);
  plumtree::Config pt;
  pt.ihave_timeout = m.ihave_timeout;
  // A broadcast travels in one frame: keep room for its header.
  pt.max_payload_size = std::min(m.max_broadcast_size,
                                 config_.max_frame_size > 512 ? config_.max_frame_size - 512 : 1);
  if (auto valid = pt.validate(); !valid) {
    return fail(Errc::invalid_argument, "membership." + valid.error().message);
  }
  broadcast_ = std::make_unique<plumtree::BroadcastTree>(pt, config_.node_name, *membership_rng_);
  reaper_guard_ = [this](const std::string& peer) { return membership_->is_active(peer); };
  for (const auto& contact : m.contacts) pending_contacts_.push_back(contact);
  next_contact_try_ = clock_.now();
  return {};
}

void NodeImpl::try_contacts(core::Instant now) {
  if (pending_contacts_.empty() || left_ || !membership_->active_view().empty()) return;
  if (now < next_contact_try_) return;
  // Jittered: nodes that joined one contact together do not retry its handshakes in step.
  next_contact_try_ = now + core::jittered(rng_, config_.membership.contact_retry);
  for (const auto& contact : pending_contacts_) {
    const auto address = core::SocketAddress::parse(contact);
    const std::string normal = address ? address->to_string() : contact;
    const bool dialing = std::any_of(joins_.begin(), joins_.end(),
                                     [&](const auto& join) { return join.second == normal; });
    if (dialing) continue;  // its connection is still being made
    if (auto started = start_join(contact); !started) {
      log_->debug("contact {}: {}", contact, started.error().message);
    }
  }
}

Result<void> NodeImpl::start_join(const std::string& address) {
  auto remote = core::SocketAddress::parse(address);
  if (!remote) return Unexpected(remote.error());
  for (const auto& peer : links_->peers()) {
    auto known = learned_addresses_.find(peer);
    if (known != learned_addresses_.end() && known->second == remote->to_string()) {
      membership_->join(clock_.now(), hyparview::PeerInfo{peer, known->second});
      return {};
    }
  }
  auto id = endpoint_->connect(clock_.now(), *remote);
  if (!id) return Unexpected(id.error());
  joins_[id->value] = remote->to_string();
  return {};
}

void NodeImpl::join_linked(std::uint64_t connection, const std::string& peer) {
  auto it = joins_.find(connection);
  if (it == joins_.end()) return;
  std::string address = std::move(it->second);
  joins_.erase(it);
  learned_addresses_[peer] = address;
  membership_->join(clock_.now(), hyparview::PeerInfo{peer, address});
}

void NodeImpl::pump_membership() {
  const core::Instant now = clock_.now();
  for (int round = 0; round < 8; ++round) {
    bool moved = false;
    while (auto command = membership_->poll_command()) {
      moved = true;
      if (auto* send = std::get_if<hyparview::Send>(&*command)) {
        if (!send->to.address.empty() && !learned_addresses_.contains(send->to.name)) {
          learned_addresses_[send->to.name] = send->to.address;
        }
        core::Bytes bytes = hyparview::encode(send->message);
        if (auto sent = send_link_frame(send->to.name, wire::FrameType::membership, bytes); !sent) {
          log_->debug("membership message to {} failed: {}", send->to.name, sent.error().message);
          membership_->on_unreachable(now, send->to.name);
        }
      } else {
        const auto& drop = std::get<hyparview::DropLink>(*command);
        auto state = peer_states_.find(drop.peer);
        // A link that carried process traffic is an on-demand connection too: the reaper
        // closes it once idle, not membership.
        const bool busy = membership_->is_active(drop.peer) || router_->node_in_use(drop.peer) ||
                          (state != peer_states_.end() &&
                           (!state->second->idle() || state->second->process_frames > 0));
        if (!busy) (void)links_->disconnect(drop.peer, "membership");
      }
    }
    while (auto event = membership_->poll_event()) {
      moved = true;
      if (auto* up = std::get_if<hyparview::PeerUp>(&*event)) {
        broadcast_->on_neighbor_up(now, up->peer.name);
        notify_membership(NeighborUp{NodeInfo{up->peer.name, up->peer.address}});
      } else if (auto* down = std::get_if<hyparview::PeerDown>(&*event)) {
        broadcast_->on_neighbor_down(now, down->peer);
        notify_membership(NeighborDown{down->peer, down_reason(down->reason)});
      } else if (std::holds_alternative<hyparview::Joined>(*event)) {
        log_->info("joined the cluster");
        notify_membership(Joined{});
      } else {
        notify_membership(Left{});
      }
    }
    while (auto send = broadcast_->poll_send()) {
      moved = true;
      core::Bytes bytes = plumtree::encode(send->message);
      if (auto sent = send_link_frame(send->peer, wire::FrameType::broadcast, bytes); !sent) {
        log_->debug("broadcast frame to {} failed: {}", send->peer, sent.error().message);
      }
    }
    while (auto delivery = broadcast_->poll_delivery()) {
      moved = true;
      auto it = subscriptions_.find(delivery->tag);
      if (it == subscriptions_.end()) continue;
      BroadcastMessage message{delivery->origin, delivery->tag, std::move(delivery->payload),
                               delivery->hops};
      for (const auto& handler : it->second) handler(message);
    }
    if (!moved) return;
  }
}

void NodeImpl::notify_membership(const MembershipEvent& event) {
  for (const auto& handler : membership_handlers_) handler(event);
}

void NodeImpl::on_membership_frame(const std::string& peer, core::ByteView payload) {
  auto message = hyparview::decode(payload);
  if (!message) {
    log_->warn("closing the link to {}: membership frame: {}", peer, message.error().message);
    (void)links_->disconnect(peer, "protocol violation: " + message.error().message);
    return;
  }
  membership_->on_message(clock_.now(), peer, std::move(*message));
}

void NodeImpl::on_broadcast_frame(const std::string& peer, core::ByteView payload) {
  // The configured limits, not the defaults: max_broadcast_size may be above 1 MiB.
  auto message = plumtree::decode(payload, broadcast_->config().message_limits());
  if (!message) {
    log_->warn("closing the link to {}: broadcast frame: {}", peer, message.error().message);
    (void)links_->disconnect(peer, "protocol violation: " + message.error().message);
    return;
  }
  broadcast_->on_message(clock_.now(), peer, std::move(*message));
}

// ---- API ------------------------------------------------------------------------------------

Result<void> NodeImpl::join(std::string_view contact) {
  if (auto remote = core::SocketAddress::parse(contact); !remote) {
    return fail(Errc::invalid_argument, "join: " + remote.error().message);
  }
  return call_on_loop([&]() -> Result<void> {
    if (stopping_) return fail(Errc::closed, "node is stopping");
    left_ = false;
    // Like a configured contact, retried every contact_retry while no peer is active: the
    // first connection may fail (a contact busy with a join storm refuses handshakes).
    const std::string address(contact);
    if (std::find(pending_contacts_.begin(), pending_contacts_.end(), address) ==
        pending_contacts_.end()) {
      pending_contacts_.push_back(address);
    }
    next_contact_try_ = clock_.now() + core::jittered(rng_, config_.membership.contact_retry);
    auto started = start_join(address);
    if (!started && started.error().code == Errc::limit_reached) {
      log_->debug("join through {}: {}; retried", address, started.error().message);
      started = {};
    }
    after_input();
    return started;
  });
}

Result<void> NodeImpl::leave() {
  return call_on_loop([&]() -> Result<void> {
    left_ = true;
    membership_->leave(clock_.now());
    after_input();
    return {};
  });
}

std::vector<NodeInfo> NodeImpl::active_view() {
  auto view = call_on_loop([&]() -> Result<std::vector<NodeInfo>> {
    std::vector<NodeInfo> out;
    for (const auto& peer : membership_->active_view()) out.push_back({peer.name, peer.address});
    return out;
  });
  return view ? *view : std::vector<NodeInfo>{};
}

std::vector<NodeInfo> NodeImpl::passive_view() {
  auto view = call_on_loop([&]() -> Result<std::vector<NodeInfo>> {
    std::vector<NodeInfo> out;
    for (const auto& peer : membership_->passive_view()) {
      out.push_back({peer.name, peer.address});
    }
    return out;
  });
  return view ? *view : std::vector<NodeInfo>{};
}

Result<void> NodeImpl::broadcast(std::string_view tag, BytesView payload) {
  return call_on_loop([&]() -> Result<void> {
    auto sent = broadcast_->broadcast(clock_.now(), std::string(tag),
                                      core::Bytes(payload.begin(), payload.end()));
    after_input();
    if (!sent) return Unexpected(std::move(sent).error());
    return {};
  });
}

Result<void> NodeImpl::subscribe(std::string_view tag,
                                 std::function<void(const BroadcastMessage&)> handler) {
  if (!handler) return fail(Errc::invalid_argument, "subscribe: no handler");
  return call_on_loop([&]() -> Result<void> {
    subscriptions_[std::string(tag)].push_back(std::move(handler));
    return {};
  });
}

Result<void> NodeImpl::on_membership_event(std::function<void(const MembershipEvent&)> handler) {
  if (!handler) return fail(Errc::invalid_argument, "on_membership_event: no handler");
  return call_on_loop([&]() -> Result<void> {
    membership_handlers_.push_back(std::move(handler));
    return {};
  });
}

}  // namespace barrel_p2p
