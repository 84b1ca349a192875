// A node's identity on disk, for programs that manage it while the node is not running (such as
// `barrel-p2p keys`). The identity is an Ed25519 key pair in <data_dir>/keys (SPEC §2.1
// "On-disk layout"): node.key holds the raw 32-byte seed (mode 0600), node.pub the raw 32-byte
// public key (0644). A starting Node loads the same files, or creates them when they are
// missing. The secret seed never leaves these functions: they return the public half only.
// The functions share no state (any thread may call them); they do not lock `data_dir`, so only
// one program should change an identity at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

/// Size of an Ed25519 public key (node.pub, a pin file) and of a seed (node.key), in bytes.
inline constexpr std::size_t kIdentityKeySize = 32;

/// The public half of a node's identity.
struct PublicIdentity {
  std::array<std::uint8_t, kIdentityKeySize> public_key{};  ///< Raw Ed25519 public key.
  std::string fingerprint;  ///< "SHA256:<hex>" of public_key, as peers and logs show it.
};

/// `<data_dir>/keys`: the directory holding node.key, node.pub and trusted/ (the pins).
std::filesystem::path keys_directory(const std::filesystem::path& data_dir);

/// Loads the identity in `data_dir`, checking that its two halves belong together.
///
/// When node.pub is missing (a crash between the two writes) it is derived from the seed and
/// written again.
/// Errors: not_found when node.key does not exist; crypto "key pair mismatch: ..." when
/// node.pub does not belong to node.key (nothing is rewritten); io when a file has the wrong
/// size (the message names it) or cannot be read or written.
Result<PublicIdentity> load_identity(const std::filesystem::path& data_dir);

/// Generates a fresh identity in `data_dir`: node.key (0600, atomically, never replacing an
/// existing key), then node.pub (0644). Missing directories are created with mode 0700.
/// Errors: already_exists when node.key exists (it is left untouched); crypto when libsodium
/// cannot initialise; io when a file cannot be written.
Result<PublicIdentity> create_identity(const std::filesystem::path& data_dir);

/// Replaces the identity in `data_dir` with a fresh one and returns the new one.
///
/// The current pair (which must load) is kept as node.key.old and node.pub.old, replacing
/// older copies. A crash at any point leaves a pair that loads: the old one or the new one.
/// Peers that pinned the old key reject the node until they unpin it. Call only while no node
/// runs on `data_dir` (a running node keeps its old key until restarted).
/// Errors: those of load_identity() (not_found when there is nothing to rotate); io when a
/// file cannot be written.
Result<PublicIdentity> rotate_identity(const std::filesystem::path& data_dir);

/// What rotate_identity_with_record() did.
struct IdentityRotation {
  /// The replaced key, kept as node.key.old and node.pub.old.
  PublicIdentity old_identity;
  /// The key now in node.key and node.pub.
  PublicIdentity new_identity;
  /// The record's sequence: 1 for the first rotation, then one more for each rotation after.
  std::uint64_t sequence = 0;
  /// `<data_dir>/keys/rotation.rec`, where the record is.
  std::filesystem::path record_file;
  /// True when quic/node.crt and quic/node.key were kept as *.old and replaced; false when
  /// the node never made a certificate (it makes one when it starts).
  bool certificate_rotated = false;
};

/// Rotates the identity in `data_dir` and writes a rotation record signed by the old key and
/// the new one for node `node_name` of cluster `cluster_name` (decision 0023). A node started
/// on `data_dir` with that name and cluster sends the record in its HELLO, and peers in TOFU
/// mode that pinned the old key move their pin to the new one once it proves it. Strict-mode
/// pins and contact strings naming the old key are not moved: their operators update them.
///
/// Files: rotation.rec (0644) first, then node.key.old (0600) and node.pub.old (0644) byte
/// for byte, the new node.key and node.pub, and, when a TLS certificate exists,
/// quic/node.key.old (0600), quic/node.crt.old (0644) and a new certificate. Each file is
/// written atomically. The data_dir lock is held throughout, so this fails while a node runs.
/// Errors: invalid_argument when a name is not valid; busy when a node runs on `data_dir`;
/// not_found when there is no identity; crypto "key pair mismatch: ..." when the stored pair
/// does not match; crypto when generation fails; io when a file cannot be read or written.
Result<IdentityRotation> rotate_identity_with_record(const std::filesystem::path& data_dir,
                                                     std::string_view cluster_name,
                                                     std::string_view node_name);

/// Reads a raw public key file: another node's node.pub, or a pin file.
/// Errors: not_found when `file` does not exist; io when it does not hold exactly
/// kIdentityKeySize bytes (the message names the file and both sizes) or cannot be read.
Result<std::array<std::uint8_t, kIdentityKeySize>> read_public_key(
    const std::filesystem::path& file);

}  // namespace barrel_p2p
