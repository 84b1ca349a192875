// barrel-sim: run whole node Engines (HyParView, Plumtree, peer links, processes) for many
// nodes on a simulated network.
//   barrel-sim failure --nodes 10000 --fail 10,20,...,95 --broadcasts 10 --seed 1
//                      [--csv out.csv] [--svg out.svg]
//   barrel-sim steady  --nodes 10000 --broadcasts 100 --seed 1
//   barrel-sim check   --nodes 500 --seed 1
//   barrel-sim storm   --nodes 1000 --window-ms 1000 --connect-ms 10 --seed 1
//   barrel-sim kill    --nodes 16 --runs 50 --seed 1
//   barrel-sim processes --nodes 6 --runs 20 --seed 1 [--early-restarts 1]
//   barrel-sim remerge --nodes 10000 --groups 2 --runs 20 --seed 1 [--cut-s 60] [--limit-s 30]
//                      [--remerge-contacts 8] [--after-s 60]
// Every run prints its seed; the same seed reproduces it exactly.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sim/kill_scenario.hpp"
#include "sim/process_scenario.hpp"
#include "sim/remerge_scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/svg_plot.hpp"

using namespace barrel_p2p;
using namespace std::chrono_literals;

namespace {

struct Args {
  std::string command;
  std::map<std::string, std::string> options;
  [[nodiscard]] std::string get(const std::string& key, const std::string& fallback) const {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
  }
  [[nodiscard]] std::uint64_t number(const std::string& key, std::uint64_t fallback) const {
    auto it = options.find(key);
    return it == options.end() ? fallback : std::strtoull(it->second.c_str(), nullptr, 10);
  }
};

double wall_seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Every message goes through the wire codecs now (the Engines encode every frame); `encode`
// is kept so old command lines still run.
sim::SimConfig config_for(std::uint64_t seed, bool /*encode*/) {
  sim::SimConfig config;
  config.seed = seed;
  return config;
}

// Builds an overlay of `nodes` (each joins through a random earlier node) and lets shuffles
// run for `settle`.
void build(sim::Simulation& simulation, std::size_t nodes, core::Duration settle) {
  simulation.grow(nodes - 1, 2ms);
  simulation.run_for(settle);
}

std::size_t random_live(sim::Simulation& simulation, core::SeededRng& rng) {
  for (;;) {
    auto node = static_cast<std::size_t>(rng.uniform(simulation.size()));
    if (simulation.alive(node)) return node;
  }
}

// The q-quantile of `values` (nearest rank below); 0 when empty.
double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))];
}

// The failure experiment's "once healed" phase.
constexpr core::Duration kHealLimit = std::chrono::seconds(120);
constexpr core::Duration kHealedWindow = std::chrono::seconds(5);
constexpr std::size_t kHealedBroadcasts = 3;

