#include "runtime/pin_files.hpp"

#include <gtest/gtest.h>
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

using Key = std::array<std::uint8_t, 32>;

Key key_filled(std::uint8_t value) {
  Key key{};
  key.fill(value);
  return key;
}

void write_plain(const fs::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

class PinFilesTest : public ::testing::Test {
 protected:
  [[nodiscard]] fs::path trusted() const { return trusted_directory(dir_.path()); }

  TempDir dir_;
};

TEST_F(PinFilesTest, MissingDirectoryIsAnEmptyTrustStore) {
  auto loaded = load_pins(dir_.path());
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_TRUE(loaded->pins.empty());
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST_F(PinFilesTest, SaveLoadRemove) {
  const ScopedUmask umask(077);
  ASSERT_TRUE(save_pin(dir_.path(), "node-b", key_filled(2)));
  ASSERT_TRUE(save_pin(dir_.path(), "node-a", key_filled(1)));
  EXPECT_EQ(mode_of(trusted() / "node-a.pub"), 0644);
  EXPECT_EQ(fs::file_size(trusted() / "node-a.pub"), 32U);  // Raw bytes.

  auto loaded = load_pins(dir_.path());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->pins,
            (std::vector<PinEntry>{{"node-a", key_filled(1)}, {"node-b", key_filled(2)}}));
  EXPECT_TRUE(loaded->warnings.empty());

  ASSERT_TRUE(remove_pin(dir_.path(), "node-a"));
  loaded = load_pins(dir_.path());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->pins, (std::vector<PinEntry>{{"node-b", key_filled(2)}}));
  auto again = remove_pin(dir_.path(), "node-a");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::not_found);
}

TEST_F(PinFilesTest, SaveReplacesAnExistingPin) {
  ASSERT_TRUE(save_pin(dir_.path(), "node-a", key_filled(1)));
  ASSERT_TRUE(save_pin(dir_.path(), "node-a", key_filled(9)));
  auto loaded = load_pins(dir_.path());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->pins, (std::vector<PinEntry>{{"node-a", key_filled(9)}}));
  EXPECT_EQ(list_names(trusted()), std::vector<std::string>{"node-a.pub"});
}

TEST_F(PinFilesTest, InvalidNamesAreRefusedBeforeTouchingTheDisk) {
  const std::vector<std::string> invalid = {
      "../x",        "a/b",         "",    std::string(65, 'a'), ".",
      "..",          "/etc/passwd", "a b", "caf\xc3\xa9",        std::string("nul\0byte", 8),
      "line\nbreak", "a\\b"};
  for (const std::string& name : invalid) {
    EXPECT_FALSE(is_valid_pin_name(name)) << name;
    auto saved = save_pin(dir_.path(), name, key_filled(1));
    ASSERT_FALSE(saved) << name;
    EXPECT_EQ(saved.error().code, Errc::invalid_argument) << name;
    EXPECT_EQ(remove_pin(dir_.path(), name).error().code, Errc::invalid_argument) << name;
  }
  EXPECT_TRUE(list_names(dir_.path()).empty());
}

TEST_F(PinFilesTest, ErrorsShowHostileNamesEscaped) {
  auto saved = save_pin(dir_.path(), "evil\nWARN forged line", key_filled(1));
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().message.find('\n'), std::string::npos);
  EXPECT_NE(saved.error().message.find("\"evil\\x0aWARN\\x20forged\\x20line\""), std::string::npos)
      << saved.error().message;
  auto long_name = save_pin(dir_.path(), std::string(1000, 'a'), key_filled(1));
  EXPECT_LT(long_name.error().message.size(), 200U);
}

TEST_F(PinFilesTest, ValidNamesAreAccepted) {
  for (const std::string& name :
       {std::string(64, 'z'), std::string("a"), std::string("node_1.example-x"), std::string("..a"),
        std::string("A.b")}) {
    EXPECT_TRUE(is_valid_pin_name(name)) << name;
    EXPECT_TRUE(save_pin(dir_.path(), name, key_filled(3))) << name;
  }
  auto loaded = load_pins(dir_.path());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->pins.size(), 5U);
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST_F(PinFilesTest, JunkEntriesAreSkippedWithWarnings) {
  ASSERT_TRUE(save_pin(dir_.path(), "good", key_filled(4)));
  write_plain(trusted() / "short.pub", "12345");
  write_plain(trusted() / "bad name!.pub", std::string(32, 'k'));
  write_plain(trusted() / "readme.txt", "hello");
  write_plain(trusted() / ".pub", std::string(32, 'k'));
  write_plain(trusted() / "new\nline.pub", std::string(32, 'k'));
  fs::create_directory(trusted() / "dir.pub");

  auto loaded = load_pins(dir_.path());
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->pins, (std::vector<PinEntry>{{"good", key_filled(4)}}));
  ASSERT_EQ(loaded->warnings.size(), 6U);
  const auto warned_about = [&](std::string_view needle) {
    return std::any_of(
        loaded->warnings.begin(), loaded->warnings.end(),
        [&](const std::string& warning) { return warning.find(needle) != std::string::npos; });
  };
  EXPECT_TRUE(warned_about("short.pub has 5 bytes, expected 32"));
  EXPECT_TRUE(warned_about("\"bad\\x20name\\x21.pub\""));
  EXPECT_TRUE(warned_about("\"readme.txt\""));
  EXPECT_TRUE(warned_about("\".pub\""));
  EXPECT_TRUE(warned_about("\"new\\x0aline.pub\""));
  EXPECT_TRUE(warned_about("dir.pub is not a regular file"));
  for (const std::string& warning : loaded->warnings) {
    EXPECT_EQ(warning.find('\n'), std::string::npos) << warning;
  }
}

}  // namespace
}  // namespace barrel_p2p::runtime
