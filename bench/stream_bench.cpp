// stream_bench: one tagged stream between two nodes of one OS process (each node on its own
// loop thread) on loopback. Prints "name value unit" lines:
//   stream_alone          MB/s of one stream of BENCH_STREAM_MIB MiB (256), 1 MiB writes;
//   call_idle p50/p99     sequential 64-byte calls to an echo process, nothing else running;
//   stream_with_calls     MB/s of the same stream while one thread makes sequential calls;
//   call_during_stream    p50/p99 of those calls.
// Measures only (issue 15 deliverable 7); figures in docs/benchmarks.md. Exits 1 with a
// message on stderr when a step fails. Never throws.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "barrel_p2p/node.hpp"

using namespace barrel_p2p;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* text = std::getenv(name);
  return text == nullptr ? fallback : static_cast<std::size_t>(std::strtoull(text, nullptr, 10));
}

struct Inbox {
  std::mutex mutex;
  std::condition_variable ready;
  std::vector<Stream> streams;
  std::optional<Stream> take() {
    std::unique_lock lock(mutex);
    if (!ready.wait_for(lock, 10s, [&] { return !streams.empty(); })) return std::nullopt;
    Stream stream = streams.back();
    streams.pop_back();
    return stream;
  }
};

std::unique_ptr<Node> start(const std::string& name, const std::filesystem::path& dir) {
  Config config;
  config.node_name = name;
  config.data_dir = dir / name;
  config.cluster_name = "bench";
  config.log_level = "warn";
  auto node = Node::start(config);
  if (!node) {
    std::cerr << "stream_bench: start " << name << ": " << node.error().to_string() << "\n";
    return nullptr;
  }
  return std::move(node).value();
}

/// Sends `total` bytes over a new stream and reads them on the other side; returns MB/s.
std::optional<double> transfer(Node& a, Inbox& inbox, std::size_t total) {
  auto stream = a.open_stream("bench-b", "bench");
  if (!stream) {
    std::cerr << "stream_bench: open_stream: " << stream.error().to_string() << "\n";
    return std::nullopt;
  }
  const Bytes block(kMiB, 0x5a);
  const auto started = Clock::now();
  std::atomic<bool> written_ok{true};
  std::thread writer([&] {
    for (std::size_t sent = 0; sent < total && written_ok; sent += kMiB) {
      auto written = stream->write(block, 60s);
      written_ok = written && *written == block.size();
    }
    written_ok = written_ok && stream->finish().has_value();
  });
  auto inbound = inbox.take();
  std::size_t received = 0;
  while (inbound && received <= total) {
    auto chunk = inbound->read(kMiB, 60s);
    if (!chunk || chunk->empty()) break;
    received += chunk->size();
  }
  writer.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (inbound) (void)inbound->finish();
  if (!written_ok || received != total) {
    std::cerr << "stream_bench: transfer incomplete: " << received << " of " << total << "\n";
    return std::nullopt;
  }
  return static_cast<double>(total) / 1e6 / seconds;
}

