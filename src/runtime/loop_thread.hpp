// One event loop and the thread that runs it. Many nodes share one LoopThread (Runtime); a
// lone Node::start owns one of its own. Nodes hold it by shared_ptr: the thread stops and is
// joined when the last node (and the Runtime) let go of it.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "barrel_p2p/result.hpp"
#include "runtime/event_loop.hpp"

namespace barrel_p2p::runtime {

class LoopThread {
 public:
  /// Creates the loop and starts its thread; returns once the thread runs (so in_loop_thread()
  /// is exact from the first posted job on). Errors: io (the loop's descriptors).
  static Result<std::shared_ptr<LoopThread>> start(const EventLoopOptions& options);
  /// Stops the loop and joins its thread. Must not run on the loop thread itself.
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  /// The loop; see EventLoop for which members are thread-safe.
  [[nodiscard]] EventLoop& loop() { return *loop_; }
  /// True on this loop's thread. Thread-safe.
  [[nodiscard]] bool in_loop_thread() const {
    return std::this_thread::get_id() == thread_id_.load(std::memory_order_acquire);
  }

 private:
  explicit LoopThread(std::unique_ptr<EventLoop> loop) : loop_(std::move(loop)) {}
  std::unique_ptr<EventLoop> loop_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_;  // set by the thread itself before it runs a job
};

/// True on any LoopThread's thread (Future::get() refuses to block there).
bool on_any_loop_thread();

}  // namespace barrel_p2p::runtime
