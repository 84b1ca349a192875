// Tests of the process-wide background file writer.
#include "runtime/file_writer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <vector>

namespace barrel_p2p::runtime {
namespace {

TEST(FileWriter, RunsJobsInTheOrderTheyWereQueued) {
  auto writer = FileWriter::shared();
  std::vector<int> order;  // written by the writer's one thread only
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(writer->submit([&order, i] { order.push_back(i); }));
  writer->flush();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST(FileWriter, FlushWaitsForAJobStillRunning) {
  auto writer = FileWriter::shared();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> finished{false};
  ASSERT_TRUE(writer->submit([released, &finished] {
    released.wait();
    finished = true;
  }));
  auto flushed = std::async(std::launch::async, [&writer] { writer->flush(); });
  EXPECT_EQ(flushed.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  EXPECT_FALSE(finished.load());
  release.set_value();
  flushed.wait();
  EXPECT_TRUE(finished.load());
}

TEST(FileWriter, NodesShareOneWriterWhileAnyHoldsIt) {
  auto first = FileWriter::shared();
  auto second = FileWriter::shared();
  EXPECT_EQ(first.get(), second.get());
}

TEST(FileWriter, TheLastHolderRunsEveryQueuedJobBeforeTheWriterGoes) {
  std::atomic<int> ran{0};
  {
    auto writer = FileWriter::shared();
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(writer->submit([&ran] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace barrel_p2p::runtime
