#include "proto/registry/exit_causes.hpp"

#include <algorithm>

namespace barrel_p2p::registry {

RecentExitCauses::RecentExitCauses(std::size_t capacity, core::Duration retention)
    : capacity_(capacity), retention_(retention) {}

void RecentExitCauses::expire(core::Instant now) {
  while (!causes_.empty() && causes_.front().learned + retention_ <= now) causes_.pop_front();
}

void RecentExitCauses::remember(core::Instant now, DotCause cause) {
  expire(now);
  if (capacity_ == 0 || cause.node.empty() || cause.node.size() > kMaxRouteOriginSize) return;
  const auto same = std::find_if(causes_.begin(), causes_.end(), [&](const Held& held) {
    return held.cause.node == cause.node && held.cause.stamp == cause.stamp;
  });
  if (same != causes_.end()) causes_.erase(same);
  if (causes_.size() == capacity_) causes_.pop_front();
  causes_.push_back(Held{now, std::move(cause)});
}

const ExitCause* RecentExitCauses::find(std::string_view node, const hlc::Timestamp& stamp) const {
  for (const Held& held : causes_) {
    if (held.cause.node == node && held.cause.stamp == stamp) return &held.cause.cause;
  }
  return nullptr;
}

std::vector<DotCause> RecentExitCauses::recent(core::Instant now) {
  expire(now);
  std::vector<DotCause> out;
  const std::size_t count = std::min(causes_.size(), kMaxStateCauses);
  out.reserve(count);
  for (auto it = causes_.rbegin(); out.size() < count; ++it) out.push_back(it->cause);
  return out;
}

}  // namespace barrel_p2p::registry
