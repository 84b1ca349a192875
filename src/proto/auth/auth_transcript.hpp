// The bytes a RESPONSE signs and MACs (SPEC §2.1):
//   T = lp("barrel_p2p/auth/v1") ‖ lp(cluster_name) ‖ nonce[32] ‖ timestamp_unix_ms (u64 BE)
//       ‖ responder_public_key[32] ‖ server_cert_sha256[32]
// lp() is a varint length prefix. The server certificate hash binds the proof to this TLS
// channel: a relay terminating two TLS legs sees different certificates on each leg, so a
// forwarded RESPONSE fails verification.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/bytes.hpp"
#include "proto/auth/identity.hpp"

namespace barrel_p2p::auth {

/// Domain-separation label at the start of every transcript.
inline constexpr std::string_view kTranscriptLabel = "barrel_p2p/auth/v1";

/// A challenge nonce.
using Nonce = std::array<std::uint8_t, 32>;
/// A cluster MAC: keyed BLAKE2b-256 over the transcript.
using ClusterMac = std::array<std::uint8_t, 32>;

/// The transcript T above.
[[nodiscard]] core::Bytes auth_transcript(std::string_view cluster_name, const Nonce& nonce,
                                          std::uint64_t timestamp_unix_ms,
                                          const PublicKey& responder_key,
                                          const Sha256& server_cert_sha256);

/// The MAC key for a cluster secret: SHA-256 of the secret's bytes.
[[nodiscard]] Sha256 cluster_mac_key(std::string_view cluster_secret);

/// Keyed BLAKE2b-256 (crypto_generichash) of `transcript` under `mac_key`.
[[nodiscard]] ClusterMac cluster_mac(const Sha256& mac_key, core::ByteView transcript);

}  // namespace barrel_p2p::auth
