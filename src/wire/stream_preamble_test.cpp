#include "wire/stream_preamble.hpp"

#include <gtest/gtest.h>

#include <string>

namespace barrel_p2p::wire {
namespace {

core::ByteView view(const core::Bytes& bytes) { return {bytes.data(), bytes.size()}; }

TEST(StreamPreamble, RoundTripsShortAndLongTags) {
  for (const std::string& tag : {std::string("a"), std::string(63, 't'), std::string(64, 'u'),
                                 std::string(kMaxStreamTagSize, 'v')}) {
    const core::Bytes bytes = encode_stream_preamble(tag);
    std::size_t size = 0;
    auto decoded = decode_stream_preamble(view(bytes), size);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(*decoded, tag);
    EXPECT_EQ(size, bytes.size());
  }
}

TEST(StreamPreamble, ByteByByteFeedingCompletesAndLeavesTheDataAlone) {
  core::Bytes bytes = encode_stream_preamble(std::string(100, 'x'));
  const std::size_t preamble = bytes.size();
  bytes.push_back(0xAB);  // application data after the preamble
  StreamPreambleDecoder decoder;
  std::size_t total = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::size_t consumed = 0;
    decoder.feed(core::ByteView(bytes.data() + i, 1), consumed);
    total += consumed;
  }
  EXPECT_EQ(decoder.status(), StreamPreambleDecoder::Status::complete);
  EXPECT_EQ(decoder.tag(), std::string(100, 'x'));
  EXPECT_EQ(total, preamble);
}

TEST(StreamPreamble, RejectsZeroOverLongAndNonMinimalLengths) {
  const core::Bytes zero{0x00};
  const core::Bytes too_long{0x41, 0x00};  // 256
  const core::Bytes non_minimal{0x40, 0x05, 'a', 'b', 'c', 'd', 'e'};
  const core::Bytes four_byte_varint{0x80, 0x00, 0x00, 0x01, 'a'};
  for (const core::Bytes& bytes : {zero, too_long, non_minimal, four_byte_varint}) {
    std::size_t size = 0;
    auto decoded = decode_stream_preamble(view(bytes), size);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().code, Errc::protocol);
  }
}

TEST(StreamPreamble, IncompleteInputIsNotAnErrorForTheDecoder) {
  const core::Bytes bytes = encode_stream_preamble("abcdef");
  StreamPreambleDecoder decoder;
  std::size_t consumed = 0;
  EXPECT_EQ(decoder.feed(core::ByteView(bytes.data(), 3), consumed),
            StreamPreambleDecoder::Status::incomplete);
  EXPECT_EQ(consumed, 3U);
  std::size_t size = 0;
  EXPECT_FALSE(decode_stream_preamble(core::ByteView(bytes.data(), 3), size).has_value());
}

}  // namespace
}  // namespace barrel_p2p::wire
