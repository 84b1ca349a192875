// The bounded queue between a user DatagramTransport's threads and a node's loop (decision
// 0022): the Receiver the node installs pushes copies here from any thread and wakes the
// loop with one posted job per batch; the loop takes the batch and feeds it to QUIC there.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "barrel_p2p/datagram_transport.hpp"
#include "core/bytes.hpp"
#include "runtime/loop_thread.hpp"

namespace barrel_p2p::runtime {

/// Relay datagram counters of one node, shared with its inboxes (whose pushes run on the
/// transports' threads). Monotonic.
struct RelayCounters {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> dropped{0};
};

class RelayInbox : public std::enable_shared_from_this<RelayInbox> {
 public:
  /// `loop` is the node's loop thread (held weakly: an inbox outliving the node never keeps
  /// its loop alive); `limit` bounds the queued datagrams (1 to kMaxRelayReceiveQueue).
  RelayInbox(std::weak_ptr<LoopThread> loop, std::shared_ptr<RelayCounters> counters,
             std::size_t limit);

  /// The Receiver handed to DatagramTransport::start: pushes into this inbox, also after the
  /// node is gone (it holds the inbox, not the node).
  [[nodiscard]] DatagramTransport::Receiver receiver();
  /// Any thread. Copies `datagram` into the queue; drops (and counts) empty or oversize ones
  /// and those over the limit; ignores them after detach(). The first datagram of a batch
  /// posts a job to the loop that calls the ready callback there.
  void push(std::span<const std::uint8_t> datagram);
  /// Loop thread: `ready` runs on the loop thread when datagrams wait (set before start()).
  void set_ready(std::function<void()> ready) { ready_ = std::move(ready); }
  /// Loop thread: takes every queued datagram; the next push schedules a new batch.
  [[nodiscard]] std::deque<core::Bytes> take();
  /// Loop thread: the connection is gone; later pushes are ignored, nothing more is posted to
  /// run, and what is queued is dropped.
  void detach();

 private:
  void on_loop();  // the posted job

  std::weak_ptr<LoopThread> loop_;
  std::shared_ptr<RelayCounters> counters_;
  const std::size_t limit_;
  std::function<void()> ready_;  // loop thread only
  std::mutex mutex_;             // guards what follows
  std::deque<core::Bytes> queue_;
  bool scheduled_ = false;  // a job is posted and has not taken the queue yet
  bool detached_ = false;
};

}  // namespace barrel_p2p::runtime
