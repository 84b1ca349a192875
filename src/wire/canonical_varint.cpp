#include "wire/canonical_varint.hpp"

namespace barrel_p2p::wire {

std::uint64_t read_canonical_varint(core::ByteReader& reader) {
  const std::size_t before = reader.offset();
  const std::uint64_t value = reader.varint();
  if (!reader.ok()) return 0;
  if (reader.offset() - before != core::varint_size(value)) {
    reader.fail("non-minimal varint");
    return 0;
  }
  return value;
}

std::string read_canonical_string(core::ByteReader& reader, std::size_t max_size) {
  const std::uint64_t length = read_canonical_varint(reader);
  if (!reader.ok()) return {};
  if (length > max_size) {
    reader.fail("field longer than its limit");
    return {};
  }
  core::ByteView view = reader.bytes(static_cast<std::size_t>(length));
  return {reinterpret_cast<const char*>(view.data()), view.size()};
}

}  // namespace barrel_p2p::wire
