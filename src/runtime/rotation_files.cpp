#include "runtime/rotation_files.hpp"

#include <sodium.h>

#include <string>
#include <utility>

#include "proto/auth/identity.hpp"
#include "proto/auth/rotation.hpp"
#include "runtime/certificate_files.hpp"
#include "runtime/data_dir_lock.hpp"
#include "runtime/secure_file.hpp"
#include "wire/auth_message.hpp"  // is_valid_name

namespace barrel_p2p::runtime {
namespace {

namespace fs = std::filesystem;

/// Largest certificate or certificate key file kept as a backup (the node writes ~0.5 KiB).
constexpr std::size_t kMaxCertificateFileSize = 64 * 1024;

auth::KeyPair key_pair(const IdentityBytes& identity) {
  return auth::KeyPair::from_seed(identity.seed);
}

/// The sequence of the next record: one past the stored record's when that record led to the
/// current key (the chain goes on), else 1. A stored record that does not load counts as none.
std::uint64_t next_sequence(const fs::path& data_dir, const IdentityBytes& current) {
  auto stored = load_rotation_record(data_dir);
  if (!stored || !*stored || (*stored)->new_key != current.public_key) return 1;
  return (*stored)->sequence + 1;
}

/// Copies `file` to `file`.old byte for byte with `mode`, atomically; a missing file is
/// skipped (false). Errors: those of read_file() and write_file_atomic().
Result<bool> keep_old_copy(const fs::path& file, mode_t mode) {
  auto bytes = read_file(file, kMaxCertificateFileSize);
  if (!bytes && bytes.error().code == Errc::not_found) return false;
  if (!bytes) return Unexpected(std::move(bytes).error());
  fs::path old_file = file;
  old_file += ".old";
  auto kept = write_file_atomic(old_file, *bytes, mode);
  if (mode == kSecretFileMode) sodium_memzero(bytes->data(), bytes->size());
  if (!kept) return Unexpected(std::move(kept).error());
  return true;
}

/// Backs up and replaces the TLS certificate pair when one exists (true), else nothing.
Result<bool> rotate_certificate_files(const fs::path& data_dir, std::string_view node_name) {
  auto kept_key = keep_old_copy(quic_directory(data_dir) / "node.key", kSecretFileMode);
  if (!kept_key) return kept_key;
  auto kept_certificate = keep_old_copy(quic_directory(data_dir) / "node.crt", kPublicFileMode);
  if (!kept_certificate) return kept_certificate;
  if (!*kept_key && !*kept_certificate) return false;  // the node makes one when it starts
  auto rotated = rotate_certificate(data_dir, node_name);
  if (!rotated) return Unexpected(std::move(rotated).error());
  return true;
}

}  // namespace

fs::path rotation_record_path(const fs::path& data_dir) {
  return keys_directory(data_dir) / "rotation.rec";
}

Result<std::optional<wire::RotationRecord>> load_rotation_record(const fs::path& data_dir) {
  const fs::path file = rotation_record_path(data_dir);
  auto bytes = read_file(file, wire::kMaxRotationRecordSize);
  if (!bytes && bytes.error().code == Errc::not_found) return std::nullopt;
  if (!bytes) return Unexpected(std::move(bytes).error());
  auto record = wire::decode_rotation_record(*bytes);
  if (!record) return fail(record.error().code, file.string() + ": " + record.error().message);
  return std::optional<wire::RotationRecord>(std::move(record).value());
}

Result<SignedRotation> rotate_identity_signed(const fs::path& data_dir,
                                              std::string_view cluster_name,
                                              std::string_view node_name,
                                              std::uint64_t now_unix_ms) {
  if (!wire::is_valid_name(cluster_name) || !wire::is_valid_name(node_name)) {
    return fail(Errc::invalid_argument,
                "cluster and node names must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  auto lock = DataDirLock::acquire(data_dir);
  if (!lock) return Unexpected(std::move(lock).error());
  auto current = load_identity(data_dir);
  if (!current) return Unexpected(std::move(current).error());
  auto fresh = generate_fresh_identity();
  if (!fresh) return Unexpected(std::move(fresh).error());
  SignedRotation out{*current, *fresh, {}, false};
  out.record =
      auth::make_rotation_record(key_pair(*current), key_pair(*fresh), cluster_name, node_name,
                                 next_sequence(data_dir, *current), now_unix_ms);
  // The record first: until the key is replaced it names a key the node does not hold, which
  // a starting node ignores.
  if (auto written = write_file_atomic(rotation_record_path(data_dir), wire::encode(out.record),
                                       kPublicFileMode);
      !written) {
    return Unexpected(std::move(written).error());
  }
  if (auto replaced = replace_identity(data_dir, *current, *fresh); !replaced) {
    return Unexpected(std::move(replaced).error());
  }
  auto certificate = rotate_certificate_files(data_dir, node_name);
  if (!certificate) return Unexpected(std::move(certificate).error());
  out.certificate_rotated = *certificate;
  return out;
}

}  // namespace barrel_p2p::runtime
