#include "runtime/event_loop.hpp"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace barrel_p2p::runtime {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<EventLoop> make_loop(const EventLoopOptions& options = {}) {
  auto loop = EventLoop::create(options);
  EXPECT_TRUE(loop.has_value()) << (loop ? "" : loop.error().to_string());
  return std::move(loop).value();
}

// Runs iterations until `done` or a generous iteration budget runs out (behaviour, not timing).
template <typename Done>
void run_until(EventLoop& loop, Done done) {
  for (int i = 0; i < 10'000 && !done(); ++i) loop.run_once(milliseconds(100));
  ASSERT_TRUE(done());
}

// A pipe whose ends are closed by the destructor.
struct Pipe {
  Pipe() { EXPECT_EQ(::pipe(ends.data()), 0); }
  ~Pipe() {
    ::close(ends[0]);
    ::close(ends[1]);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  [[nodiscard]] int read_end() const { return ends[0]; }
  [[nodiscard]] int write_end() const { return ends[1]; }
  void write_byte() const { ASSERT_EQ(::write(ends[1], "x", 1), 1); }
  std::array<int, 2> ends{};
};

TEST(EventLoop, TimersFireInDeadlineOrderAndTiesInSchedulingOrder) {
  auto loop = make_loop();
  std::vector<int> fired;
  const core::Instant base = loop->now();
  loop->schedule(base + milliseconds(3), [&] { fired.push_back(3); });
  loop->schedule(base + milliseconds(1), [&] { fired.push_back(1); });
  loop->schedule(base + milliseconds(2), [&] { fired.push_back(2); });
  loop->schedule(base + milliseconds(2), [&] { fired.push_back(22); });
  loop->schedule(base - milliseconds(5), [&] { fired.push_back(0); });  // Already due.
  run_until(*loop, [&] { return fired.size() == 5; });
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 2, 22, 3}));
  EXPECT_EQ(loop->pending_timers(), 0U);
}

TEST(EventLoop, TimerDoesNotFireBeforeItsDeadline) {
  auto loop = make_loop();
  bool fired = false;
  const core::Instant deadline = loop->now() + milliseconds(20);
  core::Instant fired_at;
  loop->schedule(deadline, [&] {
    fired = true;
    fired_at = loop->now();
  });
  run_until(*loop, [&] { return fired; });
  EXPECT_GE(fired_at, deadline);
}

// The timer stays armed at an earlier deadline when the earliest one moves later (no system
// call per turn): the loop then wakes early once, finds nothing due, and re-arms.
TEST(EventLoop, ATimerWhoseEarlierNeighbourWasCancelledStillFires) {
  auto loop = make_loop();
  const core::Instant base = loop->now();
  const auto early = loop->schedule(base + milliseconds(5), [] { FAIL() << "cancelled"; });
  (void)loop->run_once(milliseconds(0));  // arms the timer at the early deadline
  loop->cancel(early);
  bool fired = false;
  const core::Instant deadline = base + milliseconds(40);
  loop->schedule(deadline, [&] { fired = true; });
  // Without the re-arm after the early wake-up, each of these waits would time out instead.
  for (int i = 0; i < 4 && !fired; ++i) (void)loop->run_once(std::chrono::seconds(2));
  EXPECT_TRUE(fired);
  EXPECT_GE(loop->now(), deadline);
}

TEST(EventLoop, CancelledTimerNeverFiresAndStaleCancelsAreNoOps) {
  auto loop = make_loop();
  int fired = 0;
  const TimerId cancelled = loop->schedule(loop->now(), [&] { fired += 100; });
  const TimerId kept = loop->schedule(loop->now(), [&] { fired += 1; });
  loop->cancel(cancelled);
  loop->cancel(cancelled);  // Twice: no-op.
  loop->cancel(TimerId{});  // Zero id: no-op.
  run_until(*loop, [&] { return loop->pending_timers() == 0; });
  loop->cancel(kept);  // Already fired: no-op.
  EXPECT_EQ(fired, 1);
  // The freed slot is reused; the stale id must not cancel its new occupant.
  const TimerId reused = loop->schedule(loop->now(), [&] { fired += 10; });
  loop->cancel(cancelled);
  EXPECT_NE(reused, cancelled);
  run_until(*loop, [&] { return loop->pending_timers() == 0; });
  EXPECT_EQ(fired, 11);
}

TEST(EventLoop, CancelFromInsideCallbacks) {
  auto loop = make_loop();
  std::vector<std::string> fired;
  TimerId first;
  TimerId second;
  const core::Instant due = loop->now();
  first = loop->schedule(due, [&] {
    fired.emplace_back("first");
    loop->cancel(first);   // Its own id, while running: no-op.
    loop->cancel(second);  // A timer due in the same pass.
  });
  second = loop->schedule(due, [&] { fired.emplace_back("second"); });
  loop->schedule(due + milliseconds(1), [&] { fired.emplace_back("third"); });
  run_until(*loop, [&] { return loop->pending_timers() == 0; });
  EXPECT_EQ(fired, (std::vector<std::string>{"first", "third"}));
}

