#include "proto/auth/trust_store.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::auth {
namespace {

PublicKey key_of(std::uint8_t fill) {
  PublicKey key;
  key.bytes.fill(fill);
  return key;
}

TEST(TrustStore, PinLookupAndIdempotentRepin) {
  TrustStore store;
  EXPECT_EQ(store.mode(), TrustMode::tofu);
  EXPECT_FALSE(store.lookup("a").has_value());
  ASSERT_TRUE(store.pin("a", key_of(1)).has_value());
  EXPECT_EQ(store.lookup("a"), key_of(1));
  EXPECT_TRUE(store.pin("a", key_of(1)).has_value());
  EXPECT_EQ(store.size(), 1U);
}

TEST(TrustStore, NeverReplacesADifferentKey) {
  TrustStore store;
  ASSERT_TRUE(store.pin("a", key_of(1)).has_value());
  auto replaced = store.pin("a", key_of(2));
  ASSERT_FALSE(replaced.has_value());
  EXPECT_EQ(replaced.error().code, Errc::already_exists);
  EXPECT_NE(replaced.error().message.find("unpin it first"), std::string::npos);
  EXPECT_EQ(store.lookup("a"), key_of(1));
  ASSERT_TRUE(store.unpin("a").has_value());
  EXPECT_TRUE(store.pin("a", key_of(2)).has_value());
  EXPECT_EQ(store.lookup("a"), key_of(2));
}

TEST(TrustStore, UnpinUnknownIsNotFound) {
  TrustStore store;
  auto removed = store.unpin("ghost");
  ASSERT_FALSE(removed.has_value());
  EXPECT_EQ(removed.error().code, Errc::not_found);
}

TEST(TrustStore, ListIsSortedByName) {
  TrustStore store;
  ASSERT_TRUE(store.pin("c", key_of(3)).has_value());
  ASSERT_TRUE(store.pin("a", key_of(1)).has_value());
  ASSERT_TRUE(store.pin("b", key_of(2)).has_value());
  const auto pins = store.list();
  ASSERT_EQ(pins.size(), 3U);
  EXPECT_EQ(pins[0], (std::pair<std::string, PublicKey>{"a", key_of(1)}));
  EXPECT_EQ(pins[1].first, "b");
  EXPECT_EQ(pins[2].first, "c");
}

TEST(TrustStore, BoundedAndRejectsUnsafeNames) {
  TrustStore store(TrustMode::strict, 2);
  EXPECT_EQ(store.mode(), TrustMode::strict);
  ASSERT_TRUE(store.pin("a", key_of(1)).has_value());
  ASSERT_TRUE(store.pin("b", key_of(2)).has_value());
  auto full = store.pin("c", key_of(3));
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, Errc::limit_reached);
  EXPECT_TRUE(store.pin("a", key_of(1)).has_value());  // re-pinning needs no room
  for (const char* name : {"", "..", "../x", "a/b", "a b"}) {
    auto bad = store.pin(name, key_of(9));
    ASSERT_FALSE(bad.has_value()) << name;
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  }
  store.set_mode(TrustMode::tofu);
  EXPECT_EQ(store.mode(), TrustMode::tofu);
}

// Decision 0024: the fingerprints configured contact strings require, beside the pins.
TEST(TrustStore, RequiredFingerprintsAreKeptApartFromPinsAndNeverReplaced) {
  TrustStore store(TrustMode::tofu, 2);
  const Sha256 one = sha256(key_of(1).bytes);
  EXPECT_FALSE(store.required("a").has_value());
  ASSERT_TRUE(store.require("a", one).has_value());
  EXPECT_TRUE(store.require("a", one).has_value());  // the same again: no change
  EXPECT_EQ(store.required("a"), one);
  EXPECT_FALSE(store.lookup("a").has_value());  // not a pin
  EXPECT_EQ(store.size(), 0U);
  auto other = store.require("a", sha256(key_of(2).bytes));
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, Errc::already_exists);
  EXPECT_EQ(store.required("a"), one);
  EXPECT_EQ(store.require("../x", one).error().code, Errc::invalid_argument);
  ASSERT_TRUE(store.require("b", one).has_value());
  EXPECT_EQ(store.require("c", one).error().code, Errc::limit_reached);
}

// Decision 0023: a rotation moves a pin only from the key it names, never over a pin that
// changed meanwhile, and moving it to where it already is changes nothing.
TEST(TrustStore, ReplaceMovesAPinOnlyFromTheKeyItNames) {
  TrustStore store;
  ASSERT_TRUE(store.pin("a", key_of(1)).has_value());
  ASSERT_TRUE(store.replace("a", key_of(1), key_of(2)).has_value());
  EXPECT_EQ(store.lookup("a"), key_of(2));
  EXPECT_TRUE(store.replace("a", key_of(1), key_of(2)).has_value());  // a second session
  EXPECT_EQ(store.lookup("a"), key_of(2));
  auto replayed = store.replace("a", key_of(1), key_of(3));  // an old record, a new key
  ASSERT_FALSE(replayed.has_value());
  EXPECT_EQ(replayed.error().code, Errc::already_exists);
  EXPECT_EQ(store.lookup("a"), key_of(2));
  auto unknown = store.replace("b", key_of(1), key_of(2));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, Errc::not_found);
  EXPECT_FALSE(store.lookup("b").has_value());
  EXPECT_EQ(store.size(), 1U);
}

}  // namespace
}  // namespace barrel_p2p::auth
