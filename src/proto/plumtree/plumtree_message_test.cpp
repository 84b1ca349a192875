#include "proto/plumtree/plumtree_message.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

namespace barrel_p2p::plumtree {
namespace {

MessageId id_of(std::uint8_t seed) {
  MessageId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}

std::vector<Message> samples() {
  return {Gossip{id_of(1), 3, "origin-node", "topic", {1, 2, 3}}, Gossip{id_of(2), 0, "o", "", {}},
          IHave{{{id_of(3), 2}, {id_of(4), 255}}}, Graft{{id_of(5)}}, Prune{}};
}

TEST(PlumtreeMessage, EveryTypeRoundTripsCanonically) {
  for (const auto& message : samples()) {
    core::Bytes bytes = encode(message);
    auto decoded = decode(bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, message);
    EXPECT_EQ(encode(*decoded), bytes);
  }
}

TEST(PlumtreeMessage, TruncationsFailExceptShorterGossipPayloads) {
  for (const auto& message : samples()) {
    core::Bytes bytes = encode(message);
    std::size_t payload = 0;
    if (auto* gossip = std::get_if<Gossip>(&message)) payload = gossip->payload.size();
    for (std::size_t cut = 0; cut + payload < bytes.size(); ++cut) {
      auto decoded = decode(core::ByteView(bytes.data(), cut));
      ASSERT_FALSE(decoded) << "type " << message.index() << " cut at " << cut;
      EXPECT_EQ(decoded.error().code, Errc::protocol);
    }
  }
}

std::string error_of(const core::Bytes& bytes, Limits limits = {}) {
  auto decoded = decode(bytes, limits);
  return decoded ? "decoded" : decoded.error().message;
}

TEST(PlumtreeMessage, HostileBytesAreProtocolErrors) {
  EXPECT_NE(error_of({9}).find("unknown broadcast message type"), std::string::npos);
  EXPECT_NE(error_of({2, 0}).find("list size"), std::string::npos);  // empty IHAVE
  core::Bytes big_list{3, 0x44, 0x01};                               // GRAFT with 1025 ids
  EXPECT_NE(error_of(big_list).find("list size"), std::string::npos);
  core::Bytes trailing = encode(Prune{});
  trailing.push_back(0);
  EXPECT_NE(error_of(trailing).find("trailing"), std::string::npos);
  EXPECT_NE(error_of(encode(Gossip{id_of(1), 256, "o", "t", {}})).find("round"), std::string::npos);
  EXPECT_NE(error_of(encode(Gossip{id_of(1), 1, "..", "t", {}})).find("origin"), std::string::npos);
  EXPECT_NE(error_of(encode(Gossip{id_of(1), 1, "o", "t", core::Bytes(11)}), Limits{10, 255})
                .find("payload too large"),
            std::string::npos);
  EXPECT_NE(error_of(encode(Gossip{id_of(1), 1, "o", std::string(11, 't'), {}}), Limits{10, 10}),
            "decoded");
}

TEST(PlumtreeMessage, EmptyUnknownAndNonCanonicalInputsFail) {
  EXPECT_NE(error_of({}), "decoded");  // no type byte
  EXPECT_NE(error_of({0}).find("unknown broadcast message type"), std::string::npos);
  EXPECT_NE(error_of({3, 0}).find("list size"), std::string::npos);  // empty GRAFT
  // GOSSIP whose round 1 is spelt with two varint bytes: one encoding per message.
  core::Bytes gossip = encode(Gossip{id_of(1), 1, "o", "t", {}});
  ASSERT_EQ(gossip[17], 1);
  core::Bytes long_round(gossip.begin(), gossip.begin() + 17);
  long_round.push_back(0x40);  // QUIC-style varint: 2-byte form of 1
  long_round.push_back(0x01);
  long_round.insert(long_round.end(), gossip.begin() + 18, gossip.end());
  EXPECT_NE(error_of(long_round), "decoded");
  // IHAVE announcing 2 entries but carrying 1.
  core::Bytes short_list = encode(IHave{{{id_of(1), 1}}});
  short_list[1] = 2;
  EXPECT_NE(error_of(short_list), "decoded");
}

TEST(PlumtreeMessageProperty, DecodeOfEncodeIsIdentity) {
  EXPECT_TRUE(rc::check([](std::uint8_t seed, std::uint8_t round, const std::string& tag,
                           const std::vector<std::uint8_t>& payload) {
    Gossip gossip{id_of(seed), round, "node", tag.substr(0, 255), payload};
    for (const Message& message :
         std::vector<Message>{gossip, IHave{{{id_of(seed), round}}}, Graft{{id_of(seed)}}}) {
      core::Bytes bytes = encode(message);
      auto decoded = decode(bytes);
      RC_ASSERT(decoded.has_value());
      RC_ASSERT(*decoded == message);
    }
  }));
}

}  // namespace
}  // namespace barrel_p2p::plumtree
