// Tests of the public offline trust-store API (barrel_p2p/trust_files.hpp): a pin is written
// once, never replaced by a different key, listed with its fingerprint, and removed.
#include "barrel_p2p/trust_files.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "barrel_p2p/files.hpp"
#include "runtime/file_test_support.hpp"

namespace barrel_p2p {
namespace {

using runtime::testing::mode_of;
using runtime::testing::TempDir;

std::array<std::uint8_t, 32> key_filled(std::uint8_t value) {
  std::array<std::uint8_t, 32> key{};
  key.fill(value);
  return key;
}

TEST(TrustFiles, PinsOnceAndNeverReplacesADifferentKey) {
  TempDir dir;
  auto saved = save_pin(dir.path(), "bob", key_filled(1));
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(*saved, PinSaved::pinned);
  EXPECT_EQ(mode_of(trusted_directory(dir.path()) / "bob.pub"), 0644);
  auto same = save_pin(dir.path(), "bob", key_filled(1));
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, PinSaved::already_pinned);
  auto different = save_pin(dir.path(), "bob", key_filled(2));
  ASSERT_FALSE(different);
  EXPECT_EQ(different.error().code, Errc::already_exists);
  auto listing = list_pins(dir.path());
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->pins.size(), 1U);
  EXPECT_EQ(listing->pins[0].peer, "bob");
  EXPECT_EQ(listing->pins[0].public_key, key_filled(1));
  EXPECT_EQ(listing->pins[0].fingerprint, fingerprint(key_filled(1)));
}

TEST(TrustFiles, AnUnreadablePinIsNotReplacedAndIsSkippedWhenListed) {
  TempDir dir;
  ASSERT_TRUE(
      write_file_atomic(trusted_directory(dir.path()) / "eve.pub", "short", FileAccess::everyone));
  auto saved = save_pin(dir.path(), "eve", key_filled(3));
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, Errc::already_exists);
  auto listing = list_pins(dir.path());
  ASSERT_TRUE(listing);
  EXPECT_TRUE(listing->pins.empty());
  EXPECT_EQ(listing->warnings.size(), 1U);
}

TEST(TrustFiles, NamesAreCheckedAndRemovalReportsMissingPins) {
  TempDir dir;
  EXPECT_TRUE(is_valid_pin_name("node-1.example_2"));
  for (const char* name : {"", ".", "..", "a/b", "../escape"}) {
    EXPECT_FALSE(is_valid_pin_name(name)) << name;
    auto saved = save_pin(dir.path(), name, key_filled(1));
    ASSERT_FALSE(saved) << name;
    EXPECT_EQ(saved.error().code, Errc::invalid_argument);
  }
  EXPECT_FALSE(is_valid_pin_name(std::string(kPinNameSizeMax + 1, 'a')));
  auto missing = remove_pin(dir.path(), "bob");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  ASSERT_TRUE(save_pin(dir.path(), "bob", key_filled(1)));
  ASSERT_TRUE(remove_pin(dir.path(), "bob"));
  auto listing = list_pins(dir.path());
  ASSERT_TRUE(listing);
  EXPECT_TRUE(listing->pins.empty());
}

}  // namespace
}  // namespace barrel_p2p
