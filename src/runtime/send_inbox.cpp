#include "runtime/send_inbox.hpp"

#include "core/assert.hpp"

namespace barrel_p2p::runtime {

void SendInbox::push(std::string_view peer, core::ByteView header, core::ByteView payload) {
  const std::size_t size = header.size() + payload.size();
  BARREL_ASSERT(size <= UINT32_MAX);
  std::uint32_t index = 0;
  while (index < peers_.size() && peers_[index] != peer) ++index;
  if (index == peers_.size()) peers_.emplace_back(peer);
  // A large message keeps its chunk to itself, so the chunk can be handed over whole.
  if (chunks_.empty() || chunks_.back().size() > kChunkSize ||
      chunks_.back().capacity() - chunks_.back().size() < size) {
    if (size <= kChunkSize && !spare_.empty()) {
      chunks_.push_back(std::move(spare_.back()));
      spare_.pop_back();
    } else {
      chunks_.emplace_back();
      chunks_.back().reserve(std::max(kChunkSize, size));
    }
  }
  core::Bytes& chunk = chunks_.back();
  entries_.push_back(Entry{index, static_cast<std::uint32_t>(chunks_.size() - 1),
                           static_cast<std::uint32_t>(chunk.size()),
                           static_cast<std::uint32_t>(size)});
  chunk.insert(chunk.end(), header.begin(), header.end());
  chunk.insert(chunk.end(), payload.begin(), payload.end());
  payload_bytes_ += size;
}

void SendInbox::swap(SendInbox& other) noexcept {
  peers_.swap(other.peers_);
  entries_.swap(other.entries_);
  chunks_.swap(other.chunks_);
  spare_.swap(other.spare_);
  std::swap(next_, other.next_);
  std::swap(payload_bytes_, other.payload_bytes_);
}

void SendInbox::clear() {
  // Keeps a few chunks: the steady state reuses the same buffers; a burst's are freed.
  for (auto& chunk : chunks_) {
    if (spare_.size() < kSpareChunks && chunk.capacity() == kChunkSize) {
      chunk.clear();
      spare_.push_back(std::move(chunk));
    }
  }
  chunks_.clear();
  peers_.clear();
  entries_.clear();
  next_ = 0;
  payload_bytes_ = 0;
}

}  // namespace barrel_p2p::runtime
