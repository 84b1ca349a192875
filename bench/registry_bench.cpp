// registry_bench: the service registry with real nodes (real QUIC on 127.0.0.1, real
// authentication) in one process.
//   registry_bench pair [--runs R]      two nodes, each on its own loop thread: time from
//       register_service on one until the other's subscriber sees it (p50/p99 over R, 200).
//   registry_bench spread [--nodes N] [--runs R]   N nodes (256) on --loops M (2) loop threads
//       joined into one overlay: time from register_service on a random node until every node
//       has seen it (p50/p99 over R runs, 20), and until half have.
//   registry_bench lookup [--seconds S]   whereis_service and lookup_service on one node
//       holding 1,000 names: lookups per second on 1 and on 2 threads (S seconds each, 2).
// Every wait is bounded; a timeout prints what was missing and exits 1. Output: "name value
// unit" lines.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "barrel_p2p/node.hpp"
#include "barrel_p2p/runtime.hpp"

using namespace barrel_p2p;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::size_t loop_threads = 2;  // --loops

[[noreturn]] void give_up(const std::string& why) {
  std::fprintf(stderr, "registry_bench: %s\n", why.c_str());
  std::exit(1);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

double us_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

std::filesystem::path temp_root() {
  auto root = std::filesystem::temp_directory_path() /
              ("registry_bench." + std::to_string(static_cast<long>(::getpid())));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  return root;
}

Config node_config(const std::string& name, const std::filesystem::path& root) {
  Config config;
  config.node_name = name;
  config.data_dir = root / name;
  config.listen_address = "127.0.0.1:0";
  config.cluster_name = "bench";
  config.log_level = "error";
  return config;
}

template <typename Condition>
void wait_until(Condition condition, std::chrono::seconds limit, const std::string& what) {
  const auto deadline = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() > deadline) give_up("timed out waiting for " + what);
    std::this_thread::sleep_for(1ms);
  }
}

// The moment each node's subscriber saw each name registered (by name, then node index).
class Arrivals {
 public:
  explicit Arrivals(std::size_t nodes) : nodes_(nodes) {}
  void expect(const std::string& name) {
    std::lock_guard lock(mutex_);
    name_ = name;
    seen_.assign(nodes_, Clock::time_point{});
    count_ = 0;
  }
  void saw(std::size_t node, const ServiceEvent& event) {
    const auto now = Clock::now();
    if (event.kind != ServiceEvent::Kind::registered) return;
    std::lock_guard lock(mutex_);
    if (event.instance.name != name_ || seen_[node] != Clock::time_point{}) return;
    seen_[node] = now;
    ++count_;
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }
  std::vector<Clock::time_point> times() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::size_t nodes_;
  std::mutex mutex_;
  std::string name_;
  std::vector<Clock::time_point> seen_;
  std::size_t count_ = 0;
};

int run_pair(int runs) {
  const auto root = temp_root();
  auto a = Node::start(node_config("a", root));
  auto b = Node::start(node_config("b", root));
  if (!a || !b) give_up("start failed");
  Arrivals arrivals(1);
  auto sub = (*b)->subscribe_services(ServiceFilter::starting_with(""),
                                      [&](const ServiceEvent& event) { arrivals.saw(0, event); });
  if (!sub) give_up("subscribe failed");
  if (!(*b)->join((*a)->address())) give_up("join failed");
  wait_until([&] { return !(*a)->active_view().empty() && !(*b)->active_view().empty(); }, 10s,
             "the two nodes to link");
  auto pid = (*a)->spawn([](Process&, Envelope&&) {});
  if (!pid) give_up("spawn failed");
  std::vector<double> us;
  for (int run = 0; run < runs; ++run) {
    const std::string name = "pair." + std::to_string(run);
    arrivals.expect(name);
    const auto start = Clock::now();
    if (!(*a)->register_service(name, *pid)) give_up("register failed");
    wait_until([&] { return arrivals.count() == 1; }, 10s, name + " on b");
    us.push_back(us_between(start, arrivals.times()[0]));
  }
  std::printf("pair_visible_p50 %.1f us\npair_visible_p99 %.1f us\nruns %d\n", percentile(us, 0.5),
              percentile(us, 0.99), runs);
  sub->cancel();
  (*b)->stop();
  (*a)->stop();
  std::filesystem::remove_all(root);
  return 0;
}

