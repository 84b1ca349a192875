#include "proto/hyparview/membership.hpp"

#include <algorithm>

namespace barrel_p2p::hyparview {

Membership::Membership(Config config, PeerInfo self, core::Rng& rng)
    : config_(config), self_(std::move(self)), rng_(rng) {}

// ---- helpers --------------------------------------------------------------------------------

void Membership::send(const PeerInfo& to, Message message) {
  ++stats_.messages_out;
  ++stats_.messages_out_by_type.at(message.index());
  commands_.push_back(Send{to, std::move(message)});
}

void Membership::start_timers(core::Instant now) {
  if (started_) return;
  started_ = true;
  // The first shuffle comes early (0.05 to 0.15 intervals, 0.5 to 1.5 s by default): a new
  // node knows only the few peers its JOIN met, and a passive view that stays empty until the
  // regular shuffle leaves it nobody to ask when a neighbour fails. Jittered so nodes started
  // together do not align; every interval after it.
  const auto jitter = static_cast<std::int64_t>(
      rng_.uniform(static_cast<std::uint64_t>(config_.shuffle_interval.count() / 10 + 1)));
  next_shuffle_ = now + core::Duration(jitter) + config_.shuffle_interval / 20;
  next_repair_ = now + config_.repair_interval;
  next_age_check_ = now + config_.passive_max_age;
  next_world_probe_ = now + config_.shuffle_interval * kSmallWorldIntervals;
}

bool Membership::is_active(const std::string& name) const {
  return std::any_of(active_.begin(), active_.end(),
                     [&](const PeerInfo& peer) { return peer.name == name; });
}

bool Membership::is_passive(const std::string& name) const {
  return std::any_of(passive_.begin(), passive_.end(),
                     [&](const PassiveEntry& entry) { return entry.info.name == name; });
}

Membership::PassiveEntry* Membership::find_passive(const std::string& name) {
  auto it = std::find_if(passive_.begin(), passive_.end(),
                         [&](const PassiveEntry& entry) { return entry.info.name == name; });
  return it == passive_.end() ? nullptr : &*it;
}

std::vector<PeerInfo> Membership::passive_view() const {
  std::vector<PeerInfo> out;
  out.reserve(passive_.size());
  for (const auto& entry : passive_) out.push_back(entry.info);
  return out;
}

core::Duration Membership::backoff(std::size_t failures) const {
  core::Duration delay = config_.backoff_initial;
  for (std::size_t i = 1; i < failures && delay < config_.backoff_max; ++i) delay *= 2;
  return std::min(delay, config_.backoff_max);
}

void Membership::add_active(core::Instant now, const PeerInfo& peer) {
  // A NEIGHBOR we sent may be overtaken by another way in (its NEIGHBOR, a JOIN_REPLY); its
  // timeout must then not fail a peer that is active.
  if (pending_neighbor_ && pending_neighbor_->name == peer.name) pending_neighbor_.reset();
  if (peer.name == self_.name || is_active(peer.name)) return;
  remove_passive(peer.name);
  if (active_.size() >= config_.active_size) drop_random_active(now);
  active_.push_back(peer);
  emit(PeerUp{peer});
  found_lost(peer.name);
  if (!joined_) {
    joined_ = true;
    emit(Joined{});
  }
}

void Membership::remove_active(const std::string& name, DownReason reason) {
  auto it = std::find_if(active_.begin(), active_.end(),
                         [&](const PeerInfo& peer) { return peer.name == name; });
  if (it == active_.end()) return;
  active_.erase(it);
  emit(PeerDown{name, reason});
}

std::optional<PeerInfo> Membership::drop_random_active(core::Instant now,
                                                       std::vector<PeerInfo> room) {
  if (active_.empty()) return std::nullopt;
  // Never the peer we hand over: it must keep its link to us (and it has room for the victim).
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < active_.size(); ++i) {
    if (std::none_of(room.begin(), room.end(),
                     [&](const PeerInfo& hint) { return hint.name == active_[i].name; })) {
      candidates.push_back(i);
    }
  }
  arm_world_check(now);
  PeerInfo victim = candidates.empty() ? active_[random_index(active_.size())]
                                       : active_[candidates[random_index(candidates.size())]];
  ++stats_.evictions;
  if (disconnected_at_.size() >= kMaxRecentDisconnects && !disconnected_at_.contains(victim.name)) {
    disconnected_at_.erase(
        std::min_element(disconnected_at_.begin(), disconnected_at_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; }));
  }
  disconnected_at_[victim.name] = now;
  std::erase_if(room, [&](const PeerInfo& peer) { return peer.name == victim.name; });
  send(victim, Disconnect{false, std::move(room)});
  remove_active(victim.name, DownReason::evicted);
  commands_.push_back(DropLink{victim.name});
  add_passive(now, victim);
  return victim;
}

