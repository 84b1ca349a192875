#include "core/bytes.hpp"

#include "core/assert.hpp"

namespace barrel_p2p::core {

namespace {
constexpr std::uint64_t kVarintMax = (std::uint64_t{1} << 62U) - 1;
}

bool ByteReader::need(std::size_t count) {
  if (!ok()) return false;
  if (count > remaining()) {
    error_ = "truncated input";
    return false;
  }
  return true;
}

void ByteReader::fail(const char* reason) {
  if (ok()) error_ = reason;
}

std::uint8_t ByteReader::u8() {
  if (!need(1)) return 0;
  return input_[offset_++];
}

std::uint16_t ByteReader::u16() {
  if (!need(2)) return 0;
  auto value = static_cast<std::uint16_t>((input_[offset_] << 8U) | input_[offset_ + 1]);
  offset_ += 2;
  return value;
}

std::uint32_t ByteReader::u32() {
  if (!need(4)) return 0;
  std::uint32_t high = u16();
  std::uint32_t low = u16();
  return (high << 16U) | low;
}

std::uint64_t ByteReader::u64() {
  if (!need(8)) return 0;
  std::uint64_t high = u32();
  std::uint64_t low = u32();
  return (high << 32U) | low;
}

std::uint64_t ByteReader::varint() {
  if (!need(1)) return 0;
  const std::size_t length = std::size_t{1} << (input_[offset_] >> 6U);
  if (!need(length)) return 0;
  std::uint64_t value = input_[offset_] & 0x3fU;
  for (std::size_t i = 1; i < length; ++i) value = (value << 8U) | input_[offset_ + i];
  offset_ += length;
  return value;
}

ByteView ByteReader::bytes(std::size_t count) {
  if (!need(count)) return {};
  ByteView view = input_.subspan(offset_, count);
  offset_ += count;
  return view;
}

ByteView ByteReader::length_prefixed(std::size_t max_size) {
  const std::uint64_t length = varint();
  if (!ok()) return {};
  if (length > max_size) {
    fail("field longer than its limit");
    return {};
  }
  return bytes(static_cast<std::size_t>(length));
}

std::string ByteReader::string(std::size_t max_size) {
  ByteView view = length_prefixed(max_size);
  return {reinterpret_cast<const char*>(view.data()), view.size()};
}

void ByteWriter::u8(std::uint8_t value) { out_.push_back(value); }

void ByteWriter::u16(std::uint16_t value) {
  out_.push_back(static_cast<std::uint8_t>(value >> 8U));
  out_.push_back(static_cast<std::uint8_t>(value));
}

void ByteWriter::u32(std::uint32_t value) {
  u16(static_cast<std::uint16_t>(value >> 16U));
  u16(static_cast<std::uint16_t>(value));
}

void ByteWriter::u64(std::uint64_t value) {
  u32(static_cast<std::uint32_t>(value >> 32U));
  u32(static_cast<std::uint32_t>(value));
}

std::size_t varint_size(std::uint64_t value) {
  BARREL_ASSERT(value <= kVarintMax);
  if (value < 64) return 1;
  if (value < 16384) return 2;
  if (value < 1073741824) return 4;
  return 8;
}

void ByteWriter::varint(std::uint64_t value) {
  const std::size_t length = varint_size(value);
  const std::uint8_t prefix = length == 1 ? 0x00 : length == 2 ? 0x40 : length == 4 ? 0x80 : 0xc0;
  for (std::size_t i = 0; i < length; ++i) {
    auto byte = static_cast<std::uint8_t>(value >> (8U * (length - 1 - i)));
    out_.push_back(i == 0 ? static_cast<std::uint8_t>(byte | prefix) : byte);
  }
}

void ByteWriter::bytes(ByteView data) { out_.insert(out_.end(), data.begin(), data.end()); }

void ByteWriter::length_prefixed(ByteView data) {
  varint(data.size());
  bytes(data);
}

void ByteWriter::string(std::string_view text) { length_prefixed(as_bytes(text)); }

std::string to_hex(ByteView data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t byte : data) {
    out.push_back(kDigits[byte >> 4U]);
    out.push_back(kDigits[byte & 0x0fU]);
  }
  return out;
}

}  // namespace barrel_p2p::core
