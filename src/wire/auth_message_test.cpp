#include "wire/auth_message.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <vector>

namespace barrel_p2p::wire {
namespace {

Hello sample_hello() {
  Hello hello;
  hello.cluster_name = "prod";
  hello.node_name = "node-1.eu_west";
  for (std::size_t i = 0; i < hello.public_key.size(); ++i) {
    hello.public_key[i] = static_cast<std::uint8_t>(i);
  }
  return hello;
}

std::string decode_error(const core::Bytes& bytes) {
  auto decoded = decode_auth_message(bytes);
  if (decoded.has_value()) return "decoded";
  EXPECT_EQ(decoded.error().code, Errc::protocol);
  return decoded.error().message;
}

TEST(AuthMessage, HelloEncodingIsStable) {
  const core::Bytes bytes = encode(sample_hello());
  core::Bytes expected{1, 1, 4, 'p', 'r', 'o', 'd', 14};
  for (char c : std::string("node-1.eu_west")) expected.push_back(static_cast<std::uint8_t>(c));
  for (std::uint8_t i = 0; i < 32; ++i) expected.push_back(i);
  EXPECT_EQ(bytes, expected);
}

TEST(AuthMessage, HelloTakeoverFlagIsOneTrailingByte) {
  Hello hello = sample_hello();
  const core::Bytes plain = encode(hello);
  hello.takeover = true;
  core::Bytes flagged = encode(hello);
  ASSERT_EQ(flagged.size(), plain.size() + 1);
  EXPECT_EQ(flagged.back(), kHelloTakeover);
  auto decoded = decode_auth_message(flagged);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, AuthMessage{hello});
  // A zero flags byte and unknown flags have no valid encoding; neither has a second byte.
  for (const std::uint8_t flags : {std::uint8_t{0x00}, std::uint8_t{0x02}, std::uint8_t{0x81}}) {
    flagged.back() = flags;
    EXPECT_FALSE(decode_auth_message(flagged)) << static_cast<int>(flags);
  }
  flagged.back() = kHelloTakeover;
  flagged.push_back(kHelloTakeover);
  EXPECT_FALSE(decode_auth_message(flagged));
}

TEST(AuthMessage, EveryMessageRoundTrips) {
  Challenge challenge;
  challenge.nonce.fill(0xab);
  challenge.timestamp_unix_ms = 1700000000123ULL;
  Response response;
  response.signature.fill(0x11);
  response.cluster_mac.fill(0x22);
  const std::vector<AuthMessage> messages = {
      sample_hello(), challenge, response, Ok{},
      Reject{AuthFailure::cluster_mismatch, "cluster name 'a' differs"}};
  for (const AuthMessage& message : messages) {
    auto decoded = decode_auth_message(encode(message));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(*decoded, message);
  }
  EXPECT_EQ(encode(Ok{}), core::Bytes{4});
  EXPECT_EQ(encode(challenge).size(), 1U + 32U + 8U);
  EXPECT_EQ(encode(response).size(), 1U + 64U + 32U);
}

TEST(AuthMessage, NameValidation) {
  EXPECT_TRUE(is_valid_name("a"));
  EXPECT_TRUE(is_valid_name("Node_1.example-2"));
  EXPECT_TRUE(is_valid_name(std::string(64, 'x')));
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_name("."));
  EXPECT_FALSE(is_valid_name(".."));
  EXPECT_FALSE(is_valid_name("../etc/passwd"));
  EXPECT_FALSE(is_valid_name("a/b"));
  EXPECT_FALSE(is_valid_name("a b"));
  EXPECT_FALSE(is_valid_name(std::string("a\0b", 3)));
  EXPECT_FALSE(is_valid_name("caf\xc3\xa9"));
}

TEST(AuthMessage, HostileBytesAreProtocolErrors) {
  core::Bytes hello = encode(sample_hello());
  core::Bytes trailing = hello;
  trailing.push_back(0);
  core::Bytes bad_name = hello;
  bad_name[3] = '/';
  core::Bytes long_name{1, 1, 65};
  long_name.resize(long_name.size() + 65, 'a');
  core::Bytes non_minimal{1, 1, 0x40, 4, 'p', 'r', 'o', 'd'};
  EXPECT_NE(decode_error({}).find("truncated"), std::string::npos);
  EXPECT_NE(decode_error({0}).find("unknown message type"), std::string::npos);
  EXPECT_NE(decode_error({6}).find("unknown message type"), std::string::npos);
  // A byte after the key is the HELLO flags byte: 0 is not a valid one; past it, trailing.
  EXPECT_NE(decode_error(trailing).find("unknown hello flags"), std::string::npos);
  trailing.back() = kHelloTakeover;
  trailing.push_back(0);
  EXPECT_NE(decode_error(trailing).find("trailing bytes"), std::string::npos);
  EXPECT_NE(decode_error({hello.begin(), hello.end() - 1}).find("truncated"), std::string::npos);
  EXPECT_NE(decode_error(bad_name).find("invalid name"), std::string::npos);
  EXPECT_NE(decode_error(long_name).find("longer than its limit"), std::string::npos);
  EXPECT_NE(decode_error(non_minimal).find("non-minimal varint"), std::string::npos);
  EXPECT_NE(decode_error({1, 1, 0}).find("invalid name"), std::string::npos);
}