core::Duration Membership::jittered(core::Duration delay) {
  return delay / 2 + core::Duration(static_cast<std::int64_t>(
                         rng_.uniform(static_cast<std::uint64_t>(delay.count()) + 1)));
}

void Membership::remember_lost(core::Instant now, const PeerInfo& peer) {
  if (config_.remerge_contacts == 0) return;
  arm_world_check(now);
  std::erase_if(lost_, [&](const LostPeer& lost) { return lost.info.name == peer.name; });
  if (lost_.size() >= config_.remerge_contacts) lost_.erase(lost_.begin());
  lost_.push_back(LostPeer{peer, now, now + jittered(config_.remerge_interval),
                           std::min(config_.remerge_interval * 2, config_.backoff_max)});
  if (suspected_) return;
  std::vector<std::string> recent;
  for (const LostPeer& lost : lost_) {
    if (now - lost.lost_at < kSuspectWindow) recent.push_back(lost.info.name);
  }
  if (recent.size() >= kSuspectLosses) {
    suspected_ = true;
    emit(PartitionSuspected{std::move(recent)});
  }
}

bool Membership::forget_lost(const std::string& name) {
  if (std::erase_if(lost_, [&](const LostPeer& lost) { return lost.info.name == name; }) == 0) {
    return false;
  }
  if (suspected_) {
    suspected_ = false;
    emit(PartitionHealed{name});
  }
  return true;
}

void Membership::found_lost(const std::string& name) {
  if (pending_rejoin_ && pending_rejoin_->name == name) pending_rejoin_.reset();
  if (forget_lost(name)) ++stats_.rejoins;
}

void Membership::heard_lost(const std::string& name) {
  if (pending_rejoin_ && pending_rejoin_->name == name) return;  // its answer settles it
  if (forget_lost(name)) ++stats_.lost_heard;
}

std::vector<std::string> Membership::lost_peers() const {
  std::vector<std::string> out;
  out.reserve(lost_.size());
  for (const LostPeer& lost : lost_) out.push_back(lost.info.name);
  return out;
}

void Membership::probe_lost(core::Instant now) {
  if (left_ || pending_rejoin_) return;
  std::erase_if(lost_, [&](const LostPeer& lost) {
    return now - lost.lost_at >= config_.remerge_max_age || is_active(lost.info.name);
  });
  if (lost_.empty()) suspected_ = false;  // forgotten, not healed: no PartitionHealed
  for (LostPeer& lost : lost_) {
    if (lost.next_probe > now) continue;
    lost.next_probe = now + jittered(lost.delay);
    lost.delay = std::min(lost.delay * 2, config_.backoff_max);
    if (pending_neighbor_ && pending_neighbor_->name == lost.info.name) continue;
    ++stats_.rejoin_probes;
    pending_rejoin_ = PendingNeighbor{lost.info.name, now + config_.neighbor_timeout};
    send(lost.info, Neighbor{self_, false, true});
    return;
  }
}

void Membership::sighted(core::Instant now, const std::string& name) {
  if (name == self_.name || config_.remerge_contacts == 0) return;
  heard_lost(name);  // probing it would only swap links inside our own component
  sighted_[name] = now;
  // The check only asks whether more than active_size + 1 nodes were heard of in the window;
  // past twice that, the oldest names are not needed. Without this bound every node of a large
  // overlay would keep a name per node its walks ever met (memory per node, decision 0005).
  const std::size_t bound = 2 * (config_.active_size + 1);
  if (sighted_.size() > bound) {
    const core::Duration window = config_.shuffle_interval * kSmallWorldIntervals;
    std::erase_if(sighted_, [&](const auto& item) { return now - item.second >= window; });
  }
  if (sighted_.size() > bound) {
    sighted_.erase(
        std::min_element(sighted_.begin(), sighted_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; }));
  }
}

