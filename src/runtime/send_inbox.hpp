// Messages that API threads queue for the loop thread, for one channel: payloads are copied
// into fixed-size chunks (a large message gets a chunk of its own), so queuing never moves
// what is already queued and, in the steady state, allocates nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace barrel_p2p::runtime {

/// FIFO of (peer, payload). Not thread-safe: the node guards it with its inbox mutex.
/// Bounded by the caller, which checks bytes() against its send buffer limit before push().
class SendInbox {
 public:
  /// Bytes per chunk; a larger message gets a chunk of exactly its size.
  static constexpr std::size_t kChunkSize = 64 * 1024;
  /// Empty chunks kept for reuse after clear() (more are freed).
  static constexpr std::size_t kSpareChunks = 4;

  /// Appends a copy of `header` followed by `payload` (one message, e.g. a whole link frame)
  /// addressed to `peer`.
  void push(std::string_view peer, core::ByteView header, core::ByteView payload);
  /// Visits queued messages in order: `send(peer, bytes, whole)`, where `whole` is null or,
  /// for a message larger than kChunkSize, its chunk, which `send` may move from (the bytes
  /// need not be copied again). `send` returns false to stop (the message stays queued, and
  /// so does every later one; it must not have moved from `whole` then). Returns the bytes
  /// consumed.
  template <typename Send>
  std::size_t drain(Send&& send);
  void swap(SendInbox& other) noexcept;
  void clear();

  /// Bytes queued and not yet consumed.
  [[nodiscard]] std::size_t bytes() const { return payload_bytes_; }
  [[nodiscard]] bool empty() const { return next_ == entries_.size(); }

 private:
  struct Entry {
    std::uint32_t peer;    // index into peers_
    std::uint32_t chunk;   // index into chunks_
    std::uint32_t offset;  // in the chunk
    std::uint32_t size;    // payload bytes
  };
  std::vector<std::string> peers_;  // distinct names in this batch (a handful)
  std::vector<Entry> entries_;
  std::vector<core::Bytes> chunks_;
  std::vector<core::Bytes> spare_;  // at most kSpareChunks, capacity kChunkSize
  std::size_t next_ = 0;            // first unconsumed entry
  std::size_t payload_bytes_ = 0;
};

template <typename Send>
std::size_t SendInbox::drain(Send&& send) {
  std::size_t consumed = 0;
  while (next_ < entries_.size()) {
    const Entry& entry = entries_[next_];
    core::Bytes& chunk = chunks_[entry.chunk];
    const core::ByteView bytes(chunk.data() + entry.offset, entry.size);
    core::Bytes* whole = entry.size > kChunkSize && entry.size == chunk.size() ? &chunk : nullptr;
    if (!send(std::string_view(peers_[entry.peer]), bytes, whole)) break;
    consumed += entry.size;
    ++next_;
  }
  payload_bytes_ -= consumed;
  if (empty()) clear();
  return consumed;
}

}  // namespace barrel_p2p::runtime
