// Tests of the public offline identity API (barrel_p2p/identity.hpp): create, load, rotate,
// read_public_key, and that the returned public half matches the files a node uses.
#include "barrel_p2p/identity.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "barrel_p2p/files.hpp"
#include "barrel_p2p/node.hpp"
#include "runtime/file_test_support.hpp"

namespace barrel_p2p {
namespace {

using runtime::testing::mode_of;
using runtime::testing::TempDir;

TEST(Identity, CreateThenLoadGivesTheSamePublicHalf) {
  TempDir dir;
  auto created = create_identity(dir.path());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->fingerprint, fingerprint(created->public_key));
  EXPECT_EQ(keys_directory(dir.path()), dir.path() / "keys");
  EXPECT_EQ(mode_of(keys_directory(dir.path()) / "node.key"), 0600);
  auto loaded = load_identity(dir.path());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->public_key, created->public_key);
  auto from_file = read_public_key(keys_directory(dir.path()) / "node.pub");
  ASSERT_TRUE(from_file);
  EXPECT_EQ(*from_file, created->public_key);
}

TEST(Identity, CreateNeverReplacesAndRotateKeepsTheOldPair) {
  TempDir dir;
  auto first = create_identity(dir.path());
  ASSERT_TRUE(first);
  auto again = create_identity(dir.path());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::already_exists);
  auto rotated = rotate_identity(dir.path());
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_NE(rotated->public_key, first->public_key);
  auto old_key = read_public_key(keys_directory(dir.path()) / "node.pub.old");
  ASSERT_TRUE(old_key);
  EXPECT_EQ(*old_key, first->public_key);
}

TEST(Identity, MissingIdentityAndMalformedKeyFilesAreErrors) {
  TempDir dir;
  auto missing = load_identity(dir.path());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  ASSERT_FALSE(rotate_identity(dir.path()));
  ASSERT_TRUE(write_file_atomic(dir.path() / "short.pub", "too short", FileAccess::everyone));
  auto short_key = read_public_key(dir.path() / "short.pub");
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().code, Errc::io);
}

}  // namespace
}  // namespace barrel_p2p
