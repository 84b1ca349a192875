#include "runtime/os_rng.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace barrel_p2p::runtime {
namespace {

TEST(OsRng, FillsDistinctBuffers) {
  OsRng rng;
  std::array<std::uint8_t, 32> a{};
  std::array<std::uint8_t, 32> b{};
  rng.fill(a);
  rng.fill(b);
  EXPECT_NE(a, b);  // Equal with probability 2^-256.
  EXPECT_NE(a, (std::array<std::uint8_t, 32>{}));
}

TEST(OsRng, NumbersAreDistinctAndInBounds) {
  OsRng first;
  OsRng second;  // A second instance must not re-initialise or repeat the first.
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(first.next_u64());
    seen.insert(second.next_u64());
    EXPECT_LT(first.uniform(10), 10U);
  }
  EXPECT_EQ(seen.size(), 200U);
}

}  // namespace
}  // namespace barrel_p2p::runtime
