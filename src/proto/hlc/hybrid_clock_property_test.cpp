// RapidCheck properties of the hybrid logical clock (SPEC §2.10): monotonic whatever the
// physical time does, adopted updates exceed both inputs, and the encoding round-trips.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "proto/hlc/hybrid_clock.hpp"

namespace barrel_p2p::hlc {
namespace {

// A random walk of physical time: steps forward and back, sometimes far back (a wall clock
// reset), mixed with local events and remote stamps near or far from the local time.
TEST(HybridClockProperty, StampsStrictlyIncreaseWhenTheWallClockStepsBack) {
  EXPECT_TRUE(rc::check(
      [](const std::vector<std::int32_t>& steps, const std::vector<std::uint32_t>& remote_offsets) {
        HybridClock clock(Config{std::chrono::seconds(5)});
        std::int64_t physical = 1'700'000'000'000;
        Timestamp previous = clock.last();
        std::size_t next_remote = 0;
        for (std::int32_t step : steps) {
          physical += step % 100'000;  // up to 100 s either way
          Timestamp stamp;
          if (step % 3 == 0 && next_remote < remote_offsets.size()) {
            const std::uint32_t offset = remote_offsets[next_remote++];
            const Timestamp remote{static_cast<std::uint64_t>(physical) + offset % 20'000 - 10'000,
                                   offset};
            stamp = clock.update(remote, core::WallTime{physical}).stamp;
          } else {
            stamp = clock.now(core::WallTime{physical});
          }
          RC_ASSERT(stamp > previous);
          RC_ASSERT(stamp == clock.last());
          previous = stamp;
        }
      }));
}

TEST(HybridClockProperty, AdoptedUpdateIsGreaterThanBothInputs) {
  EXPECT_TRUE(
      rc::check([](std::uint32_t local_ms, std::uint32_t local_logical, std::uint32_t remote_ms,
                   std::uint32_t remote_logical, std::uint32_t physical_ms) {
        HybridClock clock(Config{std::chrono::hours(24)});
        // Bring the clock to an arbitrary local stamp first. Remote stamps reach up to 2^32 ms
        // (about 50 days) ahead, so both sides of the 1-day skew bound occur.
        const auto base = std::uint64_t{1} << 40U;
        clock.update(Timestamp{base + local_ms, local_logical}, core::WallTime{1LL << 41});
        const Timestamp before = clock.last();
        const Timestamp remote{base + remote_ms, remote_logical};
        const UpdateResult result =
            clock.update(remote, core::WallTime{static_cast<std::int64_t>(base + physical_ms)});
        const std::uint64_t day_ms = 86'400'000;
        RC_ASSERT(result.adopted == (remote.wall_ms <= base + physical_ms + day_ms));
        RC_ASSERT(result.stamp > before);
        if (result.adopted) RC_ASSERT(result.stamp > remote);
        RC_ASSERT(result.stamp.wall_ms >= base + physical_ms);
      }));
}

TEST(HybridClockProperty, SkewAloneDecidesAdoption) {
  EXPECT_TRUE(rc::check([](std::uint32_t physical_ms, std::uint32_t ahead_ms) {
    HybridClock clock(Config{std::chrono::seconds(10)});
    const Timestamp remote{std::uint64_t{physical_ms} + ahead_ms, 0};
    const UpdateResult result = clock.update(remote, core::WallTime{physical_ms});
    RC_ASSERT(result.adopted == (ahead_ms <= 10'000));
    RC_ASSERT(clock.stats().skew_rejections == (result.adopted ? 0U : 1U));
    if (!result.adopted) RC_ASSERT(result.stamp.wall_ms == physical_ms);
  }));
}

TEST(HlcTimestampProperty, EncodingRoundTripsAndPreservesOrder) {
  EXPECT_TRUE(rc::check([](std::uint64_t wall_a, std::uint32_t logical_a, std::uint64_t wall_b,
                           std::uint32_t logical_b) {
    const Timestamp a{wall_a, logical_a};
    const Timestamp b{wall_b, logical_b};
    const auto bytes_a = encode(a);
    const auto bytes_b = encode(b);
    auto decoded = decode(bytes_a);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == a);
    // Big-endian: byte order is timestamp order (usable as a sort key).
    RC_ASSERT((bytes_a < bytes_b) == (a < b));
    core::Bytes written;
    core::ByteWriter writer(written);
    write_timestamp(writer, a);
    RC_ASSERT(std::equal(written.begin(), written.end(), bytes_a.begin(), bytes_a.end()));
  }));
}

TEST(HlcTimestampProperty, DecodeRejectsEveryOtherSize) {
  EXPECT_TRUE(rc::check([](const std::vector<std::uint8_t>& bytes) {
    auto decoded = decode(bytes);
    RC_ASSERT(decoded.has_value() == (bytes.size() == kEncodedSize));
    if (!decoded) RC_ASSERT(decoded.error().code == Errc::protocol);
  }));
}

}  // namespace
}  // namespace barrel_p2p::hlc
