// libFuzzer target: wire::decode_views on hostile bytes. An accepted message stays within its
// bounds and re-encodes to the same bytes (every message has exactly one encoding).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <variant>

#include "core/assert.hpp"
#include "wire/views_message.hpp"

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  namespace wire = barrel_p2p::wire;
  auto message = wire::decode_views(barrel_p2p::core::ByteView(data, size));
  if (!message) return 0;
  if (const auto* reply = std::get_if<wire::ViewsReply>(&*message)) {
    BARREL_ASSERT(reply->active.size() <= wire::kMaxViewsActive &&
                      reply->on_demand.size() <= wire::kMaxViewsOnDemand &&
                      reply->passive_size <= wire::kMaxViewsCount,
                  "a bound was exceeded");
  }
  const barrel_p2p::core::Bytes again = wire::encode_views(*message);
  BARREL_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data),
                "decode/encode round trip changed the bytes");
  return 0;
}
