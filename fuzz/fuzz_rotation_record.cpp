// libFuzzer target: wire::decode_rotation_record on hostile bytes (decision 0023). Every
// accepted input must re-encode to exactly the same bytes, and checking its signatures must
// neither crash nor accept a record nobody signed.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.hpp"
#include "proto/auth/rotation.hpp"
#include "wire/rotation_record.hpp"

// The entry point name is fixed by libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  namespace wire = barrel_p2p::wire;
  const barrel_p2p::core::ByteView input(data, size);
  auto decoded = wire::decode_rotation_record(input);
  if (!decoded) return 0;
  const barrel_p2p::core::Bytes encoded = wire::encode(*decoded);
  BARREL_ASSERT(encoded.size() == size && std::equal(encoded.begin(), encoded.end(), data),
                "decode/encode round trip changed the bytes");
  // The corpus holds unsigned records: with all-equal signature bytes none can verify.
  const bool flat = std::all_of(decoded->old_signature.begin(), decoded->old_signature.end(),
                                [&](std::uint8_t b) { return b == decoded->old_signature[0]; });
  auto checked =
      barrel_p2p::auth::check_rotation_record(*decoded, decoded->cluster_name, decoded->node_name,
                                              barrel_p2p::auth::PublicKey{decoded->new_key});
  BARREL_ASSERT(!(flat && checked), "a record with a constant signature verified");
  return 0;
}
