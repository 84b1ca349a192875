#include "core/rng.hpp"

#include <gtest/gtest.h>

#include <array>

namespace barrel_p2p::core {
namespace {

TEST(SeededRng, SameSeedSameSequence) {
  SeededRng a(42);
  SeededRng b(42);
  SeededRng c(43);
  for (int i = 0; i < 100; ++i) {
    const auto value = a.next_u64();
    EXPECT_EQ(value, b.next_u64());
    (void)c;
  }
  EXPECT_NE(SeededRng(42).next_u64(), SeededRng(43).next_u64());
}

TEST(SeededRng, UniformStaysInBoundsAndCoversRange) {
  SeededRng rng(7);
  std::array<int, 6> seen{};
  for (int i = 0; i < 6000; ++i) {
    const auto value = rng.uniform(6);
    ASSERT_LT(value, 6U);
    ++seen[value];
  }
  for (int count : seen) EXPECT_GT(count, 800);
}

TEST(Jittered, StaysWithinHalfToOneAndAHalfOfTheBaseAndSpreads) {
  SeededRng rng(3);
  const Duration base = std::chrono::seconds(1);
  Duration low = base * 2;
  Duration high = Duration(0);
  for (int i = 0; i < 2000; ++i) {
    const Duration value = jittered(rng, base);
    ASSERT_GE(value, base / 2);
    ASSERT_LT(value, base * 3 / 2);
    low = std::min(low, value);
    high = std::max(high, value);
  }
  EXPECT_LT(low, base * 6 / 10);  // reaches near both ends
  EXPECT_GT(high, base * 14 / 10);
  EXPECT_EQ(jittered(rng, Duration(0)), Duration(0));
}

TEST(SeededRng, FillHandlesOddLengths) {
  SeededRng rng(1);
  std::array<std::uint8_t, 13> bytes{};
  rng.fill(bytes);
  int nonzero = 0;
  for (auto byte : bytes) nonzero += byte != 0 ? 1 : 0;
  EXPECT_GT(nonzero, 8);
}

}  // namespace
}  // namespace barrel_p2p::core
