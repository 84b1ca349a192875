// carrier_bench: the secure carrier between two node processes on loopback.
//   carrier_bench server <data-dir>          prints "address <host:port>", serves until stdin
//   closes carrier_bench client <data-dir> <addr>   runs every measurement, prints "name value
//   unit"
// Measurements: connect + TLS + authentication (median of 50), one-way 64 B message rate,
// 64 B request/response round trip (p50/p99, driven from the loop thread), bulk MB/s.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "barrel_p2p/node.hpp"

using namespace barrel_p2p;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kSmall = 64;
constexpr std::size_t kBulkChunk = 1 << 20;

Config bench_config(const std::string& name, const std::string& dir) {
  Config config;
  config.node_name = name;
  config.data_dir = dir;
  config.cluster_name = "bench";
  config.log_level = "warn";
  config.idle_timeout = 30s;
  config.keep_alive = 5s;
  config.send_buffer_limit = 256 << 20;
  return config;
}

// ---- server: echo control messages, count data messages, report counts on request ---------
int run_server(const std::string& dir) {
  Node* self = nullptr;
  std::uint64_t data_messages = 0;
  std::uint64_t data_bytes = 0;
  Config config = bench_config("bench-server", dir);
  config.event_handler = [&](Event&& event) {
    auto* message = std::get_if<Message>(&event);
    if (message == nullptr) return;
    const bool count_request =
        message->payload.size() == 5 && std::memcmp(message->payload.data(), "count", 5) == 0;
    if (message->channel == Channel::data && !count_request) {
      ++data_messages;
      data_bytes += message->payload.size();
      return;
    }
    if (count_request) {  // sent on the data channel, so it arrives after the data
      const std::string reply = std::to_string(data_messages) + " " + std::to_string(data_bytes);
      data_messages = 0;
      data_bytes = 0;
      (void)self->send(message->peer, Channel::control,
                       std::vector<std::uint8_t>(reply.begin(), reply.end()));
      return;
    }
    (void)self->send(message->peer, Channel::control, message->payload);  // echo
  };
  auto node = Node::start(config);
  if (!node) {
    std::fprintf(stderr, "server: %s\n", node.error().to_string().c_str());
    return 1;
  }
  self = node->get();
  std::printf("address %s\n", (*node)->address().c_str());
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  (*node)->stop();
  return 0;
}

// ---- client ---------------------------------------------------------------------------------
struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> replies;  // control replies that are not echoes
  // Round-trip state, touched only on the loop thread while a run is active.
  Node* node = nullptr;
  std::string peer;
  int round_trips_left = 0;
  Clock::time_point sent_at;
  std::vector<double> rtt_micros;
  bool rtt_done = false;
};

void on_client_event(Shared& shared, Event&& event) {
  auto* message = std::get_if<Message>(&event);
  if (message == nullptr || message->channel != Channel::control) return;
  if (message->payload.size() == kSmall && shared.round_trips_left > 0) {
    const auto now = Clock::now();
    shared.rtt_micros.push_back(
        std::chrono::duration<double, std::micro>(now - shared.sent_at).count());
    if (--shared.round_trips_left == 0) {
      std::lock_guard lock(shared.mutex);
      shared.rtt_done = true;
      shared.changed.notify_all();
      return;
    }
    shared.sent_at = Clock::now();
    (void)shared.node->send(shared.peer, Channel::control, message->payload);
    return;
  }
  std::lock_guard lock(shared.mutex);
  shared.replies.emplace_back(message->payload.begin(), message->payload.end());
  shared.changed.notify_all();
}

void send_blocking(Node& node, const std::string& peer, Channel channel,
                   const std::vector<std::uint8_t>& payload) {
  while (!node.send(peer, channel, payload)) std::this_thread::sleep_for(50us);
}

std::string ask_count(Shared& shared, Node& node, const std::string& peer) {
  const std::string question = "count";
  send_blocking(node, peer, Channel::data,
                std::vector<std::uint8_t>(question.begin(), question.end()));
  std::unique_lock lock(shared.mutex);
  shared.changed.wait_for(lock, 60s, [&] { return !shared.replies.empty(); });
  if (shared.replies.empty()) return "";
  std::string reply = shared.replies.front();
  shared.replies.erase(shared.replies.begin());
  return reply;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size()));
  return values[std::min(values.size() - 1, index)];
}

