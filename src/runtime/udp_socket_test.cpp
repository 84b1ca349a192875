#include "runtime/udp_socket.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <string>
#include <vector>

namespace barrel_p2p::runtime {
namespace {

struct Received {
  core::SocketAddress from;
  core::Bytes payload;
  std::uint8_t ecn = 0;
};

core::SocketAddress address(const char* text) {
  auto parsed = core::SocketAddress::parse(text);
  EXPECT_TRUE(parsed.has_value());
  return *parsed;
}

UdpSocket bind_or_die(const char* text) {
  auto socket = UdpSocket::bind(address(text));
  EXPECT_TRUE(socket.has_value()) << (socket ? "" : socket.error().to_string());
  return std::move(socket).value();
}

// Receives until `count` datagrams arrived, waiting for readability in between. Loopback
// delivery is synchronous, so the poll timeout only guards against a hang.
std::vector<Received> receive(UdpSocket& socket, std::size_t count) {
  std::vector<Received> out;
  for (int attempts = 0; out.size() < count && attempts < 1'000; ++attempts) {
    auto got = socket.receive_batch(
        [&](const core::SocketAddress& from, core::ByteView data, std::uint8_t ecn) {
          out.push_back(Received{from, core::Bytes(data.begin(), data.end()), ecn});
        });
    EXPECT_TRUE(got.has_value());
    if (got && *got == 0) {
      pollfd ready{socket.fd(), POLLIN, 0};
      ::poll(&ready, 1, 1'000);
    }
  }
  return out;
}

core::Bytes pattern(std::size_t size) {
  core::Bytes bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  return bytes;
}

TEST(UdpSocket, BindsEphemeralPortAndExchangesDatagrams) {
  UdpSocket a = bind_or_die("127.0.0.1:0");
  UdpSocket b = bind_or_die("127.0.0.1:0");
  EXPECT_NE(a.local_address().port(), 0);
  EXPECT_NE(a.local_address().port(), b.local_address().port());
  EXPECT_EQ(a.local_address().to_string().rfind("127.0.0.1:", 0), 0U);

  ASSERT_TRUE(a.send(b.local_address(), core::as_bytes("ping"), 1200, 0));
  auto at_b = receive(b, 1);
  ASSERT_EQ(at_b.size(), 1U);
  EXPECT_EQ(at_b[0].from, a.local_address());
  EXPECT_EQ(at_b[0].payload,
            core::Bytes(core::as_bytes("ping").begin(), core::as_bytes("ping").end()));
  ASSERT_TRUE(b.send(at_b[0].from, core::as_bytes("pong"), 1200, 0));
  auto at_a = receive(a, 1);
  ASSERT_EQ(at_a.size(), 1U);
  EXPECT_EQ(at_a[0].from, b.local_address());
  EXPECT_EQ(at_a[0].payload.size(), 4U);

  EXPECT_EQ(a.stats().datagrams_sent, 1U);
  EXPECT_EQ(a.stats().datagrams_received, 1U);
  EXPECT_EQ(b.stats().datagrams_received, 1U);
  EXPECT_EQ(b.receive_batch([](auto&&...) {}).value_or(99), 0U);  // Drained: EAGAIN.
}

TEST(UdpSocket, GsoBatchArrivesAsDatagramsOfTheRightSizes) {
  UdpSocket sender = bind_or_die("127.0.0.1:0");
  UdpSocket receiver = bind_or_die("127.0.0.1:0");
  constexpr std::size_t kSegment = 1200;
  const core::Bytes data = pattern(19 * kSegment + 500);  // 20 segments, the last short.
  ASSERT_TRUE(sender.send(receiver.local_address(), data, kSegment, 0));
  const auto got = receive(receiver, 20);
  ASSERT_EQ(got.size(), 20U);
  core::Bytes joined;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].payload.size(), i + 1 < got.size() ? kSegment : 500U) << "segment " << i;
    joined.insert(joined.end(), got[i].payload.begin(), got[i].payload.end());
  }
  EXPECT_EQ(joined, data);
  EXPECT_EQ(sender.stats().datagrams_sent, 20U);
  if (sender.gso_enabled()) {
    EXPECT_EQ(sender.stats().send_calls, 1U);
  }
}

