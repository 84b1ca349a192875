// libFuzzer target: Pid's text form (Pid::parse) and binary form (Pid::deserialize) on hostile
// input. Each input is tried as both. Nothing may abort, and every accepted pid round-trips:
// serialize() then deserialize() gives it back, and so does to_string() then parse() (for pids
// with a node name: the binary form also carries the anonymous, nameless default pid).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "barrel_p2p/pid.hpp"
#include "core/assert.hpp"

namespace {

using barrel_p2p::Pid;

void check_round_trips(const Pid& pid) {
  auto back = Pid::deserialize(pid.serialize());
  BARREL_ASSERT(back && *back == pid, "serialize/deserialize changed an accepted pid");
  if (pid.node.empty()) return;
  const std::string text = pid.to_string();
  auto parsed = Pid::parse(text);
  BARREL_ASSERT(parsed && *parsed == pid, "to_string/parse changed an accepted pid");
  BARREL_ASSERT(parsed->to_string() == text, "to_string is not canonical");
}

}  // namespace

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto parsed = Pid::parse(text)) check_round_trips(*parsed);
  if (auto decoded = Pid::deserialize(std::span<const std::uint8_t>(data, size))) {
    check_round_trips(*decoded);
  }
  return 0;
}
