// The preamble that opens every tagged stream (SPEC §2.8, decision 0019): the opener's first
// bytes name the tag whose acceptor takes the stream. Peer bytes are hostile: the decoder
// never holds more than kMaxStreamPreambleSize bytes and rejects anything not canonical.
//
//   preamble = varint tag_length (1..kMaxStreamTagSize, shortest encoding) | tag bytes
//
// The stream's application bytes follow the preamble directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::wire {

/// Longest tag, in bytes.
inline constexpr std::size_t kMaxStreamTagSize = 255;
/// Longest preamble: a 2-byte varint plus the longest tag.
inline constexpr std::size_t kMaxStreamPreambleSize = 2 + kMaxStreamTagSize;

/// The preamble for `tag`. Precondition: 1 <= tag.size() <= kMaxStreamTagSize.
core::Bytes encode_stream_preamble(std::string_view tag);

/// Reassembles one stream's preamble from pieces, in stream order. Not thread-safe.
class StreamPreambleDecoder {
 public:
  enum class Status : std::uint8_t {
    incomplete,  ///< more bytes needed
    complete,    ///< tag() is set; the rest of the input is application data
    malformed,   ///< zero or over-long tag length, or a non-minimal varint
  };

  /// Takes bytes from `data` up to the end of the preamble. `consumed` is how many bytes of
  /// `data` belong to the preamble (the rest is application data once complete). After
  /// complete or malformed, further calls consume nothing and return the same status.
  Status feed(core::ByteView data, std::size_t& consumed);
  [[nodiscard]] Status status() const { return status_; }
  /// The tag, once complete.
  [[nodiscard]] const std::string& tag() const { return tag_; }

 private:
  Status status_ = Status::incomplete;
  std::uint8_t length_bytes_[2] = {0, 0};
  std::size_t length_have_ = 0;  // bytes of the varint seen
  std::size_t length_need_ = 0;  // bytes of the varint expected (1 or 2), 0 until known
  std::size_t tag_length_ = 0;   // known once the varint is complete
  std::string tag_;              // at most kMaxStreamTagSize bytes
};

/// Decodes a whole preamble at the start of `data`; returns the tag and sets `size` to the
/// preamble's length. Errors: protocol (malformed, or `data` ends before the preamble does).
Result<std::string> decode_stream_preamble(core::ByteView data, std::size_t& size);

}  // namespace barrel_p2p::wire
