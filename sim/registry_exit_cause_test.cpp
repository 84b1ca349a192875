// A registered process's exit reason reaches every node whichever way the removal travels
// (exit_causes.hpp): a node that misses the DELTA (cut off when the process ended) and learns
// the removal from a peer's STATE after the heal still reports `down` with the reason, not
// `unregistered`. Leases are off (the SimConfig default), so nothing else removes the entry.
#include <gtest/gtest.h>

#include <algorithm>

#include "sim/simulation.hpp"

namespace barrel_p2p::sim {
namespace {

using namespace std::chrono_literals;

// The events `node` recorded for `name`, in order.
std::vector<ServiceEvent> events_for(const Simulation& s, std::size_t node,
                                     const std::string& name) {
  std::vector<ServiceEvent> out;
  for (const ServiceEvent& event : s.service_events(node)) {
    if (event.instance.name == name) out.push_back(event);
  }
  return out;
}

TEST(SimulationRegistryExitCause, ANodeThatMissedTheDeltaReportsDownWithTheReasonAfterTheHeal) {
  for (const std::uint64_t seed : {51, 52, 53}) {
    SimConfig config;
    config.seed = seed;
    Simulation s(config);
    s.record_service_events(true);
    s.grow(12, 2ms);
    s.run_for(20s);
    ASSERT_EQ(s.check_connected(), "") << "seed " << seed;
    const std::size_t owner = 3;
    const std::size_t missed = 9;
    const Pid pid = s.engine(owner).processes().spawn(false);
    ASSERT_TRUE(s.engine(owner).register_service(s.now(), s.wall(), "svc.dies", pid, {}));
    s.drain(owner);
    s.run_for(2s);
    ASSERT_EQ(s.check_registries(1), "") << "seed " << seed;

    std::vector<int> groups(s.size(), 0);
    groups[missed] = 1;
    s.partition(groups);
    const ExitReason reason = ExitReason::user("crashed on purpose");
    s.engine(owner).processes().end_process(pid, reason);
    s.drain(owner);
    s.run_for(8s);  // everyone else has the DELTA; the cut links have closed
    EXPECT_EQ(s.engine(missed).lookup_service("svc.dies").size(), 1U) << "seed " << seed;

    s.partition({});
    s.run_for(30s);
    ASSERT_EQ(s.check_connected(), "") << "seed " << seed;
    EXPECT_EQ(s.check_registries(0), "") << "seed " << seed;
    EXPECT_GT(s.engine(missed).registry_stats().states_in, 0U) << "seed " << seed;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const std::vector<ServiceEvent> events = events_for(s, i, "svc.dies");
      ASSERT_EQ(events.size(), 2U) << s.name(i) << " seed " << seed;
      EXPECT_EQ(events[0].kind, ServiceEvent::Kind::registered);
      EXPECT_EQ(events[1].kind, ServiceEvent::Kind::down) << s.name(i) << " seed " << seed;
      EXPECT_EQ(events[1].reason, reason) << s.name(i) << " seed " << seed;
    }
  }
}

}  // namespace
}  // namespace barrel_p2p::sim
