// libFuzzer target: hyparview::decode on hostile bytes. Every accepted input must re-encode to
// exactly the same bytes (each message has one valid encoding).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.hpp"
#include "proto/hyparview/hyparview_message.hpp"

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  const barrel_p2p::core::ByteView input(data, size);
  auto decoded = barrel_p2p::hyparview::decode(input);
  if (!decoded) return 0;
  const barrel_p2p::core::Bytes encoded = barrel_p2p::hyparview::encode(*decoded);
  BARREL_ASSERT(encoded.size() == size && std::equal(encoded.begin(), encoded.end(), data),
                "decode/encode round trip changed the bytes");
  return 0;
}
