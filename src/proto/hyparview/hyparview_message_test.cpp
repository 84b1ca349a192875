#include "proto/hyparview/hyparview_message.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

namespace barrel_p2p::hyparview {
namespace {

std::vector<Message> samples() {
  PeerInfo a{"alpha", "10.0.0.1:4000"};
  PeerInfo b{"beta", ""};
  return {Join{a},
          ForwardJoin{a, 6},
          JoinReply{b},
          Neighbor{a, true, false},
          NeighborReply{b, false, {}},
          NeighborReply{b, false, {a, b}},
          NeighborReply{a, true, {}},
          Disconnect{true, {}},
          Shuffle{a, 6, {a, b}},
          ShuffleReply{{b}},
          ShuffleReply{{}}};
}

TEST(HyparviewMessage, EveryTypeRoundTripsCanonically) {
  for (const auto& message : samples()) {
    core::Bytes bytes = encode(message);
    auto decoded = decode(bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, message);
    EXPECT_EQ(encode(*decoded), bytes);
  }
}

TEST(HyparviewMessage, EveryTruncationFails) {
  for (const auto& message : samples()) {
    core::Bytes bytes = encode(message);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      auto decoded = decode(core::ByteView(bytes.data(), cut));
      ASSERT_FALSE(decoded) << "type " << message.index() << " cut at " << cut;
      EXPECT_EQ(decoded.error().code, Errc::protocol);
    }
  }
}

std::string error_of(const core::Bytes& bytes) {
  auto decoded = decode(bytes);
  return decoded ? "decoded" : decoded.error().message;
}

TEST(HyparviewMessage, HostileBytesAreProtocolErrors) {
  EXPECT_NE(error_of({9}).find("unknown membership message type"), std::string::npos);
  EXPECT_NE(error_of({0}).find("unknown membership message type"), std::string::npos);
  core::Bytes trailing = encode(Disconnect{false, {}});
  trailing.push_back(0);
  EXPECT_NE(error_of(trailing).find("trailing"), std::string::npos);
  EXPECT_NE(error_of({6, 2}).find("bool"), std::string::npos);
  // Invalid node names (path traversal, empty, too long).
  EXPECT_NE(error_of(encode(Join{PeerInfo{"..", ""}})).find("invalid node name"),
            std::string::npos);
  EXPECT_NE(error_of(encode(Join{PeerInfo{"", ""}})), "decoded");
  EXPECT_NE(error_of(encode(Join{PeerInfo{std::string(65, 'a'), ""}})), "decoded");
  EXPECT_NE(error_of(encode(Join{PeerInfo{"a", std::string(kMaxAddressSize + 1, '1')}})),
            "decoded");
  // Too many peers in a shuffle.
  std::vector<PeerInfo> many(kMaxShufflePeers + 1, PeerInfo{"p", ""});
  EXPECT_NE(error_of(encode(ShuffleReply{many})).find("too many peers"), std::string::npos);
  // Room hints: bounded (an accepted rejoin names the peer evicted for it).
  std::vector<PeerInfo> hints(kMaxRoomHints + 1, PeerInfo{"p", ""});
  EXPECT_NE(error_of(encode(NeighborReply{PeerInfo{"a", ""}, false, hints})).find("too many peers"),
            std::string::npos);
  hints.resize(kMaxRoomHints);
  EXPECT_EQ(error_of(encode(NeighborReply{PeerInfo{"a", ""}, false, hints})), "decoded");
  EXPECT_EQ(error_of(encode(NeighborReply{PeerInfo{"a", ""}, true, {PeerInfo{"p", ""}}})),
            "decoded");
  EXPECT_NE(error_of(encode(
                Disconnect{false, std::vector<PeerInfo>(kMaxRoomHints + 1, PeerInfo{"p", ""})})),
            "decoded");
  EXPECT_EQ(error_of(encode(Disconnect{false, hints})), "decoded");
  // NEIGHBOR priority: 0 low, 1 high, 2 rejoin, nothing else.
  core::Bytes priority = encode(Neighbor{PeerInfo{"a", ""}, false, true});
  EXPECT_EQ(priority.back(), 2);
  priority.back() = 3;
  EXPECT_NE(error_of(priority).find("bad NEIGHBOR priority"), std::string::npos);
}

TEST(HyparviewMessageProperty, DecodeOfEncodeIsIdentity) {
  EXPECT_TRUE(rc::check([](const std::string& address, std::uint8_t ttl, bool flag,
                           std::uint8_t count) {
    PeerInfo peer{"node-" + std::to_string(ttl), address.substr(0, kMaxAddressSize)};
    std::vector<PeerInfo> peers(count % (kMaxShufflePeers + 1), peer);
    for (const Message& message : std::vector<Message>{
             Join{peer}, ForwardJoin{peer, ttl}, Neighbor{peer, flag, false},
             Neighbor{peer, false, flag},
             NeighborReply{
                 peer,
                 flag,
                 {peers.begin(), peers.begin() + std::min<std::ptrdiff_t>(
                                                     static_cast<std::ptrdiff_t>(peers.size()),
                                                     static_cast<std::ptrdiff_t>(kMaxRoomHints))}},
             Disconnect{
                 flag,
                 {peers.begin(), peers.begin() + std::min<std::ptrdiff_t>(
                                                     static_cast<std::ptrdiff_t>(peers.size()),
                                                     static_cast<std::ptrdiff_t>(kMaxRoomHints))}},
             Shuffle{peer, ttl, peers}, ShuffleReply{peers}}) {
      core::Bytes bytes = encode(message);
      auto decoded = decode(bytes);
      RC_ASSERT(decoded.has_value());
      RC_ASSERT(*decoded == message);
      RC_ASSERT(encode(*decoded) == bytes);
    }
  }));
}

}  // namespace
}  // namespace barrel_p2p::hyparview
