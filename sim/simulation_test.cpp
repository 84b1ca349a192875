// The simulator itself: determinism, and small scenarios asserting the overlay invariants.
#include "sim/simulation.hpp"

#include <gtest/gtest.h>

#include "sim/kill_scenario.hpp"
#include "sim/process_scenario.hpp"
#include "sim/remerge_scenario.hpp"

namespace barrel_p2p::sim {
namespace {

using namespace std::chrono_literals;

SimConfig config(std::uint64_t seed) {
  SimConfig c;
  c.seed = seed;
  return c;
}

std::uint64_t run_hash(std::uint64_t seed) {
  Simulation s(config(seed));
  s.grow(40, 2ms);  // whole Engines: kept small for the sanitizer build
  s.run_for(10s);
  s.broadcast(3);
  s.run_for(2s);
  return s.trace_hash();
}

TEST(Simulation, SameSeedSameRunDifferentSeedDifferentRun) {
  EXPECT_EQ(run_hash(11), run_hash(11));
  EXPECT_NE(run_hash(11), run_hash(12));
}

TEST(Simulation, JoinsGiveBoundedSymmetricConnectedViewsAndBroadcastReachesAll) {
  Simulation s(config(3));
  s.grow(200, 2ms);
  s.run_for(30s);
  EXPECT_EQ(s.check_bounded(), "") << "seed " << s.seed();
  EXPECT_EQ(s.check_symmetric(), "") << "seed " << s.seed();
  EXPECT_EQ(s.check_connected(), "") << "seed " << s.seed();
  auto record = s.broadcast(17);
  s.run_for(5s);
  EXPECT_EQ(s.record(record).delivered, s.live_count()) << "seed " << s.seed();
  EXPECT_EQ(s.record(record).duplicates, 0U);
}

TEST(Simulation, CrashingAQuarterHealsAndReachesEverySurvivor) {
  Simulation s(config(5));
  s.grow(200, 2ms);
  s.run_for(30s);
  for (std::size_t i = 0; i < 200; i += 4) s.crash(i);
  s.run_for(30s);  // detection (5 s) and repair
  EXPECT_EQ(s.check_bounded(), "") << "seed " << s.seed();
  EXPECT_EQ(s.check_symmetric(), "") << "seed " << s.seed();
  EXPECT_EQ(s.check_connected(), "") << "seed " << s.seed();
  auto record = s.broadcast(1);
  s.run_for(5s);
  EXPECT_EQ(s.record(record).delivered, s.live_count()) << "seed " << s.seed();
}

TEST(Simulation, LinksAreCountedAndTheFirstMessageOnANewLinkWaitsForTheHandshake) {
  SimConfig c = config(4);
  c.jitter = core::Duration(0);
  c.connect_delay = 20ms;
  Simulation s(c);
  s.add_node();
  s.add_node();
  s.join(1, 0);
  EXPECT_EQ(s.links_opened(), 0U);  // the JOIN's connection is being made
  // Handshake 20 ms, then the Engines authenticate (HELLO and CHALLENGE, RESPONSE, OK: 3 x 5 ms
  // one way, decision 0027), then the JOIN takes 5 ms: it is not there at 39 ms.
  s.run_for(39ms);
  EXPECT_EQ(s.links_opened(), 1U);
  EXPECT_TRUE(s.membership(0).active_view().empty());
  s.run_for(2ms);
  EXPECT_EQ(s.membership(0).active_view().size(), 1U);
  s.run_for(1s);  // the JOIN_REPLY went over the same link
  EXPECT_EQ(s.links_opened(), 1U);
  EXPECT_EQ(s.membership(1).active_view().size(), 1U);
}

// 300 nodes join one contact within one second. The overlay forms, and the churn stays low:
// before decision 0006 each node sent ~9 NEIGHBOR requests in such a storm, 85% refused.
TEST(Simulation, AJoinStormSettlesWithFewNeighborRequests) {
  SimConfig c = config(21);
  c.connect_delay = 10ms;
  Simulation s(c);
  s.add_node();
  s.join_storm(299, 0, 1s);
  s.run_for(30s);
  EXPECT_EQ(s.check_bounded(), "") << "seed " << s.seed();
  EXPECT_EQ(s.check_symmetric(), "") << "seed " << s.seed();
  EXPECT_EQ(s.check_connected(), "") << "seed " << s.seed();
  std::uint64_t requests = 0;
  std::uint64_t refused = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    requests += s.membership(i).stats().neighbor_requests;
    refused += s.membership(i).stats().neighbor_refused;
  }
  const double per_node = static_cast<double>(requests) / static_cast<double>(s.size());
  EXPECT_LT(per_node, 4.0) << "seed " << s.seed();
  // Room hints point requesters at peers with room: under 3 in 4 are refused (was 85%).
  EXPECT_LT(refused * 4, requests * 3) << "seed " << s.seed();
}

// A crashed node with five neighbours in a settled 16-node cluster: out of every view and
// the overlay saturated again (no two nodes with room unlinked) within 5 s of simulated time,
// for every one of 20 seeds (detection alone takes detect_delay, 4 s).
TEST(Simulation, AKilledNodeIsReplacedWithinFiveSecondsForEverySeed) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const KillOutcome outcome = run_kill(16, seed, 30s);
    ASSERT_TRUE(outcome.detected.has_value()) << "seed " << seed;
    ASSERT_TRUE(outcome.repaired.has_value()) << "seed " << seed << ": " << outcome.problem;
    EXPECT_LE(*outcome.repaired, 5s) << "seed " << seed;
  }
}

