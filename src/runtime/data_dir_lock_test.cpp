#include "runtime/data_dir_lock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "runtime/file_test_support.hpp"
#include "runtime/secure_file.hpp"

namespace barrel_p2p::runtime {
namespace {

using testing::TempDir;

TEST(DataDirLock, CreatesTheDirectoryAndWritesThePid) {
  TempDir dir;
  auto lock = DataDirLock::acquire(dir.path() / "node");
  ASSERT_TRUE(lock) << lock.error().to_string();
  EXPECT_TRUE(lock->held());
  auto text = read_file(data_dir_lock_path(dir.path() / "node"), 64);
  ASSERT_TRUE(text);
  EXPECT_EQ(std::string(text->begin(), text->end()), std::to_string(::getpid()) + "\n");
}

TEST(DataDirLock, ASecondHolderIsRefusedWithThePid) {
  TempDir dir;
  auto first = DataDirLock::acquire(dir.path());
  ASSERT_TRUE(first);
  auto second = DataDirLock::acquire(dir.path());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::busy);
  EXPECT_NE(second.error().message.find("pid " + std::to_string(::getpid())), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find((dir.path() / "lock").string()), std::string::npos);
  first->release();
  EXPECT_FALSE(first->held());
  EXPECT_TRUE(DataDirLock::acquire(dir.path())) << "released: the next node may take it";
}

TEST(SecretFileMode, RefusesGroupOrOtherAccessNamingFileAndMode) {
  TempDir dir;
  const auto path = dir.path() / "secret";
  EXPECT_TRUE(check_secret_file_mode(path)) << "a missing file will be created 0600";
  ASSERT_TRUE(write_file_atomic(path, core::Bytes{1, 2, 3}, 0644));
  auto refused = check_secret_file_mode(path);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unsafe_file);
  EXPECT_NE(refused.error().message.find(path.string() + " is mode 0644"), std::string::npos)
      << refused.error().message;
  ASSERT_TRUE(write_file_atomic(path, core::Bytes{1, 2, 3}, 0600));
  EXPECT_TRUE(check_secret_file_mode(path));
  ASSERT_TRUE(write_file_atomic(path, core::Bytes{1, 2, 3}, 0620));
  EXPECT_FALSE(check_secret_file_mode(path)) << "group-writable";
}

}  // namespace
}  // namespace barrel_p2p::runtime
