// A hybrid logical clock timestamp (Kulkarni, Demirbas et al., "Logical Physical Clocks and
// Consistent Snapshots in Globally Distributed Databases", OPODIS 2014; SPEC §2.10) and its
// fixed 12-byte wire form:
//
//   timestamp = u64 wall_ms (big-endian) | u32 logical (big-endian)
//
// Every 12-byte string is a valid timestamp, so the encoding is canonical:
// decode(b) succeeds ⇒ encode(decode(b)) == b.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::hlc {

/// Size of an encoded Timestamp: 8 bytes of wall milliseconds, 4 bytes of logical counter.
inline constexpr std::size_t kEncodedSize = 12;

/// A point of hybrid logical time: the largest wall-clock millisecond seen (`wall_ms`, Unix
/// epoch) and a counter that orders events within that millisecond. Ordered lexicographically
/// (wall_ms first). The zero timestamp {0, 0} precedes every stamp a HybridClock issues and
/// stands for "none".
struct Timestamp {
  std::uint64_t wall_ms = 0;
  std::uint32_t logical = 0;

  /// True for {0, 0} ("no timestamp").
  [[nodiscard]] constexpr bool is_zero() const { return wall_ms == 0 && logical == 0; }
  // clang-tidy 14 reports a literal 0 inside every defaulted <=> (a false positive).
  constexpr auto operator<=>(const Timestamp&) const = default;  // NOLINT(modernize-use-nullptr)
};

/// Three-way comparison: wall_ms first, then logical. Same as operator<=>, named for callers
/// that compare stamps explicitly (SPEC §2.10 "compare").
[[nodiscard]] constexpr std::strong_ordering compare(const Timestamp& a, const Timestamp& b) {
  return a <=> b;
}

/// The 12-byte big-endian encoding of `stamp`.
[[nodiscard]] std::array<std::uint8_t, kEncodedSize> encode(const Timestamp& stamp);

/// Appends the 12-byte encoding of `stamp` to `writer`.
void write_timestamp(core::ByteWriter& writer, const Timestamp& stamp);

/// Reads 12 bytes as a Timestamp; fails `reader` (sticky) when fewer remain.
Timestamp read_timestamp(core::ByteReader& reader);

/// Decodes exactly 12 bytes. Errors: protocol, "hlc timestamp: expected 12 bytes, got N" for
/// any other size. Every 12-byte input is accepted.
[[nodiscard]] Result<Timestamp> decode(core::ByteView bytes);

}  // namespace barrel_p2p::hlc
