// Engine: leases on the registry entries of other nodes (decision 0025). A node that crashes
// cannot say goodbye, so its entries would stay in every replica until it restarts. Instead,
// every entry of node N seen here lives under a lease that N's liveness evidence renews:
// - anything N sent: a delta or a HEARTBEAT whose Plumtree origin is N, a registry frame on
//   the link to N;
// - a direct authenticated link to N, checked at every lease check.
// A node with entries of its own broadcasts a HEARTBEAT every registry_lease_renew_interval;
// nodes without entries send nothing, and leases are kept only for nodes with entries here.
//
// When N's lease runs out (registry_lease without evidence, seen at the next check, so within
// lease + renew interval), its entries are hidden here (ServiceRegistry::hide_node: the CRDT,
// its digest and anti-entropy are unchanged) and each reports `down` with reason
// noconnection "lease expired". Evidence from N shows them again (`registered`): a node that
// was only cut off comes back whole. After kLeasePruneFactor leases hidden, the replica prunes
// N for real (remove_node, local): its floor then reaches the other replicas through
// anti-entropy, as decision 0009 §3 allows. This node's own entries are never hidden.
#include <algorithm>

#include "node/engine.hpp"
#include "proto/registry/registry_message.hpp"

namespace barrel_p2p::node {

bool Engine::leases_on() const { return config_.registry_lease.count() > 0; }

void Engine::renew_lease(const std::string& node) {
  if (!leases_on()) return;
  auto it = leases_.find(node);
  if (it == leases_.end()) return;  // no entries here yet: the next check starts a full lease
  it->second.renewed = now_;
  if (!it->second.hidden) return;
  it->second.hidden = false;
  const std::size_t shown = registry_.show_node(node);
  ++registry_counters_.leases_restored;
  log(2, "registry: " + node + " is back: " + std::to_string(shown) + " entries visible again");
  drain_registry_events(node, std::nullopt);
}

void Engine::on_registry_heartbeat(const std::string& origin, const registry::Message& message) {
  if (message.origin != origin) {  // a heartbeat speaks for its own sender only
    ++registry_counters_.malformed;
    log(3, "registry heartbeat from " + origin + " names " + message.origin + ": dropped");
    return;
  }
  ++registry_counters_.heartbeats_received;
  auto it = leases_.find(origin);
  if (it == leases_.end()) return;
  if (message.stamp <= it->second.beat) return;  // replayed or reordered: renews nothing
  it->second.beat = message.stamp;
  renew_lease(origin);
}

void Engine::send_heartbeat() {
  if (!registry_.has_own_entries()) return;  // nothing of ours to keep alive
  core::Bytes message = registry::encode_heartbeat(config_.node_name, registry_.stamp(wall_));
  if (auto sent = broadcast_.broadcast(now_, std::string(kRegistryTag), std::move(message));
      !sent) {
    log(3, "registry heartbeat not broadcast: " + sent.error().message);
    return;
  }
  ++registry_counters_.heartbeats_sent;
}

void Engine::check_leases(core::Instant now) {
  if (!leases_on() || stopping_) return;
  if (!next_lease_check_.is_never() && next_lease_check_ > now) return;
  next_lease_check_ = now + config_.registry_lease_renew_interval;
  send_heartbeat();
  const std::vector<std::string> holders = registry_.nodes_with_entries();
  // Leases of nodes whose entries are all gone end (a hidden one stops being hidden, so that a
  // later run of it is seen at once).
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (std::binary_search(holders.begin(), holders.end(), it->first)) {
      ++it;
      continue;
    }
    if (it->second.hidden) (void)registry_.show_node(it->first);
    it = leases_.erase(it);
  }
  const core::Duration prune_after = config_.registry_lease * kLeasePruneFactor;
  for (const std::string& node : holders) {
    auto [it, started] = leases_.try_emplace(node);
    Lease& lease = it->second;
    if (started) lease.renewed = now;                       // first seen: a full lease
    if (links_.route(node).has_value()) renew_lease(node);  // a direct link is evidence
    if (!lease.hidden && now - lease.renewed >= config_.registry_lease) {
      lease.hidden = true;
      lease.hidden_at = now;
      auto hidden = registry_.hide_node(node);
      ++registry_counters_.leases_expired;
      log(2, "registry: lease of " + node + " expired: " + std::to_string(hidden.value_or(0)) +
                 " entries hidden");
      drain_registry_events(node, std::nullopt);
    } else if (lease.hidden && now - lease.hidden_at >= prune_after) {
      if (auto pruned = registry_.remove_node(node); pruned) {
        ++registry_counters_.leases_pruned;
        ++registry_version_;  // the raised floor changes the state (and its digest)
        log(2, "registry: " + node + " pruned after " + std::to_string(kLeasePruneFactor) +
                   " leases without news");
      }
      drain_registry_events(node, std::nullopt);  // nothing: its entries were hidden
      leases_.erase(it);
    }
  }
}

core::Instant Engine::lease_deadline() const {
  if (!leases_on() || stopping_) return core::Instant::never();
  return next_lease_check_.is_never() ? now_ : next_lease_check_;
}

}  // namespace barrel_p2p::node