void Membership::arm_world_check(core::Instant now) {
  world_check_until_ = now + config_.shuffle_interval * kWorldCheckIntervals;
}

void Membership::probe_if_small_world(core::Instant now) {
  // Swapping links (a rejoin's evictions) can close off a small group, for instance a clique of
  // active_size + 1 full nodes that hold only each other. Nobody in it lost a link to a
  // failure, so no lost peer is probed, and NEIGHBORs from outside are refused. Walks inside
  // such a group only ever meet its members, so it hears of few nodes; a large overlay's walks
  // bring new names all the time. Only links moved (an eviction, a loss) close a group off, so
  // the check runs for a while after one and costs nothing in a stable overlay. In an overlay
  // of at most active_size + 2 nodes in all, every live node is heard of, and the passive
  // peers not heard of are departed ones: those probes fail and count as failures of the entry.
  if (config_.remerge_contacts == 0 || left_ || pending_rejoin_ || now >= world_check_until_) {
    return;
  }
  const core::Duration window = config_.shuffle_interval * kSmallWorldIntervals;
  std::erase_if(sighted_, [&](const auto& item) { return now - item.second >= window; });
  if (sighted_.size() > config_.active_size + 1 || now < next_world_probe_) return;
  next_world_probe_ = now + window;
  std::vector<const PassiveEntry*> ready;
  for (const auto& entry : passive_) {
    // Not one we just evicted (our DISCONNECT may still be on its way), nor one that failed
    // lately. One that refused us lately is asked: a rejoin is accepted even by a full node.
    const bool ready_now = entry.failures == 0 || entry.retry_at <= now;
    if (ready_now && !sighted_.contains(entry.info.name) &&
        !disconnected_at_.contains(entry.info.name)) {
      ready.push_back(&entry);
    }
  }
  if (ready.empty()) return;
  const PeerInfo& target = ready[random_index(ready.size())]->info;
  ++stats_.world_probes;
  pending_rejoin_ = PendingNeighbor{target.name, now + config_.neighbor_timeout, true};
  send(target, Neighbor{self_, false, true});
}

void Membership::add_passive(core::Instant now, const PeerInfo& peer) {
  if (peer.name == self_.name || is_active(peer.name) || config_.passive_size == 0) return;
  if (PassiveEntry* entry = find_passive(peer.name)) {
    entry->refreshed = now;
    if (!peer.address.empty()) entry->info.address = peer.address;
    return;
  }
  if (passive_.size() >= config_.passive_size) {
    passive_.erase(passive_.begin() + static_cast<std::ptrdiff_t>(random_index(passive_.size())));
  }
  passive_.push_back(PassiveEntry{peer, now, 0, now, 0});
}

void Membership::remove_passive(const std::string& name) {
  std::erase_if(passive_, [&](const PassiveEntry& entry) { return entry.info.name == name; });
}

void Membership::peer_failed(core::Instant now, const std::string& name) {
  ++stats_.failures;
  if (pending_neighbor_ && pending_neighbor_->name == name) pending_neighbor_.reset();
  if (is_active(name)) {
    PeerInfo info = *std::find_if(active_.begin(), active_.end(),
                                  [&](const PeerInfo& peer) { return peer.name == name; });
    remove_active(name, DownReason::failed);
    remember_lost(now, info);
    // The failed node's other neighbours have room now too: peers that refused us because
    // they were full are worth asking again at once.
    for (PassiveEntry& entry : passive_) {
      if (entry.refusals > 0 && entry.failures == 0) {
        entry.refusals = 0;
        entry.retry_at = now;
      }
    }
    add_passive(now, info);
  }
  if (PassiveEntry* entry = find_passive(name)) {
    ++entry->failures;
    if (entry->failures >= config_.max_failures) {
      ++stats_.passive_dropped;
      remove_passive(name);
    } else {
      entry->retry_at = now + backoff(entry->failures);
    }
  }
  try_neighbor(now);
}

