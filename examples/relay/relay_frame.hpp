// The example relay's framing (examples/relay, docs/how-to/relay-a-connection.md): every UDP
// datagram between a relay client and the relay is one frame,
//
//   kind (1 byte) | session (8 bytes, big-endian) | payload (0 to kMaxRelayPayload bytes)
//
// kind 1 REGISTER (client to relay, empty payload): join session `session`; 2 REGISTERED
// (relay to client, empty payload): the client holds a place in it; 3 DATA: one datagram for
// the session's other client. The relay reads frames from anyone, so the decoder is bounded
// and checks every field (fuzz/fuzz_relay_frame.cpp). Standard C++ only: the fuzz build links
// it without the library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace relay_example {

enum class FrameKind : std::uint8_t { register_client = 1, registered = 2, data = 3 };

inline constexpr std::size_t kFrameHeaderSize = 9;
/// The largest datagram a DATA frame carries: barrel_p2p::kMaxRelayDatagramSize.
inline constexpr std::size_t kMaxRelayPayload = 1452;
inline constexpr std::size_t kMaxFrameSize = kFrameHeaderSize + kMaxRelayPayload;

/// A decoded frame; `payload` views the decoded bytes.
struct Frame {
  FrameKind kind = FrameKind::data;
  std::uint64_t session = 0;
  std::span<const std::uint8_t> payload;
};

/// Decodes one frame. Nothing when the datagram is shorter than the header or longer than
/// kMaxFrameSize, the kind is unknown, or a REGISTER/REGISTERED frame carries a payload.
std::optional<Frame> decode_frame(std::span<const std::uint8_t> datagram);

/// Writes the frame into `out` (at least kFrameHeaderSize + payload.size() bytes) and returns
/// its size, or 0 when the payload is over kMaxRelayPayload or `out` is too small.
std::size_t encode_frame(FrameKind kind, std::uint64_t session,
                         std::span<const std::uint8_t> payload, std::span<std::uint8_t> out);

/// As encode_frame, into a new buffer (empty on error).
std::vector<std::uint8_t> encode_frame(FrameKind kind, std::uint64_t session,
                                       std::span<const std::uint8_t> payload = {});

}  // namespace relay_example
