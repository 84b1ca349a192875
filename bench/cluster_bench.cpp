// cluster_bench: many real nodes (real QUIC on 127.0.0.1, real Ed25519 authentication) in one
// process, with the library's default membership and transport settings.
//   cluster_bench scale [--nodes N] [--broadcasts B]   N nodes (default 256) join one contact at
//       once; time to join (views non-empty, symmetric, overlay connected), broadcast time to
//       reach all N (p50/p99 over B broadcasts from random nodes) right after the join and
//       again 12 s later (settled), connections per node, RSS and threads per node.
//   cluster_bench join8 [--runs R]   8 nodes join one contact at the same moment: time until
//       every active view is non-empty and symmetric (median over R runs, default 10).
//   cluster_bench kill [--runs R]    16 settled nodes; the node with most neighbours is aborted
//       (no goodbye): time until it is out of every view; until the overlay is repaired (no
//       two live nodes both have room without being neighbours); and until each former
//       neighbour's view is back to its size, which parity may forbid (median over R runs,
//       default 3).
// Every scenario takes --loops M (default 2): the nodes share M event-loop threads (Runtime).
// The nodes' data directories go under $TMPDIR (default /tmp; `scale` prints it as
// data_root). Each node writes a pin file (fsync'd, atomically renamed) for every peer it
// meets: a 1,000-node join writes ~23,000 of them through one writer thread, which competes
// with the loops for the CPU the way 1,000 separate machines' disks would not. The figures in
// docs/benchmarks.md say which root they used; TMPDIR=/dev/shm (tmpfs) leaves the disk out.
// Every wait is bounded; a timeout prints what was missing and exits 1. Output: "name value
// unit" lines, then a summary.
// Memory diagnostics for `scale` (environment variables, any value): BENCH_SMAPS prints
// resident memory by kind of mapping; BENCH_TRIM runs malloc_trim after measuring and prints
// RSS per node again (the difference is free memory the heap still held resident);
// BENCH_MALLOC_STATS prints glibc's arena statistics; BENCH_EXIT_AFTER_RSS exits right after
// measuring, so that under heaptrack the "leaked" memory is what the nodes held.
// Broadcast diagnostics for `scale`: BENCH_SPREAD prints, per broadcast, when 50/90/99/99.9/100 %
// of the nodes had it, and per series the Plumtree frames sent per broadcast, by type;
// BENCH_PATHS prints the links' smoothed RTT and congestion window (percentiles over every
// link) and 200 pings between random neighbours, after the join, once settled, and at the end.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "barrel_p2p/node.hpp"
#include "barrel_p2p/runtime.hpp"

using namespace barrel_p2p;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kTag = "bench";
std::size_t loop_threads = 2;                                         // --loops
const std::size_t kActiveSize = MembershipConfig{}.active_view_size;  // the default

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

/// A field of /proc/self/status in its own unit (kB for VmRSS), or 0.
long proc_status(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return 0;
}

/// Resident memory by kind of mapping, from /proc/self/smaps: named ones ([heap], [stack],
/// files), thread stacks (8 MiB each), other large anonymous mappings (malloc's per-thread
/// arenas) and smaller ones (large allocations of their own, such as receive buffers).
void print_smaps() {
  std::ifstream in("/proc/self/smaps");
  std::map<std::string, std::pair<long, long>> by_kind;  // kind -> (mappings, Rss kB)
  std::string line;
  std::string kind;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, name;
    fields >> range >> perms >> offset >> device >> inode >> name;
    const auto dash = range.find('-');
    if (dash == std::string::npos || inode.empty() || range.find(':') != std::string::npos) {
      if (line.rfind("Rss:", 0) == 0) by_kind[kind].second += std::atol(line.c_str() + 4);
      continue;
    }
    const auto kib = (std::stoul(range.substr(dash + 1), nullptr, 16) -
                      std::stoul(range.substr(0, dash), nullptr, 16)) /
                     1024;
    if (!name.empty()) {
      kind = name[0] == '/' ? "files" : name;
    } else {
      kind = kib == 8192 ? "thread stacks" : kib > 8192 ? "malloc arenas" : "anonymous < 8 MiB";
    }
    by_kind[kind].first += 1;
  }
  for (const auto& [name, counts] : by_kind) {
    std::printf("smaps %-20s %6ld mappings %10.2f MiB\n", name.c_str(), counts.first,
                static_cast<double>(counts.second) / 1024.0);
  }
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

