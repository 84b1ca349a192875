#include "runtime/secure_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ranges>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/assert.hpp"

namespace barrel_p2p::runtime {
namespace {

namespace fs = std::filesystem;

/// Fresh temporary names tried before giving up; each is 64 random bits, so hitting the bound
/// means something other than bad luck (e.g. a broken RNG) and the write fails with Errc::io.
constexpr int kTempNameAttemptsMax = 8;
/// Bytes asked of read(2) at a time.
constexpr std::size_t kReadChunkSize = 16'384;

std::string os_reason(int error_number) {
  return std::error_code(error_number, std::generic_category()).message();
}

Unexpected os_failure(std::string_view what, const fs::path& path, int error_number) {
  return fail(Errc::io, std::string(what) + " " + path.string() + ": " + os_reason(error_number));
}

/// Closes the descriptor it owns on destruction.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  /// Closes now and reports the result (close(2) can report a delayed write error).
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

/// Unlinks a temporary file on destruction unless disarmed after a successful rename.
class TempFileGuard {
 public:
  explicit TempFileGuard(fs::path path) : path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (armed_) ::unlink(path_.c_str());
  }
  void disarm() { armed_ = false; }

 private:
  fs::path path_;
  bool armed_ = true;
};

fs::path directory_of(const fs::path& path) {
  fs::path directory = path.parent_path();
  return directory.empty() ? fs::path(".") : directory;
}

Result<void> sync_directory(const fs::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_failure("cannot open directory", directory, errno);
  FileDescriptor owned(fd);
  if (::fsync(owned.get()) != 0) return os_failure("cannot fsync directory", directory, errno);
  return {};
}

/// Creates the missing ancestors of `directory` (and it) top-down with mode exactly 0700.
Result<void> create_owner_only_directories(const fs::path& directory) {
  std::vector<fs::path> missing;  // Bounded by the number of components in `directory`.
  for (fs::path at = directory; !at.empty(); at = at.parent_path()) {
    struct stat info {};
    if (::stat(at.c_str(), &info) == 0) {
      if (!S_ISDIR(info.st_mode)) return fail(Errc::io, "not a directory: " + at.string());
      break;
    }
    if (errno != ENOENT) return os_failure("cannot stat", at, errno);
    missing.push_back(at);
    if (at == at.parent_path()) break;  // The root itself is missing: mkdir will say why.
  }
  for (const fs::path& at : std::views::reverse(missing)) {
    if (::mkdir(at.c_str(), kSecretDirectoryMode) != 0) {
      if (errno == EEXIST) continue;  // Created concurrently; leave its mode alone.
      return os_failure("cannot create directory", at, errno);
    }
    // mkdir applies the umask; set the exact mode, as for files.
    if (::chmod(at.c_str(), kSecretDirectoryMode) != 0) {
      return os_failure("cannot chmod directory", at, errno);
    }
    if (auto synced = sync_directory(directory_of(at)); !synced) return synced;
  }
  return {};
}

/// Creates a fresh, empty `.<name>.<random>.tmp` in `directory` with O_EXCL.
Result<std::pair<FileDescriptor, fs::path>> create_temp_file(const fs::path& directory,
                                                             const fs::path& name, mode_t mode) {
  for (int attempt = 0; attempt < kTempNameAttemptsMax; ++attempt) {
    std::array<std::uint8_t, 8> random{};
    if (::getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
      return os_failure("cannot get random bytes for a temporary file in", directory, errno);
    }
    fs::path candidate = directory / ("." + name.string() + "." + core::to_hex(random) + ".tmp");
    // O_EXCL also refuses to follow a symlink planted at the candidate name.
    const int fd = ::open(candidate.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
    if (fd >= 0) return std::pair{FileDescriptor(fd), std::move(candidate)};
    if (errno != EEXIST) return os_failure("cannot create", candidate, errno);
  }
  return fail(Errc::io, "cannot create a unique temporary file in " + directory.string());
}

Result<void> write_all(int fd, const fs::path& path, core::ByteView data) {
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t count = ::write(fd, data.data() + written, data.size() - written);
    if (count < 0) {
      if (errno == EINTR) continue;
      return os_failure("cannot write", path, errno);
    }
    written += static_cast<std::size_t>(count);
  }
  return {};
}

/// Writes `data` to a new temporary file beside `path` with exactly `mode`, fsyncs and closes
/// it, and returns its path; on failure the temporary file is already removed.
Result<fs::path> write_temp_file(const fs::path& path, core::ByteView data, mode_t mode) {
  BARREL_ASSERT((mode & ~mode_t{0777}) == 0, "only permission bits are supported");
  if (!path.has_filename()) return fail(Errc::io, "not a file path: " + path.string());
  const fs::path directory = directory_of(path);
  if (auto made = create_owner_only_directories(directory); !made) {
    return Unexpected(std::move(made).error());
  }
  auto created = create_temp_file(directory, path.filename(), mode);
  if (!created) return Unexpected(std::move(created).error());
  auto& [fd, temp_path] = *created;
  TempFileGuard guard(temp_path);
  // open() applied the umask (it can only have narrowed `mode`); set the exact mode before
  // the first byte is written.
  if (::fchmod(fd.get(), mode) != 0) return os_failure("cannot chmod", temp_path, errno);
  if (auto wrote = write_all(fd.get(), temp_path, data); !wrote) {
    return Unexpected(std::move(wrote).error());
  }
  if (::fsync(fd.get()) != 0) return os_failure("cannot fsync", temp_path, errno);
  if (fd.close() != 0 && errno != EINTR) return os_failure("cannot close", temp_path, errno);
  guard.disarm();
  return temp_path;
}

/// Publishes `temp` at `path` only if `path` does not exist.
Result<void> publish_new(const fs::path& temp, const fs::path& path) {
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) {
    return {};
  }
  if (errno == EEXIST) return fail(Errc::already_exists, path.string() + " already exists");
  if (errno != EINVAL && errno != ENOSYS) return os_failure("cannot rename onto", path, errno);
  // The file system has no RENAME_NOREPLACE: link() gives the same no-clobber guarantee.
  if (::link(temp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) return fail(Errc::already_exists, path.string() + " already exists");
    return os_failure("cannot link onto", path, errno);
  }
  ::unlink(temp.c_str());
  return {};
}

