// The application's broadcast subscribers and membership handlers of one node. Registered and
// cancelled from any thread; called on the node's loop thread after its Engine's turn.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "barrel_p2p/membership.hpp"
#include "barrel_p2p/subscription.hpp"

namespace barrel_p2p::runtime {

class Subscriptions final : public detail::SubscriptionOwner {
 public:
  using BroadcastHandler = std::function<void(const BroadcastMessage&)>;
  using MembershipHandler = std::function<void(const MembershipEvent&)>;

  /// Most callbacks registered at once (subscribe fails with limit_reached beyond it).
  static constexpr std::size_t kLimit = 65'536;

  /// Registers `handler` for broadcasts under `tag`; returns its id, or 0 at kLimit.
  std::uint64_t add_broadcast(const std::string& tag, BroadcastHandler handler);
  /// Registers `handler` for membership events; returns its id, or 0 at kLimit.
  std::uint64_t add_membership(MembershipHandler handler);
  void unsubscribe(std::uint64_t id) override;

  /// Calls every subscriber of `message.tag` (a snapshot: callbacks may (un)subscribe).
  void deliver(const BroadcastMessage& message) const;
  /// Calls every membership handler (a snapshot).
  void deliver(const MembershipEvent& event) const;
  /// Callbacks registered now.
  [[nodiscard]] std::size_t size() const;

 private:
  // A registered callback; `active` goes false at cancel, so a snapshot skips it.
  template <typename H>
  struct Entry {
    std::string tag;
    H handler;
    std::atomic<bool> active{true};
  };
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Entry<BroadcastHandler>>> broadcast_;
  std::map<std::uint64_t, std::shared_ptr<Entry<MembershipHandler>>> membership_;
};

}  // namespace barrel_p2p::runtime
