#include "proto/auth/rotation.hpp"

#include "core/assert.hpp"
#include "wire/auth_message.hpp"  // is_valid_name

namespace barrel_p2p::auth {

namespace {

core::Bytes old_message(const wire::RotationRecord& record) {
  core::Bytes out;
  core::ByteWriter writer(out);
  writer.string(kRotationOldLabel);
  writer.bytes(wire::rotation_record_body(record));
  return out;
}

core::Bytes new_message(const wire::RotationRecord& record) {
  core::Bytes out;
  core::ByteWriter writer(out);
  writer.string(kRotationNewLabel);
  writer.bytes(wire::rotation_record_body(record));
  writer.bytes(record.old_signature);
  return out;
}

}  // namespace

wire::RotationRecord make_rotation_record(const KeyPair& old_keys, const KeyPair& new_keys,
                                          std::string_view cluster_name, std::string_view node_name,
                                          std::uint64_t sequence, std::uint64_t created_unix_ms) {
  BARREL_ASSERT(wire::is_valid_name(cluster_name) && wire::is_valid_name(node_name));
  wire::RotationRecord record;
  record.cluster_name = std::string(cluster_name);
  record.node_name = std::string(node_name);
  record.old_key = old_keys.public_key().bytes;
  record.new_key = new_keys.public_key().bytes;
  record.sequence = sequence;
  record.created_unix_ms = created_unix_ms;
  record.old_signature = old_keys.sign(old_message(record));
  record.new_signature = new_keys.sign(new_message(record));
  return record;
}

Result<void> check_rotation_record(const wire::RotationRecord& record,
                                   std::string_view cluster_name, std::string_view node_name,
                                   const PublicKey& new_key) {
  if (record.cluster_name != cluster_name) return fail(Errc::crypto, "cluster name differs");
  if (record.node_name != node_name) return fail(Errc::crypto, "node name differs");
  if (record.new_key != new_key.bytes) return fail(Errc::crypto, "new key differs");
  if (!verify(PublicKey{record.old_key}, old_message(record), record.old_signature)) {
    return fail(Errc::crypto, "old key's signature does not verify");
  }
  if (!verify(new_key, new_message(record), record.new_signature)) {
    return fail(Errc::crypto, "new key's signature does not verify");
  }
  return {};
}

}  // namespace barrel_p2p::auth
