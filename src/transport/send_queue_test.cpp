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

// Sends and acknowledges `bytes` from the front of the queue, as ngtcp2 would.
void send_and_acknowledge(SendQueue& queue, std::size_t bytes) {
  const std::uint64_t from = queue.acked_offset();
  queue.mark_sent(bytes);
  queue.acknowledge(from, bytes);
}

void append_mebibytes(SendQueue& queue, int count) {
  const core::Bytes frame(1 << 20, 0x5a);
  for (int i = 0; i < count; ++i) queue.append_copy(frame);
}

// Issue 11: a deep queue that keeps streaming (the bulk bench keeps 128-256 MiB queued) freed
// every acknowledged chunk beyond 32 and allocated fresh ones for the next appends: about one
// page fault per 4 KiB sent.
TEST(SendQueue, ADeepStreamingQueueRefillsAcknowledgedChunksInsteadOfAllocating) {
  SendQueue queue;
  append_mebibytes(queue, 16);
  send_and_acknowledge(queue, 8u << 20);  // half the queue acknowledged...
  append_mebibytes(queue, 8);             // ...and refilled (a chunk straddles the boundary)
  const std::uint64_t allocated = queue.chunks_allocated();
  const std::size_t reserved = queue.reserved();
  for (int round = 0; round < 4; ++round) {
    send_and_acknowledge(queue, 8u << 20);
    append_mebibytes(queue, 8);
  }
  EXPECT_EQ(queue.chunks_allocated(), allocated);  // ~96 more per round when freed beyond 32
  EXPECT_EQ(queue.reserved(), reserved);
  EXPECT_EQ(queue.buffered(), 16u << 20);
}

TEST(SendQueue, SparesShrinkWithTheQueueAndStayFewOnceItIsEmpty) {
  SendQueue queue;
  append_mebibytes(queue, 16);
  send_and_acknowledge(queue, 12u << 20);
  // 4 MiB still queued: spares hold at most that plus kSpareBytes; the queued chunks hold
  // 4 MiB plus a partly acknowledged head and a partly filled tail.
  EXPECT_LE(queue.reserved(),
            (4u << 20) + (4u << 20) + SendQueue::kSpareBytes + 2 * SendQueue::kChunkCapacity);
  send_and_acknowledge(queue, 4u << 20);
  EXPECT_EQ(queue.buffered(), 0U);
  // Empty: kSpareBytes of spares at most, plus the packed tail kept for the next append.
  EXPECT_LE(queue.reserved(), SendQueue::kSpareBytes + SendQueue::kChunkCapacity);
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
