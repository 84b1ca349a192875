// The simulated transport on its own: what each end is told, in which order, and when (in
// simulated time), for dials, streams, closes, crashes and partitions.
#include "sim/sim_network.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrel_p2p::sim {
namespace {

using namespace std::chrono_literals;

struct Seen {
  std::string kind;  // dial_started, dial_failed, connected, data, closed
  std::size_t node = 0;
  std::uint64_t connection = 0;
  core::Instant at;
  core::Bytes bytes;
  bool is_client = false;
  std::array<std::uint8_t, 32> certificate{};
};

class Recorder final : public NetworkHost {
 public:
  explicit Recorder(EventQueue& queue) : queue_(queue) {}
  void dial_started(std::size_t node, std::uint64_t /*dial*/,
                    Result<std::uint64_t> connection) override {
    seen.push_back({connection ? "dial_started" : "dial_failed",
                    node,
                    connection ? *connection : 0,
                    queue_.now(),
                    {},
                    false,
                    {}});
  }
  void connected(std::size_t node, std::uint64_t connection, bool is_client,
                 const std::array<std::uint8_t, 32>& certificate,
                 const std::string& /*address*/) override {
    seen.push_back({"connected", node, connection, queue_.now(), {}, is_client, certificate});
  }
  void stream_data(std::size_t node, std::uint64_t connection, node::Channel /*channel*/,
                   const core::Bytes& bytes) override {
    seen.push_back({"data", node, connection, queue_.now(), bytes, false, {}});
  }
  void closed(std::size_t node, std::uint64_t connection, const std::string& /*reason*/) override {
    seen.push_back({"closed", node, connection, queue_.now(), {}, false, {}});
  }
  [[nodiscard]] std::vector<Seen> of(const std::string& kind, std::size_t node) const {
    std::vector<Seen> out;
    for (const auto& s : seen) {
      if (s.kind == kind && s.node == node) out.push_back(s);
    }
    return out;
  }
  std::vector<Seen> seen;