int failure(const Args& args) {
  const std::size_t nodes = args.number("nodes", 10'000);
  const std::size_t broadcasts = args.number("broadcasts", 10);
  const std::uint64_t seed = args.number("seed", 1);
  std::vector<int> percents;
  std::stringstream list(args.get("fail", "10,20,30,40,50,60,70,80,90,95"));
  for (std::string item; std::getline(list, item, ',');) percents.push_back(std::stoi(item));
  std::printf("# failure experiment: nodes=%zu broadcasts=%zu seed=%llu\n", nodes, broadcasts,
              static_cast<unsigned long long>(seed));
  std::ofstream csv;
  if (args.options.contains("csv")) {
    csv.open(args.get("csv", ""));
    csv << "fail_pct,broadcast,reliability,last_hop\n";
  }
  std::vector<sim::Series> series;
  const auto start = std::chrono::steady_clock::now();
  for (int percent : percents) {
    sim::Simulation simulation(config_for(seed + static_cast<std::uint64_t>(percent), false));
    build(simulation, nodes, 30s);
    core::SeededRng pick(seed * 7919 + static_cast<std::uint64_t>(percent));
    const std::size_t kill = nodes * static_cast<std::size_t>(percent) / 100;
    for (std::size_t killed = 0; killed < kill;) {
      auto node = static_cast<std::size_t>(pick.uniform(nodes));
      if (!simulation.alive(node)) continue;
      simulation.crash(node);
      ++killed;
    }
    const core::Instant failure_time = simulation.now();
    sim::Series line{std::to_string(percent) + "% failed", {}};
    for (std::size_t b = 0; b < broadcasts; ++b) {
      const std::size_t record = simulation.broadcast(random_live(simulation, pick));
      simulation.run_for(1s);  // one broadcast after another, each given a second
      const auto& r = simulation.record(record);
      const double reliability =
          100.0 * static_cast<double>(r.delivered) / static_cast<double>(r.live_at_send);
      line.points.emplace_back(static_cast<double>(b + 1), reliability);
      if (csv) csv << percent << "," << b + 1 << "," << reliability << "," << r.last_hop << "\n";
    }
    // Once healed: the views are symmetric and the overlay connected again (checked each
    // simulated second, up to kHealLimit). Then broadcasts, each given kHealedWindow, so a
    // branch of the tree cut by the failures has time to be grafted (IHAVE timeout per hop).
    bool healed = false;
    while (simulation.now() - failure_time < kHealLimit) {
      if (simulation.check_symmetric().empty() && simulation.check_connected().empty()) {
        healed = true;
        break;
      }
      simulation.run_for(1s);
    }
    const double heal_seconds =
        std::chrono::duration<double>(simulation.now() - failure_time).count();
    double healed_min = 100.0;
    for (std::size_t b = 0; healed && b < kHealedBroadcasts; ++b) {
      const std::size_t record = simulation.broadcast(random_live(simulation, pick));
      simulation.run_for(kHealedWindow);
      const auto& r = simulation.record(record);
      const double reliability =
          100.0 * static_cast<double>(r.delivered) / static_cast<double>(r.live_at_send);
      healed_min = std::min(healed_min, reliability);
      if (csv) {
        csv << percent << ",healed" << b + 1 << "," << reliability << "," << r.last_hop << "\n";
      }
    }
    std::printf("fail %3d%%: first %.2f%%  last %.2f%%  ", percent, line.points.front().second,
                line.points.back().second);
    if (healed) {
      std::printf("healed after %.0f s: min %.2f%% over %zu broadcasts  (wall %.1f s)\n",
                  heal_seconds, healed_min, kHealedBroadcasts, wall_seconds(start));
    } else {
      std::printf("not healed within %.0f s: %s  (wall %.1f s)\n", heal_seconds,
                  simulation.check_connected().c_str(), wall_seconds(start));
    }
    series.push_back(std::move(line));
  }
  if (args.options.contains("svg")) {
    std::ofstream(args.get("svg", "")) << sim::line_chart(
        "Broadcast reliability after simultaneous failures (" + std::to_string(nodes) + " nodes)",
        "broadcast after the failure", "reliability (% of live nodes)", series, 0, 100);
  }
  std::printf("wall %.1f s\n", wall_seconds(start));
  return 0;
}

int steady(const Args& args) {
  const std::size_t nodes = args.number("nodes", 10'000);
  const std::size_t broadcasts = args.number("broadcasts", 100);
  const std::uint64_t seed = args.number("seed", 1);
  const bool encode = args.number("encode", 0) != 0;
  std::printf("# steady state: nodes=%zu broadcasts=%zu seed=%llu encode=%d\n", nodes, broadcasts,
              static_cast<unsigned long long>(seed), encode ? 1 : 0);
  const auto start = std::chrono::steady_clock::now();
  sim::Simulation simulation(config_for(seed, encode));
  build(simulation, nodes, 30s);
  const double build_wall = wall_seconds(start);
  core::SeededRng pick(seed * 104729);
  for (std::size_t i = 0; i < 10; ++i) {  // warm-up: the first broadcasts prune the tree
    simulation.broadcast(random_live(simulation, pick));
    simulation.run_for(1s);
  }
  const auto measured = std::chrono::steady_clock::now();
  double rmr = 0, hops = 0, reliability = 0;
  std::size_t duplicates = 0;
  for (std::size_t i = 0; i < broadcasts; ++i) {
    const std::size_t record = simulation.broadcast(random_live(simulation, pick));
    simulation.run_for(1s);
    const auto& r = simulation.record(record);
    rmr += static_cast<double>(r.payload_messages) / static_cast<double>(r.delivered - 1) - 1;
    hops += r.last_hop;
    reliability += 100.0 * static_cast<double>(r.delivered) / static_cast<double>(r.live_at_send);
    duplicates += r.duplicates;
  }
  const double n = static_cast<double>(broadcasts);
  std::printf("reliability %.3f %%\nrmr %.4f\nlast_hop %.2f\nduplicate_deliveries %zu\n",
              reliability / n, rmr / n, hops / n, duplicates);
  std::printf("events %llu\nconnections_opened %llu\n",
              static_cast<unsigned long long>(simulation.events_processed()),
              static_cast<unsigned long long>(simulation.links_opened()));
  std::printf("wall_build %.1f s\nwall_broadcasts %.1f s\nwall %.1f s\ncpu %.1f s\n", build_wall,
              wall_seconds(measured), wall_seconds(start),
              static_cast<double>(std::clock()) / CLOCKS_PER_SEC);
  return duplicates == 0 ? 0 : 1;
}

int check(const Args& args) {
  const std::size_t nodes = args.number("nodes", 500);
  const std::uint64_t seed = args.number("seed", 1);
  std::printf("# check: nodes=%zu seed=%llu\n", nodes, static_cast<unsigned long long>(seed));
  sim::Simulation simulation(config_for(seed, true));
  auto fail_with = [&](const std::string& stage, const std::string& problem) {
    std::printf("FAILED at %s (--seed=%llu): %s\n", stage.c_str(),
                static_cast<unsigned long long>(seed), problem.c_str());
    return 1;
  };
  auto invariants = [&](const std::string& stage) -> int {
    // Views must be bounded at every instant; symmetry and connectivity are eventual
    // properties: repairs get up to a minute of simulated time.
    if (auto bounded = simulation.check_bounded(); !bounded.empty()) {
      return fail_with(stage, bounded);
    }
    std::string problem;
    for (int attempt = 0; attempt < 6; ++attempt) {
      problem = simulation.check_symmetric();
      if (problem.empty()) problem = simulation.check_connected();
      if (problem.empty()) break;
      simulation.run_for(10s);
    }
    if (!problem.empty()) return fail_with(stage, problem);
    core::SeededRng pick(seed + 17);
    const std::size_t record = simulation.broadcast(random_live(simulation, pick));
    simulation.run_for(5s);
    const auto& r = simulation.record(record);
    if (r.delivered != simulation.live_count() || r.duplicates != 0) {
      return fail_with(stage, "broadcast reached " + std::to_string(r.delivered) + " of " +
                                  std::to_string(simulation.live_count()));
    }
    std::printf("ok: %s (%zu live)\n", stage.c_str(), simulation.live_count());
    return 0;
  };
  build(simulation, nodes, 30s);
  if (invariants("after joins") != 0) return 1;
  core::SeededRng pick(seed + 5);
  std::vector<std::size_t> crashed;
  for (std::size_t i = 0; i < nodes / 5; ++i) {
    auto node = random_live(simulation, pick);
    simulation.crash(node);
    crashed.push_back(node);
  }
  simulation.run_for(30s);
  if (invariants("after crashing 20%") != 0) return 1;
  for (std::size_t i = 0; i < crashed.size() / 2; ++i) {
    simulation.restart(crashed[i], random_live(simulation, pick));
  }
  simulation.run_for(30s);
  if (invariants("after restarting half of them") != 0) return 1;
  std::vector<int> halves(simulation.size());
  for (std::size_t i = 0; i < halves.size(); ++i) halves[i] = i % 2 == 0 ? 0 : 1;
  simulation.partition(halves);
  simulation.run_for(20s);
  simulation.partition({});
  simulation.run_for(60s);
  if (!simulation.check_bounded().empty())
    return fail_with("partition", simulation.check_bounded());
  std::printf("after partition and heal: %s\n", simulation.check_connected().empty()
                                                    ? "connected"
                                                    : simulation.check_connected().c_str());
  std::printf("PASSED seed %llu\n", static_cast<unsigned long long>(seed));
  return 0;
}

// A join storm: every node joins node 0 within `window-ms`, as `cluster_bench scale` does with
// real nodes. Reports when the overlay is joined (every view non-empty, symmetric, connected)
// and the churn it took: links opened and membership messages sent, per node.
int storm(const Args& args) {
  const std::size_t nodes = args.number("nodes", 1000);
  const std::uint64_t seed = args.number("seed", 1);
  const core::Duration window = std::chrono::milliseconds(args.number("window-ms", 1000));
  sim::SimConfig config = config_for(seed, false);
  config.connect_delay = std::chrono::milliseconds(args.number("connect-ms", 10));
  std::printf(
      "# join storm: nodes=%zu window=%lld ms connect=%lld ms seed=%llu\n", nodes,
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(window).count()),
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(config.connect_delay).count()),
      static_cast<unsigned long long>(seed));
  const auto start = std::chrono::steady_clock::now();
  sim::Simulation simulation(config);
  simulation.add_node();
  const core::Instant began = simulation.now();
  simulation.join_storm(nodes - 1, 0, window);
  auto joined = [&] {
    for (std::size_t i = 0; i < simulation.size(); ++i) {
      if (simulation.membership(i).active_view().empty()) return false;
    }
    return simulation.check_symmetric().empty() && simulation.check_connected().empty();
  };
  while (!joined() && simulation.now() - began < std::chrono::seconds(300)) {
    simulation.run_for(100ms);
  }
  const bool ok = joined();
  const double joined_ms =
      std::chrono::duration<double, std::milli>(simulation.now() - began).count();
  const std::uint64_t links_at_join = simulation.links_opened();
  const std::uint64_t settle = args.number("settle-s", 30);
  simulation.run_for(std::chrono::seconds(settle));
  const double n = static_cast<double>(nodes);
  std::printf("joined %s %.0f ms\n", ok ? "yes" : "NO", joined_ms);
  std::printf("links_per_node_at_join %.2f\nlinks_per_node_after_%llus %.2f\n",
              static_cast<double>(links_at_join) / n, static_cast<unsigned long long>(settle),
              static_cast<double>(simulation.links_opened()) / n);
  hyparview::MembershipStats total;
  std::size_t full = 0;
  std::size_t active = 0;
  for (std::size_t i = 0; i < simulation.size(); ++i) {
    const auto& m = simulation.membership(i);
    const auto& s = m.stats();
    for (std::size_t t = 0; t < hyparview::kMessageTypeCount; ++t) {
      total.messages_out_by_type.at(t) += s.messages_out_by_type.at(t);
    }
    total.neighbor_requests += s.neighbor_requests;
    total.neighbor_refused += s.neighbor_refused;
    total.evictions += s.evictions;
    total.failures += s.failures;
    active += m.active_view().size();
    if (m.active_view().size() == m.config().active_size) ++full;
  }
  for (std::size_t t = 0; t < hyparview::kMessageTypeCount; ++t) {
    std::printf("%s_per_node %.2f\n", hyparview::message_type_name(t),
                static_cast<double>(total.messages_out_by_type.at(t)) / n);
  }
  std::printf("neighbor_refused_per_node %.2f\n", static_cast<double>(total.neighbor_refused) / n);
  std::printf("neighbor_requests_per_node %.2f\nevictions_per_node %.2f\nfailures_per_node %.2f\n",
              static_cast<double>(total.neighbor_requests) / n,
              static_cast<double>(total.evictions) / n, static_cast<double>(total.failures) / n);
  std::printf("active_view_mean %.2f\nactive_view_full %.1f %%\n", static_cast<double>(active) / n,
              100.0 * static_cast<double>(full) / n);
  std::printf("wall %.1f s\n", wall_seconds(start));
  return ok ? 0 : 1;
}

