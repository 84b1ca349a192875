// The exclusive lock a running node holds on its data_dir: two nodes on one directory would
// race on the key, certificate and pin files and answer peers with one identity from two
// addresses. The lock is flock(2) on <data_dir>/lock, which holds the holder's pid as text;
// the kernel drops it when the holder exits, however it exits, so a stale file is harmless.
#pragma once

#include <filesystem>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p::runtime {

class DataDirLock {
 public:
  /// Creates `data_dir` (mode 0700) if missing and locks <data_dir>/lock for this process,
  /// writing its pid into the file. flock locks belong to the open file, so a second node in
  /// the same process is refused too.
  /// Errors: Errc::busy naming the lock file and the pid written in it when another node
  /// holds it; Errc::io when the directory or the file cannot be made or locked.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir);

  /// An empty lock (holds nothing).
  DataDirLock() = default;
  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

  /// Lets the lock go (the file stays, with the last holder's pid). Idempotent.
  void release();
  [[nodiscard]] bool held() const { return fd_ >= 0; }

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// <data_dir>/lock.
std::filesystem::path data_dir_lock_path(const std::filesystem::path& data_dir);

}  // namespace barrel_p2p::runtime
