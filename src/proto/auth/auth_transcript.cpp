#include "proto/auth/auth_transcript.hpp"

#include <sodium.h>

#include "core/assert.hpp"
#include "proto/auth/sodium_init.hpp"

namespace barrel_p2p::auth {

core::Bytes auth_transcript(std::string_view cluster_name, const Nonce& nonce,
                            std::uint64_t timestamp_unix_ms, const PublicKey& responder_key,
                            const Sha256& server_cert_sha256) {
  core::Bytes out;
  // Two length prefixes (at most 8 bytes each) plus the fixed-size fields.
  constexpr std::size_t kFixedSize = 2 * std::size_t{8} + sizeof(Nonce) + 8 + 2 * std::size_t{32};
  out.reserve(kTranscriptLabel.size() + cluster_name.size() + kFixedSize);
  core::ByteWriter writer(out);
  writer.string(kTranscriptLabel);
  writer.string(cluster_name);
  writer.bytes(nonce);
  writer.u64(timestamp_unix_ms);
  writer.bytes(responder_key.bytes);
  writer.bytes(server_cert_sha256);
  return out;
}

Sha256 cluster_mac_key(std::string_view cluster_secret) {
  return sha256(core::as_bytes(cluster_secret));
}

ClusterMac cluster_mac(const Sha256& mac_key, core::ByteView transcript) {
  static_assert(crypto_generichash_KEYBYTES_MIN <= 32 && crypto_generichash_KEYBYTES_MAX >= 32);
  ensure_sodium_initialized();
  ClusterMac mac{};
  const int status = crypto_generichash(mac.data(), mac.size(), transcript.data(),
                                        transcript.size(), mac_key.data(), mac_key.size());
  BARREL_ASSERT(status == 0, "crypto_generichash failed");
  return mac;
}

}  // namespace barrel_p2p::auth
