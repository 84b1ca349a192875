#include "runtime/key_files.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
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

using Key = std::array<std::uint8_t, kIdentityKeySize>;

Key read_key(const fs::path& path) {
  auto bytes = read_file_exact(path, kIdentityKeySize);
  EXPECT_TRUE(bytes) << bytes.error().to_string();
  Key key{};
  if (bytes) std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

void write_raw(const fs::path& path, const core::Bytes& bytes) {
  ASSERT_TRUE(write_file_atomic(path, bytes, kPublicFileMode));
}

class KeyFilesTest : public ::testing::Test {
 protected:
  [[nodiscard]] fs::path key_file() const { return keys_directory(dir_.path()) / "node.key"; }
  [[nodiscard]] fs::path pub_file() const { return keys_directory(dir_.path()) / "node.pub"; }

  TempDir dir_;
};

TEST_F(KeyFilesTest, CreateThenLoadReturnsTheSameKeyPair) {
  auto created = create_identity(dir_.path());
  ASSERT_TRUE(created) << created.error().to_string();
  Key expected_public{};
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
  crypto_sign_seed_keypair(expected_public.data(), secret.data(), created->seed.data());
  EXPECT_EQ(created->public_key, expected_public);
  EXPECT_NE(created->seed, Key{});

  auto loaded = load_identity(dir_.path());
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->seed, created->seed);
  EXPECT_EQ(loaded->public_key, created->public_key);
  EXPECT_EQ(read_key(key_file()), created->seed);  // Raw bytes, no encoding.
  EXPECT_EQ(read_key(pub_file()), created->public_key);
}

TEST_F(KeyFilesTest, FilesAndDirectoryHaveTheirModesUnderAnyUmask) {
  const ScopedUmask umask(0);
  ASSERT_TRUE(create_identity(dir_.path()));
  EXPECT_EQ(mode_of(key_file()), 0600);
  EXPECT_EQ(mode_of(pub_file()), 0644);
  EXPECT_EQ(mode_of(keys_directory(dir_.path())), 0700);
  EXPECT_EQ(list_names(keys_directory(dir_.path())),
            (std::vector<std::string>{"node.key", "node.pub"}));
}

TEST_F(KeyFilesTest, LoadWithoutAKeyIsNotFound) {
  auto loaded = load_identity(dir_.path());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::not_found);
}

TEST_F(KeyFilesTest, MismatchedHalvesRefuseToLoad) {
  ASSERT_TRUE(create_identity(dir_.path()));
  const TempDir other;
  auto foreign = create_identity(other.path());
  ASSERT_TRUE(foreign);
  write_raw(pub_file(), core::Bytes(foreign->public_key.begin(), foreign->public_key.end()));

  auto loaded = load_identity(dir_.path());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::crypto);
  EXPECT_EQ(loaded.error().message, "key pair mismatch: " + pub_file().string() +
                                        " does not belong to " + key_file().string() +
                                        "; refusing to load");
  EXPECT_EQ(read_key(pub_file()), foreign->public_key);  // Left for the operator to inspect.
  EXPECT_EQ(load_or_create_identity(dir_.path()).error().code, Errc::crypto);
}

TEST_F(KeyFilesTest, WrongSizedFilesAreNamedInTheError) {
  ASSERT_TRUE(create_identity(dir_.path()));
  write_raw(pub_file(), core::Bytes(33, 1));
  auto long_pub = load_identity(dir_.path());
  ASSERT_FALSE(long_pub);
  EXPECT_EQ(long_pub.error().code, Errc::io);
  EXPECT_NE(long_pub.error().message.find(pub_file().string() + " has 33 bytes, expected 32"),
            std::string::npos)
      << long_pub.error().message;

  write_raw(key_file(), core::Bytes(31, 1));
  auto short_key = load_identity(dir_.path());
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().code, Errc::io);
  EXPECT_NE(short_key.error().message.find(key_file().string() + " has 31 bytes, expected 32"),
            std::string::npos)
      << short_key.error().message;
  EXPECT_NE(short_key.error().message.find("Ed25519 seed"), std::string::npos);
}

