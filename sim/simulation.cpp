#include "sim/simulation.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <tuple>

#include "core/assert.hpp"
#include "wire/link_frame.hpp"

namespace barrel_p2p::sim {

namespace {
// Rounds of "drain the Engine, then run what user code would run (call replies, rpcs)" per
// input. Each round drains everything; the bound only stops a bug from spinning.
constexpr int kDrainRounds = 8;
// Simulated wall clock at the simulation's start (protocol timestamps only).
constexpr std::int64_t kWallStartMillis = 1'767'225'600'000;  // 2026-01-01
constexpr std::string_view kTag = "sim";

NetworkConfig network_config(const SimConfig& config) {
  NetworkConfig network;
  network.latency = config.latency;
  network.jitter = config.jitter;
  network.loss = config.loss;
  network.detect_delay = config.detect_delay;
  network.dial_timeout = config.dial_timeout;
  network.connect_delay = config.connect_delay;
  return network;
}

// A node's key pair, derived from the run's seed and the node's index: deterministic, and a
// restarted node keeps its keys. Simulation only: real keys come from OS randomness.
auth::KeyPair sim_keys(std::uint64_t seed, std::size_t index) {
  core::SeededRng rng(seed * 0x9e3779b97f4a7c15ULL + index + 1);
  auth::Seed secret{};
  rng.fill(secret);
  return auth::KeyPair::from_seed(secret);
}
}  // namespace

struct Simulation::Node {
  std::string name;
  auth::KeyPair keys;
  std::unique_ptr<node::Engine> engine;  // null while crashed
  std::uint64_t generation = 0;          // bumped on crash and restart: old events are ignored
  std::uint64_t incarnation = 0;
  core::Instant timer_at = core::Instant::never();
  std::unordered_set<std::size_t> delivered;  // broadcast records this node delivered
};

Simulation::Simulation(SimConfig config)
    : config_(std::move(config)),
      rng_(config_.seed),
      network_(network_config(config_), rng_, queue_, *this) {}

Simulation::~Simulation() = default;

void Simulation::mix(std::uint64_t value) {
  trace_hash_ ^= value;
  trace_hash_ *= 1099511628211ULL;
}

core::WallTime Simulation::wall() const {
  return core::WallTime{kWallStartMillis + (queue_.now() - EventQueue::kStart).count() / 1'000'000};
}

bool Simulation::alive(std::size_t node) const { return nodes_[node]->engine != nullptr; }

std::size_t Simulation::live_count() const {
  return static_cast<std::size_t>(std::count_if(
      nodes_.begin(), nodes_.end(), [](const auto& n) { return n->engine != nullptr; }));
}

const std::string& Simulation::name(std::size_t node) const { return nodes_[node]->name; }

const hyparview::Membership& Simulation::membership(std::size_t node) const {
  BARREL_ASSERT(alive(node), "membership of a crashed node");
  return nodes_[node]->engine->membership();
}

node::Engine& Simulation::engine(std::size_t node) {
  BARREL_ASSERT(alive(node), "engine of a crashed node");
  return *nodes_[node]->engine;
}

std::size_t Simulation::index_of(const std::string& name) const { return index_.at(name); }

std::unique_ptr<node::Engine> Simulation::make_engine(std::size_t index) {
  Node& n = *nodes_[index];
  node::EngineConfig config;
  config.node_name = n.name;
  config.incarnation = ++n.incarnation;
  config.seed = rng_.next_u64();
  config.links.auth.cluster_name = "sim";
  // A keyed hash instead of Ed25519: the same accept/refuse decisions between simulated nodes,
  // which never forge, at a small fraction of the CPU (Ed25519 was half of a run's time).
  config.links.auth.proofs = auth::ProofScheme::simulated;
  config.membership = config_.membership;
  config.broadcast = config_.broadcast;
  config.advertise_address = network_.address(index);
  config.log_level = 6;  // above critical: no Log commands
  config.wall_at_start = wall();
  config.route = config_.route;
  config.ignore_registry_replication = config_.ignore_registry_replication;
  config.registry_lease = config_.registry_lease;
  config.registry_lease_renew_interval = config_.registry_lease_renew_interval;
  auto engine = std::make_unique<node::Engine>(std::move(config), n.keys, auth::TrustStore());
  // Every simulated node runs "echo" for rpc (answered by the driver, see carry_out).
  (void)engine->add_function("echo");
  return engine;
}

std::size_t Simulation::add_node() {
  const std::size_t index = nodes_.size();
  BARREL_ASSERT(network_.add_node() == index, "network and simulation disagree on indices");
  auto node = std::unique_ptr<Node>(new Node{"s" + std::to_string(index),
                                             sim_keys(config_.seed, index),
                                             nullptr,
                                             0,
                                             0,
                                             core::Instant::never(),
                                             {}});
  index_[node->name] = index;
  nodes_.push_back(std::move(node));
  nodes_[index]->engine = make_engine(index);
  arm_timer(index);
  return index;
}

void Simulation::join(std::size_t node, std::size_t contact) {
  if (!alive(node)) return;
  (void)engine(node).join(now(), network_.address(contact));
  drain(node);
}

void Simulation::grow(std::size_t count, core::Duration spacing) {
  if (nodes_.empty()) add_node();
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t contact = static_cast<std::size_t>(rng_.uniform(nodes_.size()));
    const std::size_t node = add_node();
    join(node, contact);
    run_for(spacing);
  }
}