// The kill scenario of `cluster_bench kill` on the simulator (sim/kill_scenario.hpp),
// repeated `runs` times with consecutive seeds.
int kill(const Args& args) {
  const std::size_t nodes = args.number("nodes", 16);
  const std::size_t runs = args.number("runs", 50);
  const std::uint64_t seed = args.number("seed", 1);
  std::printf("# kill: nodes=%zu runs=%zu seeds %llu..%llu\n", nodes, runs,
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed + runs - 1));
  auto ms = [](core::Duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::vector<double> detected;
  std::vector<double> repaired;
  std::size_t unrepaired = 0;
  for (std::size_t run = 0; run < runs; ++run) {
    const sim::KillOutcome outcome = sim::run_kill(nodes, seed + run, 30s);
    if (outcome.detected) detected.push_back(ms(*outcome.detected));
    if (outcome.repaired) {
      repaired.push_back(ms(*outcome.repaired));
    } else {
      ++unrepaired;
      std::printf("--seed=%llu: not repaired within 30 s: %s\n",
                  static_cast<unsigned long long>(seed + run), outcome.problem.c_str());
    }
  }
  std::printf(
      "detected_median %.0f ms\nrepaired_median %.0f ms\nrepaired_p90 %.0f ms\n"
      "repaired_max %.0f ms\nnot_repaired %zu of %zu\n",
      quantile(detected, 0.5), quantile(repaired, 0.5), quantile(repaired, 0.9),
      quantile(repaired, 1.0), unrepaired, detected.size());
  return 0;
}

