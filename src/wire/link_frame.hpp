// Link frames: the framing on every QUIC stream of an authenticated peer link.
//   frame = varint type | varint payload_length | payload
// Both varints are QUIC varints (RFC 9000 §16) in their minimal encoding. Peer bytes are
// hostile: unknown types, non-minimal varints and payloads over the configured limit are
// protocol errors that close the connection; nothing is allocated on a peer's say-so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::wire {

/// What a link frame carries. Wire-visible: values never change. Any other value is a decode
/// error.
enum class FrameType : std::uint8_t {
  auth = 1,        ///< An auth message (wire/auth_message.hpp), control stream only.
  control = 2,     ///< An application control message, control stream only.
  data = 3,        ///< An application data message, data stream only.
  goodbye = 4,     ///< The sender closes the link; payload is a UTF-8 reason.
  process = 5,     ///< A process message (wire/process_message.hpp), data stream only.
  membership = 6,  ///< A membership (HyParView) message, control stream only.
  broadcast = 7,   ///< A broadcast (Plumtree) message, control stream only.
  registry = 8,    ///< A registry message (digest, state, route request or reply), control only.
  views = 9,       ///< A views request or reply (wire/views_message.hpp), control stream only.
  path = 10,       ///< A path message (wire/path_message.hpp), control stream only.
};

/// True for frame types that travel on the control stream (auth, control, membership,
/// broadcast, registry, views, path); goodbye may travel on either.
constexpr bool is_control_stream_frame(FrameType type) {
  return type == FrameType::auth || type == FrameType::control || type == FrameType::membership ||
         type == FrameType::broadcast || type == FrameType::registry || type == FrameType::views ||
         type == FrameType::path;
}

/// Lower-case name of a frame type ("auth", "control", ...), for logs.
std::string_view frame_type_name(FrameType type);

/// Largest encoded frame header: two 8-byte varints. A decoder never holds more than this plus
/// its max_payload for an incomplete frame.
inline constexpr std::size_t kMaxFrameHeaderSize = 16;

/// One decoded frame.
struct Frame {
  FrameType type = FrameType::control;
  core::Bytes payload;

  bool operator==(const Frame&) const = default;
};

/// Appends the header of a frame with `payload_length` payload bytes to `out`; the caller
/// appends the payload. Precondition: payload_length < 2^62.
void encode_frame_header(core::Bytes& out, FrameType type, std::size_t payload_length);

/// Appends a whole frame (header and payload) to `out`.
void encode_frame(core::Bytes& out, FrameType type, core::ByteView payload);

/// Decodes `whole` as exactly one frame.
/// Errors: Errc::protocol when the frame is truncated, has trailing bytes, an unknown type, a
/// non-minimal varint or a payload longer than `max_payload`.
[[nodiscard]] Result<Frame> decode_frame(core::ByteView whole, std::size_t max_payload);

/// Splits one stream's bytes into frames, incrementally: push() bytes as they arrive, then
/// next() until it returns nothing. Headers are validated as soon as their bytes arrive, so a
/// bad header fails the decoder at once, even behind undrained frames.
///
/// Bound: an incomplete frame occupies at most kMaxFrameHeaderSize + max_payload bytes; complete
/// frames stay buffered only until next() pops them (a caller that pushes without draining owns
/// that growth; see buffered()). Consumed bytes are reclaimed by occasional compaction, so a
/// stream of many small frames costs O(total bytes).
///
/// Once failed, a decoder stays failed: push() returns the first error again and next()
/// returns nothing. Not thread-safe.
class FrameDecoder {
 public:
  /// `max_payload` is the configured largest payload (precondition: < 2^62); a longer one is a
  /// protocol error.
  explicit FrameDecoder(std::size_t max_payload);

  /// Appends stream bytes and validates every frame header they complete.
  /// Errors: Errc::protocol naming the reason (unknown frame type, payload over the limit,
  /// non-minimal varint); the decoder is then failed.
  Result<void> push(core::ByteView chunk);

  /// Pops the next complete frame, or nothing when no complete frame is buffered or the decoder
  /// has failed.
  std::optional<Frame> next();

  /// Bytes held: undrained complete frames plus the incomplete tail.
  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - read_; }
  /// True after a protocol error.
  [[nodiscard]] bool has_failed() const { return error_.has_value(); }
  /// The first protocol error. Precondition: has_failed().
  [[nodiscard]] const Error& error() const;
  /// The configured payload limit.
  [[nodiscard]] std::size_t max_payload() const { return max_payload_; }

 private:
  Result<void> scan_headers();
  void compact();

  std::size_t max_payload_;
  core::Bytes buffer_;
  std::size_t read_ = 0;  // start of the next frame to pop
  // Start of the first frame whose header is not yet validated; beyond buffer_.size() while
  // the last frame's payload is incomplete. Every frame before it has a valid header.
  std::size_t scan_ = 0;
  std::optional<Error> error_;
};

}  // namespace barrel_p2p::wire
