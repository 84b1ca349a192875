#include "proto/plumtree/message_cache.hpp"

#include "core/assert.hpp"

namespace barrel_p2p::plumtree {

MessageCache::MessageCache(std::size_t capacity, core::Duration ttl, std::size_t payload_budget)
    : capacity_(capacity), ttl_(ttl), payload_budget_(payload_budget) {
  BARREL_ASSERT(capacity_ >= 1, "cache capacity must be at least 1");
  BARREL_ASSERT(ttl_.count() > 0, "cache ttl must be positive");
}

bool MessageCache::contains(const MessageId& id) const { return entries_.contains(id); }

// Ids leave only from the front of by_age_ (oldest first), and payloads are kept in the same
// order, so the oldest id's payload, if kept, is the front of payload_order_: both deques stay
// exact (no stale ids) and bounded by capacity.
void MessageCache::erase(std::map<MessageId, Entry>::iterator it) {
  BARREL_ASSERT(!by_age_.empty() && by_age_.front().second == it->first);
  by_age_.pop_front();
  if (it->second.gossip) {
    BARREL_ASSERT(!payload_order_.empty() && payload_order_.front() == it->first);
    payload_order_.pop_front();
    payload_bytes_ -= it->second.gossip->payload.size();
  }
  entries_.erase(it);
}

void MessageCache::drop_payloads_over_budget() {
  while (payload_bytes_ > payload_budget_) {
    BARREL_ASSERT(!payload_order_.empty());
    auto it = entries_.find(payload_order_.front());
    BARREL_ASSERT(it != entries_.end() && it->second.gossip.has_value());
    payload_order_.pop_front();
    payload_bytes_ -= it->second.gossip->payload.size();
    it->second.gossip.reset();  // the id stays for dedup
  }
}

std::size_t MessageCache::insert(core::Instant now, const Gossip& gossip,
                                 const std::string& sender) {
  BARREL_ASSERT(!contains(gossip.id), "id already cached");
  BARREL_ASSERT(by_age_.empty() || by_age_.back().first <= now, "time went backwards");
  Entry entry{now, gossip.round, sender, std::nullopt};
  const bool keep_payload = gossip.payload.size() <= payload_budget_;
  if (keep_payload) entry.gossip = gossip;
  entries_.emplace(gossip.id, std::move(entry));
  by_age_.emplace_back(now, gossip.id);
  if (keep_payload) {
    payload_order_.push_back(gossip.id);
    payload_bytes_ += gossip.payload.size();
  }
  std::size_t evicted = 0;
  while (entries_.size() > capacity_) {
    erase(entries_.find(by_age_.front().second));
    ++evicted;
  }
  drop_payloads_over_budget();
  return evicted;
}

const Gossip* MessageCache::find_payload(const MessageId& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.gossip) return nullptr;
  return &*it->second.gossip;
}

std::optional<std::uint32_t> MessageCache::round_of(const MessageId& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.round;
}

const std::string* MessageCache::sender_of(const MessageId& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second.sender;
}

void MessageCache::update_route(const MessageId& id, const std::string& sender,
                                std::uint32_t round) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.sender = sender;
  it->second.round = round;
}

std::size_t MessageCache::expire(core::Instant now) {
  std::size_t expired = 0;
  while (!by_age_.empty() && now - by_age_.front().first >= ttl_) {
    erase(entries_.find(by_age_.front().second));
    ++expired;
  }
  return expired;
}

core::Instant MessageCache::next_expiry() const {
  return by_age_.empty() ? core::Instant::never() : by_age_.front().first + ttl_;
}

std::vector<IHave::Entry> MessageCache::recent(core::Instant now, core::Duration window,
                                               std::size_t limit) const {
  std::vector<IHave::Entry> out;
  for (auto it = by_age_.rbegin(); it != by_age_.rend() && out.size() < limit; ++it) {
    if (now - it->first > window) break;
    auto entry = entries_.find(it->second);
    BARREL_ASSERT(entry != entries_.end());
    if (entry->second.gossip) out.push_back(IHave::Entry{it->second, entry->second.round});
  }
  return out;
}

}  // namespace barrel_p2p::plumtree
