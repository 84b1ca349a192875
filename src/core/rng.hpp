// Randomness as a parameter. The OS-backed implementation lives in src/runtime; tests and the
// simulator use SeededRng so every run is reproducible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/time.hpp"

namespace barrel_p2p::core {

/// A source of random bytes and numbers.
class Rng {
 public:
  virtual ~Rng() = default;
  /// Fills `out` with random bytes.
  virtual void fill(std::span<std::uint8_t> out) = 0;
  /// A uniformly random 64-bit value.
  virtual std::uint64_t next_u64();
  /// A uniformly random value in [0, bound). Precondition: bound > 0.
  std::uint64_t uniform(std::uint64_t bound);
};

/// `base` scaled by a random factor in [0.5, 1.5): retries of many nodes started together
/// spread out instead of arriving in step. `base` must not be negative.
Duration jittered(Rng& rng, Duration base);

/// Deterministic generator (xoshiro256**) seeded by a 64-bit value. Not for key material.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed);
  void fill(std::span<std::uint8_t> out) override;
  std::uint64_t next_u64() override;

 private:
  std::uint64_t state_[4]{};
};

}  // namespace barrel_p2p::core
