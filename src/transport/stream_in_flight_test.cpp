#include "transport/stream_in_flight.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::transport {
namespace {

constexpr std::uint64_t kMs = 1'000'000;  // nanoseconds

TEST(StreamInFlight, WithoutAnEstimateTwoPacketsMayFly) {
  EXPECT_EQ(app_stream_in_flight_limit(0, 5 * kMs, 1452), 2U * 1452);
  EXPECT_EQ(app_stream_in_flight_limit(1'000'000, UINT64_MAX, 1452), 2U * 1452);
  // A packet size below QUIC's minimum counts as the minimum.
  EXPECT_EQ(app_stream_in_flight_limit(0, 5 * kMs, 100), 2U * 1200);
}

TEST(StreamInFlight, TwiceTheBandwidthDelayProductAboveTheFloor) {
  // 100 MB/s over a 10 ms minimum RTT: 1 MB in the pipe, 2 MB allowed.
  EXPECT_EQ(app_stream_in_flight_limit(100'000'000, 10 * kMs, 1452), 2'000'000U);
  // 1 GB/s over 10 µs (loopback): 10 kB, twice that below two 16 KiB packets.
  EXPECT_EQ(app_stream_in_flight_limit(1'000'000'000, 10'000, kLatencyPacketBytes),
            2U * kLatencyPacketBytes);
}

TEST(StreamInFlight, ExtremeEstimatesNeitherOverflowNorWrap) {
  const std::uint64_t huge_rate = UINT64_MAX / 4;
  // The RTT is capped at 10 s: the result is 2 × rate × 10 s without wrapping below the rate.
  const std::uint64_t limit = app_stream_in_flight_limit(1'000'000'000'000, UINT64_MAX - 1, 1452);
  EXPECT_EQ(limit, 2U * 1'000'000'000'000U * 10U);
  EXPECT_GE(app_stream_in_flight_limit(huge_rate, 1, 1452), 2U * 1452);
}

TEST(StreamInFlight, TheLatencyWindowIsAtLeast100MsAndEightRtts) {
  EXPECT_EQ(latency_window(0), core::Duration(100 * kMs));
  EXPECT_EQ(latency_window(5 * kMs), core::Duration(100 * kMs));
  EXPECT_EQ(latency_window(50 * kMs), core::Duration(400 * kMs));
  EXPECT_EQ(latency_window(UINT64_MAX), core::Duration(80'000 * kMs));  // RTT capped at 10 s
}

}  // namespace
}  // namespace barrel_p2p::transport
