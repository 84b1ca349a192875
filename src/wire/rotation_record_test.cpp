#include "wire/rotation_record.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "wire/auth_message.hpp"

namespace barrel_p2p::wire {
namespace {

RotationRecord sample_record() {
  RotationRecord record;
  record.cluster_name = "prod";
  record.node_name = "node-1";
  record.old_key.fill(0x11);
  record.new_key.fill(0x22);
  record.sequence = 3;
  record.created_unix_ms = 1700000000123ULL;
  record.old_signature.fill(0x33);
  record.new_signature.fill(0x44);
  return record;
}

std::string decode_error(const core::Bytes& bytes) {
  auto decoded = decode_rotation_record(bytes);
  if (decoded.has_value()) return "decoded";
  EXPECT_EQ(decoded.error().code, Errc::protocol);
  return decoded.error().message;
}

TEST(RotationRecord, EncodingIsStableAndTheBodyIsItsPrefix) {
  const RotationRecord record = sample_record();
  const core::Bytes bytes = encode(record);
  core::Bytes expected{1, 4, 'p', 'r', 'o', 'd', 6, 'n', 'o', 'd', 'e', '-', '1'};
  expected.insert(expected.end(), 32, 0x11);
  expected.insert(expected.end(), 32, 0x22);
  const core::Bytes integers{0,    0,    0,    0,    0,    0,    0,    3,
                             0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b};
  expected.insert(expected.end(), integers.begin(), integers.end());
  const core::Bytes body = rotation_record_body(record);
  EXPECT_EQ(body, expected);
  expected.insert(expected.end(), 64, 0x33);
  expected.insert(expected.end(), 64, 0x44);
  EXPECT_EQ(bytes, expected);
  auto decoded = decode_rotation_record(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, record);
}

TEST(RotationRecord, TheLargestRecordFitsItsLimit) {
  RotationRecord record = sample_record();
  record.cluster_name = std::string(kMaxNameSize, 'c');
  record.node_name = std::string(kMaxNameSize, 'n');
  const core::Bytes bytes = encode(record);
  EXPECT_EQ(bytes.size(), 341U);
  EXPECT_LE(bytes.size(), kMaxRotationRecordSize);
  EXPECT_TRUE(decode_rotation_record(bytes));
}

TEST(RotationRecord, MalformedRecordsAreRefusedNamingTheReason) {
  const core::Bytes good = encode(sample_record());
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_NE(decode_error(core::Bytes(good.begin(), good.begin() + static_cast<long>(size))),
              "decoded")
        << size;
  }
  core::Bytes bad = good;
  bad[0] = 2;
  EXPECT_NE(decode_error(bad).find("unknown version"), std::string::npos);
  bad = good;
  bad[2] = '/';  // "prod" -> "/rod"
  EXPECT_NE(decode_error(bad).find("invalid name"), std::string::npos);
  bad = good;
  bad.push_back(0);
  EXPECT_NE(decode_error(bad).find("trailing bytes"), std::string::npos);
  bad = good;
  bad[1] = 0x40;  // a two-byte varint for 4: not minimal
  bad.insert(bad.begin() + 2, 4);
  EXPECT_NE(decode_error(bad).find("non-minimal"), std::string::npos);
  bad = good;
  bad[1] = 65;  // a cluster name longer than kMaxNameSize
  EXPECT_NE(decode_error(bad).find("limit"), std::string::npos);
  EXPECT_NE(decode_error(core::Bytes(kMaxRotationRecordSize + 1, 1)).find("larger than"),
            std::string::npos);
}

TEST(RotationRecord, HelloCarriesARecordAfterItsFlags) {
  Hello hello;
  hello.cluster_name = "prod";
  hello.node_name = "node-1";
  hello.public_key.fill(0x22);
  const core::Bytes plain = encode(hello);
  hello.rotation = sample_record();
  const core::Bytes record = encode(*hello.rotation);
  for (const bool takeover : {false, true}) {
    hello.takeover = takeover;
    core::Bytes bytes = encode(hello);
    ASSERT_EQ(bytes.size(), plain.size() + 1 + 2 + record.size());  // flags, varint, record
    EXPECT_EQ(bytes[plain.size()], kHelloRotation | (takeover ? kHelloTakeover : 0));
    auto decoded = decode_auth_message(bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, AuthMessage{hello});
    // A malformed record makes the whole HELLO malformed.
    bytes[plain.size() + 3] = 9;  // the record's version
    EXPECT_FALSE(decode_auth_message(bytes));
  }
  // A length beyond the record limit is refused before reading it.
  core::Bytes oversize = plain;
  oversize[0] = 1;
  oversize.push_back(kHelloRotation);
  oversize.push_back(0x42);  // a two-byte varint: 513
  oversize.push_back(0x01);
  oversize.insert(oversize.end(), kMaxRotationRecordSize + 1, 0);
  auto refused = decode_auth_message(oversize);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("rotation record too long"), std::string::npos);
}

TEST(RotationRecord, RandomRecordsRoundTrip) {
  rc::check([](std::uint64_t sequence, std::uint64_t created, std::uint8_t fill) {
    RotationRecord record = sample_record();
    record.sequence = sequence;
    record.created_unix_ms = created;
    record.new_signature.fill(fill);
    auto decoded = decode_rotation_record(encode(record));
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == record);
  });
}

}  // namespace
}  // namespace barrel_p2p::wire
