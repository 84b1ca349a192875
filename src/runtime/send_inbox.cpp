#include "runtime/send_inbox.hpp"

#include "core/assert.hpp"

namespace barrel_p2p::runtime {

void SendInbox::push(std::string_view peer, core::ByteView payload) {
  BARREL_ASSERT(payload.size() <= UINT32_MAX);
  std::uint32_t index = 0;
  while (index < peers_.size() && peers_[index] != peer) ++index;
  if (index == peers_.size()) peers_.emplace_back(peer);
  entries_.push_back(Entry{index, static_cast<std::uint32_t>(payload.size())});
  data_.insert(data_.end(), payload.begin(), payload.end());
  payload_bytes_ += payload.size();
}

void SendInbox::append(const SendInbox& later) {
  std::size_t offset = later.offset_;
  for (std::size_t i = later.next_; i < later.entries_.size(); ++i) {
    const Entry& entry = later.entries_[i];
    push(later.peers_[entry.peer], core::ByteView(later.data_.data() + offset, entry.size));
    offset += entry.size;
  }
}

void SendInbox::swap(SendInbox& other) noexcept {
  peers_.swap(other.peers_);
  entries_.swap(other.entries_);
  data_.swap(other.data_);
  std::swap(next_, other.next_);
  std::swap(offset_, other.offset_);
  std::swap(payload_bytes_, other.payload_bytes_);
}

void SendInbox::clear() {
  // Keeps the capacity: the steady state reuses the same buffers.
  peers_.clear();
  entries_.clear();
  data_.clear();
  next_ = 0;
  offset_ = 0;
  payload_bytes_ = 0;
}

}  // namespace barrel_p2p::runtime
