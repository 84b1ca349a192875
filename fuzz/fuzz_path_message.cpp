// libFuzzer target: wire::decode_path_message on hostile bytes. An accepted message stays within
// its bounds, re-encodes to the same bytes (every message has exactly one encoding) and those
// decode to the same message.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.hpp"
#include "wire/path_message.hpp"

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  namespace wire = barrel_p2p::wire;
  auto message = wire::decode_path_message(barrel_p2p::core::ByteView(data, size));
  if (!message) return 0;
  switch (message->type) {
    case wire::PathMessageType::move:
      BARREL_ASSERT(!message->text.empty() && message->text.size() <= wire::kMaxPathAddressSize,
                    "MOVE address out of bounds");
      break;
    case wire::PathMessageType::moved:
      BARREL_ASSERT(message->text.empty(), "MOVED with text");
      break;
    case wire::PathMessageType::refused:
    case wire::PathMessageType::unable:
      BARREL_ASSERT(message->text.size() <= wire::kMaxPathReasonSize, "reason too long");
      break;
    default: BARREL_ASSERT(false, "decoded an unknown type");
  }
  const barrel_p2p::core::Bytes again = wire::encode_path_message(*message);
  BARREL_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data),
                "decode/encode round trip changed the bytes");
  auto decoded_again = wire::decode_path_message(again);
  BARREL_ASSERT(decoded_again && *decoded_again == *message,
                "re-encoded message decodes differently");
  return 0;
}
