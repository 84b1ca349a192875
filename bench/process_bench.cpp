// process_bench: processes on two nodes in two OS processes on loopback.
//   process_bench server <data-dir>           prints "address <host:port>", serves until stdin
//                                             closes
//   process_bench client <data-dir> <address> runs every measurement, prints "name value unit"
// Server: an echo process and 16 sinks (loop processes); rpc "pid" <i> returns pid i
// (0 = echo, 1..16 = sinks). Client measurements, all driven by loop processes (no thread hop
// on the message path):
//   call_rtt_64B p50/p99/p999 and call rate: sequential calls, the next issued from the
//     previous call's then() continuation;
//   oneway_64B / oneway_4KiB: one sender, N messages in batches of 256, then a call to the
//     sink (FIFO per pair: its reply means every message arrived);
//   oneway_64B_16pairs: 16 senders to 16 sinks at once.
// Env: BENCH_CALLS (20000), BENCH_N64 (1000000), BENCH_N4K (200000).
// A measurement that cannot complete (a failed call, a sender that times out, sinks that
// counted fewer messages than were sent) prints "process_bench: ..." with what was received
// so far on stderr, and the program exits with status 1. Never throws.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "barrel_p2p/node.hpp"
#include "bench_env.hpp"

using namespace barrel_p2p;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kSinks = 16;
constexpr int kBatch = 256;

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  return barrel_bench::env_or("process_bench", name, fallback);
}

Config bench_config(const std::string& name, const std::string& dir) {
  Config config;
  config.node_name = name;
  config.data_dir = dir;
  config.cluster_name = "bench";
  config.log_level = "warn";
  config.idle_timeout = 30s;
  config.keep_alive = 5s;
  config.mailbox_limit = 4'000'000;
  config.node_queue_limit = 64 << 20;
  return config;
}

Bytes u64_bytes(std::uint64_t value) {
  Bytes out(8);
  std::memcpy(out.data(), &value, 8);
  return out;
}

std::uint64_t u64_of(BytesView bytes) {
  std::uint64_t value = 0;
  if (bytes.size() >= 8) std::memcpy(&value, bytes.data(), 8);
  return value;
}

// ---- server ---------------------------------------------------------------------------------
int run_server(const std::string& dir) {
  auto node = Node::start(bench_config("pserver", dir));
  if (!node) {
    std::cerr << "server: " << node.error().to_string() << "\n";
    return 1;
  }
  std::vector<Pid> pids;
  auto echo = (*node)->spawn([](Process& self, Envelope&& m) {
    if (m.kind == EnvelopeKind::call) (void)self.reply(m, m.payload);
  });
  if (!echo) {
    std::cerr << "process_bench server: spawn echo: " << echo.error().to_string() << "\n";
    return 1;
  }
  pids.push_back(*echo);
  for (int i = 0; i < kSinks; ++i) {
    auto count = std::make_shared<std::uint64_t>(0);
    auto sink = (*node)->spawn([count](Process& self, Envelope&& m) {
      if (m.kind == EnvelopeKind::call) {
        (void)self.reply(m, u64_bytes(*count));
        *count = 0;
      } else {
        ++*count;
      }
    });
    if (!sink) {
      std::cerr << "process_bench server: spawn sink: " << sink.error().to_string() << "\n";
      return 1;
    }
    pids.push_back(*sink);
  }
  auto registered = (*node)->register_function("pid", [pids](BytesView request) -> Result<Bytes> {
    auto index = u64_of(request);
    if (index >= pids.size()) return fail(Errc::invalid_argument, "no such pid");
    return pids[index].serialize();
  });
  if (!registered) {
    std::cerr << "process_bench server: register pid: " << registered.error().to_string() << "\n";
    return 1;
  }
  std::cout << "address " << (*node)->address() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}

// ---- client ---------------------------------------------------------------------------------

// Sequential calls from a loop process: each next call starts in the previous one's
// continuation, on the loop thread.
struct CallLoop {
  Process* self = nullptr;
  Pid target;
  Bytes request = Bytes(64, 7);
  std::uint64_t left = 0;
  std::vector<double> micros;
  Clock::time_point sent;
  Pid report;
  bool failed = false;  // a call failed: the run is reported as failed, not measured

