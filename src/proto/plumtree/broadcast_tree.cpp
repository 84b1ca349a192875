#include "proto/plumtree/broadcast_tree.hpp"

#include <algorithm>

#include "core/assert.hpp"

namespace barrel_p2p::plumtree {

namespace {
std::uint32_t next_round(std::uint32_t round) { return std::min(round + 1, kMaxRound); }
}  // namespace

BroadcastTree::BroadcastTree(Config config, std::string self, core::Rng& rng)
    : config_(config),
      self_(std::move(self)),
      rng_(rng),
      cache_(config_.cache_capacity, config_.cache_ttl, config_.cache_payload_budget) {
  BARREL_ASSERT(config_.validate().has_value(), "plumtree config must pass validate()");
}

// ---- peer sets ------------------------------------------------------------------------------

bool BroadcastTree::is_neighbor(const std::string& peer) const {
  return eager_.contains(peer) || lazy_.contains(peer);
}

void BroadcastTree::make_eager(const std::string& peer) {
  if (!is_neighbor(peer)) return;  // a non-neighbour never enters the sets
  lazy_.erase(peer);
  eager_.insert(peer);
}

void BroadcastTree::make_lazy(const std::string& peer) {
  if (eager_.erase(peer) > 0) lazy_.insert(peer);
}

void BroadcastTree::on_neighbor_up(core::Instant now, const std::string& peer) {
  if (peer == self_ || is_neighbor(peer)) return;
  eager_.insert(peer);  // paper §3.4: the eager set starts as every neighbour
  // Announce what we received recently: a neighbour that replaces failed ones may have missed
  // it (the tree was broken when it went out), and GRAFTs what it lacks.
  if (config_.announce_window.count() == 0) return;
  for (const auto& entry : cache_.recent(now, config_.announce_window, config_.max_ihave_batch)) {
    announce(now, peer, IHave::Entry{entry.id, next_round(entry.round)});
  }
}

void BroadcastTree::on_neighbor_down(core::Instant now, const std::string& peer) {
  eager_.erase(peer);
  lazy_.erase(peer);
  lazy_queue_.erase(peer);
  swap_grafts_.erase(peer);
  GraftBatch grafts;
  for (auto it = missing_.begin(); it != missing_.end();) {
    Missing& missing = it->second;
    std::erase_if(missing.announcers, [&](const auto& a) { return a.first == peer; });
    bool keep = true;
    if (missing.grafted == peer) {
      // Our GRAFT went to a peer that is gone: its answer will not come, try the next now.
      missing.grafted.reset();
      keep = !missing.announcers.empty();
      if (keep) {
        const std::string next = missing.announcers.front().first;
        missing.announcers.pop_front();
        make_eager(next);
        grafts[next].push_back(it->first);
        missing.grafted = next;
        missing.deadline = now + config_.graft_retry_timeout;
      }
    } else if (missing.announcers.empty() && !missing.grafted) {
      keep = false;  // nobody left to ask; a later IHAVE starts over
    }
    it = keep ? std::next(it) : missing_.erase(it);
  }
  send_grafts(grafts);
}

// ---- broadcast and delivery -----------------------------------------------------------------

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
  // 128 random bits do not collide in practice; a cached id means a broken Rng, and drawing
  // again (a bounded number of times) keeps the never-delivered-twice contract either way.
  for (int attempt = 0; attempt < 4; ++attempt) {
    rng_.fill(gossip.id.bytes);
    if (!cache_.contains(gossip.id)) break;
  }
  BARREL_ASSERT(!cache_.contains(gossip.id), "the Rng keeps repeating message ids");
  gossip.origin = self_;
  gossip.tag = std::move(tag);
  gossip.payload = std::move(payload);
  ++stats_.broadcasts;
  const MessageId id = gossip.id;
  deliver_and_forward(now, self_, std::move(gossip));
  return id;
}

