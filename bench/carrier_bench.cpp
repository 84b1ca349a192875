// carrier_bench: the secure carrier between two node processes on loopback.
//   carrier_bench server <data-dir>                 prints "address <host:port>", serves until
//                                                   stdin closes
//   carrier_bench client <data-dir> <address>       runs every measurement, prints
//                                                   "name value unit"
// Measurements: connect + TLS + authentication (median of 50), one-way 64 B message rate,
// 64 B request/response round trip (p50/p99, driven from the loop thread), bulk MB/s.
// Env: BENCH_ONLY=connect|rtt|oneway|bulk runs one measurement (for profiling);
// BENCH_REPLY_TIMEOUT (seconds, default 60) bounds each wait for the server's count;
// BENCH_LOG_LEVEL sets both nodes' log level (default warn).
// A measurement that cannot complete (no reply in time, a malformed reply, fewer messages
// counted than sent, a failed send) prints "carrier_bench: ..." with what was received so
// far and the node counters on stderr, and the client exits with status 1. Never throws.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "barrel_p2p/node.hpp"

using namespace barrel_p2p;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kSmall = 64;
constexpr std::size_t kBulkChunk = 1 << 20;
/// A blocked send() is retried this long before the measurement gives up.
constexpr auto kSendPatience = 60s;

Config bench_config(const std::string& name, const std::string& dir) {
  Config config;
  config.node_name = name;
  config.data_dir = dir;
  config.cluster_name = "bench";
  const char* log_level = std::getenv("BENCH_LOG_LEVEL");
  config.log_level = log_level != nullptr ? log_level : "warn";
  config.idle_timeout = 30s;
  config.keep_alive = 5s;
  // The reaper runs with its defaults: it once closed this busy link as a gossip link and
  // lost the "count" reply (issue 11; Carrier.PlainLinkCarryingOneWayTrafficIsNotReaped).
  return config;
}

/// Parses a whole decimal unsigned integer; nullopt for anything else (empty, sign, junk).
std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

/// Reads a positive number of seconds from the environment; `fallback` when unset.
/// Exits with status 2 on a malformed value (the bench is misconfigured).
std::chrono::seconds env_seconds(const char* name, std::chrono::seconds fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr) return fallback;
  const auto value = parse_u64(text);
  if (!value || *value == 0) {
    std::fprintf(stderr, "carrier_bench: %s=%s is not a positive number of seconds\n", name, text);
    std::exit(2);
  }
  return std::chrono::seconds(static_cast<std::int64_t>(*value));
}

std::string describe(const NodeStats& stats) {
  return "messages_sent=" + std::to_string(stats.messages_sent) +
         " messages_received=" + std::to_string(stats.messages_received) +
         " sends_dropped=" + std::to_string(stats.sends_dropped) +
         " events_dropped=" + std::to_string(stats.events_dropped) +
         " peers=" + std::to_string(stats.peers) +
         " connections=" + std::to_string(stats.connections) +
         " datagrams_received=" + std::to_string(stats.datagrams_received);
}

// ---- server: echo control messages, count data messages, report counts on request ---------
struct ServerCounts {
  std::uint64_t data_messages = 0;
  std::uint64_t data_bytes = 0;
  std::uint64_t replies_failed = 0;  // sends of echoes or counts that the node refused
};

void on_server_event(Node& self, ServerCounts& counts, Event&& event) {
  auto* message = std::get_if<Message>(&event);
  if (message == nullptr) return;
  const bool count_request =
      message->payload.size() == 5 && std::memcmp(message->payload.data(), "count", 5) == 0;
  if (message->channel == Channel::data && !count_request) {
    ++counts.data_messages;
    counts.data_bytes += message->payload.size();
    return;
  }
  std::vector<std::uint8_t> reply = message->payload;  // echo
  if (count_request) {  // sent on the data channel, so it arrives after the data
    const std::string text =
        std::to_string(counts.data_messages) + " " + std::to_string(counts.data_bytes);
    reply.assign(text.begin(), text.end());
    counts.data_messages = 0;
    counts.data_bytes = 0;
  }
  if (auto sent = self.send(message->peer, Channel::control, reply); !sent) {
    // The client waits for this reply: say why it will not come.
    if (counts.replies_failed++ < 10) {
      std::fprintf(stderr, "carrier_bench server: reply to %s not sent: %s\n",
                   message->peer.c_str(), sent.error().to_string().c_str());
    }
  }
}

int run_server(const std::string& dir) {
  Node* self = nullptr;
  ServerCounts counts;
  Config config = bench_config("bench-server", dir);
  config.event_handler = [&](Event&& event) { on_server_event(*self, counts, std::move(event)); };
  auto node = Node::start(config);
  if (!node) {
    std::fprintf(stderr, "carrier_bench server: %s\n", node.error().to_string().c_str());
    return 1;
  }
  self = node->get();
  std::printf("address %s\n", (*node)->address().c_str());
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  const NodeStats stats = (*node)->stats();
  (*node)->stop();
  if (counts.replies_failed > 0) {
    std::fprintf(stderr, "carrier_bench server: %llu replies not sent; %s\n",
                 static_cast<unsigned long long>(counts.replies_failed), describe(stats).c_str());
    return 1;
  }
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
  std::atomic<int> round_trips_left{0};  // read by the API thread when a run times out
  Clock::time_point sent_at;
  std::vector<double> rtt_micros;
  bool rtt_done = false;
  bool rtt_failed = false;
};

