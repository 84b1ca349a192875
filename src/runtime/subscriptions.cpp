#include "runtime/subscriptions.hpp"

namespace barrel_p2p::runtime {

std::uint64_t Subscriptions::add_broadcast(const std::string& tag, BroadcastHandler handler) {
  std::lock_guard lock(mutex_);
  if (count() >= kLimit) return 0;
  const std::uint64_t id = next_id_++;
  auto entry = std::make_shared<Entry<BroadcastHandler>>();
  entry->tag = tag;
  entry->handler = std::move(handler);
  broadcast_.emplace(id, std::move(entry));
  return id;
}

std::uint64_t Subscriptions::add_membership(MembershipHandler handler) {
  std::lock_guard lock(mutex_);
  if (count() >= kLimit) return 0;
  const std::uint64_t id = next_id_++;
  auto entry = std::make_shared<Entry<MembershipHandler>>();
  entry->handler = std::move(handler);
  membership_.emplace(id, std::move(entry));
  return id;
}

std::uint64_t Subscriptions::add_services(ServiceFilter filter, ServiceHandler handler) {
  std::lock_guard lock(mutex_);
  if (count() >= kLimit) return 0;
  const std::uint64_t id = next_id_++;
  auto entry = std::make_shared<Entry<ServiceHandler>>();
  entry->filter = std::move(filter);
  entry->handler = std::move(handler);
  services_.emplace(id, std::move(entry));
  return id;
}

void Subscriptions::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (auto it = broadcast_.find(id); it != broadcast_.end()) {
    it->second->active = false;
    broadcast_.erase(it);
  }
  if (auto it = membership_.find(id); it != membership_.end()) {
    it->second->active = false;
    membership_.erase(it);
  }
  if (auto it = services_.find(id); it != services_.end()) {
    it->second->active = false;
    services_.erase(it);
  }
}

void Subscriptions::deliver(const BroadcastMessage& message) const {
  std::vector<std::shared_ptr<Entry<BroadcastHandler>>> entries;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : broadcast_) {
      if (entry->tag == message.tag) entries.push_back(entry);
    }
  }
  for (const auto& entry : entries) {
    if (entry->active) entry->handler(message);
  }
}

void Subscriptions::deliver(const MembershipEvent& event) const {
  std::vector<std::shared_ptr<Entry<MembershipHandler>>> entries;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : membership_) entries.push_back(entry);
  }
  for (const auto& entry : entries) {
    if (entry->active) entry->handler(event);
  }
}

void Subscriptions::deliver(const ServiceEvent& event) const {
  std::vector<std::shared_ptr<Entry<ServiceHandler>>> entries;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : services_) {
      if (entry->filter.matches(event.instance.name)) entries.push_back(entry);
    }
  }
  for (const auto& entry : entries) {
    if (entry->active) entry->handler(event);
  }
}

std::size_t Subscriptions::size() const {
  std::lock_guard lock(mutex_);
  return count();
}

}  // namespace barrel_p2p::runtime
