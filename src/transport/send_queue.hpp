// Bytes queued on one QUIC stream, kept alive until the peer acknowledges them.
// ngtcp2 does not copy stream data: it keeps pointers for retransmission until the
// acked_stream_data_offset callback covers them, so chunks here never move once written.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "core/bytes.hpp"

namespace barrel_p2p::transport {

/// FIFO of stream bytes with three cursors: acked <= sent <= queued (stream offsets).
/// Small appends are packed into fixed-capacity chunks; large ones keep their own buffer.
/// Not thread-safe: owned by one connection on the loop thread.
class SendQueue {
 public:
  /// Appends bytes (copied into a packed chunk when small, else moved into its own chunk).
  void append(core::Bytes&& data);
  /// Appends a copy of `data`, packed into fixed-size chunks (a large copy spans several).
  void append_copy(core::ByteView data);

  /// Fills up to `max_vecs` vectors with unsent bytes, oldest first; returns the count.
  std::size_t unsent_vecs(ngtcp2_vec* out, std::size_t max_vecs) const;
  /// Records that `count` unsent bytes were handed to ngtcp2. Precondition: count <= unsent().
  void mark_sent(std::size_t count);
  /// Releases bytes acknowledged by the peer: [offset, offset + length), called in order.
  void acknowledge(std::uint64_t offset, std::uint64_t length);

  [[nodiscard]] std::uint64_t unsent() const { return queued_offset_ - sent_offset_; }
  /// Bytes held in memory: queued but not yet acknowledged.
  [[nodiscard]] std::uint64_t buffered() const { return queued_offset_ - acked_offset_; }
  [[nodiscard]] std::uint64_t acked_offset() const { return acked_offset_; }
  [[nodiscard]] std::uint64_t queued_offset() const { return queued_offset_; }
  /// Bytes of buffer capacity held (queued chunks and spares): the queue's memory footprint.
  [[nodiscard]] std::size_t reserved() const;
  /// Packed chunks allocated fresh (not taken from the spares) since the queue was made.
  [[nodiscard]] std::uint64_t chunks_allocated() const { return chunks_allocated_; }

  /// Appends at most this large are packed into shared chunks.
  static constexpr std::size_t kPackLimit = 4096;
  /// Capacity of a queue's first packed chunk; each new chunk doubles it up to kChunkCapacity,
  /// so a quiet stream (most links carry a few small frames) holds 4 KiB, not 64. A chunk's
  /// capacity is fixed at creation so packed bytes never move.
  static constexpr std::size_t kFirstChunkCapacity = 4 * 1024;
  /// Largest capacity of a packed chunk.
  static constexpr std::size_t kChunkCapacity = 64 * 1024;
  /// Capacity of acknowledged chunks kept for reuse beyond the bytes still queued, so steady
  /// streaming neither allocates nor faults in fresh pages (a page fault costs ~26 us on the
  /// benchmark VM: first-touch memory moves at ~150 MB/s there). A deep queue that keeps
  /// streaming refills its acknowledged chunks instead of allocating new ones; its spares
  /// shrink as it drains, to this much once it is empty. Chunks plus spares never exceed the
  /// queue's own peak (spares are used before anything is allocated).
  static constexpr std::size_t kSpareBytes = 32 * kChunkCapacity;

 private:
  struct Chunk {
    core::Bytes data;
    std::uint64_t start = 0;  // stream offset of data[0]
    bool packed = false;      // capacity reserved up front; may still grow in place
  };
  void start_packed_chunk();

  std::deque<Chunk> chunks_;
  std::vector<core::Bytes> spare_;  // cleared chunks, their capacity kept
  std::size_t spare_bytes_ = 0;     // capacity held in spare_
  std::size_t next_capacity_ = kFirstChunkCapacity;
  std::uint64_t chunks_allocated_ = 0;
  std::uint64_t acked_offset_ = 0;
  std::uint64_t sent_offset_ = 0;
  std::uint64_t queued_offset_ = 0;
};

}  // namespace barrel_p2p::transport
