// RapidCheck properties of the registry CRDT: merge is commutative, associative and
// idempotent; add wins over a concurrent remove that did not observe it; random replicas
// converge after deltas delivered in any order with duplicates and loss, plus one full-state
// anti-entropy exchange; the events a replica emits describe its state exactly.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <set>

#include "core/rng.hpp"
#include "proto/registry/service_registry.hpp"

namespace barrel_p2p::registry {
namespace {

constexpr core::WallTime kStart{1'000'000};

std::string replica_name(std::size_t i) { return "r" + std::to_string(i); }

void merge_or_fail(ServiceRegistry& registry, core::WallTime now, const Delta& delta) {
  auto result = registry.merge(now, delta);
  if (!result) RC_FAIL(result.error().to_string());
}

// A few replicas doing random adds and removes; every delta they produce is kept in `sent`.
struct Replicas {
  std::vector<ServiceRegistry> nodes;
  std::vector<std::pair<std::size_t, Delta>> sent;  // (origin, delta)
  std::int64_t wall = kStart.unix_millis;

  explicit Replicas(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) nodes.emplace_back(Config{}, replica_name(i), kStart);
  }

  // One random local operation at a random replica.
  void step(core::SeededRng& pick) {
    wall += static_cast<std::int64_t>(pick.uniform(3));  // some ops share a millisecond
    const std::size_t at = pick.uniform(nodes.size());
    ServiceRegistry& node = nodes[at];
    const std::string name = "s" + std::to_string(pick.uniform(4));
    Result<Delta> delta = fail(Errc::not_found, "");
    switch (pick.uniform(8)) {
      case 0: delta = node.remove(name); break;
      case 1: {
        const auto instances = node.lookup(name);
        if (instances.empty()) return;
        const Instance& victim = instances[pick.uniform(instances.size())];
        delta = node.remove_entry(name, victim.node, victim.pid);
        break;
      }
      case 2: {
        const std::size_t other = pick.uniform(nodes.size());
        if (other == at || pick.uniform(4) != 0) return;  // rare: pruning a node
        delta = node.remove_node(replica_name(other));
        break;
      }
      default: {
        const core::Bytes pid{static_cast<std::uint8_t>(pick.uniform(3))};
        const core::Bytes metadata{static_cast<std::uint8_t>(pick.uniform(256))};
        delta = node.add(core::WallTime{wall}, name, pid, metadata);
      }
    }
    if (delta) sent.emplace_back(at, std::move(*delta));
  }
};

/// The registry's visible content: every name's instances.
std::map<std::string, std::vector<Instance>> content(const ServiceRegistry& registry) {
  std::map<std::string, std::vector<Instance>> out;
  for (const std::string& name : registry.list()) out[name] = registry.lookup(name);
  return out;
}

// Runs `steps` random operations; each delta is sent to every other replica, lost with
// probability 1/5, and delivered later in random order, some copies more than once. Some are
// never delivered.
void run_lossy(Replicas& replicas, core::SeededRng& pick, std::size_t steps) {
  std::vector<std::pair<std::size_t, std::size_t>> in_flight;  // (target, index into sent)
  for (std::size_t s = 0; s < steps; ++s) {
    const std::size_t before = replicas.sent.size();
    replicas.step(pick);
    for (std::size_t i = before; i < replicas.sent.size(); ++i) {
      for (std::size_t target = 0; target < replicas.nodes.size(); ++target) {
        if (target != replicas.sent[i].first && pick.uniform(5) != 0) {
          in_flight.emplace_back(target, i);
        }
      }
    }
    while (!in_flight.empty() && pick.uniform(3) != 0) {
      const std::size_t k = pick.uniform(in_flight.size());
      const auto [target, index] = in_flight[k];
      if (pick.uniform(4) != 0) in_flight.erase(in_flight.begin() + static_cast<long>(k));
      merge_or_fail(replicas.nodes[target], core::WallTime{replicas.wall},
                    replicas.sent[index].second);
    }
  }
}

// Every replica merges every state exported before the round, in a rotated order.
void anti_entropy(Replicas& replicas) {
  std::vector<Delta> states;
  for (const ServiceRegistry& node : replicas.nodes) states.push_back(node.export_state());
  const std::size_t count = replicas.nodes.size();
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t k = 0; k < count; ++k) {
      merge_or_fail(replicas.nodes[i], core::WallTime{replicas.wall}, states[(i + k) % count]);
    }
  }
}

TEST(ServiceRegistryProperty, ReplicasConvergeAfterLossyDuplicatedReorderedDeltasAndOneExchange) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed) {
    core::SeededRng pick(seed);
    Replicas replicas(2 + pick.uniform(4));
    run_lossy(replicas, pick, *rc::gen::inRange<std::size_t>(0, 80));
    anti_entropy(replicas);
    const Delta reference = replicas.nodes[0].export_state();
    for (const ServiceRegistry& node : replicas.nodes) {
      RC_ASSERT(node.export_state() == reference);
      RC_ASSERT(content(node) == content(replicas.nodes[0]));
      RC_ASSERT(node.tombstones() <= node.config().max_tombstones);
    }
  }));
}

