// migration_bench: how long Node::migrate_peer takes while messages flow, and whether any
// message is lost or reordered (issue 15, deliverable 7). Two nodes in one process on
// loopback; alice dialed bob. A sender thread sends numbered 64-byte messages from alice to
// bob, at most 10,000 ahead of bob's reader (retrying while the send buffer is full), a
// reader thread checks their order at bob, and the main thread migrates the link `rounds` times,
// `gap_ms` apart:
//   migration_bench client [rounds] [gap_ms] [rate]     alice migrates every time (QUIC migration)
//   migration_bench accepting [rounds] [gap_ms] [rate]  bob, who accepted the connection,
//     migrates every time: alice moves it to his new socket for him (decision 0036)
//   migration_bench takeover [rounds] [gap_ms] [rate]   the side the peer dialed migrates every
//     time, with follow_peer_migrations off: a takeover connection (decision 0020); the roles
//     swap after each, so the callers alternate
// rounds defaults to 100, gap_ms to 20; rate (messages per second) to 0, which sends without
// pause: the link is saturated and the sender competes with the loops for the 2 cores. A
// rate such as 20000 measures a link with steady traffic instead.
// Prints "name value unit" lines: migration p50/p99/max, messages sent, lost and reordered,
// and the messages' one-way latency (send call to bob's reader, every 16th message): on a
// saturated link it is the queue a migration's path probes wait behind too.
// Exit status 1 when a migration fails or a message is missing after the run.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "barrel_p2p/node.hpp"

using namespace barrel_p2p;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kWindow = 10'000;
constexpr std::uint64_t kLatencySampleEvery = 16;
constexpr std::size_t kMaxLatencySamples = 1'000'000;

std::uint64_t now_nanos() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

/// The node of one side: loopback, ephemeral port, default settings otherwise.
Result<std::unique_ptr<Node>> start_side(const std::string& name, const std::filesystem::path& dir,
                                         bool follow_peer_migrations) {
  Config config;
  config.follow_peer_migrations = follow_peer_migrations;
  config.node_name = name;
  config.cluster_name = "bench";
  config.data_dir = dir / name;
  config.listen_address = "127.0.0.1:0";
  config.log_level = "warn";
  return Node::start(std::move(config));
}