TEST(EventLoop, TimerScheduledFromCallbackWaitsForTheNextPass) {
  auto loop = make_loop();
  int chained = 0;
  std::function<void()> reschedule = [&] {
    ++chained;
    if (chained < 5) loop->schedule(core::Instant::from_nanos(0), reschedule);
  };
  loop->schedule(core::Instant::from_nanos(0), reschedule);
  // Each pass runs only the timers due when it started, so five chained timers take five passes.
  std::size_t passes = 0;
  while (chained < 5 && passes < 100) passes += loop->run_once(milliseconds(100)) > 0 ? 1 : 0;
  EXPECT_EQ(chained, 5);
  EXPECT_EQ(passes, 5U);
}

TEST(EventLoop, ThousandsOfTimersWithHalfCancelled) {
  auto loop = make_loop();
  constexpr int kCount = 10'000;
  std::vector<TimerId> ids;
  std::vector<int> fired;
  const core::Instant base = loop->now();
  for (int i = 0; i < kCount; ++i) {
    // Scheduled in reverse deadline order, so the heap must reorder them.
    const auto deadline = base + std::chrono::microseconds(kCount - i);
    ids.push_back(loop->schedule(deadline, [&fired, i] { fired.push_back(i); }));
  }
  for (int i = 1; i < kCount; i += 2) loop->cancel(ids[static_cast<std::size_t>(i)]);
  EXPECT_EQ(loop->pending_timers(), static_cast<std::size_t>(kCount / 2));
  run_until(*loop, [&] { return loop->pending_timers() == 0; });
  ASSERT_EQ(fired.size(), static_cast<std::size_t>(kCount / 2));
  for (std::size_t i = 0; i < fired.size(); ++i) {
    EXPECT_EQ(fired[i], kCount - 2 - 2 * static_cast<int>(i));
  }
}

TEST(EventLoop, NeverDeadlineStaysPendingUntilCancelled) {
  auto loop = make_loop();
  bool fired = false;
  const TimerId id = loop->schedule(core::Instant::never(), [&] { fired = true; });
  EXPECT_EQ(loop->run_once(core::Duration(0)), 0U);
  EXPECT_EQ(loop->pending_timers(), 1U);
  loop->cancel(id);
  EXPECT_EQ(loop->pending_timers(), 0U);
  EXPECT_FALSE(fired);
}

TEST(EventLoop, PostFromAnotherThreadRunsOnLoopThreadInFifoOrder) {
  auto loop = make_loop();
  constexpr int kJobs = 1'000;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::thread loop_thread([&] { loop->run(); });
  std::thread poster([&] {
    for (int i = 0; i < kJobs; ++i) {
      ASSERT_TRUE(loop->post([&, i] {
        order.push_back(i);
        threads.push_back(std::this_thread::get_id());
        EXPECT_TRUE(loop->in_loop_thread());
      }));
    }
    ASSERT_TRUE(loop->post([&] { loop->stop(); }));
  });
  poster.join();
  const std::thread::id runner = loop_thread.get_id();
  loop_thread.join();
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kJobs));
  for (int i = 0; i < kJobs; ++i) {
    EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
    EXPECT_EQ(threads[static_cast<std::size_t>(i)], runner);
  }
}

