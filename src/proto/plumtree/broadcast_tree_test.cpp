// BroadcastTree driven directly over small graphs: an in-test router moves Send commands with
// one "tick" of latency per hop and can cut links.
#include "proto/plumtree/broadcast_tree.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <deque>
#include <map>
#include <memory>
#include <set>

namespace barrel_p2p::plumtree {
namespace {

using namespace std::chrono_literals;

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
  }
  void cut(const std::string& a, const std::string& b) {
    edges_.erase(edge(a, b));
    trees_.at(a)->on_neighbor_down(now, b);
    trees_.at(b)->on_neighbor_down(now, a);
  }
  BroadcastTree& tree(const std::string& name) { return *trees_.at(name); }

  /// Delivers messages hop by hop and fires timers for `duration` of simulated time.
  void run(core::Duration duration = 5s, core::Duration step = 10ms) {
    for (core::Duration t{0}; t < duration; t += step) {
      now += step;
      for (auto& [name, tree] : trees_) {
        if (tree->next_deadline() <= now) tree->on_timeout(now);
      }
      collect();
      auto batch = std::move(in_flight_);
      in_flight_.clear();
      for (auto& [from, send] : batch) {
        if (!edges_.contains(edge(from, send.peer))) continue;  // the link is gone
        ++messages_;
        trees_.at(send.peer)->on_message(now, from, std::move(send.message));
      }
      collect();
    }
  }
  std::size_t delivered(const std::string& name, const MessageId& id) const {
    auto it = delivered_.find(name);
    if (it == delivered_.end()) return 0;
    return static_cast<std::size_t>(std::count(it->second.begin(), it->second.end(), id));
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, tree] : trees_) out.push_back(name);
    return out;
  }
  std::uint64_t messages() const { return messages_; }
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
  std::deque<std::pair<std::string, Send>> in_flight_;
  std::map<std::string, std::vector<MessageId>> delivered_;
  std::uint64_t messages_ = 0;
};

Graph complete_graph(int size, std::uint64_t seed = 1) {
  Graph g(seed);
  for (int i = 0; i < size; ++i) g.add("n" + std::to_string(i));
  for (int i = 0; i < size; ++i) {
    for (int j = i + 1; j < size; ++j) g.connect("n" + std::to_string(i), "n" + std::to_string(j));
  }
  return g;
}

core::Bytes bytes(std::string_view text) { return core::Bytes(text.begin(), text.end()); }

TEST(BroadcastTree, FirstBroadcastReachesEveryNodeOnce) {
  Graph g = complete_graph(8);
  auto id = g.tree("n0").broadcast(g.now, "t", bytes("hello"));
  ASSERT_TRUE(id);
  g.run();
  for (const auto& name : g.names()) EXPECT_EQ(g.delivered(name, *id), 1U) << name;
}

TEST(BroadcastTree, DuplicatesPruneTheGraphIntoATree) {
  Graph g = complete_graph(8);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(g.tree("n" + std::to_string(i % 8)).broadcast(g.now, "t", bytes("warm")));
    g.run();
  }
  // Steady state: a spanning tree; each node receives each broadcast once by GOSSIP.
  std::uint64_t duplicates_before = 0;
  std::uint64_t gossip_before = 0;
  for (const auto& name : g.names()) {
    duplicates_before += g.tree(name).stats().duplicates;
    gossip_before += g.tree(name).stats().gossip_received;
  }
  auto id = g.tree("n3").broadcast(g.now, "t", bytes("steady"));
  ASSERT_TRUE(id);
  g.run();
  std::uint64_t duplicates = 0;
  std::uint64_t gossip = 0;
  for (const auto& name : g.names()) {
    EXPECT_EQ(g.delivered(name, *id), 1U);
    duplicates += g.tree(name).stats().duplicates;
    gossip += g.tree(name).stats().gossip_received;
  }
  EXPECT_EQ(gossip - gossip_before, 7U);  // exactly one GOSSIP per other node
  EXPECT_EQ(duplicates - duplicates_before, 0U);
  EXPECT_GT(duplicates_before, 0U);  // the warm-up did prune
}

TEST(BroadcastTree, LostEagerLinkIsRepairedThroughIHaveAndGraft) {
  Graph g = complete_graph(6);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(g.tree("n0").broadcast(g.now, "t", bytes("warm")));
    g.run();
  }
  // Cut every eager link of n0 except one: the tree must heal through lazy links.
  auto eager = g.tree("n0").eager_peers();
  ASSERT_GE(eager.size(), 2U);
  for (auto it = std::next(eager.begin()); it != eager.end(); ++it) g.cut("n0", *it);
  auto id = g.tree("n0").broadcast(g.now, "t", bytes("after the cut"));
  ASSERT_TRUE(id);
  g.run(10s);
  std::uint64_t grafts = 0;
  for (const auto& name : g.names()) {
    EXPECT_EQ(g.delivered(name, *id), 1U) << name;
    grafts += g.tree(name).stats().grafts_sent;
  }
  EXPECT_GT(grafts, 0U);
}

