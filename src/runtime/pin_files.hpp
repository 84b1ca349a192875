// The trust store on disk (SPEC §2.1 "Trust store", "On-disk layout"): one raw 32-byte Ed25519
// public key per pinned node at <data>/keys/trusted/<node>.pub. Node names become file names,
// so every name is validated before it touches the file system.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p::runtime {

/// Longest node name that may be pinned, in bytes.
inline constexpr std::size_t kPinNameSizeMax = 64;
/// Most pin files load_pins() reads. Beyond it loading fails with Errc::limit_reached rather
/// than silently dropping pins (a dropped pin would let TOFU re-pin that node to another key).
inline constexpr std::size_t kPinCountMax = 100'000;

/// A pinned node name and its raw Ed25519 public key.
using PinEntry = std::pair<std::string, std::array<std::uint8_t, 32>>;

/// What load_pins() found.
struct LoadedPins {
  std::vector<PinEntry> pins;         ///< Valid pins, sorted by name.
  std::vector<std::string> warnings;  ///< One line per skipped directory entry, naming it.
};

/// <data_dir>/keys/trusted: the directory holding one <node>.pub per pin.
std::filesystem::path trusted_directory(const std::filesystem::path& data_dir);

/// True when `name` may be pinned and used as a file name: 1..64 characters from
/// [A-Za-z0-9._-], and neither "." nor "..". No '/', so it cannot leave trusted/.
bool is_valid_pin_name(std::string_view name);

/// Loads every pin in <data_dir>/keys/trusted. A missing directory is an empty trust store.
/// Entries that are not regular files named <valid name>.pub holding exactly 32 bytes are
/// skipped, each with a warning naming it.
/// Errors: Errc::io when the directory cannot be listed; Errc::limit_reached when it holds more
/// than kPinCountMax entries.
Result<LoadedPins> load_pins(const std::filesystem::path& data_dir);

/// Writes (or replaces) the pin for `name` atomically, mode 0644. Whether a differing pin may
/// be replaced is the trust store's decision (SPEC §2.1), not this function's.
/// Errors: Errc::invalid_argument when !is_valid_pin_name(name); Errc::io when the file cannot
/// be written.
Result<void> save_pin(const std::filesystem::path& data_dir, std::string_view name,
                      const std::array<std::uint8_t, 32>& key);

/// Removes the pin for `name`.
/// Errors: Errc::invalid_argument when !is_valid_pin_name(name); Errc::not_found when no such
/// pin exists; Errc::io when it cannot be removed.
Result<void> remove_pin(const std::filesystem::path& data_dir, std::string_view name);

}  // namespace barrel_p2p::runtime
