#include "runtime/system_clock.hpp"

#include <algorithm>
#include <ctime>

namespace barrel_p2p::runtime {

core::Instant SystemClock::now() const {
  timespec time{};
  ::clock_gettime(CLOCK_MONOTONIC, &time);
  // Per thread, so reading the clock writes nothing shared.
  thread_local std::int64_t latest = 0;
  latest = std::max(latest, std::int64_t{time.tv_sec} * 1'000'000'000 + time.tv_nsec);
  return core::Instant::from_nanos(latest);
}

core::WallTime SystemClock::wall_now() const {
  timespec time{};
  ::clock_gettime(CLOCK_REALTIME, &time);
  return core::WallTime{std::int64_t{time.tv_sec} * 1'000 + time.tv_nsec / 1'000'000};
}

}  // namespace barrel_p2p::runtime
