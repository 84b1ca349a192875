#include "runtime/system_clock.hpp"

#include <ctime>

namespace barrel_p2p::runtime {

core::Instant SystemClock::now() const {
  timespec time{};
  ::clock_gettime(CLOCK_MONOTONIC, &time);
  return core::Instant::from_nanos(std::int64_t{time.tv_sec} * 1'000'000'000 + time.tv_nsec);
}

core::WallTime SystemClock::wall_now() const {
  timespec time{};
  ::clock_gettime(CLOCK_REALTIME, &time);
  return core::WallTime{std::int64_t{time.tv_sec} * 1'000 + time.tv_nsec / 1'000'000};
}

}  // namespace barrel_p2p::runtime
