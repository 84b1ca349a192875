// Operating-system randomness (libsodium's CSPRNG), suitable for keys and connection ids.
#pragma once

#include <cstdint>
#include <span>

#include "core/rng.hpp"

namespace barrel_p2p::runtime {

/// core::Rng backed by libsodium's randombytes_buf (getrandom(2) underneath). Stateless;
/// thread-safe. The first construction in the process calls sodium_init() once.
class OsRng final : public core::Rng {
 public:
  /// Initialises libsodium on first use; aborts (assertion) if it cannot, since the process
  /// then has no safe source of key material.
  OsRng();
  /// Fills `out` with cryptographically secure random bytes. Never fails.
  void fill(std::span<std::uint8_t> out) override;
};

}  // namespace barrel_p2p::runtime
