// Plumtree messages: the payloads of broadcast frames (FrameType::broadcast, control stream).
// Leitão, Pereira, Rodrigues, "Epidemic Broadcast Trees", SRDS 2007, §3 (GOSSIP, IHAVE,
// GRAFT, PRUNE). Peer bytes are hostile: every list, string and payload has a limit, and each
// message has exactly one valid encoding (decode(b) succeeds ⇒ encode(decode(b)) == b).
//
//   message = u8 type | fields;  id = 16 bytes;  round = canonical varint (0..255 hops)
//   string  = canonical varint length | bytes
//   GOSSIP (1) = id | round | string origin (a valid node name) | string tag | payload (rest)
//   IHAVE  (2) = count (1..1024) | (id | round)*
//   GRAFT  (3) = count (1..1024) | id*
//   PRUNE  (4) = (nothing)
//
// GRAFT carries no round: the paper's GRAFT(m, round) round is informational only; the
// grafted peer answers with its cached GOSSIP, which carries its own round.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::plumtree {

/// Most entries in one IHAVE or ids in one GRAFT (a larger count fails decoding).
inline constexpr std::size_t kMaxListSize = 1024;
/// Largest round (hop count) on the wire; forwarding saturates at it rather than wrapping.
inline constexpr std::uint32_t kMaxRound = 255;

/// A broadcast's identity: 16 random bytes chosen by its origin's Rng at broadcast time.
/// Equality and ordering compare the bytes.
struct MessageId {
  std::array<std::uint8_t, 16> bytes{};
  // clang-tidy 14 reports a literal 0 inside every defaulted <=> (a false positive).
  auto operator<=>(const MessageId&) const = default;  // NOLINT(modernize-use-nullptr)
};

/// The payload itself, pushed eagerly along the tree (and answered to GRAFT).
struct Gossip {
  MessageId id;
  std::uint32_t round = 0;  ///< Hops from the origin as received (≤ kMaxRound).
  std::string origin;       ///< Node name of the broadcaster (wire::is_valid_name()).
  std::string tag;          ///< Subscription tag, ≤ Limits::max_tag_size bytes.
  core::Bytes payload;      ///< ≤ Limits::max_payload_size bytes.
  bool operator==(const Gossip&) const = default;
};

/// Lazy announcement: "I have these messages; you would get them at these rounds".
struct IHave {
  struct Entry {
    MessageId id;
    std::uint32_t round = 0;  ///< Hops the receiver would be at via the announcer.
    bool operator==(const Entry&) const = default;
  };
  std::vector<Entry> entries;  ///< 1..kMaxListSize entries on the wire.
  bool operator==(const IHave&) const = default;
};

/// "Send me these messages and make our link eager" (repairs the tree).
struct Graft {
  std::vector<MessageId> ids;  ///< 1..kMaxListSize ids on the wire.
  bool operator==(const Graft&) const = default;
};

/// "Our link is redundant: move it to lazy" (answer to a duplicate GOSSIP).
struct Prune {
  bool operator==(const Prune&) const = default;
};

/// Any Plumtree message.
using Message = std::variant<Gossip, IHave, Graft, Prune>;

/// Decoding limits; take them from Config::message_limits() so both sides agree.
struct Limits {
  std::size_t max_payload_size = 1024 * 1024;  ///< Longest GOSSIP payload accepted.
  std::size_t max_tag_size = 255;              ///< Longest GOSSIP tag accepted.
};

/// Encodes `message` canonically. Precondition (asserted by the fuzz round trip, not checked
/// here): lists hold 1..kMaxListSize items, rounds ≤ kMaxRound, strings within Limits.
core::Bytes encode(const Message& message);

/// Decodes one whole message from hostile bytes. Never asserts on peer input.
/// Errors: protocol, naming what is wrong (truncated, unknown type, list size out of range,
/// round out of range, non-canonical varint, invalid origin name, tag or payload too large,
/// trailing bytes).
[[nodiscard]] Result<Message> decode(core::ByteView bytes, const Limits& limits = {});

}  // namespace barrel_p2p::plumtree

/// Hashes all 16 bytes. Ids from peers are chosen by them, so containers keyed by ids from the
/// network use ordered maps (no hash flooding); this exists for callers' own bookkeeping.
template <>
struct std::hash<barrel_p2p::plumtree::MessageId> {
  std::size_t operator()(const barrel_p2p::plumtree::MessageId& id) const noexcept {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (std::uint8_t byte : id.bytes) h = (h ^ byte) * 1099511628211ULL;
    return static_cast<std::size_t>(h);
  }
};