void on_client_event(Shared& shared, Event&& event) {
  auto* message = std::get_if<Message>(&event);
  if (message == nullptr || message->channel != Channel::control) return;
  if (message->payload.size() == kSmall && shared.round_trips_left > 0) {
    const auto now = Clock::now();
    shared.rtt_micros.push_back(
        std::chrono::duration<double, std::micro>(now - shared.sent_at).count());
    bool finished = --shared.round_trips_left == 0;
    if (!finished) {
      shared.sent_at = Clock::now();
      if (auto sent = shared.node->send(shared.peer, Channel::control, message->payload); !sent) {
        std::fprintf(stderr, "carrier_bench: round trip send failed: %s\n",
                     sent.error().to_string().c_str());
        shared.rtt_failed = true;
        finished = true;
      }
    }
    if (finished) {
      std::lock_guard lock(shared.mutex);
      shared.rtt_done = true;
      shared.changed.notify_all();
    }
    return;
  }
  std::lock_guard lock(shared.mutex);
  shared.replies.emplace_back(message->payload.begin(), message->payload.end());
  shared.changed.notify_all();
}

/// Retries send() while the node's queue is full, up to kSendPatience. Returns false (after
/// saying why on stderr) when the send fails for another reason or never fits.
bool send_blocking(Node& node, const std::string& peer, Channel channel,
                   const std::vector<std::uint8_t>& payload) {
  const auto give_up = Clock::now() + kSendPatience;
  for (;;) {
    auto sent = node.send(peer, channel, payload);
    if (sent) return true;
    if (sent.error().code != Errc::limit_reached || Clock::now() > give_up) {
      std::fprintf(stderr, "carrier_bench: send failed: %s\n", sent.error().to_string().c_str());
      return false;
    }
    std::this_thread::sleep_for(50us);
  }
}

/// What the server counted since the previous count request.
struct Count {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

/// Asks the server for its count (on the data channel, behind the data) and waits for the
/// reply. Returns nullopt after printing what went wrong: no reply within the timeout, or a
/// reply that is not "<messages> <bytes>".
std::optional<Count> ask_count(Shared& shared, Node& node, const std::string& peer,
                               const char* name) {
  const std::string question = "count";
  if (!send_blocking(node, peer, Channel::data,
                     std::vector<std::uint8_t>(question.begin(), question.end()))) {
    return std::nullopt;
  }
  const auto timeout = env_seconds("BENCH_REPLY_TIMEOUT", 60s);
  std::string reply;
  {
    std::unique_lock lock(shared.mutex);
    if (!shared.changed.wait_for(lock, timeout, [&] { return !shared.replies.empty(); })) {
      lock.unlock();
      std::fprintf(stderr,
                   "carrier_bench: %s: no count reply from the server within %lld s; "
                   "client %s\n",
                   name, static_cast<long long>(timeout.count()), describe(node.stats()).c_str());
      return std::nullopt;
    }
    reply = std::move(shared.replies.front());
    shared.replies.erase(shared.replies.begin());
  }
  const std::size_t space = reply.find(' ');
  const auto messages = parse_u64(std::string_view(reply).substr(0, space));
  const auto bytes = space == std::string::npos
                         ? std::nullopt
                         : parse_u64(std::string_view(reply).substr(space + 1));
  if (!messages || !bytes) {
    std::fprintf(stderr, "carrier_bench: %s: malformed count reply \"%.64s\" (%zu bytes)\n", name,
                 reply.c_str(), reply.size());
    return std::nullopt;
  }
  return Count{*messages, *bytes};
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size()));
  return values[std::min(values.size() - 1, index)];
}

bool measure_connect(Node& node, const std::string& address) {
  std::vector<double> millis;
  for (int i = 0; i < 50; ++i) {
    const auto start = Clock::now();
    auto peer = node.connect_and_wait(address, 5s);
    const auto took = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!peer) {
      std::fprintf(stderr, "carrier_bench: connect failed: %s\n", peer.error().to_string().c_str());
      continue;
    }
    millis.push_back(took);
    (void)node.disconnect(*peer, "bench reconnect");
    while (!node.peers().empty()) std::this_thread::sleep_for(100us);
    while (node.stats().connections != 0) std::this_thread::sleep_for(100us);
  }
  if (millis.empty()) {
    std::fprintf(stderr, "carrier_bench: connect: all 50 connects failed\n");
    return false;
  }
  std::printf("connect_auth_p50 %.3f ms\n", percentile(millis, 0.5));
  std::printf("connect_auth_p99 %.3f ms\n", percentile(millis, 0.99));
  return true;
}

