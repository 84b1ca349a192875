// Subscription: the handle Node::subscribe and Node::on_membership_event return.
#pragma once

#include <cstdint>
#include <memory>

namespace barrel_p2p {

namespace detail {
/// Where a Subscription's callback is registered (a node). Implemented by the runtime.
class SubscriptionOwner {
 public:
  virtual ~SubscriptionOwner() = default;
  /// Removes callback `id`; unknown ids are ignored.
  virtual void unsubscribe(std::uint64_t id) = 0;
};
}  // namespace detail

/// Names one registered callback. Destroying the handle leaves the callback registered (as a
/// detached subscription); cancel() removes it. Copyable: copies name the same callback.
/// Thread-safe. Outliving its node is safe (cancel() then does nothing).
class Subscription {
 public:
  /// A handle naming no callback (cancel() does nothing).
  Subscription() = default;
  /// Made by the node that registered callback `id`.
  Subscription(std::weak_ptr<detail::SubscriptionOwner> owner, std::uint64_t id)
      : owner_(std::move(owner)), id_(id) {}

  /// Removes the callback: once cancel() returns it is not called again, except for a call
  /// already running on the node's loop thread. Idempotent.
  void cancel() {
    if (auto owner = owner_.lock()) owner->unsubscribe(id_);
    owner_.reset();
  }
  /// The callback's id within its node (0 for an empty handle).
  [[nodiscard]] std::uint64_t id() const { return id_; }

 private:
  std::weak_ptr<detail::SubscriptionOwner> owner_;
  std::uint64_t id_ = 0;
};

}  // namespace barrel_p2p
