// Crash-safe file writes and bounded reads for key, pin and certificate files (SPEC §2.1
// "On-disk layout"). A secret file is created with its final mode before any byte is written,
// written to a temporary file beside the target and renamed over it, so a reader sees either the
// old contents or the new, never a partial or world-readable secret.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::runtime {

/// Mode of directories this module creates: they may hold secrets, so owner-only.
inline constexpr mode_t kSecretDirectoryMode = 0700;
/// Mode of files holding secret key material.
inline constexpr mode_t kSecretFileMode = 0600;
/// Mode of files holding public material (public keys, certificates).
inline constexpr mode_t kPublicFileMode = 0644;

/// Replaces `path` with `data` atomically and durably.
///
/// Missing parent directories are created with mode 0700 (existing ones are left as they are).
/// The data goes to a fresh temporary file in the same directory, created with
/// O_CREAT|O_EXCL and fchmod'ed to exactly `mode` (the umask neither widens nor narrows it)
/// before any byte is written; then it is fsync'ed, renamed over `path`, and the directory is
/// fsync'ed. On failure the temporary file is removed and `path` keeps its old contents,
/// except when only the final directory fsync fails: then the new contents are in place but
/// may not survive a crash. Concurrent writers of one path do not corrupt it; the last rename
/// wins.
/// Errors: Errc::io naming the path and the OS reason.
Result<void> write_file_atomic(const std::filesystem::path& path, core::ByteView data, mode_t mode);

/// Like write_file_atomic(), but never replaces an existing file: publishes the temporary
/// file with renameat2(RENAME_NOREPLACE) (or link() where the file system lacks it).
/// Errors: Errc::already_exists when `path` exists (it is left untouched); Errc::io otherwise.
Result<void> write_file_new(const std::filesystem::path& path, core::ByteView data, mode_t mode);

/// Reads the whole regular file at `path`, which must hold at most `max_size` bytes.
/// Errors: Errc::not_found when it does not exist; Errc::limit_reached when it is larger than
/// `max_size`; Errc::io when it is not a regular file or cannot be read.
Result<core::Bytes> read_file(const std::filesystem::path& path, std::size_t max_size);

/// Reads the regular file at `path`, which must hold exactly `size` bytes.
/// Errors: Errc::not_found when it does not exist; Errc::io when its length differs (the
/// message names the path and both sizes), it is not a regular file, or it cannot be read.
Result<core::Bytes> read_file_exact(const std::filesystem::path& path, std::size_t size);

/// Checks that the secret file at `path` is not readable or writable by group or others.
/// A missing file passes (it will be created 0600).
/// Errors: Errc::unsafe_file naming the path and its mode (e.g. "mode 0644"); Errc::io when
/// it cannot be inspected.
Result<void> check_secret_file_mode(const std::filesystem::path& path);

/// Creates `directory` and its missing ancestors with mode 0700; existing ones are left alone.
/// Errors: Errc::io naming the path (also when a component is not a directory).
Result<void> create_private_directories(const std::filesystem::path& directory);

/// Removes the file at `path` and fsyncs its directory so the removal survives a crash.
/// Errors: Errc::not_found when it does not exist; Errc::io otherwise.
Result<void> remove_file(const std::filesystem::path& path);

}  // namespace barrel_p2p::runtime
