// RapidCheck properties of BroadcastTree over random graphs, with random link cuts while
// messages are in flight. Each property fails its test (EXPECT_TRUE(rc::check(...))).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "proto/plumtree/broadcast_tree.hpp"
#include "proto/plumtree/plumtree_test_net.hpp"

namespace barrel_p2p::plumtree {
namespace {

using namespace std::chrono_literals;
using test::Graph;
using test::node;

/// A random connected graph: a random spanning tree plus about `size` extra links.
void build_random_graph(Graph& g, int size, core::SeededRng& pick) {
  for (int i = 0; i < size; ++i) g.add(node(i));
  for (int i = 1; i < size; ++i) {
    g.connect(node(static_cast<int>(pick.uniform(static_cast<std::uint64_t>(i)))), node(i));
  }
  for (int k = 0; k < size; ++k) {
    const int a = static_cast<int>(pick.uniform(static_cast<std::uint64_t>(size)));
    const int b = static_cast<int>(pick.uniform(static_cast<std::uint64_t>(size)));
    if (a != b && !g.linked(node(a), node(b))) g.connect(node(a), node(b));
  }
}

/// Structural invariants and memory bounds of every node, as RapidCheck assertions.
void check_invariants(Graph& g) {
  for (const auto& name : g.names()) {
    const BroadcastTree& tree = g.tree(name);
    const Config& config = tree.config();
    for (const auto& peer : tree.eager_peers()) {
      RC_ASSERT(!tree.lazy_peers().contains(peer));  // eager ∩ lazy = ∅
      RC_ASSERT(g.linked(name, peer));               // eager ⊆ neighbours
    }
    for (const auto& peer : tree.lazy_peers()) RC_ASSERT(g.linked(name, peer));
    RC_ASSERT(tree.cached() <= config.cache_capacity);
    RC_ASSERT(tree.cached_payload_bytes() <= config.cache_payload_budget);
    RC_ASSERT(tree.missing() <= config.max_missing);
    for (const auto& peer : g.names()) {
      RC_ASSERT(tree.queued_announcements(peer) <= config.max_ihave_batch);
    }
  }
}

// Random connected graphs with random link cuts, also while messages are in flight: every node
// still connected to a broadcast's origin by live links delivers it exactly once, and no node
// delivers anything twice.
TEST(BroadcastTreeProperty, EveryConnectedNodeDeliversEveryBroadcastOnce) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed, const std::vector<std::uint8_t>& ops) {
    const int size = *rc::gen::inRange(2, 13);
    Graph g(seed);
    core::SeededRng pick(seed ^ 0x5eedULL);
    build_random_graph(g, size, pick);
    std::vector<std::pair<std::string, MessageId>> sent;
    for (std::uint8_t op : ops) {
      const std::string a = node(static_cast<int>(pick.uniform(static_cast<std::uint64_t>(size))));
      const std::string b = node(static_cast<int>(pick.uniform(static_cast<std::uint64_t>(size))));
      if (op % 4 == 0) {
        if (g.linked(a, b)) g.cut(a, b);
      } else {
        auto id = g.broadcast(a, "m");
        RC_ASSERT(id.has_value());
        sent.emplace_back(a, *id);
      }
      g.run(std::chrono::milliseconds(10 * (op % 8)));  // 0-70 ms: cuts land mid-flight
      check_invariants(g);
    }
    g.run(10s);
    check_invariants(g);
    for (const auto& [origin, id] : sent) {
      const std::set<std::string> reached = g.component(origin);
      for (const auto& name : g.names()) {
        const std::size_t copies = g.delivered(name, id);
        RC_ASSERT(copies == (reached.contains(name) ? 1U : copies));
        RC_ASSERT(copies <= 1U);
      }
    }
  }));
}

// With tight limits, cuts and reconnections: the sets stay disjoint subsets of the neighbours
// and every buffer stays within its bound.
TEST(BroadcastTreeProperty, PeerSetsAndMemoryStayWithinBounds) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed, const std::vector<std::uint8_t>& ops) {
    Config config;
    config.cache_capacity = 6;
    config.cache_payload_budget = 20;
    config.max_ihave_batch = 3;
    config.max_missing = 4;
    config.max_announcers = 2;
    config.optimization_threshold = 1;  // exercise link swaps too
    const int size = *rc::gen::inRange(2, 10);
    Graph g(seed, config);
    core::SeededRng pick(seed ^ 0xb0bULL);
    build_random_graph(g, size, pick);
    for (std::uint8_t op : ops) {
      const std::string a = node(static_cast<int>(pick.uniform(static_cast<std::uint64_t>(size))));
      const std::string b = node(static_cast<int>(pick.uniform(static_cast<std::uint64_t>(size))));
      if (op % 3 == 0 && a != b) {
        if (g.linked(a, b)) {
          g.cut(a, b);
        } else {
          g.connect(a, b);
        }
      } else {
        RC_ASSERT(g.broadcast(a, std::string(op % 16, 'p')).has_value());
      }
      g.run(std::chrono::milliseconds(10 * (op % 8)));
      check_invariants(g);
    }
    g.run(10s);
    check_invariants(g);
  }));
}

// No failures: after one warm-up broadcast has pruned every redundant link, each broadcast from
// any origin reaches every node by exactly one GOSSIP (Relative Message Redundancy 0).
TEST(BroadcastTreeProperty, SteadyStateRedundancyIsZero) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed, const std::vector<std::uint8_t>& origins) {
    const int size = *rc::gen::inRange(2, 13);
    Graph g(seed);
    core::SeededRng pick(seed ^ 0x77ULL);
    build_random_graph(g, size, pick);
    RC_ASSERT(g.broadcast(node(0), "warm-up").has_value());
    g.run();
    for (std::uint8_t origin : origins) {
      const std::uint64_t gossip = g.total(&BroadcastStats::gossip_received);
      const std::uint64_t duplicates = g.total(&BroadcastStats::duplicates);
      auto id = g.broadcast(node(origin % size), "steady");
      RC_ASSERT(id.has_value());
      g.run();
      RC_ASSERT(g.total(&BroadcastStats::gossip_received) - gossip ==
                static_cast<std::uint64_t>(size - 1));
      RC_ASSERT(g.total(&BroadcastStats::duplicates) == duplicates);
      for (const auto& name : g.names()) RC_ASSERT(g.delivered(name, *id) == 1U);
    }
    RC_ASSERT(g.total(&BroadcastStats::grafts_sent) == 0U);
  }));
}

}  // namespace
}  // namespace barrel_p2p::plumtree
