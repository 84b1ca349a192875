// Engine: membership (HyParView) and broadcast (Plumtree) over authenticated links. The cores'
// commands become frames on the control stream (connecting on demand); their events become
// EmitMembership / EmitBroadcast commands. HyParView's active view drives Plumtree's
// neighbours.
#include <algorithm>

#include "node/engine.hpp"
#include "proto/auth/contact.hpp"

namespace barrel_p2p::node {

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
// Rounds of membership/broadcast output drained per input (each round drains all queues).
constexpr int kMembershipRounds = 8;
}  // namespace

core::Instant Engine::contacts_deadline() const {
  if (pending_contacts_.empty() || left_ || stopping_ || !membership_.active_view().empty()) {
    return core::Instant::never();
  }
  return next_contact_try_;
}

void Engine::try_contacts(core::Instant now) {
  if (contacts_deadline() > now) return;
  // Jittered: nodes that joined one contact together do not retry its handshakes in step.
  next_contact_try_ = now + core::jittered(rng_, config_.contact_retry);
  for (const auto& contact : pending_contacts_) {
    const auto parsed = auth::parse_contact_or_address(contact);
    const std::string normal = parsed ? parsed->address.to_string() : contact;
    const bool dialing =
        std::any_of(joins_.begin(), joins_.end(),
                    [&](const auto& join) { return join.second == normal; }) ||
        std::any_of(dial_purposes_.begin(), dial_purposes_.end(),
                    [&](const auto& dial) { return dial.second.contact == normal; });
    if (dialing) continue;              // its connection is still being made
    if (backing_off(normal)) continue;  // it refused us just before: wait (counted)
    if (auto started = start_join(now, contact); !started) {
      log(1, "contact " + contact + ": " + started.error().message);
    }
  }
}

Result<void> Engine::start_join(core::Instant now, const std::string& address) {
  auto contact = auth::parse_contact_or_address(address);
  if (!contact) return Unexpected(contact.error());
  const std::string normal = contact->address.to_string();
  for (const auto& peer : links_.peers()) {
    auto known = learned_addresses_.find(peer);
    if (known == learned_addresses_.end() || known->second != normal) continue;
    // Through a contact string, only a link to the identity it names will do (its key is
    // pinned: the link authenticated with it); otherwise the dial below checks it.
    const auto& expected = contact->peer;
    const auto pinned = trust_.lookup(peer);
    if (expected && (peer != expected->name || !pinned || !auth::key_matches(*expected, *pinned))) {
      continue;
    }
    membership_.join(now, hyparview::PeerInfo{peer, known->second});
    return {};
  }
  const std::uint64_t dial = next_dial_++;
  dial_purposes_[dial] = DialPurpose{{}, normal, contact->peer};
  commands_.emplace_back(
      Dial{dial, contact->address, contact->peer ? contact->peer->name : std::string()});
  return {};
}

void Engine::join_linked(core::Instant now, std::uint64_t connection, const std::string& peer) {
  auto it = joins_.find(connection);
  if (it == joins_.end()) return;
  std::string address = std::move(it->second);
  joins_.erase(it);
  learn_address(peer, address);
  membership_.join(now, hyparview::PeerInfo{peer, address});
}

Result<void> Engine::join(core::Instant now, std::string_view contact) {
  now_ = now;
  auto remote = auth::parse_contact_or_address(contact);
  if (!remote) return fail(Errc::invalid_argument, "join: " + remote.error().message);
  if (stopping_) return fail(Errc::closed, "node is stopping");
  left_ = false;
  // Like a configured contact, retried every contact_retry while no peer is active: the first
  // connection may fail (a contact busy with a join storm refuses handshakes).
  const std::string address(contact);
  if (std::find(pending_contacts_.begin(), pending_contacts_.end(), address) ==
      pending_contacts_.end()) {
    pending_contacts_.push_back(address);
  }
  next_contact_try_ = now + core::jittered(rng_, config_.contact_retry);
  auto started = start_join(now, address);
  settle(now);
  return started;
}

void Engine::leave(core::Instant now) {
  now_ = now;
  left_ = true;
  membership_.leave(now);
  settle(now);
}

std::vector<NodeInfo> Engine::active_view() const {
  std::vector<NodeInfo> out;
  for (const auto& peer : membership_.active_view()) out.push_back({peer.name, peer.address});
  return out;
}

