#include "wire/link_frame.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <vector>

namespace barrel_p2p::wire {
namespace {

core::Bytes frame_bytes(FrameType type, const core::Bytes& payload) {
  core::Bytes out;
  encode_frame(out, type, payload);
  return out;
}

std::vector<Frame> drain(FrameDecoder& decoder) {
  std::vector<Frame> frames;
  while (auto frame = decoder.next()) frames.push_back(std::move(*frame));
  return frames;
}

TEST(LinkFrame, HeaderIsTwoMinimalVarints) {
  core::Bytes out;
  encode_frame_header(out, FrameType::data, 300);
  EXPECT_EQ(out, (core::Bytes{0x03, 0x41, 0x2c}));
}

TEST(LinkFrame, OneShotRoundTrip) {
  const core::Bytes payload{1, 2, 3};
  auto frame = decode_frame(frame_bytes(FrameType::goodbye, payload), 16);
  ASSERT_TRUE(frame.has_value()) << frame.error().message;
  EXPECT_EQ(frame->type, FrameType::goodbye);
  EXPECT_EQ(frame->payload, payload);
  auto empty = decode_frame(frame_bytes(FrameType::auth, {}), 0);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->payload.empty());
}

TEST(LinkFrame, OneShotRejectsTruncatedTrailingUnknownOversizeNonMinimal) {
  core::Bytes whole = frame_bytes(FrameType::data, {1, 2, 3});
  core::Bytes truncated(whole.begin(), whole.end() - 1);
  core::Bytes trailing = whole;
  trailing.push_back(0);
  const std::vector<std::pair<core::Bytes, std::string>> cases = {
      {{}, "truncated"},
      {truncated, "truncated"},
      {trailing, "trailing bytes"},
      {{0x0b, 0x00}, "unknown frame type 11"},
      {{0x00, 0x00}, "unknown frame type 0"},
      {{0x40, 0x01, 0x00}, "non-minimal varint in frame type"},
      {{0x01, 0x40, 0x00}, "non-minimal varint in payload length"},
      {{0x01, 0x11}, "payload length 17 exceeds the limit 16"},
  };
  for (const auto& [bytes, reason] : cases) {
    auto frame = decode_frame(bytes, 16);
    ASSERT_FALSE(frame.has_value()) << reason;
    EXPECT_EQ(frame.error().code, Errc::protocol);
    EXPECT_NE(frame.error().message.find(reason), std::string::npos) << frame.error().message;
  }
}

TEST(LinkFrame, DecoderYieldsFramesFedByteByByte) {
  core::Bytes stream = frame_bytes(FrameType::auth, {9, 8});
  core::Bytes second = frame_bytes(FrameType::control, core::Bytes(200, 7));
  stream.insert(stream.end(), second.begin(), second.end());
  FrameDecoder decoder(1024);
  std::vector<Frame> frames;
  for (std::uint8_t byte : stream) {
    ASSERT_TRUE(decoder.push(core::ByteView(&byte, 1)).has_value());
    for (auto& frame : drain(decoder)) frames.push_back(std::move(frame));
  }
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0], (Frame{FrameType::auth, {9, 8}}));
  EXPECT_EQ(frames[1], (Frame{FrameType::control, core::Bytes(200, 7)}));
  EXPECT_EQ(decoder.buffered(), 0U);
}

TEST(LinkFrame, OversizeLengthFailsOnPushBeforeThePayloadArrives) {
  FrameDecoder decoder(100);
  core::Bytes good = frame_bytes(FrameType::data, {1});
  ASSERT_TRUE(decoder.push(good).has_value());
  core::Bytes header;
  encode_frame_header(header, FrameType::data, 101);
  auto pushed = decoder.push(header);
  ASSERT_FALSE(pushed.has_value());
  EXPECT_EQ(pushed.error().code, Errc::protocol);
  EXPECT_NE(pushed.error().message.find("exceeds the limit 100"), std::string::npos);
  // Failed for good: no frame comes out, and later pushes repeat the error.
  EXPECT_TRUE(decoder.has_failed());
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_FALSE(decoder.push(good).has_value());
  EXPECT_EQ(decoder.error().message, pushed.error().message);
}

TEST(LinkFrame, UnknownTypeFailsAsSoonAsTheTypeByteArrives) {
  FrameDecoder decoder(100);
  const std::uint8_t type = 0x0b;
  auto pushed = decoder.push(core::ByteView(&type, 1));
  ASSERT_FALSE(pushed.has_value());
  EXPECT_NE(pushed.error().message.find("unknown frame type 11"), std::string::npos);
}