void Membership::try_neighbor(core::Instant now) {
  if (left_ || pending_neighbor_ || active_.size() >= config_.active_size) return;
  // Peers that never failed come first: a lost peer (most likely dead) is re-tried only when
  // no other is ready, since a request to it blocks the next one until neighbor_timeout.
  std::vector<std::size_t> ready;
  std::vector<std::size_t> failed;
  for (std::size_t i = 0; i < passive_.size(); ++i) {
    const PassiveEntry& entry = passive_[i];
    if (entry.retry_at > now) continue;
    if (entry.failures > 0) {
      failed.push_back(i);
    } else {
      ready.push_back(i);
    }
  }
  if (ready.empty()) ready.swap(failed);
  if (ready.empty()) return;
  // A peer whose request we refused lately had room: ask it first, once.
  std::vector<std::size_t> roomy;
  for (std::size_t i : ready) {
    const PassiveEntry& entry = passive_[i];
    if (entry.room_seen != core::Instant::never() && now - entry.room_seen < kRoomSeenFor) {
      roomy.push_back(i);
    }
  }
  if (!roomy.empty()) ready.swap(roomy);
  PassiveEntry& entry = passive_[ready[random_index(ready.size())]];
  entry.room_seen = core::Instant::never();
  ++stats_.neighbor_requests;
  pending_neighbor_ = PendingNeighbor{entry.info.name, now + config_.neighbor_timeout};
  send(entry.info, Neighbor{self_, active_.empty(), false});
}

