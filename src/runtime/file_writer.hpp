// Writes files off the event loops. Saving a pin costs two fsyncs; in a join storm a node pins
// every new peer, and on a shared loop each fsync would stall every node of that loop. So pins
// go to one background thread per process, shared by all of its nodes, which runs the writes
// in the order they were queued.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "barrel_p2p/result.hpp"
#include "runtime/worker_pool.hpp"

namespace barrel_p2p::runtime {

class FileWriter {
 public:
  /// Writes that may wait for the thread: a pin job holds a name and 32 bytes, so a full
  /// queue costs a few MiB, and a storm of 1,000 nodes queues ~25,000 at most.
  static constexpr std::size_t kQueuedJobsMax = 100'000;

  /// The process's writer, made on first use. Its thread starts with the first job and stops,
  /// after running every queued job, when the last holder lets go. Thread-safe.
  static std::shared_ptr<FileWriter> shared();

  /// Queues `job`. Returns false, without running it, when kQueuedJobsMax jobs are waiting.
  /// Thread-safe.
  [[nodiscard]] bool submit(std::function<void()> job);
  /// Queues `write` behind every job already queued, waits for it and returns its result, so
  /// an explicit pin is never overwritten by an older pin still queued. Never call it from a
  /// job. Errors: those of `write`; Errc::limit_reached when kQueuedJobsMax jobs are waiting.
  Result<void> write_and_wait(std::function<Result<void>()> write);
  /// Returns once every job queued before the call has run. Never call it from a job.
  void flush();

  FileWriter() = default;

 private:
  WorkerPool pool_{1, kQueuedJobsMax};
};

}  // namespace barrel_p2p::runtime
