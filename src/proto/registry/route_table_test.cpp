// RouteTable: the bookkeeping of overlay route requests (whereis_service step 3) on the origin
// and on forwarding nodes: walk TTL, duplicate suppression, the in-flight cap, the answer
// cache and its expiry, retries after a timeout.
#include "proto/registry/route_table.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::registry {
namespace {

using namespace std::chrono_literals;

core::Instant at(std::chrono::milliseconds ms) {
  return core::Instant::from_nanos(1'000'000'000) + ms;
}

RoutedInstance instance(const std::string& node, std::uint64_t wall, const std::string& name) {
  return RoutedInstance{node, DeltaEntry{hlc::Timestamp{wall, 0}, name, {1}, {}}};
}

RouteConfig small() {
  RouteConfig config;
  config.max_in_flight = 2;
  config.timeout = 100ms;
  config.cache_ttl = 1s;
  config.max_seen = 4;
  config.seen_ttl = 10s;
  return config;
}

TEST(RouteTable, ARequestIsAnsweredWhereKnownForwardedWhileHopsRemainElseDropped) {
  RouteTable table(small(), 1);
  EXPECT_EQ(table.on_request(at(0ms), "o", 1, 3, true), RouteDecision::answer);
  EXPECT_EQ(table.on_request(at(0ms), "o", 2, 3, false), RouteDecision::forward);
  EXPECT_EQ(table.on_request(at(0ms), "o", 3, 0, false), RouteDecision::drop);
  EXPECT_EQ(table.on_request(at(0ms), "o", 4, 0, true), RouteDecision::answer);  // last hop
  EXPECT_EQ(table.stats().answered, 2U);
  EXPECT_EQ(table.stats().dropped[static_cast<std::size_t>(RouteDrop::ttl_expired)], 1U);
}

TEST(RouteTable, ARequestSeenBeforeIsDroppedUntilItsIdIsForgotten) {
  RouteTable table(small(), 1);
  EXPECT_EQ(table.on_request(at(0ms), "o", 7, 3, false), RouteDecision::forward);
  EXPECT_EQ(table.on_request(at(1ms), "o", 7, 2, false), RouteDecision::drop);
  EXPECT_EQ(table.on_request(at(1ms), "other", 7, 2, false), RouteDecision::forward);
  EXPECT_EQ(table.stats().dropped[static_cast<std::size_t>(RouteDrop::duplicate)], 1U);
  // After seen_ttl the id is forgotten.
  EXPECT_EQ(table.on_request(at(20s), "o", 7, 2, false), RouteDecision::forward);
  // At max_seen the oldest id goes first.
  for (std::uint64_t id = 100; id < 104; ++id) {
    EXPECT_EQ(table.on_request(at(21s), "o", id, 2, false), RouteDecision::forward);
  }
  EXPECT_EQ(table.on_request(at(21s), "o", 7, 2, false), RouteDecision::forward);
  EXPECT_EQ(table.on_request(at(21s), "o", 103, 2, false), RouteDecision::drop);
}

TEST(RouteTable, AReplyFinishesItsQueryAndIsCachedUntilItsTtl) {
  RouteTable table(small(), 50);
  auto started = table.start(at(0ms), "svc", 0);
  ASSERT_TRUE(started);
  const auto [query, walk] = *started;
  EXPECT_EQ(walk.request_id, 50U);
  EXPECT_EQ(walk.name, "svc");
  auto done = table.on_reply(at(10ms), walk.request_id, {instance("b", 5, "svc")});
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->query, query);
  ASSERT_TRUE(done->found);
  EXPECT_EQ(done->found->size(), 1U);
  EXPECT_EQ(table.in_flight(), 0U);
  // A second reply to the same walk is late.
  EXPECT_FALSE(table.on_reply(at(11ms), walk.request_id, {instance("c", 6, "svc")}));
  EXPECT_EQ(table.stats().dropped[static_cast<std::size_t>(RouteDrop::unknown_reply)], 1U);

  auto hit = table.cached(at(500ms), "svc");
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->front().node, "b");
  EXPECT_EQ(table.stats().cache_hits, 1U);
  EXPECT_FALSE(table.cached(at(1010ms), "svc").has_value());  // cache_ttl passed
  EXPECT_FALSE(table.cached(at(0ms), "other").has_value());
}