TEST(Simulation, PartitionThenHealReconnects) {
  Simulation s(config(9));
  s.grow(100, 2ms);
  s.run_for(30s);
  std::vector<int> halves(s.size());
  for (std::size_t i = 0; i < halves.size(); ++i) halves[i] = i < 50 ? 0 : 1;
  s.partition(halves);
  s.run_for(20s);
  s.partition({});
  s.run_for(60s);
  EXPECT_EQ(s.check_bounded(), "") << "seed " << s.seed();
  auto record = s.broadcast(0);
  s.run_for(5s);
  // Both halves kept passive entries across the cut: shuffles and repairs rejoin them.
  EXPECT_EQ(s.check_connected(), "") << "seed " << s.seed();
  EXPECT_EQ(s.record(record).delivered, s.live_count()) << "seed " << s.seed();
}

// The service registry on whole Engines (decision 0014): a registration reaches every node
// through Plumtree, and registries changed on both sides of a cut are identical again soon
// after the heal (anti-entropy and the re-merged overlay's new links). CTest sim_registry
// runs it (sim_test leaves it out, to stay well within its time under the sanitizers).
TEST(SimulationRegistry, RegistrationsReachEveryNodeAndRegistriesConvergeAfterAHeal) {
  Simulation s(config(21));
  s.grow(60, 2ms);
  s.run_for(30s);
  auto register_on = [&](std::size_t index, const std::string& name) {
    node::Engine& engine = s.engine(index);
    const Pid pid = engine.processes().spawn(false);
    ASSERT_TRUE(engine.register_service(s.now(), s.wall(), name, pid, {}));
    s.drain(index);
  };
  register_on(3, "first");
  s.run_for(2s);
  EXPECT_EQ(s.check_registries(1), "") << "seed " << s.seed();
  for (std::size_t i = 0; i < s.size(); ++i) {
    ASSERT_EQ(s.engine(i).lookup_service("first").size(), 1U) << s.name(i);
  }
  std::vector<int> halves(s.size());
  for (std::size_t i = 0; i < halves.size(); ++i) halves[i] = i < 30 ? 0 : 1;
  s.partition(halves);
  s.run_for(10s);
  register_on(10, "left");
  register_on(50, "right");
  s.run_for(10s);
  EXPECT_NE(s.check_registries(3), "");  // each side holds two entries
  s.partition({});
  s.run_for(30s);
  EXPECT_EQ(s.check_connected(), "") << "seed " << s.seed();
  EXPECT_EQ(s.check_registries(3), "") << "seed " << s.seed();
}

// Re-merge (decision 0012): an overlay cut into equal groups for 60 s is one component again
// within 30 s of the heal, for every seed. 6 | 6 and 16 | 16 with active view 5 are the
// measured cases of issue 12 (each side fills its views into a clique, so the published
// HyParView stays split); 300 nodes in 2 and in 4 groups stand in for the 10,000-node runs of
// `barrel-sim remerge` (docs/simulation.md). The steady state is shortened to 10 s.
TEST(Simulation, PartitionsOfAnySizeReMergeWithinThirtySeconds) {
  struct Case {
    std::size_t nodes;
    std::size_t groups;
    std::uint64_t seeds;
  };
  // Small overlays only: this runs under the sanitizers too. CTest sim_remerge (400 nodes in
  // halves) and `barrel-sim remerge` cover larger ones.
  for (const Case& c : {Case{12, 2, 10}, Case{32, 2, 10}, Case{32, 4, 5}}) {
    for (std::uint64_t seed = 1; seed <= c.seeds; ++seed) {
      RemergeParams params;
      params.nodes = c.nodes;
      params.groups = c.groups;
      params.seed = seed;
      params.steady = 10s;
      params.limit = 30s;
      const RemergeOutcome outcome = run_remerge(params);
      EXPECT_GE(outcome.components_cut, c.groups)
          << c.nodes << " nodes, " << c.groups << " groups, --seed=" << seed;
      // Every component beyond one per group holds at least one stray node.
      EXPECT_GE(outcome.stray_nodes_cut + c.groups, outcome.components_cut)
          << c.nodes << " nodes, " << c.groups << " groups, --seed=" << seed;
      EXPECT_TRUE(outcome.merged.has_value())
          << c.nodes << " nodes, " << c.groups << " groups, --seed=" << seed
          << ": not one component within 30 s of the heal";
    }
  }
}

// Processes on six Engines message, call, monitor and link each other while processes end,
// nodes crash and restart and partitions come and heal: exactly one DOWN per monitor, one
// exit signal per link, FIFO per pair, every call completed once, and nothing left behind
// for a node that is down (sim/process_scenario.hpp), for every one of 20 seeds (odd ones with
// 5% loss).
TEST(Simulation, ProcessGuaranteesHoldUnderCrashesAndPartitionsForEverySeed) {
  std::size_t downs = 0;
  std::size_t exits = 0;
  std::size_t crashes = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const ProcessOutcome outcome = run_process_scenario(seed);
    EXPECT_EQ(outcome.problem, "") << "seed " << seed;
    EXPECT_GT(outcome.messages_received, 0U) << "seed " << seed;
    EXPECT_GT(outcome.calls_answered, 0U) << "seed " << seed;
    downs += outcome.downs;
    exits += outcome.exits;
    crashes += outcome.crashes;
  }
  // The faults happened, so the properties were exercised.
  EXPECT_GT(downs, 0U);
  EXPECT_GT(exits, 0U);
  EXPECT_GT(crashes, 0U);
}

}  // namespace
}  // namespace barrel_p2p::sim
