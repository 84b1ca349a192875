// The public small-file helpers (include/barrel_p2p/files.hpp) over the runtime's secure_file.
#include "barrel_p2p/files.hpp"

#include "core/bytes.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p {

namespace {

mode_t file_mode(FileAccess access) {
  switch (access) {
    case FileAccess::owner_only: return runtime::kSecretFileMode;
    case FileAccess::everyone: return runtime::kPublicFileMode;
  }
  return runtime::kSecretFileMode;  // not reached: the switch covers every FileAccess
}

}  // namespace

Result<std::vector<std::uint8_t>> read_file(const std::filesystem::path& path,
                                            std::size_t max_size) {
  return runtime::read_file(path, max_size);
}

Result<std::vector<std::uint8_t>> read_file_exact(const std::filesystem::path& path,
                                                  std::size_t size) {
  return runtime::read_file_exact(path, size);
}

Result<void> write_file_atomic(const std::filesystem::path& path,
                               std::span<const std::uint8_t> data, FileAccess access) {
  return runtime::write_file_atomic(path, data, file_mode(access));
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view text,
                               FileAccess access) {
  return runtime::write_file_atomic(path, core::as_bytes(text), file_mode(access));
}

}  // namespace barrel_p2p
