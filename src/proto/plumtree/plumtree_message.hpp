// Plumtree messages: the payloads of broadcast frames (FrameType::broadcast, control stream).
//   message = u8 type | fields;  id = 16 bytes;  round = canonical varint (≤ 255 hops)
//   GOSSIP   = id | round | string origin (node name) | string tag | payload (rest)
//   IHAVE    = count (1..1024) | (id | round)*
//   GRAFT    = count (1..1024) | id*
//   PRUNE    = (nothing)
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

inline constexpr std::size_t kMaxListSize = 1024;
inline constexpr std::uint32_t kMaxRound = 255;

/// A broadcast's identity: 16 random bytes chosen by its origin.
struct MessageId {
  std::array<std::uint8_t, 16> bytes{};
  auto operator<=>(const MessageId&) const = default;
};

struct Gossip {
  MessageId id;
  std::uint32_t round = 0;  ///< Hops from the origin.
  std::string origin;
  std::string tag;
  core::Bytes payload;
  bool operator==(const Gossip&) const = default;
};
struct IHave {
  struct Entry {
    MessageId id;
    std::uint32_t round = 0;
    bool operator==(const Entry&) const = default;
  };
  std::vector<Entry> entries;
  bool operator==(const IHave&) const = default;
};
struct Graft {
  std::vector<MessageId> ids;
  bool operator==(const Graft&) const = default;
};
struct Prune {
  bool operator==(const Prune&) const = default;
};

using Message = std::variant<Gossip, IHave, Graft, Prune>;

struct Limits {
  std::size_t max_payload_size = 1024 * 1024;
  std::size_t max_tag_size = 255;
};

core::Bytes encode(const Message& message);
/// Errors: protocol, naming what is wrong.
[[nodiscard]] Result<Message> decode(core::ByteView bytes, const Limits& limits = {});

}  // namespace barrel_p2p::plumtree

template <>
struct std::hash<barrel_p2p::plumtree::MessageId> {
  std::size_t operator()(const barrel_p2p::plumtree::MessageId& id) const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < 8; ++i) h = (h << 8) | id.bytes[i];
    return h;
  }
};
