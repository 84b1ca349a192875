#include "runtime/file_writer.hpp"

#include <future>
#include <mutex>
#include <thread>

namespace barrel_p2p::runtime {

std::shared_ptr<FileWriter> FileWriter::shared() {
  static std::mutex mutex;
  static std::weak_ptr<FileWriter> current;
  std::lock_guard lock(mutex);
  if (auto writer = current.lock()) return writer;
  auto writer = std::make_shared<FileWriter>();
  current = writer;
  return writer;
}

bool FileWriter::submit(std::function<void()> job) { return pool_.submit(std::move(job)); }

Result<void> FileWriter::write_and_wait(std::function<Result<void>()> write) {
  std::promise<Result<void>> done;
  auto result = done.get_future();
  if (!pool_.submit([&done, &write] { done.set_value(write()); })) {
    return fail(Errc::limit_reached, "too many file writes queued");
  }
  return result.get();
}

void FileWriter::flush() {
  // One thread runs the jobs in order: once this one ran, every earlier one has.
  std::promise<void> done;
  auto ran = done.get_future();
  while (!pool_.submit([&done] { done.set_value(); })) {
    std::this_thread::yield();  // a full queue: the thread is draining it
  }
  ran.wait();
}

}  // namespace barrel_p2p::runtime