void BroadcastTree::deliver_and_forward(core::Instant now, const std::string& from, Gossip&& m) {
  stats_.cache_evictions += cache_.insert(now, m, from == self_ ? std::string() : from);
  // Peers that announced it to us before it arrived have it: announcing it back is waste.
  std::vector<std::string> have_it;
  if (auto missing = missing_.find(m.id); missing != missing_.end()) {
    for (const auto& announcer : missing->second.announcers) have_it.push_back(announcer.first);
    if (missing->second.grafted) have_it.push_back(*missing->second.grafted);
    missing_.erase(missing);
  }
  ++stats_.deliveries;
  deliveries_.push_back(Delivery{m.id, m.origin, m.tag, m.payload, m.round});
  Gossip forward = std::move(m);
  forward.round = next_round(forward.round);
  for (const auto& peer : eager_) {
    if (peer == from) continue;
    ++stats_.gossip_sent;
    send(peer, forward);
  }
  // Copy the lazy set: announce() never changes it, but keep iteration obviously safe.
  const bool push_all = leaving_ && from == self_;  // nobody could GRAFT it from us later
  for (const auto& peer : std::vector<std::string>(lazy_.begin(), lazy_.end())) {
    if (peer == from) continue;
    if (!push_all && std::find(have_it.begin(), have_it.end(), peer) != have_it.end()) {
      ++stats_.ihave_withdrawn;
      continue;
    }
    if (push_all) {
      ++stats_.gossip_sent;
      send(peer, forward);
    } else {
      announce(now, peer, IHave::Entry{forward.id, forward.round});
    }
  }
}

// ---- messages -------------------------------------------------------------------------------

void BroadcastTree::on_message(core::Instant now, const std::string& from, Message message) {
  if (from == self_) return;
  std::visit([&](auto& m) { handle(now, from, std::move(m)); }, message);
}

void BroadcastTree::handle(core::Instant now, const std::string& from, Gossip&& m) {
  ++stats_.gossip_received;
  if (m.tag.size() > config_.max_tag_size || m.payload.size() > config_.max_payload_size ||
      m.round > kMaxRound) {
    ++stats_.rejected;  // decoded with looser limits than ours: not ours to deliver
    return;
  }
  if (cache_.contains(m.id)) {
    ++stats_.duplicates;
    withdraw_announcement(from, m.id);  // it has it
    auto swap = swap_grafts_.find(from);
    if (swap != swap_grafts_.end() && swap->second == m.id) {
      swap_grafts_.erase(swap);  // the answer to our §3.8 GRAFT: keep the new eager link
      return;
    }
    if (eager_.contains(from)) {  // paper §3.5: a redundant eager link becomes lazy
      make_lazy(from);
      ++stats_.prunes_sent;
      send(from, Prune{});
    }
    return;
  }
  make_eager(from);  // it may have been lazy (answering our GRAFT): it is our parent now
  deliver_and_forward(now, from, std::move(m));
}

void BroadcastTree::handle(core::Instant now, const std::string& from, const IHave& m) {
  stats_.ihave_received += m.entries.size();
  for (const auto& entry : m.entries) {
    if (cache_.contains(entry.id)) {
      withdraw_announcement(from, entry.id);  // it has it
      maybe_optimize(from, entry);
    } else {
      note_announcer(now, from, entry);
    }
  }
}

void BroadcastTree::note_announcer(core::Instant now, const std::string& from,
                                   const IHave::Entry& entry) {
  auto it = missing_.find(entry.id);
  if (it == missing_.end()) {
    if (missing_.size() >= config_.max_missing) return;  // at the bound: ignore (see Config)
    it = missing_.emplace(entry.id, Missing{}).first;
    it->second.deadline = now + config_.ihave_timeout;
  }
  Missing& missing = it->second;
  if (missing.grafted == from || missing.announcers.size() >= config_.max_announcers) return;
  const bool known = std::any_of(missing.announcers.begin(), missing.announcers.end(),
                                 [&](const auto& a) { return a.first == from; });
  if (!known) missing.announcers.emplace_back(from, entry.round);
}

// Paper §3.8: an announcer much closer to the origin than the peer that pushed us the message
// should be our parent. GRAFT it (its answer is an expected duplicate, see swap_grafts_) and
// PRUNE the old parent.
void BroadcastTree::maybe_optimize(const std::string& from, const IHave::Entry& entry) {
  if (config_.optimization_threshold == 0 || !lazy_.contains(from)) return;
  const std::optional<std::uint32_t> round = cache_.round_of(entry.id);
  const std::string* sender = cache_.sender_of(entry.id);
  if (!round || sender == nullptr || *sender == from || !eager_.contains(*sender)) return;
  if (entry.round + config_.optimization_threshold > *round) return;
  const std::string parent = *sender;
  ++stats_.optimizations;
  make_eager(from);
  swap_grafts_[from] = entry.id;
  ++stats_.grafts_sent;
  send(from, Graft{{entry.id}});
  make_lazy(parent);
  ++stats_.prunes_sent;
  send(parent, Prune{});
  cache_.update_route(entry.id, from, entry.round);
}

