// A single-threaded epoll event loop with nanosecond timers and a thread-safe job queue.
// One loop hosts many nodes (sockets, timers); every handler runs on the loop thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/time.hpp"

struct epoll_event;

namespace barrel_p2p::runtime {

/// Names a timer scheduled on an EventLoop. The zero value names no timer. An id is not handed
/// out again after its timer fired or was cancelled (its slot's generation changes), so
/// cancelling a stale id is always safe.
struct TimerId {
  std::uint64_t value = 0;  ///< Slot and generation, opaque to callers.
  /// Same timer.
  friend bool operator==(TimerId a, TimerId b) = default;
};

/// Settings for EventLoop::create(). The defaults suit production; tests may shrink bounds.
struct EventLoopOptions {
  /// Before blocking in epoll_wait, poll epoll with timeout 0 for up to this long. Waking an
  /// idle vCPU costs ~27 µs on our VMs, so a short spin (10-50 µs) cuts request/response
  /// latency at the price of CPU burnt while idle. 0 (the default) never spins.
  core::Duration spin_before_sleep{0};
  /// Most jobs post() may queue before the loop drains them. At the bound post() fails with
  /// Errc::limit_reached, pushing back on the calling thread instead of growing without limit.
  std::size_t post_queue_limit = 65'536;
  /// Most timers that may be pending at once (one per connection or node is the expected use).
  /// Exceeding it is a leak in the caller and trips an assertion.
  std::size_t timer_limit = 1'048'576;
};

/// An epoll loop with one absolute CLOCK_MONOTONIC timerfd for all timers (nanosecond
/// deadlines; epoll's millisecond timeouts are too coarse for QUIC pacing) and an eventfd that
/// wakes it for post() and stop(). The timerfd is re-armed at most once per iteration, just
/// before blocking, and only when the earliest live deadline changed; cancelled timers are
/// deleted lazily from the min-heap, so schedule/cancel churn costs no system calls.
///
/// Thread-safety: post(), stop() and in_loop_thread() may be called from any thread. Every
/// other member must be called on the loop thread: the thread inside run()/run_once(), or,
/// while the loop is not running, any one thread at a time (to set up before run() or inspect
/// after it). Checked by assertions. No locks are taken except for the post queue.
class EventLoop {
 public:
  /// Called with the ready epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, ...) of a watched fd.
  using FdHandler = std::function<void(std::uint32_t ready_events)>;
  /// A timer callback or posted job.
  using Task = std::function<void()>;

  /// Creates a loop owning its epoll fd, timerfd and eventfd. `options` is copied.
  /// Errors: io when the kernel refuses one of the three descriptors (message names which).
  static Result<std::unique_ptr<EventLoop>> create(const EventLoopOptions& options = {});

  /// Closes the loop's descriptors. Watched fds are not closed (the caller owns them); pending
  /// timers and jobs are destroyed without running. Precondition: the loop is not running.
  ~EventLoop();
  /// Not copyable or movable: handlers and jobs refer to the loop by address.
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Watches `fd` (level-triggered) for `epoll_events` and calls `handler` on the loop thread
  /// when any are ready. The caller keeps owning `fd` and must remove_fd() before closing it.
  /// Errors: already_exists when `fd` is already watched; io when epoll_ctl fails.
  Result<void> add_fd(int fd, std::uint32_t epoll_events, FdHandler handler);

  /// Changes the events watched for `fd` (e.g. adds EPOLLOUT while a send buffer is full).
  /// Errors: not_found when `fd` is not watched; io when epoll_ctl fails.
  Result<void> modify_fd(int fd, std::uint32_t epoll_events);

  /// Stops watching `fd`; its handler is never called again, not even for events already
  /// returned by the current epoll_wait. Safe from inside any handler, timer or job, including
  /// `fd`'s own handler (which lives until that call returns). Unknown fds are ignored.
  void remove_fd(int fd);

  /// Calls `callback` once on the loop thread at or after `deadline` (CLOCK_MONOTONIC, as
  /// returned by now()). Timers with equal deadlines fire in scheduling order. A deadline in
  /// the past fires on the next loop iteration; a timer scheduled from a timer callback never
  /// fires in the same pass. Instant::never() keeps the timer pending until cancelled.
  /// Cost: O(log n) in the number of pending timers.
  TimerId schedule(core::Instant deadline, Task callback);