/// Opens `path` for reading and checks it is a regular file; returns it with its size.
Result<std::pair<FileDescriptor, std::size_t>> open_regular_file(const fs::path& path) {
  // O_NONBLOCK so a FIFO planted at `path` cannot block the open; regular files ignore it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return fail(Errc::not_found, path.string() + " does not exist");
    return os_failure("cannot open", path, errno);
  }
  FileDescriptor owned(fd);
  struct stat info {};
  if (::fstat(owned.get(), &info) != 0) return os_failure("cannot stat", path, errno);
  if (!S_ISREG(info.st_mode)) return fail(Errc::io, path.string() + " is not a regular file");
  return std::pair{std::move(owned), static_cast<std::size_t>(info.st_size)};
}

/// Overwrites `data` in a way the compiler may not elide: buffers may hold key material.
void wipe(core::Bytes& data) {
  if (!data.empty()) ::explicit_bzero(data.data(), data.size());
}

/// Reads until end of file, failing once more than `limit` bytes arrive. Buffers that are
/// dropped on failure are wiped; a file that keeps its fstat size is read without reallocation.
Result<core::Bytes> read_to_end(int fd, const fs::path& path, std::size_t expected,
                                std::size_t limit) {
  core::Bytes out;
  out.reserve(std::min(expected, limit) + 1);
  while (true) {
    const std::size_t old_size = out.size();
    // Ask for one byte past the limit so a file that grew since fstat is caught.
    const std::size_t want = std::min(kReadChunkSize, limit + 1 - old_size);
    out.resize(old_size + want);
    const ssize_t count = ::read(fd, out.data() + old_size, want);
    if (count < 0) {
      const int error_number = errno;
      out.resize(old_size);
      if (error_number == EINTR) continue;
      wipe(out);
      return os_failure("cannot read", path, error_number);
    }
    out.resize(old_size + static_cast<std::size_t>(count));
    if (count == 0) return out;
    if (out.size() > limit) {
      wipe(out);
      return fail(Errc::limit_reached,
                  path.string() + " is larger than " + std::to_string(limit) + " bytes");
    }
  }
}

}  // namespace

Result<void> write_file_atomic(const fs::path& path, core::ByteView data, mode_t mode) {
  auto temp = write_temp_file(path, data, mode);
  if (!temp) return Unexpected(std::move(temp).error());
  TempFileGuard guard(*temp);
  if (::rename(temp->c_str(), path.c_str()) != 0) {
    return os_failure("cannot rename onto", path, errno);
  }
  guard.disarm();
  return sync_directory(directory_of(path));
}

Result<void> write_file_new(const fs::path& path, core::ByteView data, mode_t mode) {
  auto temp = write_temp_file(path, data, mode);
  if (!temp) return Unexpected(std::move(temp).error());
  TempFileGuard guard(*temp);
  if (auto published = publish_new(*temp, path); !published) return published;
  guard.disarm();
  return sync_directory(directory_of(path));
}

Result<core::Bytes> read_file(const fs::path& path, std::size_t max_size) {
  auto opened = open_regular_file(path);
  if (!opened) return Unexpected(std::move(opened).error());
  auto& [fd, size] = *opened;
  if (size > max_size) {
    return fail(Errc::limit_reached, path.string() + " has " + std::to_string(size) +
                                         " bytes, more than the limit of " +
                                         std::to_string(max_size));
  }
  return read_to_end(fd.get(), path, size, max_size);
}

Result<core::Bytes> read_file_exact(const fs::path& path, std::size_t size) {
  auto opened = open_regular_file(path);
  if (!opened) return Unexpected(std::move(opened).error());
  auto& [fd, actual] = *opened;
  auto size_mismatch = [&](std::string_view found) {
    return fail(Errc::io, path.string() + " has " + std::string(found) + " bytes, expected " +
                              std::to_string(size));
  };
  if (actual != size) return size_mismatch(std::to_string(actual));
  auto data = read_to_end(fd.get(), path, size, size);
  if (!data) {
    if (data.error().code == Errc::limit_reached) {
      return size_mismatch("more than " + std::to_string(size));
    }
    return data;
  }
  if (data->size() != size) {  // The file shrank between fstat and read.
    wipe(*data);
    return size_mismatch(std::to_string(data->size()));
  }
  return data;
}

Result<void> check_secret_file_mode(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return {};
    return os_failure("cannot stat", path, errno);
  }
  const mode_t mode = info.st_mode & 07777;
  if ((mode & 077) == 0) return {};
  char octal[8];
  std::snprintf(octal, sizeof(octal), "%04o", static_cast<unsigned>(mode));
  return fail(Errc::unsafe_file, path.string() + " is mode " + octal +
                                     ": a secret file must not be readable or writable by group "
                                     "or others (chmod 600 it)");
}

Result<void> create_private_directories(const fs::path& directory) {
  return create_owner_only_directories(directory);
}

Result<void> remove_file(const fs::path& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return fail(Errc::not_found, path.string() + " does not exist");
    return os_failure("cannot remove", path, errno);
  }
  return sync_directory(directory_of(path));
}

}  // namespace barrel_p2p::runtime