TEST(EventLoop, PostFromLoopThreadRunsLaterNotInline) {
  auto loop = make_loop();
  std::vector<int> order;
  ASSERT_TRUE(loop->post([&] {
    ASSERT_TRUE(loop->post([&] { order.push_back(2); }));
    order.push_back(1);
  }));
  run_until(*loop, [&] { return order.size() == 2; });
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoop, PostQueueIsBounded) {
  EventLoopOptions options;
  options.post_queue_limit = 3;
  auto loop = make_loop(options);
  int ran = 0;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(loop->post([&] { ++ran; }));
  const auto refused = loop->post([&] { ++ran; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::limit_reached);
  run_until(*loop, [&] { return ran == 3; });
  EXPECT_TRUE(loop->post([&] { ++ran; }));  // Room again once drained.
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
  auto loop = make_loop();
  std::atomic<bool> started{false};
  ASSERT_TRUE(loop->post([&] { started = true; }));
  std::thread loop_thread([&] { loop->run(); });
  while (!started) std::this_thread::yield();
  EXPECT_FALSE(loop->in_loop_thread());
  loop->stop();
  loop_thread.join();
  EXPECT_TRUE(loop->in_loop_thread());  // Not running: this thread may use it again.
}

TEST(EventLoop, StopBeforeRunAndFromHandler) {
  auto loop = make_loop();
  loop->stop();
  loop->run();  // Returns at once.
  int ran = 0;
  loop->schedule(loop->now(), [&] {
    ++ran;
    loop->stop();
  });
  loop->run();
  EXPECT_EQ(ran, 1);
}

TEST(EventLoop, FdReadinessAndModify) {
  auto loop = make_loop();
  Pipe pipe;
  std::vector<std::uint32_t> seen;
  ASSERT_TRUE(loop->add_fd(pipe.read_end(), EPOLLIN, [&](std::uint32_t events) {
    seen.push_back(events);
    char byte = 0;
    ASSERT_EQ(::read(pipe.read_end(), &byte, 1), 1);
  }));
  EXPECT_EQ(loop->run_once(core::Duration(0)), 0U);  // Nothing written yet.
  pipe.write_byte();
  run_until(*loop, [&] { return seen.size() == 1; });
  EXPECT_NE(seen[0] & EPOLLIN, 0U);

  int writable = 0;
  ASSERT_TRUE(loop->add_fd(pipe.write_end(), 0, [&](std::uint32_t events) {
    EXPECT_NE(events & EPOLLOUT, 0U);
    ++writable;
    ASSERT_TRUE(loop->modify_fd(pipe.write_end(), 0));
  }));
  EXPECT_EQ(loop->run_once(core::Duration(0)), 0U);
  ASSERT_TRUE(loop->modify_fd(pipe.write_end(), EPOLLOUT));
  run_until(*loop, [&] { return writable == 1; });
  loop->remove_fd(pipe.write_end());
  loop->remove_fd(pipe.read_end());
  loop->remove_fd(pipe.read_end());  // Unknown now: ignored.
}

TEST(EventLoop, AddAndModifyReportErrors) {
  auto loop = make_loop();
  Pipe pipe;
  ASSERT_TRUE(loop->add_fd(pipe.read_end(), EPOLLIN, [](std::uint32_t) {}));
  const auto duplicate = loop->add_fd(pipe.read_end(), EPOLLIN, [](std::uint32_t) {});
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, Errc::already_exists);
  const auto unknown = loop->modify_fd(pipe.write_end(), EPOLLOUT);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
  const auto bad = loop->add_fd(-1, EPOLLIN, [](std::uint32_t) {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  loop->remove_fd(pipe.read_end());
}

TEST(EventLoop, RemoveFdFromItsOwnHandlerAndFromAnEarlierHandler) {
  auto loop = make_loop();
  Pipe first;
  Pipe second;
  int first_calls = 0;
  int second_calls = 0;
  // The captured string lives in the handler; using it after remove_fd checks the handler is
  // kept alive while it runs (ASan would flag a use-after-free).
  const std::string label(100, 'h');
  auto on_ready = [&, label](int self, int other, int& calls) {
    loop->remove_fd(self);
    loop->remove_fd(other);
    EXPECT_EQ(label.size(), 100U);
    ++calls;
  };
  ASSERT_TRUE(loop->add_fd(first.read_end(), EPOLLIN, [&, on_ready](std::uint32_t) {
    on_ready(first.read_end(), second.read_end(), first_calls);
  }));
  ASSERT_TRUE(loop->add_fd(second.read_end(), EPOLLIN, [&, on_ready](std::uint32_t) {
    on_ready(second.read_end(), first.read_end(), second_calls);
  }));
  first.write_byte();
  second.write_byte();
  // Both are ready in the same epoll batch; whichever runs first removes the other, whose
  // already-returned event must then be dropped.
  run_until(*loop, [&] { return first_calls + second_calls > 0; });
  for (int i = 0; i < 3; ++i) loop->run_once(core::Duration(0));
  EXPECT_EQ(first_calls + second_calls, 1);
}

TEST(EventLoop, SpinBeforeSleepStillDeliversWork) {
  EventLoopOptions options;
  options.spin_before_sleep = std::chrono::microseconds(50);
  auto loop = make_loop(options);
  std::atomic<int> ran{0};
  std::thread loop_thread([&] { loop->run(); });
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(loop->post([&] { ++ran; }));
    while (ran.load() != i + 1) std::this_thread::yield();
  }
  bool timer_fired = false;
  ASSERT_TRUE(loop->post([&] {
    loop->schedule(loop->now() + milliseconds(1), [&] {
      timer_fired = true;
      loop->stop();
    });
  }));
  loop_thread.join();
  EXPECT_TRUE(timer_fired);
  EXPECT_EQ(ran.load(), 100);
}

TEST(EventLoop, NowIsMonotonic) {
  auto loop = make_loop();
  const core::Instant a = loop->now();
  const core::Instant b = loop->now();
  EXPECT_LE(a, b);
  EXPECT_GT(a.nanos(), 0);
}

}  // namespace
}  // namespace barrel_p2p::runtime
