// A fixed pool of threads running jobs in FIFO order: the home of Placement::worker processes
// and rpc functions that may block.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace barrel_p2p::runtime {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);
  /// Runs the jobs already queued, then joins every thread.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues `job`; false after stop() began.
  bool submit(std::function<void()> job);
  /// Stops accepting jobs, finishes the queued ones and joins (idempotent).
  void stop();

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace barrel_p2p::runtime