[[noreturn]] void give_up(const std::string& why) {
  std::fprintf(stderr, "cluster_bench: %s\n", why.c_str());
  std::exit(1);
}

/// N nodes in this process, each subscribed to kTag, with the library defaults.
class Cluster {
 public:
  Cluster(std::size_t count, const std::filesystem::path& root) : arrivals_(count) {
    RuntimeOptions options;
    options.loop_threads = loop_threads;
    auto runtime = Runtime::create(options);
    if (!runtime) give_up("runtime: " + runtime.error().to_string());
    runtime_ = std::move(runtime).value();
    for (std::size_t i = 0; i < count; ++i) {
      Config config;
      config.node_name = "n" + std::to_string(i);
      config.data_dir = root / config.node_name;
      config.cluster_name = "bench";
      config.log_level = "error";
      config.event_handler = [](Event&&) {};  // link events are not needed here
      auto node = runtime_->start_node(std::move(config));
      if (!node) give_up("start n" + std::to_string(i) + ": " + node.error().to_string());
      (void)(*node)->subscribe(kTag, [this, i](const BroadcastMessage& message) {
        const auto now = Clock::now();
        std::lock_guard lock(mutex_);
        arrivals_[i][std::string(message.payload.begin(), message.payload.end())] = now;
      });
      nodes.push_back(std::move(*node));
    }
  }

  /// Every node but the first joins the first, all at once (one thread each).
  void join_all() {
    const std::string contact = nodes[0]->address();
    std::vector<std::thread> joiners;
    for (std::size_t i = 1; i < nodes.size(); ++i) {
      joiners.emplace_back([this, i, &contact] {
        if (auto joined = nodes[i]->join(contact); !joined) {
          give_up("join: " + joined.error().to_string());
        }
      });
    }
    for (auto& joiner : joiners) joiner.join();
  }

