// The application's broadcast subscribers, membership handlers and service subscribers of one
// node. Registered and
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
#include "barrel_p2p/services.hpp"
#include "barrel_p2p/subscription.hpp"

namespace barrel_p2p::runtime {

class Subscriptions final : public detail::SubscriptionOwner {
 public:
  using BroadcastHandler = std::function<void(const BroadcastMessage&)>;
  using MembershipHandler = std::function<void(const MembershipEvent&)>;
  using ServiceHandler = std::function<void(const ServiceEvent&)>;

  /// Most callbacks registered at once (subscribe fails with limit_reached beyond it).
  static constexpr std::size_t kLimit = 65'536;

  /// Registers `handler` for broadcasts under `tag`; returns its id, or 0 at kLimit.
  std::uint64_t add_broadcast(const std::string& tag, BroadcastHandler handler);
  /// Registers `handler` for membership events; returns its id, or 0 at kLimit.
  std::uint64_t add_membership(MembershipHandler handler);
  /// Registers `handler` for service events that pass `filter`; returns its id, or 0 at kLimit.
  std::uint64_t add_services(ServiceFilter filter, ServiceHandler handler);
  void unsubscribe(std::uint64_t id) override;

  /// Calls every subscriber of `message.tag` (a snapshot: callbacks may (un)subscribe).
  void deliver(const BroadcastMessage& message) const;
  /// Calls every membership handler (a snapshot).
  void deliver(const MembershipEvent& event) const;
  /// Calls every service subscriber whose filter passes the event's name (a snapshot).
  void deliver(const ServiceEvent& event) const;
  /// Callbacks registered now.
  [[nodiscard]] std::size_t size() const;

 private:
  // A registered callback; `active` goes false at cancel, so a snapshot skips it.
  template <typename H>
  struct Entry {
    std::string tag;
    ServiceFilter filter;  // service subscribers only
    H handler;
    std::atomic<bool> active{true};
  };
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Entry<BroadcastHandler>>> broadcast_;
  std::map<std::uint64_t, std::shared_ptr<Entry<MembershipHandler>>> membership_;
  std::map<std::uint64_t, std::shared_ptr<Entry<ServiceHandler>>> services_;
  [[nodiscard]] std::size_t count() const {
    return broadcast_.size() + membership_.size() + services_.size();
  }
};

}  // namespace barrel_p2p::runtime
