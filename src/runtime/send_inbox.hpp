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
  /// Payload bytes per chunk; a larger payload gets a chunk of exactly its size.
  static constexpr std::size_t kChunkSize = 64 * 1024;
  /// Empty chunks kept for reuse after clear() (more are freed).
  static constexpr std::size_t kSpareChunks = 4;

  /// Appends a copy of `payload` addressed to `peer`.
  void push(std::string_view peer, core::ByteView payload);
  /// Visits queued messages in order; `send(peer, payload)` returns false to stop (the
  /// message stays queued, and so does every later one). Returns the payload bytes consumed.
  template <typename Send>
  std::size_t drain(Send&& send);
  void swap(SendInbox& other) noexcept;
  void clear();

  /// Payload bytes queued and not yet consumed.
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
    const core::ByteView payload(chunks_[entry.chunk].data() + entry.offset, entry.size);
    if (!send(std::string_view(peers_[entry.peer]), payload)) break;
    consumed += entry.size;
    ++next_;
  }
  payload_bytes_ -= consumed;
  if (empty()) clear();
  return consumed;
}

}  // namespace barrel_p2p::runtime