  void next() {
    if (left == 0) {
      (void)self->send(report, Bytes{1});
      return;
    }
    --left;
    sent = Clock::now();
    self->call(target, request, 10s).then([this](Result<Bytes> reply) {
      if (!reply) {
        std::cerr << "process_bench: call " << micros.size() + 1
                  << " failed: " << reply.error().to_string() << "\n";
        failed = true;
        left = 0;
      } else {
        micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
      }
      next();
    });
  }
};

// Sends `total` messages of `size` bytes to `sink` in batches of kBatch per turn. Every window
// (its share of the run's, see turn()) it waits for a call to the sink to return, which bounds
// the bytes in flight the way Erlang's busy distribution port suspends a sender; the final call
// is the barrier that proves every message arrived (FIFO per pair).
struct Sender {
  Process* self = nullptr;
  Pid sink;
  Bytes payload;
  std::uint64_t total = 0;
  std::uint64_t senders = 1;  // senders in this run, sharing the link
  std::uint64_t sent = 0;
  std::uint64_t counted = 0;
  std::uint64_t window = 0;
  std::uint64_t in_window = 0;
  Pid report;
  Clock::time_point started;

  void turn() {
    if (sent == 0) {
      started = Clock::now();
      // At most 8 MiB and 16,384 messages in flight between barriers, shared by the senders of
      // a run: the link's queue (send_buffer_limit, 16 MiB by default) never refuses a window's
      // messages, and 16 pairs carry as many messages at once as one pair, so the two rates
      // compare the same load (with a window per sender, 16 pairs had 8 times one pair's
      // messages in flight and ran about 10% slower for it).
      const std::uint64_t run_window = std::clamp<std::uint64_t>(
          (8u << 20) / std::max<std::size_t>(payload.size(), 1), 64, 16384);
      window = std::max<std::uint64_t>(run_window / senders, 64);
    }
    for (int i = 0; i < kBatch && sent < total && in_window < window; ++i) {
      if (!self->send(sink, payload)) break;  // queue full: the window barrier waits for it
      ++sent;
      ++in_window;
    }
    if (sent < total && in_window < window) {
      (void)self->send(self->self(), Bytes{});  // yield to the network, then continue
      return;
    }
    in_window = 0;
    self->call(sink, Bytes{}, 120s).then([this](Result<Bytes> reply) {
      if (reply) counted += u64_of(*reply);
      if (!reply || sent == total) {
        finish(reply.has_value());
      } else {
        turn();
      }
    });
  }

  void finish(bool ok) {
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    Bytes out = u64_bytes(ok ? counted : 0);
    Bytes time(sizeof(double));
    std::memcpy(time.data(), &seconds, sizeof(double));
    out.insert(out.end(), time.begin(), time.end());
    (void)self->send(report, out);
  }
};

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  if (values.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size()));
  return values[std::min(values.size() - 1, index)];
}

// Runs `senders` loop senders (one per sink) and prints the aggregate rate.
bool oneway(Node& node, Mailbox& me, const std::vector<Pid>& sinks, int senders, std::size_t size,
            std::uint64_t total, const std::string& name) {
  std::vector<std::shared_ptr<Sender>> states;
  std::vector<Pid> pids;
  for (int i = 0; i < senders; ++i) {
    auto state = std::make_shared<Sender>();
    state->sink = sinks[static_cast<std::size_t>(i)];
    state->payload = Bytes(size, 3);
    state->total = total / static_cast<std::uint64_t>(senders);
    state->senders = static_cast<std::uint64_t>(senders);
    state->report = me.self();
    auto pid = node.spawn([state](Process& self, Envelope&&) {
      state->self = &self;
      state->turn();
    });
    if (!pid) return false;
    states.push_back(state);
    pids.push_back(*pid);
  }
  for (const auto& pid : pids) (void)node.send(pid, Bytes{});
  std::uint64_t received = 0;
  double slowest = 0;
  for (int i = 0; i < senders; ++i) {
    auto done = me.receive(300s);
    if (!done) {
      std::cerr << "process_bench: " << name << ": " << done.error().to_string() << " after " << i
                << " of " << senders << " senders reported (" << received
                << " messages counted so far)\n";
      return false;
    }
    if (done->payload.size() < 8 + sizeof(double)) {
      std::cerr << "process_bench: " << name << ": malformed sender report\n";
      return false;
    }
    received += u64_of(done->payload);
    double seconds = 0;
    std::memcpy(&seconds, done->payload.data() + 8, sizeof(double));
    slowest = std::max(slowest, seconds);
  }
  const std::uint64_t expected =
      (total / static_cast<std::uint64_t>(senders)) * static_cast<std::uint64_t>(senders);
  if (received != expected) {
    std::cerr << "process_bench: " << name << ": sinks counted " << received << " of " << expected
              << "\n";
    return false;
  }
  std::printf("%s_rate %.0f msg/s\n", name.c_str(), static_cast<double>(received) / slowest);
  std::printf("%s_tput %.1f MB/s\n", name.c_str(),
              static_cast<double>(received * size) / slowest / 1e6);
  for (const auto& pid : pids) (void)node.exit(pid, ExitReason::killed());
  return true;
}

