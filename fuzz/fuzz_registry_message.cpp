// libFuzzer target: registry::decode_message on hostile bytes. An accepted envelope re-encodes
// to the same bytes, and its body (DELTA or STATE) goes through registry::decode() and a
// merge into a registry with small bounds, as the Engine does with peer frames.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.hpp"
#include "proto/registry/registry_message.hpp"
#include "proto/registry/service_registry.hpp"

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  namespace registry = barrel_p2p::registry;
  using barrel_p2p::core::Bytes;
  const barrel_p2p::core::ByteView input(data, size);
  auto message = registry::decode_message(input, 1 << 20);
  if (!message) return 0;
  const Bytes body(message->body.begin(), message->body.end());
  Bytes again;
  switch (message->type) {
    case registry::Message::Type::delta:
      again = registry::encode_delta_message(body, message->exit);
      break;
    case registry::Message::Type::digest:
      again = registry::encode_digest_message(message->digest);
      break;
    case registry::Message::Type::state:
      again = registry::encode_state_message(body, message->reply);
      break;
  }
  // Non-canonical exit texts are refused, so every accepted envelope has one encoding.
  BARREL_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data),
                "decode/encode round trip changed the bytes");
  if (message->type == registry::Message::Type::digest) return 0;
  registry::Config config;
  config.max_names = 8;
  config.max_entries_per_name = 4;
  config.max_entries = 16;
  config.max_tombstones = 16;
  config.max_nodes = 8;
  registry::ServiceRegistry replica(config, "m", barrel_p2p::core::WallTime{1'000'000});
  const auto kind = message->type == registry::Message::Type::delta ? registry::Kind::delta
                                                                    : registry::Kind::state;
  (void)replica.merge_encoded(barrel_p2p::core::WallTime{1'000'000}, message->body, kind);
  BARREL_ASSERT(replica.entries() <= config.max_entries && replica.nodes() <= config.max_nodes,
                "a bound was exceeded");
  return 0;
}
