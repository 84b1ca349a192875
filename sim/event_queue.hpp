// The simulator's clock and event queue: events run in (time, scheduling order), so a run is
// a pure function of its seed. Nothing here reads a real clock.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace barrel_p2p::sim {

/// Simulated time and the events due at it. Not thread-safe (one simulation, one thread).
class EventQueue {
 public:
  /// The simulation's start: one second after the epoch of core::Instant.
  static constexpr core::Instant kStart = core::Instant::from_nanos(1'000'000'000);

  [[nodiscard]] core::Instant now() const { return now_; }
  [[nodiscard]] std::uint64_t events_processed() const { return events_; }
  [[nodiscard]] bool empty() const { return queue_.empty(); }

  /// Runs `action` at `at` (at least now); events at the same time run in scheduling order.
  void schedule(core::Instant at, std::function<void()> action) {
    queue_.push(Event{std::max(at, now_), seq_++, std::move(action)});
  }

  /// Runs every event due up to `end`, then sets the clock to `end`. An event may schedule
  /// more; the loop is bounded by simulated time, as every event is at or after the clock.
  void run_until(core::Instant end) {
    while (!queue_.empty() && queue_.top().at <= end) {
      Event event = std::move(const_cast<Event&>(queue_.top()));  // popped right away
      queue_.pop();
      now_ = event.at;
      ++events_;
      event.action();
    }
    now_ = std::max(now_, end);
  }

 private:
  struct Event {
    core::Instant at;
    std::uint64_t seq = 0;
    std::function<void()> action;
    bool operator>(const Event& other) const {
      return at != other.at ? at > other.at : seq > other.seq;
    }
  };

  core::Instant now_ = kStart;
  std::uint64_t seq_ = 0;
  std::uint64_t events_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
};

}  // namespace barrel_p2p::sim
