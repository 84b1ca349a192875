// Tests of the on-demand worker pool.
#include "runtime/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <vector>

namespace barrel_p2p::runtime {
namespace {

TEST(WorkerPool, NoThreadStartsBeforeTheFirstJob) {
  WorkerPool pool(4);
  EXPECT_EQ(pool.threads_started(), 0u);
}

TEST(WorkerPool, BlockedJobsStartThreadsUpToTheLimitAndAllJobsRun) {
  WorkerPool pool(3);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(pool.submit([&, released] {
      ++started;
      released.wait();
      ++finished;
    }));
  }
  // Three jobs block the three threads; the limit holds with two jobs still queued.
  EXPECT_EQ(pool.threads_started(), 3u);
  release.set_value();
  pool.stop();
  EXPECT_EQ(started.load(), 5);
  EXPECT_EQ(finished.load(), 5);
}

TEST(WorkerPool, SequentialJobsReuseAnIdleThread) {
  WorkerPool pool(4);
  for (int i = 0; i < 20; ++i) {
    std::promise<void> done;
    ASSERT_TRUE(pool.submit([&] { done.set_value(); }));
    done.get_future().wait();
  }
  // Each job finished before the next was queued; a thread waiting for work takes it. A thread
  // that has not reached its wait yet may make submit() start one more, never past the limit.
  EXPECT_GE(pool.threads_started(), 1u);
  EXPECT_LE(pool.threads_started(), 4u);
}

TEST(WorkerPool, StopRunsQueuedJobsThenRefusesNewOnes) {
  WorkerPool pool(1);
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.submit([&] { ++ran; }));
  pool.stop();
  EXPECT_EQ(ran.load(), 100);
  EXPECT_FALSE(pool.submit([&] { ++ran; }));
  pool.stop();  // idempotent
  EXPECT_EQ(ran.load(), 100);
}

TEST(WorkerPool, DefaultQueueBound) {
  WorkerPool pool(2);
  EXPECT_EQ(pool.queued_jobs_max(), WorkerPool::kDefaultQueuedJobsMax);
  EXPECT_EQ(WorkerPool::kDefaultQueuedJobsMax, 10'000u);
  EXPECT_EQ(WorkerPool(1, 0).queued_jobs_max(), 1u);
}

// One thread, blocked; four jobs may wait. The fifth waiting job is refused (and never runs),
// counted apart from jobs refused after stop(); room comes back once the queue drains.
TEST(WorkerPool, SubmitFailsWhenTheQueueIsFullAndCountsRefusals) {
  WorkerPool pool(1, 4);
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> all_ran;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.submit([&, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the thread holds the blocking job: the queue is empty
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(pool.submit([&] {
      if (++ran == 4) all_ran.set_value();
    }));
  }
  EXPECT_EQ(pool.jobs_queued(), 4u);
  EXPECT_FALSE(pool.submit([&] { ran += 100; }));
  EXPECT_FALSE(pool.submit([&] { ran += 100; }));
  EXPECT_EQ(pool.jobs_refused(), 2u);
  EXPECT_EQ(pool.jobs_queued(), 4u);
  release.set_value();
  all_ran.get_future().wait();  // every queued job left the queue: there is room again
  EXPECT_TRUE(pool.submit([&] { ++ran; }));
  pool.stop();
  EXPECT_FALSE(pool.submit([&] { ran += 100; }));
  EXPECT_EQ(pool.jobs_refused(), 2u);  // refusals after stop() are not counted
  EXPECT_EQ(ran.load(), 5);
}

}  // namespace
}  // namespace barrel_p2p::runtime