void measure_connect(Node& node, const std::string& address) {
  std::vector<double> millis;
  for (int i = 0; i < 50; ++i) {
    const auto start = Clock::now();
    auto peer = node.connect_and_wait(address, 5s);
    const auto took = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!peer) {
      std::fprintf(stderr, "connect failed: %s\n", peer.error().to_string().c_str());
      continue;
    }
    millis.push_back(took);
    (void)node.disconnect(*peer, "bench reconnect");
    while (!node.peers().empty()) std::this_thread::sleep_for(100us);
    while (node.stats().connections != 0) std::this_thread::sleep_for(100us);
  }
  std::printf("connect_auth_p50 %.3f ms\n", percentile(millis, 0.5));
  std::printf("connect_auth_p99 %.3f ms\n", percentile(millis, 0.99));
}

void measure_one_way(Shared& shared, Node& node, const std::string& peer, std::size_t size,
                     std::uint64_t count, const char* name) {
  const std::vector<std::uint8_t> payload(size, 0x61);
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < count; ++i) send_blocking(node, peer, Channel::data, payload);
  const std::string reply = ask_count(shared, node, peer);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::uint64_t received = std::stoull(reply.substr(0, reply.find(' ')));
  if (received != count)
    std::fprintf(stderr, "%s: sent %llu, server counted %llu\n", name,
                 static_cast<unsigned long long>(count), static_cast<unsigned long long>(received));
  std::printf("%s_msgs_per_s %.0f msg/s\n", name, static_cast<double>(received) / seconds);
  std::printf("%s_mb_per_s %.1f MB/s\n", name,
              static_cast<double>(received) * static_cast<double>(size) / seconds / 1e6);
}

void measure_round_trip(Shared& shared, Node& node, const std::string& peer, int count) {
  const std::vector<std::uint8_t> ping(kSmall, 0x70);
  {
    std::lock_guard lock(shared.mutex);
    shared.rtt_micros.clear();
    shared.rtt_done = false;
  }
  shared.round_trips_left = count;
  shared.sent_at = Clock::now();
  (void)node.send(peer, Channel::control, ping);
  std::unique_lock lock(shared.mutex);
  shared.changed.wait_for(lock, 120s, [&] { return shared.rtt_done; });
  std::vector<double> samples(shared.rtt_micros.begin() + count / 10, shared.rtt_micros.end());
  std::printf("rtt_64b_p50 %.1f us\n", percentile(samples, 0.5));
  std::printf("rtt_64b_p99 %.1f us\n", percentile(samples, 0.99));
}

int run_client(const std::string& dir, const std::string& address) {
  Shared shared;
  Config config = bench_config("bench-client", dir);
  config.event_handler = [&shared](Event&& event) { on_client_event(shared, std::move(event)); };
  auto node = Node::start(config);
  if (!node) {
    std::fprintf(stderr, "client: %s\n", node.error().to_string().c_str());
    return 1;
  }
  Node& client = **node;
  // BENCH_ONLY=connect|rtt|oneway|bulk runs one measurement (for profiling).
  const char* only_env = std::getenv("BENCH_ONLY");
  const std::string only = only_env != nullptr ? only_env : "";
  auto wanted = [&only](const char* name) { return only.empty() || only == name; };
  if (wanted("connect")) measure_connect(client, address);
  auto peer = client.connect_and_wait(address, 5s);
  if (!peer) {
    std::fprintf(stderr, "client: %s\n", peer.error().to_string().c_str());
    return 1;
  }
  shared.node = &client;
  shared.peer = *peer;
  if (wanted("rtt")) measure_round_trip(shared, client, *peer, 20000);
  if (wanted("oneway")) measure_one_way(shared, client, *peer, kSmall, 2'000'000, "oneway_64b");
  if (wanted("bulk")) measure_one_way(shared, client, *peer, kBulkChunk, 512, "bulk_1mib");
  client.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "server") return run_server(argv[2]);
  if (argc == 4 && std::string(argv[1]) == "client") return run_client(argv[2], argv[3]);
  std::fprintf(stderr, "usage: carrier_bench server <dir> | client <dir> <address>\n");
  return 2;
}
