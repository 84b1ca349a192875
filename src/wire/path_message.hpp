// Path messages: the payloads of path frames (FrameType::path, control stream). The accepting
// end of a link asks the dialing end to move the connection to another address (MOVE); the
// dialing end either moves and says so on the new path (MOVED) or stays and says why: it will
// not (REFUSED) or cannot (UNABLE; the accepting end then takes the link over with a new
// connection). Decision 0036. The MOVE address is not parsed here: the caller parses it
// (core::SocketAddress::parse); the codec only bounds it.
//
// Peer bytes are hostile: texts are bounded by type, the varint is canonical and no trailing
// byte is accepted, so every message has exactly one encoding. Texts are bytes (not checked
// for UTF-8).
//   message = u8 type | string text
//   MOVE    (1) = text: the new address (1-64 bytes)
//   MOVED   (2) = text: empty
//   REFUSED (3) = text: the reason (0-256 bytes)
//   UNABLE  (4) = text: the reason (0-256 bytes)
//   string  = canonical varint length | bytes
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::wire {

/// Longest address a MOVE carries ("host:port", an IPv6 literal in brackets included).
inline constexpr std::size_t kMaxPathAddressSize = 64;
/// Longest reason a REFUSED carries.
inline constexpr std::size_t kMaxPathReasonSize = 256;
/// Largest encoded path message.
inline constexpr std::size_t kMaxPathMessageSize = 1 + 2 + kMaxPathReasonSize;

/// What a path message says.
enum class PathMessageType : std::uint8_t {
  move = 1,     ///< the accepting end asks the dialing end to move the connection to `text`
  moved = 2,    ///< the dialing end moved: sent on the new path (text empty)
  refused = 3,  ///< the dialing end will not move (final); `text` says why
  unable = 4,   ///< the dialing end cannot move (the accepting end may take over); `text` says why
};

/// One path message.
struct PathMessage {
  PathMessageType type = PathMessageType::move;  ///< what the message says
  /// MOVE: the new address (1..kMaxPathAddressSize bytes); REFUSED and UNABLE: the reason
  /// (0..kMaxPathReasonSize); MOVED: empty
  std::string text;
  bool operator==(const PathMessage&) const = default;
};

/// The encoding of `message`. As encode_views() does with over-long fields, a reason
/// over kMaxPathReasonSize is cut to its first kMaxPathReasonSize bytes and a MOVED's text is
/// not encoded, so those always decode. Preconditions (BARREL_ASSERT): `type` is a
/// PathMessageType and a MOVE address is 1..kMaxPathAddressSize bytes (no substitute would
/// decode).
[[nodiscard]] core::Bytes encode_path_message(const PathMessage& message);

/// Decodes one whole path message.
/// Errors: protocol, "path message: <what>" (empty, larger than kMaxPathMessageSize, unknown
/// type, truncated, an empty MOVE address, a text over its bound, which for MOVED is any text,
/// a non-minimal varint, trailing bytes).
[[nodiscard]] Result<PathMessage> decode_path_message(core::ByteView bytes);

/// Lower-case name of a type ("move", "moved", "refused", "unable"; "unknown" otherwise).
std::string_view path_message_type_name(PathMessageType type);

}  // namespace barrel_p2p::wire