TEST(RouteTable, AnOlderAnswerDoesNotReplaceANewerCachedOne) {
  RouteTable table(small(), 1);
  auto first = table.start(at(0ms), "svc", 0);
  auto second = table.start(at(0ms), "svc", 0);
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(table.on_reply(at(1ms), first->second.request_id, {instance("new", 9, "svc")}));
  ASSERT_TRUE(table.on_reply(at(2ms), second->second.request_id, {instance("old", 3, "svc")}));
  EXPECT_EQ(table.cached(at(3ms), "svc")->front().node, "new");
}

TEST(RouteTable, AReplyNamingAnotherServiceOrNothingIsDropped) {
  RouteTable table(small(), 1);
  auto started = table.start(at(0ms), "svc", 0);
  ASSERT_TRUE(started);
  EXPECT_FALSE(table.on_reply(at(1ms), started->second.request_id, {instance("b", 1, "other")}));
  EXPECT_FALSE(table.on_reply(at(1ms), started->second.request_id, {}));
  EXPECT_EQ(table.stats().dropped[static_cast<std::size_t>(RouteDrop::bad_reply)], 2U);
  EXPECT_EQ(table.in_flight(), 1U);  // still waiting for a good answer
}

TEST(RouteTable, AtTheInFlightCapTheCallerGetsOverloaded) {
  RouteTable table(small(), 1);
  ASSERT_TRUE(table.start(at(0ms), "a", 0));
  ASSERT_TRUE(table.start(at(0ms), "b", 0));
  auto third = table.start(at(0ms), "c", 0);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, Errc::overloaded);
  EXPECT_EQ(table.stats().dropped[static_cast<std::size_t>(RouteDrop::overloaded)], 1U);
  // A finished query frees its place.
  std::vector<RouteWalk> walks;
  std::vector<RouteResult> failed;
  table.on_timeout(at(100ms), walks, failed);
  EXPECT_EQ(failed.size(), 2U);
  EXPECT_TRUE(table.start(at(100ms), "c", 0));
}

TEST(RouteTable, RetriesWalkAgainWithANewIdThenTheQueryFailsNotFound) {
  RouteTable table(small(), 1);
  auto started = table.start(at(0ms), "svc", 2);
  ASSERT_TRUE(started);
  EXPECT_EQ(table.next_deadline(), at(100ms));
  std::vector<RouteWalk> walks;
  std::vector<RouteResult> failed;
  table.on_timeout(at(99ms), walks, failed);
  EXPECT_TRUE(walks.empty() && failed.empty());
  std::uint64_t last = started->second.request_id;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    walks.clear();
    table.on_timeout(at(100ms * attempt), walks, failed);
    ASSERT_EQ(walks.size(), 1U);
    EXPECT_NE(walks.front().request_id, last);
    EXPECT_EQ(walks.front().name, "svc");
    last = walks.front().request_id;
    EXPECT_TRUE(failed.empty());
  }
  // An answer to an abandoned walk does not count; the current one would.
  EXPECT_FALSE(table.on_reply(at(250ms), started->second.request_id, {instance("b", 1, "svc")}));
  walks.clear();
  table.on_timeout(at(300ms), walks, failed);
  EXPECT_TRUE(walks.empty());
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(failed.front().query, started->first);
  ASSERT_FALSE(failed.front().found);
  EXPECT_EQ(failed.front().found.error().code, Errc::not_found);
  EXPECT_EQ(table.stats().sent, 3U);
  EXPECT_EQ(table.stats().timed_out, 3U);
  EXPECT_TRUE(table.next_deadline().is_never());
}

TEST(RouteTable, FailAllEndsEveryQuery) {
  RouteTable table(small(), 1);
  ASSERT_TRUE(table.start(at(0ms), "a", 3));
  auto results = table.fail_all(Error{Errc::closed, "stopping"});
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results.front().found.error().code, Errc::closed);
  EXPECT_EQ(table.in_flight(), 0U);
}

TEST(RouteTable, ConfigValidation) {
  EXPECT_TRUE(RouteConfig{}.validate());
  RouteConfig config;
  config.max_in_flight = 0;
  EXPECT_FALSE(config.validate());
  config = RouteConfig{};
  config.timeout = core::Duration::zero();
  EXPECT_FALSE(config.validate());
}

}  // namespace
}  // namespace barrel_p2p::registry
