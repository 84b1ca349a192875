#include "wire/rotation_record.hpp"

#include "core/assert.hpp"
#include "wire/auth_message.hpp"  // is_valid_name, read_name
#include "wire/canonical_varint.hpp"

namespace barrel_p2p::wire {

namespace {

void write_body(core::ByteWriter& writer, const RotationRecord& record) {
  BARREL_ASSERT(is_valid_name(record.cluster_name) && is_valid_name(record.node_name));
  writer.u8(record.version);
  writer.string(record.cluster_name);
  writer.string(record.node_name);
  writer.bytes(record.old_key);
  writer.bytes(record.new_key);
  writer.u64(record.sequence);
  writer.u64(record.created_unix_ms);
}

}  // namespace

core::Bytes rotation_record_body(const RotationRecord& record) {
  core::Bytes out;
  core::ByteWriter writer(out);
  write_body(writer, record);
  return out;
}

core::Bytes encode(const RotationRecord& record) {
  core::Bytes out;
  core::ByteWriter writer(out);
  write_body(writer, record);
  writer.bytes(record.old_signature);
  writer.bytes(record.new_signature);
  return out;
}

Result<RotationRecord> decode_rotation_record(core::ByteView bytes) {
  if (bytes.size() > kMaxRotationRecordSize) {
    return fail(Errc::protocol, "rotation record: larger than " +
                                    std::to_string(kMaxRotationRecordSize) + " bytes");
  }
  core::ByteReader reader(bytes);
  RotationRecord record;
  record.version = reader.u8();
  if (reader.ok() && record.version != kRotationRecordVersion) reader.fail("unknown version");
  if (reader.ok()) record.cluster_name = read_name(reader);
  if (reader.ok()) record.node_name = read_name(reader);
  read_array(reader, record.old_key);
  read_array(reader, record.new_key);
  record.sequence = reader.u64();
  record.created_unix_ms = reader.u64();
  read_array(reader, record.old_signature);
  read_array(reader, record.new_signature);
  if (reader.ok() && reader.remaining() != 0) reader.fail("trailing bytes");
  if (!reader.ok()) return fail(Errc::protocol, std::string("rotation record: ") + reader.error());
  return record;
}

}  // namespace barrel_p2p::wire
