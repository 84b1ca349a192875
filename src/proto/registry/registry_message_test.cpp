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
      {3, 2, 1},                       // reply flag 2
      {3, 1},                          // state without a body
  };
  for (const core::Bytes& bytes : bad) {
    auto message = decode_message(bytes, kMax);
    ASSERT_FALSE(message.has_value()) << core::to_hex(bytes);
    EXPECT_EQ(message.error().code, Errc::protocol);
  }
  EXPECT_FALSE(decode_message(encode_state_message(core::Bytes(kMax, 1), false), kMax));
}

TEST(RegistryMessage, DigestTellsStatesApart) {
  EXPECT_EQ(digest_of(body()), digest_of(body()));
  EXPECT_NE(digest_of(body()), digest_of(core::Bytes{1, 1}));
  EXPECT_NE(digest_of({}), digest_of(core::Bytes{0}));
}

}  // namespace
}  // namespace barrel_p2p::registry
