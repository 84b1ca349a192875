// RecentExitCauses: bounded in count and time, newest first, a repeated dot refreshed.
#include "proto/registry/exit_causes.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::registry {
namespace {

using namespace std::chrono_literals;

core::Instant at(std::chrono::seconds s) { return core::Instant{} + s; }

DotCause cause_of(const std::string& node, std::uint64_t ms, const std::string& text) {
  return DotCause{node, hlc::Timestamp{ms, 0}, ExitCause{5, text}};
}

TEST(RecentExitCauses, FindsACauseByItsDotUntilItsRetentionEnds) {
  RecentExitCauses causes(8, 10s);
  causes.remember(at(0s), cause_of("a", 1, "crashed"));
  ASSERT_NE(causes.find("a", {1, 0}), nullptr);
  EXPECT_EQ(causes.find("a", {1, 0})->text, "crashed");
  EXPECT_EQ(causes.find("a", {1, 1}), nullptr);  // another dot of the same node
  EXPECT_EQ(causes.find("b", {1, 0}), nullptr);
  EXPECT_EQ(causes.recent(at(9s)).size(), 1U);
  EXPECT_TRUE(causes.recent(at(10s)).empty());
  EXPECT_EQ(causes.find("a", {1, 0}), nullptr);
}

TEST(RecentExitCauses, KeepsTheNewestUpToItsCapacityAndSendsThemNewestFirst) {
  RecentExitCauses causes(3, 60s);
  for (std::uint64_t i = 1; i <= 5; ++i) causes.remember(at(0s), cause_of("a", i, "r"));
  EXPECT_EQ(causes.size(), 3U);
  EXPECT_EQ(causes.find("a", {2, 0}), nullptr);
  const std::vector<DotCause> recent = causes.recent(at(1s));
  ASSERT_EQ(recent.size(), 3U);
  EXPECT_EQ(recent[0].stamp.wall_ms, 5U);
  EXPECT_EQ(recent[2].stamp.wall_ms, 3U);
}

TEST(RecentExitCauses, ARepeatedDotIsRefreshedNotDuplicated) {
  RecentExitCauses causes(4, 10s);
  causes.remember(at(0s), cause_of("a", 1, "first"));
  causes.remember(at(0s), cause_of("b", 1, "other"));
  causes.remember(at(8s), cause_of("a", 1, "again"));
  EXPECT_EQ(causes.size(), 2U);
  EXPECT_EQ(causes.find("a", {1, 0})->text, "again");
  const std::vector<DotCause> recent = causes.recent(at(12s));  // "b" has expired
  ASSERT_EQ(recent.size(), 1U);
  EXPECT_EQ(recent[0].node, "a");
}

TEST(RecentExitCauses, SendsAtMostWhatAStateCarries) {
  RecentExitCauses causes(kMaxStateCauses * 2, 60s);
  for (std::uint64_t i = 1; i <= kMaxStateCauses * 2; ++i) {
    causes.remember(at(0s), cause_of("a", i, "r"));
  }
  EXPECT_EQ(causes.recent(at(0s)).size(), kMaxStateCauses);
  causes.remember(at(0s), cause_of(std::string(kMaxRouteOriginSize + 1, 'n'), 1, "r"));
  EXPECT_EQ(causes.find(std::string(kMaxRouteOriginSize + 1, 'n'), {1, 0}), nullptr);
  RecentExitCauses none(0, 60s);
  none.remember(at(0s), cause_of("a", 1, "r"));
  EXPECT_EQ(none.size(), 0U);
}

}  // namespace
}  // namespace barrel_p2p::registry
