// A bounded pool of threads running jobs in FIFO order: the home of Placement::worker processes
// and rpc functions that may block. Threads start on demand (a job queued while no thread is
// idle starts one, up to the limit) and then stay until stop(): a node that never runs a worker
// job has no worker thread, which matters when one process hosts many nodes.
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
  /// At most `max_threads` threads (at least one).
  explicit WorkerPool(std::size_t max_threads);
  /// Runs the jobs already queued, then joins every thread.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues `job`, starting a thread when none is idle and the limit allows; false after
  /// stop() began.
  bool submit(std::function<void()> job);
  /// Threads started so far (for tests and stats).
  [[nodiscard]] std::size_t threads_started();
  /// Stops accepting jobs, finishes the queued ones and joins (idempotent).
  void stop();

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::size_t max_threads_;
  std::size_t idle_ = 0;  ///< threads waiting for a job
  std::vector<std::thread> threads_;
};

}  // namespace barrel_p2p::runtime
