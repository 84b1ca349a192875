// Rotation record: a node's old key names its new key (decision 0023, SPEC §2.1 "rotation").
//   record = version u8 | lp(cluster) | lp(node) | old_key[32] | new_key[32]
//          | sequence u64 | created_unix_ms u64 | old_signature[64] | new_signature[64]
// lp() is a canonical-varint length prefix; integers are big-endian. The body is every field
// before the signatures (rotation_record_body()); what each key signs over it is in
// proto/auth/rotation.hpp. This codec checks the shape only, never the signatures. A record
// has exactly one valid encoding. Peer bytes are hostile: every limit below is checked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::wire {

/// The only rotation record version; another version fails decoding.
inline constexpr std::uint8_t kRotationRecordVersion = 1;
/// Largest encoded record (the largest valid one is 341 bytes). Longer input fails decoding,
/// and a HELLO's record field is bounded by it.
inline constexpr std::size_t kMaxRotationRecordSize = 512;

/// "The node `node_name` of `cluster_name` replaced `old_key` by `new_key`", signed by both.
struct RotationRecord {
  std::uint8_t version = kRotationRecordVersion;
  std::string cluster_name;                      ///< is_valid_name().
  std::string node_name;                         ///< is_valid_name().
  std::array<std::uint8_t, 32> old_key{};        ///< Ed25519 public key being replaced.
  std::array<std::uint8_t, 32> new_key{};        ///< Ed25519 public key replacing it.
  std::uint64_t sequence = 0;                    ///< 1 for a node's first rotation, then +1.
  std::uint64_t created_unix_ms = 0;             ///< Wall time of the rotation (for people).
  std::array<std::uint8_t, 64> old_signature{};  ///< By old_key (proto/auth/rotation.hpp).
  std::array<std::uint8_t, 64> new_signature{};  ///< By new_key (proto/auth/rotation.hpp).
  bool operator==(const RotationRecord&) const = default;
};

/// The signed body: the encoding of every field before the signatures.
/// Precondition (our bug otherwise): both names are valid.
core::Bytes rotation_record_body(const RotationRecord& record);

/// Encodes `record` (body, then both signatures). Precondition: both names are valid.
core::Bytes encode(const RotationRecord& record);

/// Decodes one record that fills `bytes` exactly.
/// Errors: Errc::protocol naming the reason: larger than kMaxRotationRecordSize, truncated,
/// unknown version, invalid name, non-minimal varint, trailing bytes.
[[nodiscard]] Result<RotationRecord> decode_rotation_record(core::ByteView bytes);

}  // namespace barrel_p2p::wire
