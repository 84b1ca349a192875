// Unit tests of the hybrid logical clock and its 12-byte timestamp encoding.
#include "proto/hlc/hybrid_clock.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace barrel_p2p::hlc {
namespace {

using namespace std::chrono_literals;

core::WallTime at(std::int64_t ms) { return core::WallTime{ms}; }

TEST(HybridClock, NowFollowsPhysicalTimeAndCountsWithinAMillisecond) {
  HybridClock clock;
  EXPECT_TRUE(clock.last().is_zero());
  EXPECT_EQ(clock.now(at(1000)), (Timestamp{1000, 0}));
  EXPECT_EQ(clock.now(at(1000)), (Timestamp{1000, 1}));
  EXPECT_EQ(clock.now(at(1001)), (Timestamp{1001, 0}));
  EXPECT_EQ(clock.stats().ticks, 3U);
}

TEST(HybridClock, WallClockSteppingBackKeepsStampsIncreasing) {
  HybridClock clock;
  EXPECT_EQ(clock.now(at(5000)), (Timestamp{5000, 0}));
  EXPECT_EQ(clock.now(at(4000)), (Timestamp{5000, 1}));
  EXPECT_EQ(clock.now(at(-7)), (Timestamp{5000, 2}));  // negative physical time counts as 0
  EXPECT_EQ(clock.now(at(5001)), (Timestamp{5001, 0}));
}

TEST(HybridClock, UpdateAdoptsARemoteStampAheadWithinTheSkew) {
  HybridClock clock(Config{10s});
  clock.now(at(1000));
  const UpdateResult result = clock.update(Timestamp{3000, 7}, at(1000));
  EXPECT_TRUE(result.adopted);
  EXPECT_EQ(result.stamp, (Timestamp{3000, 8}));
  // The same millisecond on both sides: max of the counters plus one.
  EXPECT_EQ(clock.update(Timestamp{3000, 20}, at(1000)).stamp, (Timestamp{3000, 21}));
  // A remote stamp behind: local counter plus one.
  EXPECT_EQ(clock.update(Timestamp{10, 99}, at(1000)).stamp, (Timestamp{3000, 22}));
  // Physical time ahead of both: counter restarts.
  EXPECT_EQ(clock.update(Timestamp{10, 99}, at(4000)).stamp, (Timestamp{4000, 0}));
  EXPECT_EQ(clock.stats().updates, 4U);
  EXPECT_EQ(clock.stats().skew_rejections, 0U);
}

TEST(HybridClock, RemoteStampBeyondTheMaximumSkewIsCountedAndNotAdopted) {
  HybridClock clock(Config{10s});
  // Exactly max_skew ahead is still adopted.
  EXPECT_TRUE(clock.update(Timestamp{11'000, 0}, at(1000)).adopted);
  const UpdateResult result = clock.update(Timestamp{21'002, 0}, at(11'001));
  EXPECT_FALSE(result.adopted);
  EXPECT_EQ(result.stamp, (Timestamp{11'001, 0}));  // a local event at the physical time
  EXPECT_EQ(clock.stats().skew_rejections, 1U);
  const UpdateResult far = clock.update(Timestamp{std::numeric_limits<std::uint64_t>::max(),
                                                  std::numeric_limits<std::uint32_t>::max()},
                                        at(11'001));
  EXPECT_FALSE(far.adopted);
  EXPECT_EQ(far.stamp, (Timestamp{11'001, 1}));
  EXPECT_EQ(clock.stats().skew_rejections, 2U);
}

TEST(HybridClock, LogicalOverflowMovesWallTimeForward) {
  HybridClock clock(Config{10s});
  const auto top = std::numeric_limits<std::uint32_t>::max();
  EXPECT_EQ(clock.update(Timestamp{500, top - 1}, at(500)).stamp, (Timestamp{500, top}));
  EXPECT_EQ(clock.stats().logical_overflows, 0U);
  EXPECT_EQ(clock.now(at(500)), (Timestamp{501, 0}));
  EXPECT_EQ(clock.stats().logical_overflows, 1U);
  // An adopted remote stamp at the top of its counter overflows the same way.
  const UpdateResult result = clock.update(Timestamp{900, top}, at(500));
  EXPECT_TRUE(result.adopted);
  EXPECT_EQ(result.stamp, (Timestamp{901, 0}));
  EXPECT_EQ(clock.stats().logical_overflows, 2U);
}

TEST(HybridClock, ConfigValidationNamesTheKey) {
  EXPECT_TRUE(Config{}.validate().has_value());
  const auto zero = Config{0ms}.validate();
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().code, Errc::invalid_argument);
  EXPECT_NE(zero.error().message.find("max_skew"), std::string::npos);
  EXPECT_FALSE(Config{std::chrono::hours(25)}.validate().has_value());
}

TEST(HlcTimestamp, EncodingIsTwelveBigEndianBytes) {
  const auto bytes = encode(Timestamp{0x0102030405060708ULL, 0x090a0b0cU});
  const std::array<std::uint8_t, 12> expected{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(bytes, expected);
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, (Timestamp{0x0102030405060708ULL, 0x090a0b0cU}));
}

TEST(HlcTimestamp, DecodeRejectsWrongSizes) {
  const core::Bytes bytes(13, 0xff);
  for (std::size_t size : {0, 1, 11, 13}) {
    auto decoded = decode(core::ByteView(bytes.data(), size));
    ASSERT_FALSE(decoded.has_value()) << size;
    EXPECT_EQ(decoded.error().code, Errc::protocol);
    EXPECT_NE(decoded.error().message.find("expected 12 bytes"), std::string::npos);
  }
}

TEST(HlcTimestamp, CompareOrdersWallTimeFirst) {
  EXPECT_EQ(compare(Timestamp{1, 9}, Timestamp{2, 0}), std::strong_ordering::less);
  EXPECT_EQ(compare(Timestamp{2, 1}, Timestamp{2, 0}), std::strong_ordering::greater);
  EXPECT_EQ(compare(Timestamp{2, 1}, Timestamp{2, 1}), std::strong_ordering::equal);
  EXPECT_TRUE(Timestamp{}.is_zero());
  EXPECT_FALSE((Timestamp{0, 1}).is_zero());
}

}  // namespace
}  // namespace barrel_p2p::hlc