// After the exchange every floor has reached every tombstone it can: none is left of a node
// whose state reached everyone (all of them here).
TEST(ServiceRegistryProperty, AntiEntropyCollectsEveryTombstone) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed) {
    core::SeededRng pick(seed);
    Replicas replicas(2 + pick.uniform(3));
    run_lossy(replicas, pick, *rc::gen::inRange<std::size_t>(0, 60));
    anti_entropy(replicas);
    for (const ServiceRegistry& node : replicas.nodes) RC_ASSERT(node.tombstones() == 0U);
  }));
}

// Three random states (full states or single deltas) merged into fresh observers in different
// groupings and orders give the same state; merging a state twice changes nothing.
TEST(ServiceRegistryProperty, MergeIsCommutativeAssociativeAndIdempotent) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed) {
    core::SeededRng pick(seed);
    Replicas replicas(3);
    run_lossy(replicas, pick, *rc::gen::inRange<std::size_t>(0, 50));
    std::vector<Delta> pool;
    for (const ServiceRegistry& node : replicas.nodes) pool.push_back(node.export_state());
    for (const auto& [origin, delta] : replicas.sent) pool.push_back(delta);
    const Delta& s1 = pool[pick.uniform(pool.size())];
    const Delta& s2 = pool[pick.uniform(pool.size())];
    const Delta& s3 = pool[pick.uniform(pool.size())];
    const core::WallTime now{replicas.wall};
    auto join = [&](std::initializer_list<const Delta*> parts) {
      ServiceRegistry observer(Config{}, "z", kStart);
      for (const Delta* part : parts) merge_or_fail(observer, now, *part);
      return observer.export_state();
    };
    RC_ASSERT(join({&s1, &s2}) == join({&s2, &s1}));
    const Delta s23 = join({&s2, &s3});
    const Delta s12 = join({&s1, &s2});
    RC_ASSERT(join({&s1, &s23}) == join({&s12, &s3}));
    RC_ASSERT(join({&s1, &s1}) == join({&s1}));
    for (ServiceRegistry& node : replicas.nodes) {
      const Delta before = node.export_state();
      merge_or_fail(node, now, before);
      RC_ASSERT(node.export_state() == before);
    }
  }));
}

// A replica that removes a name sees only some of its entries; concurrently the owner adds a
// new instance. After any exchange the new instance is live everywhere, and every entry the
// remover saw is gone.
TEST(ServiceRegistryProperty, AddWinsOverAConcurrentRemoveThatDidNotObserveIt) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed) {
    core::SeededRng pick(seed);
    Replicas replicas(3);
    run_lossy(replicas, pick, *rc::gen::inRange<std::size_t>(0, 40));
    ServiceRegistry& owner = replicas.nodes[0];
    ServiceRegistry& remover = replicas.nodes[1];
    const std::vector<Instance> seen = remover.lookup("s0");
    const core::Bytes fresh_pid{0xfe, 0xed};
    auto add = owner.add(core::WallTime{replicas.wall}, "s0", fresh_pid, {});
    RC_ASSERT(add.has_value());
    auto removal = remover.remove("s0");
    RC_ASSERT(removal.has_value() == !seen.empty());
    const core::WallTime now{replicas.wall};
    merge_or_fail(remover, now, *add);
    if (removal) merge_or_fail(owner, now, *removal);
    anti_entropy(replicas);
    for (const ServiceRegistry& node : replicas.nodes) {
      const std::vector<Instance> after = node.lookup("s0");
      RC_ASSERT(after.size() >= 1U);
      bool found = false;
      for (const Instance& instance : after) {
        found = found || (instance.node == "r0" && instance.pid == fresh_pid);
        for (const Instance& old : seen) RC_ASSERT(!(old == instance));
      }
      RC_ASSERT(found);
    }
  }));
}

// Replaying a replica's events (registered adds, unregistered removes) rebuilds its content.
TEST(ServiceRegistryProperty, EventsDescribeEveryChange) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed) {
    core::SeededRng pick(seed);
    Replicas replicas(3);
    run_lossy(replicas, pick, *rc::gen::inRange<std::size_t>(0, 60));
    anti_entropy(replicas);
    for (ServiceRegistry& node : replicas.nodes) {
      std::set<std::pair<std::string, std::pair<std::string, hlc::Timestamp>>> replayed;
      while (auto event = node.poll_event()) {
        const auto key = std::make_pair(
            event->registration.name,
            std::make_pair(event->registration.instance.node, event->registration.instance.stamp));
        if (event->kind == Event::Kind::registered) {
          RC_ASSERT(replayed.insert(key).second);
        } else {
          RC_ASSERT(replayed.erase(key) == 1U);
        }
      }
      std::size_t live = 0;
      for (const auto& [name, instances] : content(node)) {
        for (const Instance& instance : instances) {
          RC_ASSERT(replayed.contains(
              std::make_pair(name, std::make_pair(instance.node, instance.stamp))));
          ++live;
        }
      }
      RC_ASSERT(live == replayed.size());
    }
  }));
}

}  // namespace
}  // namespace barrel_p2p::registry