/// One-way times of requests, from the caller's send to the echo process on the other node
/// (both nodes share this process, so one steady clock serves both ends).
struct RequestTimes {
  std::mutex mutex;
  std::vector<double> us;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

/// Sequential calls until `stop` (or `count` calls); returns the latencies in microseconds.
/// Each request carries its send time, for RequestTimes.
std::vector<double> calls(Node& a, const Pid& echo, std::size_t count,
                          const std::atomic<bool>* stop) {
  std::vector<double> out;
  Bytes request(64, 0x11);
  for (std::size_t i = 0; i < count && (stop == nullptr || !*stop); ++i) {
    const auto begin = Clock::now();
    const std::int64_t stamp = now_ns();
    std::memcpy(request.data(), &stamp, sizeof(stamp));
    auto reply = a.call(echo, request, 10s).get();
    if (!reply) {
      std::cerr << "stream_bench: call failed: " << reply.error().to_string() << "\n";
      return {};
    }
    out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Prints a loop-turn histogram's counts per bucket that changed between `before` and `after`.
void print_turns(const char* who, const DurationHistogram& before, const DurationHistogram& after) {
  std::printf("%s_turns", who);
  for (std::size_t i = 0; i < after.buckets.size(); ++i) {
    const auto n = after.buckets[i] - before.buckets[i];
    if (n == 0) continue;
    const long bound = i < DurationHistogram::kBounds.size()
                           ? static_cast<long>(DurationHistogram::kBounds[i].count())
                           : -1;
    std::printf(" <=%ld:%llu", bound, static_cast<unsigned long long>(n));
  }
  std::printf("\n");
}

double percentile(const std::vector<double>& sorted, double p);

/// Prints the p50 of the request halves recorded since the last call, and forgets them.
void print_request_half(const char* what, RequestTimes& requests) {
  std::vector<double> times;
  {
    std::lock_guard lock(requests.mutex);
    times.swap(requests.us);
  }
  std::sort(times.begin(), times.end());
  std::printf("%s_request_half_p50 %.1f us\n", what, percentile(times, 0.5));
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1,
                         static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

int run(const std::filesystem::path& dir) {
  auto a = start("bench-a", dir);
  auto b = start("bench-b", dir);
  if (!a || !b) return 1;
  if (auto linked = a->connect_and_wait(b->address(), 10s); !linked) {
    std::cerr << "stream_bench: connect: " << linked.error().to_string() << "\n";
    return 1;
  }
  Inbox inbox;
  auto registered = b->register_acceptor("bench", [&](Stream stream) {
    std::lock_guard lock(inbox.mutex);
    inbox.streams.push_back(std::move(stream));
    inbox.ready.notify_all();
  });
  RequestTimes requests;
  auto echo = b->spawn([&requests](Process& self, Envelope&& m) {
    if (m.kind != EnvelopeKind::call) return;
    if (m.payload.size() >= sizeof(std::int64_t)) {
      std::int64_t stamp = 0;
      std::memcpy(&stamp, m.payload.data(), sizeof(stamp));
      std::lock_guard lock(requests.mutex);
      requests.us.push_back(static_cast<double>(now_ns() - stamp) / 1000.0);
    }
    (void)self.reply(m, m.payload);
  });
  if (!registered || !echo) return 1;
  const std::size_t total = env_size("BENCH_STREAM_MIB", 256) * kMiB;

  auto alone = transfer(*a, inbox, total);
  if (!alone) return 1;
  std::printf("stream_alone %.0f MB/s\n", *alone);

  auto idle = calls(*a, *echo, 2000, nullptr);
  if (idle.empty()) return 1;
  std::printf("call_idle_p50 %.1f us\ncall_idle_p99 %.1f us\n", percentile(idle, 0.5),
              percentile(idle, 0.99));
  print_request_half("call_idle", requests);

  const auto a_before = a->stats().loop_turns;
  const auto b_before = b->stats().loop_turns;
  const auto b_datagrams = b->stats().datagrams_received;
  std::atomic<bool> stop{false};
  std::vector<double> during;
  std::thread caller([&] { during = calls(*a, *echo, 1'000'000, &stop); });
  auto with_calls = transfer(*a, inbox, total);
  stop = true;
  caller.join();
  if (!with_calls || during.empty()) return 1;
  std::printf("stream_with_calls %.0f MB/s\n", *with_calls);
  std::printf("call_during_stream_p50 %.1f us\ncall_during_stream_p99 %.1f us\n",
              percentile(during, 0.5), percentile(during, 0.99));
  std::printf("call_during_stream_count %zu calls\n", during.size());
  print_request_half("call_during_stream", requests);
  if (std::getenv("BENCH_TURNS") != nullptr) {
    print_turns("a", a_before, a->stats().loop_turns);
    print_turns("b", b_before, b->stats().loop_turns);
    std::printf("b_datagrams %llu\n",
                static_cast<unsigned long long>(b->stats().datagrams_received - b_datagrams));
  }
  return 0;
}

}  // namespace

int main() {
  std::random_device seed;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("stream_bench_" + std::to_string(std::mt19937_64(seed())()));
  const int status = run(dir);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return status;
}
