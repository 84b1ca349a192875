#include "runtime/rotation_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "proto/auth/identity.hpp"
#include "proto/auth/rotation.hpp"
#include "runtime/certificate_files.hpp"
#include "runtime/data_dir_lock.hpp"
#include "runtime/file_test_support.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p::runtime {
namespace {

namespace fs = std::filesystem;

using namespace barrel_p2p::runtime::testing;

constexpr std::uint64_t kNow = 1700000000000;

core::Bytes read_all(const fs::path& path) {
  auto bytes = read_file(path, 1 << 16);
  EXPECT_TRUE(bytes) << path << ": " << bytes.error().to_string();
  return bytes ? *bytes : core::Bytes{};
}

class RotationFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(create_identity(dir_.path()));
    ASSERT_TRUE(load_or_create_certificate(dir_.path(), "beta"));
  }
  [[nodiscard]] fs::path keys() const { return keys_directory(dir_.path()); }
  [[nodiscard]] fs::path quic() const { return quic_directory(dir_.path()); }

  TempDir dir_;
};

// The old pair and certificate are kept byte for byte with their modes, the new pair loads,
// and the record on disk proves the new key with the old one for this node and cluster.
TEST_F(RotationFilesTest, RotationKeepsBackupsAndWritesARecordSignedByBothKeys) {
  const core::Bytes old_seed = read_all(keys() / "node.key");
  const core::Bytes old_public = read_all(keys() / "node.pub");
  const core::Bytes old_cert = read_all(quic() / "node.crt");
  const core::Bytes old_cert_key = read_all(quic() / "node.key");
  auto rotated = rotate_identity_signed(dir_.path(), "prod", "beta", kNow);
  ASSERT_TRUE(rotated) << rotated.error().to_string();
  EXPECT_TRUE(rotated->certificate_rotated);
  EXPECT_EQ(read_all(keys() / "node.key.old"), old_seed);
  EXPECT_EQ(read_all(keys() / "node.pub.old"), old_public);
  EXPECT_EQ(read_all(quic() / "node.crt.old"), old_cert);
  EXPECT_EQ(read_all(quic() / "node.key.old"), old_cert_key);
  EXPECT_EQ(mode_of(keys() / "node.key.old"), 0600);
  EXPECT_EQ(mode_of(keys() / "node.pub.old"), 0644);
  EXPECT_EQ(mode_of(quic() / "node.key.old"), 0600);
  EXPECT_EQ(mode_of(quic() / "node.crt.old"), 0644);
  EXPECT_EQ(mode_of(rotation_record_path(dir_.path())), 0644);
  EXPECT_NE(read_all(quic() / "node.crt"), old_cert);
  auto loaded = load_identity(dir_.path());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->public_key, rotated->new_identity.public_key);
  EXPECT_TRUE(load_or_create_certificate(dir_.path(), "beta"));  // the new pair matches
  auto record = load_rotation_record(dir_.path());
  ASSERT_TRUE(record && *record);
  EXPECT_EQ(**record, rotated->record);
  EXPECT_EQ((*record)->old_key, rotated->old_identity.public_key);
  EXPECT_EQ((*record)->sequence, 1U);
  EXPECT_EQ((*record)->created_unix_ms, kNow);
  EXPECT_TRUE(
      auth::check_rotation_record(**record, "prod", "beta", auth::PublicKey{loaded->public_key}));
}

TEST_F(RotationFilesTest, SequenceFollowsTheChainOfRecords) {
  ASSERT_TRUE(rotate_identity_signed(dir_.path(), "prod", "beta", kNow));
  auto second = rotate_identity_signed(dir_.path(), "prod", "beta", kNow + 1);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->record.sequence, 2U);
  // One hop: the file holds only the latest record.
  auto record = load_rotation_record(dir_.path());
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->sequence, 2U);
  // After a rotation without a record (keys generate --force) the chain starts over.
  ASSERT_TRUE(rotate_identity(dir_.path()));
  auto third = rotate_identity_signed(dir_.path(), "prod", "beta", kNow + 2);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->record.sequence, 1U);
}

TEST_F(RotationFilesTest, RefusedWithoutIdentityWithBadNamesAndWhileANodeRuns) {
  TempDir empty;
  auto missing = rotate_identity_signed(empty.path(), "prod", "beta", kNow);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  auto bad = rotate_identity_signed(dir_.path(), "prod", "../x", kNow);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  const core::Bytes seed = read_all(keys() / "node.key");
  {
    auto lock = DataDirLock::acquire(dir_.path());
    ASSERT_TRUE(lock);
    auto busy = rotate_identity_signed(dir_.path(), "prod", "beta", kNow);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, Errc::busy);
  }
  EXPECT_EQ(read_all(keys() / "node.key"), seed);  // nothing changed
  EXPECT_FALSE(fs::exists(rotation_record_path(dir_.path())));
}

TEST_F(RotationFilesTest, WithoutACertificateOnlyTheKeysRotate) {
  ASSERT_TRUE(remove_file(quic() / "node.crt"));
  ASSERT_TRUE(remove_file(quic() / "node.key"));
  auto rotated = rotate_identity_signed(dir_.path(), "prod", "beta", kNow);
  ASSERT_TRUE(rotated);
  EXPECT_FALSE(rotated->certificate_rotated);
  EXPECT_FALSE(fs::exists(quic() / "node.crt"));
  EXPECT_FALSE(fs::exists(quic() / "node.crt.old"));
}

TEST_F(RotationFilesTest, AMalformedRecordFileIsAnErrorNamingIt) {
  EXPECT_FALSE(*load_rotation_record(dir_.path()));  // none yet
  ASSERT_TRUE(
      write_file_atomic(rotation_record_path(dir_.path()), core::Bytes{1, 2, 3}, kPublicFileMode));
  auto bad = load_rotation_record(dir_.path());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::protocol);
  EXPECT_NE(bad.error().message.find("rotation.rec"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(rotation_record_path(dir_.path()),
                                core::Bytes(wire::kMaxRotationRecordSize + 1, 0), kPublicFileMode));
  auto large = load_rotation_record(dir_.path());
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().code, Errc::limit_reached);
}

}  // namespace
}  // namespace barrel_p2p::runtime
