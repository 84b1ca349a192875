// Membership driven directly: a tiny in-memory network moves Send commands between cores and
// turns DropLink / crashes into link-down inputs, so traces and views can be asserted.
#include "proto/hyparview/membership.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "proto/hyparview/membership_net.hpp"

namespace barrel_p2p::hyparview {
namespace {

using namespace std::chrono_literals;
using testing_support::Net;

template <typename T>
std::vector<T> messages_of(const std::vector<Net::Traced>& trace, const std::string& to = "") {
  std::vector<T> out;
  for (const auto& item : trace) {
    if (!to.empty() && item.to != to) continue;
    if (auto* m = std::get_if<T>(&item.message)) out.push_back(*m);
  }
  return out;
}

TEST(Membership, JoinThroughAContactMakesBothSidesActive) {
  Net net(1);
  net.add("a");
  net.add("b");
  net.node("b").join(net.now, net.info("a"));
  net.settle();
  EXPECT_TRUE(net.node("a").is_active("b"));
  EXPECT_TRUE(net.node("b").is_active("a"));
  EXPECT_EQ(net.events_of<Joined>("b"), 1U);
  EXPECT_EQ(net.events_of<Joined>("a"), 1U);
  ASSERT_EQ(messages_of<Join>(net.trace, "a").size(), 1U);
  ASSERT_EQ(messages_of<JoinReply>(net.trace, "b").size(), 1U);
}

TEST(Membership, JoinOnAFullContactEvictsExactlyOnePeerWithDisconnect) {
  Config config;
  config.active_size = 2;
  Net net(2, config);
  for (const char* name : {"c", "x", "y"}) net.add(name);
  net.node("x").join(net.now, net.info("c"));
  net.node("y").join(net.now, net.info("c"));
  net.settle();
  ASSERT_EQ(net.node("c").active_view().size(), 2U);
  net.trace.clear();
  net.add("z");
  net.node("z").join(net.now, net.info("c"));
  net.settle();
  EXPECT_TRUE(net.node("c").is_active("z"));
  EXPECT_EQ(net.node("c").active_view().size(), 2U);
  std::size_t disconnects_from_c = 0;
  for (const auto& item : net.trace) {
    if (item.from == "c" && std::holds_alternative<Disconnect>(item.message)) ++disconnects_from_c;
  }
  EXPECT_EQ(disconnects_from_c, 1U);
  EXPECT_EQ(net.node("c").stats().evictions, 1U);
}

TEST(Membership, ForwardJoinWalksAtMostTheActiveRandomWalk) {
  Config config;
  config.active_size = 3;
  Net net(3, config);
  for (int i = 0; i < 12; ++i) net.add("n" + std::to_string(i));
  for (int i = 1; i < 12; ++i) {
    net.node("n" + std::to_string(i)).join(net.now, net.info("n0"));
    net.settle();
  }
  for (const auto& item : net.trace) {
    if (auto* m = std::get_if<ForwardJoin>(&item.message)) {
      EXPECT_LE(m->ttl, config.active_random_walk);
    }
  }
  EXPECT_FALSE(messages_of<ForwardJoin>(net.trace).empty());
  // An eviction can cut the overlay for a moment (the evicted node does not ask its evictor
  // back at once); repairs on the timer mend it.
  net.run_for(10s);
  EXPECT_TRUE(net.symmetric());
  EXPECT_TRUE(net.connected());
}

TEST(Membership, LostActivePeerIsReplacedFromThePassiveView) {
  Config config;
  config.active_size = 2;
  Net net(4, config);
  for (int i = 0; i < 8; ++i) net.add("n" + std::to_string(i));
  for (int i = 1; i < 8; ++i) net.node("n" + std::to_string(i)).join(net.now, net.info("n0"));
  net.settle();
  net.run_for(30s);  // shuffles fill the passive views
  Membership& a = net.node("n1");
  ASSERT_FALSE(a.active_view().empty());
  std::string lost = a.active_view().front().name;
  const auto requests_before = a.stats().neighbor_requests;
  net.crash(lost);
  // Out of the active view at once, and a replacement is requested from the passive view.
  EXPECT_FALSE(a.is_active(lost));
  EXPECT_TRUE(a.is_passive(lost));
  EXPECT_GT(a.stats().neighbor_requests, requests_before);
  net.run_for(10s);
  EXPECT_FALSE(a.active_view().empty());
  for (const auto& name : net.names()) EXPECT_FALSE(net.node(name).is_active(lost)) << name;
  EXPECT_TRUE(net.symmetric());
  EXPECT_GE(net.events_of<PeerDown>("n1"), 1U);
}

TEST(Membership, FailedPeerIsRetriedWithDoublingBackoffAndDroppedAfterFiveFailures) {
  Config config;
  config.active_size = 2;
  config.repair_interval = 100ms;
  config.shuffle_interval = std::chrono::hours(1);  // no shuffle re-teaches b meanwhile
  Net net(5, config);
  for (const char* name : {"a", "b", "c"}) net.add(name);
  net.node("b").join(net.now, net.info("a"));
  net.node("c").join(net.now, net.info("a"));
  net.settle();
  ASSERT_TRUE(net.node("a").is_active("b"));
  ASSERT_TRUE(net.node("a").is_active("c"));  // so a never needs to re-join
  net.crash("b");                             // every NEIGHBOR to b now fails
  std::vector<core::Instant> attempts;
  for (int step = 0; step < 4000 && net.node("a").is_passive("b"); ++step) {
    net.trace.clear();
    net.advance(100ms);
    for (const auto& item : net.trace) {
      if (item.from == "a" && item.to == "b" && std::holds_alternative<Neighbor>(item.message) &&
          !std::get<Neighbor>(item.message).rejoin) {
        attempts.push_back(net.now);
      }
    }
  }
  EXPECT_FALSE(net.node("a").is_passive("b"));
  // The link failure counts as the first failure; the retries after it back off 1, 2, 4, 8 s.
  ASSERT_EQ(attempts.size(), 4U);
  for (std::size_t i = 1; i < attempts.size(); ++i) {
    auto gap = attempts[i] - attempts[i - 1];
    auto expected = config.backoff_initial * (1 << i);
    EXPECT_GE(gap, expected) << "retry " << i;
    EXPECT_LT(gap, expected + 500ms) << "retry " << i;
  }
}

TEST(Membership, ShuffleReplyGoesStraightToTheOrigin) {
  Net net(6);
  for (int i = 0; i < 10; ++i) net.add("n" + std::to_string(i));
  for (int i = 1; i < 10; ++i) net.node("n" + std::to_string(i)).join(net.now, net.info("n0"));
  net.settle();
  net.trace.clear();
  net.run_for(25s);
  std::map<std::string, int> origins;
  for (const auto& item : net.trace) {
    if (auto* m = std::get_if<Shuffle>(&item.message)) origins[m->origin.name]++;
  }
  ASSERT_FALSE(origins.empty());
  std::size_t replies = 0;
  for (const auto& item : net.trace) {
    if (std::holds_alternative<ShuffleReply>(item.message)) {
      ++replies;
      EXPECT_TRUE(origins.contains(item.to)) << "reply to " << item.to << " which never shuffled";
    }
  }
  EXPECT_GT(replies, 0U);
}

TEST(Membership, LeaveTellsEveryActivePeer) {
  Net net(7);
  for (const char* name : {"a", "b", "c"}) net.add(name);
  net.node("b").join(net.now, net.info("a"));
  net.node("c").join(net.now, net.info("a"));
  net.settle();
  net.trace.clear();
  net.node("a").leave(net.now);
  net.settle();
  EXPECT_TRUE(net.node("a").active_view().empty());
  EXPECT_FALSE(net.node("b").is_active("a"));
  EXPECT_FALSE(net.node("c").is_active("a"));
  EXPECT_FALSE(net.node("b").is_passive("a"));  // it left for good
  auto disconnects = messages_of<Disconnect>(net.trace);
  ASSERT_FALSE(disconnects.empty());
  EXPECT_TRUE(disconnects.front().leaving);
  EXPECT_EQ(net.events_of<Left>("a"), 1U);
}

TEST(Membership, ManyJoinsThroughOneContactAtOnceConvergeToBoundedSymmetricViews) {
  Net net(8);
  net.add("contact");
  for (int i = 0; i < 31; ++i) net.add("n" + std::to_string(i));
  for (int i = 0; i < 31; ++i) net.node("n" + std::to_string(i)).join(net.now, net.info("contact"));
  net.settle();
  net.run_for(30s);
  EXPECT_TRUE(net.bounded());
  EXPECT_TRUE(net.symmetric());
  EXPECT_TRUE(net.connected());
  for (const auto& name : net.names()) {
    EXPECT_FALSE(net.node(name).active_view().empty()) << name;
  }
}

TEST(Membership, ForgedSenderNamesAreIgnored) {
  Net net(9);
  net.add("a");
  net.node("a").on_message(net.now, "mallory", Join{PeerInfo{"bob", "1.2.3.4:5"}});
  net.node("a").on_message(net.now, "mallory", Neighbor{PeerInfo{"bob", ""}, true, false});
  EXPECT_TRUE(net.node("a").active_view().empty());
}

TEST(Membership, ConfigValidationNamesTheField) {
  Config config;
  config.active_size = 0;
  auto valid = config.validate();
  ASSERT_FALSE(valid);
  EXPECT_NE(valid.error().message.find("active_view_size"), std::string::npos);
  EXPECT_TRUE(Config{}.validate());
}

}  // namespace
}  // namespace barrel_p2p::hyparview