void Simulation::join_storm(std::size_t count, std::size_t contact, core::Duration window) {
  std::vector<core::Duration> offsets(count);
  for (auto& offset : offsets) {
    offset = core::Duration(static_cast<core::Duration::rep>(rng_.uniform(
        static_cast<std::uint64_t>(std::max<core::Duration::rep>(1, window.count())))));
  }
  std::sort(offsets.begin(), offsets.end());
  core::Duration elapsed(0);
  for (const auto offset : offsets) {
    run_for(offset - elapsed);
    elapsed = offset;
    join(add_node(), contact);
  }
}

void Simulation::crash(std::size_t node) {
  Node& dead = *nodes_[node];
  if (!dead.engine) return;
  mix(0xdead0000 + node);
  dead.engine.reset();  // dropped: it tells nobody anything
  ++dead.generation;
  dead.timer_at = core::Instant::never();
  network_.crash(node);
}

void Simulation::restart(std::size_t node, std::size_t contact) {
  Node& n = *nodes_[node];
  if (n.engine) return;
  ++n.generation;
  n.delivered.clear();
  network_.restart(node);
  n.engine = make_engine(node);
  arm_timer(node);
  join(node, contact);
}

void Simulation::partition(const std::vector<int>& group_of_node) {
  network_.partition(group_of_node);
}

std::size_t Simulation::broadcast(std::size_t node) {
  BroadcastRecord record;
  record.origin = node;
  record.sent = now();
  record.live_at_send = live_count();
  records_.push_back(record);
  const std::uint64_t index = records_.size() - 1;
  core::Bytes payload(sizeof index);
  std::memcpy(payload.data(), &index, sizeof index);
  (void)engine(node).broadcast(now(), kTag, payload);
  drain(node);
  return index;
}

const std::vector<ServiceEvent>& Simulation::service_events(std::size_t node) const {
  static const std::vector<ServiceEvent> kNone;
  auto it = service_events_.find(node);
  return it == service_events_.end() ? kNone : it->second;
}

void Simulation::run_for(core::Duration duration) { queue_.run_until(now() + duration); }

// ---- the driver ----------------------------------------------------------------------------

void Simulation::drain(std::size_t index) {
  Node& node = *nodes_[index];
  if (!node.engine) return;
  std::vector<Envelope> calls;
  std::vector<node::RpcRequest> rpcs;
  for (int round = 0; round < kDrainRounds; ++round) {
    while (auto command = node.engine->poll_command()) {
      carry_out(index, std::move(*command), calls, rpcs);
    }
    while (auto event = node.engine->poll_service_event()) {
      // The registry's state is read from the Engine itself (convergence checks).
      if (record_service_events_) service_events_[index].push_back(std::move(*event));
    }
    if (calls.empty() && rpcs.empty()) break;
    // After the Engine's turn, as a driver runs user code: a simulated process answers a call
    // with its request, unless the request starts with byte 1 (then the caller times out);
    // "echo" returns its payload.
    for (const Envelope& call : calls) {
      if (call.payload.empty() || call.payload.front() != 1) {
        (void)node.engine->processes().reply(call, call.payload);
      }
    }
    for (const node::RpcRequest& rpc : rpcs) {
      node.engine->finish_rpc(rpc, core::Bytes(rpc.payload.begin(), rpc.payload.end()));
    }
    calls.clear();
    rpcs.clear();
  }
  arm_timer(index);
}

