// Bounded byte reader and writer for wire encodings. Peer bytes are hostile: the reader never
// reads past its input, and every variable-length field is read against a caller-given limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace barrel_p2p::core {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Views a string's characters as bytes (no copy; `text` must outlive the view).
inline ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// Reads big-endian integers, QUIC varints and length-prefixed fields from a byte view.
/// Errors are sticky: after the first failure every read returns zero/empty and ok() is false,
/// so a decoder can read all fields and check once. The view must outlive the reader.
class ByteReader {
 public:
  explicit ByteReader(ByteView input) : input_(input) {}

  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  /// QUIC variable-length integer (RFC 9000 §16), 1..8 bytes.
  std::uint64_t varint();
  /// Exactly `count` bytes, as a view into the input.
  ByteView bytes(std::size_t count);
  /// A varint length followed by that many bytes; fails when the length exceeds `max_size`.
  ByteView length_prefixed(std::size_t max_size);
  /// length_prefixed() as a string.
  std::string string(std::size_t max_size);

  /// Fails the reader with `reason` (for semantic checks in decoders).
  void fail(const char* reason);
  [[nodiscard]] bool ok() const { return error_ == nullptr; }
  /// Why the first read failed, or nullptr.
  [[nodiscard]] const char* error() const { return error_; }
  [[nodiscard]] std::size_t remaining() const { return input_.size() - offset_; }
  [[nodiscard]] std::size_t offset() const { return offset_; }
  /// True when ok() and every byte was consumed.
  [[nodiscard]] bool finished() const { return ok() && remaining() == 0; }

 private:
  bool need(std::size_t count);
  ByteView input_;
  std::size_t offset_ = 0;
  const char* error_ = nullptr;
};

/// Appends big-endian integers, varints and length-prefixed fields to a byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  void u8(std::uint8_t value);
  void u16(std::uint16_t value);
  void u32(std::uint32_t value);
  void u64(std::uint64_t value);
  /// Precondition: value < 2^62.
  void varint(std::uint64_t value);
  void bytes(ByteView data);
  void length_prefixed(ByteView data);
  void string(std::string_view text);

 private:
  Bytes& out_;  // Owned by the caller; outlives the writer.
};

/// Number of bytes varint(value) writes. Precondition: value < 2^62.
std::size_t varint_size(std::uint64_t value);

/// Lower-case hexadecimal of `data`.
std::string to_hex(ByteView data);

}  // namespace barrel_p2p::core
