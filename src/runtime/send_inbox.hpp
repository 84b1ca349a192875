// Messages that API threads queue for the loop thread, for one channel: one contiguous byte
// buffer and a small index, so queuing a message costs no allocation in the steady state.
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
  /// Appends a copy of `payload` addressed to `peer`.
  void push(std::string_view peer, core::ByteView payload);
  /// Visits queued messages in order; `send(peer, payload)` returns false to stop (the
  /// message stays queued). Returns the payload bytes of the messages consumed.
  template <typename Send>
  std::size_t drain(Send&& send);
  /// Appends the unconsumed messages of `later` after ours (used to restore order when a
  /// drained batch could not be sent completely).
  void append(const SendInbox& later);
  void swap(SendInbox& other) noexcept;
  void clear();

  /// Payload bytes queued and not yet consumed.
  [[nodiscard]] std::size_t bytes() const { return payload_bytes_; }
  [[nodiscard]] bool empty() const { return next_ == entries_.size(); }

 private:
  struct Entry {
    std::uint32_t peer;  // index into peers_
    std::uint32_t size;  // payload bytes
  };
  std::vector<std::string> peers_;  // distinct names in this batch (a handful)
  std::vector<Entry> entries_;
  core::Bytes data_;
  std::size_t next_ = 0;    // first unconsumed entry
  std::size_t offset_ = 0;  // its offset in data_
  std::size_t payload_bytes_ = 0;
};

template <typename Send>
std::size_t SendInbox::drain(Send&& send) {
  std::size_t consumed = 0;
  while (next_ < entries_.size()) {
    const Entry& entry = entries_[next_];
    const core::ByteView payload(data_.data() + offset_, entry.size);
    if (!send(std::string_view(peers_[entry.peer]), payload)) break;
    consumed += entry.size;
    offset_ += entry.size;
    ++next_;
  }
  payload_bytes_ -= consumed;
  if (empty()) clear();
  return consumed;
}

}  // namespace barrel_p2p::runtime