int run_spread(std::size_t count, int runs) {
  const auto root = temp_root();
  RuntimeOptions options;
  options.loop_threads = loop_threads;
  auto runtime = Runtime::create(options);
  if (!runtime) give_up("runtime: " + runtime.error().message);
  Arrivals arrivals(count);
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<Subscription> subs;
  for (std::size_t i = 0; i < count; ++i) {
    auto node = (*runtime)->start_node(node_config("n" + std::to_string(i), root));
    if (!node) give_up("start: " + node.error().message);
    auto sub = (*node)->subscribe_services(
        ServiceFilter::starting_with(""),
        [&arrivals, i](const ServiceEvent& event) { arrivals.saw(i, event); });
    if (!sub) give_up("subscribe failed");
    subs.push_back(std::move(*sub));
    nodes.push_back(std::move(node).value());
  }
  for (std::size_t i = 1; i < count; ++i) (void)nodes[i]->join(nodes[0]->address());
  wait_until(
      [&] {
        return std::all_of(nodes.begin(), nodes.end(),
                           [](const auto& node) { return !node->active_view().empty(); });
      },
      120s, "every node to join");
  std::this_thread::sleep_for(10s);  // the join storm settles (links reaped, views full)
  std::mt19937_64 rng(7);
  std::vector<double> all_ms;
  std::vector<double> half_ms;
  for (int run = 0; run < runs; ++run) {
    const std::string name = "spread." + std::to_string(run);
    const std::size_t from = rng() % count;
    auto pid = nodes[from]->spawn([](Process&, Envelope&&) {});
    if (!pid) give_up("spawn failed");
    arrivals.expect(name);
    const auto start = Clock::now();
    if (!nodes[from]->register_service(name, *pid)) give_up("register failed");
    wait_until([&] { return arrivals.count() == count; }, 30s, name + " on every node");
    auto times = arrivals.times();
    std::sort(times.begin(), times.end());
    all_ms.push_back(us_between(start, times.back()) / 1000.0);
    half_ms.push_back(us_between(start, times[count / 2]) / 1000.0);
    std::this_thread::sleep_for(200ms);
  }
  std::printf("nodes %zu\nloops %zu\nruns %d\n", count, loop_threads, runs);
  std::printf("spread_all_p50 %.2f ms\nspread_all_p99 %.2f ms\n", percentile(all_ms, 0.5),
              percentile(all_ms, 0.99));
  std::printf("spread_half_p50 %.2f ms\n", percentile(half_ms, 0.5));
  subs.clear();
  nodes.clear();
  std::filesystem::remove_all(root);
  return 0;
}

int run_lookup(int seconds) {
  const auto root = temp_root();
  auto node = Node::start(node_config("a", root));
  if (!node) give_up("start failed");
  auto pid = (*node)->spawn([](Process&, Envelope&&) {});
  if (!pid) give_up("spawn failed");
  for (int i = 0; i < 1000; ++i) {
    if (!(*node)->register_service("svc." + std::to_string(i), *pid)) give_up("register failed");
  }
  for (const char* kind : {"whereis", "lookup"}) {
    for (int threads : {1, 2}) {
      std::atomic<bool> stop{false};
      std::atomic<std::uint64_t> total{0};
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          std::uint64_t done = 0;
          const std::string name = "svc." + std::to_string(500 + t);
          const bool whereis = std::string(kind) == "whereis";
          while (!stop.load(std::memory_order_relaxed)) {
            for (int i = 0; i < 256; ++i) {
              if (whereis) {
                if (!(*node)->whereis_service(name)) give_up("whereis failed");
              } else if ((*node)->lookup_service(name).size() != 1) {
                give_up("lookup failed");
              }
            }
            done += 256;
          }
          total += done;
        });
      }
      std::this_thread::sleep_for(std::chrono::seconds(seconds));
      stop = true;
      for (auto& worker : workers) worker.join();
      std::printf("%s_per_second_%dt %.0f\n", kind, threads,
                  static_cast<double>(total.load()) / seconds);
    }
  }
  (*node)->stop();
  std::filesystem::remove_all(root);
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
  if (scenario == "pair") return run_pair(static_cast<int>(flag(argc, argv, "--runs", 200)));
  if (scenario == "spread") {
    return run_spread(static_cast<std::size_t>(flag(argc, argv, "--nodes", 256)),
                      static_cast<int>(flag(argc, argv, "--runs", 20)));
  }
  if (scenario == "lookup") return run_lookup(static_cast<int>(flag(argc, argv, "--seconds", 2)));
  std::fprintf(stderr,
               "usage: registry_bench pair [--runs R] | spread [--nodes N] [--runs R] "
               "[--loops M] | lookup [--seconds S]\n");
  return 2;
}
