#include "runtime/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "runtime/scoped_fd.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p::runtime {
namespace {

namespace fs = std::filesystem;

/// Longest pid text read back from a lock file (a pid has at most 7 digits on Linux).
constexpr std::size_t kPidTextMax = 32;

Unexpected os_failure(std::string_view what, const fs::path& path) {
  return fail(Errc::io, std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

/// The pid another holder wrote into the lock file, or "unknown".
std::string holder_pid(int fd) {
  std::array<char, kPidTextMax> text{};
  const ssize_t got = ::pread(fd, text.data(), text.size() - 1, 0);
  std::string pid;
  for (ssize_t i = 0; i < got && text[static_cast<std::size_t>(i)] >= '0' &&
                      text[static_cast<std::size_t>(i)] <= '9';
       ++i) {
    pid += text[static_cast<std::size_t>(i)];
  }
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

fs::path data_dir_lock_path(const fs::path& data_dir) { return data_dir / "lock"; }

Result<DataDirLock> DataDirLock::acquire(const fs::path& data_dir) {
  if (auto made = create_private_directories(data_dir); !made) return Unexpected(made.error());
  const fs::path path = data_dir_lock_path(data_dir);
  ScopedFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return os_failure("cannot open the lock file", path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(Errc::busy, "data_dir " + data_dir.string() + " is in use by another node (pid " +
                                  holder_pid(fd.get()) + " holds " + path.string() + ")");
    }
    return os_failure("cannot lock", path);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return os_failure("cannot write the pid into", path);
  }
  return DataDirLock(fd.release());
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DataDirLock::~DataDirLock() { release(); }

void DataDirLock::release() {
  if (fd_ < 0) return;
  ::close(fd_);  // closing the last descriptor of the open file drops the flock
  fd_ = -1;
}

}  // namespace barrel_p2p::runtime
