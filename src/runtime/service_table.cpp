#include "runtime/service_table.hpp"

#include <algorithm>
#include <mutex>

namespace barrel_p2p::runtime {

void ServiceTable::apply(const ServiceEvent& event) {
  const ServiceInstance& instance = event.instance;
  std::unique_lock lock(mutex_);
  if (event.kind == ServiceEvent::Kind::registered) {
    auto& list = names_[instance.name];
    auto at = std::upper_bound(
        list.begin(), list.end(), instance,
        [](const ServiceInstance& a, const ServiceInstance& b) { return a.pid.node < b.pid.node; });
    list.insert(at, instance);
    return;
  }
  auto it = names_.find(instance.name);
  if (it == names_.end()) return;
  // (name, pid) names one entry: a node replaces its own entry of a pid under a name.
  auto& list = it->second;
  auto gone = std::find_if(list.begin(), list.end(),
                           [&](const ServiceInstance& entry) { return entry.pid == instance.pid; });
  if (gone != list.end()) list.erase(gone);
  if (list.empty()) names_.erase(it);
}

std::vector<ServiceInstance> ServiceTable::lookup(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto it = names_.find(name);
  return it == names_.end() ? std::vector<ServiceInstance>{} : it->second;
}

std::vector<ServiceInstance> ServiceTable::lookup_on(std::string_view name,
                                                     std::string_view node) const {
  std::vector<ServiceInstance> out;
  std::shared_lock lock(mutex_);
  if (auto it = names_.find(name); it != names_.end()) {
    for (const ServiceInstance& instance : it->second) {
      if (instance.pid.node == node) out.push_back(instance);
    }
  }
  return out;
}

std::optional<ServiceInstance> ServiceTable::choose(std::string_view name,
                                                    std::string_view local_node,
                                                    std::uint64_t pick) const {
  std::shared_lock lock(mutex_);
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  const auto& list = it->second;
  for (const ServiceInstance& instance : list) {
    if (instance.pid.node == local_node) return instance;
  }
  return list[pick % list.size()];
}

std::vector<std::string> ServiceTable::list(std::string_view prefix) const {
  std::vector<std::string> out;
  std::shared_lock lock(mutex_);
  for (auto it = names_.lower_bound(prefix); it != names_.end(); ++it) {
    if (!std::string_view(it->first).starts_with(prefix)) break;
    out.push_back(it->first);
  }
  return out;
}

}  // namespace barrel_p2p::runtime
