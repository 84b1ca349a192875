// Registry message envelope: round trips and every refusal of the decoder.
#include "proto/registry/registry_message.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::registry {
namespace {

constexpr std::size_t kMax = 1024;

core::Bytes body() { return {1, 0}; }  // any bytes: the envelope does not decode its body

Message must_decode(const core::Bytes& bytes) {
  auto message = decode_message(bytes, kMax);
  EXPECT_TRUE(message.has_value()) << message.error().to_string();
  return message ? *message : Message{};
}

bool same(core::ByteView a, const core::Bytes& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

TEST(RegistryMessage, DeltaRoundTripsWithAndWithoutAnExitCause) {
  const core::Bytes plain = encode_delta_message(body());
  Message message = must_decode(plain);
  EXPECT_EQ(message.type, Message::Type::delta);
  EXPECT_FALSE(message.exit.has_value());
  EXPECT_TRUE(same(message.body, body()));

  const core::Bytes ended = encode_delta_message(body(), ExitCause{5, "crashed"});
  message = must_decode(ended);
  ASSERT_TRUE(message.exit.has_value());
  EXPECT_EQ(*message.exit, (ExitCause{5, "crashed"}));
  EXPECT_TRUE(same(message.body, body()));
}

TEST(RegistryMessage, LongExitTextsAreCut) {
  const core::Bytes bytes = encode_delta_message(body(), ExitCause{5, std::string(1000, 'x')});
  const Message message = must_decode(bytes);
  ASSERT_TRUE(message.exit.has_value());
  EXPECT_EQ(message.exit->text.size(), kMaxExitText);
}

TEST(RegistryMessage, DigestAndStateRoundTrip) {
  Message message = must_decode(encode_digest_message(0x0102030405060708ULL));
  EXPECT_EQ(message.type, Message::Type::digest);
  EXPECT_EQ(message.digest, 0x0102030405060708ULL);
  for (const bool reply : {false, true}) {
    const core::Bytes bytes = encode_state_message(body(), reply);  // the body views it
    message = must_decode(bytes);
    EXPECT_EQ(message.type, Message::Type::state);
    EXPECT_EQ(message.reply, reply);
    EXPECT_TRUE(same(message.body, body()));
  }
}

TEST(RegistryMessage, MalformedEnvelopesAreRefused) {
  const std::vector<core::Bytes> bad = {
      {},                              // empty
      {9, 0, 1},                       // unknown type
      {1, 2, 1},                       // unknown cause
      {1, 0},                          // delta without a body
      {1, 1, 5},                       // exit cause truncated
      {1, 1, 5, 3, 'a'},               // exit text truncated
      {1, 1, 5, 0x40, 1, 'a', 0},      // non-canonical text length
      {2, 1, 2, 3},                    // digest truncated
      {2, 1, 2, 3, 4, 5, 6, 7, 8, 9},  // digest with trailing bytes
      {3, 4, 1},                       // unknown state flag
      {3, 1},                          // state without a body
      {3, 2, 0, 1},                    // causes flag with a count of 0
      {3, 2, 65, 1},                   // 65 causes (kMaxStateCauses is 64)
      {3, 2, 1, 0, 1},                 // a cause without a node
      {3, 2, 1, 1, 'n', 0, 0},         // a cause with its stamp truncated
  };
  for (const core::Bytes& bytes : bad) {
    auto message = decode_message(bytes, kMax);
    ASSERT_FALSE(message.has_value()) << core::to_hex(bytes);
    EXPECT_EQ(message.error().code, Errc::protocol);
  }
  EXPECT_FALSE(decode_message(encode_state_message(core::Bytes(kMax, 1), false), kMax));
}

TEST(RegistryMessage, StateCarriesExitCausesOutsideItsBody) {
  const std::vector<DotCause> causes = {
      DotCause{"n1", hlc::Timestamp{7, 1}, ExitCause{5, "crashed"}},
      DotCause{"n2", hlc::Timestamp{9, 0}, ExitCause{0, std::string(1000, 'x')}},
  };
  const core::Bytes bytes = encode_state_message(body(), true, causes);
  const Message message = must_decode(bytes);
  EXPECT_TRUE(message.reply);
  EXPECT_TRUE(same(message.body, body()));
  ASSERT_EQ(message.causes.size(), 2U);
  EXPECT_EQ(message.causes[0], causes[0]);
  EXPECT_EQ(message.causes[1].node, "n2");
  EXPECT_EQ(message.causes[1].cause.text.size(), kMaxStateCauseText);  // cut by the encoder
  EXPECT_TRUE(must_decode(encode_state_message(body(), false)).causes.empty());

  // At most kMaxStateCauses go, and they may exceed max_size by their bound (not more).
  std::vector<DotCause> many(100, DotCause{std::string(kMaxRouteOriginSize, 'n'),
                                           {1, 1},
                                           ExitCause{1, std::string(kMaxStateCauseText, 'r')}});
  const core::Bytes full = encode_state_message(core::Bytes(kMax - 2, 1), false, many);
  EXPECT_EQ(full.size(), kMax + kMaxStateCausesSize);  // the largest a STATE may be
  auto decoded = decode_message(full, kMax);
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(decoded->causes.size(), kMaxStateCauses);
  EXPECT_FALSE(decode_message(encode_state_message(core::Bytes(kMax - 1, 1), false, many), kMax));
}

TEST(RegistryMessage, DigestTellsStatesApart) {
  EXPECT_EQ(digest_of(body()), digest_of(body()));
  EXPECT_NE(digest_of(body()), digest_of(core::Bytes{1, 1}));
  EXPECT_NE(digest_of({}), digest_of(core::Bytes{0}));
}

TEST(RegistryMessage, RouteRequestAndReplyRoundTrip) {
  const RouteRequest request{0x0102030405060708ULL, 6, "origin", "127.0.0.1:4000", "svc.a"};
  const core::Bytes bytes = encode_route_request(request);
  Message message = must_decode(bytes);
  EXPECT_EQ(message.type, Message::Type::route_request);
  EXPECT_EQ(message.request_id, request.request_id);
  EXPECT_EQ(message.ttl, 6);
  EXPECT_EQ(message.origin, "origin");
  EXPECT_EQ(message.address, "127.0.0.1:4000");
  EXPECT_EQ(message.name, "svc.a");

  const core::Bytes reply = encode_route_reply(42, body());
  message = must_decode(reply);
  EXPECT_EQ(message.type, Message::Type::route_reply);
  EXPECT_EQ(message.request_id, 42U);
  EXPECT_TRUE(same(message.body, body()));
}

TEST(RegistryMessage, MalformedRouteMessagesAreRefused) {
  const core::Bytes request = encode_route_request({7, 1, "o", "", "n"});
  for (std::size_t size = 1; size < request.size(); ++size) {  // every truncation
    EXPECT_FALSE(decode_message(core::ByteView(request).first(size), kMax)) << size;
  }
  core::Bytes trailing = request;
  trailing.push_back(0);
  EXPECT_FALSE(decode_message(trailing, kMax));
  // An empty origin or name.
  core::Bytes no_name = encode_route_request({7, 1, "o", "", "n"});
  no_name[no_name.size() - 2] = 0;
  no_name.pop_back();
  EXPECT_FALSE(decode_message(no_name, kMax));
  // A reply without instances.
  EXPECT_FALSE(decode_message(encode_route_reply(1, {}), kMax));
  // A name over its limit.
  core::Bytes long_name =
      encode_route_request({7, 1, "o", "", std::string(kMaxRouteNameSize, 'x')});
  EXPECT_TRUE(decode_message(long_name, 1 << 20));
  long_name = encode_route_request({7, 1, "o", "", "n"});
  long_name.resize(long_name.size() - 2);  // cut the name's length and byte
  core::ByteWriter w(long_name);
  w.string(std::string(kMaxRouteNameSize + 1, 'x'));
  EXPECT_FALSE(decode_message(long_name, 1 << 20));
}

TEST(RegistryMessage, HeartbeatRoundTripsAndHostileOnesAreRefused) {
  const hlc::Timestamp stamp{1'700'000'000'123, 7};
  const core::Bytes bytes = encode_heartbeat("node-1", stamp);
  Message message = must_decode(bytes);
  EXPECT_EQ(message.type, Message::Type::heartbeat);
  EXPECT_EQ(message.origin, "node-1");
  EXPECT_EQ(message.stamp, stamp);
  EXPECT_LE(encode_heartbeat(std::string(kMaxRouteOriginSize, 'n'), stamp).size(),
            kMaxHeartbeatSize);

  for (std::size_t size = 1; size < bytes.size(); ++size) {  // every truncation
    EXPECT_FALSE(decode_message(core::ByteView(bytes).first(size), kMax)) << size;
  }
  core::Bytes trailing = bytes;
  trailing.push_back(0);
  EXPECT_FALSE(decode_message(trailing, kMax));
  core::Bytes no_node = {6, 0};  // an empty node name
  no_node.resize(no_node.size() + 12, 1);
  EXPECT_FALSE(decode_message(no_node, kMax));
  core::Bytes long_node = {6};
  core::ByteWriter w(long_node);
  w.string(std::string(kMaxRouteOriginSize + 1, 'n'));
  long_node.resize(long_node.size() + 12, 1);
  EXPECT_FALSE(decode_message(long_node, kMax));
}

}  // namespace
}  // namespace barrel_p2p::registry
