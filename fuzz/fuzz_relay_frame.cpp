// libFuzzer target: the example relay's frame decoder (examples/relay/relay_frame.hpp) on
// hostile bytes, as the relay, its adapter and its gateway read them from the network. An
// accepted frame is within its bounds and re-encodes to the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/assert.hpp"
#include "relay/relay_frame.hpp"

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  namespace relay = relay_example;
  const auto frame = relay::decode_frame({data, size});
  if (!frame) return 0;
  BARREL_ASSERT(size >= relay::kFrameHeaderSize && size <= relay::kMaxFrameSize, "bounds");
  BARREL_ASSERT(frame->payload.size() <= relay::kMaxRelayPayload, "payload bound");
  BARREL_ASSERT(frame->kind == relay::FrameKind::data || frame->payload.empty(), "kind");
  const std::vector<std::uint8_t> again =
      relay::encode_frame(frame->kind, frame->session, frame->payload);
  BARREL_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data),
                "decode/encode round trip changed the bytes");
  return 0;
}
