#include "transport/send_queue.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::transport {
namespace {

core::Bytes collect(const SendQueue& queue) {
  ngtcp2_vec vecs[64];
  const std::size_t count = queue.unsent_vecs(vecs, 64);
  core::Bytes out;
  for (std::size_t i = 0; i < count; ++i)
    out.insert(out.end(), vecs[i].base, vecs[i].base + vecs[i].len);
  return out;
}

TEST(SendQueue, KeepsOrderAcrossPackedAndLargeChunks) {
  SendQueue queue;
  core::Bytes expected;
  for (int i = 0; i < 100; ++i) {
    core::Bytes small(10, static_cast<std::uint8_t>(i));
    expected.insert(expected.end(), small.begin(), small.end());
    queue.append_copy(small);
  }
  core::Bytes large(100000, 0xab);
  expected.insert(expected.end(), large.begin(), large.end());
  queue.append(std::move(large));
  queue.append_copy(core::Bytes{1, 2, 3});
  expected.insert(expected.end(), {1, 2, 3});
  EXPECT_EQ(queue.unsent(), expected.size());
  EXPECT_EQ(collect(queue), expected);
}

TEST(SendQueue, SentBytesKeepTheirAddressWhileMoreIsAppended) {
  SendQueue queue;
  queue.append_copy(core::Bytes(100, 7));
  ngtcp2_vec first[1];
  ASSERT_EQ(queue.unsent_vecs(first, 1), 1U);
  const std::uint8_t* address = first[0].base;
  queue.mark_sent(100);
  for (int i = 0; i < 1000; ++i) queue.append_copy(core::Bytes(50, 1));
  // ngtcp2 still holds `address` for retransmission: it must be intact.
  EXPECT_EQ(address[0], 7);
  EXPECT_EQ(address[99], 7);
  EXPECT_EQ(queue.buffered(), 100U + 50000U);
}

TEST(SendQueue, AcknowledgeReleasesWholeChunksOnly) {
  SendQueue queue;
  queue.append(core::Bytes(10000, 1));
  queue.append(core::Bytes(10000, 2));
  queue.mark_sent(20000);
  EXPECT_EQ(queue.unsent(), 0U);
  queue.acknowledge(0, 5000);
  EXPECT_EQ(queue.buffered(), 15000U);
  queue.acknowledge(5000, 15000);
  EXPECT_EQ(queue.buffered(), 0U);
  queue.acknowledge(0, 100);  // stale duplicate: ignored
  EXPECT_EQ(queue.acked_offset(), 20000U);
}

TEST(SendQueue, AQuietStreamHoldsASmallChunkAndBusyOnesGrowTo64KiB) {
  SendQueue queue;
  queue.append(core::Bytes(100, 1));
  EXPECT_EQ(queue.reserved(), 4096U);
  // 4, 8, 16, 32 KiB chunks, then 64 KiB ones: 124 KiB + 64 KiB for 130 KiB of frames.
  core::Bytes expected(100, 1);
  for (int i = 0; i < 130; ++i) {
    core::Bytes frame(1024, static_cast<std::uint8_t>(i));
    expected.insert(expected.end(), frame.begin(), frame.end());
    queue.append(std::move(frame));
  }
  EXPECT_EQ(queue.reserved(), std::size_t{(4 + 8 + 16 + 32 + 64 + 64) * 1024});
  EXPECT_EQ(collect(queue), expected);
}

TEST(SendQueue, PartialSendResumesMidChunk) {
  SendQueue queue;
  queue.append_copy(core::as_bytes("hello world"));
  queue.mark_sent(6);
  const core::Bytes rest = collect(queue);
  EXPECT_EQ(std::string(rest.begin(), rest.end()), "world");
}

}  // namespace
}  // namespace barrel_p2p::transport