TEST(UdpSocket, BatchAboveOneCallLimitIsSplitAndDelivered) {
  UdpSocket sender = bind_or_die("127.0.0.1:0");
  UdpSocket receiver = bind_or_die("127.0.0.1:0");
  constexpr std::size_t kSegment = 1000;
  const core::Bytes data = pattern(70 * kSegment);  // > 64 segments and > 65,507 bytes.
  ASSERT_TRUE(sender.send(receiver.local_address(), data, kSegment, 0));
  const auto got = receive(receiver, 70);
  ASSERT_EQ(got.size(), 70U);
  core::Bytes joined;
  for (const auto& datagram : got) {
    EXPECT_EQ(datagram.payload.size(), kSegment);
    joined.insert(joined.end(), datagram.payload.begin(), datagram.payload.end());
  }
  EXPECT_EQ(joined, data);
  if (sender.gso_enabled()) {
    EXPECT_EQ(sender.stats().send_calls, 2U);
  }
}

TEST(UdpSocket, CoalescedReceiveIsSplitWithOneReceiveSlot) {
  // With one receive buffer, 5 datagrams need 5 calls unless GRO coalesced them; either way
  // the handler must see the original datagrams.
  UdpSocketOptions options;
  options.receive_slots = 1;
  auto bound = UdpSocket::bind(address("127.0.0.1:0"), options);
  ASSERT_TRUE(bound);
  UdpSocket receiver = std::move(bound).value();
  UdpSocket sender = bind_or_die("127.0.0.1:0");
  const core::Bytes data = pattern(std::size_t{4} * 1400 + 1);
  ASSERT_TRUE(sender.send(receiver.local_address(), data, 1400, 0));
  const auto got = receive(receiver, 5);
  ASSERT_EQ(got.size(), 5U);
  EXPECT_EQ(got[4].payload, core::Bytes{data.back()});
  EXPECT_EQ(receiver.stats().datagrams_received, 5U);
}

TEST(UdpSocket, ReceiveSlotsStartAtOneAndDoubleWhileCallsFillThem) {
  UdpSocket receiver = bind_or_die("127.0.0.1:0");  // 16 slots at most
  UdpSocket sender = bind_or_die("127.0.0.1:0");
  // Sizes all differ, so GRO cannot coalesce them: one datagram per slot.
  constexpr std::size_t kCount = 40;
  for (std::size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(sender.send(receiver.local_address(), pattern(100 + i), 1400, 0));
  }
  std::vector<std::size_t> per_call;
  std::size_t total = 0;
  while (total < kCount && per_call.size() < 100) {
    auto got =
        receiver.receive_batch([](const core::SocketAddress&, core::ByteView, std::uint8_t) {});
    ASSERT_TRUE(got);
    ASSERT_NE(*got, 0U) << "loopback delivery is synchronous: all 40 are queued";
    per_call.push_back(*got);
    total += *got;
  }
  // 1, 2, 4, 8, then the 16-slot maximum: 31 so far, the last 9 in one more call.
  EXPECT_EQ(per_call, (std::vector<std::size_t>{1, 2, 4, 8, 16, 9}));
}

// Sends one datagram of `size` bytes and receives it with one call.
void exchange_one(UdpSocket& sender, UdpSocket& receiver, std::size_t size) {
  ASSERT_TRUE(sender.send(receiver.local_address(), pattern(size), size, 0));
  const auto got = receive(receiver, 1);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, pattern(size));
}

