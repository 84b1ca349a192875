#include "sim/kill_scenario.hpp"

#include "sim/simulation.hpp"

namespace barrel_p2p::sim {

using namespace std::chrono_literals;

KillOutcome run_kill(std::size_t nodes, std::uint64_t seed, core::Duration limit) {
  SimConfig config;
  config.seed = seed;
  Simulation simulation(config);
  simulation.add_node();
  simulation.join_storm(nodes - 1, 0, 100ms);
  simulation.run_for(30s);
  KillOutcome outcome;
  std::size_t victim = nodes;
  for (std::size_t i = 0; i < nodes && victim == nodes; ++i) {
    const auto& m = simulation.membership(i);
    if (m.active_view().size() == m.config().active_size) victim = i;
  }
  if (victim == nodes) {
    outcome.problem = "no node with a full active view";
    return outcome;
  }
  const std::string name = simulation.membership(victim).self().name;
  simulation.crash(victim);
  const core::Instant killed = simulation.now();
  while (simulation.now() - killed < limit && !outcome.repaired) {
    simulation.run_for(10ms);
    if (!outcome.detected) {
      bool held = false;
      for (std::size_t i = 0; i < nodes; ++i) {
        held |= simulation.alive(i) && simulation.membership(i).is_active(name);
      }
      if (!held) outcome.detected = simulation.now() - killed;
    }
    if (outcome.detected && simulation.check_saturated().empty()) {
      outcome.repaired = simulation.now() - killed;
    }
  }
  if (!outcome.repaired) outcome.problem = simulation.check_saturated();
  return outcome;
}

}  // namespace barrel_p2p::sim