  /// Empty when every live active view is non-empty and symmetric (and, with `connected`, the
  /// overlay is connected); otherwise the first problem found.
  std::string check_views(bool connected) {
    std::map<std::string, std::set<std::string>> active;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (dead.contains(i)) continue;
      auto& peers = active[nodes[i]->name()];
      for (const auto& peer : nodes[i]->active_view()) peers.insert(peer.name);
      if (peers.empty()) return nodes[i]->name() + " has an empty active view";
    }
    for (const auto& [name, peers] : active) {
      for (const auto& peer : peers) {
        if (!active.contains(peer)) return name + " holds " + peer + ", which is dead";
        if (!active[peer].contains(name)) return name + " -> " + peer + " is not symmetric";
      }
    }
    if (!connected) return "";
    std::set<std::string> seen{active.begin()->first};
    std::vector<std::string> stack{active.begin()->first};
    while (!stack.empty()) {
      const auto current = stack.back();
      stack.pop_back();
      for (const auto& peer : active[current]) {
        if (seen.insert(peer).second) stack.push_back(peer);
      }
    }
    return seen.size() == active.size() ? "" : "overlay not connected";
  }

  /// Empty when no two live nodes both have room in their active views (fewer than
  /// `active_size` peers) without being neighbours: the overlay takes no more links, so every
  /// repair that membership can make is made. Otherwise the first such pair.
  std::string check_saturated(std::size_t active_size) {
    std::vector<std::pair<std::string, std::set<std::string>>> short_nodes;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (dead.contains(i)) continue;
      std::set<std::string> peers;
      for (const auto& peer : nodes[i]->active_view()) peers.insert(peer.name);
      if (peers.size() < active_size) short_nodes.emplace_back(nodes[i]->name(), peers);
    }
    for (std::size_t a = 0; a < short_nodes.size(); ++a) {
      for (std::size_t b = a + 1; b < short_nodes.size(); ++b) {
        if (!short_nodes[a].second.contains(short_nodes[b].first)) {
          return short_nodes[a].first + " and " + short_nodes[b].first + " both have room";
        }
      }
    }
    return "";
  }

  /// Polls `check` every `every` until it returns empty; gives up after `limit`.
  static Clock::time_point wait(const std::function<std::string()>& check,
                                std::chrono::milliseconds every, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    std::string problem;
    while (Clock::now() < deadline) {
      problem = check();
      if (problem.empty()) return Clock::now();
      std::this_thread::sleep_for(every);
    }
    give_up("timed out: " + problem);
  }

  /// Broadcasts from node `from`; returns the time until the last live node delivered it.
  double broadcast_ms(std::size_t from, const std::string& text) {
    const auto sent = Clock::now();
    if (auto done = nodes[from]->broadcast(kTag, Bytes(text.begin(), text.end())); !done) {
      give_up("broadcast: " + done.error().to_string());
    }
    wait(
        [&]() -> std::string {
          std::lock_guard lock(mutex_);
          for (std::size_t i = 0; i < nodes.size(); ++i) {
            if (!arrivals_[i].contains(text)) return nodes[i]->name() + " did not get " + text;
          }
          return "";
        },
        1ms, 30s);
    std::lock_guard lock(mutex_);
    Clock::time_point last = sent;
    std::vector<double> each;
    for (auto& seen : arrivals_) {
      last = std::max(last, seen[text]);
      each.push_back(ms_between(sent, seen[text]));
    }
    if (std::getenv("BENCH_SPREAD") != nullptr) {
      std::sort(each.begin(), each.end());
      std::printf("spread %s: 50%% %.1f 90%% %.1f 99%% %.1f 99.9%% %.1f all %.1f ms\n",
                  text.c_str(), each[each.size() / 2], each[each.size() * 9 / 10],
                  each[each.size() * 99 / 100], each[each.size() * 999 / 1000], each.back());
    }
    return ms_between(sent, last);
  }

  ~Cluster() { stop_all(); }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// Stops every node, 16 at a time (each stop waits up to 300 ms for its closes).
  void stop_all() {
    std::vector<std::thread> stoppers;
    const std::size_t lanes = 16;
    for (std::size_t lane = 0; lane < lanes; ++lane) {
      stoppers.emplace_back([this, lane, lanes] {
        for (std::size_t i = lane; i < nodes.size(); i += lanes) nodes[i]->stop();
      });
    }
    for (auto& stopper : stoppers) stopper.join();
    nodes.clear();
  }

  std::unique_ptr<Runtime> runtime_;  // before nodes: it outlives them
  std::vector<std::unique_ptr<Node>> nodes;
  std::set<std::size_t> dead;

 private:
  std::mutex mutex_;
  std::vector<std::map<std::string, Clock::time_point>> arrivals_;
};

struct TempRoot {
  TempRoot() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cluster-bench-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) give_up("cannot create a temporary directory");
    path = pattern;
  }
  ~TempRoot() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

void print(const char* name, double value, const char* unit) {
  std::printf("%-28s %12.2f %s\n", name, value, unit);
  std::fflush(stdout);
}