bool measure_one_way(Shared& shared, Node& node, const std::string& peer, std::size_t size,
                     std::uint64_t count, const char* name) {
  const std::vector<std::uint8_t> payload(size, 0x61);
  const auto start = Clock::now();
  std::uint64_t sent = 0;
  while (sent < count && send_blocking(node, peer, Channel::data, payload)) ++sent;
  if (sent < count) {
    std::fprintf(stderr, "carrier_bench: %s: stopped after %llu of %llu sends; client %s\n", name,
                 static_cast<unsigned long long>(sent), static_cast<unsigned long long>(count),
                 describe(node.stats()).c_str());
    return false;
  }
  const auto counted = ask_count(shared, node, peer, name);
  if (!counted) {
    std::fprintf(stderr, "carrier_bench: %s: sent %llu messages of %zu bytes\n", name,
                 static_cast<unsigned long long>(sent), size);
    return false;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (counted->messages != count || counted->bytes != count * size) {
    std::fprintf(stderr,
                 "carrier_bench: %s: sent %llu messages (%llu bytes), server counted "
                 "%llu (%llu bytes)\n",
                 name, static_cast<unsigned long long>(count),
                 static_cast<unsigned long long>(count * size),
                 static_cast<unsigned long long>(counted->messages),
                 static_cast<unsigned long long>(counted->bytes));
    return false;
  }
  std::printf("%s_msgs_per_s %.0f msg/s\n", name, static_cast<double>(count) / seconds);
  std::printf("%s_mb_per_s %.1f MB/s\n", name, static_cast<double>(counted->bytes) / seconds / 1e6);
  return true;
}

bool measure_round_trip(Shared& shared, Node& node, const std::string& peer, int count) {
  const std::vector<std::uint8_t> ping(kSmall, 0x70);
  {
    std::lock_guard lock(shared.mutex);
    shared.rtt_micros.clear();
    shared.rtt_done = false;
    shared.rtt_failed = false;
  }
  // Set before the first send: the reply handler runs on the loop thread.
  shared.round_trips_left = count;
  shared.sent_at = Clock::now();
  if (auto sent = node.send(peer, Channel::control, ping); !sent) {
    std::fprintf(stderr, "carrier_bench: rtt: send failed: %s\n", sent.error().to_string().c_str());
    return false;
  }
  std::unique_lock lock(shared.mutex);
  if (!shared.changed.wait_for(lock, 120s, [&] { return shared.rtt_done; }) || shared.rtt_failed) {
    lock.unlock();
    // rtt_micros is still written by the loop thread: read no sample, only the counter.
    std::fprintf(stderr,
                 "carrier_bench: rtt: %d of %d round trips not completed within 120 s; "
                 "client %s\n",
                 shared.round_trips_left.load(), count, describe(node.stats()).c_str());
    return false;
  }
  std::vector<double> samples(shared.rtt_micros.begin() + count / 10, shared.rtt_micros.end());
  std::printf("rtt_64b_p50 %.1f us\n", percentile(samples, 0.5));
  std::printf("rtt_64b_p99 %.1f us\n", percentile(samples, 0.99));
  return true;
}

bool run_measurements(Shared& shared, Node& client, const std::string& address) {
  const char* only_env = std::getenv("BENCH_ONLY");
  const std::string only = only_env != nullptr ? only_env : "";
  if (!only.empty() && only != "connect" && only != "rtt" && only != "oneway" && only != "bulk") {
    std::fprintf(stderr, "carrier_bench: BENCH_ONLY=%s is not connect|rtt|oneway|bulk\n",
                 only.c_str());
    return false;
  }
  auto wanted = [&only](const char* name) { return only.empty() || only == name; };
  if (wanted("connect") && !measure_connect(client, address)) return false;
  auto peer = client.connect_and_wait(address, 5s);
  if (!peer) {
    std::fprintf(stderr, "carrier_bench: connect: %s\n", peer.error().to_string().c_str());
    return false;
  }
  shared.node = &client;
  shared.peer = *peer;
  if (wanted("rtt") && !measure_round_trip(shared, client, *peer, 20000)) return false;
  if (wanted("oneway") &&
      !measure_one_way(shared, client, *peer, kSmall, 2'000'000, "oneway_64b")) {
    return false;
  }
  return !wanted("bulk") || measure_one_way(shared, client, *peer, kBulkChunk, 512, "bulk_1mib");
}

int run_client(const std::string& dir, const std::string& address) {
  Shared shared;
  Config config = bench_config("bench-client", dir);
  config.event_handler = [&shared](Event&& event) { on_client_event(shared, std::move(event)); };
  auto node = Node::start(config);
  if (!node) {
    std::fprintf(stderr, "carrier_bench client: %s\n", node.error().to_string().c_str());
    return 1;
  }
  const bool ok = run_measurements(shared, **node, address);
  std::fflush(stdout);
  (*node)->stop();
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "server") return run_server(argv[2]);
  if (argc == 4 && std::string(argv[1]) == "client") return run_client(argv[2], argv[3]);
  std::fprintf(stderr, "usage: carrier_bench server <dir> | client <dir> <address>\n");
  return 2;
}
