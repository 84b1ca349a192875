// libFuzzer target: registry::decode on hostile bytes. Every accepted input must re-encode to
// exactly the same bytes (each delta has one valid encoding); it is then merged into a
// registry with small bounds (refusals are fine, assertions are not), whose exported state
// must decode again.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.hpp"
#include "proto/registry/service_registry.hpp"

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  namespace registry = barrel_p2p::registry;
  const barrel_p2p::core::ByteView input(data, size);
  auto decoded = registry::decode(input, registry::Limits{});
  if (!decoded) return 0;
  const barrel_p2p::core::Bytes encoded = registry::encode(*decoded);
  BARREL_ASSERT(encoded.size() == size && std::equal(encoded.begin(), encoded.end(), data),
                "decode/encode round trip changed the bytes");
  BARREL_ASSERT(registry::encoded_size(*decoded) == size, "encoded_size disagrees");
  registry::Config config;
  config.max_names = 8;
  config.max_entries_per_name = 4;
  config.max_entries = 16;
  config.max_tombstones = 16;
  config.max_nodes = 8;
  // "m" sorts among the names a fuzzer makes, so slices of this node occur too.
  registry::ServiceRegistry replica(config, "m", barrel_p2p::core::WallTime{1'000'000});
  (void)replica.merge(barrel_p2p::core::WallTime{1'000'000}, *decoded);
  (void)replica.merge(barrel_p2p::core::WallTime{1'000'001}, *decoded);  // idempotent or refused
  BARREL_ASSERT(replica.entries() <= config.max_entries && replica.names() <= config.max_names &&
                    replica.tombstones() <= config.max_tombstones &&
                    replica.nodes() <= config.max_nodes,
                "a bound was exceeded");
  const barrel_p2p::core::Bytes state = registry::encode(replica.export_state());
  BARREL_ASSERT(registry::decode(state, config.state_limits()).has_value(),
                "an exported state does not decode");
  return 0;
}
