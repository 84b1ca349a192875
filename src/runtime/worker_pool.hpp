// A bounded pool of threads running jobs in FIFO order: the home of Placement::worker processes
// and rpc functions that may block. Threads start on demand (a job queued while no thread is
// idle starts one, up to the limit) and then stay until stop(): a node that never runs a worker
// job has no worker thread, which matters when one process hosts many nodes. The queue of jobs
// waiting for a thread is bounded too: remote rpcs and DNS lookups land here, so a peer could
// otherwise grow it without limit.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace barrel_p2p::runtime {

class WorkerPool {
 public:
  /// Default for queued_jobs_max: room for bursts of rpcs and lookups, while a flood costs
  /// at most this many queued closures.
  static constexpr std::size_t kDefaultQueuedJobsMax = 10'000;

  /// At most `max_threads` threads (at least one) and at most `queued_jobs_max` jobs waiting
  /// for a thread (at least one); jobs being run do not count.
  explicit WorkerPool(std::size_t max_threads, std::size_t queued_jobs_max = kDefaultQueuedJobsMax);
  /// Runs the jobs already queued, then joins every thread.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues `job`, starting a thread when none is idle and the limit allows. Returns false, and
  /// drops `job` without running it, after stop() began or when queued_jobs_max jobs are
  /// already waiting (the caller must then fail whatever the job was for; counted in
  /// jobs_refused()). Thread-safe.
  [[nodiscard]] bool submit(std::function<void()> job);
  /// Threads started so far (for tests and stats).
  [[nodiscard]] std::size_t threads_started();
  /// Jobs refused because queued_jobs_max jobs were waiting (not those refused after stop()).
  /// Thread-safe.
  [[nodiscard]] std::uint64_t jobs_refused();
  /// Jobs waiting for a thread now. Thread-safe.
  [[nodiscard]] std::size_t jobs_queued();
  [[nodiscard]] std::size_t queued_jobs_max() const { return queued_jobs_max_; }
  /// Stops accepting jobs, finishes the queued ones and joins (idempotent).
  void stop();

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::size_t max_threads_;
  const std::size_t queued_jobs_max_;
  std::uint64_t jobs_refused_ = 0;
  std::size_t idle_ = 0;  ///< threads waiting for a job
  std::vector<std::thread> threads_;
};

}  // namespace barrel_p2p::runtime
