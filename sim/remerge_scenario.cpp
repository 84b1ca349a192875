#include "sim/remerge_scenario.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/rng.hpp"
#include "node/engine.hpp"
#include "sim/simulation.hpp"

namespace barrel_p2p::sim {

using namespace std::chrono_literals;

std::vector<std::size_t> component_sizes(const Simulation& simulation) {
  const std::size_t n = simulation.size();
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) index.emplace(simulation.name(i), i);
  for (std::size_t i = 0; i < n; ++i) {
    if (!simulation.alive(i)) continue;
    for (const auto& peer : simulation.membership(i).active_view()) {
      auto it = index.find(peer.name);
      if (it == index.end() || !simulation.alive(it->second)) continue;
      parent[find(i)] = find(it->second);
    }
  }
  std::unordered_map<std::size_t, std::size_t> size_of;  // root -> members
  for (std::size_t i = 0; i < n; ++i) {
    if (simulation.alive(i)) ++size_of[find(i)];
  }
  std::vector<std::size_t> sizes;
  sizes.reserve(size_of.size());
  for (const auto& [root, size] : size_of) sizes.push_back(size);
  std::sort(sizes.begin(), sizes.end(), std::greater<>());
  return sizes;
}

std::size_t count_components(const Simulation& simulation) {
  return component_sizes(simulation).size();
}

RemergeOutcome run_remerge(const RemergeParams& params) {
  SimConfig config;
  config.seed = params.seed;
  config.membership = params.membership;
  Simulation simulation(config);
  if (params.nodes <= 64) {
    simulation.add_node();
    simulation.join_storm(params.nodes - 1, 0, 100ms);
  } else {
    simulation.grow(params.nodes - 1, 2ms);
  }
  simulation.run_for(params.settle);
  RemergeOutcome outcome;
  const double per_node = static_cast<double>(params.nodes);
  auto minutes = [](core::Duration d) { return std::chrono::duration<double>(d).count() / 60.0; };

  std::uint64_t links = simulation.links_opened();
  simulation.run_for(params.steady);
  outcome.links_per_node_minute_before =
      static_cast<double>(simulation.links_opened() - links) / per_node / minutes(params.steady);

  // Equal groups, members drawn at random.
  core::SeededRng pick(params.seed * 7919 + params.groups);
  std::vector<std::size_t> order(params.nodes);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = 0; i + 1 < order.size(); ++i) {
    std::swap(order[i], order[i + static_cast<std::size_t>(pick.uniform(order.size() - i))]);
  }
  std::vector<int> group_of(params.nodes, 0);
  for (std::size_t i = 0; i < order.size(); ++i) {
    group_of[order[i]] = static_cast<int>(i * params.groups / order.size());
  }
  // The registry: one name before the cut, reaching every node.
  auto register_on = [&](std::size_t index, const std::string& name) {
    node::Engine& engine = simulation.engine(index);
    const Pid pid = engine.processes().spawn(false);
    (void)engine.register_service(simulation.now(), simulation.wall(), name, pid, {});
    simulation.drain(index);
  };
  const core::Duration check_step = params.nodes > 2000 ? 100ms : 20ms;
  register_on(order[0], "before-cut");
  for (const core::Instant registered = simulation.now(); simulation.now() - registered < 10s;) {
    simulation.run_for(check_step);
    if (simulation.check_registries(1).empty()) {
      outcome.registry_reached = simulation.now() - registered;
      break;
    }
  }

  simulation.partition(group_of);
  simulation.run_for(params.cut_for / 2);
  // During the cut: a name per group, and one shared name registered in every group.
  for (std::size_t group = 0; group < params.groups; ++group) {
    const std::size_t first = group * order.size() / params.groups;
    register_on(order[first], "group-" + std::to_string(group));
    register_on(order[first + 1], "every-group");
  }
  simulation.run_for(params.cut_for - params.cut_for / 2);
  const std::vector<std::size_t> cut_sizes = component_sizes(simulation);
  outcome.components_cut = cut_sizes.size();
  for (std::size_t i = params.groups; i < cut_sizes.size(); ++i) {
    outcome.stray_nodes_cut += cut_sizes[i];
  }
  const std::size_t entries = 1 + 2 * params.groups;

  simulation.partition({});
  const core::Instant healed = simulation.now();
  links = simulation.links_opened();
  const core::Duration step = params.nodes > 2000 ? 250ms : 100ms;
  while (simulation.now() - healed < params.limit) {
    simulation.run_for(step);
    if (count_components(simulation) == 1) {
      outcome.merged = simulation.now() - healed;
      break;
    }
  }
  outcome.links_per_node_heal = static_cast<double>(simulation.links_opened() - links) / per_node;
  while (simulation.now() - healed < params.limit) {
    if (simulation.check_registries(entries).empty()) {
      outcome.registries_converged = simulation.now() - healed;
      break;
    }
    simulation.run_for(check_step);
  }
  if (outcome.merged && params.after.count() > 0) {
    simulation.run_for(30s);  // let the swaps of the heal settle first
    links = simulation.links_opened();
    simulation.run_for(params.after);
    outcome.links_per_node_minute_after =
        static_cast<double>(simulation.links_opened() - links) / per_node / minutes(params.after);
  }
  for (std::size_t i = 0; i < params.nodes; ++i) {
    const auto& m = simulation.membership(i);
    outcome.rejoin_probes += m.stats().rejoin_probes;
    outcome.rejoins += m.stats().rejoins;
    if (m.active_view().size() == m.config().active_size) ++outcome.full_views_at_end;
  }
  outcome.components_at_end = count_components(simulation);
  return outcome;
}

}  // namespace barrel_p2p::sim
