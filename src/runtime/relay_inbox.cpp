#include "runtime/relay_inbox.hpp"

namespace barrel_p2p::runtime {

RelayInbox::RelayInbox(std::weak_ptr<LoopThread> loop, std::shared_ptr<RelayCounters> counters,
                       std::size_t limit)
    : loop_(std::move(loop)), counters_(std::move(counters)), limit_(limit) {}

DatagramTransport::Receiver RelayInbox::receiver() {
  return [inbox = shared_from_this()](std::span<const std::uint8_t> datagram) {
    inbox->push(datagram);
  };
}

void RelayInbox::push(std::span<const std::uint8_t> datagram) {
  if (datagram.empty() || datagram.size() > kMaxRelayDatagramSize) {
    counters_->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (detached_) return;
    if (queue_.size() >= limit_) {
      // At the bound: the datagram is lost, QUIC's loss recovery slows the sender.
      counters_->dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.emplace_back(datagram.begin(), datagram.end());
    if (scheduled_) return;
    scheduled_ = true;
  }
  auto loop = loop_.lock();
  if (loop && loop->loop().post([inbox = shared_from_this()] { inbox->on_loop(); })) return;
  // The loop is gone or its job queue is full: the next datagram tries again (QUIC
  // retransmits, so one comes).
  std::lock_guard lock(mutex_);
  scheduled_ = false;
}

void RelayInbox::on_loop() {
  if (ready_) ready_();
}

std::deque<core::Bytes> RelayInbox::take() {
  std::deque<core::Bytes> out;
  std::lock_guard lock(mutex_);
  out.swap(queue_);
  scheduled_ = false;
  return out;
}

void RelayInbox::detach() {
  ready_ = nullptr;
  std::lock_guard lock(mutex_);
  detached_ = true;
  queue_.clear();
}

}  // namespace barrel_p2p::runtime