TEST(BroadcastTree, ANewNeighbourGetsRecentBroadcastsAnnouncedAndGraftsThem) {
  Graph g(7);
  g.add("a");
  g.add("b");
  g.add("c");
  g.connect("a", "b");
  auto id = g.tree("a").broadcast(g.now, "t", bytes("sent while c was cut off"));
  ASSERT_TRUE(id);
  g.run(1s);
  EXPECT_EQ(g.delivered("c", *id), 0U);
  g.connect("b", "c");  // a replacement link after the fact
  g.run(2s);
  EXPECT_EQ(g.delivered("c", *id), 1U);
  EXPECT_GE(g.tree("c").stats().grafts_sent, 1U);
}

TEST(BroadcastTree, DedupCacheIsBoundedByCapacity) {
  Config config;
  config.cache_capacity = 10;
  Graph g(4, config);
  g.add("a");
  g.add("b");
  g.connect("a", "b");
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(g.tree("a").broadcast(g.now, "t", bytes("x")));
    g.run(50ms);
  }
  EXPECT_LE(g.tree("a").cached(), 10U);
  EXPECT_LE(g.tree("b").cached(), 10U);
  EXPECT_GE(g.tree("b").stats().cache_evictions, 15U);
}

TEST(BroadcastTree, CacheEntriesExpireAfterTheTtl) {
  Config config;
  config.cache_ttl = 1s;
  Graph g(5, config);
  g.add("a");
  ASSERT_TRUE(g.tree("a").broadcast(g.now, "t", bytes("x")));
  EXPECT_EQ(g.tree("a").cached(), 1U);
  g.run(2s);
  EXPECT_EQ(g.tree("a").cached(), 0U);
}

TEST(BroadcastTree, OversizeTagOrPayloadIsRefused) {
  Graph g(6);
  g.add("a");
  EXPECT_FALSE(g.tree("a").broadcast(g.now, std::string(256, 't'), {}));
  EXPECT_FALSE(g.tree("a").broadcast(g.now, "t", core::Bytes(2 * 1024 * 1024)));
}

// Random connected graphs with random link cuts that keep them connected: every node
// delivers every broadcast exactly once, eager and lazy stay disjoint subsets of neighbours.
TEST(BroadcastTreeProperty, EveryConnectedNodeDeliversEveryBroadcastOnce) {
  EXPECT_TRUE(rc::check(
      [](std::uint64_t seed, std::uint8_t size_seed, const std::vector<std::uint8_t>& ops) {
        const int size = 3 + size_seed % 10;
        Graph g(seed);
        core::SeededRng pick(seed);
        std::set<std::pair<int, int>> edges;
        for (int i = 0; i < size; ++i) g.add("n" + std::to_string(i));
        for (int i = 1; i < size; ++i) {  // a random spanning tree keeps it connected
          int j = static_cast<int>(pick.uniform(static_cast<std::uint64_t>(i)));
          g.connect("n" + std::to_string(j), "n" + std::to_string(i));
          edges.insert({j, i});
        }
        std::set<std::pair<int, int>> extra;
        for (int k = 0; k < size; ++k) {
          int a = static_cast<int>(pick.uniform(size));
          int b = static_cast<int>(pick.uniform(size));
          if (a == b) continue;
          auto e = std::pair{std::min(a, b), std::max(a, b)};
          if (edges.contains(e) || extra.contains(e)) continue;
          g.connect("n" + std::to_string(e.first), "n" + std::to_string(e.second));
          extra.insert(e);
        }
        std::vector<MessageId> ids;
        for (std::uint8_t op : ops) {
          if (op % 3 == 0 && !extra.empty()) {  // cut an extra (non-tree) edge
            auto e = *extra.begin();
            extra.erase(extra.begin());
            g.cut("n" + std::to_string(e.first), "n" + std::to_string(e.second));
          } else {
            auto id = g.tree("n" + std::to_string(op % size)).broadcast(g.now, "t", {op});
            RC_ASSERT(id.has_value());
            ids.push_back(*id);
          }
          g.run(std::chrono::milliseconds(100));
        }
        g.run(5s);
        for (const auto& name : g.names()) {
          for (const auto& id : ids) RC_ASSERT(g.delivered(name, id) == 1U);
          const auto& eager = g.tree(name).eager_peers();
          for (const auto& peer : g.tree(name).lazy_peers()) RC_ASSERT(!eager.contains(peer));
        }
      }));
}

}  // namespace
}  // namespace barrel_p2p::plumtree
