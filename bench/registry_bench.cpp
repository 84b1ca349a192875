// registry_bench: the service registry with real nodes (real QUIC on 127.0.0.1, real
// authentication).
//   registry_bench pair [--runs R]      two nodes in one process, each on its own loop thread:
//       time from register_service on one until the other's subscriber sees it (p50/p99 over
//       R, 200).
//   registry_bench pair-server <data-dir>            node B in its own OS process: prints
//       "address <host:port>", subscribes to "pair2p." and answers each registration it sees
//       with a message to the registered pid carrying the moment it saw it; serves until stdin
//       closes.
//   registry_bench pair-client <data-dir> <address>  node A in another OS process: joins B,
//       registers 20 warm-up names, then BENCH_REGISTRATIONS (200) fresh names one at a time;
//       for each, the time from register_service until B's subscriber saw it (p50/p99), and
//       until A had B's answer. Run both with bench/run_registry_bench.sh.
//       One clock: both processes read std::chrono::steady_clock, which is CLOCK_MONOTONIC
//       (libstdc++), one system-wide clock on a Linux host (per time namespace: both processes
//       must share one, as processes started from one shell do). Every sample is checked:
//       register <= seen on B <= answer back on A, else the bench fails.
//   registry_bench spread [--nodes N] [--runs R]   N nodes (256) on --loops M (2) loop threads
//       in one process, joined into one overlay: time from register_service on a random node
//       until every node has seen it (p50/p99 over R runs, 20), and until half have.
//   registry_bench lookup [--seconds S]   whereis_service and lookup_service on one node
//       holding 1,000 names: lookups per second on 1 and on 2 threads (S seconds each, 2).
// Every wait is bounded; a timeout prints what was missing and exits 1. Output: "name value
// unit" lines.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "barrel_p2p/node.hpp"
#include "barrel_p2p/runtime.hpp"
#include "bench_env.hpp"

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

Config node_config(const std::string& name, const std::filesystem::path& data_dir) {
  Config config;
  config.node_name = name;
  config.data_dir = data_dir;
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
  auto a = Node::start(node_config("a", root / "a"));
  auto b = Node::start(node_config("b", root / "b"));
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
  std::vector<double> reg_us;
  for (int run = 0; run < runs; ++run) {
    const std::string name = "pair." + std::to_string(run);
    arrivals.expect(name);
    const auto start = Clock::now();
    if (!(*a)->register_service(name, *pid)) give_up("register failed");
    reg_us.push_back(us_between(start, Clock::now()));
    wait_until([&] { return arrivals.count() == 1; }, 10s, name + " on b");
    us.push_back(us_between(start, arrivals.times()[0]));
  }
  std::printf("pair_visible_p50 %.1f us\npair_visible_p99 %.1f us\nruns %d\n", percentile(us, 0.5),
              percentile(us, 0.99), runs);
  // Same-run reference: a 64-byte message from a plain thread on a to a process on b, the
  // same two hops without the registry.
  std::mutex arrived_mutex;
  std::condition_variable arrived_ready;
  std::optional<Clock::time_point> arrived;
  auto sink = (*b)->spawn([&](Process&, Envelope&&) {
    const auto now = Clock::now();
    std::lock_guard lock(arrived_mutex);
    arrived = now;
    arrived_ready.notify_all();
  });
  if (!sink) give_up("spawn on b failed");
  std::vector<double> message_us;
  const Bytes payload(64, 0x2a);
  for (int run = 0; run < runs; ++run) {
    const auto start = Clock::now();
    if (!(*a)->send(*sink, payload)) give_up("send failed");
    std::unique_lock lock(arrived_mutex);
    if (!arrived_ready.wait_for(lock, 10s, [&] { return arrived.has_value(); })) {
      give_up("message " + std::to_string(run) + " did not reach b within 10 s");
    }
    message_us.push_back(us_between(start, *arrived));
    arrived.reset();
  }
  std::printf("pair_message_p50 %.1f us\n", percentile(message_us, 0.5));
  std::printf("register_call_p50 %.1f us\n", percentile(reg_us, 0.5));
  sub->cancel();
  (*b)->stop();
  (*a)->stop();
  std::filesystem::remove_all(root);
  return 0;
}

// ---- pair across two OS processes -----------------------------------------------------------

constexpr const char* kPairPrefix = "pair2p.";
constexpr int kPairWarmup = 20;

std::uint64_t monotonic_ns(Clock::time_point at) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count());
}

