#include "sim/simulation.hpp"

#include <algorithm>
#include <unordered_set>

namespace barrel_p2p::sim {

struct Simulation::Node {
  std::string name;
  std::unique_ptr<hyparview::Membership> membership;
  std::unique_ptr<plumtree::BroadcastTree> tree;
  bool alive = true;
  std::uint64_t generation = 0;  // bumped on restart: events for an old run are ignored
  std::set<std::size_t> links;
  core::Instant timer_at = core::Instant::never();
  std::unordered_set<std::size_t> delivered;  // broadcast records this node delivered
};

Simulation::Simulation(SimConfig config) : config_(std::move(config)), rng_(config_.seed) {}
Simulation::~Simulation() = default;

void Simulation::mix(std::uint64_t value) {
  trace_hash_ ^= value;
  trace_hash_ *= 1099511628211ULL;
}

void Simulation::schedule(core::Instant at, std::function<void()> action) {
  queue_.push(Event{at, seq_++, std::move(action)});
}

core::Duration Simulation::one_way() {
  auto jitter = config_.jitter.count() > 0
                    ? core::Duration(static_cast<std::int64_t>(
                          rng_.uniform(static_cast<std::uint64_t>(config_.jitter.count()))))
                    : core::Duration(0);
  return config_.latency + jitter;
}

bool Simulation::alive(std::size_t node) const { return nodes_[node]->alive; }

std::size_t Simulation::live_count() const {
  return static_cast<std::size_t>(
      std::count_if(nodes_.begin(), nodes_.end(), [](const auto& n) { return n->alive; }));
}

const hyparview::Membership& Simulation::membership(std::size_t node) const {
  return *nodes_[node]->membership;
}

bool Simulation::reachable(std::size_t from, std::size_t to) const {
  if (!nodes_[to]->alive) return false;
  if (group_.empty()) return true;
  return group_[from] == group_[to];
}

std::size_t Simulation::index_of(const std::string& name) const { return index_.at(name); }

std::size_t Simulation::add_node() {
  auto node = std::make_unique<Node>();
  const std::size_t index = nodes_.size();
  node->name = "s" + std::to_string(index);
  hyparview::PeerInfo self{node->name, node->name + ":4000"};
  node->membership = std::make_unique<hyparview::Membership>(config_.membership, self, rng_);
  node->tree = std::make_unique<plumtree::BroadcastTree>(config_.broadcast, node->name, rng_);
  index_[node->name] = index;
  nodes_.push_back(std::move(node));
  if (!group_.empty()) group_.push_back(0);
  return index;
}

void Simulation::join(std::size_t node, std::size_t contact) {
  const auto& c = *nodes_[contact];
  nodes_[node]->membership->join(now_, hyparview::PeerInfo{c.name, c.name + ":4000"});
  pump(node);
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

bool Simulation::link(std::size_t a, std::size_t b) {
  if (!nodes_[a]->links.insert(b).second) return false;
  nodes_[b]->links.insert(a);
  ++links_opened_;
  return true;
}

void Simulation::drop_link(std::size_t a, std::size_t b) {
  if (nodes_[a]->links.erase(b) == 0) return;
  nodes_[b]->links.erase(a);
  // The other end sees its link go down once the close arrives.
  const std::uint64_t generation = nodes_[b]->generation;
  const std::string name = nodes_[a]->name;
  schedule(arrival(a, b), [this, b, generation, name] {  // after what was sent before it
    Node& other = *nodes_[b];
    if (!other.alive || other.generation != generation) return;
    other.membership->on_link_down(now_, name);
    pump(b);
  });
}

void Simulation::crash(std::size_t node) {
  Node& dead = *nodes_[node];
  if (!dead.alive) return;
  dead.alive = false;
  mix(0xdead0000 + node);
  for (std::size_t peer : dead.links) {
    nodes_[peer]->links.erase(node);
    const std::uint64_t generation = nodes_[peer]->generation;
    schedule(now_ + config_.detect_delay, [this, peer, generation, name = dead.name] {
      Node& other = *nodes_[peer];
      if (!other.alive || other.generation != generation) return;
      other.membership->on_link_down(now_, name);
      pump(peer);
    });
  }
  dead.links.clear();
}

void Simulation::restart(std::size_t node, std::size_t contact) {
  Node& n = *nodes_[node];
  n.alive = true;
  ++n.generation;
  n.links.clear();
  n.delivered.clear();
  n.timer_at = core::Instant::never();
  hyparview::PeerInfo self{n.name, n.name + ":4000"};
  n.membership = std::make_unique<hyparview::Membership>(config_.membership, self, rng_);
  n.tree = std::make_unique<plumtree::BroadcastTree>(config_.broadcast, n.name, rng_);
  join(node, contact);
}

void Simulation::partition(const std::vector<int>& group_of_node) { group_ = group_of_node; }

std::size_t Simulation::broadcast(std::size_t node) {
  BroadcastRecord record;
  record.origin = node;
  record.sent = now_;
  record.live_at_send = live_count();
  records_.push_back(record);
  const std::size_t index = records_.size() - 1;
  auto id = nodes_[node]->tree->broadcast(now_, "sim", core::Bytes(8, 0));
  if (id) record_of_[*id] = index;
  pump(node);
  return index;
}

core::Instant Simulation::arrival(std::size_t from, std::size_t to, core::Duration setup) {
  // Links are ordered (QUIC streams): a message never overtakes an earlier one on its link.
  core::Instant at = now_ + setup + one_way();
  auto& last = last_arrival_[pair_key(from, to)];
  at = std::max(at, last);
  last = at;
  return at;
}

void Simulation::deliver_membership(std::size_t from, std::size_t to, hyparview::Message message) {
  const std::uint64_t generation = nodes_[to]->generation;
  if (!reachable(from, to) ||
      (config_.loss > 0 &&
       rng_.uniform(1'000'000) < static_cast<std::uint64_t>(config_.loss * 1e6))) {
    // A reset comes back after a round trip (a lost message on a live link is just lost).
    if (!reachable(from, to)) {
      const std::uint64_t back = nodes_[from]->generation;
      schedule(now_ + 2 * one_way(), [this, from, back, name = nodes_[to]->name] {
        Node& sender = *nodes_[from];
        if (!sender.alive || sender.generation != back) return;
        sender.membership->on_unreachable(now_, name);
        pump(from);
      });
    }
    return;
  }
  const bool opened = link(from, to);
  if (config_.encode_messages) {
    auto decoded = hyparview::decode(hyparview::encode(message));
    if (!decoded) return;
    message = std::move(*decoded);
  }
  ++in_flight_[pair_key(from, to)];
  schedule(arrival(from, to, opened ? config_.connect_delay : core::Duration(0)),
           [this, from, to, generation, message = std::move(message)]() mutable {
             --in_flight_[pair_key(from, to)];
             Node& target = *nodes_[to];
             if (!target.alive || target.generation != generation) return;
             mix(from * 31 + to);
             target.membership->on_message(now_, nodes_[from]->name, std::move(message));
             pump(to);
           });
}

void Simulation::deliver_broadcast(std::size_t from, std::size_t to, plumtree::Message message) {
  const std::uint64_t generation = nodes_[to]->generation;
  if (!reachable(from, to)) {
    // Sending on a dead link fails like any send: membership learns of it.
    const std::uint64_t back = nodes_[from]->generation;
    schedule(now_ + 2 * one_way(), [this, from, back, name = nodes_[to]->name] {
      Node& sender = *nodes_[from];
      if (!sender.alive || sender.generation != back) return;
      sender.membership->on_unreachable(now_, name);
      pump(from);
    });
    return;
  }
  if (config_.loss > 0 &&
      rng_.uniform(1'000'000) < static_cast<std::uint64_t>(config_.loss * 1e6)) {
    return;
  }
  if (config_.encode_messages) {
    auto decoded = plumtree::decode(plumtree::encode(message));
    if (!decoded) return;
    message = std::move(*decoded);
  }
  schedule(arrival(from, to), [this, from, to, generation, message = std::move(message)]() mutable {
    Node& target = *nodes_[to];
    if (!target.alive || target.generation != generation) return;
    if (auto* gossip = std::get_if<plumtree::Gossip>(&message)) {
      if (auto it = record_of_.find(gossip->id); it != record_of_.end()) {
        ++records_[it->second].payload_messages;
      }
    }
    target.tree->on_message(now_, nodes_[from]->name, std::move(message));
    pump(to);
  });
}

void Simulation::pump(std::size_t index) {
  Node& node = *nodes_[index];
  if (!node.alive) return;
  for (int round = 0; round < 16; ++round) {
    bool moved = false;
    while (auto command = node.membership->poll_command()) {
      moved = true;
      if (auto* send = std::get_if<hyparview::Send>(&*command)) {
        auto target = index_.find(send->to.name);
        if (target == index_.end()) {
          node.membership->on_unreachable(now_, send->to.name);
          continue;
        }
        deliver_membership(index, target->second, std::move(send->message));
      } else {
        const auto& drop = std::get<hyparview::DropLink>(*command);
        auto target = index_.find(drop.peer);
        if (target != index_.end() && !node.membership->is_active(drop.peer)) {
          drop_link(index, target->second);
        }
      }
    }
    while (auto event = node.membership->poll_event()) {
      moved = true;
      if (auto* up = std::get_if<hyparview::PeerUp>(&*event)) {
        node.tree->on_neighbor_up(now_, up->peer.name);
      } else if (auto* down = std::get_if<hyparview::PeerDown>(&*event)) {
        node.tree->on_neighbor_down(now_, down->peer);
      }
    }
    while (auto send = node.tree->poll_send()) {
      moved = true;
      auto target = index_.find(send->peer);
      if (target != index_.end())
        deliver_broadcast(index, target->second, std::move(send->message));
    }
    while (auto delivery = node.tree->poll_delivery()) {
      moved = true;
      auto it = record_of_.find(delivery->id);
      if (it == record_of_.end()) continue;
      BroadcastRecord& record = records_[it->second];
      if (!node.delivered.insert(it->second).second) {
        ++record.duplicates;
        continue;
      }
      ++record.delivered;
      record.last_hop = std::max(record.last_hop, delivery->hops);
      record.last_delivery = now_;
    }
    if (!moved) break;
  }
  arm_timer(index);
}

void Simulation::arm_timer(std::size_t index) {
  Node& node = *nodes_[index];
  const core::Instant due = std::min(node.membership->next_deadline(), node.tree->next_deadline());
  if (due.is_never() || due >= node.timer_at) return;
  node.timer_at = due;
  const std::uint64_t generation = node.generation;
  schedule(due, [this, index, generation, due] {
    Node& n = *nodes_[index];
    if (!n.alive || n.generation != generation || n.timer_at != due) return;
    n.timer_at = core::Instant::never();
    if (n.membership->next_deadline() <= now_) n.membership->on_timeout(now_);
    if (n.tree->next_deadline() <= now_) n.tree->on_timeout(now_);
    pump(index);
  });
}

void Simulation::run_for(core::Duration duration) {
  const core::Instant end = now_ + duration;
  while (!queue_.empty() && queue_.top().at <= end) {
    Event event = std::move(const_cast<Event&>(queue_.top()));  // popped right away
    queue_.pop();
    now_ = event.at;
    ++events_;
    event.action();
  }
  now_ = end;
}

std::string Simulation::check_bounded() const {
  for (const auto& node : nodes_) {
    if (!node->alive) continue;
    const auto& m = *node->membership;
    if (m.active_view().size() > config_.membership.active_size) {
      return node->name + ": active view over its bound";
    }
    if (m.passive_view().size() > config_.membership.passive_size) {
      return node->name + ": passive view over its bound";
    }
    for (const auto& peer : m.active_view()) {
      if (peer.name == node->name) return node->name + ": holds itself";
      if (m.is_passive(peer.name)) return node->name + ": " + peer.name + " in both views";
    }
  }
  return "";
}

std::string Simulation::check_symmetric() const {
  for (const auto& node : nodes_) {
    if (!node->alive) continue;
    for (const auto& peer : node->membership->active_view()) {
      const Node& other = *nodes_[index_of(peer.name)];
      if (!other.alive) return node->name + " holds dead " + peer.name;
      const std::size_t a = index_of(node->name);
      const std::size_t b = index_of(peer.name);
      const bool quiet =
          in_flight_.count(pair_key(a, b)) == 0 || in_flight_.at(pair_key(a, b)) == 0;
      const bool quiet_back =
          in_flight_.count(pair_key(b, a)) == 0 || in_flight_.at(pair_key(b, a)) == 0;
      if (!quiet || !quiet_back) continue;  // a membership message between them is in flight
      if (!other.membership->is_active(node->name)) {
        return node->name + " -> " + peer.name + " not symmetric";
      }
    }
  }
  return "";
}

std::string Simulation::check_saturated() const {
  std::vector<std::size_t> short_nodes;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->alive &&
        nodes_[i]->membership->active_view().size() < config_.membership.active_size) {
      short_nodes.push_back(i);
    }
  }
  for (std::size_t a = 0; a < short_nodes.size(); ++a) {
    for (std::size_t b = a + 1; b < short_nodes.size(); ++b) {
      const Node& first = *nodes_[short_nodes[a]];
      if (!first.membership->is_active(nodes_[short_nodes[b]]->name)) {
        return first.name + " and " + nodes_[short_nodes[b]]->name + " both have room";
      }
    }
  }
  return "";
}

std::string Simulation::check_connected() const {
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->alive) live.push_back(i);
  }
  if (live.empty()) return "";
  std::vector<bool> seen(nodes_.size(), false);
  std::vector<std::size_t> stack{live.front()};
  seen[live.front()] = true;
  std::size_t count = 1;
  while (!stack.empty()) {
    const std::size_t current = stack.back();
    stack.pop_back();
    for (const auto& peer : nodes_[current]->membership->active_view()) {
      const std::size_t next = index_of(peer.name);
      if (nodes_[next]->alive && !seen[next]) {
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
