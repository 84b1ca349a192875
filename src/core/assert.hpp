// Always-on assertions: they catch our bugs and stay on in release builds.
// Peer input must never reach an assertion; it becomes an Error instead.
#pragma once

namespace barrel_p2p::core {

/// Prints the failed condition with its location and aborts. Never returns.
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line,
                                   const char* message) noexcept;

}  // namespace barrel_p2p::core

/// BARREL_ASSERT(cond) / BARREL_ASSERT(cond, "why"): abort when cond is false.
#define BARREL_ASSERT(...) \
  BARREL_ASSERT_SELECT(__VA_ARGS__, BARREL_ASSERT2, BARREL_ASSERT1)(__VA_ARGS__)
#define BARREL_ASSERT_SELECT(_1, _2, NAME, ...) NAME
#define BARREL_ASSERT1(cond)     \
  ((cond) ? static_cast<void>(0) \
          : ::barrel_p2p::core::assertion_failed(#cond, __FILE__, __LINE__, nullptr))
#define BARREL_ASSERT2(cond, msg) \
  ((cond) ? static_cast<void>(0)  \
          : ::barrel_p2p::core::assertion_failed(#cond, __FILE__, __LINE__, msg))
