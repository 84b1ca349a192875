// Tests of the public small-file helpers (barrel_p2p/files.hpp): modes, bounds, errors.
#include "barrel_p2p/files.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/file_test_support.hpp"

namespace barrel_p2p {
namespace {

using runtime::testing::mode_of;
using runtime::testing::ScopedUmask;
using runtime::testing::TempDir;

TEST(Files, WritesWithTheModeOfItsAccessWhateverTheUmask) {
  TempDir dir;
  ScopedUmask umask(0077);
  ASSERT_TRUE(write_file_atomic(dir.path() / "secret", "s3cret", FileAccess::owner_only));
  ASSERT_TRUE(write_file_atomic(dir.path() / "sub" / "public", "hello\n", FileAccess::everyone));
  EXPECT_EQ(mode_of(dir.path() / "secret"), 0600);
  EXPECT_EQ(mode_of(dir.path() / "sub" / "public"), 0644);
  EXPECT_EQ(mode_of(dir.path() / "sub"), 0700);
  auto text = read_file(dir.path() / "sub" / "public", 64);
  ASSERT_TRUE(text);
  EXPECT_EQ(std::string(text->begin(), text->end()), "hello\n");
}

TEST(Files, ReplacesBytesAtomically) {
  TempDir dir;
  const std::vector<std::uint8_t> first{1, 2, 3};
  const std::vector<std::uint8_t> second{4, 5};
  ASSERT_TRUE(write_file_atomic(dir.path() / "f", first, FileAccess::everyone));
  ASSERT_TRUE(write_file_atomic(dir.path() / "f", second, FileAccess::everyone));
  auto bytes = read_file_exact(dir.path() / "f", 2);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, second);
}

TEST(Files, ReadsAreBoundedAndReportTheirErrors) {
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "f", "12345", FileAccess::everyone));
  auto too_large = read_file(dir.path() / "f", 4);
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, Errc::limit_reached);
  auto wrong_size = read_file_exact(dir.path() / "f", 4);
  ASSERT_FALSE(wrong_size);
  EXPECT_EQ(wrong_size.error().code, Errc::io);
  auto missing = read_file(dir.path() / "missing", 4);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

}  // namespace
}  // namespace barrel_p2p