int run_scale(std::size_t count, int broadcasts) {
  TempRoot root;
  const long rss_before = proc_status("VmRSS");
  const long threads_before = proc_status("Threads");
  const auto t0 = Clock::now();
  std::printf("data_root %s\n", root.path.c_str());
  Cluster cluster(count, root.path);
  const auto started = Clock::now();
  print("nodes", static_cast<double>(count), "");
  print("start_all", ms_between(t0, started), "ms");
  print(
      "rss_per_node_started",
      static_cast<double>(proc_status("VmRSS") - rss_before) / 1024.0 / static_cast<double>(count),
      "MiB");
  cluster.join_all();
  const auto joined = Cluster::wait([&] { return cluster.check_views(true); }, 50ms, 300s);
  print("join_all", ms_between(started, joined), "ms");
  std::mt19937 rng(42);
  // Plumtree frames sent by every node so far, by type (BENCH_SPREAD: per series).
  const auto frames_out = [&] {
    std::map<std::string, std::uint64_t> total;
    for (auto& node : cluster.nodes) {
      for (const auto& [type, sent] : node->stats().broadcast_frames_out) total[type] += sent;
    }
    return total;
  };
  // `broadcasts` broadcasts from random nodes, 100 ms apart; prints their p50, p99 and max.
  const auto measure_broadcasts = [&](const std::string& label) {
    const auto before = std::getenv("BENCH_SPREAD") != nullptr
                            ? frames_out()
                            : std::map<std::string, std::uint64_t>{};
    std::vector<double> times;
    for (int b = 0; b < broadcasts; ++b) {
      const std::size_t from = rng() % count;
      times.push_back(cluster.broadcast_ms(from, label + std::to_string(b)));
      std::this_thread::sleep_for(100ms);
    }
    print((label + "_p50").c_str(), percentile(times, 0.5), "ms");
    print((label + "_p99").c_str(), percentile(times, 0.99), "ms");
    print((label + "_max").c_str(), percentile(times, 1.0), "ms");
    if (std::getenv("BENCH_SPREAD") == nullptr) return;
    for (const auto& [type, sent] : frames_out()) {
      std::printf(
          "%s frames %s per broadcast: %.0f\n", label.c_str(), type.c_str(),
          static_cast<double>(sent - (before.contains(type) ? before.at(type) : 0)) / broadcasts);
    }
  };
  // BENCH_PATHS: the links' QUIC path state (smoothed RTT, congestion window), percentiles.
  const auto print_paths = [&](const std::string& label) {
    if (std::getenv("BENCH_PATHS") == nullptr) return;
    std::vector<double> srtt;
    std::vector<double> cwnd;
    for (auto& node : cluster.nodes) {
      for (const PathStats& path : node->path_stats()) {
        srtt.push_back(static_cast<double>(path.smoothed_rtt.count()) / 1e6);
        cwnd.push_back(static_cast<double>(path.congestion_window) / 1024.0);
      }
    }
    std::printf(
        "paths %s: srtt ms p50 %.1f p90 %.1f p99 %.1f max %.1f; cwnd KiB p1 %.0f p10 %.0f "
        "p50 %.0f\n",
        label.c_str(), percentile(srtt, 0.5), percentile(srtt, 0.9), percentile(srtt, 0.99),
        percentile(srtt, 1.0), percentile(cwnd, 0.01), percentile(cwnd, 0.1),
        percentile(cwnd, 0.5));
    std::vector<double> pings;  // loop-measured round trips to a neighbour, one at a time
    for (std::size_t i = 0; i < 200; ++i) {
      Node& node = *cluster.nodes[rng() % count];
      const auto view = node.active_view();
      if (view.empty()) continue;
      auto rtt = node.ping(view[rng() % view.size()].name, std::chrono::milliseconds(2000));
      if (rtt) pings.push_back(static_cast<double>(rtt->count()) / 1e6);
    }
    std::printf("paths %s: ping ms p50 %.2f p90 %.2f max %.2f (%zu)\n", label.c_str(),
                percentile(pings, 0.5), percentile(pings, 0.9), percentile(pings, 1.0),
                pings.size());
  };
  print_paths("after_join");
  measure_broadcasts("broadcast_all");  // right after the join storm
  std::vector<double> connections;
  for (auto& node : cluster.nodes) {
    connections.push_back(static_cast<double>(node->peers().size()));
  }
  print("connections_after_join_median", percentile(connections, 0.5), "");
  print("connections_after_join_max", percentile(connections, 1.0), "");
  // Links opened for one membership message (JOIN, NEIGHBOR probes, SHUFFLE_REPLY) close once
  // quiet for 5 s; then only the active view's links remain.
  std::this_thread::sleep_for(12s);
  connections.clear();
  for (auto& node : cluster.nodes) {
    connections.push_back(static_cast<double>(node->peers().size()));
  }
  print("connections_settled_median", percentile(connections, 0.5), "");
  print("connections_settled_max", percentile(connections, 1.0), "");
  print_paths("settled");
  measure_broadcasts("broadcast_settled");  // once the storm's extra links have closed
  print_paths("end");
  std::vector<double> transport;  // QUIC connections, including closing and draining ones
  // Churn since start, per node: what it took to settle on active-view-many links.
  std::map<std::string, double> churn;
  for (auto& node : cluster.nodes) {
    const NodeStats stats = node->stats();
    transport.push_back(static_cast<double>(stats.connections));
    churn["links_made"] += static_cast<double>(stats.auth_succeeded);
    churn["quic_dialled"] += static_cast<double>(stats.connections_initiated);
    churn["initials_refused"] += static_cast<double>(stats.connections_refused_limit);
    churn["evictions"] += static_cast<double>(stats.membership_evictions);
    churn["failures"] += static_cast<double>(stats.membership_failures);
    churn["neighbor_requests"] += static_cast<double>(stats.membership_neighbor_requests);
    churn["neighbor_refused"] += static_cast<double>(stats.membership_neighbor_refused);
    for (const auto& [type, sent] : stats.membership_messages_out) {
      churn["sent_" + type] += static_cast<double>(sent);
    }
  }
  for (const auto& [name, total] : churn) {
    print((name + "_per_node").c_str(), total / static_cast<double>(count), "");
  }
  print("quic_connections_median", percentile(transport, 0.5), "");
  print("quic_connections_max", percentile(transport, 1.0), "");
  const long rss_after = proc_status("VmRSS");
  if (std::getenv("BENCH_TRIM") != nullptr) {
    const auto trim_start = Clock::now();
    malloc_trim(0);
    print("malloc_trim_took", ms_between(trim_start, Clock::now()), "ms");
    print("rss_per_node_trimmed",
          static_cast<double>(proc_status("VmRSS") - rss_before) / 1024.0 /
              static_cast<double>(count),
          "MiB");
  }
  if (std::getenv("BENCH_MALLOC_STATS") != nullptr) malloc_stats();
  if (std::getenv("BENCH_SMAPS") != nullptr) print_smaps();
  if (std::getenv("BENCH_EXIT_AFTER_RSS") != nullptr) {
    std::fflush(stdout);  // _Exit flushes nothing: print_smaps() and malloc_stats() would be lost
    std::_Exit(0);        // heaptrack: live = leaked
  }
  print("rss_total", static_cast<double>(rss_after) / 1024.0, "MiB");
  print("rss_per_node",
        static_cast<double>(rss_after - rss_before) / 1024.0 / static_cast<double>(count), "MiB");
  print("threads_per_node",
        static_cast<double>(proc_status("Threads") - threads_before) / static_cast<double>(count),
        "");
  const auto stop_start = Clock::now();
  cluster.stop_all();
  print("stop_all", ms_between(stop_start, Clock::now()), "ms");
  return 0;
}

