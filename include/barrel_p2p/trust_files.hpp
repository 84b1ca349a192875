// The trust store on disk, for programs that manage it while the node is not running (such as
// `barrel-p2p keys trust`). One raw 32-byte Ed25519 public key per pinned node at
// <data_dir>/keys/trusted/<node>.pub (SPEC §2.1 "Trust store"). A node reads these pins when it
// starts; Node::pin, unpin and pins are the same operations on a running node, and as there a
// pin is never silently replaced by a different key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "barrel_p2p/node.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

/// Longest node name that may be pinned, in bytes.
inline constexpr std::size_t kPinNameSizeMax = 64;

/// `<data_dir>/keys/trusted`: the directory holding one `<node>.pub` per pin.
std::filesystem::path trusted_directory(const std::filesystem::path& data_dir);

/// True when `name` may be pinned (and so used as a file name): 1 to kPinNameSizeMax
/// characters from [A-Za-z0-9._-], and neither "." nor "..".
bool is_valid_pin_name(std::string_view name);

/// The pins found by list_pins().
struct PinListing {
  std::vector<Pin> pins;              ///< Valid pins, sorted by peer name.
  std::vector<std::string> warnings;  ///< One line per skipped directory entry, naming it.
};

/// Every pin under `data_dir`. A missing trusted/ directory is an empty trust store. Entries
/// that are not regular files named `<valid name>.pub` holding exactly 32 bytes are skipped, each
/// with a warning (a starting node skips the same ones).
/// Errors: io when the directory cannot be listed; limit_reached when it holds more than
/// 100,000 entries (a node refuses to start then, rather than drop pins).
Result<PinListing> list_pins(const std::filesystem::path& data_dir);

/// What save_pin() did.
enum class PinSaved : std::uint8_t {
  pinned,          ///< The pin file was written.
  already_pinned,  ///< `peer` was already pinned to this key; nothing changed.
};

/// Pins `peer` to `public_key`: writes `trusted/<peer>.pub` atomically (mode 0644) unless the
/// same pin exists. A pin that differs, or one that cannot be read, is never replaced: remove
/// it first.
/// Errors: invalid_argument when !is_valid_pin_name(peer); already_exists when a different or
/// unreadable pin for `peer` exists (the message names the file); io when the file cannot be
/// written.
Result<PinSaved> save_pin(const std::filesystem::path& data_dir, std::string_view peer,
                          const std::array<std::uint8_t, 32>& public_key);

/// Removes the pin of `peer`.
/// Errors: invalid_argument when !is_valid_pin_name(peer); not_found when `peer` is not pinned;
/// io when the file cannot be removed.
Result<void> remove_pin(const std::filesystem::path& data_dir, std::string_view peer);

}  // namespace barrel_p2p
