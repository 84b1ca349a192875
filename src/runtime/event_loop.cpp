#include "runtime/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>

#include "core/assert.hpp"
#include "runtime/scoped_fd.hpp"

namespace barrel_p2p::runtime {

namespace {

// Most ready events taken from one epoll_wait. More ready fds are not lost: epoll is
// level-triggered, so the rest are reported by the next iteration.
constexpr int kMaxEventsPerWait = 64;
// Cancelled timers tolerated in the heap beyond the live ones before it is compacted.
constexpr std::size_t kHeapSlack = 64;

std::string errno_text(int error) {
  char buffer[128];
  return ::strerror_r(error, buffer, sizeof(buffer));  // GNU variant: returns the text.
}

std::uint64_t pack_fd_data(int fd, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32U) | static_cast<std::uint32_t>(fd);
}

bool heap_later(const auto& a, const auto& b) {
  if (a.deadline != b.deadline) return a.deadline > b.deadline;
  return a.sequence > b.sequence;
}

constexpr auto kHeapOrder = [](const auto& a, const auto& b) { return heap_later(a, b); };

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create(const EventLoopOptions& options) {
  ScopedFd epoll_fd(::epoll_create1(EPOLL_CLOEXEC));
  if (epoll_fd.get() < 0) return fail(Errc::io, "epoll_create1: " + errno_text(errno));
  ScopedFd timer_fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (timer_fd.get() < 0) return fail(Errc::io, "timerfd_create: " + errno_text(errno));
  ScopedFd wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (wake_fd.get() < 0) return fail(Errc::io, "eventfd: " + errno_text(errno));
  // Generation 0 marks the loop's own descriptors; watched fds start at generation 1.
  for (const int fd : {timer_fd.get(), wake_fd.get()}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = pack_fd_data(fd, 0);
    if (::epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
      return fail(Errc::io, "epoll_ctl(ADD) for the loop's own fd: " + errno_text(errno));
    }
  }
  std::unique_ptr<EventLoop> loop(new EventLoop(options));  // Private constructor.
  loop->epoll_fd_ = epoll_fd.release();
  loop->timer_fd_ = timer_fd.release();
  loop->wake_fd_ = wake_fd.release();
  return loop;
}

EventLoop::EventLoop(const EventLoopOptions& options) : options_(options) {}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(timer_fd_);
  ::close(epoll_fd_);
}

Result<void> EventLoop::add_fd(int fd, std::uint32_t epoll_events, FdHandler handler) {
  BARREL_ASSERT(in_loop_thread(), "EventLoop::add_fd called off the loop thread");
  if (fd < 0) return fail(Errc::invalid_argument, "cannot watch negative fd");
  if (fds_.contains(fd)) {
    return fail(Errc::already_exists, "fd " + std::to_string(fd) + " is already watched");
  }
  const std::uint32_t generation = next_fd_generation_;
  next_fd_generation_ = next_fd_generation_ == UINT32_MAX ? 1 : next_fd_generation_ + 1;
  epoll_event event{};
  event.events = epoll_events;
  event.data.u64 = pack_fd_data(fd, generation);
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    return fail(Errc::io, "epoll_ctl(ADD, fd " + std::to_string(fd) + "): " + errno_text(errno));
  }
  fds_.emplace(fd,
               FdEntry{generation, epoll_events, std::make_unique<FdHandler>(std::move(handler))});
  return {};
}

Result<void> EventLoop::modify_fd(int fd, std::uint32_t epoll_events) {
  BARREL_ASSERT(in_loop_thread(), "EventLoop::modify_fd called off the loop thread");
  const auto it = fds_.find(fd);
  if (it == fds_.end()) {
    return fail(Errc::not_found, "fd " + std::to_string(fd) + " is not watched");
  }
  if (it->second.events == epoll_events) return {};
  epoll_event event{};
  event.events = epoll_events;
  event.data.u64 = pack_fd_data(fd, it->second.generation);
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0) {
    return fail(Errc::io, "epoll_ctl(MOD, fd " + std::to_string(fd) + "): " + errno_text(errno));
  }
  it->second.events = epoll_events;
  return {};
}

void EventLoop::remove_fd(int fd) {
  BARREL_ASSERT(in_loop_thread(), "EventLoop::remove_fd called off the loop thread");
  const auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  // Fails harmlessly with EBADF when the caller closed the fd first (the kernel then dropped
  // it from the epoll set, unless the fd was duplicated).
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  std::unique_ptr<FdHandler> handler = std::move(it->second.handler);
  fds_.erase(it);
  // The handler may be running right now (removing its own fd): keep it alive until the
  // dispatch batch ends.
  if (dispatching_) retired_handlers_.push_back(std::move(handler));
}

