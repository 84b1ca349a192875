// HyParView messages: the payloads of membership frames (FrameType::membership, control
// stream). Peer bytes are hostile: names are checked (wire::is_valid_name), addresses and
// lists are bounded, every message has exactly one valid encoding.
//   message  = u8 type | fields
//   peer     = string name (1-64) | string address (0-255)
//   NEIGHBOR       = peer sender | u8 priority (0 low, 1 high, 2 rejoin)
//   NEIGHBOR_REPLY = peer sender | bool accepted | list of peer (at most kMaxRoomHints)
//   DISCONNECT     = bool leaving | list of peer (at most kMaxRoomHints)
//   string   = canonical varint length | bytes;  list = canonical varint count | items
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::hyparview {

inline constexpr std::size_t kMaxAddressSize = 255;
inline constexpr std::size_t kMaxShufflePeers = 64;
inline constexpr std::size_t kMaxRoomHints = 4;

/// A node: its name and the address it advertises ("host:port", may be empty).
struct PeerInfo {
  std::string name;
  std::string address;
  bool operator==(const PeerInfo&) const = default;
};

/// Asks the contact to let `sender` in.
struct Join {
  PeerInfo sender;
  bool operator==(const Join&) const = default;
};
/// Walks the overlay on behalf of `joiner`.
struct ForwardJoin {
  PeerInfo joiner;
  std::uint8_t ttl = 0;
  bool operator==(const ForwardJoin&) const = default;
};
/// `sender` put the receiver in its active view (answer to JOIN or an accepted FORWARD_JOIN):
/// the receiver adds `sender` to its own, so active links stay symmetric.
struct JoinReply {
  PeerInfo sender;
  bool operator==(const JoinReply&) const = default;
};
/// Asks to become an active neighbour. High priority (the sender has no active peer) is
/// always accepted. `rejoin` (never with high_priority) is a re-merge probe (decision 0012):
/// the sender lost its link to the receiver to a failure, and both sides may have filled their
/// views since; a full receiver accepts it by evicting a random active peer.
struct Neighbor {
  PeerInfo sender;
  bool high_priority = false;
  bool rejoin = false;
  bool operator==(const Neighbor&) const = default;
};
/// Answer to NEIGHBOR. A refusal may name peers that lately asked the sender for a link and
/// were refused too (they had room then): the requester asks them next. An accepted rejoin
/// names the peer the sender evicted to make room (the requester hands it to the peer it
/// evicts in turn, so the two pair up). At most kMaxRoomHints.
struct NeighborReply {
  PeerInfo sender;
  bool accepted = false;
  std::vector<PeerInfo> room;
  bool operator==(const NeighborReply&) const = default;
};
/// The sender removed the receiver from its active view; `leaving`: it leaves the cluster.
/// `room` (at most kMaxRoomHints) names peers that have just lost a link too: the receiver
/// asks them first.
struct Disconnect {
  bool leaving = false;
  std::vector<PeerInfo> room;
  bool operator==(const Disconnect&) const = default;
};
/// A random walk exchanging samples of the views; answered straight to `origin`.
struct Shuffle {
  PeerInfo origin;
  std::uint8_t ttl = 0;
  std::vector<PeerInfo> peers;
  bool operator==(const Shuffle&) const = default;
};
struct ShuffleReply {
  std::vector<PeerInfo> peers;
  bool operator==(const ShuffleReply&) const = default;
};

using Message = std::variant<Join, ForwardJoin, JoinReply, Neighbor, NeighborReply, Disconnect,
                             Shuffle, ShuffleReply>;

/// Number of message types; `Message::index()` is below it (used to count messages by type).
inline constexpr std::size_t kMessageTypeCount = std::variant_size_v<Message>;

/// A short lower-case name of the type at `index` ("join", "forward_join", ...), for logs and
/// metrics; "unknown" when `index >= kMessageTypeCount`.
const char* message_type_name(std::size_t index);

/// The encoding of `message`.
core::Bytes encode(const Message& message);
/// Decodes one frame. Errors: protocol, naming what is wrong.
[[nodiscard]] Result<Message> decode(core::ByteView bytes);

}  // namespace barrel_p2p::hyparview
