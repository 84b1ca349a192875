// Engine: the service registry (SPEC §2.6). The registry core (proto/registry) holds the
// OR-Map; this file wires it to the node:
// - local operations (register, unregister) and the death of a registered process produce
//   deltas, broadcast through Plumtree under the reserved tag kRegistryTag;
// - deltas delivered by Plumtree merge here (a DELTA that names an exit cause turns the
//   entries it removes into service `down` events);
// - a new active link, and every anti_entropy_interval a random active peer, compare
//   digests; when they differ, both full states cross (registry_message.hpp), each with the
//   exit causes of recent removals (exit_causes_), so a removal that arrives by a state is
//   still a `down` with its reason;
// - shutdown() ends every process before the DISCONNECTs, so a node that stops takes its
//   services with it (down, reason shutdown). A node that crashes stops renewing the lease on
//   its entries; they are hidden on every other node once it runs out (down, reason
//   noconnection "lease expired"; engine_registry_lease.cpp), and its restart's floor retires
//   them for good (service_registry.hpp, "Floors").
#include <algorithm>
#include <array>
#include <map>

#include "node/engine.hpp"
#include "proto/registry/registry_message.hpp"

namespace barrel_p2p::node {

namespace {
// An entry's "pid" field is a contact: the pid and the address its node advertises, so any
// node can reach the instance it looks up (the address is learned like a membership one).
//   contact = varint length | Pid::serialize() | varint length | address
// Pid::serialize() is at most 82 bytes, an address ("[v6]:port") at most 47.
constexpr std::size_t kMaxContactSize = 192;
constexpr std::size_t kMaxAddressSize = 64;

core::Bytes encode_contact(const Pid& pid, std::string_view address) {
  core::Bytes out;
  core::ByteWriter w(out);
  w.length_prefixed(pid.serialize());
  w.string(address.substr(0, kMaxAddressSize));
  return out;
}

struct Contact {
  Pid pid;
  std::string address;
};

std::optional<Contact> decode_contact(core::ByteView bytes) {
  core::ByteReader r(bytes);
  const core::ByteView pid_bytes = r.length_prefixed(kMaxContactSize);
  std::string address = r.string(kMaxAddressSize);
  if (!r.finished()) return std::nullopt;
  auto pid = Pid::deserialize(pid_bytes);
  if (!pid) return std::nullopt;
  return Contact{std::move(*pid), std::move(address)};
}

// The non-zero counters of `counts` (indexed by Reason) by their reason's name.
template <typename Reason, std::size_t N, typename NameOf>
std::map<std::string, std::uint64_t> by_reason(const std::array<std::uint64_t, N>& counts,
                                               NameOf name_of) {
  std::map<std::string, std::uint64_t> out;
  for (std::size_t i = 0; i < N; ++i) {
    if (counts[i] > 0) out[std::string(name_of(static_cast<Reason>(i)))] = counts[i];
  }
  return out;
}

std::string cut(std::string text) {
  if (text.size() > registry::kMaxExitText) text.resize(registry::kMaxExitText);
  return text;
}
}  // namespace

registry::Config registry_core_config(const RegistryConfig& config) {
  registry::Config out;
  out.max_names = config.max_names;
  out.max_entries_per_name = config.max_entries_per_name;
  out.max_entries = config.max_entries;
  out.max_name_size = config.max_name_size;
  out.max_pid_size = kMaxContactSize;
  out.max_metadata_size = config.max_metadata_size;
  out.max_tombstones = config.max_tombstones;
  out.max_state_size = config.max_state_size;
  out.max_delta_size = std::min<std::size_t>(out.max_delta_size, config.max_state_size);
  // Every event of one merge is drained before the next: a full state may change every entry.
  out.max_events = std::max<std::size_t>(out.max_events, 2 * config.max_entries + 16);
  out.clock.max_skew = config.max_clock_skew;
  return out;
}

bool is_reserved_tag(std::string_view tag) { return tag.starts_with(kReservedTagPrefix); }

// ---- API -----------------------------------------------------------------------------------

Result<void> Engine::register_service(core::Instant now, core::WallTime wall, std::string_view name,
                                      const Pid& pid, core::ByteView metadata) {
  now_ = now;
  wall_ = std::max(wall_, wall);
  if (stopping_) return fail(Errc::closed, "node is stopping");
  if (pid.node != config_.node_name) {
    return fail(Errc::invalid_argument,
                "register_service: " + pid.to_string() + " is not a process of this node");
  }
  if (!router_.alive(pid)) {
    return fail(Errc::noproc, "register_service: no process " + pid.to_string());
  }
  auto delta = registry_.add(wall_, name, encode_contact(pid, config_.advertise_address),
                             core::Bytes(metadata.begin(), metadata.end()));
  if (!delta) return Unexpected(std::move(delta).error());
  publish_delta(*delta, std::nullopt);
  settle(now);
  return {};
}

Result<void> Engine::unregister_service(core::Instant now, std::string_view name) {
  now_ = now;
  if (stopping_) return fail(Errc::closed, "node is stopping");
  bool any = false;
  for (const auto& instance : registry_.lookup(name)) {
    if (instance.node != config_.node_name) continue;
    auto delta = registry_.remove_entry(name, instance.node, instance.pid);
    if (!delta) return Unexpected(std::move(delta).error());
    publish_delta(*delta, std::nullopt);
    any = true;
  }
  if (!any) {
    return fail(Errc::not_found,
                "unregister_service: '" + std::string(name) + "' has no instance on this node");
  }
  settle(now);
  return {};
}

std::vector<ServiceInstance> Engine::lookup_service(std::string_view name) const {
  std::vector<ServiceInstance> out;
  for (const registry::Instance& instance : registry_.lookup(name)) {
    auto contact = decode_contact(instance.pid);
    if (contact && contact->pid.node == instance.node && contact->pid.is_valid()) {
      out.push_back(ServiceInstance{std::string(name), std::move(contact->pid), instance.metadata});
    }
  }
  return out;
}

std::vector<std::string> Engine::list_services(std::string_view prefix) const {
  return registry_.list(prefix);
}

std::optional<ServiceEvent> Engine::poll_service_event() {
  if (service_events_.empty()) return std::nullopt;
  ServiceEvent event = std::move(service_events_.front());
  service_events_.pop_front();
  return event;
}

EngineRegistryStats Engine::registry_stats() const {
  EngineRegistryStats out = registry_counters_;
  const registry::RegistryStats& core = registry_.stats();
  out.names = registry_.names();
  out.entries = registry_.entries();
  out.tombstones = registry_.tombstones();
  out.clock_skew_rejections = registry_.clock().stats().skew_rejections;
  const registry::RouteStats& route = route_.stats();
  out.route_requests_sent = route.sent;
  out.route_requests_answered = route.answered;
  out.route_requests_forwarded = route.forwarded;
  out.route_requests_timed_out = route.timed_out;
  out.route_cache_hits = route.cache_hits;
  out.route_dropped = by_reason<registry::RouteDrop>(route.dropped, registry::route_drop_name);
  out.refused = by_reason<registry::Refusal>(core.refused, registry::refusal_name);
  return out;
}

// ---- deltas --------------------------------------------------------------------------------

std::optional<Pid> Engine::instance_pid(const std::string& node, core::ByteView bytes) {
  auto contact = decode_contact(bytes);
  // Only the node that registered an entry names its process: anything else is not usable.
  if (!contact || contact->pid.node != node || !contact->pid.is_valid()) return std::nullopt;
  if (node != config_.node_name && !contact->address.empty() && !known_address(node)) {
    learn_address(node, contact->address);  // so sends to the instance can connect
  }
  return std::move(contact->pid);
}

void Engine::publish_delta(const registry::Delta& delta,
                           const std::optional<registry::ExitCause>& exit) {
  ++registry_version_;
  drain_registry_events(config_.node_name, exit);
  core::Bytes message = registry::encode_delta_message(registry::encode(delta), exit);
  if (auto sent = broadcast_.broadcast(now_, std::string(kRegistryTag), std::move(message));
      !sent) {
    // Too large for one broadcast: anti-entropy carries the change instead.
    ++registry_counters_.deltas_not_broadcast;
    log(3, "registry delta not broadcast: " + sent.error().message);
    return;
  }
  ++registry_counters_.deltas_out;
}

void Engine::on_registry_delta(const std::string& origin, core::ByteView payload) {
  if (origin == config_.node_name) return;          // applied when it was made
  if (config_.ignore_registry_replication) return;  // test hook
  auto message = registry::decode_message(payload, registry_.config().max_delta_size + 512);
  if (message && message->type == registry::Message::Type::heartbeat) {
    on_registry_heartbeat(origin, *message);
    return;
  }
  if (!message || message->type != registry::Message::Type::delta) {
    ++registry_counters_.malformed;
    log(3, "registry delta from " + origin +
               " dropped: " + (message ? std::string("not a delta") : message.error().message));
    return;
  }
  ++registry_counters_.deltas_in;
  renew_lease(origin);  // before the merge: its changes are then reported, not hidden
  auto merged = registry_.merge_encoded(wall_, message->body, registry::Kind::delta);
  if (!merged) {
    log(3, "registry delta from " + origin + " refused: " + merged.error().message);
    drain_registry_events(origin, std::nullopt);
    return;
  }
  ++registry_version_;
  drain_registry_events(origin, message->exit);
}

void Engine::drain_registry_events(const std::string& exited_node,
                                   const std::optional<registry::ExitCause>& exit) {
  // Entries of this node a peer removed (its lease pruning, or a forged tombstone) while their
  // process still runs: registered again below, with new dots.
  std::vector<ServiceInstance> reassert;
  while (auto event = registry_.poll_event()) {
    auto pid = instance_pid(event->registration.instance.node, event->registration.instance.pid);
    if (!pid) {
      ++registry_counters_.unusable_entries;
      continue;
    }
    std::string dot_node = event->registration.instance.node;
    const hlc::Timestamp dot_stamp = event->registration.instance.stamp;
    ServiceEvent out;
    out.instance = ServiceInstance{std::move(event->registration.name), std::move(*pid),
                                   std::move(event->registration.instance.metadata)};
    if (event->kind == registry::Event::Kind::registered) {
      out.kind = ServiceEvent::Kind::registered;
    } else if (event->kind == registry::Event::Kind::expired) {
      out.kind = ServiceEvent::Kind::down;  // its node's lease ran out (it may come back)
      out.reason = ExitReason{ExitCode::noconnection, std::string(kLeaseExpired)};
    } else {
      // Removed. Its process ended when the DELTA says so or a peer's STATE told why (a STATE
      // can bring the removal before its DELTA); an entry of ours whose process runs was not.
      const bool ours_running = out.instance.pid.node == config_.node_name &&
                                exited_node != config_.node_name && router_.alive(out.instance.pid);
      const registry::ExitCause* cause = exit && out.instance.pid.node == exited_node
                                             ? &*exit
                                             : exit_causes_.find(dot_node, dot_stamp);
      if (cause != nullptr && !ours_running) {
        out.kind = ServiceEvent::Kind::down;
        out.reason =
            ExitReason{static_cast<ExitCode>(std::min<std::uint8_t>(cause->code, 5)), cause->text};
        exit_causes_.remember(now_, registry::DotCause{std::move(dot_node), dot_stamp, *cause});
      } else {
        out.kind = ServiceEvent::Kind::unregistered;
        if (ours_running) reassert.push_back(out.instance);
      }
    }
    service_events_.push_back(std::move(out));
  }
  for (ServiceInstance& instance : reassert) reassert_service(std::move(instance));
}

void Engine::reassert_service(ServiceInstance&& instance) {
  if (stopping_) return;  // its process ends with the node anyway
  auto delta =
      registry_.add(wall_, instance.name, encode_contact(instance.pid, config_.advertise_address),
                    std::move(instance.metadata));
  if (!delta) {
    log(3, "registry: " + instance.name + " of " + instance.pid.to_string() +
               " removed by a peer, not registered again: " + delta.error().message);
    return;
  }
  ++registry_counters_.entries_reasserted;
  log(2, "registry: " + instance.name + " of " + instance.pid.to_string() +
             " was removed by a peer while its process runs: registered again");
  publish_delta(*delta, std::nullopt);  // drains with this node as exited_node: no recursion
}

void Engine::registered_process_ended(const Pid& pid, const ExitReason& reason) {
  std::vector<std::pair<std::string, core::Bytes>> names;
  for (registry::Registration& entry : registry_.entries_of(config_.node_name)) {
    auto contact = decode_contact(entry.instance.pid);
    if (contact && contact->pid == pid) names.emplace_back(entry.name, entry.instance.pid);
  }
  if (names.empty()) return;
  const registry::ExitCause exit{static_cast<std::uint8_t>(reason.code), cut(reason.to_string())};
  for (const auto& [name, bytes] : names) {
    auto delta = registry_.remove_entry(name, config_.node_name, bytes);
    if (!delta) {
      log(3, "registry: " + name + " of ended " + pid.to_string() + ": " + delta.error().message);
      continue;
    }
    publish_delta(*delta, exit);
  }
}

// ---- digests and states --------------------------------------------------------------------

std::uint64_t Engine::registry_digest() {
  if (digest_version_ != registry_version_ || !digest_valid_) {
    state_bytes_ = registry::encode(registry_.export_state());
    digest_ = registry::digest_of(state_bytes_);
    digest_version_ = registry_version_;
    digest_valid_ = true;
  }
  return digest_;
}

void Engine::send_registry_digest(const std::string& peer) {
  scratch_ = registry::encode_digest_message(registry_digest());
  if (send_link_frame(peer, wire::FrameType::registry, scratch_)) ++registry_counters_.digests_out;
}

void Engine::send_registry_state(const std::string& peer, bool reply) {
  (void)registry_digest();  // refreshes state_bytes_
  if (state_bytes_.size() > registry_.config().max_state_size ||
      state_bytes_.size() + 16 + registry::kMaxStateCausesSize > config_.links.max_frame_size) {
    ++registry_counters_.states_too_large;
    log(4, "registry state of " + std::to_string(state_bytes_.size()) +
               " bytes exceeds max_state_size or max_frame_size: not sent to " + peer);
    return;
  }
  scratch_ = registry::encode_state_message(state_bytes_, reply, exit_causes_.recent(now_));
  if (send_link_frame(peer, wire::FrameType::registry, scratch_)) ++registry_counters_.states_out;
}

void Engine::on_registry_frame(const std::string& peer, core::ByteView payload) {
  auto message = registry::decode_message(payload, registry_.config().max_state_size + 2);
  if (message && message->type == registry::Message::Type::route_request) {
    on_route_request(peer, std::move(*message));
    return;
  }
  if (message && message->type == registry::Message::Type::route_reply) {
    on_route_reply(peer, *message);
    return;
  }
  if (!message || message->type == registry::Message::Type::delta ||
      message->type == registry::Message::Type::heartbeat) {
    const std::string why =
        message ? "a delta or heartbeat outside a broadcast" : message.error().message;
    ++registry_counters_.malformed;
    close_on_violation(peer, "", "registry frame: " + why);
    return;
  }
  if (config_.ignore_registry_replication) return;  // test hook
  renew_lease(peer);  // a registry frame from the peer itself: it is alive
  if (message->type == registry::Message::Type::digest) {
    ++registry_counters_.digests_in;
    if (message->digest != registry_digest()) send_registry_state(peer, true);
    return;
  }
  ++registry_counters_.states_in;
  for (registry::DotCause& cause : message->causes) exit_causes_.remember(now_, std::move(cause));
  auto merged = registry_.merge_encoded(wall_, message->body, registry::Kind::state);
  if (!merged) {
    log(3, "registry state from " + peer + " refused: " + merged.error().message);
  } else {
    ++registry_version_;
  }
  drain_registry_events(peer, std::nullopt);
  if (message->reply) send_registry_state(peer, false);
}

void Engine::registry_neighbor_up(const std::string& peer) {
  renew_lease(peer);
  // One side starts the comparison, so equal registries cost one digest.
  if (config_.node_name < peer) send_registry_digest(peer);
}

core::Instant Engine::registry_deadline() const {
  if (stopping_) return core::Instant::never();
  const core::Instant routes = std::min(route_.next_deadline(), lease_deadline());
  if (config_.anti_entropy_interval.count() <= 0) return routes;
  // The first round is scheduled on the first timeout (as the reaper's first sweep).
  return std::min(routes, next_anti_entropy_.is_never() ? now_ : next_anti_entropy_);
}

void Engine::registry_on_timeout(core::Instant now) {
  if (!stopping_) route_on_timeout(now);
  check_leases(now);
  if (config_.anti_entropy_interval.count() <= 0 || stopping_) return;
  if (next_anti_entropy_.is_never()) {
    next_anti_entropy_ = now + core::jittered(rng_, config_.anti_entropy_interval);
    return;
  }
  if (next_anti_entropy_ > now) return;
  next_anti_entropy_ = now + core::jittered(rng_, config_.anti_entropy_interval);
  const auto& active = membership_.active_view();
  if (active.empty()) return;
  const auto index = static_cast<std::size_t>(rng_.uniform(active.size()));
  ++registry_counters_.anti_entropy_rounds;
  send_registry_digest(active[index].name);
  if (registry_.collect(wall_) > 0) ++registry_version_;  // a dropped floor changes the state
}

}  // namespace barrel_p2p::node