  /// Cancels a pending timer and destroys its callback. Cancelling an id that already fired,
  /// was cancelled, or is zero is a no-op, also from inside that timer's own callback.
  void cancel(TimerId id);

  /// Queues `job` to run on the loop thread, in FIFO order with other posted jobs, and wakes
  /// the loop. Thread-safe; from the loop thread the job runs on a later iteration (never
  /// inline). Errors: limit_reached when EventLoopOptions::post_queue_limit jobs are queued.
  Result<void> post(Task job);

  /// Runs iterations until stop() is called, then returns (consuming the stop request). A stop()
  /// that arrives before run() makes it return at once.
  void run();

  /// Runs one iteration: waits up to `max_wait` (rounded up to a millisecond; 0 polls) for fd
  /// readiness, a timer or a posted job, then dispatches what is ready. For tests and for
  /// embedding the loop in another. Returns the number of handlers, timers and jobs run.
  std::size_t run_once(core::Duration max_wait);

  /// Asks run() to return after the current iteration (what that iteration found ready still
  /// runs). Thread-safe, also from a handler, timer or job.
  void stop();

  /// True on the loop thread (see the class comment). Thread-safe.
  [[nodiscard]] bool in_loop_thread() const;

  /// The current CLOCK_MONOTONIC time, the clock schedule() deadlines are measured on.
  [[nodiscard]] core::Instant now() const;

  /// Number of pending (not fired, not cancelled) timers.
  [[nodiscard]] std::size_t pending_timers() const { return live_timers_; }

 private:
  struct FdEntry {
    std::uint32_t generation = 0;  // Matches epoll_event.data so stale events are dropped.
    std::uint32_t events = 0;
    std::unique_ptr<FdHandler> handler;  // On the heap: stays put while it runs.
  };
  struct TimerSlot {
    std::uint32_t generation = 1;  // Bumped when the slot is freed; part of TimerId.
    Task callback;
  };
  struct HeapEntry {
    core::Instant deadline;
    std::uint64_t sequence = 0;  // Scheduling order: breaks deadline ties, bounds a pass.
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
  };

  explicit EventLoop(const EventLoopOptions& options);
  std::size_t run_iteration(int timeout_millis);
  std::size_t dispatch_events(const epoll_event* events, int ready_count);
  std::size_t dispatch_fd(std::uint64_t data, std::uint32_t ready_events);
  std::size_t run_due_timers();
  std::size_t run_posted_jobs();
  void drain_fd(int fd);
  void wake();
  bool heap_entry_live(const HeapEntry& entry) const;
  void pop_heap_entry();
  void compact_heap();
  void update_timerfd();
  void free_timer_slot(std::uint32_t slot);

  EventLoopOptions options_;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;  // One absolute CLOCK_MONOTONIC timer armed at the earliest deadline.
  int wake_fd_ = -1;   // eventfd written by post() and stop().
  std::atomic<std::thread::id> loop_thread_;  // Inside run()/run_once(); empty otherwise.
  std::atomic<bool> stop_requested_{false};

  // Watched fds. Bounded by the caller's descriptors (the process fd limit).
  std::unordered_map<int, FdEntry> fds_;
  std::uint32_t next_fd_generation_ = 1;
  // Handlers removed during dispatch, kept alive until the dispatch batch ends. Bounded by the
  // number of watched fds.
  std::vector<std::unique_ptr<FdHandler>> retired_handlers_;
  bool dispatching_ = false;  // True while handlers, timers and jobs of one iteration run.

  // Timers: a slab of callbacks plus a min-heap with lazy deletion. Cancelled entries stay in
  // the heap until they reach the top or the heap is compacted (when it holds more than twice
  // the live timers plus a slack), so the heap is bounded by 2 * timer_limit + slack.
  std::vector<TimerSlot> timer_slots_;
  std::vector<std::uint32_t> free_timer_slots_;
  std::vector<HeapEntry> timer_heap_;
  std::size_t live_timers_ = 0;
  std::uint64_t next_timer_sequence_ = 0;
  core::Instant armed_deadline_ = core::Instant::never();  // What the timerfd is set to.

  // post() queue, the only state shared between threads. Bounded by post_queue_limit.
  std::mutex post_mutex_;
  std::vector<Task> posted_;
  std::vector<Task> running_posted_;  // Swapped with posted_ under the lock, run without it.
};

}  // namespace barrel_p2p::runtime
