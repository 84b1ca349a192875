#include "proto/auth/identity.hpp"

#include <gtest/gtest.h>

#include "core/rng.hpp"
#include "proto/auth/auth_transcript.hpp"

namespace barrel_p2p::auth {
namespace {

template <std::size_t N>
std::array<std::uint8_t, N> from_hex(std::string_view hex) {
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    out[i] = static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

// RFC 8032 §7.1, TEST 1.
constexpr std::string_view kSeedHex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kPublicHex =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kSignatureHex =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";

TEST(Identity, MatchesRfc8032TestVector) {
  const KeyPair keys = KeyPair::from_seed(from_hex<32>(kSeedHex));
  EXPECT_EQ(core::to_hex(keys.public_key().view()), kPublicHex);
  const Signature signature = keys.sign({});
  EXPECT_EQ(core::to_hex(signature), kSignatureHex);
  EXPECT_TRUE(verify(keys.public_key(), {}, signature));
}

TEST(Identity, VerifyRejectsTamperingAndOtherKeys) {
  core::SeededRng rng(7);
  const KeyPair keys = KeyPair::generate(rng);
  const KeyPair other = KeyPair::generate(rng);
  const core::Bytes message{1, 2, 3};
  Signature signature = keys.sign(message);
  EXPECT_TRUE(verify(keys.public_key(), message, signature));
  EXPECT_FALSE(verify(other.public_key(), message, signature));
  EXPECT_FALSE(verify(keys.public_key(), core::Bytes{1, 2, 4}, signature));
  signature[0] ^= 1U;
  EXPECT_FALSE(verify(keys.public_key(), message, signature));
}

TEST(Identity, FromPartsRefusesMismatchedHalves) {
  core::SeededRng rng(8);
  const KeyPair keys = KeyPair::generate(rng);
  const KeyPair other = KeyPair::generate(rng);
  auto loaded = KeyPair::from_parts(keys.secret_seed(), keys.public_key());
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->public_key(), keys.public_key());
  auto mismatched = KeyPair::from_parts(keys.secret_seed(), other.public_key());
  ASSERT_FALSE(mismatched.has_value());
  EXPECT_EQ(mismatched.error().code, Errc::crypto);
  EXPECT_EQ(mismatched.error().message,
            "key pair mismatch: the public key does not belong to the secret key");
}

TEST(Identity, Sha256AndFingerprint) {
  EXPECT_EQ(core::to_hex(sha256(core::as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const PublicKey key{from_hex<32>(kPublicHex)};
  const std::string print = fingerprint(key);
  EXPECT_EQ(print, "SHA256:" + core::to_hex(sha256(key.view())));
  EXPECT_EQ(print.size(), 7U + 64U);
}

TEST(AuthTranscript, LayoutAndMac) {
  Nonce nonce{};
  nonce.fill(0xaa);
  const PublicKey key{from_hex<32>(kPublicHex)};
  Sha256 cert{};
  cert.fill(0xcc);
  const core::Bytes transcript = auth_transcript("prod", nonce, 0x0102030405060708ULL, key, cert);
  core::Bytes expected{18};
  for (char c : kTranscriptLabel) expected.push_back(static_cast<std::uint8_t>(c));
  expected.insert(expected.end(), {4, 'p', 'r', 'o', 'd'});
  expected.insert(expected.end(), nonce.begin(), nonce.end());
  expected.insert(expected.end(), {1, 2, 3, 4, 5, 6, 7, 8});
  expected.insert(expected.end(), key.bytes.begin(), key.bytes.end());
  expected.insert(expected.end(), cert.begin(), cert.end());
  EXPECT_EQ(transcript, expected);
  const ClusterMac mac = cluster_mac(cluster_mac_key("s1"), transcript);
  EXPECT_EQ(mac, cluster_mac(cluster_mac_key("s1"), transcript));
  EXPECT_NE(mac, cluster_mac(cluster_mac_key("s2"), transcript));
  EXPECT_NE(mac, ClusterMac{});
}

}  // namespace
}  // namespace barrel_p2p::auth