void BroadcastTree::handle(core::Instant /*now*/, const std::string& from, const Graft& m) {
  ++stats_.grafts_received;
  make_eager(from);  // paper §3.6: the grafting peer wants our pushes
  // Each id answered once per GRAFT, so one message cannot make us copy a payload 1024 times;
  // the answers are bounded by the payload budget.
  std::set<MessageId> answered;
  for (const auto& id : m.ids) {
    const Gossip* cached = cache_.find_payload(id);
    if (cached == nullptr || !answered.insert(id).second) continue;
    Gossip copy = *cached;
    copy.round = next_round(copy.round);
    ++stats_.gossip_sent;
    send(from, std::move(copy));
  }
}

void BroadcastTree::handle(core::Instant /*now*/, const std::string& from, const Prune&) {
  ++stats_.prunes_received;
  make_lazy(from);
}

// ---- lazy announcements ---------------------------------------------------------------------

void BroadcastTree::announce(core::Instant now, const std::string& peer,
                             const IHave::Entry& entry) {
  auto& queue = lazy_queue_[peer];
  queue.push_back(entry);
  if (queue.size() >= config_.max_ihave_batch || config_.lazy_flush_interval.count() == 0) {
    flush_peer(peer, queue);  // a full batch goes now: no queue exceeds max_ihave_batch
    lazy_queue_.erase(peer);
    return;
  }
  if (next_flush_.is_never()) next_flush_ = now + config_.lazy_flush_interval;
}

void BroadcastTree::withdraw_announcement(const std::string& peer, const MessageId& id) {
  auto queue = lazy_queue_.find(peer);
  if (queue == lazy_queue_.end()) return;
  const auto removed =
      std::erase_if(queue->second, [&](const IHave::Entry& e) { return e.id == id; });
  stats_.ihave_withdrawn += removed;
  if (queue->second.empty()) lazy_queue_.erase(queue);
}

void BroadcastTree::flush_peer(const std::string& peer, std::vector<IHave::Entry>& entries) {
  for (std::size_t start = 0; start < entries.size(); start += config_.max_ihave_batch) {
    IHave batch;
    auto end = std::min(entries.size(), start + config_.max_ihave_batch);
    batch.entries.assign(entries.begin() + static_cast<std::ptrdiff_t>(start),
                         entries.begin() + static_cast<std::ptrdiff_t>(end));
    stats_.ihave_sent += batch.entries.size();
    ++stats_.ihave_messages_sent;
    send(peer, std::move(batch));
  }
  entries.clear();
}

void BroadcastTree::flush_lazy() {
  for (auto& [peer, entries] : lazy_queue_) flush_peer(peer, entries);
  lazy_queue_.clear();
  next_flush_ = core::Instant::never();
}

std::size_t BroadcastTree::queued_announcements(const std::string& peer) const {
  auto it = lazy_queue_.find(peer);
  return it == lazy_queue_.end() ? 0 : it->second.size();
}

// ---- timers ---------------------------------------------------------------------------------

void BroadcastTree::on_timeout(core::Instant now) {
  if (now >= next_flush_) flush_lazy();
  GraftBatch grafts;
  for (auto it = missing_.begin(); it != missing_.end();) {
    Missing& missing = it->second;
    if (missing.deadline > now) {
      ++it;
      continue;
    }
    if (missing.announcers.empty()) {  // every announcer tried: give up until a new IHAVE
      it = missing_.erase(it);
      continue;
    }
    // Paper §3.6: GRAFT the first announcer, make it eager, and give it graft_retry_timeout
    // before asking the next one.
    const std::string peer = missing.announcers.front().first;
    missing.announcers.pop_front();
    make_eager(peer);
    grafts[peer].push_back(it->first);
    missing.grafted = peer;
    missing.deadline = now + config_.graft_retry_timeout;
    ++it;
  }
  send_grafts(grafts);
  stats_.cache_evictions += cache_.expire(now);
}

// One GRAFT per peer for all its ids, split at the wire's list limit.
void BroadcastTree::send_grafts(const GraftBatch& grafts) {
  for (const auto& [peer, ids] : grafts) {
    for (std::size_t start = 0; start < ids.size(); start += kMaxListSize) {
      auto end = std::min(ids.size(), start + kMaxListSize);
      ++stats_.grafts_sent;
      send(peer, Graft{std::vector<MessageId>(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                              ids.begin() + static_cast<std::ptrdiff_t>(end))});
    }
  }
}

core::Instant BroadcastTree::next_deadline() const {
  core::Instant deadline = std::min(next_flush_, cache_.next_expiry());
  for (const auto& [id, missing] : missing_) deadline = std::min(deadline, missing.deadline);
  return deadline;
}

// ---- outputs --------------------------------------------------------------------------------

void BroadcastTree::send(const std::string& peer, Message message) {
  sends_.push_back(Send{peer, std::move(message)});
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
