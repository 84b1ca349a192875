#include "transport/packet_batcher.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace barrel_p2p::transport {
namespace {

struct Sent {
  core::SocketAddress to;
  std::size_t size;
  std::size_t segment;
  std::uint8_t ecn;
};

class RecordingSink final : public DatagramSink {
 public:
  bool send_datagrams(const core::SocketAddress& to, core::ByteView data, std::size_t segment,
                      std::uint8_t ecn) override {
    sent.push_back({to, data.size(), segment, ecn});
    return accept;
  }
  std::vector<Sent> sent;
  bool accept = true;
};

void put(PacketBatcher& batcher, std::size_t size, const core::SocketAddress& to,
         std::uint8_t ecn = 0) {
  std::uint8_t* dest = batcher.reserve(1500);
  std::memset(dest, 0x5a, size);
  batcher.commit(size, to, ecn);
}

TEST(PacketBatcher, EqualPacketsShareOneBatchAndAShortOneEndsIt) {
  RecordingSink sink;
  core::Bytes buffer(PacketBatcher::kMaxBytes);
  PacketBatcher batcher(sink, buffer);
  const auto a = *core::SocketAddress::parse("127.0.0.1:1");
  for (int i = 0; i < 5; ++i) put(batcher, 1200, a);
  put(batcher, 300, a);  // shorter: joins, then ends the batch
  ASSERT_EQ(sink.sent.size(), 1U);
  EXPECT_EQ(sink.sent[0].size, 5U * 1200U + 300U);
  EXPECT_EQ(sink.sent[0].segment, 1200U);
}

TEST(PacketBatcher, NewDestinationOrEcnStartsANewBatch) {
  RecordingSink sink;
  core::Bytes buffer(PacketBatcher::kMaxBytes);
  PacketBatcher batcher(sink, buffer);
  const auto a = *core::SocketAddress::parse("127.0.0.1:1");
  const auto b = *core::SocketAddress::parse("127.0.0.1:2");
  put(batcher, 1200, a);
  put(batcher, 1200, b);
  put(batcher, 1200, b, 2);
  batcher.flush();
  ASSERT_EQ(sink.sent.size(), 3U);
  EXPECT_EQ(sink.sent[0].to, a);
  EXPECT_EQ(sink.sent[1].to, b);
  EXPECT_EQ(sink.sent[2].ecn, 2);
}

TEST(PacketBatcher, BatchesStayWithinGsoLimits) {
  RecordingSink sink;
  core::Bytes buffer(PacketBatcher::kMaxBytes);
  PacketBatcher batcher(sink, buffer);
  const auto a = *core::SocketAddress::parse("127.0.0.1:1");
  for (int i = 0; i < 200; ++i) put(batcher, 1452, a);
  batcher.flush();
  std::size_t total = 0;
  for (const Sent& sent : sink.sent) {
    EXPECT_LE(sent.size, PacketBatcher::kMaxBytes);
    EXPECT_LE(sent.size / sent.segment, PacketBatcher::kMaxSegments);
    total += sent.size;
  }
  EXPECT_EQ(total, 200U * 1452U);
  EXPECT_EQ(batcher.packets(), 200U);
}

TEST(PacketBatcher, ReportsAFullSocket) {
  RecordingSink sink;
  sink.accept = false;
  core::Bytes buffer(PacketBatcher::kMaxBytes);
  PacketBatcher batcher(sink, buffer);
  put(batcher, 100, *core::SocketAddress::parse("127.0.0.1:1"));
  EXPECT_FALSE(batcher.blocked());  // still batching
  batcher.flush();
  EXPECT_TRUE(batcher.blocked());
}

}  // namespace
}  // namespace barrel_p2p::transport