// The process guarantees under crashes and partitions (sim/process_scenario.hpp), repeated
// `runs` times with consecutive seeds; exits non-zero on the first violation.
int processes(const Args& args) {
  const std::size_t nodes = std::max<std::size_t>(3, args.number("nodes", 6));
  const std::size_t runs = args.number("runs", 20);
  const std::uint64_t seed = args.number("seed", 1);
  const std::size_t steps = args.number("steps", 400);
  const bool early = args.number("early-restarts", 0) != 0;
  std::printf("# processes: nodes=%zu runs=%zu steps=%zu seeds %llu..%llu\n", nodes, runs, steps,
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed + runs - 1));
  sim::ProcessOutcome total;
  for (std::size_t run = 0; run < runs; ++run) {
    const sim::ProcessOutcome outcome =
        sim::run_process_scenario(seed + run, nodes, 4, steps, early);
    if (!outcome.problem.empty()) {
      std::printf("FAILED: %s\n", outcome.problem.c_str());
      return 1;
    }
    total.monitors += outcome.monitors;
    total.downs += outcome.downs;
    total.links += outcome.links;
    total.exits += outcome.exits;
    total.messages_sent += outcome.messages_sent;
    total.messages_received += outcome.messages_received;
    total.calls += outcome.calls;
    total.calls_answered += outcome.calls_answered;
    total.crashes += outcome.crashes;
    total.partitions += outcome.partitions;
  }
  std::printf(
      "monitors %zu downs %zu\nlinks %zu exits %zu\nmessages %zu received %zu\n"
      "calls %zu answered %zu\ncrashes %zu partitions %zu\nPASSED\n",
      total.monitors, total.downs, total.links, total.exits, total.messages_sent,
      total.messages_received, total.calls, total.calls_answered, total.crashes, total.partitions);
  return 0;
}

