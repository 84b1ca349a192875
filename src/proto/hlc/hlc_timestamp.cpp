#include "proto/hlc/hlc_timestamp.hpp"

#include <string>

namespace barrel_p2p::hlc {

std::array<std::uint8_t, kEncodedSize> encode(const Timestamp& stamp) {
  std::array<std::uint8_t, kEncodedSize> out{};
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<std::uint8_t>(stamp.wall_ms >> (56U - 8U * i));
  }
  for (std::size_t i = 0; i < 4; ++i) {
    out[8 + i] = static_cast<std::uint8_t>(stamp.logical >> (24U - 8U * i));
  }
  return out;
}

void write_timestamp(core::ByteWriter& writer, const Timestamp& stamp) {
  writer.u64(stamp.wall_ms);
  writer.u32(stamp.logical);
}

Timestamp read_timestamp(core::ByteReader& reader) {
  Timestamp stamp;
  stamp.wall_ms = reader.u64();
  stamp.logical = reader.u32();
  return stamp;
}

Result<Timestamp> decode(core::ByteView bytes) {
  if (bytes.size() != kEncodedSize) {
    return fail(Errc::protocol,
                "hlc timestamp: expected 12 bytes, got " + std::to_string(bytes.size()));
  }
  core::ByteReader reader(bytes);
  return read_timestamp(reader);
}

}  // namespace barrel_p2p::hlc
