#include "runtime/secure_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "core/assert.hpp"
#include "runtime/file_test_support.hpp"

namespace barrel_p2p::runtime {
namespace {

namespace fs = std::filesystem;

using namespace barrel_p2p::runtime::testing;

core::Bytes bytes_of(std::string_view text) {
  const core::ByteView view = core::as_bytes(text);
  return core::Bytes(view.begin(), view.end());
}

void write_plain(const fs::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

class SecureFileTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(SecureFileTest, SecretFileIsExactly0600UnderAnyUmask) {
  for (const mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    const ScopedUmask umask(mask);
    const fs::path path = dir_.path() / ("umask" + std::to_string(mask)) / "keys" / "node.key";
    ASSERT_TRUE(write_file_atomic(path, bytes_of("secret"), kSecretFileMode));
    EXPECT_EQ(mode_of(path), 0600) << "umask " << mask;
    // Directories created for it are owner-only whatever the umask.
    EXPECT_EQ(mode_of(path.parent_path()), 0700) << "umask " << mask;
    EXPECT_EQ(mode_of(path.parent_path().parent_path()), 0700) << "umask " << mask;
  }
}

TEST_F(SecureFileTest, PublicFileIsExactly0644EvenUnderUmask077) {
  const ScopedUmask umask(077);
  const fs::path path = dir_.path() / "node.pub";
  ASSERT_TRUE(write_file_atomic(path, bytes_of("public"), kPublicFileMode));
  EXPECT_EQ(mode_of(path), 0644);
}

TEST_F(SecureFileTest, ExistingDirectoriesKeepTheirMode) {
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  ASSERT_TRUE(write_file_atomic(dir_.path() / "file", bytes_of("x"), kPublicFileMode));
  EXPECT_EQ(mode_of(dir_.path()), 0755);
}

TEST_F(SecureFileTest, ReplaceIsAtomicAndLeavesNoTemporaryFiles) {
  const fs::path path = dir_.path() / "node.key";
  write_plain(path, "old contents");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ASSERT_TRUE(write_file_atomic(path, bytes_of("new"), kSecretFileMode));
  EXPECT_EQ(*read_file(path, 100), bytes_of("new"));
  EXPECT_EQ(mode_of(path), 0600);  // A new inode: the old, wider mode does not carry over.
  EXPECT_EQ(list_names(dir_.path()), std::vector<std::string>{"node.key"});
}

TEST_F(SecureFileTest, EmptyDataWritesAnEmptyFile) {
  const fs::path path = dir_.path() / "empty";
  ASSERT_TRUE(write_file_atomic(path, {}, kPublicFileMode));
  EXPECT_EQ(fs::file_size(path), 0U);
}

TEST_F(SecureFileTest, FailedRenameRemovesTheTemporaryFile) {
  const fs::path target = dir_.path() / "occupied";
  fs::create_directory(target);  // rename(file, directory) fails with EISDIR.
  auto written = write_file_atomic(target, bytes_of("x"), kSecretFileMode);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Errc::io);
  EXPECT_NE(written.error().message.find(target.string()), std::string::npos);
  EXPECT_NE(written.error().message.find("Is a directory"), std::string::npos)
      << written.error().message;
  EXPECT_EQ(list_names(dir_.path()), std::vector<std::string>{"occupied"});
}

TEST_F(SecureFileTest, ParentThatIsAFileIsAnError) {
  write_plain(dir_.path() / "plain", "x");
  auto written = write_file_atomic(dir_.path() / "plain" / "child", bytes_of("x"), 0600);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, Errc::io);
  EXPECT_NE(written.error().message.find("plain"), std::string::npos);
}

TEST_F(SecureFileTest, WriteFileNewNeverReplaces) {
  const fs::path path = dir_.path() / "node.key";
  ASSERT_TRUE(write_file_new(path, bytes_of("first"), kSecretFileMode));
  EXPECT_EQ(mode_of(path), 0600);
  auto again = write_file_new(path, bytes_of("second"), kSecretFileMode);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_EQ(*read_file(path, 100), bytes_of("first"));
  EXPECT_EQ(list_names(dir_.path()), std::vector<std::string>{"node.key"});
}

TEST_F(SecureFileTest, ReadFileEnforcesItsLimit) {
  const fs::path path = dir_.path() / "data";
  write_plain(path, "0123456789");
  EXPECT_EQ(*read_file(path, 10), bytes_of("0123456789"));
  auto too_large = read_file(path, 9);
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, Errc::limit_reached);
  EXPECT_NE(too_large.error().message.find(path.string()), std::string::npos);
}

TEST_F(SecureFileTest, ReadFileReportsMissingAndNonRegularFiles) {
  auto missing = read_file(dir_.path() / "absent", 10);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_EQ(read_file(dir_.path(), 10).error().code, Errc::io);
  // A FIFO must be refused, not block the reader.
  const fs::path fifo = dir_.path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto from_fifo = read_file(fifo, 10);
  ASSERT_FALSE(from_fifo);
  EXPECT_EQ(from_fifo.error().code, Errc::io);
  EXPECT_NE(from_fifo.error().message.find("not a regular file"), std::string::npos);
}

TEST_F(SecureFileTest, ReadFileExactNamesThePathAndBothSizes) {
  const fs::path path = dir_.path() / "node.pub";
  write_plain(path, "abc");
  EXPECT_EQ(*read_file_exact(path, 3), bytes_of("abc"));
  for (const std::size_t expected : {std::size_t{2}, std::size_t{32}}) {
    auto wrong = read_file_exact(path, expected);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Errc::io);
    EXPECT_EQ(wrong.error().message,
              path.string() + " has 3 bytes, expected " + std::to_string(expected));
  }
  EXPECT_EQ(read_file_exact(dir_.path() / "absent", 3).error().code, Errc::not_found);
}

TEST_F(SecureFileTest, RemoveFileReportsMissingFiles) {
  const fs::path path = dir_.path() / "pin";
  write_plain(path, "x");
  ASSERT_TRUE(remove_file(path));
  EXPECT_FALSE(fs::exists(path));
  auto again = remove_file(path);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::not_found);
}

}  // namespace
}  // namespace barrel_p2p::runtime
