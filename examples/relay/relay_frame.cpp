#include "relay_frame.hpp"

#include <algorithm>

namespace relay_example {

std::optional<Frame> decode_frame(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kFrameHeaderSize || datagram.size() > kMaxFrameSize) return std::nullopt;
  Frame frame;
  switch (datagram[0]) {
    case static_cast<std::uint8_t>(FrameKind::register_client):
    case static_cast<std::uint8_t>(FrameKind::registered):
    case static_cast<std::uint8_t>(FrameKind::data): frame.kind = FrameKind{datagram[0]}; break;
    default: return std::nullopt;
  }
  for (std::size_t i = 1; i < kFrameHeaderSize; ++i) {
    frame.session = (frame.session << 8U) | datagram[i];
  }
  frame.payload = datagram.subspan(kFrameHeaderSize);
  if (frame.kind != FrameKind::data && !frame.payload.empty()) return std::nullopt;
  return frame;
}

std::size_t encode_frame(FrameKind kind, std::uint64_t session,
                         std::span<const std::uint8_t> payload, std::span<std::uint8_t> out) {
  const std::size_t size = kFrameHeaderSize + payload.size();
  if (payload.size() > kMaxRelayPayload || out.size() < size) return 0;
  out[0] = static_cast<std::uint8_t>(kind);
  for (std::size_t i = 0; i < 8; ++i) {
    out[kFrameHeaderSize - 1 - i] = static_cast<std::uint8_t>(session >> (8U * i));
  }
  std::copy(payload.begin(), payload.end(), out.begin() + kFrameHeaderSize);
  return size;
}

std::vector<std::uint8_t> encode_frame(FrameKind kind, std::uint64_t session,
                                       std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out(kFrameHeaderSize + payload.size());
  if (encode_frame(kind, session, payload, out) == 0) out.clear();
  return out;
}

}  // namespace relay_example
