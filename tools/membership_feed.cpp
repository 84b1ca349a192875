#include "membership_feed.hpp"

#include <type_traits>

namespace barrel_p2p::cli {

std::string event_type_name(const MembershipEvent& event) {
  return std::visit(
      [](const auto& value) -> std::string {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, NeighborUp>) return "neighbor_up";
        if constexpr (std::is_same_v<T, NeighborDown>) return "neighbor_down";
        if constexpr (std::is_same_v<T, Joined>) return "joined";
        if constexpr (std::is_same_v<T, Left>) return "left";
        if constexpr (std::is_same_v<T, PartitionSuspected>) return "partition_suspected";
        if constexpr (std::is_same_v<T, PartitionHealed>) return "partition_healed";
      },
      event);
}

void MembershipFeed::publish(MembershipEvent event) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto unix_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  std::string type = event_type_name(event);
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (events_.size() == kMembershipFeedCapacity) events_.pop_front();
    events_.push_back(FeedEvent{++last_id_, unix_time_ms, std::move(event)});
    ++counts_[std::move(type)];
  }
  changed_.notify_all();
}

FeedBatch MembershipFeed::wait_after(std::uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return closed_ || last_id_ > after; });
  FeedBatch batch;
  batch.closed = closed_;
  if (events_.empty() || last_id_ <= after) return batch;
  const std::uint64_t first = events_.front().id;
  if (after + 1 < first && after != 0) batch.missed = first - after - 1;
  for (const auto& event : events_) {
    if (event.id > after) batch.events.push_back(event);
  }
  return batch;
}

std::uint64_t MembershipFeed::last_id() const {
  std::lock_guard lock(mutex_);
  return last_id_;
}

std::map<std::string, std::uint64_t> MembershipFeed::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

void MembershipFeed::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

}  // namespace barrel_p2p::cli
