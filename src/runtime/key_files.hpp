// The node's Ed25519 identity on disk (SPEC §2.1 "On-disk layout"): <data>/keys/node.key holds
// the raw 32-byte seed (mode 0600), <data>/keys/node.pub the raw 32-byte public key (0644).
// No PEM, no headers. Secret bytes are never logged or put into error messages.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p::runtime {

/// Size of an Ed25519 seed and of an Ed25519 public key, in bytes.
inline constexpr std::size_t kIdentityKeySize = 32;

/// A node's Ed25519 key pair as raw bytes. The seed is wiped (sodium_memzero) when the value is
/// destroyed; copies are independent and each wipes its own seed.
struct IdentityBytes {
  IdentityBytes() = default;
  IdentityBytes(const IdentityBytes&) = default;
  IdentityBytes& operator=(const IdentityBytes&) = default;
  IdentityBytes(IdentityBytes&&) = default;
  IdentityBytes& operator=(IdentityBytes&&) = default;
  ~IdentityBytes();

  std::array<std::uint8_t, kIdentityKeySize> seed{};        ///< Secret: never log it.
  std::array<std::uint8_t, kIdentityKeySize> public_key{};  ///< Derived from the seed.
};

/// <data_dir>/keys: the directory holding node.key, node.pub and trusted/.
std::filesystem::path keys_directory(const std::filesystem::path& data_dir);

/// Loads the identity from <data_dir>/keys/node.key and node.pub.
///
/// When node.pub is missing (e.g. a crash between the two writes) it is derived from the seed
/// and written again. Never returns a pair whose halves disagree.
/// Errors: Errc::not_found when node.key does not exist; Errc::crypto "key pair mismatch: ..."
/// when node.pub does not belong to node.key (nothing is rewritten); Errc::io when a file has
/// the wrong size (the message names the file) or cannot be read or written.
Result<IdentityBytes> load_identity(const std::filesystem::path& data_dir);

/// Generates a fresh identity and writes node.key (0600, atomic, never replacing an existing
/// key) and then node.pub (0644).
/// Errors: Errc::already_exists when node.key exists (it is left untouched); Errc::unsafe_file
/// when node.pub exists without node.key (an identity was lost: only rotate_identity()
/// replaces it); Errc::crypto when libsodium cannot initialise; Errc::io when a file cannot be
/// written.
Result<IdentityBytes> create_identity(const std::filesystem::path& data_dir);

/// load_identity(), or create_identity() when neither node.key nor node.pub exists yet.
/// Errors: those of load_identity() other than Errc::not_found, and those of
/// create_identity().
Result<IdentityBytes> load_or_create_identity(const std::filesystem::path& data_dir);

/// Replaces the identity with a fresh one and returns it.
///
/// The current pair (which must load) is first copied to node.key.old (0600) and node.pub.old
/// (0644), replacing any older copies. node.pub is then removed before node.key is replaced, so
/// a crash at any point leaves a pair that loads: the old one, or the new one with its public
/// half derived again.
/// When node.key is missing but node.pub exists, node.pub is kept as node.pub.old (byte for
/// byte) and a fresh pair is created: the explicit way out of create_identity()'s refusal.
/// Errors: those of load_identity() (Errc::not_found when there is nothing to rotate);
/// Errc::io when a file cannot be written.
Result<IdentityBytes> rotate_identity(const std::filesystem::path& data_dir);

/// A fresh identity from the OS's secure randomness, in memory only (nothing is written).
/// Errors: Errc::crypto when libsodium cannot initialise.
Result<IdentityBytes> generate_fresh_identity();

/// Replaces the identity `current` (as loaded from `data_dir` by load_identity()) with
/// `fresh`, exactly as rotate_identity() does: node.key.old (0600) and node.pub.old (0644)
/// first, then node.pub removed, node.key and node.pub written, each atomically.
/// Errors: Errc::io when a file cannot be written or removed.
Result<void> replace_identity(const std::filesystem::path& data_dir, const IdentityBytes& current,
                              const IdentityBytes& fresh);

}  // namespace barrel_p2p::runtime