// Node B: answers every registration under kPairPrefix with a message to the registered pid:
// 8 bytes, the steady_clock nanoseconds at which its subscriber saw it, then the name.
int run_pair_server(const std::string& dir) {
  auto node = Node::start(node_config("pair-b", dir));
  if (!node) give_up("pair-server: start: " + node.error().to_string());
  std::atomic<std::uint64_t> failed_answers{0};
  auto sub = (*node)->subscribe_services(ServiceFilter::starting_with(kPairPrefix),
                                         [&](const ServiceEvent& event) {
                                           const auto seen = Clock::now();
                                           if (event.kind != ServiceEvent::Kind::registered) return;
                                           const auto& name = event.instance.name;
                                           Bytes answer(8 + name.size());
                                           const std::uint64_t ns = monotonic_ns(seen);
                                           std::memcpy(answer.data(), &ns, 8);
                                           std::memcpy(answer.data() + 8, name.data(), name.size());
                                           if (!(*node)->send(event.instance.pid, answer))
                                             ++failed_answers;
                                         });
  if (!sub) give_up("pair-server: subscribe: " + sub.error().to_string());
  std::cout << "address " << (*node)->address() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  sub->cancel();
  (*node)->stop();
  if (failed_answers.load() != 0) {
    std::fprintf(stderr, "registry_bench pair-server: %llu answers could not be sent\n",
                 static_cast<unsigned long long>(failed_answers.load()));
    return 1;
  }
  return 0;
}

// Node A: registers fresh names one at a time; each is timed from just before
// register_service until B's subscriber saw it (B's steady_clock reading, the same
// CLOCK_MONOTONIC), and until B's answer reached A.
int run_pair_client(const std::string& dir, const std::string& address) {
  const auto registrations =
      static_cast<int>(barrel_bench::env_or("registry_bench", "BENCH_REGISTRATIONS", 200));
  auto started = Node::start(node_config("pair-a", dir));
  if (!started) give_up("pair-client: start: " + started.error().to_string());
  Node& node = **started;
  if (!node.join(address)) give_up("pair-client: join " + address + " failed");
  wait_until([&] { return !node.active_view().empty(); }, 10s, "a link to " + address);
  auto mailbox = node.mailbox();
  if (!mailbox) give_up("pair-client: mailbox: " + mailbox.error().to_string());
  Mailbox& me = **mailbox;
  std::vector<double> visible_us;
  std::vector<double> answered_us;
  std::uint64_t stale = 0;
  for (int run = -kPairWarmup; run < registrations; ++run) {
    const std::string name = kPairPrefix + std::to_string(run + kPairWarmup);
    const auto start = Clock::now();
    if (auto done = node.register_service(name, me.self()); !done) {
      give_up("pair-client: register " + name + ": " + done.error().to_string());
    }
    const auto deadline = start + 10s;
    std::uint64_t seen_ns = 0;
    while (seen_ns == 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      auto answer = me.receive(std::max(left, std::chrono::milliseconds(0)));
      if (!answer) {
        give_up("pair-client: no answer from B for " + name + " within 10 s (" +
                std::to_string(visible_us.size()) + " of " + std::to_string(registrations) +
                " measured): " + answer.error().to_string());
      }
      const auto& bytes = answer->payload;
      if (bytes.size() == 8 + name.size() &&
          std::memcmp(bytes.data() + 8, name.data(), name.size()) == 0) {
        std::memcpy(&seen_ns, bytes.data(), 8);
      } else {
        ++stale;  // an answer to an earlier name, seen twice by B
      }
    }
    const auto answered = Clock::now();
    if (seen_ns < monotonic_ns(start) || seen_ns > monotonic_ns(answered)) {
      give_up("pair-client: " + name + " was seen on B outside [register, answer] on A's clock: " +
              "the two processes do not share CLOCK_MONOTONIC");
    }
    if (run < 0) continue;
    visible_us.push_back(static_cast<double>(seen_ns - monotonic_ns(start)) / 1000.0);
    answered_us.push_back(us_between(start, answered));
  }
  std::printf("pair_2proc_visible_p50 %.1f us\npair_2proc_visible_p99 %.1f us\n",
              percentile(visible_us, 0.5), percentile(visible_us, 0.99));
  std::printf("pair_2proc_answered_p50 %.1f us\n", percentile(answered_us, 0.5));
  std::fprintf(stderr, "registrations %d (after %d warm-up), stale answers %llu\n", registrations,
               kPairWarmup, static_cast<unsigned long long>(stale));
  std::fflush(stdout);
  node.stop();
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
    auto node = (*runtime)->start_node(
        node_config("n" + std::to_string(i), root / ("n" + std::to_string(i))));
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
  auto node = Node::start(node_config("a", root / "a"));
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
  if (scenario == "pair-server" && argc == 3) return run_pair_server(argv[2]);
  if (scenario == "pair-client" && argc == 4) return run_pair_client(argv[2], argv[3]);
  if (scenario == "spread") {
    return run_spread(static_cast<std::size_t>(flag(argc, argv, "--nodes", 256)),
                      static_cast<int>(flag(argc, argv, "--runs", 20)));
  }
  if (scenario == "lookup") return run_lookup(static_cast<int>(flag(argc, argv, "--seconds", 2)));
  std::fprintf(stderr,
               "usage: registry_bench pair [--runs R] | pair-server DIR | pair-client DIR ADDRESS "
               "| spread [--nodes N] [--runs R] [--loops M] | lookup [--seconds S]\n");
  return 2;
}