TEST(UdpSocket, ReceiveBuffersGiveBackABurstsPagesOnceQuietAgain) {
  UdpSocket receiver = bind_or_die("127.0.0.1:0");
  UdpSocket sender = bind_or_die("127.0.0.1:0");
  // Small datagrams only ever write the first page: nothing to give back, however long.
  for (std::size_t i = 0; i < 2 * UdpSocket::kQuietReceivesBeforeRelease; ++i) {
    exchange_one(sender, receiver, 100);
  }
  EXPECT_EQ(receiver.stats().receive_buffer_releases, 0U);
  // A burst of datagrams of several pages each, in as many slots (sizes differ: no GRO).
  constexpr std::size_t kBurst = 16;
  for (std::size_t i = 0; i < kBurst; ++i) {
    ASSERT_TRUE(sender.send(receiver.local_address(), pattern(20'000 + i), 20'000 + i, 0));
  }
  const auto burst = receive(receiver, kBurst);
  ASSERT_EQ(burst.size(), kBurst);
  for (std::size_t i = 0; i < kBurst; ++i) EXPECT_EQ(burst[i].payload, pattern(20'000 + i));
  // Quiet receives (one small datagram, slots to spare) in a row, then the next call gives
  // the pages back before it receives.
  for (std::size_t i = 0; i < UdpSocket::kQuietReceivesBeforeRelease; ++i) {
    exchange_one(sender, receiver, 100);
  }
  EXPECT_EQ(receiver.stats().receive_buffer_releases, 0U);
  exchange_one(sender, receiver, 100);
  EXPECT_EQ(receiver.stats().receive_buffer_releases, 1U);
  // Back to few slots, doubling again; the buffers read back as zeros, then hold what arrives.
  constexpr std::size_t kCount = 40;
  for (std::size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(sender.send(receiver.local_address(), pattern(5'000 + i), 5'000 + i, 0));
  }
  std::vector<std::size_t> per_call;
  std::vector<Received> got;
  while (got.size() < kCount && per_call.size() < 100) {
    const std::size_t before = got.size();
    auto delivered = receiver.receive_batch(
        [&](const core::SocketAddress& from, core::ByteView data, std::uint8_t ecn) {
          got.push_back(Received{from, core::Bytes(data.begin(), data.end()), ecn});
        });
    ASSERT_TRUE(delivered);
    ASSERT_NE(*delivered, 0U) << "loopback delivery is synchronous: all 40 are queued";
    per_call.push_back(got.size() - before);
  }
  // The releasing call offered one slot and filled it, so this starts at two (without the
  // release it would have started at 16).
  EXPECT_EQ(per_call, (std::vector<std::size_t>{2, 4, 8, 16, 10}));
  ASSERT_EQ(got.size(), kCount);
  for (std::size_t i = 0; i < kCount; ++i) EXPECT_EQ(got[i].payload, pattern(5'000 + i));
}

TEST(UdpSocket, EmptyDatagramRoundTrips) {
  UdpSocket a = bind_or_die("127.0.0.1:0");
  UdpSocket b = bind_or_die("127.0.0.1:0");
  ASSERT_TRUE(a.send(b.local_address(), core::ByteView(), 1200, 0));
  const auto got = receive(b, 1);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_TRUE(got[0].payload.empty());
}

TEST(UdpSocket, BindingAPortInUseNamesTheAddress) {
  UdpSocket first = bind_or_die("127.0.0.1:0");
  const std::string taken = first.local_address().to_string();
  auto second = UdpSocket::bind(first.local_address());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::io);
  EXPECT_NE(second.error().message.find("cannot bind " + taken), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().message;
}

TEST(UdpSocket, EcnCodepointRoundTrips) {
  UdpSocket a = bind_or_die("127.0.0.1:0");
  UdpSocket b = bind_or_die("127.0.0.1:0");
  for (const int ecn : {2, 2, 1, 3, 0}) {
    ASSERT_TRUE(
        a.send(b.local_address(), core::as_bytes("ecn"), 1200, static_cast<std::uint8_t>(ecn)));
    const auto got = receive(b, 1);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].ecn, ecn);
  }
}

TEST(UdpSocket, APausedBatchIsHeldAndDeliveredFirstByTheNextCall) {
  UdpSocket sender = bind_or_die("127.0.0.1:0");
  UdpSocket receiver = bind_or_die("127.0.0.1:0");
  constexpr std::size_t kSegment = 1000;
  const core::Bytes first = pattern(6 * kSegment);  // one GSO send: coalesced where GRO works
  ASSERT_TRUE(sender.send(receiver.local_address(), first, kSegment, 0));
  std::vector<core::Bytes> got;
  const auto keep = [&](const core::SocketAddress&, core::ByteView data, std::uint8_t) {
    got.emplace_back(data.begin(), data.end());
  };
  const auto after_each = [] { return true; };
  bool held_once = false;
  for (int attempts = 0; got.size() < 6 && attempts < 1'000; ++attempts) {
    auto delivered = receiver.receive_batch(keep, after_each);
    ASSERT_TRUE(delivered);
    EXPECT_LE(*delivered, 1U) << "a pause after each datagram delivers one per call";
    if (got.size() == 1 && receiver.holds_datagrams() && !held_once) {
      held_once = true;
      // Sent while the socket holds the rest: it comes after them.
      ASSERT_TRUE(sender.send(receiver.local_address(), core::as_bytes("late"), kSegment, 0));
    }
    if (*delivered == 0) {
      pollfd ready{receiver.fd(), POLLIN, 0};
      ::poll(&ready, 1, 1'000);
    }
  }
  if (receiver.gro_enabled()) {
    EXPECT_TRUE(held_once) << "GRO coalesced the send: the first call held five";
  }
  ASSERT_EQ(got.size(), 6U);
  core::Bytes joined;
  for (const auto& datagram : got) joined.insert(joined.end(), datagram.begin(), datagram.end());
  EXPECT_EQ(joined, first);
  if (held_once) {
    EXPECT_FALSE(receiver.holds_datagrams());
    auto late = receive(receiver, 1);
    ASSERT_EQ(late.size(), 1U);
    EXPECT_EQ(late[0].payload.size(), 4U);
  }
  EXPECT_EQ(receiver.stats().datagrams_received, held_once ? 7U : 6U);
}

TEST(UdpSocket, Ipv6LoopbackWithEcn) {
  auto bound = UdpSocket::bind(address("[::1]:0"));
  if (!bound) GTEST_SKIP() << "no IPv6 loopback: " << bound.error().to_string();
  UdpSocket a = std::move(bound).value();
  UdpSocket b = bind_or_die("[::1]:0");
  const core::Bytes data = pattern(std::size_t{3} * 1200);
  ASSERT_TRUE(a.send(b.local_address(), data, 1200, 2));
  const auto got = receive(b, 3);
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].from, a.local_address());
  EXPECT_EQ(got[2].ecn, 2);
}

TEST(UdpSocket, InvalidSendArguments) {
  UdpSocket a = bind_or_die("127.0.0.1:0");
  const auto zero = a.send(a.local_address(), core::as_bytes("x"), 0, 0);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::invalid_argument);
  const auto nowhere = a.send(core::SocketAddress(), core::as_bytes("x"), 1200, 0);
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code, Errc::invalid_argument);
  const auto too_big = a.send(a.local_address(), pattern(70'000), 70'000, 0);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, Errc::io);
  EXPECT_EQ(a.stats().send_errors, 1U);
}

TEST(UdpSocket, MoveTransfersTheDescriptor) {
  UdpSocket a = bind_or_die("127.0.0.1:0");
  UdpSocket b = bind_or_die("127.0.0.1:0");
  const int fd = a.fd();
  UdpSocket moved(std::move(a));
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_EQ(a.fd(), -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state.
  UdpSocket assigned = bind_or_die("127.0.0.1:0");
  assigned = std::move(moved);
  EXPECT_EQ(assigned.fd(), fd);
  ASSERT_TRUE(assigned.send(b.local_address(), core::as_bytes("moved"), 1200, 0));
  EXPECT_EQ(receive(b, 1).size(), 1U);
}

}  // namespace
}  // namespace barrel_p2p::runtime
