#include "proto/auth/identity.hpp"

#include <sodium.h>

#include <algorithm>

#include "core/assert.hpp"
#include "proto/auth/sodium_init.hpp"

namespace barrel_p2p::auth {

namespace {

static_assert(crypto_sign_SEEDBYTES == 32 && crypto_sign_PUBLICKEYBYTES == 32);
static_assert(crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_BYTES == 64);
static_assert(crypto_hash_sha256_BYTES == 32);

// libsodium's 64-byte secret key is seed ‖ public key.
using SecretKey = std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES>;

PublicKey derive_public_key(const Seed& seed) {
  ensure_sodium_initialized();
  PublicKey key;
  SecretKey secret{};
  const int status = crypto_sign_seed_keypair(key.bytes.data(), secret.data(), seed.data());
  sodium_memzero(secret.data(), secret.size());
  BARREL_ASSERT(status == 0, "crypto_sign_seed_keypair failed");
  return key;
}

}  // namespace

KeyPair KeyPair::from_seed(const Seed& seed) {
  KeyPair pair;
  pair.seed_ = seed;
  pair.public_key_ = derive_public_key(seed);
  return pair;
}

KeyPair KeyPair::generate(core::Rng& secure_rng) {
  Seed seed{};
  secure_rng.fill(seed);
  KeyPair pair = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return pair;
}

Result<KeyPair> KeyPair::from_parts(const Seed& seed, const PublicKey& public_key) {
  KeyPair pair = from_seed(seed);
  if (sodium_memcmp(pair.public_key_.bytes.data(), public_key.bytes.data(),
                    public_key.bytes.size()) != 0) {
    return fail(Errc::crypto,
                "key pair mismatch: the public key does not belong to the secret key");
  }
  return pair;
}

KeyPair::~KeyPair() { sodium_memzero(seed_.data(), seed_.size()); }

Signature KeyPair::sign(core::ByteView message) const {
  ensure_sodium_initialized();
  SecretKey secret{};
  std::copy(seed_.begin(), seed_.end(), secret.begin());
  std::copy(public_key_.bytes.begin(), public_key_.bytes.end(), secret.begin() + seed_.size());
  Signature signature{};
  const int status = crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                                          secret.data());
  sodium_memzero(secret.data(), secret.size());
  BARREL_ASSERT(status == 0, "crypto_sign_detached failed");
  return signature;
}

bool verify(const PublicKey& key, core::ByteView message, const Signature& signature) {
  ensure_sodium_initialized();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.bytes.data()) == 0;
}

Signature simulated_signature(const PublicKey& key, core::ByteView message) {
  static_assert(crypto_generichash_BYTES_MAX >= crypto_sign_BYTES);
  ensure_sodium_initialized();
  Signature tag{};
  const int status = crypto_generichash(tag.data(), tag.size(), message.data(), message.size(),
                                        key.bytes.data(), key.bytes.size());
  BARREL_ASSERT(status == 0, "crypto_generichash failed");
  return tag;
}

bool verify_simulated(const PublicKey& key, core::ByteView message, const Signature& signature) {
  const Signature expected = simulated_signature(key, message);
  return sodium_memcmp(expected.data(), signature.data(), signature.size()) == 0;
}

Sha256 sha256(core::ByteView data) {
  ensure_sodium_initialized();
  Sha256 digest{};
  crypto_hash_sha256(digest.data(), data.data(), data.size());
  return digest;
}

std::string fingerprint(const PublicKey& key) {
  return "SHA256:" + core::to_hex(sha256(key.view()));
}

}  // namespace barrel_p2p::auth
