#include "proto/hyparview/hyparview_message.hpp"

#include <array>
#include <type_traits>

#include "wire/auth_message.hpp"
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::hyparview {

namespace {

enum class Type : std::uint8_t {
  join = 1,
  forward_join = 2,
  join_reply = 3,
  neighbor = 4,
  neighbor_reply = 5,
  disconnect = 6,
  shuffle = 7,
  shuffle_reply = 8,
};

void put(core::ByteWriter& w, const PeerInfo& peer) {
  w.string(peer.name);
  w.string(peer.address);
}

void put(core::ByteWriter& w, const std::vector<PeerInfo>& peers) {
  w.varint(peers.size());
  for (const auto& peer : peers) put(w, peer);
}

PeerInfo get_peer(core::ByteReader& r) {
  PeerInfo peer;
  peer.name = wire::read_canonical_string(r, wire::kMaxNameSize);
  peer.address = wire::read_canonical_string(r, kMaxAddressSize);
  if (r.ok() && !wire::is_valid_name(peer.name)) r.fail("invalid node name");
  return peer;
}

std::vector<PeerInfo> get_peers(core::ByteReader& r, std::size_t limit = kMaxShufflePeers) {
  std::vector<PeerInfo> peers;
  const std::uint64_t count = wire::read_canonical_varint(r);
  if (count > limit) {
    r.fail("too many peers");
    return peers;
  }
  for (std::uint64_t i = 0; i < count && r.ok(); ++i) peers.push_back(get_peer(r));
  return peers;
}

bool get_bool(core::ByteReader& r) {
  const std::uint8_t value = r.u8();
  if (r.ok() && value > 1) r.fail("bool is not 0 or 1");
  return value == 1;
}

}  // namespace

const char* message_type_name(std::size_t index) {
  static constexpr std::array<const char*, kMessageTypeCount> kNames{
      "join",           "forward_join", "join_reply", "neighbor",
      "neighbor_reply", "disconnect",   "shuffle",    "shuffle_reply"};
  return index < kNames.size() ? kNames[index] : "unknown";
}

core::Bytes encode(const Message& message) {
  core::Bytes out;
  core::ByteWriter w(out);
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Join>) {
          w.u8(static_cast<std::uint8_t>(Type::join));
          put(w, m.sender);
        } else if constexpr (std::is_same_v<M, ForwardJoin>) {
          w.u8(static_cast<std::uint8_t>(Type::forward_join));
          put(w, m.joiner);
          w.u8(m.ttl);
        } else if constexpr (std::is_same_v<M, JoinReply>) {
          w.u8(static_cast<std::uint8_t>(Type::join_reply));
          put(w, m.sender);
        } else if constexpr (std::is_same_v<M, Neighbor>) {
          w.u8(static_cast<std::uint8_t>(Type::neighbor));
          put(w, m.sender);
          w.u8(m.high_priority ? 1 : m.rejoin ? 2 : 0);
        } else if constexpr (std::is_same_v<M, NeighborReply>) {
          w.u8(static_cast<std::uint8_t>(Type::neighbor_reply));
          put(w, m.sender);
          w.u8(m.accepted ? 1 : 0);
          put(w, m.room);
        } else if constexpr (std::is_same_v<M, Disconnect>) {
          w.u8(static_cast<std::uint8_t>(Type::disconnect));
          w.u8(m.leaving ? 1 : 0);
          put(w, m.room);
        } else if constexpr (std::is_same_v<M, Shuffle>) {
          w.u8(static_cast<std::uint8_t>(Type::shuffle));
          put(w, m.origin);
          w.u8(m.ttl);
          put(w, m.peers);
        } else {
          w.u8(static_cast<std::uint8_t>(Type::shuffle_reply));
          put(w, m.peers);
        }
      },
      message);
  return out;
}

Result<Message> decode(core::ByteView bytes) {
  core::ByteReader r(bytes);
  Message message;
  switch (static_cast<Type>(r.u8())) {
    case Type::join: message = Join{get_peer(r)}; break;
    case Type::forward_join: {
      ForwardJoin m;
      m.joiner = get_peer(r);
      m.ttl = r.u8();
      message = std::move(m);
      break;
    }
    case Type::join_reply: message = JoinReply{get_peer(r)}; break;
    case Type::neighbor: {
      Neighbor m;
      m.sender = get_peer(r);
      const std::uint8_t priority = r.u8();
      if (r.ok() && priority > 2) r.fail("bad NEIGHBOR priority");
      m.high_priority = priority == 1;
      m.rejoin = priority == 2;
      message = std::move(m);
      break;
    }
    case Type::neighbor_reply: {
      NeighborReply m;
      m.sender = get_peer(r);
      m.accepted = get_bool(r);
      m.room = get_peers(r, kMaxRoomHints);
      message = std::move(m);
      break;
    }
    case Type::disconnect: {
      Disconnect m;
      m.leaving = get_bool(r);
      m.room = get_peers(r, kMaxRoomHints);
      message = std::move(m);
      break;
    }
    case Type::shuffle: {
      Shuffle m;
      m.origin = get_peer(r);
      m.ttl = r.u8();
      m.peers = get_peers(r);
      message = std::move(m);
      break;
    }
    case Type::shuffle_reply: message = ShuffleReply{get_peers(r)}; break;
    default:
      if (r.ok()) r.fail("unknown membership message type");
  }
  if (!r.finished()) {
    return fail(Errc::protocol,
                std::string("membership message: ") + (r.ok() ? "trailing bytes" : r.error()));
  }
  return message;
}

}  // namespace barrel_p2p::hyparview
