// The public offline trust-store API (include/barrel_p2p/trust_files.hpp) over the runtime's
// pin_files. The rule a running node applies (SPEC §2.1: a pin is never replaced by a different
// key) is applied here too, so the CLI cannot bypass it.
#include "barrel_p2p/trust_files.hpp"

#include <algorithm>

#include "barrel_p2p/identity.hpp"
#include "runtime/pin_files.hpp"

namespace barrel_p2p {

static_assert(kPinNameSizeMax == runtime::kPinNameSizeMax);

std::filesystem::path trusted_directory(const std::filesystem::path& data_dir) {
  return runtime::trusted_directory(data_dir);
}

bool is_valid_pin_name(std::string_view name) { return runtime::is_valid_pin_name(name); }

Result<PinListing> list_pins(const std::filesystem::path& data_dir) {
  auto loaded = runtime::load_pins(data_dir);
  if (!loaded) return Unexpected(std::move(loaded).error());
  PinListing listing;
  listing.pins.reserve(loaded->pins.size());
  for (auto& [peer, key] : loaded->pins) {
    listing.pins.push_back(Pin{std::move(peer), key, fingerprint(key)});
  }
  listing.warnings = std::move(loaded->warnings);
  return listing;
}

Result<PinSaved> save_pin(const std::filesystem::path& data_dir, std::string_view peer,
                          const std::array<std::uint8_t, 32>& public_key) {
  if (!is_valid_pin_name(peer)) {
    return fail(Errc::invalid_argument,
                "not a node name that can be pinned (1-64 characters of [A-Za-z0-9._-], "
                "not . or ..)");
  }
  const auto path = trusted_directory(data_dir) / (std::string(peer) + ".pub");
  auto existing = read_public_key(path);
  if (existing && *existing == public_key) return PinSaved::already_pinned;
  if (existing) {
    return fail(Errc::already_exists,
                std::string(peer) + " is already pinned to a different key in " + path.string());
  }
  if (existing.error().code != Errc::not_found) {
    return fail(Errc::already_exists,
                "a pin exists but cannot be read: " + existing.error().message);
  }
  if (auto saved = runtime::save_pin(data_dir, peer, public_key); !saved) {
    return Unexpected(std::move(saved).error());
  }
  return PinSaved::pinned;
}

Result<void> remove_pin(const std::filesystem::path& data_dir, std::string_view peer) {
  return runtime::remove_pin(data_dir, peer);
}

}  // namespace barrel_p2p
