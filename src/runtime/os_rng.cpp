#include "runtime/os_rng.hpp"

#include <sodium.h>

#include "core/assert.hpp"

namespace barrel_p2p::runtime {

OsRng::OsRng() {
  // Function-local static: thread-safe one-time initialisation, no mutable global.
  // sodium_init() returns 0 on success, 1 when already initialised, -1 on failure.
  static const int initialised = sodium_init();
  BARREL_ASSERT(initialised >= 0, "sodium_init failed");
}

void OsRng::fill(std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); }

}  // namespace barrel_p2p::runtime