// Cut a settled overlay into equal groups, heal, and time the return to one component
// (sim/remerge_scenario.hpp), for `runs` consecutive seeds. Exits non-zero when a run did not
// re-merge within --limit-s.
int remerge(const Args& args) {
  sim::RemergeParams params;
  params.nodes = args.number("nodes", 12);
  params.groups = args.number("groups", 2);
  params.cut_for = std::chrono::seconds(args.number("cut-s", 60));
  params.limit = std::chrono::seconds(args.number("limit-s", 30));
  params.after = std::chrono::seconds(args.number("after-s", 0));
  params.steady = std::chrono::seconds(args.number("steady-s", 60));
  params.membership.active_size = args.number("active", params.membership.active_size);
  params.membership.remerge_contacts =
      args.number("remerge-contacts", params.membership.remerge_contacts);
  const std::size_t runs = args.number("runs", 20);
  const std::uint64_t seed = args.number("seed", 1);
  std::printf(
      "# remerge: nodes=%zu groups=%zu cut=%llus limit=%llus remerge_contacts=%zu "
      "active=%zu seeds %llu..%llu\n",
      params.nodes, params.groups, static_cast<unsigned long long>(args.number("cut-s", 60)),
      static_cast<unsigned long long>(args.number("limit-s", 30)),
      params.membership.remerge_contacts, params.membership.active_size,
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed + runs - 1));
  std::printf(
      "seed components_cut merged_s links_per_node_min_before links_per_node_heal "
      "links_per_node_min_after rejoin_probes rejoins full_views components_end "
      "registry_reached_s registries_converged_s stray_nodes_cut\n");
  std::vector<double> merged;
  std::vector<double> before;
  std::vector<double> after;
  std::vector<double> converged;  // registries identical, seconds after the heal
  std::size_t failed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t run = 0; run < runs; ++run) {
    params.seed = seed + run;
    const sim::RemergeOutcome o = sim::run_remerge(params);
    const double secs = o.merged ? std::chrono::duration<double>(*o.merged).count() : -1.0;
    const auto seconds = [](const std::optional<core::Duration>& d) {
      return d ? std::chrono::duration<double>(*d).count() : -1.0;
    };
    std::printf("%llu %zu %.2f %.2f %.2f %.2f %llu %llu %zu/%zu %zu %.2f %.2f %zu\n",
                static_cast<unsigned long long>(params.seed), o.components_cut, secs,
                o.links_per_node_minute_before, o.links_per_node_heal,
                o.links_per_node_minute_after, static_cast<unsigned long long>(o.rejoin_probes),
                static_cast<unsigned long long>(o.rejoins), o.full_views_at_end, params.nodes,
                o.components_at_end, seconds(o.registry_reached), seconds(o.registries_converged),
                o.stray_nodes_cut);
    std::fflush(stdout);
    before.push_back(o.links_per_node_minute_before);
    if (params.after.count() > 0 && o.merged) after.push_back(o.links_per_node_minute_after);
    if (o.registries_converged) {
      converged.push_back(seconds(o.registries_converged));
    } else {
      ++failed;
      std::printf("--seed=%llu: registries %s\n", static_cast<unsigned long long>(params.seed),
                  o.registry_reached ? "not identical within the limit after the heal"
                                     : "did not get the first name everywhere");
    }
    if (o.merged) {
      merged.push_back(secs);
    } else {
      ++failed;
      std::printf("--seed=%llu: not one component within the limit\n",
                  static_cast<unsigned long long>(params.seed));
    }
  }
  std::printf(
      "merged %zu of %zu\nmerged_median %.2f s\nmerged_max %.2f s\n"
      "links_per_node_min_before_median %.2f\nlinks_per_node_min_after_median %.2f\n"
      "registries_converged %zu of %zu\nregistries_converged_median %.2f s\n"
      "registries_converged_max %.2f s\nwall %.1f s\n",
      merged.size(), runs, quantile(merged, 0.5), quantile(merged, 1.0), quantile(before, 0.5),
      quantile(after, 0.5), converged.size(), runs, quantile(converged, 0.5),
      quantile(converged, 1.0), wall_seconds(start));
  if (failed > 0) return 1;
  std::printf("PASSED\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (argc >= 2) args.command = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) == 0) key = key.substr(2);
    args.options[key] = argv[i + 1];
  }
  if (args.command == "failure") return failure(args);
  if (args.command == "steady") return steady(args);
  if (args.command == "check") return check(args);
  if (args.command == "storm") return storm(args);
  if (args.command == "kill") return kill(args);
  if (args.command == "processes") return processes(args);
  if (args.command == "remerge") return remerge(args);
  std::cerr << "usage: barrel-sim failure|steady|check|storm|kill|processes|remerge [--nodes N] "
               "[--seed S] ...\n";
  return 2;
}
