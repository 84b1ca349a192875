// libFuzzer target: wire::decode_process_message on hostile bytes. Every accepted input must
// re-encode to exactly the same bytes (each message has one valid encoding), and a trailing
// payload must be a view of the input's last bytes (decoding copies no payload).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <variant>

#include "core/assert.hpp"
#include "wire/process_message.hpp"

namespace {

// The payload of Send, Call, Reply and Rpc; an empty view at the input's end for the others.
barrel_p2p::core::ByteView payload_of(const barrel_p2p::wire::ProcessMessage& message,
                                      barrel_p2p::core::ByteView input) {
  return std::visit(
      [input](const auto& m) -> barrel_p2p::core::ByteView {
        if constexpr (requires { m.payload; }) {
          return m.payload;
        } else {
          return input.last(0);
        }
      },
      message);
}

}  // namespace

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  const barrel_p2p::core::ByteView input(data, size);
  auto decoded = barrel_p2p::wire::decode_process_message(input);
  if (!decoded) return 0;
  const barrel_p2p::core::ByteView payload = payload_of(*decoded, input);
  BARREL_ASSERT(payload.empty() || payload.data() + payload.size() == data + size,
                "payload is not a view of the end of the frame");
  const barrel_p2p::core::Bytes encoded = barrel_p2p::wire::encode_process_message(*decoded);
  BARREL_ASSERT(encoded.size() == size && std::equal(encoded.begin(), encoded.end(), data),
                "decode/encode round trip changed the bytes");
  return 0;
}