TEST_F(KeyFilesTest, MissingPublicHalfIsDerivedAndRewritten) {
  auto created = create_identity(dir_.path());
  ASSERT_TRUE(created);
  fs::remove(pub_file());
  auto loaded = load_identity(dir_.path());
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->public_key, created->public_key);
  EXPECT_EQ(read_key(pub_file()), created->public_key);
  EXPECT_EQ(mode_of(pub_file()), 0644);
}

TEST_F(KeyFilesTest, CreateNeverOverwritesAKey) {
  auto first = create_identity(dir_.path());
  ASSERT_TRUE(first);
  auto second = create_identity(dir_.path());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::already_exists);
  EXPECT_NE(second.error().message.find(key_file().string()), std::string::npos);
  EXPECT_EQ(read_key(key_file()), first->seed);
  EXPECT_EQ(list_names(keys_directory(dir_.path())),
            (std::vector<std::string>{"node.key", "node.pub"}));
}

TEST_F(KeyFilesTest, LoadOrCreateCreatesOnceThenLoads) {
  auto first = load_or_create_identity(dir_.path());
  ASSERT_TRUE(first) << first.error().to_string();
  auto second = load_or_create_identity(dir_.path());
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(second->seed, first->seed);
  EXPECT_EQ(second->public_key, first->public_key);
}

TEST_F(KeyFilesTest, RotateKeepsTheOldPair) {
  const ScopedUmask umask(0);
  auto old_identity = create_identity(dir_.path());
  ASSERT_TRUE(old_identity);
  auto rotated = rotate_identity(dir_.path());
  ASSERT_TRUE(rotated) << rotated.error().to_string();
  EXPECT_NE(rotated->seed, old_identity->seed);
  EXPECT_NE(rotated->public_key, old_identity->public_key);

  const fs::path keys = keys_directory(dir_.path());
  EXPECT_EQ(read_key(keys / "node.key.old"), old_identity->seed);
  EXPECT_EQ(read_key(keys / "node.pub.old"), old_identity->public_key);
  EXPECT_EQ(mode_of(keys / "node.key.old"), 0600);
  EXPECT_EQ(mode_of(keys / "node.pub.old"), 0644);
  EXPECT_EQ(mode_of(keys / "node.key"), 0600);
  EXPECT_EQ(list_names(keys),
            (std::vector<std::string>{"node.key", "node.key.old", "node.pub", "node.pub.old"}));
  auto loaded = load_identity(dir_.path());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->seed, rotated->seed);
  EXPECT_EQ(loaded->public_key, rotated->public_key);
}

TEST_F(KeyFilesTest, RotateNeedsAnIdentityThatLoads) {
  EXPECT_EQ(rotate_identity(dir_.path()).error().code, Errc::not_found);
  ASSERT_TRUE(create_identity(dir_.path()));
  write_raw(pub_file(), core::Bytes(32, 7));
  EXPECT_EQ(rotate_identity(dir_.path()).error().code, Errc::crypto);
  EXPECT_FALSE(fs::exists(keys_directory(dir_.path()) / "node.key.old"));
}

TEST_F(KeyFilesTest, APublicKeyWithoutItsSecretKeyIsNeverReplacedByANewIdentity) {
  auto lost = create_identity(dir_.path());
  ASSERT_TRUE(lost);
  ASSERT_TRUE(remove_file(key_file()));
  for (auto result : {load_or_create_identity(dir_.path()), create_identity(dir_.path())}) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::unsafe_file);
    EXPECT_NE(
        result.error().message.find(pub_file().string() + " exists without " + key_file().string()),
        std::string::npos)
        << result.error().message;
  }
  EXPECT_FALSE(fs::exists(key_file()));
  EXPECT_EQ(read_key(pub_file()), lost->public_key) << "node.pub is left as it was";
}

TEST_F(KeyFilesTest, RotateReplacesAnOrphanPublicKeyAndKeepsIt) {
  auto lost = create_identity(dir_.path());
  ASSERT_TRUE(lost);
  ASSERT_TRUE(remove_file(key_file()));
  auto fresh = rotate_identity(dir_.path());
  ASSERT_TRUE(fresh) << fresh.error().to_string();
  EXPECT_NE(fresh->public_key, lost->public_key);
  EXPECT_EQ(read_key(keys_directory(dir_.path()) / "node.pub.old"), lost->public_key);
  auto loaded = load_identity(dir_.path());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->public_key, fresh->public_key);
}

}  // namespace
}  // namespace barrel_p2p::runtime
