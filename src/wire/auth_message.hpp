// Auth messages: the payloads of auth frames during mutual authentication (SPEC §2.1).
//   message = u8 message_type | fields
// Strings are canonical-varint length-prefixed; keys, nonces and signatures are raw fixed-size
// bytes; integers are big-endian. A message has exactly one valid encoding: decode(bytes)
// re-encodes to the same bytes. Peer bytes are hostile: every limit below is checked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "wire/rotation_record.hpp"

namespace barrel_p2p::wire {

/// Longest cluster or node name. Longer names fail decoding (and is_valid_name()).
inline constexpr std::size_t kMaxNameSize = 64;
/// The HELLO flag byte's takeover bit.
inline constexpr std::uint8_t kHelloTakeover = 0x01;
/// The HELLO flag byte's bit saying a rotation record follows (decision 0023).
inline constexpr std::uint8_t kHelloRotation = 0x02;
/// Longest REJECT detail. A longer detail fails decoding; senders truncate to it.
inline constexpr std::size_t kMaxRejectDetailSize = 256;
/// The only auth protocol version; a HELLO with another version is rejected (version_mismatch).
inline constexpr std::uint8_t kAuthProtocolVersion = 1;

/// Why an authentication failed. Wire-visible in REJECT: values never change; an unknown value
/// fails decoding.
enum class AuthFailure : std::uint8_t {
  cluster_mismatch = 1,         ///< The peer's cluster name differs from ours.
  cluster_secret_mismatch = 2,  ///< The cluster MAC does not verify (different secrets).
  version_mismatch = 3,         ///< The peer speaks another auth protocol version.
  unknown_key = 4,              ///< Strict trust mode and no pin exists for the peer's name.
  key_mismatch = 5,             ///< A pin exists for the peer's name with a different key.
  bad_signature = 6,            ///< The RESPONSE signature does not verify (or a relay).
  timestamp_skew = 7,           ///< The CHALLENGE timestamp is outside the skew window.
  budget_exceeded = 8,          ///< The handshake did not finish within its budget.
  protocol_violation = 9,       ///< Malformed, out-of-order or premature message.
  duplicate_name_self = 10,     ///< The peer claims our own node name.
  rejected_by_peer = 11,        ///< The peer sent REJECT.
  contact_mismatch = 12,        ///< We dialed a contact string; the peer's name or key is not its.
  rotation_refused = 13,        ///< A rotation record for the pinned key is forged (decision 0023).
};

/// snake_case name of a failure reason ("bad_signature"), for logs, metrics and errors.
std::string_view auth_failure_name(AuthFailure reason);

/// True when `name` is a valid cluster or node name: 1..64 bytes of [A-Za-z0-9._-], and not
/// "." or "..". Node names become file names (keys/trusted/<node>.pub): this check is a
/// security boundary against path traversal.
bool is_valid_name(std::string_view name);

/// Reads a canonical length-prefixed cluster or node name for a decoder; fails `reader`
/// ("invalid name", or the length errors of read_canonical_string()) unless is_valid_name().
std::string read_name(core::ByteReader& reader);

/// Opens the handshake: who we are and the key we will sign with.
///   hello = version u8 | lp(cluster) | lp(node) | key[32] [| flags u8 [| lp(rotation record)]]
/// The flags byte is present only when a flag is set (so a HELLO without flags keeps its
/// first encoding); its flags are kHelloTakeover and kHelloRotation, any other bit fails
/// decoding. The record (at most kMaxRotationRecordSize bytes) follows only with
/// kHelloRotation; its shape is checked here, its signatures by the auth session.
struct Hello {
  std::uint8_t protocol_version = kAuthProtocolVersion;
  std::string cluster_name;                   ///< is_valid_name().
  std::string node_name;                      ///< is_valid_name().
  std::array<std::uint8_t, 32> public_key{};  ///< Ed25519 public key.
  /// This connection takes over the sender's existing link with the receiver (the accepting
  /// side's migration, decision 0020). Only a client sets it.
  bool takeover = false;
  /// The sender's latest key rotation, proving `public_key` with the key it replaced
  /// (decision 0023).
  std::optional<RotationRecord> rotation;
  bool operator==(const Hello&) const = default;
};

/// Asks the peer to prove possession of its key.
struct Challenge {
  std::array<std::uint8_t, 32> nonce{};  ///< Fresh random bytes.
  std::uint64_t timestamp_unix_ms = 0;   ///< The challenger's wall clock.
  bool operator==(const Challenge&) const = default;
};

/// Proof of key possession (and of the cluster secret) over the challenge transcript.
struct Response {
  std::array<std::uint8_t, 64> signature{};    ///< Ed25519 signature over the transcript.
  std::array<std::uint8_t, 32> cluster_mac{};  ///< Keyed BLAKE2b-256, or zeros without secret.
  bool operator==(const Response&) const = default;
};

/// The sender verified our RESPONSE.
struct Ok {
  bool operator==(const Ok&) const = default;
};

/// The sender rejects us; it closes the connection next.
struct Reject {
  AuthFailure reason = AuthFailure::protocol_violation;
  std::string detail;  ///< <= kMaxRejectDetailSize bytes, no control characters.
  bool operator==(const Reject&) const = default;
};

/// Any auth message.
using AuthMessage = std::variant<Hello, Challenge, Response, Ok, Reject>;

/// Encodes `message`. Precondition (our bug otherwise): every name is valid, the detail fits
/// kMaxRejectDetailSize and has no control characters.
core::Bytes encode(const AuthMessage& message);

/// Decodes one auth message that fills `payload` exactly.
/// Errors: Errc::protocol naming the reason: truncated, unknown message type, invalid name,
/// oversize or malformed detail, unknown reject reason, non-minimal varint, trailing bytes.
[[nodiscard]] Result<AuthMessage> decode_auth_message(core::ByteView payload);

}  // namespace barrel_p2p::wire
