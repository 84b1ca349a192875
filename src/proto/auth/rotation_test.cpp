#include "proto/auth/rotation.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "proto/auth/auth_transcript.hpp"

namespace barrel_p2p::auth {
namespace {

struct Keys {
  KeyPair old_keys;
  KeyPair new_keys;
  KeyPair other;
};

Keys make_keys() {
  core::SeededRng rng(7);
  KeyPair old_keys = KeyPair::generate(rng);
  KeyPair new_keys = KeyPair::generate(rng);
  return {old_keys, new_keys, KeyPair::generate(rng)};
}

std::string check_error(const wire::RotationRecord& record, const PublicKey& new_key,
                        std::string_view node = "beta") {
  auto checked = check_rotation_record(record, "prod", node, new_key);
  if (checked) return "holds";
  EXPECT_EQ(checked.error().code, Errc::crypto);
  return checked.error().message;
}

TEST(Rotation, ASignedRecordHoldsAndSurvivesItsEncoding) {
  const Keys keys = make_keys();
  const wire::RotationRecord record =
      make_rotation_record(keys.old_keys, keys.new_keys, "prod", "beta", 1, 1700000000000);
  EXPECT_EQ(record.old_key, keys.old_keys.public_key().bytes);
  EXPECT_EQ(record.new_key, keys.new_keys.public_key().bytes);
  EXPECT_EQ(record.sequence, 1U);
  EXPECT_EQ(check_error(record, keys.new_keys.public_key()), "holds");
  auto decoded = wire::decode_rotation_record(wire::encode(record));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(check_error(*decoded, keys.new_keys.public_key()), "holds");
}

// Every field is covered by both signatures: changing any one of them breaks the record, and
// the error names the first check that fails.
TEST(Rotation, EveryForgedFieldIsRefused) {
  const Keys keys = make_keys();
  const wire::RotationRecord good =
      make_rotation_record(keys.old_keys, keys.new_keys, "prod", "beta", 4, 1700000000000);
  const PublicKey new_key = keys.new_keys.public_key();
  using Forge = std::function<void(wire::RotationRecord&)>;
  const std::vector<std::pair<Forge, std::string>> forgeries = {
      {[](auto& r) { r.cluster_name = "staging"; }, "cluster name differs"},
      {[](auto& r) { r.node_name = "gamma"; }, "node name differs"},
      {[&](auto& r) { r.new_key = keys.other.public_key().bytes; }, "new key differs"},
      {[&](auto& r) { r.old_key = keys.other.public_key().bytes; }, "old key's signature"},
      {[](auto& r) { r.sequence = 5; }, "old key's signature"},
      {[](auto& r) { r.created_unix_ms += 1; }, "old key's signature"},
      {[](auto& r) { r.old_signature[0] ^= 1U; }, "old key's signature"},
      {[](auto& r) { r.new_signature[63] ^= 1U; }, "new key's signature"},
  };
  for (const auto& [forge, reason] : forgeries) {
    wire::RotationRecord forged = good;
    forge(forged);
    EXPECT_NE(check_error(forged, new_key).find(reason), std::string::npos) << reason;
  }
  // A record for another node is refused for this one, although it holds for its own.
  EXPECT_NE(check_error(good, new_key, "gamma").find("node name differs"), std::string::npos);
}

// The countersignature matters: the old key's endorsement of B, re-signed by a key C the
// forger holds, does not hold for C, and the old key's signature alone never suffices.
TEST(Rotation, OnlyTheHolderOfBothKeysMakesARecord) {
  const Keys keys = make_keys();
  wire::RotationRecord endorsement =
      make_rotation_record(keys.old_keys, keys.new_keys, "prod", "beta", 1, 1700000000000);
  wire::RotationRecord stolen = endorsement;
  stolen.new_key = keys.other.public_key().bytes;
  const wire::RotationRecord by_other =
      make_rotation_record(keys.other, keys.other, "prod", "beta", 1, 1700000000000);
  stolen.new_signature = by_other.new_signature;
  EXPECT_NE(check_error(stolen, keys.other.public_key()), "holds");
  endorsement.new_signature = {};
  EXPECT_NE(check_error(endorsement, keys.new_keys.public_key()).find("new key's signature"),
            std::string::npos);
}

// Domain separation: the old key's signature over the body does not verify as the new key's
// countersignature, nor as an auth RESPONSE, and the labels differ from the transcript's.
TEST(Rotation, SignaturesAreDomainSeparated) {
  const Keys keys = make_keys();
  // Both halves signed by the same key: each signature must still fail in the other role.
  wire::RotationRecord same =
      make_rotation_record(keys.new_keys, keys.new_keys, "prod", "beta", 1, 1700000000000);
  EXPECT_EQ(check_error(same, keys.new_keys.public_key()), "holds");
  std::swap(same.old_signature, same.new_signature);
  EXPECT_NE(check_error(same, keys.new_keys.public_key()), "holds");
  EXPECT_NE(kRotationOldLabel, kRotationNewLabel);
  EXPECT_NE(kRotationOldLabel, kTranscriptLabel);
  EXPECT_NE(kRotationNewLabel, kTranscriptLabel);
}

}  // namespace
}  // namespace barrel_p2p::auth
