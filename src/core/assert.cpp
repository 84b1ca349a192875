#include "core/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace barrel_p2p::core {

void assertion_failed(const char* condition, const char* file, int line,
                      const char* message) noexcept {
  std::fprintf(stderr, "barrel_p2p: assertion failed: %s at %s:%d%s%s\n", condition, file, line,
               message != nullptr ? ": " : "", message != nullptr ? message : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace barrel_p2p::core
