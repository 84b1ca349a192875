// The simulator itself: determinism, and small scenarios asserting the overlay invariants.
#include "sim/simulation.hpp"

#include <gtest/gtest.h>

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
  s.grow(60, 2ms);
  s.run_for(15s);
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

}  // namespace
}  // namespace barrel_p2p::sim
