#include "runtime/worker_pool.hpp"

#include <algorithm>

namespace barrel_p2p::runtime {

WorkerPool::WorkerPool(std::size_t max_threads, std::size_t queued_jobs_max)
    : max_threads_(std::max<std::size_t>(1, max_threads)),
      queued_jobs_max_(std::max<std::size_t>(1, queued_jobs_max)) {}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    if (jobs_.size() >= queued_jobs_max_) {
      ++jobs_refused_;
      return false;
    }
    jobs_.push_back(std::move(job));
    // Every idle thread will take one queued job; start a thread for the rest.
    if (jobs_.size() > idle_ && threads_.size() < max_threads_) {
      threads_.emplace_back([this] { run(); });
    }
  }
  ready_.notify_one();
  return true;
}

std::size_t WorkerPool::threads_started() {
  std::lock_guard lock(mutex_);
  return threads_.size();
}

std::uint64_t WorkerPool::jobs_refused() {
  std::lock_guard lock(mutex_);
  return jobs_refused_;
}

std::size_t WorkerPool::jobs_queued() {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void WorkerPool::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);  // submit() starts no thread once stopping_ is set
  }
  ready_.notify_all();
  for (auto& thread : threads) {
    if (thread.joinable()) thread.join();
  }
}

void WorkerPool::run() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ++idle_;
      ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace barrel_p2p::runtime
