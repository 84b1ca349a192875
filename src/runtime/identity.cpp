// The public offline identity API (include/barrel_p2p/identity.hpp) over the runtime's
// key_files. Only the public half of a key pair leaves this file; the IdentityBytes holding the
// seed wipe it when they go out of scope here.
#include "barrel_p2p/identity.hpp"

#include <algorithm>
#include <chrono>

#include "barrel_p2p/node.hpp"
#include "runtime/key_files.hpp"
#include "runtime/rotation_files.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p {

static_assert(kIdentityKeySize == runtime::kIdentityKeySize);

namespace {

Result<PublicIdentity> public_half(Result<runtime::IdentityBytes> identity) {
  if (!identity) return Unexpected(std::move(identity).error());
  PublicIdentity out;
  out.public_key = identity->public_key;
  out.fingerprint = fingerprint(out.public_key);
  return out;
}

}  // namespace

std::filesystem::path keys_directory(const std::filesystem::path& data_dir) {
  return runtime::keys_directory(data_dir);
}

Result<PublicIdentity> load_identity(const std::filesystem::path& data_dir) {
  return public_half(runtime::load_identity(data_dir));
}

Result<PublicIdentity> create_identity(const std::filesystem::path& data_dir) {
  return public_half(runtime::create_identity(data_dir));
}

Result<PublicIdentity> rotate_identity(const std::filesystem::path& data_dir) {
  return public_half(runtime::rotate_identity(data_dir));
}

Result<IdentityRotation> rotate_identity_with_record(const std::filesystem::path& data_dir,
                                                     std::string_view cluster_name,
                                                     std::string_view node_name) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  auto rotated = runtime::rotate_identity_signed(data_dir, cluster_name, node_name,
                                                 static_cast<std::uint64_t>(now.count()));
  if (!rotated) return Unexpected(std::move(rotated).error());
  IdentityRotation out;
  out.old_identity = *public_half(rotated->old_identity);
  out.new_identity = *public_half(rotated->new_identity);
  out.sequence = rotated->record.sequence;
  out.record_file = runtime::rotation_record_path(data_dir);
  out.certificate_rotated = rotated->certificate_rotated;
  return out;
}

Result<std::array<std::uint8_t, kIdentityKeySize>> read_public_key(
    const std::filesystem::path& file) {
  auto bytes = runtime::read_file_exact(file, kIdentityKeySize);
  if (!bytes) return Unexpected(std::move(bytes).error());
  std::array<std::uint8_t, kIdentityKeySize> key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

}  // namespace barrel_p2p