void Simulation::carry_out(std::size_t index, node::Command&& command, std::vector<Envelope>& calls,
                           std::vector<node::RpcRequest>& rpcs) {
  if (auto* transmit = std::get_if<node::Transmit>(&command)) {
    network_.transmit(index, transmit->connection, transmit->channel, transmit->frame);
  } else if (auto* dial = std::get_if<node::Dial>(&command)) {
    network_.dial(index, dial->dial, dial->address);
  } else if (auto* close = std::get_if<node::Close>(&command)) {
    network_.close(index, close->connection, close->reason);
  } else if (auto* lookup = std::get_if<node::Resolve>(&command)) {
    resolve(index, lookup->node);
  } else if (auto* deliver = std::get_if<node::Deliver>(&command)) {
    if (observer_ != nullptr) observer_->delivered(index, deliver->process, deliver->envelope);
    if (deliver->envelope.kind == EnvelopeKind::call) calls.push_back(std::move(deliver->envelope));
  } else if (auto* ended = std::get_if<node::ProcessEnded>(&command)) {
    if (observer_ != nullptr) observer_->ended(index, ended->process, ended->reason);
  } else if (auto* done = std::get_if<node::CallDone>(&command)) {
    if (observer_ != nullptr) observer_->call_done(index, done->ref, done->result);
  } else if (auto* run = std::get_if<node::RunRpc>(&command)) {
    rpcs.push_back(std::move(run->request));
  } else if (auto* emitted = std::get_if<node::EmitBroadcast>(&command)) {
    delivered_broadcast(index, emitted->message);
  }
  // PersistPin (the Engine's trust store holds the pin), ConnectionOutcome, Log, EmitEvent
  // and EmitMembership need nothing from the simulated driver.
}

void Simulation::resolve(std::size_t index, const std::string& name) {
  const std::uint64_t generation = nodes_[index]->generation;
  queue_.schedule(now(), [this, index, generation, name] {
    Node& node = *nodes_[index];
    if (!node.engine || node.generation != generation) return;
    auto it = index_.find(name);
    if (it == index_.end()) {
      node.engine->handle_resolved(now(), name, fail(Errc::not_found, "unknown node " + name));
    } else {
      node.engine->handle_resolved(now(), name,
                                   core::SocketAddress::parse(network_.address(it->second)));
    }
    drain(index);
  });
}

void Simulation::delivered_broadcast(std::size_t index, const BroadcastMessage& message) {
  std::uint64_t record_index = 0;
  if (message.tag != kTag || message.payload.size() != sizeof record_index) return;
  std::memcpy(&record_index, message.payload.data(), sizeof record_index);
  if (record_index >= records_.size()) return;
  BroadcastRecord& record = records_[record_index];
  if (!nodes_[index]->delivered.insert(record_index).second) {
    ++record.duplicates;
    return;
  }
  ++record.delivered;
  record.last_hop = std::max(record.last_hop, message.hops);
  record.last_delivery = now();
}

// GOSSIP frames per broadcast (for the relative message redundancy): peeks at broadcast frames.
void Simulation::count_gossip(const core::Bytes& frame) {
  if (records_.empty() || frame.empty() ||
      frame.front() != static_cast<std::uint8_t>(wire::FrameType::broadcast)) {
    return;
  }
  auto decoded = wire::decode_frame(frame, frame.size());
  if (!decoded) return;
  auto message = plumtree::decode(decoded->payload);
  if (!message) return;
  const auto* gossip = std::get_if<plumtree::Gossip>(&*message);
  std::uint64_t record_index = 0;
  if (gossip == nullptr || gossip->payload.size() != sizeof record_index) return;
  std::memcpy(&record_index, gossip->payload.data(), sizeof record_index);
  if (record_index < records_.size()) ++records_[record_index].payload_messages;
}

void Simulation::arm_timer(std::size_t index) {
  Node& node = *nodes_[index];
  if (!node.engine) return;
  const core::Instant due = std::max(node.engine->next_deadline(), now());
  if (due.is_never() || due >= node.timer_at) return;
  node.timer_at = due;
  // Node index and run packed into one word: the event fits std::function's inline storage.
  BARREL_ASSERT(index < (std::size_t{1} << 24), "at most 2^24 simulated nodes");
  const std::uint64_t key = (node.generation << 24) | index;
  queue_.schedule(due, [this, key] {
    const std::size_t i = key & ((std::uint64_t{1} << 24) - 1);
    Node& n = *nodes_[i];
    if (!n.engine || n.generation != (key >> 24) || n.timer_at != now()) return;
    n.timer_at = core::Instant::never();
    n.engine->on_timeout(now());
    drain(i);
  });
}

// ---- network events ------------------------------------------------------------------------

void Simulation::dial_started(std::size_t index, std::uint64_t dial,
                              Result<std::uint64_t> connection) {
  nodes_[index]->engine->handle_dial_started(now(), dial, std::move(connection));
  drain(index);
}

