// Small-file helpers for programs built on barrel_p2p (the barrel-p2p CLI, operators' tools):
// bounded whole-file reads and crash-safe writes. They are the ones a node uses for its key,
// pin and certificate files (SPEC §2.1 "On-disk layout"), so a file written here is written
// exactly as a node would write it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

/// Who may read a file that write_file_atomic() writes.
enum class FileAccess : std::uint8_t {
  owner_only,  ///< Mode 0600: secrets (private keys, cluster secrets).
  everyone,    ///< Mode 0644: public material (public keys, certificates, addresses).
};

/// Reads the whole regular file at `path`, which must hold at most `max_size` bytes.
///
/// For small files: the contents are returned in memory. Thread-safe (no shared state).
/// Errors: not_found when the file does not exist; limit_reached when it is larger than
/// `max_size`; io when it is not a regular file or cannot be read (the message names the path
/// and the operating system's reason).
Result<std::vector<std::uint8_t>> read_file(const std::filesystem::path& path,
                                            std::size_t max_size);

/// Reads the regular file at `path`, which must hold exactly `size` bytes (a raw key file).
/// Thread-safe.
/// Errors: not_found when the file does not exist; io when its length differs (the message
/// names the path and both sizes), it is not a regular file, or it cannot be read.
Result<std::vector<std::uint8_t>> read_file_exact(const std::filesystem::path& path,
                                                  std::size_t size);

/// Replaces `path` with `data` atomically and durably.
///
/// Missing parent directories are created with mode 0700. The data goes to a temporary file
/// beside `path` that has its final mode (see FileAccess; the umask does not change it) before
/// any byte is written; it is flushed to disk and renamed over `path`. A reader, or the file
/// after a crash, holds the old contents or the new ones, never a mix. Thread-safe: concurrent
/// writers of one path do not corrupt it, the last one wins.
/// Errors: io naming the path and the reason; `path` then keeps its old contents (except when
/// only the final flush of the directory failed: the new contents are in place but may not
/// survive a crash).
Result<void> write_file_atomic(const std::filesystem::path& path,
                               std::span<const std::uint8_t> data, FileAccess access);

/// write_file_atomic() of the characters of `text`.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view text,
                               FileAccess access);

}  // namespace barrel_p2p
