#include "barrel_p2p/result.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace barrel_p2p {
namespace {

Result<int> half(int value) {
  if (value % 2 != 0) return fail(Errc::invalid_argument, "odd value");
  return value / 2;
}

TEST(Result, HoldsValueOrError) {
  auto ok = half(4);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  EXPECT_EQ(bad.error().to_string(), "invalid_argument: odd value");
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, MoveOnlyValuesAndVoid) {
  Result<std::unique_ptr<int>> owned = std::make_unique<int>(5);
  ASSERT_TRUE(owned);
  std::unique_ptr<int> taken = std::move(owned).value();
  EXPECT_EQ(*taken, 5);
  Result<void> done;
  EXPECT_TRUE(done);
  Result<void> failed = fail(Errc::timeout, "late");
  EXPECT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "late");
}

}  // namespace
}  // namespace barrel_p2p
