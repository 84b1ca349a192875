// Bounded byte reader and writer for wire encodings. Peer bytes are hostile: the reader never
// reads past its input, and every variable-length field is read against a caller-given limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/assert.hpp"

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
  // The next `count` (1..8) bytes as a big-endian number; 0 when fewer remain.
  std::uint64_t big_endian(std::size_t count);
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

/// Number of bytes varint(value) writes. Precondition: value < 2^62 (the writer asserts it).
std::size_t varint_size(std::uint64_t value);

// ---- The fixed-size reads and writes, inline: every frame of the hot path runs them. ----------

namespace detail {
inline constexpr std::uint64_t kVarintMax = (std::uint64_t{1} << 62U) - 1;

// The `N` low bytes of `value`, most significant first, appended with one size check.
template <std::size_t N>
void append_big_endian(Bytes& out, std::uint64_t value) {
  const std::size_t at = out.size();
  out.resize(at + N);
  std::uint8_t* bytes = out.data() + at;
  for (std::size_t i = 0; i < N; ++i) {
    bytes[i] = static_cast<std::uint8_t>(value >> (8U * (N - 1 - i)));
  }
}
}  // namespace detail

inline bool ByteReader::need(std::size_t count) {
  if (!ok()) return false;
  if (count > remaining()) {
    error_ = "truncated input";
    return false;
  }
  return true;
}

inline std::uint64_t ByteReader::big_endian(std::size_t count) {
  if (!need(count)) return 0;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < count; ++i) value = (value << 8U) | input_[offset_ + i];
  offset_ += count;
  return value;
}

inline std::uint8_t ByteReader::u8() { return static_cast<std::uint8_t>(big_endian(1)); }
inline std::uint16_t ByteReader::u16() { return static_cast<std::uint16_t>(big_endian(2)); }
inline std::uint32_t ByteReader::u32() { return static_cast<std::uint32_t>(big_endian(4)); }
inline std::uint64_t ByteReader::u64() { return big_endian(8); }

inline std::uint64_t ByteReader::varint() {
  if (!need(1)) return 0;
  const std::size_t length = std::size_t{1} << (input_[offset_] >> 6U);
  const std::uint64_t value = big_endian(length);
  return value & (detail::kVarintMax >> (8U * (8 - length)));  // drop the two length bits
}

inline std::size_t varint_size(std::uint64_t value) {
  BARREL_ASSERT(value <= detail::kVarintMax);
  if (value < 64) return 1;
  if (value < 16384) return 2;
  if (value < 1073741824) return 4;
  return 8;
}

inline void ByteWriter::u8(std::uint8_t value) { out_.push_back(value); }
inline void ByteWriter::u16(std::uint16_t value) { detail::append_big_endian<2>(out_, value); }
inline void ByteWriter::u32(std::uint32_t value) { detail::append_big_endian<4>(out_, value); }
inline void ByteWriter::u64(std::uint64_t value) { detail::append_big_endian<8>(out_, value); }

inline void ByteWriter::varint(std::uint64_t value) {
  switch (varint_size(value)) {
    case 1: return detail::append_big_endian<1>(out_, value);
    case 2: return detail::append_big_endian<2>(out_, value | 0x4000U);
    case 4: return detail::append_big_endian<4>(out_, value | 0x8000'0000U);
    default: return detail::append_big_endian<8>(out_, value | 0xc000'0000'0000'0000U);
  }
}

/// Lower-case hexadecimal of `data`.
std::string to_hex(ByteView data);

}  // namespace barrel_p2p::core
