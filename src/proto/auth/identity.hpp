// Node identity: an Ed25519 key pair (libsodium), signatures, and SHA-256 fingerprints.
// On disk a key is 32 raw bytes (the runtime stores seed and public key, SPEC §2.1).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "core/rng.hpp"

namespace barrel_p2p::auth {

/// An Ed25519 secret seed: the whole secret half of a key pair.
using Seed = std::array<std::uint8_t, 32>;
/// An Ed25519 signature.
using Signature = std::array<std::uint8_t, 64>;
/// A SHA-256 digest.
using Sha256 = std::array<std::uint8_t, 32>;

/// An Ed25519 public key (32 raw bytes). Value type.
struct PublicKey {
  std::array<std::uint8_t, 32> bytes{};

  /// The raw bytes as a view into this object.
  [[nodiscard]] core::ByteView view() const { return bytes; }
  bool operator==(const PublicKey&) const = default;
};

/// An Ed25519 key pair: the 32-byte seed and the public key derived from it.
/// The destructor wipes the seed (sodium_memzero); copies are independent and each wipes its
/// own. Never log or print the seed. Immutable after construction, so const use is thread-safe.
class KeyPair {
 public:
  /// The key pair derived from `seed`. The seed must come from a cryptographically secure
  /// source (the runtime's OS randomness), never from SeededRng.
  static KeyPair from_seed(const Seed& seed);

  /// A fresh key pair from `secure_rng`, which must be cryptographically secure.
  static KeyPair generate(core::Rng& secure_rng);

  /// The key pair for stored halves `seed` and `public_key`.
  /// Errors: Errc::crypto "key pair mismatch: the public key does not belong to the secret
  /// key" when `public_key` is not derived from `seed`.
  [[nodiscard]] static Result<KeyPair> from_parts(const Seed& seed, const PublicKey& public_key);

  /// Copies and moves duplicate the seed; every instance wipes its own copy when destroyed.
  KeyPair(const KeyPair& other) = default;
  KeyPair& operator=(const KeyPair& other) = default;
  KeyPair(KeyPair&& other) noexcept = default;
  KeyPair& operator=(KeyPair&& other) noexcept = default;
  /// Wipes the seed (sodium_memzero).
  ~KeyPair();

  /// Ed25519 signature of `message` (deterministic).
  [[nodiscard]] Signature sign(core::ByteView message) const;
  /// The public half.
  [[nodiscard]] const PublicKey& public_key() const { return public_key_; }
  /// The secret seed, only for writing it to the key file (mode 0600). Never log it.
  [[nodiscard]] const Seed& secret_seed() const { return seed_; }

 private:
  KeyPair() = default;
  Seed seed_{};
  PublicKey public_key_;
};

/// True when `signature` is a valid Ed25519 signature of `message` by `key`.
[[nodiscard]] bool verify(const PublicKey& key, core::ByteView message, const Signature& signature);

/// The simulator's stand-in for an Ed25519 signature (AuthConfig::proofs): a 64-byte keyed
/// BLAKE2b tag of `message` under the signer's *public* key. It binds the message to the key
/// as a signature does for honest parties, at a small fraction of the CPU, but anyone who
/// knows the public key can make it: it proves nothing to a real peer.
[[nodiscard]] Signature simulated_signature(const PublicKey& key, core::ByteView message);

/// True when `signature` is simulated_signature(key, message) (compared in constant time).
[[nodiscard]] bool verify_simulated(const PublicKey& key, core::ByteView message,
                                    const Signature& signature);

/// SHA-256 of `data`.
[[nodiscard]] Sha256 sha256(core::ByteView data);

/// "SHA256:" + lower-case hex of the SHA-256 of the key's 32 raw bytes, for logs and the CLI.
[[nodiscard]] std::string fingerprint(const PublicKey& key);

}  // namespace barrel_p2p::auth