TEST(LinkFrame, IncompleteFrameWaitsAndIsBounded) {
  FrameDecoder decoder(1000);
  core::Bytes whole = frame_bytes(FrameType::data, core::Bytes(1000, 1));
  ASSERT_TRUE(decoder.push(core::ByteView(whole).first(whole.size() - 1)).has_value());
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_LE(decoder.buffered(), kMaxFrameHeaderSize + decoder.max_payload());
  ASSERT_TRUE(decoder.push(core::ByteView(whole).last(1)).has_value());
  auto frame = decoder.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->payload.size(), 1000U);
}

TEST(LinkFrame, ManySmallFramesInOddChunksAreLinear) {
  // 200k frames pushed in 7-byte chunks: quadratic erasing would take minutes.
  constexpr std::size_t kFrames = 200000;
  core::Bytes stream;
  for (std::size_t i = 0; i < kFrames; ++i) {
    encode_frame(stream, FrameType::data, core::Bytes{static_cast<std::uint8_t>(i)});
  }
  FrameDecoder decoder(16);
  std::size_t count = 0;
  for (std::size_t offset = 0; offset < stream.size(); offset += 7) {
    const std::size_t size = std::min<std::size_t>(7, stream.size() - offset);
    ASSERT_TRUE(decoder.push(core::ByteView(stream).subspan(offset, size)).has_value());
    while (auto frame = decoder.next()) {
      ASSERT_EQ(frame->payload, core::Bytes{static_cast<std::uint8_t>(count)});
      ++count;
    }
  }
  EXPECT_EQ(count, kFrames);
  EXPECT_EQ(decoder.buffered(), 0U);
}

TEST(LinkFrame, UndrainedFramesBehindABadHeaderStillFailThePush) {
  core::Bytes stream = frame_bytes(FrameType::data, {1});
  stream.push_back(0x0b);  // not a frame type
  FrameDecoder decoder(16);
  EXPECT_FALSE(decoder.push(stream).has_value());
}

TEST(LinkFrame, TypeNames) {
  EXPECT_EQ(frame_type_name(FrameType::auth), "auth");
  EXPECT_EQ(frame_type_name(FrameType::control), "control");
  EXPECT_EQ(frame_type_name(FrameType::data), "data");
  EXPECT_EQ(frame_type_name(FrameType::goodbye), "goodbye");
  EXPECT_EQ(frame_type_name(FrameType::views), "views");
  EXPECT_TRUE(is_control_stream_frame(FrameType::views));
  EXPECT_EQ(frame_type_name(FrameType::path), "path");
  EXPECT_TRUE(is_control_stream_frame(FrameType::path));
}

rc::Gen<Frame> gen_frame() {
  return rc::gen::build<Frame>(
      rc::gen::set(&Frame::type, rc::gen::element(FrameType::auth, FrameType::control,
                                                  FrameType::data, FrameType::goodbye)),
      rc::gen::set(&Frame::payload,
                   rc::gen::resize(300, rc::gen::arbitrary<std::vector<std::uint8_t>>())));
}

TEST(LinkFrameProperty, AnySplitOfAStreamYieldsTheSameFrames) {
  EXPECT_TRUE(rc::check("chunking does not change the decoded frames", [] {
    const auto frames = *rc::gen::container<std::vector<Frame>>(gen_frame());
    core::Bytes stream;
    for (const Frame& frame : frames) encode_frame(stream, frame.type, frame.payload);
    FrameDecoder decoder(1024);
    std::vector<Frame> decoded;
    std::size_t offset = 0;
    while (offset < stream.size()) {
      const auto size = *rc::gen::inRange<std::size_t>(1, stream.size() - offset + 1);
      RC_ASSERT(decoder.push(core::ByteView(stream).subspan(offset, size)).has_value());
      offset += size;
      if (*rc::gen::arbitrary<bool>()) {
        for (auto& frame : drain(decoder)) decoded.push_back(std::move(frame));
      }
    }
    for (auto& frame : drain(decoder)) decoded.push_back(std::move(frame));
    RC_ASSERT(decoded == frames);
    RC_ASSERT(decoder.buffered() == 0U);
  }));
}

}  // namespace
}  // namespace barrel_p2p::wire
