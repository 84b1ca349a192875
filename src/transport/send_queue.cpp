#include "transport/send_queue.hpp"

#include <algorithm>

#include "core/assert.hpp"

namespace barrel_p2p::transport {

void SendQueue::append(core::Bytes&& data) {
  if (data.empty()) return;
  if (data.size() <= kPackLimit) {
    append_copy(data);
    return;
  }
  Chunk chunk{std::move(data), queued_offset_, false};
  queued_offset_ += chunk.data.size();
  chunks_.push_back(std::move(chunk));
}

void SendQueue::start_packed_chunk() {
  Chunk chunk;
  if (spare_.empty()) {
    chunk.data.reserve(next_capacity_);
    next_capacity_ = std::min(next_capacity_ * 2, kChunkCapacity);
    ++chunks_allocated_;
  } else {
    spare_bytes_ -= spare_.back().capacity();
    chunk.data = std::move(spare_.back());
    spare_.pop_back();
  }
  chunk.start = queued_offset_;
  chunk.packed = true;
  chunks_.push_back(std::move(chunk));
}

void SendQueue::append_copy(core::ByteView data) {
  while (!data.empty()) {
    if (chunks_.empty() || !chunks_.back().packed ||
        chunks_.back().data.size() == chunks_.back().data.capacity()) {
      start_packed_chunk();
    }
    core::Bytes& tail = chunks_.back().data;
    const std::size_t take = std::min(data.size(), tail.capacity() - tail.size());
    // Within the reserved capacity: no reallocation, earlier bytes keep their addresses.
    BARREL_ASSERT(tail.size() + take <= tail.capacity());
    tail.insert(tail.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    queued_offset_ += take;
    data = data.subspan(take);
  }
}

std::size_t SendQueue::unsent_vecs(ngtcp2_vec* out, std::size_t max_vecs) const {
  std::size_t count = 0;
  for (const Chunk& chunk : chunks_) {
    if (count == max_vecs) break;
    const std::uint64_t end = chunk.start + chunk.data.size();
    if (end <= sent_offset_) continue;
    const std::uint64_t skip = sent_offset_ > chunk.start ? sent_offset_ - chunk.start : 0;
    // ngtcp2_vec is non-const by API; ngtcp2 only reads stream data.
    out[count].base = const_cast<std::uint8_t*>(chunk.data.data()) + skip;
    out[count].len = static_cast<std::size_t>(chunk.data.size() - skip);
    ++count;
  }
  return count;
}

void SendQueue::mark_sent(std::size_t count) {
  BARREL_ASSERT(count <= unsent());
  sent_offset_ += count;
}

void SendQueue::acknowledge(std::uint64_t offset, std::uint64_t length) {
  const std::uint64_t end = offset + length;
  if (end <= acked_offset_) return;
  BARREL_ASSERT(end <= sent_offset_, "peer acknowledged bytes we never sent");
  acked_offset_ = end;
  while (!chunks_.empty()) {
    const Chunk& head = chunks_.front();
    const std::uint64_t head_end = head.start + head.data.size();
    // Keep a packed tail that may still receive appends.
    if (head_end > acked_offset_ ||
        (chunks_.size() == 1 && head.packed && head.data.size() < head.data.capacity())) {
      break;
    }
    if (head.packed) {
      spare_bytes_ += head.data.capacity();
      spare_.push_back(std::move(chunks_.front().data));
      spare_.back().clear();
    }
    chunks_.pop_front();
  }
  // Spares: at most kSpareBytes plus as many bytes as are still queued (the appends that
  // follow an acknowledgement reuse them). Spares are taken before any allocation, so chunks
  // plus spares also never exceed the queue's peak.
  while (!spare_.empty() && spare_bytes_ > kSpareBytes + buffered()) {
    spare_bytes_ -= spare_.back().capacity();
    spare_.pop_back();
  }
}

std::size_t SendQueue::reserved() const {
  std::size_t total = 0;
  for (const Chunk& chunk : chunks_) total += chunk.data.capacity();
  for (const core::Bytes& spare : spare_) total += spare.capacity();
  return total;
}

}  // namespace barrel_p2p::transport
