#include "wire/path_message.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <string>
#include <utility>
#include <vector>

namespace barrel_p2p::wire {
namespace {

// `type`, then the length bytes as given, then `size` bytes of text.
core::Bytes with_text(std::uint8_t type, const core::Bytes& length, std::size_t size) {
  core::Bytes out;
  out.reserve(1 + length.size() + size);
  out.push_back(type);
  for (const std::uint8_t byte : length) out.push_back(byte);
  out.resize(out.size() + size, 'a');
  return out;
}

TEST(PathMessage, EveryTypeRoundTrips) {
  for (const PathMessage& message : {
           PathMessage{PathMessageType::move, "10.0.0.2:4000"},
           PathMessage{PathMessageType::move, "a"},
           PathMessage{PathMessageType::move, std::string(kMaxPathAddressSize, 'a')},
           PathMessage{PathMessageType::moved, ""},
           PathMessage{PathMessageType::refused, ""},
           PathMessage{PathMessageType::refused, "address unreachable"},
           PathMessage{PathMessageType::unable, "the new path failed validation"},
           PathMessage{PathMessageType::refused, std::string(kMaxPathReasonSize, '\xff')},
       }) {
    const core::Bytes bytes = encode_path_message(message);
    EXPECT_LE(bytes.size(), kMaxPathMessageSize);
    auto decoded = decode_path_message(bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(*decoded, message);
  }
}

TEST(PathMessage, ExactEncodings) {
  EXPECT_EQ(encode_path_message({PathMessageType::move, "[::1]:4000"}),
            (core::Bytes{1, 10, '[', ':', ':', '1', ']', ':', '4', '0', '0', '0'}));
  EXPECT_EQ(encode_path_message({PathMessageType::moved, ""}), (core::Bytes{2, 0}));
  EXPECT_EQ(encode_path_message({PathMessageType::refused, "no"}), (core::Bytes{3, 2, 'n', 'o'}));
  EXPECT_EQ(encode_path_message({PathMessageType::unable, "no"}), (core::Bytes{4, 2, 'n', 'o'}));
  // The longest reason takes a two-byte length: the largest message.
  const core::Bytes longest =
      encode_path_message({PathMessageType::refused, std::string(kMaxPathReasonSize, 'a')});
  EXPECT_EQ(longest, with_text(3, {0x41, 0x00}, kMaxPathReasonSize));
  EXPECT_EQ(longest.size(), kMaxPathMessageSize);
}

TEST(PathMessage, EncoderCutsAnOverLongReasonAndDropsMovedTextSoTheResultDecodes) {
  const core::Bytes refused =
      encode_path_message({PathMessageType::refused, std::string(kMaxPathReasonSize + 9, 'r')});
  EXPECT_EQ(refused.size(), kMaxPathMessageSize);
  auto decoded = decode_path_message(refused);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded->text, std::string(kMaxPathReasonSize, 'r'));

  const core::Bytes moved = encode_path_message({PathMessageType::moved, "ignored"});
  EXPECT_EQ(moved, (core::Bytes{2, 0}));
}

TEST(PathMessage, RejectsHostileBytes) {
  core::Bytes trailing = encode_path_message({PathMessageType::move, "10.0.0.2:4000"});
  trailing.push_back(0);
  const std::vector<std::pair<core::Bytes, std::string>> cases = {
      {{}, "empty"},
      {core::Bytes(kMaxPathMessageSize + 1, 3), "larger than its limit"},
      {{0, 0}, "unknown type 0"},
      {{5, 0}, "unknown type 5"},
      {{0xff}, "unknown type 255"},
      {{1, 0}, "empty address"},
      {with_text(1, {static_cast<std::uint8_t>(kMaxPathAddressSize + 1)}, kMaxPathAddressSize + 1),
       "field longer than its limit"},
      {{2, 1, 'x'}, "field longer than its limit"},                    // MOVED carries no text
      {with_text(3, {0x41, 0x01}, 0), "field longer than its limit"},  // reason of 257
      {with_text(4, {0x41, 0x01}, 0), "field longer than its limit"},
      {{3, 0x40, 0x00}, "non-minimal varint"},
      {{1, 0x40, 0x01, 'a'}, "non-minimal varint"},
      {{1}, "truncated input"},
      {{1, 5, 'a', 'b'}, "truncated input"},
      {{3, 0x41}, "truncated input"},
      {trailing, "trailing bytes"},
      {{2, 0, 0}, "trailing bytes"},
  };
  for (const auto& [bytes, reason] : cases) {
    auto decoded = decode_path_message(bytes);
    ASSERT_FALSE(decoded.has_value()) << reason;
    EXPECT_EQ(decoded.error().code, Errc::protocol);
    EXPECT_NE(decoded.error().message.find("path message: " + reason), std::string::npos)
        << decoded.error().message;
  }
}

TEST(PathMessage, TypeNames) {
  EXPECT_EQ(path_message_type_name(PathMessageType::move), "move");
  EXPECT_EQ(path_message_type_name(PathMessageType::moved), "moved");
  EXPECT_EQ(path_message_type_name(PathMessageType::refused), "refused");
  EXPECT_EQ(path_message_type_name(PathMessageType::unable), "unable");
  EXPECT_EQ(path_message_type_name(static_cast<PathMessageType>(9)), "unknown");
}

PathMessage gen_path_message() {
  switch (*rc::gen::inRange(0, 3)) {
    case 0: {
      const auto size = *rc::gen::inRange<std::size_t>(1, kMaxPathAddressSize + 1);
      return {PathMessageType::move,
              *rc::gen::container<std::string>(size, rc::gen::arbitrary<char>())};
    }
    case 1: return {PathMessageType::moved, ""};
    default: {
      const auto size = *rc::gen::inRange<std::size_t>(0, kMaxPathReasonSize + 1);
      return {*rc::gen::element(PathMessageType::refused, PathMessageType::unable),
              *rc::gen::container<std::string>(size, rc::gen::arbitrary<char>())};
    }
  }
}

TEST(PathMessageProperty, DecodeOfEncodeIsIdentity) {
  EXPECT_TRUE(rc::check("decode(encode(m)) == m", [] {
    const PathMessage message = gen_path_message();
    const core::Bytes bytes = encode_path_message(message);
    RC_ASSERT(bytes.size() <= kMaxPathMessageSize);
    auto decoded = decode_path_message(bytes);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == message);
    RC_ASSERT(encode_path_message(*decoded) == bytes);
  }));
}

}  // namespace
}  // namespace barrel_p2p::wire