void Simulation::connected(std::size_t index, std::uint64_t connection, bool is_client,
                           const std::array<std::uint8_t, 32>& server_cert_sha256,
                           const std::string& address) {
  mix(connection * 7 + index);
  nodes_[index]->engine->handle_connected(now(), wall(), connection, is_client, server_cert_sha256,
                                          address);
  drain(index);
}

void Simulation::stream_data(std::size_t index, std::uint64_t connection, node::Channel channel,
                             const core::Bytes& bytes) {
  mix(connection * 31 + index);
  count_gossip(bytes);
  nodes_[index]->engine->handle_stream_data(now(), wall(), connection, channel, bytes);
  drain(index);
}

void Simulation::closed(std::size_t index, std::uint64_t connection, const std::string& reason) {
  mix(connection * 131 + index);
  nodes_[index]->engine->handle_closed(now(), connection, reason);
  drain(index);
}

// ---- invariant checks ----------------------------------------------------------------------

std::string Simulation::check_bounded() const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!alive(i)) continue;
    const auto& m = membership(i);
    const std::string& self = nodes_[i]->name;
    if (m.active_view().size() > config_.membership.active_size) {
      return self + ": active view over its bound";
    }
    if (m.passive_view().size() > config_.membership.passive_size) {
      return self + ": passive view over its bound";
    }
    for (const auto& peer : m.active_view()) {
      if (peer.name == self) return self + ": holds itself";
      if (m.is_passive(peer.name)) return self + ": " + peer.name + " in both views";
    }
  }
  return "";
}

std::string Simulation::check_symmetric() const {
  for (std::size_t a = 0; a < nodes_.size(); ++a) {
    if (!alive(a)) continue;
    for (const auto& peer : membership(a).active_view()) {
      const std::size_t b = index_of(peer.name);
      if (!alive(b)) return nodes_[a]->name + " holds dead " + peer.name;
      if (network_.busy(a, b)) continue;  // a dial, frame or close between them is under way
      if (!membership(b).is_active(nodes_[a]->name)) {
        return nodes_[a]->name + " -> " + peer.name + " not symmetric";
      }
    }
  }
  return "";
}

std::string Simulation::check_saturated() const {
  std::vector<std::size_t> short_nodes;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (alive(i) && membership(i).active_view().size() < config_.membership.active_size) {
      short_nodes.push_back(i);
    }
  }
  for (std::size_t a = 0; a < short_nodes.size(); ++a) {
    for (std::size_t b = a + 1; b < short_nodes.size(); ++b) {
      if (!membership(short_nodes[a]).is_active(nodes_[short_nodes[b]]->name)) {
        return nodes_[short_nodes[a]]->name + " and " + nodes_[short_nodes[b]]->name +
               " both have room";
      }
    }
  }
  return "";
}

std::string Simulation::check_registries(std::size_t entries) const {
  // The live entries (node, stamp, name) of a replica: what lookups on it can return. Floors
  // and tombstones may still differ until anti-entropy has run; they are not compared.
  auto live = [](const registry::ServiceRegistry& replica) {
    std::vector<std::tuple<std::string, hlc::Timestamp, std::string>> out;
    for (const registry::NodeSlice& slice : replica.export_state().nodes) {
      for (const registry::DeltaEntry& entry : slice.entries) {
        out.emplace_back(slice.node, entry.stamp, entry.name);
      }
    }
    return out;
  };
  std::optional<decltype(live(std::declval<const registry::ServiceRegistry&>()))> reference;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!alive(i)) continue;
    const registry::ServiceRegistry& replica = nodes_[i]->engine->registry();
    if (replica.entries() != entries) {
      return nodes_[i]->name + " holds " + std::to_string(replica.entries()) + " entries, not " +
             std::to_string(entries);
    }
    auto mine = live(replica);
    if (!reference) {
      reference = std::move(mine);
    } else if (mine != *reference) {
      return nodes_[i]->name + "'s entries differ from the first live node's";
    }
  }
  return "";
}

std::string Simulation::check_connected() const {
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (alive(i)) live.push_back(i);
  }
  if (live.empty()) return "";
  std::vector<bool> seen(nodes_.size(), false);
  std::vector<std::size_t> stack{live.front()};
  seen[live.front()] = true;
  std::size_t count = 1;
  while (!stack.empty()) {
    const std::size_t current = stack.back();
    stack.pop_back();
    for (const auto& peer : membership(current).active_view()) {
      const std::size_t next = index_of(peer.name);
      if (alive(next) && !seen[next]) {
        seen[next] = true;
        ++count;
        stack.push_back(next);
      }
    }
  }
  if (count != live.size()) {
    return "overlay not connected: " + std::to_string(count) + " of " +
           std::to_string(live.size()) + " live nodes reachable";
  }
  return "";
}

}  // namespace barrel_p2p::sim
