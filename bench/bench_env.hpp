// Shared by the bench programs: counts from the environment.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <system_error>

namespace barrel_bench {

/// A positive decimal from environment variable `name`, `fallback` when unset. A malformed
/// value (the bench is misconfigured) prints "<program>: NAME=value is not a positive number"
/// on stderr and exits with status 2.
inline std::uint64_t env_or(const char* program, const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr) return fallback;
  const std::string_view view(text);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (error != std::errc() || end != view.data() + view.size() || value == 0) {
    std::fprintf(stderr, "%s: %s=%s is not a positive number\n", program, name, text);
    std::exit(2);
  }
  return value;
}

}  // namespace barrel_bench
