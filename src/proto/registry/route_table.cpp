#include "proto/registry/route_table.hpp"

#include <algorithm>

namespace barrel_p2p::registry {

namespace {
hlc::Timestamp newest(const std::vector<RoutedInstance>& instances) {
  hlc::Timestamp out{};
  for (const RoutedInstance& instance : instances) out = std::max(out, instance.entry.stamp);
  return out;
}
}  // namespace

Result<void> RouteConfig::validate() const {
  auto bad = [](const char* field, const char* why) {
    return fail(Errc::invalid_argument, std::string(field) + ": " + why);
  };
  if (ttl > 32) return bad("route_ttl", "must be 0-32");
  if (fanout == 0 || fanout > 16) return bad("route_fanout", "must be 1-16");
  if (timeout.count() <= 0) return bad("route_timeout", "must be positive");
  if (cache_ttl.count() < 0) return bad("route_cache_ttl", "must not be negative (0: no cache)");
  if (max_in_flight == 0) return bad("route_max_in_flight", "must be at least 1");
  if (max_cached == 0) return bad("max_cached", "must be at least 1");
  if (max_seen == 0) return bad("max_seen", "must be at least 1");
  if (seen_ttl.count() <= 0) return bad("seen_ttl", "must be positive");
  return {};
}

std::string_view route_drop_name(RouteDrop reason) noexcept {
  switch (reason) {
    case RouteDrop::duplicate: return "duplicate";
    case RouteDrop::ttl_expired: return "ttl_expired";
    case RouteDrop::no_peer: return "no_peer";
    case RouteDrop::unknown_reply: return "unknown_reply";
    case RouteDrop::bad_reply: return "bad_reply";
    case RouteDrop::overloaded: return "overloaded";
  }
  return "unknown";
}

RouteTable::RouteTable(RouteConfig config, std::uint64_t first_request_id)
    : config_(config), next_request_id_(first_request_id) {}

std::optional<std::vector<RoutedInstance>> RouteTable::cached(core::Instant now,
                                                              std::string_view name) {
  auto it = cache_.find(name);
  if (it == cache_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    cache_.erase(it);
    return std::nullopt;
  }
  ++stats_.cache_hits;
  return it->second.instances;
}

Result<std::pair<std::uint64_t, RouteWalk>> RouteTable::start(core::Instant now, std::string name,
                                                              std::uint32_t retries) {
  if (queries_.size() >= config_.max_in_flight) {
    count_drop(RouteDrop::overloaded);
    return fail(Errc::overloaded, "whereis_service: " + std::to_string(queries_.size()) +
                                      " overlay route requests in flight (registry." +
                                      "route_max_in_flight); try again later");
  }
  const std::uint64_t id = next_query_++;
  Query& query = queries_[id];
  query.name = std::move(name);
  query.retries_left = retries;
  return std::pair{id, next_walk(now, query)};
}

RouteWalk RouteTable::next_walk(core::Instant now, Query& query) {
  query.request_id = next_request_id_++;
  query.deadline = now + config_.timeout;
  ++query.attempts;
  ++stats_.sent;
  return RouteWalk{query.request_id, query.name};
}

std::optional<RouteResult> RouteTable::on_reply(core::Instant now, std::uint64_t request_id,
                                                std::vector<RoutedInstance> instances) {
  auto it = std::find_if(queries_.begin(), queries_.end(),
                         [&](const auto& entry) { return entry.second.request_id == request_id; });
  if (it == queries_.end()) {
    count_drop(RouteDrop::unknown_reply);
    return std::nullopt;
  }
  const bool fits = !instances.empty() &&
                    std::all_of(instances.begin(), instances.end(), [&](const auto& instance) {
                      return instance.entry.name == it->second.name;
                    });
  if (!fits) {
    count_drop(RouteDrop::bad_reply);
    return std::nullopt;
  }
  cache(now, it->second.name, instances);
  RouteResult result{it->first, std::move(instances)};
  queries_.erase(it);
  return result;
}

void RouteTable::cache(core::Instant now, const std::string& name,
                       std::vector<RoutedInstance> instances) {
  if (config_.cache_ttl.count() == 0) return;
  forget_expired(now);
  auto it = cache_.find(name);
  if (it != cache_.end()) {
    // An answer older than the one held (by its newest stamp) does not replace it.
    if (newest(instances) < newest(it->second.instances)) return;
    it->second = Cached{std::move(instances), now + config_.cache_ttl};
    return;
  }
  if (cache_.size() >= config_.max_cached) {
    auto first = std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    });
    cache_.erase(first);  // at the bound: the entry expiring first goes
  }
  cache_.emplace(name, Cached{std::move(instances), now + config_.cache_ttl});
}

RouteDecision RouteTable::on_request(core::Instant now, const std::string& origin,
                                     std::uint64_t request_id, std::uint8_t ttl, bool known_here) {
  forget_expired(now);
  if (seen_.contains(SeenKey{origin, request_id})) {
    count_drop(RouteDrop::duplicate);
    return RouteDecision::drop;
  }
  remember(now, origin, request_id);
  if (known_here) {
    ++stats_.answered;
    return RouteDecision::answer;
  }
  if (ttl == 0) {
    count_drop(RouteDrop::ttl_expired);
    return RouteDecision::drop;
  }
  return RouteDecision::forward;  // counted by count_forwarded() once sent
}

void RouteTable::remember(core::Instant now, const std::string& origin, std::uint64_t request_id) {
  SeenKey key{origin, request_id};
  if (!seen_.insert(key).second) return;
  seen_order_.emplace_back(now + config_.seen_ttl, std::move(key));
  while (seen_order_.size() > config_.max_seen) {  // at the bound: the oldest is forgotten
    seen_.erase(seen_order_.front().second);
    seen_order_.pop_front();
  }
}

void RouteTable::forget_expired(core::Instant now) {
  while (!seen_order_.empty() && seen_order_.front().first <= now) {
    seen_.erase(seen_order_.front().second);
    seen_order_.pop_front();
  }
  std::erase_if(cache_, [&](const auto& entry) { return entry.second.expires <= now; });
}

core::Instant RouteTable::next_deadline() const {
  core::Instant out = core::Instant::never();
  for (const auto& [id, query] : queries_) out = std::min(out, query.deadline);
  return out;
}

void RouteTable::on_timeout(core::Instant now, std::vector<RouteWalk>& walks,
                            std::vector<RouteResult>& failed) {
  forget_expired(now);
  for (auto it = queries_.begin(); it != queries_.end();) {
    Query& query = it->second;
    if (query.deadline > now) {
      ++it;
      continue;
    }
    ++stats_.timed_out;
    if (query.retries_left > 0) {
      --query.retries_left;
      walks.push_back(next_walk(now, query));
      ++it;
      continue;
    }
    failed.push_back(RouteResult{
        it->first, fail(Errc::not_found, "no instance of service '" + query.name +
                                             "' is known here, nor found by " +
                                             std::to_string(query.attempts) + " overlay walks")});
    it = queries_.erase(it);
  }
}

std::vector<RouteResult> RouteTable::fail_all(const Error& error) {
  std::vector<RouteResult> out;
  for (const auto& [id, query] : queries_) out.push_back(RouteResult{id, Unexpected(error)});
  queries_.clear();
  return out;
}

}  // namespace barrel_p2p::registry
