#include "proto/plumtree/broadcast_tree.hpp"

#include <algorithm>

namespace barrel_p2p::plumtree {

BroadcastTree::BroadcastTree(Config config, std::string self, core::Rng& rng)
    : config_(std::move(config)), self_(std::move(self)), rng_(rng) {}

void BroadcastTree::send(const std::string& peer, Message message) {
  sends_.push_back(Send{peer, std::move(message)});
}

void BroadcastTree::make_eager(const std::string& peer) {
  lazy_.erase(peer);
  eager_.insert(peer);
}

void BroadcastTree::make_lazy(const std::string& peer) {
  if (eager_.erase(peer) > 0 || lazy_.contains(peer)) lazy_.insert(peer);
}

void BroadcastTree::on_neighbor_up(core::Instant now, const std::string& peer) {
  if (peer == self_ || lazy_.contains(peer)) return;
  eager_.insert(peer);
  // Announce what we received recently: a neighbour that replaces failed ones may have missed
  // it (the tree was broken when it went out), and GRAFTs what it lacks.
  auto& queue = lazy_queue_[peer];
  for (auto it = cache_order_.rbegin(); it != cache_order_.rend(); ++it) {
    if (now - it->first > config_.announce_window || queue.size() >= config_.max_ihave_batch) {
      break;
    }
    auto cached = cache_.find(it->second);
    if (cached != cache_.end() && cached->second.gossip) {
      queue.push_back(IHave::Entry{it->second, cached->second.gossip->round});
    }
  }
  if (queue.empty()) {
    lazy_queue_.erase(peer);
  } else if (next_flush_.is_never()) {
    next_flush_ = now + config_.lazy_flush_interval;
  }
}

void BroadcastTree::on_neighbor_down(core::Instant now, const std::string& peer) {
  eager_.erase(peer);
  lazy_.erase(peer);
  lazy_queue_.erase(peer);
  // Announcements from it can no longer be grafted from it: try the next announcer now.
  for (auto it = missing_.begin(); it != missing_.end();) {
    auto& announcers = it->second.announcers;
    const bool was_first = !announcers.empty() && announcers.front().first == peer;
    std::erase_if(announcers, [&](const auto& a) { return a.first == peer; });
    if (announcers.empty()) {
      it = missing_.erase(it);
      continue;
    }
    if (was_first) it->second.deadline = std::min(it->second.deadline, now);
    ++it;
  }
}

Result<MessageId> BroadcastTree::broadcast(core::Instant now, std::string tag,
                                           core::Bytes payload) {
  if (tag.size() > config_.max_tag_size) {
    return fail(Errc::invalid_argument,
                "broadcast: tag longer than " + std::to_string(config_.max_tag_size) + " bytes");
  }
  if (payload.size() > config_.max_payload_size) {
    return fail(Errc::invalid_argument, "broadcast: payload of " + std::to_string(payload.size()) +
                                            " bytes exceeds max_broadcast_size (" +
                                            std::to_string(config_.max_payload_size) + ")");
  }
  Gossip gossip;
  rng_.fill(gossip.id.bytes);
  gossip.origin = self_;
  gossip.tag = std::move(tag);
  gossip.payload = std::move(payload);
  ++stats_.broadcasts;
  const MessageId id = gossip.id;
  deliver_and_forward(now, self_, std::move(gossip));
  return id;
}

void BroadcastTree::remember(core::Instant now, const Gossip& m) {
  Cached entry{now, std::nullopt};
  if (m.payload.size() <= config_.cache_payload_budget) {
    entry.gossip = m;
    cached_payload_bytes_ += m.payload.size();
  }
  cache_.emplace(m.id, std::move(entry));
  cache_order_.emplace_back(now, m.id);
  while (cache_.size() > config_.cache_capacity ||
         cached_payload_bytes_ > config_.cache_payload_budget) {
    auto [time, oldest] = cache_order_.front();
    cache_order_.pop_front();
    auto it = cache_.find(oldest);
    if (it == cache_.end()) continue;
    if (cache_.size() > config_.cache_capacity) {
      if (it->second.gossip) cached_payload_bytes_ -= it->second.gossip->payload.size();
      cache_.erase(it);
      ++stats_.cache_evictions;
    } else if (it->second.gossip) {  // over the byte budget only: drop the payload, keep the id
      cached_payload_bytes_ -= it->second.gossip->payload.size();
      it->second.gossip.reset();
      cache_order_.emplace_back(time, oldest);
    }
  }
}

void BroadcastTree::deliver_and_forward(core::Instant now, const std::string& from, Gossip&& m) {
  remember(now, m);
  missing_.erase(m.id);
  ++stats_.deliveries;
  deliveries_.push_back(Delivery{m.id, m.origin, m.tag, m.payload, m.round});
  Gossip forward = std::move(m);
  forward.round = std::min(forward.round + 1, kMaxRound);
  for (const auto& peer : eager_) {
    if (peer == from) continue;
    ++stats_.gossip_sent;
    send(peer, forward);
  }
  for (const auto& peer : lazy_) {
    if (peer == from) continue;
    lazy_queue_[peer].push_back(IHave::Entry{forward.id, forward.round});
  }
  if (!lazy_queue_.empty() && next_flush_.is_never()) {
    next_flush_ = now + config_.lazy_flush_interval;
  }
  if (config_.lazy_flush_interval.count() == 0) flush_lazy();
}

void BroadcastTree::handle(core::Instant now, const std::string& from, Gossip&& m) {
  ++stats_.gossip_received;
  if (cache_.contains(m.id)) {
    ++stats_.duplicates;
    if (eager_.contains(from)) {
      make_lazy(from);
      ++stats_.prunes_sent;
      send(from, Prune{});
    }
    return;
  }
  // Optimisation: an announcer much closer to the origin should be our tree parent.
  bool pruned = false;
  if (config_.optimization_threshold > 0) {
    auto missing = missing_.find(m.id);
    if (missing != missing_.end()) {
      for (const auto& [peer, round] : missing->second.announcers) {
        if (round + config_.optimization_threshold <= m.round && peer != from) {
          make_eager(peer);
          ++stats_.grafts_sent;
          send(peer, Graft{{m.id}});
          make_lazy(from);
          ++stats_.prunes_sent;
          send(from, Prune{});
          pruned = true;
          break;
        }
      }
    }
  }
  if (!pruned && (eager_.contains(from) || lazy_.contains(from))) make_eager(from);
  deliver_and_forward(now, from, std::move(m));
}

void BroadcastTree::handle(core::Instant now, const std::string& from, const IHave& m) {
  stats_.ihave_received += m.entries.size();
  for (const auto& entry : m.entries) {
    if (cache_.contains(entry.id)) continue;
    auto [it, inserted] = missing_.try_emplace(entry.id);
    if (inserted) it->second.deadline = now + config_.ihave_timeout;
    auto& announcers = it->second.announcers;
    if (announcers.size() < 16 && std::none_of(announcers.begin(), announcers.end(),
                                               [&](const auto& a) { return a.first == from; })) {
      announcers.emplace_back(from, entry.round);
    }
  }
}

void BroadcastTree::handle(core::Instant /*now*/, const std::string& from, const Graft& m) {
  if (eager_.contains(from) || lazy_.contains(from)) make_eager(from);
  for (const auto& id : m.ids) {
    auto it = cache_.find(id);
    if (it == cache_.end() || !it->second.gossip) continue;
    Gossip copy = *it->second.gossip;
    copy.round = std::min(copy.round + 1, kMaxRound);
    ++stats_.gossip_sent;
    send(from, std::move(copy));
  }
}

void BroadcastTree::handle(core::Instant /*now*/, const std::string& from, const Prune&) {
  make_lazy(from);
}

void BroadcastTree::on_message(core::Instant now, const std::string& from, Message message) {
  if (from == self_) return;
  std::visit([&](auto& m) { handle(now, from, std::move(m)); }, message);
}

void BroadcastTree::flush_lazy() {
  for (auto& [peer, entries] : lazy_queue_) {
    for (std::size_t start = 0; start < entries.size(); start += config_.max_ihave_batch) {
      IHave batch;
      auto end = std::min(entries.size(), start + config_.max_ihave_batch);
      batch.entries.assign(entries.begin() + static_cast<std::ptrdiff_t>(start),
                           entries.begin() + static_cast<std::ptrdiff_t>(end));
      stats_.ihave_sent += batch.entries.size();
      send(peer, std::move(batch));
    }
  }
  lazy_queue_.clear();
  next_flush_ = core::Instant::never();
}

void BroadcastTree::expire(core::Instant now) {
  while (!cache_order_.empty() && now - cache_order_.front().first >= config_.cache_ttl) {
    auto it = cache_.find(cache_order_.front().second);
    cache_order_.pop_front();
    if (it == cache_.end() || now - it->second.seen < config_.cache_ttl) continue;
    if (it->second.gossip) cached_payload_bytes_ -= it->second.gossip->payload.size();
    cache_.erase(it);
    ++stats_.cache_evictions;
  }
}

void BroadcastTree::on_timeout(core::Instant now) {
  if (now >= next_flush_) flush_lazy();
  for (auto it = missing_.begin(); it != missing_.end();) {
    Missing& missing = it->second;
    if (missing.deadline > now) {
      ++it;
      continue;
    }
    if (missing.announcers.empty()) {
      it = missing_.erase(it);
      continue;
    }
    auto [peer, round] = missing.announcers.front();
    missing.announcers.pop_front();
    make_eager(peer);
    ++stats_.grafts_sent;
    send(peer, Graft{{it->first}});
    missing.deadline = now + config_.graft_retry_timeout;
    (void)round;
    ++it;
  }
  expire(now);
}

core::Instant BroadcastTree::next_deadline() const {
  core::Instant deadline = next_flush_;
  for (const auto& [id, missing] : missing_) deadline = std::min(deadline, missing.deadline);
  if (!cache_order_.empty()) {
    deadline = std::min(deadline, cache_order_.front().first + config_.cache_ttl);
  }
  return deadline;
}

std::optional<Send> BroadcastTree::poll_send() {
  if (sends_.empty()) return std::nullopt;
  Send send = std::move(sends_.front());
  sends_.pop_front();
  return send;
}

std::optional<Delivery> BroadcastTree::poll_delivery() {
  if (deliveries_.empty()) return std::nullopt;
  Delivery delivery = std::move(deliveries_.front());
  deliveries_.pop_front();
  return delivery;
}

}  // namespace barrel_p2p::plumtree
