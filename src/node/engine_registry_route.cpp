// Engine: overlay route requests, step 3 of whereis_service (SPEC §2.6). When neither a local
// instance nor the replicated table has a name, the node walks the overlay: ROUTE_REQUEST to
// `fanout` random active peers; a node that does not know the name passes it to one random
// active peer (not the one it came from, nor the origin) while hops remain; the first node
// whose table has the name sends ROUTE_REPLY straight to the origin, over an on-demand link
// to the origin's address when they are not neighbours. The bookkeeping (ids, duplicates,
// retries, the in-flight cap, the answer cache) is registry::RouteTable's.
#include <algorithm>

#include "node/engine.hpp"

namespace barrel_p2p::node {

namespace {
// Instances one ROUTE_REPLY carries at most: enough to choose from, small enough for one frame
// (64 × the largest entry ≈ 100 KiB).
constexpr std::size_t kMaxRouteInstances = 64;

core::Duration nanos(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<core::Duration>(ms);
}
}  // namespace

registry::RouteConfig registry_route_config(const RegistryConfig& config) {
  registry::RouteConfig out;
  out.ttl = config.route_ttl;
  out.fanout = config.route_fanout;
  out.timeout = nanos(config.route_timeout);
  out.cache_ttl = nanos(config.route_cache_ttl);
  out.max_in_flight = config.route_max_in_flight;
  return out;
}

// ---- origin --------------------------------------------------------------------------------

Result<Engine::ServiceQuery> Engine::find_service(core::Instant now, std::string_view name,
                                                  std::uint32_t retries) {
  now_ = now;
  if (stopping_) return fail(Errc::closed, "node is stopping");
  if (name.empty() || name.size() > registry_.config().max_name_size) {
    return fail(Errc::invalid_argument, "whereis_service: name must be 1-" +
                                            std::to_string(registry_.config().max_name_size) +
                                            " bytes");
  }
  ServiceQuery out;
  out.found = lookup_service(name);
  if (!out.found.empty()) return out;
  if (auto cached = route_.cached(now, name)) {
    out.found = service_instances(*cached);
    if (!out.found.empty()) return out;
  }
  auto started = route_.start(now, std::string(name), retries);
  if (!started) return Unexpected(std::move(started).error());
  out.query = started->first;
  send_walk(started->second);
  settle(now);
  return out;
}

std::optional<ServiceFound> Engine::poll_service_found() {
  if (service_found_.empty()) return std::nullopt;
  ServiceFound found = std::move(service_found_.front());
  service_found_.pop_front();
  return found;
}

void Engine::send_walk(const registry::RouteWalk& walk) {
  std::vector<std::string> peers;
  for (const NodeInfo& peer : active_view()) peers.push_back(peer.name);
  if (peers.empty()) {
    route_.count_drop(registry::RouteDrop::no_peer);  // the query times out (or retries)
    return;
  }
  const registry::RouteRequest request{walk.request_id,
                                       static_cast<std::uint8_t>(route_.config().ttl),
                                       config_.node_name, config_.advertise_address, walk.name};
  scratch_ = registry::encode_route_request(request);
  for (std::size_t sent = 0; sent < route_.config().fanout && !peers.empty(); ++sent) {
    const auto index = static_cast<std::size_t>(rng_.uniform(peers.size()));
    (void)send_link_frame(peers[index], wire::FrameType::registry, scratch_);
    peers.erase(peers.begin() + static_cast<std::ptrdiff_t>(index));
  }
}

void Engine::on_route_reply(const std::string& peer, const registry::Message& reply) {
  auto delta = registry::decode(reply.body, registry_.config().delta_limits());
  if (!delta) {
    route_.count_drop(registry::RouteDrop::bad_reply);
    log(3, "route reply from " + peer + " dropped: " + delta.error().message);
    return;
  }
  std::vector<registry::RoutedInstance> instances;
  for (registry::NodeSlice& slice : delta->nodes) {
    for (registry::DeltaEntry& entry : slice.entries) {
      // Only instances whose pid is a process of their node are usable (and cached).
      if (!instance_pid(slice.node, entry.pid)) continue;
      instances.push_back(registry::RoutedInstance{slice.node, std::move(entry)});
    }
  }
  if (auto result = route_.on_reply(now_, reply.request_id, std::move(instances))) {
    finish_route(std::move(*result));
  }
}

std::vector<ServiceInstance> Engine::service_instances(
    const std::vector<registry::RoutedInstance>& instances) {
  std::vector<ServiceInstance> out;
  for (const registry::RoutedInstance& instance : instances) {
    if (auto pid = instance_pid(instance.node, instance.entry.pid)) {
      out.push_back(ServiceInstance{instance.entry.name, std::move(*pid), instance.entry.metadata});
    }
  }
  return out;
}

void Engine::finish_route(registry::RouteResult&& result) {
  ServiceFound found{result.query, Unexpected(Errc::internal, "unset")};
  if (result.found) {
    found.found = service_instances(*result.found);
  } else {
    found.found = Unexpected(std::move(result.found).error());
  }
  service_found_.push_back(std::move(found));
}

void Engine::route_on_timeout(core::Instant now) {
  std::vector<registry::RouteWalk> walks;
  std::vector<registry::RouteResult> failed;
  route_.on_timeout(now, walks, failed);
  for (const registry::RouteWalk& walk : walks) send_walk(walk);
  for (registry::RouteResult& result : failed) finish_route(std::move(result));
}

void Engine::route_shutdown() {
  for (registry::RouteResult& result : route_.fail_all(Error{Errc::closed, "node stopping"})) {
    finish_route(std::move(result));
  }
}

// ---- other nodes ---------------------------------------------------------------------------

void Engine::on_route_request(const std::string& peer, registry::Message&& request) {
  if (request.origin == config_.node_name || !wire::is_valid_name(request.origin)) {
    // Our own walk came back (or a request naming no node it could answer).
    route_.count_drop(registry::RouteDrop::duplicate);
    return;
  }
  const bool known = !lookup_service(request.name).empty();
  switch (route_.on_request(now_, request.origin, request.request_id, request.ttl, known)) {
    case registry::RouteDecision::drop: return;
    case registry::RouteDecision::answer: answer_route_request(request); return;
    case registry::RouteDecision::forward: break;
  }
  std::vector<std::string> peers;
  for (const NodeInfo& info : active_view()) {
    if (info.name != peer && info.name != request.origin) peers.push_back(info.name);
  }
  if (peers.empty()) {
    route_.count_drop(registry::RouteDrop::no_peer);
    return;
  }
  const std::string& next = peers[static_cast<std::size_t>(rng_.uniform(peers.size()))];
  --request.ttl;
  scratch_ = registry::encode_route_request(
      registry::RouteRequest{request.request_id, request.ttl, std::move(request.origin),
                             std::move(request.address), std::move(request.name)});
  if (send_link_frame(next, wire::FrameType::registry, scratch_)) route_.count_forwarded();
}

void Engine::answer_route_request(const registry::Message& request) {
  std::vector<registry::Instance> instances = registry_.lookup(request.name);
  std::sort(instances.begin(), instances.end(), [](const auto& a, const auto& b) {
    return std::tie(a.node, a.stamp) < std::tie(b.node, b.stamp);
  });
  if (instances.size() > kMaxRouteInstances) instances.resize(kMaxRouteInstances);
  registry::Delta delta;
  for (registry::Instance& instance : instances) {
    if (delta.nodes.empty() || delta.nodes.back().node != instance.node) {
      delta.nodes.push_back(registry::NodeSlice{instance.node, {}, {}, {}});
    }
    delta.nodes.back().entries.push_back(registry::DeltaEntry{
        instance.stamp, request.name, std::move(instance.pid), std::move(instance.metadata)});
  }
  const core::Bytes reply =
      registry::encode_route_reply(request.request_id, registry::encode(delta));
  if (!request.address.empty() && !known_address(request.origin)) {
    learn_address(request.origin, request.address);  // so the reply can connect
  }
  if (auto sent = send_link_frame(request.origin, wire::FrameType::registry, reply); !sent) {
    log(3, "route reply to " + request.origin + " not sent: " + sent.error().message);
  }
}

}  // namespace barrel_p2p::node