TimerId EventLoop::schedule(core::Instant deadline, Task callback) {
  BARREL_ASSERT(in_loop_thread(), "EventLoop::schedule called off the loop thread");
  BARREL_ASSERT(live_timers_ < options_.timer_limit, "EventLoop timer_limit reached (leak?)");
  std::uint32_t slot = 0;
  if (free_timer_slots_.empty()) {
    slot = static_cast<std::uint32_t>(timer_slots_.size());
    timer_slots_.emplace_back();
  } else {
    slot = free_timer_slots_.back();
    free_timer_slots_.pop_back();
  }
  TimerSlot& entry = timer_slots_[slot];
  entry.callback = std::move(callback);
  timer_heap_.push_back(HeapEntry{deadline, next_timer_sequence_++, slot, entry.generation});
  std::push_heap(timer_heap_.begin(), timer_heap_.end(), kHeapOrder);
  ++live_timers_;
  return TimerId{(std::uint64_t{entry.generation} << 32U) | slot};
}

void EventLoop::cancel(TimerId id) {
  BARREL_ASSERT(in_loop_thread(), "EventLoop::cancel called off the loop thread");
  const auto slot = static_cast<std::uint32_t>(id.value & UINT32_MAX);
  const auto generation = static_cast<std::uint32_t>(id.value >> 32U);
  if (id.value == 0 || slot >= timer_slots_.size()) return;
  if (timer_slots_[slot].generation != generation) return;  // Fired or cancelled already.
  free_timer_slot(slot);
  if (timer_heap_.size() > 2 * live_timers_ + kHeapSlack) compact_heap();
}

void EventLoop::free_timer_slot(std::uint32_t slot) {
  TimerSlot& entry = timer_slots_[slot];
  // Update the bookkeeping before the callback is destroyed: its destructor may re-enter.
  Task doomed = std::move(entry.callback);
  entry.callback = nullptr;
  entry.generation = entry.generation == UINT32_MAX ? 1 : entry.generation + 1;
  free_timer_slots_.push_back(slot);
  --live_timers_;
}

bool EventLoop::heap_entry_live(const HeapEntry& entry) const {
  return timer_slots_[entry.slot].generation == entry.generation;
}

void EventLoop::pop_heap_entry() {
  std::pop_heap(timer_heap_.begin(), timer_heap_.end(), kHeapOrder);
  timer_heap_.pop_back();
}

void EventLoop::compact_heap() {
  std::erase_if(timer_heap_, [this](const HeapEntry& entry) { return !heap_entry_live(entry); });
  std::make_heap(timer_heap_.begin(), timer_heap_.end(), kHeapOrder);
}

