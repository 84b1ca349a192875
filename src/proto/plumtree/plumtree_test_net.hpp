// Test-only: a tiny router over BroadcastTree objects. Each Send takes one step (10 ms) per
// hop; links can be cut (in-flight messages on them are lost) and every delivered message is
// recorded as a trace line "from>to TYPE". Deterministic: nodes are visited in name order.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "proto/plumtree/broadcast_tree.hpp"

namespace barrel_p2p::plumtree::test {

inline std::string type_name(const Message& message) {
  static constexpr const char* kNames[] = {"GOSSIP", "IHAVE", "GRAFT", "PRUNE"};
  return kNames[message.index()];
}

inline core::Bytes bytes(std::string_view text) { return {text.begin(), text.end()}; }

class Graph {
 public:
  explicit Graph(std::uint64_t seed, Config config = {}) : rng_(seed), config_(config) {}

  void add(const std::string& name) {
    trees_[name] = std::make_unique<BroadcastTree>(config_, name, rng_);
  }
  void connect(const std::string& a, const std::string& b) {
    edges_.insert(edge(a, b));
    trees_.at(a)->on_neighbor_up(now, b);
    trees_.at(b)->on_neighbor_up(now, a);
    collect();
  }
  void cut(const std::string& a, const std::string& b) {
    edges_.erase(edge(a, b));
    trees_.at(a)->on_neighbor_down(now, b);
    trees_.at(b)->on_neighbor_down(now, a);
    collect();
  }
  [[nodiscard]] bool linked(const std::string& a, const std::string& b) const {
    return edges_.contains(edge(a, b));
  }
  BroadcastTree& tree(const std::string& name) { return *trees_.at(name); }
  Result<MessageId> broadcast(const std::string& name, std::string_view text) {
    auto id = tree(name).broadcast(now, "t", bytes(text));
    collect();
    return id;
  }

  /// One step: fire due timers, then deliver everything sent during the previous step.
  void step(core::Duration step = std::chrono::milliseconds(10)) {
    now += step;
    for (auto& [name, tree] : trees_) {
      if (tree->next_deadline() <= now) tree->on_timeout(now);
    }
    collect();
    auto batch = std::move(in_flight_);
    in_flight_.clear();
    for (auto& [from, send] : batch) {
      if (!edges_.contains(edge(from, send.peer))) continue;  // the link is gone
      if (drop_.contains({from, send.peer, type_name(send.message)})) continue;
      trace_.push_back(from + ">" + send.peer + " " + type_name(send.message));
      ++messages_;
      trees_.at(send.peer)->on_message(now, from, std::move(send.message));
    }
    collect();
  }
  /// Steps for `duration` of simulated time.
  void run(core::Duration duration = std::chrono::seconds(5),
           core::Duration step_size = std::chrono::milliseconds(10)) {
    for (core::Duration t{0}; t < duration; t += step_size) step(step_size);
  }
  /// Silently loses every message of `type` from `from` to `to` (a lossy link).
  void drop(const std::string& from, const std::string& to, const std::string& type) {
    drop_.insert({from, to, type});
  }

  [[nodiscard]] std::size_t delivered(const std::string& name, const MessageId& id) const {
    auto it = delivered_.find(name);
    if (it == delivered_.end()) return 0;
    return static_cast<std::size_t>(std::count(it->second.begin(), it->second.end(), id));
  }
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, tree] : trees_) out.push_back(name);
    return out;
  }
  /// Nodes reachable from `origin` over live links (origin included).
  [[nodiscard]] std::set<std::string> component(const std::string& origin) const {
    std::set<std::string> seen{origin};
    std::deque<std::string> todo{origin};
    while (!todo.empty()) {
      std::string node = todo.front();
      todo.pop_front();
      for (const auto& [a, b] : edges_) {
        const std::string* other = a == node ? &b : (b == node ? &a : nullptr);
        if (other != nullptr && seen.insert(*other).second) todo.push_back(*other);
      }
    }
    return seen;
  }
  /// Sum of one counter over all nodes.
  template <typename Field>
  [[nodiscard]] std::uint64_t total(Field field) const {
    std::uint64_t sum = 0;
    for (const auto& [name, tree] : trees_) sum += tree->stats().*field;
    return sum;
  }
  [[nodiscard]] std::uint64_t messages() const { return messages_; }
  /// Trace lines since the last take_trace().
  std::vector<std::string> take_trace() { return std::exchange(trace_, {}); }

  core::Instant now = core::Instant::from_nanos(1'000'000'000);

 private:
  static std::pair<std::string, std::string> edge(const std::string& a, const std::string& b) {
    return a < b ? std::pair{a, b} : std::pair{b, a};
  }
  void collect() {
    for (auto& [name, tree] : trees_) {
      while (auto send = tree->poll_send()) in_flight_.emplace_back(name, std::move(*send));
      while (auto delivery = tree->poll_delivery()) delivered_[name].push_back(delivery->id);
    }
  }

  core::SeededRng rng_;
  Config config_;
  std::map<std::string, std::unique_ptr<BroadcastTree>> trees_;
  std::set<std::pair<std::string, std::string>> edges_;
  std::set<std::tuple<std::string, std::string, std::string>> drop_;
  std::deque<std::pair<std::string, Send>> in_flight_;
  std::vector<std::string> trace_;
  std::map<std::string, std::vector<MessageId>> delivered_;
  std::uint64_t messages_ = 0;
};

inline std::string node(int i) { return "n" + std::to_string(i); }

inline Graph complete_graph(int size, std::uint64_t seed = 1, Config config = {}) {
  Graph g(seed, config);
  for (int i = 0; i < size; ++i) g.add(node(i));
  for (int i = 0; i < size; ++i) {
    for (int j = i + 1; j < size; ++j) g.connect(node(i), node(j));
  }
  return g;
}

/// n0 - n1 - ... - n(size-1), closed into a ring when `ring`.
inline Graph line_graph(int size, bool ring, std::uint64_t seed = 1, Config config = {}) {
  Graph g(seed, config);
  for (int i = 0; i < size; ++i) g.add(node(i));
  for (int i = 0; i + 1 < size; ++i) g.connect(node(i), node(i + 1));
  if (ring) g.connect(node(size - 1), node(0));
  return g;
}

}  // namespace barrel_p2p::plumtree::test
