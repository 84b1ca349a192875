#include "transport/packet_batcher.hpp"

#include <cstring>

#include "core/assert.hpp"

namespace barrel_p2p::transport {

PacketBatcher::PacketBatcher(DatagramSink& sink, std::span<std::uint8_t> buffer)
    : sink_(sink), buffer_(buffer) {
  BARREL_ASSERT(buffer_.size() >= kMaxBytes);
}

std::uint8_t* PacketBatcher::reserve(std::size_t max_size) {
  BARREL_ASSERT(max_size <= kMaxBytes);
  if (length_ + max_size > kMaxBytes) flush();
  return buffer_.data() + length_;
}

void PacketBatcher::commit(std::size_t size, const core::SocketAddress& to, std::uint8_t ecn,
                           LocalId local) {
  BARREL_ASSERT(size > 0 && length_ + size <= kMaxBytes);
  ++packets_;
  if (count_ > 0 && (size > segment_size_ || ecn != ecn_ || local != local_ || !(to == to_))) {
    // This packet cannot join the batch: send the batch, then move the packet to the front.
    const std::size_t start = length_;
    flush();
    std::memmove(buffer_.data(), buffer_.data() + start, size);
  }
  if (count_ == 0) {
    segment_size_ = size;
    to_ = to;
    ecn_ = ecn;
    local_ = local;
  }
  length_ += size;
  ++count_;
  if (size < segment_size_ || count_ == kMaxSegments) flush();
}

void PacketBatcher::flush() {
  if (count_ == 0) return;
  const core::ByteView data(buffer_.data(), length_);
  const bool sent = local_ == 0 ? sink_.send_datagrams(to_, data, segment_size_, ecn_)
                                : sink_.send_datagrams_from(local_, to_, data, segment_size_, ecn_);
  if (!sent) blocked_ = true;
  length_ = 0;
  count_ = 0;
  segment_size_ = 0;
}

}  // namespace barrel_p2p::transport