TEST(AuthMessage, RejectLimits) {
  EXPECT_NE(decode_error({5, 0, 0}).find("unknown reject reason"), std::string::npos);
  EXPECT_NE(decode_error({5, 14, 0}).find("unknown reject reason"), std::string::npos);
  EXPECT_TRUE(decode_auth_message(core::Bytes{5, 12, 0}).has_value());  // contact_mismatch
  EXPECT_TRUE(decode_auth_message(core::Bytes{5, 13, 0}).has_value());  // rotation_refused
  EXPECT_NE(decode_error({5, 9, 1, '\n'}).find("control character"), std::string::npos);
  core::Bytes at_limit = encode(Reject{AuthFailure::bad_signature, std::string(256, 'd')});
  EXPECT_TRUE(decode_auth_message(at_limit).has_value());
  core::Bytes over_limit{5, 6, 0x41, 0x01};  // length 257
  over_limit.resize(over_limit.size() + 257, 'd');
  EXPECT_NE(decode_error(over_limit).find("longer than its limit"), std::string::npos);
}

TEST(AuthMessage, FailureNamesAreDistinctSnakeCase) {
  std::vector<std::string_view> names;
  for (std::uint8_t code = 1; code <= 12; ++code) {
    names.push_back(auth_failure_name(static_cast<AuthFailure>(code)));
    EXPECT_NE(names.back(), "unknown");
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
  EXPECT_EQ(auth_failure_name(AuthFailure::duplicate_name_self), "duplicate_name_self");
  EXPECT_EQ(auth_failure_name(AuthFailure::contact_mismatch), "contact_mismatch");
  EXPECT_EQ(auth_failure_name(AuthFailure::rotation_refused), "rotation_refused");
}

template <std::size_t N>
std::array<std::uint8_t, N> gen_array() {
  const auto bytes =
      *rc::gen::container<std::vector<std::uint8_t>>(N, rc::gen::arbitrary<std::uint8_t>());
  std::array<std::uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

std::string gen_name() {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
  const auto size = *rc::gen::inRange<std::size_t>(1, kMaxNameSize + 1);
  auto name = *rc::gen::container<std::string>(size, rc::gen::elementOf(std::string(kAlphabet)));
  RC_PRE(is_valid_name(name));
  return name;
}

std::optional<RotationRecord> gen_rotation() {
  if (!*rc::gen::arbitrary<bool>()) return std::nullopt;
  return RotationRecord{kRotationRecordVersion,
                        gen_name(),
                        gen_name(),
                        gen_array<32>(),
                        gen_array<32>(),
                        *rc::gen::arbitrary<std::uint64_t>(),
                        *rc::gen::arbitrary<std::uint64_t>(),
                        gen_array<64>(),
                        gen_array<64>()};
}

AuthMessage gen_message() {
  switch (*rc::gen::inRange(0, 5)) {
    case 0:
      return Hello{*rc::gen::arbitrary<std::uint8_t>(), gen_name(),    gen_name(), gen_array<32>(),
                   *rc::gen::arbitrary<bool>(),         gen_rotation()};
    case 1: return Challenge{gen_array<32>(), *rc::gen::arbitrary<std::uint64_t>()};
    case 2: return Response{gen_array<64>(), gen_array<32>()};
    case 3: return Ok{};
    default: {
      const auto reason = *rc::gen::inRange<std::uint8_t>(1, 14);
      const auto size = *rc::gen::inRange<std::size_t>(0, kMaxRejectDetailSize + 1);
      auto detail = *rc::gen::container<std::string>(size, rc::gen::inRange<char>(0x20, 0x7f));
      return Reject{static_cast<AuthFailure>(reason), detail};
    }
  }
}

TEST(AuthMessageProperty, DecodeOfEncodeIsIdentity) {
  EXPECT_TRUE(rc::check("decode(encode(m)) == m", [] {
    const AuthMessage message = gen_message();
    const core::Bytes bytes = encode(message);
    auto decoded = decode_auth_message(bytes);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == message);
    RC_ASSERT(encode(*decoded) == bytes);
  }));
}

}  // namespace
}  // namespace barrel_p2p::wire