/// argv[index] as a positive number, or `fallback` when absent; 0 when malformed.
std::uint64_t argument(int argc, char** argv, int index, std::uint64_t fallback) {
  if (argc <= index) return fallback;
  const std::string_view text(argv[index]);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

double micros(Clock::duration duration) {
  return std::chrono::duration<double, std::micro>(duration).count();
}

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "client";
  const std::uint64_t rounds = argument(argc, argv, 2, 100);
  const auto gap = std::chrono::milliseconds(argument(argc, argv, 3, 20));
  const std::uint64_t rate = argument(argc, argv, 4, 0);
  if ((mode != "client" && mode != "accepting" && mode != "takeover") || rounds == 0 ||
      gap.count() == 0) {
    std::cerr << "usage: migration_bench client|accepting|takeover [rounds (100)] [gap_ms (20)] "
                 "[rate (0)]\n";
    return 2;
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("migration-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const bool follow = mode != "takeover";
  auto alice = start_side("alice", dir, follow);
  auto bob = start_side("bob", dir, follow);
  if (!alice || !bob) {
    std::cerr << "migration_bench: cannot start the nodes\n";
    return 1;
  }
  Node& a = **alice;
  Node& b = **bob;
  if (auto linked = a.connect_and_wait(b.address(), 10s); !linked) {
    std::cerr << "migration_bench: " << linked.error().to_string() << "\n";
    return 1;
  }
  // bob's PeerUp of the link: every later PeerUp or PeerDown counts as a link event.
  for (auto until = Clock::now() + 10s; Clock::now() < until;) {
    auto event = b.next_event(100ms);
    if (event && std::holds_alternative<PeerUp>(*event)) break;
  }
  std::atomic<bool> sending{true};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> reordered{0};
  std::atomic<std::uint64_t> link_events{0};
  std::thread sender([&] {
    std::vector<std::uint8_t> payload(64, 0);
    std::uint64_t next = 0;
    const auto began = Clock::now();
    while (sending.load()) {
      if (rate > 0) {  // steady traffic: message `next` leaves at began + next / rate
        const auto due = began + std::chrono::microseconds(next * 1'000'000 / rate);
        if (Clock::now() < due) std::this_thread::sleep_until(due);
      }
      // At most kWindow messages between the sender and bob's reader: the reader keeps up
      // (bob's event queue never overflows) and the link always has messages in flight.
      if (next - received.load() >= kWindow) {
        std::this_thread::sleep_for(50us);
        continue;
      }
      std::memcpy(payload.data(), &next, sizeof next);
      const std::uint64_t stamp = now_nanos();
      std::memcpy(payload.data() + sizeof next, &stamp, sizeof stamp);
      auto queued = a.send("bob", Channel::data, payload);
      if (queued) {
        sent = ++next;
      } else if (queued.error().code == Errc::limit_reached) {
        std::this_thread::sleep_for(100us);
      } else {
        std::cerr << "migration_bench: send: " << queued.error().to_string() << "\n";
        return;
      }
    }
  });
  std::atomic<bool> reading{true};
  std::vector<double> latencies;  // the reader's until it is joined
  latencies.reserve(kMaxLatencySamples);
  std::thread reader([&] {
    std::uint64_t expected = 0;
    while (reading.load()) {
      auto event = b.next_event(50ms);
      if (!event) continue;
      if (auto* message = std::get_if<Message>(&*event)) {
        std::uint64_t number = 0;
        std::memcpy(&number, message->payload.data(), sizeof number);
        if (number != expected) ++reordered;
        expected = number + 1;
        if (number % kLatencySampleEvery == 0 && latencies.size() < kMaxLatencySamples) {
          std::uint64_t stamp = 0;
          std::memcpy(&stamp, message->payload.data() + sizeof number, sizeof stamp);
          latencies.push_back(static_cast<double>(now_nanos() - stamp) / 1000.0);
        }
        ++received;
      } else if (std::holds_alternative<PeerUp>(*event) ||
                 std::holds_alternative<PeerDown>(*event)) {
        ++link_events;
      }
    }
  });
  std::vector<double> took;
  bool failed = false;
  for (std::uint64_t round = 0; round < rounds && !failed; ++round) {
    std::this_thread::sleep_for(gap);
    // client: alice always dialed. accepting: bob always accepted (the connection stays the
    // one alice dialed). takeover: the side the peer dialed moves; after a takeover that side
    // dialed the link, so the callers alternate (bob first).
    Node& caller = mode == "client" || (mode == "takeover" && round % 2 == 1) ? a : b;
    const std::string peer = &caller == &a ? "bob" : "alice";
    const auto start = Clock::now();
    auto moved = caller.migrate_peer(peer, 5s);
    took.push_back(micros(Clock::now() - start));
    if (!moved) {
      std::cerr << "migration_bench: round " << round << ": " << moved.error().to_string() << "\n";
      failed = true;
    }
  }
  sending = false;
  sender.join();
  const auto deadline = Clock::now() + 30s;
  while (received.load() < sent.load() && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  reading = false;
  reader.join();
  const std::uint64_t lost = sent.load() - std::min(sent.load(), received.load());
  std::cout << "migration_" << mode << "_p50 " << percentile(took, 0.5) << " us\n"
            << "migration_" << mode << "_p99 " << percentile(took, 0.99) << " us\n"
            << "migration_" << mode << "_max " << percentile(took, 1.0) << " us\n"
            << "migrations " << took.size() << " count\n"
            << "message_latency_p50 " << percentile(latencies, 0.5) << " us\n"
            << "message_latency_p99 " << percentile(latencies, 0.99) << " us\n"
            << "messages_sent " << sent.load() << " count\n"
            << "messages_lost " << lost << " count\n"
            << "messages_reordered " << reordered.load() << " count\n"
            << "link_events " << link_events.load() << " count\n"
            << "events_dropped " << b.stats().events_dropped << " count\n";
  a.stop();
  b.stop();
  std::filesystem::remove_all(dir);
  return failed || lost > 0 || reordered.load() > 0 || link_events.load() > 0 ? 1 : 0;
}
