// A node's key rotation on disk (decision 0023): <data>/keys/rotation.rec holds the latest
// rotation record (wire/rotation_record.hpp, mode 0644: public keys and signatures only), and
// rotate_identity_signed() replaces the identity and the TLS certificate, keeping byte-for-byte
// backups, and writes the record signed by the old key and the new one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "barrel_p2p/result.hpp"
#include "runtime/key_files.hpp"
#include "wire/rotation_record.hpp"

namespace barrel_p2p::runtime {

/// <data_dir>/keys/rotation.rec.
std::filesystem::path rotation_record_path(const std::filesystem::path& data_dir);

/// The record in <data_dir>/keys/rotation.rec, or nullopt when there is none. Its signatures
/// are not checked here (auth::check_rotation_record()).
/// Errors: Errc::protocol when the file does not decode (the message names it);
/// Errc::limit_reached when it is larger than wire::kMaxRotationRecordSize; Errc::io when it
/// cannot be read.
Result<std::optional<wire::RotationRecord>> load_rotation_record(
    const std::filesystem::path& data_dir);

/// What rotate_identity_signed() did.
struct SignedRotation {
  IdentityBytes old_identity;   ///< The pair that was replaced (now node.key.old/node.pub.old).
  IdentityBytes new_identity;   ///< The pair now in node.key/node.pub.
  wire::RotationRecord record;  ///< As written to rotation_record_path().
  bool certificate_rotated = false;  ///< A certificate existed, was backed up and replaced.
};

/// Rotates the identity in `data_dir` to a fresh key pair, with a record signed by both keys
/// binding `node_name` of `cluster_name` (decision 0023). Holds the data_dir lock throughout,
/// so it fails while a node runs there. In order: the new pair is generated in memory; the
/// record (sequence = the previous record's + 1 when that record's new key is the current
/// key, else 1; created_unix_ms = `now_unix_ms`) is written to rotation.rec (0644); the current
/// pair is kept as node.key.old (0600) and node.pub.old (0644); the new pair replaces it; when
/// quic/node.crt or quic/node.key exists, each is kept byte for byte as *.old (same mode) and
/// a new certificate (CN = `node_name`) replaces the pair. Every file is written atomically.
/// A crash before the key is replaced leaves a record whose new key is not the node's (a
/// starting node ignores it); running again starts over.
/// Errors: Errc::invalid_argument when a name is not valid; Errc::busy when a node holds the
/// data_dir lock; those of load_identity() (Errc::not_found when there is no identity);
/// Errc::crypto when a key or certificate cannot be generated; Errc::io when a file cannot be
/// written.
Result<SignedRotation> rotate_identity_signed(const std::filesystem::path& data_dir,
                                              std::string_view cluster_name,
                                              std::string_view node_name,
                                              std::uint64_t now_unix_ms);

}  // namespace barrel_p2p::runtime