std::vector<PeerInfo> Membership::sample_passive(std::size_t count) {
  std::vector<std::size_t> order(passive_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<PeerInfo> out;
  for (std::size_t i = 0; i < order.size() && out.size() < count; ++i) {
    std::swap(order[i], order[i + random_index(order.size() - i)]);
    out.push_back(passive_[order[i]].info);
  }
  return out;
}

std::vector<PeerInfo> Membership::sample_active(std::size_t count, std::string_view except) {
  std::vector<PeerInfo> actives = active_;
  std::vector<PeerInfo> out;
  for (std::size_t i = 0; i < actives.size() && out.size() < count; ++i) {
    std::swap(actives[i], actives[i + random_index(actives.size() - i)]);
    if (actives[i].name != except) out.push_back(actives[i]);
  }
  return out;
}

void Membership::do_shuffle(core::Instant now) {
  if (active_.empty()) return;
  ++stats_.shuffles;
  const std::size_t from_active = std::max<std::size_t>(1, config_.shuffle_size * 3 / 8);
  std::vector<PeerInfo> peers{self_};
  for (auto& peer : sample_active(from_active, "")) peers.push_back(std::move(peer));
  for (auto& peer : sample_passive(config_.shuffle_size - peers.size())) peers.push_back(peer);
  const PeerInfo& target = active_[random_index(active_.size())];
  send(target, Shuffle{self_, static_cast<std::uint8_t>(config_.active_random_walk), peers});
  (void)now;
}

void Membership::integrate(core::Instant now, const std::vector<PeerInfo>& peers) {
  for (const auto& peer : peers) {
    if (peer.name == self_.name || is_active(peer.name)) continue;
    add_passive(now, peer);
  }
}

// ---- inputs ---------------------------------------------------------------------------------

void Membership::join(core::Instant now, const PeerInfo& contact) {
  if (contact.name == self_.name) return;
  left_ = false;
  start_timers(now);
  contact_ = contact;
  send(contact, Join{self_});
  next_join_ = now + config_.join_retry;
}

void Membership::leave(core::Instant now) {
  if (left_) return;
  for (const auto& peer : active_) {
    send(peer, Disconnect{true, {}});
    commands_.push_back(DropLink{peer.name});
  }
  while (!active_.empty()) remove_active(active_.back().name, DownReason::we_left);
  passive_.clear();
  pending_neighbor_.reset();
  lost_.clear();
  pending_rejoin_.reset();
  suspected_ = false;
  contact_.reset();
  left_ = true;
  joined_ = false;
  next_join_ = next_shuffle_ = next_repair_ = next_age_check_ = core::Instant::never();
  started_ = false;
  emit(Left{});
  (void)now;
}

void Membership::on_message(core::Instant now, const std::string& from, Message message) {
  ++stats_.messages_in;
  ++stats_.messages_in_by_type.at(message.index());
  if (from == self_.name) return;
  if (left_) {
    answer_after_leave(from, message);
    return;
  }
  start_timers(now);
  std::visit([&](const auto& m) { handle(now, from, m); }, message);
}

void Membership::on_link_down(core::Instant now, const std::string& peer) {
  if (left_) return;
  if (pending_rejoin_ && pending_rejoin_->name == peer) pending_rejoin_.reset();
  if (is_active(peer) || (pending_neighbor_ && pending_neighbor_->name == peer)) {
    peer_failed(now, peer);
  }
}

void Membership::on_unreachable(core::Instant now, const std::string& peer) {
  if (left_) return;
  if (pending_rejoin_ && pending_rejoin_->name == peer) {
    // Our probe failed: still cut off. Its next probe is scheduled; it is not a failure of
    // the passive entry (that one keeps the repair schedule of the paper). A small-world
    // probe went to a passive peer, whose failure it is.
    const bool world = pending_rejoin_->world;
    pending_rejoin_.reset();
    if (!world && !(pending_neighbor_ && pending_neighbor_->name == peer)) return;
  }
  if (is_active(peer) || is_passive(peer)) peer_failed(now, peer);
}

void Membership::on_timeout(core::Instant now) {
  if (left_) return;
  if (now >= next_join_) {
    // Re-join through the contact while the active view is empty, and also while it is under
    // half full with no passive peer left to ask: a small island whose passive views hold only
    // each other would otherwise never reconnect to the rest of the overlay.
    const bool stranded =
        active_.size() * 2 < config_.active_size &&
        std::none_of(passive_.begin(), passive_.end(), [&](const PassiveEntry& e) {
          return e.retry_at <= now && !is_active(e.info.name);
        });
    if (contact_ && !is_active(contact_->name) && (active_.empty() || stranded)) {
      send(*contact_, Join{self_});
    }
    next_join_ = contact_ ? now + config_.join_retry : core::Instant::never();
  }
  if (pending_neighbor_ && pending_neighbor_->deadline <= now) {
    peer_failed(now, pending_neighbor_->name);
  }
  // An unanswered rejoin probe is not a failure of anything we hold: the lost peer's next
  // probe is already scheduled (with a doubled delay). A small-world probe's is.
  if (pending_rejoin_ && pending_rejoin_->deadline <= now) {
    const PendingNeighbor probe = *pending_rejoin_;
    pending_rejoin_.reset();
    if (probe.world && is_passive(probe.name)) peer_failed(now, probe.name);
  }
  probe_lost(now);
  if (now >= next_shuffle_) {
    probe_if_small_world(now);
    do_shuffle(now);
    next_shuffle_ = now + config_.shuffle_interval;
  }
  if (now >= next_repair_) {
    // Losses start a chain of NEIGHBOR requests at once (peer_failed, DISCONNECT); the timer
    // resumes it while the view is short. Every passive peer is asked on its own schedule: a
    // refusal or a failure doubles its delay (up to backoff_max), so a node that stays short
    // in a cluster of full nodes probes each peer about log2(backoff_max) times, then once per
    // backoff_max, while two nodes with room find each other within one pass.
    try_neighbor(now);
    next_repair_ = now + config_.repair_interval;
  }
  std::erase_if(disconnected_at_,
                [&](const auto& item) { return now - item.second >= config_.neighbor_timeout; });
  if (now >= next_age_check_) {
    stats_.passive_expired += std::erase_if(passive_, [&](const PassiveEntry& entry) {
      return now - entry.refreshed >= config_.passive_max_age;
    });
    next_age_check_ = now + config_.passive_max_age / 4;
  }
}

core::Instant Membership::next_deadline() const {
  if (left_) return core::Instant::never();
  core::Instant deadline = std::min({next_join_, next_shuffle_, next_age_check_});
  if (pending_neighbor_) deadline = std::min(deadline, pending_neighbor_->deadline);
  if (pending_rejoin_) {
    deadline = std::min(deadline, pending_rejoin_->deadline);
  } else {
    for (const LostPeer& lost : lost_) deadline = std::min(deadline, lost.next_probe);
  }
  // Repairs only matter while the active view is short and someone could fill it.
  if (active_.size() < config_.active_size) {
    for (const auto& entry : passive_) {
      deadline = std::min(deadline, std::max(next_repair_, entry.retry_at));
    }
  }
  return deadline;
}

std::optional<Command> Membership::poll_command() {
  if (commands_.empty()) return std::nullopt;
  Command command = std::move(commands_.front());
  commands_.pop_front();
  return command;
}

std::optional<MembershipEvent> Membership::poll_event() {
  if (events_.empty()) return std::nullopt;
  MembershipEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

// ---- messages -------------------------------------------------------------------------------

void Membership::handle(core::Instant now, const std::string& from, const Join& m) {
  if (m.sender.name != from) return;  // a node joins as itself only
  if (is_active(from)) {
    // A repeated JOIN (the joiner re-sends it every join_retry until it hears back, and a
    // busy contact may take longer than that to answer): confirm, but do not walk again;
    // the first JOIN's walks are under way, and more would only evict more peers.
    send(m.sender, JoinReply{self_});
    return;
  }
  ++stats_.joins_handled;
  add_active(now, m.sender);
  send(m.sender, JoinReply{self_});
  for (const auto& peer : active_) {
    if (peer.name == from) continue;
    send(peer, ForwardJoin{m.sender, static_cast<std::uint8_t>(config_.active_random_walk)});
  }
}

void Membership::answer_after_leave(const std::string& from, const Message& message) {
  // These messages mean `from` holds us in its active view, or is about to (a NEIGHBOR or an
  // accepted NEIGHBOR_REPLY): its DISCONNECT(leaving) from leave() was missed or crossed them.
  // JOIN, a refused NEIGHBOR_REPLY, DISCONNECT and SHUFFLE_REPLY need no answer.
  const bool counts_on_us =
      std::holds_alternative<ForwardJoin>(message) || std::holds_alternative<JoinReply>(message) ||
      std::holds_alternative<Neighbor>(message) || std::holds_alternative<Shuffle>(message) ||
      (std::holds_alternative<NeighborReply>(message) && std::get<NeighborReply>(message).accepted);
  if (!counts_on_us) return;
  send(PeerInfo{from, ""}, Disconnect{true, {}});
  commands_.push_back(DropLink{from});
}

std::uint8_t Membership::capped_ttl(std::uint8_t ttl) const {
  return static_cast<std::uint8_t>(std::min<std::size_t>(ttl, config_.active_random_walk));
}

bool Membership::repair_asymmetry(const std::string& from) {
  // FORWARD_JOIN and SHUFFLE travel only over active links, and links are ordered: one from a
  // peer that is not in our active view means it holds us while we do not hold it (its
  // DISCONNECT was lost, or crossed another message). Tell it, so both sides agree.
  if (is_active(from)) return false;
  send(PeerInfo{from, ""}, Disconnect{false, {}});
  commands_.push_back(DropLink{from});
  return true;
}

void Membership::handle(core::Instant now, const std::string& from, const ForwardJoin& m) {
  if (from != m.joiner.name) repair_asymmetry(from);
  const PeerInfo& joiner = m.joiner;
  sighted(now, joiner.name);
  if (joiner.name == self_.name || is_active(joiner.name)) return;
  const std::uint8_t ttl = capped_ttl(m.ttl);
  // Paper §4.2: accept at the end of the walk, or when we are the only way on.
  if (ttl == 0 || active_.size() <= 1) {
    add_active(now, joiner);
    send(joiner, JoinReply{self_});
    return;
  }
  if (ttl == config_.passive_random_walk) add_passive(now, joiner);
  std::vector<const PeerInfo*> next;
  for (const auto& peer : active_) {
    if (peer.name != from && peer.name != joiner.name) next.push_back(&peer);
  }
  if (next.empty()) {
    add_active(now, joiner);
    send(joiner, JoinReply{self_});
    return;
  }
  send(*next[random_index(next.size())], ForwardJoin{joiner, static_cast<std::uint8_t>(ttl - 1)});
}

void Membership::handle(core::Instant now, const std::string& from, const JoinReply& m) {
  if (m.sender.name != from) return;
  // A JOIN_REPLY that crossed our DISCONNECT to the same peer is stale: adding the peer back
  // would leave it in our view only (it dropped us on the DISCONNECT). Say it again instead,
  // so both sides agree that the link is gone.
  if (auto it = disconnected_at_.find(from);
      it != disconnected_at_.end() && now - it->second < config_.neighbor_timeout) {
    send(m.sender, Disconnect{false, {}});
    commands_.push_back(DropLink{from});
    return;
  }
  add_active(now, m.sender);
}

void Membership::handle(core::Instant now, const std::string& from, const Neighbor& m) {
  if (m.sender.name != from) return;
  if (m.rejoin && !is_active(from)) {
    // A re-merge probe (decision 0012): the sender lost its link to us to a failure. Accept it
    // even when full, evicting a random peer, and name that peer so the requester hands it to
    // the peer it evicts in turn: the two pair up and every view stays full.
    std::vector<PeerInfo> room;
    if (active_.size() >= config_.active_size) {
      if (auto victim = drop_random_active(now)) {
        ++stats_.rejoin_evictions;
        room.push_back(std::move(*victim));
      }
    }
    add_active(now, m.sender);
    send(m.sender, NeighborReply{self_, true, std::move(room)});
    return;
  }
  const bool accept = is_active(from) || m.high_priority || active_.size() < config_.active_size;
  if (accept) {
    add_active(now, m.sender);
    send(m.sender, NeighborReply{self_, true, {}});
    return;
  }
  // Refused: we are full, it has room. Pair it with the last peer refused for the same reason
  // (both look for a slot, so each can give the other one); if there is none, remember it for
  // the next requester, or for our own next free slot.
  std::vector<PeerInfo> room;
  PassiveEntry* match = nullptr;
  for (PassiveEntry& entry : passive_) {
    if (entry.info.name == from || entry.room_seen == core::Instant::never() ||
        now - entry.room_seen >= kRoomSeenFor) {
      continue;
    }
    if (match == nullptr || entry.room_seen > match->room_seen) match = &entry;
  }
  if (match != nullptr) {
    match->room_seen = core::Instant::never();
    room.push_back(match->info);
  }
  add_passive(now, m.sender);
  if (PassiveEntry* entry = find_passive(from); entry != nullptr && room.empty()) {
    entry->room_seen = now;
  }
  send(m.sender, NeighborReply{self_, false, std::move(room)});
}

void Membership::handle(core::Instant now, const std::string& from, const NeighborReply& m) {
  if (m.sender.name != from) return;
  const bool rejoin = pending_rejoin_ && pending_rejoin_->name == from;
  if (rejoin) pending_rejoin_.reset();
  if (m.accepted && rejoin && !is_active(from)) {
    // Our probe was accepted: make room by evicting a random peer and hand it the peer the
    // other side evicted, which has room now.
    if (active_.size() >= config_.active_size) {
      std::vector<PeerInfo> room;
      // The peer it evicted may be one of ours too: then we keep it and evict another, so the
      // swap still moves two links (evicting it as well would leave it two short).
      for (const PeerInfo& hint : m.room) {
        if (hint.name != self_.name && hint.name != from) room.push_back(hint);
      }
      drop_random_active(now, std::move(room));
      ++stats_.rejoin_evictions;
    }
    add_active(now, m.sender);
    return;
  }
  if (pending_neighbor_ && pending_neighbor_->name == from) pending_neighbor_.reset();
  if (m.accepted) {
    add_active(now, m.sender);  // resets its failures: it left the passive view
  } else {
    ++stats_.neighbor_refused;
    // Peers it names had room a moment ago: ask them first (try_neighbor prefers room).
    for (const PeerInfo& hint : m.room) {
      if (hint.name == self_.name || is_active(hint.name)) continue;
      add_passive(now, hint);
      if (PassiveEntry* entry = find_passive(hint.name); entry != nullptr && entry->failures == 0) {
        entry->room_seen = now;
        entry->retry_at = now;
      }
    }
    // Full, not failed: ask others first, and this one again only after a doubling delay.
    // Without it a node short of peers in a cluster of full nodes would cycle through its
    // passive view for ever, each request a new connection and handshake.
    if (PassiveEntry* entry = find_passive(from)) {
      entry->retry_at = now + backoff(++entry->refusals);
    }
    // The request's link is not needed any more (unless another path made it active).
    if (!is_active(from)) commands_.push_back(DropLink{from});
  }
  try_neighbor(now);
}

void Membership::handle(core::Instant now, const std::string& from, const Disconnect& m) {
  if (!is_active(from)) {
    // A peer leaving for good while not active (it was asked for a NEIGHBOR link, or is only
    // known): forget it now instead of re-trying it until max_failures.
    if (!m.leaving) return;
    remove_passive(from);
    std::erase_if(lost_, [&](const LostPeer& lost) { return lost.info.name == from; });
    if (pending_neighbor_ && pending_neighbor_->name == from) {
      pending_neighbor_.reset();
      try_neighbor(now);
    }
    return;
  }
  PeerInfo info = *std::find_if(active_.begin(), active_.end(),
                                [&](const PeerInfo& peer) { return peer.name == from; });
  remove_active(from, m.leaving ? DownReason::peer_left : DownReason::disconnected_by_peer);
  commands_.push_back(DropLink{from});
  if (!m.leaving) {
    arm_world_check(now);
    // It dropped us to make room: it is full, so asking it back at once would be refused.
    add_passive(now, info);
    if (PassiveEntry* entry = find_passive(from))
      entry->retry_at = now + backoff(++entry->refusals);
    // Peers it names lost a link at the same moment (a rejoin swap): ask them first.
    for (const PeerInfo& hint : m.room) {
      if (hint.name == self_.name || hint.name == from || is_active(hint.name)) continue;
      add_passive(now, hint);
      if (PassiveEntry* entry = find_passive(hint.name); entry != nullptr && entry->failures == 0) {
        entry->room_seen = now;
        entry->retry_at = now;
      }
    }
  }
  try_neighbor(now);
}

void Membership::handle(core::Instant now, const std::string& from, const Shuffle& m) {
  if (m.origin.name == self_.name) return;
  sighted(now, m.origin.name);
  repair_asymmetry(from);
  const std::uint8_t ttl = capped_ttl(m.ttl);
  if (ttl > 1 && active_.size() > 1) {
    std::vector<const PeerInfo*> next;
    for (const auto& peer : active_) {
      if (peer.name != from && peer.name != m.origin.name) next.push_back(&peer);
    }
    if (!next.empty()) {
      Shuffle forward = m;
      forward.ttl = static_cast<std::uint8_t>(ttl - 1);
      send(*next[random_index(next.size())], std::move(forward));
      return;
    }
  }
  // As many peers as offered (the paper's exchange), within what a SHUFFLE_REPLY may carry.
  // A young or small overlay has thin passive views: top the reply up with active peers, so
  // the origin learns live nodes to repair with (with a full passive view this is the paper's
  // exchange unchanged).
  const std::size_t wanted = std::min(m.peers.size(), kMaxShufflePeers);
  std::vector<PeerInfo> reply = sample_passive(wanted);
  for (auto& peer : sample_active(wanted - reply.size(), m.origin.name)) {
    reply.push_back(std::move(peer));
  }
  send(m.origin, ShuffleReply{std::move(reply)});
  integrate(now, m.peers);
}

void Membership::handle(core::Instant now, const std::string& from, const ShuffleReply& m) {
  sighted(now, from);  // the end of our walk
  integrate(now, m.peers);
  // The reply came over a temporary link (paper: a short-lived connection): close it.
  if (!is_active(from)) commands_.push_back(DropLink{from});
}

}  // namespace barrel_p2p::hyparview
