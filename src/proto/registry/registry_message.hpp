// Registry messages between nodes (SPEC §2.6): the envelope around registry deltas and states
// on the wire. Deltas travel through Plumtree (payload of the reserved tag
// "barrel_p2p:registry"); digests and states travel on a link's control stream, in frames of
// their own type (wire::FrameType::registry). Peer bytes are hostile: fixed limits, canonical
// fields, no trailing bytes; the delta or state itself is decoded by registry::decode() with
// the registry's limits.
//
//   message = u8 type | body
//   DELTA  (1) = u8 cause (0 = an operation, 1 = the registered process ended)
//                | [cause 1: u8 exit code | string reason ≤ 255 bytes] | delta (rest)
//   DIGEST (2) = u64 digest of the sender's exported state (big-endian)
//   STATE  (3) = u8 reply (0 or 1: the receiver answers with its own STATE) | state (rest)
//
// Anti-entropy and new links: a node sends DIGEST; a receiver whose own digest differs
// answers STATE with reply = 1, merged on the other side, which answers STATE with reply = 0.
// Equal states cost two 9-byte messages; different ones one state each way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "proto/registry/registry_delta.hpp"

namespace barrel_p2p::registry {

/// Longest process-exit reason text a DELTA carries (longer texts are cut by the encoder).
inline constexpr std::size_t kMaxExitText = 255;

/// Why a DELTA's entries were removed, when their process ended (drives service_down events).
struct ExitCause {
  std::uint8_t code = 0;  ///< barrel_p2p::ExitCode value (not checked here: the Engine maps it).
  std::string text;       ///< ≤ kMaxExitText bytes.
  bool operator==(const ExitCause&) const = default;
};

/// One decoded message. `body` views the input: the encoded delta (DELTA) or state (STATE).
struct Message {
  enum class Type : std::uint8_t { delta = 1, digest = 2, state = 3 };
  Type type = Type::delta;
  std::optional<ExitCause> exit;  ///< DELTA only: set when cause is 1.
  std::uint64_t digest = 0;       ///< DIGEST only.
  bool reply = false;             ///< STATE only.
  core::ByteView body;            ///< DELTA and STATE: the registry_delta bytes (not decoded).
};

/// A DELTA around `delta` (already encoded). A text over kMaxExitText is cut.
[[nodiscard]] core::Bytes encode_delta_message(const core::Bytes& delta,
                                               const std::optional<ExitCause>& exit = {});
/// A DIGEST.
[[nodiscard]] core::Bytes encode_digest_message(std::uint64_t digest);
/// A STATE around `state` (already encoded).
[[nodiscard]] core::Bytes encode_state_message(const core::Bytes& state, bool reply);

/// Decodes the envelope of one whole message of at most `max_size` bytes (take the
/// registry's max_state_size). The body is not decoded.
/// Errors: protocol, "registry message: <what>" (empty, too large, unknown type, bad cause or
/// reply flag, truncated, trailing bytes after a DIGEST, empty body).
[[nodiscard]] Result<Message> decode_message(core::ByteView bytes, std::size_t max_size);

/// 64-bit digest of an encoded state (FNV-1a): equal states have equal digests, since each
/// state has exactly one encoding. Not a security measure: a forged digest only skips or
/// causes one exchange.
[[nodiscard]] std::uint64_t digest_of(core::ByteView encoded_state);

}  // namespace barrel_p2p::registry
