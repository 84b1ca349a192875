#include "runtime/certificate_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "core/assert.hpp"
#include "runtime/file_test_support.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p::runtime {
namespace {

namespace fs = std::filesystem;

using namespace barrel_p2p::runtime::testing;

class CertificateFilesTest : public ::testing::Test {
 protected:
  [[nodiscard]] fs::path crt_file() const { return quic_directory(dir_.path()) / "node.crt"; }
  [[nodiscard]] fs::path key_file() const { return quic_directory(dir_.path()) / "node.key"; }

  /// Creates the pair and returns its channel binding.
  std::array<std::uint8_t, 32> create() {
    auto created = load_or_create_certificate(dir_.path(), "node-a");
    EXPECT_TRUE(created) << created.error().to_string();
    return created ? created->cert_sha256() : std::array<std::uint8_t, 32>{};
  }

  TempDir dir_;
};

TEST_F(CertificateFilesTest, LoadOrCreateReusesThePairAcrossRestarts) {
  const ScopedUmask umask(0);
  const auto first = create();
  EXPECT_EQ(mode_of(crt_file()), 0644);
  EXPECT_EQ(mode_of(key_file()), 0600);
  EXPECT_EQ(mode_of(quic_directory(dir_.path())), 0700);
  EXPECT_EQ(list_names(quic_directory(dir_.path())),
            (std::vector<std::string>{"node.crt", "node.key"}));

  auto second = load_or_create_certificate(dir_.path(), "node-a");
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(second->cert_sha256(), first);
  EXPECT_EQ(second->cert_der(), *read_file(crt_file(), 1 << 16));  // Stored as raw DER.
}

TEST_F(CertificateFilesTest, CorruptCertificateIsAnErrorAndIsNotReplaced) {
  create();
  const core::Bytes junk = {0x30, 0x82, 0x00, 0x01, 0xff};
  ASSERT_TRUE(write_file_atomic(crt_file(), junk, kPublicFileMode));
  const core::Bytes key_before = *read_file(key_file(), 1 << 16);

  auto loaded = load_or_create_certificate(dir_.path(), "node-a");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::crypto);
  EXPECT_NE(loaded.error().message.find(crt_file().string()), std::string::npos)
      << loaded.error().message;
  EXPECT_EQ(*read_file(crt_file(), 1 << 16), junk);
  EXPECT_EQ(*read_file(key_file(), 1 << 16), key_before);
}

TEST_F(CertificateFilesTest, CorruptKeyIsAnError) {
  create();
  ASSERT_TRUE(write_file_atomic(key_file(), core::Bytes(48, 0), kSecretFileMode));
  auto loaded = load_or_create_certificate(dir_.path(), "node-a");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::crypto);
}

TEST_F(CertificateFilesTest, MismatchedPairIsAnError) {
  create();
  const TempDir other;
  ASSERT_TRUE(load_or_create_certificate(other.path(), "node-b"));
  const core::Bytes foreign_key = *read_file(quic_directory(other.path()) / "node.key", 1 << 16);
  ASSERT_TRUE(write_file_atomic(key_file(), foreign_key, kSecretFileMode));

  auto loaded = load_or_create_certificate(dir_.path(), "node-a");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::crypto);
  EXPECT_NE(loaded.error().message.find("certificate and key do not match"), std::string::npos)
      << loaded.error().message;
}

TEST_F(CertificateFilesTest, IncompletePairIsAnError) {
  create();
  fs::remove(crt_file());
  auto without_certificate = load_or_create_certificate(dir_.path(), "node-a");
  ASSERT_FALSE(without_certificate);
  EXPECT_EQ(without_certificate.error().code, Errc::io);
  EXPECT_NE(without_certificate.error().message.find(crt_file().string() + " is missing"),
            std::string::npos)
      << without_certificate.error().message;
  EXPECT_EQ(list_names(quic_directory(dir_.path())), std::vector<std::string>{"node.key"});
}

TEST_F(CertificateFilesTest, OversizedFileIsAnError) {
  create();
  ASSERT_TRUE(write_file_atomic(crt_file(), core::Bytes(transport::kCertificateDerSizeMax + 1),
                                kPublicFileMode));
  EXPECT_EQ(load_or_create_certificate(dir_.path(), "node-a").error().code, Errc::limit_reached);
}

TEST_F(CertificateFilesTest, RotateReplacesAndRepairsThePair) {
  const auto first = create();
  ASSERT_TRUE(write_file_atomic(crt_file(), core::Bytes{1, 2, 3}, kPublicFileMode));
  auto rotated = rotate_certificate(dir_.path(), "node-a");
  ASSERT_TRUE(rotated) << rotated.error().to_string();
  EXPECT_NE(rotated->cert_sha256(), first);
  EXPECT_EQ(mode_of(key_file()), 0600);

  auto loaded = load_or_create_certificate(dir_.path(), "node-a");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->cert_sha256(), rotated->cert_sha256());
}

TEST_F(CertificateFilesTest, BadCommonNameIsRefused) {
  EXPECT_EQ(load_or_create_certificate(dir_.path(), "").error().code, Errc::invalid_argument);
  EXPECT_FALSE(fs::exists(quic_directory(dir_.path())));
}

}  // namespace
}  // namespace barrel_p2p::runtime
