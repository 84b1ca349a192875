#include "runtime/system_clock.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::runtime {
namespace {

TEST(SystemClock, MonotonicNowNeverGoesBackwards) {
  const SystemClock clock;
  core::Instant previous = clock.now();
  for (int i = 0; i < 1'000; ++i) {
    const core::Instant current = clock.now();
    ASSERT_GE(current, previous);
    previous = current;
  }
}

TEST(SystemClock, WallTimeIsAfter2024) {
  const SystemClock clock;
  EXPECT_GT(clock.wall_now().unix_millis, 1'704'067'200'000);  // 2024-01-01T00:00:00Z
}

TEST(SystemClock, UsableThroughTheCoreInterface) {
  const SystemClock system;
  const core::Clock& clock = system;
  EXPECT_GT(clock.now().nanos(), 0);
}

}  // namespace
}  // namespace barrel_p2p::runtime