void EventLoop::update_timerfd() {
  while (!timer_heap_.empty() && !heap_entry_live(timer_heap_.front())) pop_heap_entry();
  const core::Instant earliest =
      timer_heap_.empty() ? core::Instant::never() : timer_heap_.front().deadline;
  // A deadline at or after the armed one keeps the armed one: the timer then wakes the loop
  // early once, finds nothing due and is re-armed. Deadlines that move later on every turn
  // (ngtcp2's ACK and loss timers under load) then cost no system call per turn.
  if (earliest >= armed_deadline_) return;
  itimerspec spec{};  // All zero disarms the timer.
  if (!earliest.is_never()) {
    // A zero it_value would disarm, so deadlines at or before the epoch become 1 ns (long past,
    // so the timer fires at once).
    const std::int64_t nanos = std::max<std::int64_t>(earliest.nanos(), 1);
    spec.it_value.tv_sec = static_cast<time_t>(nanos / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(nanos % 1'000'000'000);
  }
  const int rc = ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
  BARREL_ASSERT(rc == 0, "timerfd_settime failed");
  armed_deadline_ = earliest;
}

std::size_t EventLoop::run_due_timers() {
  const core::Instant now_time = now();
  // Timers scheduled by the callbacks below wait for the next pass, so a callback that
  // reschedules itself in the past cannot starve the loop.
  const std::uint64_t sequence_end = next_timer_sequence_;
  std::size_t ran = 0;
  while (!timer_heap_.empty()) {
    const HeapEntry top = timer_heap_.front();
    if (!heap_entry_live(top)) {
      pop_heap_entry();
      continue;
    }
    if (top.deadline > now_time || top.sequence >= sequence_end) break;
    pop_heap_entry();
    Task callback = std::move(timer_slots_[top.slot].callback);
    free_timer_slot(top.slot);  // Before the call, so cancelling its own id is a no-op.
    callback();
    ++ran;
  }
  return ran;
}

Result<void> EventLoop::post(Task job) {
  bool was_empty = false;
  {
    const std::lock_guard lock(post_mutex_);
    if (posted_.size() >= options_.post_queue_limit) {
      return fail(Errc::limit_reached, "event loop post queue is full (" +
                                           std::to_string(options_.post_queue_limit) + " jobs)");
    }
    was_empty = posted_.empty();
    posted_.push_back(std::move(job));
  }
  // Only the first job after a drain needs a wake-up: the loop drains the eventfd before it
  // takes the queue, so every later job is taken by the drain this write triggers.
  if (was_empty) wake();
  return {};
}

std::size_t EventLoop::run_posted_jobs() {
  {
    const std::lock_guard lock(post_mutex_);
    running_posted_.swap(posted_);
  }
  for (Task& job : running_posted_) job();
  const std::size_t ran = running_posted_.size();
  running_posted_.clear();
  return ran;
}

void EventLoop::wake() {
  const std::uint64_t one = 1;
  // Fails only with EAGAIN when the counter is near overflow, and then the loop is woken anyway.
  [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof(one));
}

void EventLoop::drain_fd(int fd) {
  std::uint64_t value = 0;
  [[maybe_unused]] const ssize_t got = ::read(fd, &value, sizeof(value));  // EAGAIN is fine.
}

void EventLoop::stop() {
  stop_requested_.store(true, std::memory_order_release);
  wake();  // Also from the loop thread: run() may not have started its (blocking) iteration.
}

bool EventLoop::in_loop_thread() const {
  const std::thread::id owner = loop_thread_.load(std::memory_order_acquire);
  return owner == std::thread::id() || owner == std::this_thread::get_id();
}

core::Instant EventLoop::now() const {
  timespec time{};
  ::clock_gettime(CLOCK_MONOTONIC, &time);
  return core::Instant::from_nanos(std::int64_t{time.tv_sec} * 1'000'000'000 + time.tv_nsec);
}

void EventLoop::run() {
  const std::thread::id previous = loop_thread_.exchange(std::this_thread::get_id());
  BARREL_ASSERT(previous == std::thread::id(), "EventLoop::run while the loop is running");
  while (!stop_requested_.exchange(false, std::memory_order_acq_rel)) run_iteration(-1);
  loop_thread_.store(std::thread::id(), std::memory_order_release);
}

std::size_t EventLoop::run_once(core::Duration max_wait) {
  const std::thread::id previous = loop_thread_.exchange(std::this_thread::get_id());
  BARREL_ASSERT(previous == std::thread::id(), "EventLoop::run_once while the loop is running");
  // Round up, so a timer due within max_wait is not missed by a truncated timeout.
  const std::int64_t nanos = std::max<std::int64_t>(max_wait.count(), 0);
  const std::int64_t millis =
      std::min<std::int64_t>(nanos / 1'000'000 + (nanos % 1'000'000 != 0), INT_MAX);
  const std::size_t ran = run_iteration(static_cast<int>(millis));
  loop_thread_.store(std::thread::id(), std::memory_order_release);
  return ran;
}

std::size_t EventLoop::run_iteration(int timeout_millis) {
  update_timerfd();
  std::array<epoll_event, kMaxEventsPerWait> events{};
  int ready = 0;
  if (options_.spin_before_sleep.count() > 0 && timeout_millis != 0) {
    // Busy-poll before sleeping: see EventLoopOptions::spin_before_sleep.
    const core::Instant spin_end = now() + options_.spin_before_sleep;
    do {
      ready = ::epoll_wait(epoll_fd_, events.data(), kMaxEventsPerWait, 0);
    } while (ready == 0 && now() < spin_end && !stop_requested_.load(std::memory_order_relaxed));
  }
  if (ready == 0) ready = ::epoll_wait(epoll_fd_, events.data(), kMaxEventsPerWait, timeout_millis);
  if (ready < 0) {
    BARREL_ASSERT(errno == EINTR, "epoll_wait failed");
    return 0;
  }
  return dispatch_events(events.data(), ready);
}

std::size_t EventLoop::dispatch_events(const epoll_event* events, int ready_count) {
  dispatching_ = true;
  std::size_t ran = 0;
  for (int i = 0; i < ready_count; ++i) ran += dispatch_fd(events[i].data.u64, events[i].events);
  dispatching_ = false;
  // Destroyed outside the batch: a handler's destructor may itself call remove_fd().
  const std::vector<std::unique_ptr<FdHandler>> doomed = std::move(retired_handlers_);
  retired_handlers_.clear();
  return ran;
}

std::size_t EventLoop::dispatch_fd(std::uint64_t data, std::uint32_t ready_events) {
  const auto fd = static_cast<int>(data & UINT32_MAX);
  const auto generation = static_cast<std::uint32_t>(data >> 32U);
  if (generation == 0) {  // The loop's own descriptors.
    drain_fd(fd);
    if (fd == wake_fd_) return run_posted_jobs();
    armed_deadline_ = core::Instant::never();  // A one-shot timerfd disarms when it expires.
    return run_due_timers();
  }
  const auto it = fds_.find(fd);
  // A handler earlier in this batch may have removed (and even re-added) this fd.
  if (it == fds_.end() || it->second.generation != generation) return 0;
  // The handler lives on the heap, so it stays put if the map rehashes or the entry is removed
  // while it runs.
  FdHandler& handler = *it->second.handler;
  handler(ready_events);
  return 1;
}

}  // namespace barrel_p2p::runtime
