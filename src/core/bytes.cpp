#include "core/bytes.hpp"

namespace barrel_p2p::core {

void ByteReader::fail(const char* reason) {
  if (ok()) error_ = reason;
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
