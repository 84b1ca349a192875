// Canonical (minimal-length) QUIC varints for wire decoders. A value has exactly one accepted
// encoding, so decode(bytes) re-encodes to the same bytes and the fuzzers can check round trips.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace barrel_p2p::wire {

/// Reads a QUIC varint and fails `reader` ("non-minimal varint") when it was not encoded in the
/// fewest bytes. Returns 0 once the reader has failed (its errors are sticky).
std::uint64_t read_canonical_varint(core::ByteReader& reader);

/// Reads a canonical varint length followed by that many bytes as a string; fails `reader`
/// ("field longer than its limit") when the length exceeds `max_size`. Never allocates more than
/// `max_size` bytes.
std::string read_canonical_string(core::ByteReader& reader, std::size_t max_size);

/// Reads exactly N raw bytes (a key, nonce or signature) into `out`; leaves `out` unchanged
/// once the reader has failed.
template <std::size_t N>
void read_array(core::ByteReader& reader, std::array<std::uint8_t, N>& out) {
  const core::ByteView view = reader.bytes(N);
  if (reader.ok()) std::copy(view.begin(), view.end(), out.begin());
}

}  // namespace barrel_p2p::wire
