// libsodium initialisation, shared by every file of proto/auth.
#pragma once

namespace barrel_p2p::auth {

/// Initialises libsodium once per process (a function-local static: thread-safe, idempotent).
/// Call before any libsodium primitive. Aborts if libsodium cannot initialise (no usable
/// randomness source): no cryptography is possible then.
void ensure_sodium_initialized();

}  // namespace barrel_p2p::auth