 private:
  EventQueue& queue_;
};

struct Fixture {
  explicit Fixture(NetworkConfig config) : network(config, rng, queue, host) {
    network.add_node();
    network.add_node();
    network.add_node();
  }
  std::uint64_t connect(std::size_t from, std::size_t to) {
    network.dial(from, 1, *core::SocketAddress::parse(network.address(to)));
    queue.run_until(queue.now() + 1s);
    return host.of("connected", from).back().connection;
  }
  core::SeededRng rng{7};
  EventQueue queue;
  Recorder host{queue};
  SimNetwork network;
};

TEST(SimNetwork, BothEndsConnectWithTheServersCertificateServerFirst) {
  Fixture f(NetworkConfig{});
  const std::uint64_t id = f.connect(0, 1);
  ASSERT_EQ(f.host.of("dial_started", 0).size(), 1U);
  const auto server = f.host.of("connected", 1);
  const auto client = f.host.of("connected", 0);
  ASSERT_EQ(server.size(), 1U);
  ASSERT_EQ(client.size(), 1U);
  EXPECT_EQ(server[0].connection, id);
  EXPECT_FALSE(server[0].is_client);
  EXPECT_TRUE(client[0].is_client);
  EXPECT_EQ(server[0].certificate, client[0].certificate);
  EXPECT_LE(server[0].at, client[0].at);
  EXPECT_EQ(f.network.connections_opened(), 1U);
}

TEST(SimNetwork, AStreamNeverReordersUnderJitterAndLoss) {
  NetworkConfig config;
  config.jitter = 20ms;
  config.loss = 0.3;
  Fixture f(config);
  const std::uint64_t id = f.connect(0, 1);
  for (std::uint8_t i = 0; i < 200; ++i) {
    f.network.transmit(0, id, node::Channel::control, core::Bytes{i});
    f.queue.run_until(f.queue.now() + 1ms);
  }
  f.queue.run_until(f.queue.now() + 1s);
  const auto data = f.host.of("data", 1);
  ASSERT_EQ(data.size(), 200U);  // late, never missing
  for (std::size_t i = 0; i < data.size(); ++i) EXPECT_EQ(data[i].bytes.front(), i);
}

TEST(SimNetwork, ACloseReachesThePeerAfterTheBytesWrittenBeforeIt) {
  NetworkConfig config;
  config.jitter = 20ms;
  Fixture f(config);
  const std::uint64_t id = f.connect(0, 1);
  for (std::uint8_t i = 0; i < 10; ++i)
    f.network.transmit(0, id, node::Channel::data, core::Bytes{i});
  f.network.close(0, id, "done");
  f.queue.run_until(f.queue.now() + 1s);
  const auto data = f.host.of("data", 1);
  const auto closed = f.host.of("closed", 1);
  ASSERT_EQ(data.size(), 10U);
  ASSERT_EQ(closed.size(), 1U);
  EXPECT_GE(closed[0].at, data.back().at);
  EXPECT_EQ(f.host.of("closed", 0).size(), 1U);  // the closing end is told too, once
  EXPECT_EQ(f.network.open_connections(), 0U);
}

TEST(SimNetwork, APeersCrashIsSeenAfterDetectDelayAndItsBytesAreLost) {
  Fixture f(NetworkConfig{});
  const std::uint64_t id = f.connect(0, 1);
  const core::Instant crashed = f.queue.now();
  f.network.crash(1);
  f.network.transmit(0, id, node::Channel::control, core::Bytes{1});
  f.queue.run_until(crashed + 3s);
  EXPECT_TRUE(f.host.of("closed", 0).empty());  // still waiting for the idle timeout
  f.queue.run_until(crashed + 5s);
  const auto closed = f.host.of("closed", 0);
  ASSERT_EQ(closed.size(), 1U);
  EXPECT_EQ(closed[0].at, crashed + NetworkConfig{}.detect_delay);
  EXPECT_TRUE(f.host.of("data", 1).empty());
  EXPECT_TRUE(f.host.of("closed", 1).empty());  // a crashed node is told nothing
}

TEST(SimNetwork, ADialToACrashedOrCutOffNodeFailsAfterTheDialTimeout) {
  Fixture f(NetworkConfig{});
  f.network.crash(1);
  f.network.partition({0, 0, 1});
  const core::Instant start = f.queue.now();
  f.network.dial(0, 1, *core::SocketAddress::parse(f.network.address(1)));
  f.network.dial(0, 2, *core::SocketAddress::parse(f.network.address(2)));
  f.queue.run_until(start + 10s);
  EXPECT_TRUE(f.host.of("connected", 0).empty());
  const auto closed = f.host.of("closed", 0);
  ASSERT_EQ(closed.size(), 2U);
  for (const auto& c : closed) EXPECT_EQ(c.at, start + NetworkConfig{}.dial_timeout);
}

TEST(SimNetwork, APartitionClosesConnectionsAcrossTheCutAndAHealLetsNewOnesThrough) {
  Fixture f(NetworkConfig{});
  const std::uint64_t across = f.connect(0, 1);
  const std::uint64_t within = f.connect(0, 2);
  f.network.partition({0, 1, 0});
  f.network.transmit(0, across, node::Channel::control, core::Bytes{1});
  f.network.transmit(0, within, node::Channel::control, core::Bytes{2});
  f.queue.run_until(f.queue.now() + 5s);
  ASSERT_EQ(f.host.of("closed", 0).size(), 1U);
  EXPECT_EQ(f.host.of("closed", 0)[0].connection, across);
  EXPECT_EQ(f.host.of("closed", 1).size(), 1U);  // both ends of the cut connection
  EXPECT_TRUE(f.host.of("data", 1).empty());
  EXPECT_EQ(f.host.of("data", 2).size(), 1U);
  f.network.partition({});
  f.connect(0, 1);
  EXPECT_EQ(f.network.connections_opened(), 3U);
}

}  // namespace
}  // namespace barrel_p2p::sim
