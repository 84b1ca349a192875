// The membership events a node emits, kept in a bounded buffer with sequence numbers for the
// admin endpoint's readers (GET /v1/events streams them, /metrics counts them). The node's
// loop thread publishes; HTTP threads read. A reader that falls behind the buffer learns how
// many events it missed instead of holding the loop back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "barrel_p2p/membership.hpp"

namespace barrel_p2p::cli {

/// Events the feed keeps for readers; older ones are dropped (readers are told how many).
inline constexpr std::size_t kMembershipFeedCapacity = 1024;

/// One published event.
struct FeedEvent {
  std::uint64_t id = 0;           ///< 1 for the first event, then +1 per event
  std::int64_t unix_time_ms = 0;  ///< wall-clock time of publish()
  MembershipEvent event;
};

/// What a reader gets from wait_after().
struct FeedBatch {
  std::vector<FeedEvent> events;  ///< in id order, at most kMembershipFeedCapacity
  std::uint64_t missed = 0;       ///< events after the reader's id already dropped
  bool closed = false;            ///< close() was called: no event will follow
};

/// "neighbor_up", "neighbor_down", "joined", "left", "partition_suspected",
/// "partition_healed".
std::string event_type_name(const MembershipEvent& event);

/// Bounded, thread-safe event buffer. publish() never blocks beyond a short mutex.
class MembershipFeed {
 public:
  /// Appends `event` (dropping the oldest at kMembershipFeedCapacity) and wakes readers.
  /// Called on the node's loop thread: copies the event and returns.
  void publish(MembershipEvent event);
  /// The events after `after` (0: from the oldest kept), waiting up to `timeout` while there
  /// is none and the feed is open.
  FeedBatch wait_after(std::uint64_t after, std::chrono::milliseconds timeout);
  /// The id of the last event published (0: none yet).
  [[nodiscard]] std::uint64_t last_id() const;
  /// Events published since start by type name (event_type_name()).
  [[nodiscard]] std::map<std::string, std::uint64_t> counts() const;
  /// Wakes every reader; wait_after() then returns at once with closed set. Idempotent.
  void close();

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<FeedEvent> events_;  // bounded by kMembershipFeedCapacity
  std::uint64_t last_id_ = 0;
  std::map<std::string, std::uint64_t> counts_;  // at most one entry per event type
  bool closed_ = false;
};

}  // namespace barrel_p2p::cli
