#include "proto/auth/sodium_init.hpp"

#include <sodium.h>

#include "core/assert.hpp"

namespace barrel_p2p::auth {

void ensure_sodium_initialized() {
  // sodium_init() returns 0 on the first call and 1 when already initialised; -1 is fatal.
  static const int status = sodium_init();
  BARREL_ASSERT(status >= 0, "libsodium failed to initialise");
}

}  // namespace barrel_p2p::auth
