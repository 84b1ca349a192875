// Trust store: pins node name -> public key (SPEC §2.1). In memory only; the runtime loads and
// persists keys/trusted/<node>.pub. A pin is never silently replaced. It also holds the key
// fingerprints that configured contact strings require of a name (decision 0024).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "proto/auth/identity.hpp"

namespace barrel_p2p::auth {

/// How unknown peers are treated.
enum class TrustMode : std::uint8_t {
  tofu,    ///< Trust on first use: an unpinned name is accepted and reported for pinning.
  strict,  ///< Only pre-provisioned pins are accepted.
};

/// Name -> public key pins. Value type; not thread-safe (the node owns it; sessions read it).
class TrustStore {
 public:
  /// Default bound on the number of pins.
  static constexpr std::size_t kDefaultMaxPins = 100000;

  /// An empty store in `mode` holding at most `max_pins` pins (further pins fail with
  /// Errc::limit_reached).
  explicit TrustStore(TrustMode mode = TrustMode::tofu, std::size_t max_pins = kDefaultMaxPins);

  /// Pins `name` to `key`. Pinning the same key again succeeds and changes nothing.
  /// Errors: Errc::invalid_argument when !wire::is_valid_name(name) (names become file names);
  /// Errc::already_exists when a different key is pinned (unpin first — never replaced
  /// silently); Errc::limit_reached when max_pins pins exist.
  Result<void> pin(std::string_view name, const PublicKey& key);

  /// Moves the pin of `name` from `from` to `to` (a key rotation, decision 0023): a
  /// compare-and-swap, so a pin changed meanwhile is never overwritten. Succeeds without a
  /// change when `name` is already pinned to `to`.
  /// Errors: Errc::not_found when `name` is not pinned; Errc::already_exists when it is
  /// pinned to a key other than `from` and `to`.
  Result<void> replace(std::string_view name, const PublicKey& from, const PublicKey& to);

  /// Removes the pin of `name`. Errors: Errc::not_found when `name` is not pinned.
  Result<void> unpin(std::string_view name);

  /// The key pinned for `name`, if any.
  [[nodiscard]] std::optional<PublicKey> lookup(std::string_view name) const;

  /// Requires any peer presenting `name` to hold a key whose SHA-256 is `key_sha256` (a contact
  /// string in the configuration): another key is refused in every trust mode, pinned or not,
  /// and in strict mode this key is accepted without a pin (then pinned, as a first contact
  /// is). Requiring the same fingerprint again changes nothing. Errors: invalid_argument when
  /// !wire::is_valid_name(name); already_exists when another fingerprint is required for
  /// `name`; limit_reached when max_pins names have requirements.
  Result<void> require(std::string_view name, const Sha256& key_sha256);

  /// The fingerprint required for `name` by require(), if any.
  [[nodiscard]] std::optional<Sha256> required(std::string_view name) const;

  /// Every pin, sorted by name.
  [[nodiscard]] std::vector<std::pair<std::string, PublicKey>> list() const;

  /// Number of pins.
  [[nodiscard]] std::size_t size() const { return pins_.size(); }
  /// The configured bound on pins.
  [[nodiscard]] std::size_t max_pins() const { return max_pins_; }

  /// Switches the trust mode; takes effect for HELLOs handled afterwards.
  void set_mode(TrustMode mode) { mode_ = mode; }
  /// The current trust mode.
  [[nodiscard]] TrustMode mode() const { return mode_; }

 private:
  TrustMode mode_;
  std::size_t max_pins_;
  std::map<std::string, PublicKey, std::less<>> pins_;   // bounded by max_pins_
  std::map<std::string, Sha256, std::less<>> required_;  // bounded by max_pins_
};

}  // namespace barrel_p2p::auth