int run_join8(int runs) {
  std::vector<double> times;
  for (int run = 0; run < runs; ++run) {
    TempRoot root;
    Cluster cluster(8, root.path);
    const auto start = Clock::now();
    cluster.join_all();
    const auto done = Cluster::wait([&] { return cluster.check_views(false); }, 1ms, 30s);
    times.push_back(ms_between(start, done));
    std::printf("join8_run_%d %.1f ms\n", run, times.back());
  }
  print("join8_median", percentile(times, 0.5), "ms");
  print("join8_max", percentile(times, 1.0), "ms");
  return 0;
}

int run_kill(int runs) {
  std::vector<double> detections;
  std::vector<double> repairs;      // per run: detected and every possible link made
  std::vector<double> refills;      // per run: the last neighbour's refill
  std::vector<double> all_refills;  // every neighbour of every run
  for (int run = 0; run < runs; ++run) {
    TempRoot root;
    Cluster cluster(16, root.path);
    cluster.join_all();
    Cluster::wait([&] { return cluster.check_views(true); }, 50ms, 60s);
    std::this_thread::sleep_for(2s);  // let joins and the first shuffles settle
    Cluster::wait([&] { return cluster.check_views(true); }, 50ms, 60s);
    std::size_t victim = 1;
    std::map<std::size_t, std::size_t> size_before;
    for (std::size_t i = 0; i < cluster.nodes.size(); ++i) {
      size_before[i] = cluster.nodes[i]->active_view().size();
      if (i > 0 && size_before[i] > size_before[victim]) victim = i;
    }
    const std::string name = cluster.nodes[victim]->name();
    std::vector<std::size_t> neighbours;
    for (std::size_t i = 0; i < cluster.nodes.size(); ++i) {
      for (const auto& peer : cluster.nodes[i]->active_view()) {
        if (peer.name == name) neighbours.push_back(i);
      }
    }
    const auto killed = Clock::now();
    cluster.nodes[victim]->abort();
    cluster.dead.insert(victim);
    // Detected: out of every live view. Refilled: a former neighbour's view back to its size
    // (it needs a peer with room: with an odd number of neighbours one may stay short).
    std::map<std::size_t, double> refilled;
    double detected = -1;
    double repaired = -1;  // detected, and no two live nodes with room left unlinked
    const auto deadline = killed + 20s;
    while (Clock::now() < deadline &&
           (detected < 0 || repaired < 0 || refilled.size() < neighbours.size())) {
      bool anyone_holds = false;
      for (std::size_t i = 0; i < cluster.nodes.size(); ++i) {
        if (i == victim) continue;
        const auto view = cluster.nodes[i]->active_view();
        const bool holds = std::any_of(view.begin(), view.end(),
                                       [&](const NodeInfo& peer) { return peer.name == name; });
        anyone_holds |= holds;
        const bool neighbour =
            std::find(neighbours.begin(), neighbours.end(), i) != neighbours.end();
        if (neighbour && !holds && view.size() >= size_before[i] && !refilled.contains(i)) {
          refilled[i] = ms_between(killed, Clock::now());
        }
      }
      if (!anyone_holds && detected < 0) detected = ms_between(killed, Clock::now());
      if (detected >= 0 && repaired < 0 && cluster.check_saturated(kActiveSize).empty()) {
        repaired = ms_between(killed, Clock::now());
      }
      std::this_thread::sleep_for(10ms);
    }
    if (detected < 0) give_up("the killed node is still in a view after 20 s");
    detections.push_back(detected);
    if (repaired >= 0) {
      repairs.push_back(repaired);
    } else {
      std::printf("kill_run_%d not repaired within 20 s: %s\n", run,
                  cluster.check_saturated(kActiveSize).c_str());
    }
    std::vector<double> refill_times;
    for (const auto& [node, at] : refilled) refill_times.push_back(at);
    if (!refill_times.empty()) refills.push_back(percentile(refill_times, 1.0));
    all_refills.insert(all_refills.end(), refill_times.begin(), refill_times.end());
    std::printf(
        "kill_run_%d detected %.0f ms, repaired %.0f ms, %zu of %zu neighbours refilled "
        "within 20 s (last at %.0f ms)\n",
        run, detected, repaired, refilled.size(), neighbours.size(),
        refill_times.empty() ? 0.0 : percentile(refill_times, 1.0));
  }
  print("kill_detected_median", percentile(detections, 0.5), "ms");
  print("kill_detected_max", percentile(detections, 1.0), "ms");
  print("kill_repaired_median", percentile(repairs, 0.5), "ms");
  print("kill_repaired_max", percentile(repairs, 1.0), "ms");
  print("kill_repaired_runs", static_cast<double>(repairs.size()), "");
  print("kill_last_refill_median", percentile(refills, 0.5), "ms");
  print("kill_neighbour_refill_median", percentile(all_refills, 0.5), "ms");
  print("kill_neighbour_refill_p80", percentile(all_refills, 0.8), "ms");
  return 0;
}

long flag(int argc, char** argv, const std::string& name, long fallback) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (argv[i] == name) return std::atol(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string scenario = argc > 1 ? argv[1] : "";
  loop_threads = static_cast<std::size_t>(flag(argc, argv, "--loops", 2));
  if (scenario == "scale") {
    return run_scale(static_cast<std::size_t>(flag(argc, argv, "--nodes", 256)),
                     static_cast<int>(flag(argc, argv, "--broadcasts", 20)));
  }
  if (scenario == "join8") return run_join8(static_cast<int>(flag(argc, argv, "--runs", 10)));
  if (scenario == "kill") return run_kill(static_cast<int>(flag(argc, argv, "--runs", 3)));
  std::fprintf(stderr,
               "usage: cluster_bench scale [--nodes N] [--broadcasts B] | join8 [--runs R] | "
               "kill [--runs R]   (each: [--loops M])\n");
  return 2;
}