std::vector<NodeInfo> Engine::passive_view() const {
  std::vector<NodeInfo> out;
  for (const auto& peer : membership_.passive_view()) out.push_back({peer.name, peer.address});
  return out;
}

Result<void> Engine::broadcast(core::Instant now, std::string_view tag, core::ByteView payload) {
  now_ = now;
  if (stopping_) return fail(Errc::closed, "node is stopping");
  if (is_reserved_tag(tag)) {
    return fail(Errc::invalid_argument, "broadcast: tags starting with '" +
                                            std::string(kReservedTagPrefix) + "' are reserved");
  }
  auto sent =
      broadcast_.broadcast(now, std::string(tag), core::Bytes(payload.begin(), payload.end()));
  settle(now);
  if (!sent) return Unexpected(std::move(sent).error());
  return {};
}

void Engine::drop_membership_link(const std::string& peer) {
  auto state = peer_states_.find(peer);
  // A link that carried process traffic is an on-demand connection too: the reaper closes it
  // once idle, not membership.
  const bool busy = membership_.is_active(peer) || router_.node_in_use(peer) ||
                    (state != peer_states_.end() &&
                     (!state->second->idle() || state->second->process_frames > 0));
  if (!busy) (void)links_.close_quietly(now_, peer, "membership");
}

bool Engine::pump_membership(core::Instant now) {
  bool any = false;
  for (int round = 0; round < kMembershipRounds; ++round) {
    bool moved = false;
    while (auto command = membership_.poll_command()) {
      moved = true;
      if (auto* send = std::get_if<hyparview::Send>(&*command)) {
        if (!send->to.address.empty() && !learned_addresses_.contains(send->to.name)) {
          learn_address(send->to.name, send->to.address);
        }
        scratch_ = hyparview::encode(send->message);
        if (auto sent = send_link_frame(send->to.name, wire::FrameType::membership, scratch_);
            !sent) {
          log(1, "membership message to " + send->to.name + " failed: " + sent.error().message);
          membership_.on_unreachable(now, send->to.name);
        }
      } else {
        drop_membership_link(std::get<hyparview::DropLink>(*command).peer);
      }
    }
    while (auto event = membership_.poll_event()) {
      moved = true;
      if (auto* up = std::get_if<hyparview::PeerUp>(&*event)) {
        broadcast_.on_neighbor_up(now, up->peer.name);
        registry_neighbor_up(up->peer.name);
        commands_.emplace_back(
            EmitMembership{NeighborUp{NodeInfo{up->peer.name, up->peer.address}}});
      } else if (auto* down = std::get_if<hyparview::PeerDown>(&*event)) {
        broadcast_.on_neighbor_down(now, down->peer);
        commands_.emplace_back(EmitMembership{NeighborDown{down->peer, down_reason(down->reason)}});
      } else if (std::holds_alternative<hyparview::Joined>(*event)) {
        log(2, "joined the cluster");
        commands_.emplace_back(EmitMembership{Joined{}});
      } else if (auto* suspected = std::get_if<hyparview::PartitionSuspected>(&*event)) {
        log(1, "partition suspected: " + std::to_string(suspected->lost.size()) +
                   " active links failed within 10 s");
        commands_.emplace_back(EmitMembership{PartitionSuspected{std::move(suspected->lost)}});
      } else if (auto* healed = std::get_if<hyparview::PartitionHealed>(&*event)) {
        log(1, "partition healed: lost peer " + healed->peer + " is linked again");
        commands_.emplace_back(EmitMembership{PartitionHealed{std::move(healed->peer)}});
      } else {
        commands_.emplace_back(EmitMembership{Left{}});
      }
    }
    while (auto send = broadcast_.poll_send()) {
      moved = true;
      scratch_ = plumtree::encode(send->message);
      if (auto sent = send_link_frame(send->peer, wire::FrameType::broadcast, scratch_); !sent) {
        log(1, "broadcast frame to " + send->peer + " failed: " + sent.error().message);
      }
    }
    while (auto delivery = broadcast_.poll_delivery()) {
      moved = true;
      if (is_reserved_tag(delivery->tag)) {
        if (delivery->tag == kRegistryTag) on_registry_delta(delivery->origin, delivery->payload);
        continue;  // the system's own: never for subscribers
      }
      commands_.emplace_back(EmitBroadcast{BroadcastMessage{
          delivery->origin, delivery->tag, std::move(delivery->payload), delivery->hops}});
    }
    if (!moved) return any;
    any = true;
  }
  return any;
}

}  // namespace barrel_p2p::node
