// The carrier under load and abuse: control frames overtaking bulk data, and garbage
// datagrams aimed at the node's port.
#include <atomic>
#include <iostream>
#include <random>
#include <thread>

#include "core/socket_address.hpp"
#include "runtime/udp_socket.hpp"
#include "support/test_support.hpp"

namespace barrel_p2p::testing {
namespace {

void send_with_retry(Node& node, const std::string& peer, Channel channel,
                     const std::vector<std::uint8_t>& payload) {
  for (;;) {
    auto sent = node.send(peer, channel, payload);
    if (sent) return;
    ASSERT_EQ(sent.error().code, Errc::limit_reached) << sent.error().to_string();
    std::this_thread::sleep_for(1ms);
  }
}

TEST(Carrier, ControlFramesOvertakeQueuedBulkData) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  auto& a = pair.a;
  auto& b = pair.b;
  constexpr int kChunks = 1024;  // 1024 x 64 KiB = 64 MiB of bulk data
  constexpr int kControls = 16;
  std::vector<std::uint8_t> chunk(64 * 1024, 0x42);
  // Queue the whole bulk transfer first, then send control frames while it is in flight.
  for (int i = 0; i < kChunks; ++i) send_with_retry(*a, "bob", Channel::data, chunk);
  for (int i = 0; i < kControls; ++i) {
    ASSERT_TRUE(a->send("bob", Channel::control, bytes_of("control " + std::to_string(i))));
    std::this_thread::sleep_for(1ms);
  }
  int data_seen = 0;
  std::vector<int> data_seen_at_control;
  while (data_seen < kChunks) {
    auto message = wait_for<Message>(*b, 30s);
    ASSERT_TRUE(message) << "stalled after " << data_seen << " data messages";
    if (message->channel == Channel::data) {
      ASSERT_EQ(message->payload.size(), chunk.size());
      ++data_seen;
    } else {
      EXPECT_EQ(text_of(message->payload),
                "control " + std::to_string(data_seen_at_control.size()));
      data_seen_at_control.push_back(data_seen);
    }
  }
  // Every control frame arrived before the bulk transfer finished.
  EXPECT_EQ(data_seen_at_control.size(), static_cast<std::size_t>(kControls));
  for (int seen : data_seen_at_control) EXPECT_LT(seen, kChunks);
  std::cout << "data messages received before each control message:";
  for (int seen : data_seen_at_control) std::cout << ' ' << seen;
  std::cout << '\n';
}

TEST(Carrier, GarbageDatagramsAreDroppedWhileAPeerKeepsTalking) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  auto& a = pair.a;
  auto& b = pair.b;
  auto target = core::SocketAddress::parse(b->address());
  ASSERT_TRUE(target);
  std::atomic<bool> flooding{true};
  std::thread flooder([&] {
    auto socket = runtime::UdpSocket::bind(*core::SocketAddress::parse("127.0.0.1:0"));
    ASSERT_TRUE(socket);
    std::mt19937 random(12345);
    std::vector<std::uint8_t> datagram;
    for (int i = 0; i < 10000; ++i) {
      datagram.resize(1 + random() % 1400);
      for (auto& byte : datagram) byte = static_cast<std::uint8_t>(random());
      if (i % 4 == 0 && datagram.size() > 7) {
        // Looks like a QUIC v1 long header so it gets past the first checks.
        datagram[0] = static_cast<std::uint8_t>(0xc0 | (random() & 0x3f));
        datagram[1] = 0, datagram[2] = 0, datagram[3] = 0, datagram[4] = 1;
        datagram[5] = static_cast<std::uint8_t>(random() % 21);
      }
      (void)socket->send(*target, datagram, datagram.size(), 0);
      if (i % 100 == 0) std::this_thread::sleep_for(1ms);
    }
    flooding = false;
  });
  int sent = 0;
  bool send_failed = false;
  while ((flooding || sent < 1000) && !send_failed) {
    send_failed = !a->send("bob", Channel::data, bytes_of(std::to_string(sent)));
    ++sent;
    std::this_thread::sleep_for(100us);
  }
  flooder.join();
  ASSERT_FALSE(send_failed) << "send " << sent << " failed during the flood";
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(a->send("bob", Channel::data, bytes_of(std::to_string(sent))));
    ++sent;
  }
  for (int i = 0; i < sent; ++i) {
    auto message = wait_for<Message>(*b, 10s);
    ASSERT_TRUE(message) << "message " << i << " of " << sent << " missing";
    ASSERT_EQ(text_of(message->payload), std::to_string(i));
  }
  const NodeStats stats = b->stats();
  EXPECT_GE(stats.datagrams_received, 10000U);
  EXPECT_GT(stats.datagrams_dropped_garbage + stats.datagrams_unknown_connection, 5000U);
  EXPECT_EQ(b->peers(), std::vector<std::string>{"alice"});
}

// Issue 11: carrier_bench lost its "count" reply in 4 of 6 runs. The idle reaper took the
// bench's link, opened with connect_and_wait, for a gossip link (it never carried a process
// frame) and closed it after one sweep without a counted frame, although it was younger than
// reaper_min_age; the frames Node::send writes are not counted as activity, so a node that
// only sends closes its own busy link, and the messages still queued are dropped. Here alice
// sends one-way messages across several sweep periods; every one must arrive and the link
// must stay up. The Engine now counts Node::send frames and application frames received, so
// such a link is reaped only as an on-demand link (reaper_min_age); failed without that fix.
// Since issue 13 a link opened with connect() is never reaped at all, so this test now holds
// that rule too (Link.QuietLinkOpenedWithConnectIsKeptUntilDisconnect); the counting still
// decides for links the Engine dialed itself.
TEST(Carrier, PlainLinkCarryingOneWayTrafficIsNotReaped) {
  // Sweeps every 100 ms; reaper_min_age stays 300 s.
  LinkedPair pair([](Config& config) { config.reaper_interval = 100ms; });
  ASSERT_TRUE(pair.linked);
  auto& a = pair.a;
  auto& b = pair.b;
  constexpr int kMessages = 60;  // one every 20 ms: about 12 sweep periods
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(a->send("bob", Channel::data, bytes_of(std::to_string(i))))
        << "send " << i << " refused: the link to bob is gone";
    std::this_thread::sleep_for(20ms);
  }
  for (int i = 0; i < kMessages; ++i) {
    auto message = wait_for<Message>(*b, 10s);
    ASSERT_TRUE(message) << "message " << i << " of " << kMessages << " missing";
    ASSERT_EQ(text_of(message->payload), std::to_string(i));
  }
  EXPECT_EQ(a->peers(), std::vector<std::string>{"bob"});
  EXPECT_EQ(a->stats().connections_reaped, 0U);
  EXPECT_EQ(a->stats().sends_dropped, 0U);
}

}  // namespace
}  // namespace barrel_p2p::testing