int run_client(const std::string& dir, const std::string& address) {
  auto started = Node::start(bench_config("pclient", dir));
  if (!started) {
    std::cerr << "client: " << started.error().to_string() << "\n";
    return 1;
  }
  Node& node = **started;
  (void)node.add_address("pserver", address);
  std::vector<Pid> pids;
  for (std::uint64_t i = 0; i <= kSinks; ++i) {
    auto bytes = node.rpc("pserver", "pid", u64_bytes(i), 10s).get();
    if (!bytes) {
      std::cerr << "client: rpc pid: " << bytes.error().to_string() << "\n";
      return 1;
    }
    auto pid = Pid::deserialize(*bytes);
    if (!pid) {
      std::cerr << "process_bench: rpc pid " << i << ": " << pid.error().to_string() << "\n";
      return 1;
    }
    pids.push_back(*pid);
  }
  Pid echo = pids[0];
  std::vector<Pid> sinks(pids.begin() + 1, pids.end());
  auto mailbox = node.mailbox();
  if (!mailbox) {
    std::cerr << "process_bench: mailbox: " << mailbox.error().to_string() << "\n";
    return 1;
  }
  auto& me = *mailbox;

  // Round trips: warm-up, then the measured run.
  const std::uint64_t calls = env_or("BENCH_CALLS", 20'000);
  for (std::uint64_t round = 0; round < 2; ++round) {
    auto loop = std::make_shared<CallLoop>();
    loop->target = echo;
    loop->left = round == 0 ? calls / 10 : calls;
    loop->report = me->self();
    auto caller = node.spawn([loop](Process& self, Envelope&&) {
      loop->self = &self;
      loop->next();
    });
    if (!caller || !node.send(*caller, Bytes{})) {
      std::cerr << "process_bench: cannot start the call loop\n";
      return 1;
    }
    if (!me->receive(300s)) {
      std::cerr << "process_bench: call loop did not finish within 300 s (" << loop->micros.size()
                << " calls completed)\n";
      return 1;
    }
    if (loop->failed) return 1;
    if (round == 1) {
      double total = 0;
      for (double m : loop->micros) total += m;
      std::printf("call_rtt_64B_p50 %.1f us\n", percentile(loop->micros, 0.50));
      std::printf("call_rtt_64B_p99 %.1f us\n", percentile(loop->micros, 0.99));
      std::printf("call_rtt_64B_p999 %.1f us\n", percentile(loop->micros, 0.999));
      std::printf("call_rate %.0f calls/s\n",
                  static_cast<double>(loop->micros.size()) / (total / 1e6));
    }
    (void)node.exit(*caller, ExitReason::killed());
  }
  const std::uint64_t n64 = env_or("BENCH_N64", 1'000'000);
  const std::uint64_t n4k = env_or("BENCH_N4K", 200'000);
  if (!oneway(node, *me, sinks, 1, 64, n64 / 10, "warmup")) return 1;
  if (!oneway(node, *me, sinks, 1, 64, n64, "oneway_64B")) return 1;
  if (!oneway(node, *me, sinks, 1, 4096, n4k, "oneway_4KiB")) return 1;
  if (!oneway(node, *me, sinks, kSinks, 64, n64, "oneway_64B_16pairs")) return 1;
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "server") return run_server(argv[2]);
  if (argc == 4 && std::string(argv[1]) == "client") return run_client(argv[2], argv[3]);
  std::cerr << "usage: process_bench server DIR | client DIR ADDRESS\n";
  return 2;
}
