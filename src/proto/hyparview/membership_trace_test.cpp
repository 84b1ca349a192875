// One Membership core driven by hand: every input is followed by an exact check of the commands
// and events it produced (CAF-style traces), on simulated time.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "proto/hyparview/membership_core_fixture.hpp"

namespace barrel_p2p::hyparview {
namespace {

using namespace std::chrono_literals;

using testing_support::Core;
using testing_support::peer;
using testing_support::quiet_config;

template <typename M>
const M* sent(const Command& command, const std::string& to) {
  const auto* send = std::get_if<Send>(&command);
  if (send == nullptr || send->to.name != to) return nullptr;
  return std::get_if<M>(&send->message);
}

// The peers asked for a NEIGHBOR link by `commands`, in order.
std::vector<std::string> neighbor_targets(const std::vector<Command>& commands) {
  std::vector<std::string> asked;
  for (const auto& command : commands) {
    if (const auto* send = std::get_if<Send>(&command);
        send && std::holds_alternative<Neighbor>(send->message)) {
      asked.push_back(send->to.name);
    }
  }
  return asked;
}

bool dropped(const Command& command, const std::string& peer) {
  const auto* drop = std::get_if<DropLink>(&command);
  return drop != nullptr && drop->peer == peer;
}

TEST(MembershipTrace, JoinOnAFullContactEvictsOneAndForwardsToTheRest) {
  Config config;
  config.active_size = 2;
  Core core(config);
  core.make_active({"x", "y"});
  core->on_message(core.now, "z", Join{peer("z")});
  auto commands = core.commands();
  // DISCONNECT + DropLink to the victim, JOIN_REPLY to the joiner, FORWARD_JOIN(ttl = ARWL) to
  // the one remaining active peer, and nothing else.
  ASSERT_EQ(commands.size(), 4U);
  const std::string victim = sent<Disconnect>(commands[0], "x") != nullptr ? "x" : "y";
  const std::string kept = victim == "x" ? "y" : "x";
  ASSERT_NE(sent<Disconnect>(commands[0], victim), nullptr);
  EXPECT_FALSE(sent<Disconnect>(commands[0], victim)->leaving);
  EXPECT_TRUE(dropped(commands[1], victim));
  ASSERT_NE(sent<JoinReply>(commands[2], "z"), nullptr);
  EXPECT_EQ(sent<JoinReply>(commands[2], "z")->sender, peer("me"));
  ASSERT_NE(sent<ForwardJoin>(commands[3], kept), nullptr);
  EXPECT_EQ(sent<ForwardJoin>(commands[3], kept)->ttl, config.active_random_walk);
  EXPECT_EQ(sent<ForwardJoin>(commands[3], kept)->joiner, peer("z"));
  EXPECT_TRUE(core->is_active("z"));
  EXPECT_TRUE(core->is_passive(victim));
  auto events = core.events();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(std::get<PeerDown>(events[0]).peer, victim);
  EXPECT_EQ(std::get<PeerDown>(events[0]).reason, DownReason::evicted);
  EXPECT_EQ(std::get<PeerUp>(events[1]).peer, peer("z"));
}

TEST(MembershipTrace, ARepeatedJoinIsConfirmedWithoutNewWalks) {
  Core core;
  core.make_active({"x", "y"});
  core->on_message(core.now, "z", Join{peer("z")});
  ASSERT_EQ(core.commands().size(), 3U);  // JOIN_REPLY to z, FORWARD_JOIN to x and to y
  core.events();
  // z did not hear back in time and sends JOIN again: a JOIN_REPLY, and nothing else.
  core->on_message(core.now, "z", Join{peer("z")});
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_NE(sent<JoinReply>(commands[0], "z"), nullptr);
  EXPECT_TRUE(core.events().empty());
  EXPECT_EQ(core->stats().joins_handled, 1U);
}

TEST(MembershipTrace, ForwardJoinGoesPassiveAtThePassiveWalkAndForwardsOneShorter) {
  Core core;
  core.make_active({"p1", "p2"});
  core->on_message(core.now, "p1", ForwardJoin{peer("j"), 3});
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  ASSERT_NE(sent<ForwardJoin>(commands[0], "p2"), nullptr);  // never back to the sender
  EXPECT_EQ(sent<ForwardJoin>(commands[0], "p2")->ttl, 2);
  EXPECT_TRUE(core->is_passive("j"));
  EXPECT_FALSE(core->is_active("j"));

  core->on_message(core.now, "p2", ForwardJoin{peer("k"), 4});
  commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_EQ(sent<ForwardJoin>(commands[0], "p1")->ttl, 3);
  EXPECT_FALSE(core->is_passive("k"));  // only at ttl == passive_random_walk
}

TEST(MembershipTrace, ForwardJoinEndsInTheActiveViewWithAReplyToTheJoiner) {
  Core core;
  core.make_active({"p1", "p2"});
  core->on_message(core.now, "p1", ForwardJoin{peer("j"), 0});
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_NE(sent<JoinReply>(commands[0], "j"), nullptr);
  EXPECT_TRUE(core->is_active("j"));

  // With a single active peer (the sender) the walk ends here whatever the TTL.
  Core lonely;
  lonely.make_active({"p1"});
  lonely->on_message(lonely.now, "p1", ForwardJoin{peer("j"), 5});
  commands = lonely.commands();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_NE(sent<JoinReply>(commands[0], "j"), nullptr);
}

TEST(MembershipTrace, HostileWalkLengthsAreCappedAtTheConfiguredWalk) {
  Core core;
  core.make_active({"p1", "p2"});
  core->on_message(core.now, "p1", ForwardJoin{peer("j"), 255});
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_EQ(sent<ForwardJoin>(commands[0], "p2")->ttl, core->config().active_random_walk - 1);
  core->on_message(core.now, "p1", Shuffle{peer("o"), 200, {peer("o")}});
  commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_EQ(sent<Shuffle>(commands[0], "p2")->ttl, core->config().active_random_walk - 1);
}

TEST(MembershipTrace, ShuffleAtTheEndOfItsWalkIsAnsweredStraightToTheOrigin) {
  Core core;
  core.make_active({"p1", "p2"});
  core->on_message(core.now, "p1", ShuffleReply{{peer("q1"), peer("q2")}});
  core.commands();
  core->on_message(core.now, "p1", Shuffle{peer("o"), 1, {peer("o"), peer("s1")}});
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  const auto* send = std::get_if<Send>(&commands[0]);
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->to, peer("o"));  // with its advertised address: we have no link to it
  const auto& reply = std::get<ShuffleReply>(send->message);
  EXPECT_EQ(reply.peers.size(), 2U);  // as many as offered
  EXPECT_TRUE(core->is_passive("o"));
  EXPECT_TRUE(core->is_passive("s1"));
}

TEST(MembershipTrace, AShuffleReplyIsToppedUpWithActivePeersWhenThePassiveViewIsThin) {
  Config config;
  config.shuffle_interval = std::chrono::hours(10);
  Core core(config);
  core.make_active({"a", "b", "o"});
  core->on_message(core.now, "x", ShuffleReply{{peer("p1")}});  // one passive peer
  core.commands();
  // A walk ending here (ttl 1) from "o", offering four peers: the reply carries four too,
  // p1 and then active peers other than the origin.
  core->on_message(core.now, "o",
                   Shuffle{peer("o"), 1, {peer("o"), peer("q1"), peer("q2"), peer("q3")}});
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  const auto* reply = sent<ShuffleReply>(commands[0], "o");
  ASSERT_NE(reply, nullptr);
  std::vector<std::string> names;
  for (const auto& info : reply->peers) names.push_back(info.name);
  std::sort(names.begin() + 1, names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"p1", "a", "b"}));
}

TEST(MembershipTrace, NeighborHighPriorityIsAlwaysAcceptedLowOnlyWithRoom) {
  Config config;
  config.active_size = 1;
  Core core(config);
  core.make_active({"a"});
  core->on_message(core.now, "b", Neighbor{peer("b"), false, false});
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  ASSERT_NE(sent<NeighborReply>(commands[0], "b"), nullptr);
  EXPECT_FALSE(sent<NeighborReply>(commands[0], "b")->accepted);
  EXPECT_TRUE(core->is_passive("b"));
  EXPECT_TRUE(core->is_active("a"));

  core->on_message(core.now, "c", Neighbor{peer("c"), true, false});
  commands = core.commands();
  ASSERT_EQ(commands.size(), 3U);  // evict a (DISCONNECT, DropLink), accept c
  EXPECT_NE(sent<Disconnect>(commands[0], "a"), nullptr);
  EXPECT_TRUE(dropped(commands[1], "a"));
  EXPECT_TRUE(sent<NeighborReply>(commands[2], "c")->accepted);
  EXPECT_EQ(core->active_view(), std::vector<PeerInfo>{peer("c")});
}

// Lost at `start`, then every NEIGHBOR fails: the times of the NEIGHBORs sent to "b".
std::vector<core::Duration> retry_times(Core& core, int limit) {
  const core::Instant start = core.now;
  std::vector<core::Duration> out;
  for (int i = 0; i < 200 && core->is_passive("b") && static_cast<int>(out.size()) < limit; ++i) {
    for (const auto& command : core.fire_next()) {
      if (const auto* n = sent<Neighbor>(command, "b"); n != nullptr && !n->rejoin) {
        out.push_back(core.now - start);
        core->on_unreachable(core.now, "b");
      }
    }
  }
  return out;
}

TEST(MembershipTrace, LostPeerIsRetriedWithDoublingBackoffAndDroppedAfterMaxFailures) {
  Config config;
  config.shuffle_interval = std::chrono::hours(10);
  Core core(config);
  core.make_active({"b"});
  core->on_link_down(core.now, "b");  // failure 1
  auto events = core.events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(std::get<PeerDown>(events[0]).reason, DownReason::failed);
  EXPECT_TRUE(core->is_passive("b"));
  // Failures 2..5 come from the NEIGHBORs at 1 s, 1+2 s, 1+2+4 s, 1+2+4+8 s.
  EXPECT_EQ(retry_times(core, 10), (std::vector<core::Duration>{1s, 3s, 7s, 15s}));
  EXPECT_FALSE(core->is_passive("b"));
  EXPECT_EQ(core->stats().passive_dropped, 1U);
}

TEST(MembershipTrace, BackoffStopsDoublingAtItsMaximum) {
  Config config;
  config.shuffle_interval = std::chrono::hours(10);
  config.backoff_max = 3s;
  config.max_failures = 7;
  Core core(config);
  core.make_active({"b"});
  core->on_link_down(core.now, "b");
  EXPECT_EQ(retry_times(core, 10), (std::vector<core::Duration>{1s, 3s, 6s, 9s, 12s, 15s}));
}

TEST(MembershipTrace, AnAcceptedNeighborResetsTheFailureCount) {
  Config config;
  config.shuffle_interval = std::chrono::hours(10);
  Core core(config);
  core.make_active({"b"});
  core->on_link_down(core.now, "b");
  EXPECT_EQ(retry_times(core, 2), (std::vector<core::Duration>{1s, 3s}));  // 3 failures
  // The next NEIGHBOR succeeds.
  bool asked = false;
  while (!asked) {
    for (const auto& command : core.fire_next()) asked |= sent<Neighbor>(command, "b") != nullptr;
  }
  core->on_message(core.now, "b", NeighborReply{peer("b"), true, {}});
  ASSERT_TRUE(core->is_active("b"));
  core->on_link_down(core.now, "b");
  // Counted from one again: 1 s, then 2 s (not 8 s, 16 s).
  EXPECT_EQ(retry_times(core, 2), (std::vector<core::Duration>{1s, 3s}));
}

TEST(MembershipTrace, ARefusedNeighborIsAskedAgainOnlyAfterADoublingDelay) {
  for (const std::vector<std::string>& actives :
       {std::vector<std::string>{"a"}, std::vector<std::string>{"a", "c", "d", "e"}}) {
    SCOPED_TRACE(actives.size());
    Config config;
    config.shuffle_interval = std::chrono::hours(10);
    Core core(config);
    // Short by four or by one: either way the repair timer keeps asking, each peer on its
    // own doubling schedule, so a node with room that appears later is found.
    core.make_active(actives);
    core->on_message(core.now, "p", ShuffleReply{{peer("b")}});
    core.commands();
    // Every NEIGHBOR to "b" is refused (it is full): the times they were sent, from the first.
    std::vector<core::Duration> times;
    core::Instant first;
    for (int i = 0; i < 200 && times.size() < 5; ++i) {
      for (const auto& command : core.fire_next()) {
        if (sent<Neighbor>(command, "b") == nullptr) continue;
        if (times.empty()) first = core.now;
        times.push_back(core.now - first);
        core->on_message(core.now, "b", NeighborReply{peer("b"), false, {}});
        core.commands();
      }
    }
    EXPECT_EQ(times, (std::vector<core::Duration>{0s, 1s, 3s, 7s, 15s}));
    EXPECT_EQ(core->stats().neighbor_refused, 5U);
    EXPECT_TRUE(core->is_passive("b"));  // refused is not failed: the entry stays
  }
}

TEST(MembershipTrace, PeersThatNeverFailedAreAskedBeforeLostOnes) {
  Config config;
  config.shuffle_interval = std::chrono::hours(10);
  Core core(config);
  core.make_active({"a"});
  core->on_message(core.now, "p", ShuffleReply{{peer("d1"), peer("d2"), peer("d3"), peer("d4")}});
  core.commands();
  for (const char* lost : {"d1", "d2", "d3", "d4"}) {
    core->on_unreachable(core.now, lost);  // each fails once: retried after 1 s
    core.commands();
  }
  core->on_message(core.now, "p", ShuffleReply{{peer("b")}});
  core.commands();
  core.now = core.now + 2s;  // every entry is ready now
  core->on_timeout(core.now);
  std::vector<std::string> asked = neighbor_targets(core.commands());
  EXPECT_EQ(asked, std::vector<std::string>{"b"});
}

TEST(MembershipTrace, ALostActivePeerMakesRefusingPeersWorthAskingAgainAtOnce) {
  Config config;
  config.shuffle_interval = std::chrono::hours(10);
  Core core(config);
  core.make_active({"a", "c", "d"});  // over half full: refusals are not retried by the timer
  core->on_message(core.now, "p", ShuffleReply{{peer("b")}});
  core.commands();
  core->on_link_down(core.now, "d");  // asks "b" at once (the only passive peer with no failure)
  bool asked = false;
  for (const auto& command : core.commands()) asked |= sent<Neighbor>(command, "b") != nullptr;
  ASSERT_TRUE(asked);
  core->on_message(core.now, "b", NeighborReply{peer("b"), false, {}});  // b is full
  core.commands();
  // "a" fails: "b" (which refused a moment ago) is asked again now, not after its delay.
  core->on_link_down(core.now, "a");
  asked = false;
  for (const auto& command : core.commands()) asked |= sent<Neighbor>(command, "b") != nullptr;
  EXPECT_TRUE(asked);
}

TEST(MembershipTrace, APeerWhoseRequestWeRefusedIsAskedFirstWhenASlotOpens) {
  Config config;
  config.active_size = 2;
  config.shuffle_interval = std::chrono::hours(10);
  Core core(config);
  core.make_active({"a", "b"});
  // Ten known peers, then "x" asks for a link while we are full: refused, x has room.
  std::vector<PeerInfo> known;
  known.reserve(10);
  for (int i = 0; i < 10; ++i) known.push_back(peer("p" + std::to_string(i)));
  core->on_message(core.now, "a", ShuffleReply{known});
  core.commands();
  core->on_message(core.now, "x", Neighbor{peer("x"), false, false});
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  ASSERT_NE(sent<NeighborReply>(commands[0], "x"), nullptr);
  EXPECT_FALSE(sent<NeighborReply>(commands[0], "x")->accepted);
  // A moment later "a" is lost: x is asked first, not one of the ten.
  core.now = core.now + 1s;
  core->on_link_down(core.now, "a");
  std::vector<std::string> asked = neighbor_targets(core.commands());
  EXPECT_EQ(asked, std::vector<std::string>{"x"});
  // Only once: x turned out full meanwhile, so the next request goes to someone else.
  core->on_message(core.now, "x", NeighborReply{peer("x"), false, {}});
  asked = neighbor_targets(core.commands());
  ASSERT_EQ(asked.size(), 1U);
  EXPECT_NE(asked[0], "x");
}

TEST(MembershipTrace, APeerThatEvictedUsIsNotAskedBackAtOnce) {
  Core core(quiet_config(3));
  core.make_active({"a", "b", "c"});
  core->on_message(core.now, "a", ShuffleReply{{peer("p")}});
  core.commands();
  // "c" drops us to make room (it is full): we ask "p", not "c".
  core->on_message(core.now, "c", Disconnect{false, {}});
  EXPECT_EQ(neighbor_targets(core.commands()), std::vector<std::string>{"p"});
  EXPECT_TRUE(core->is_passive("c"));
  // "p" refuses too; "c" waits out its backoff (1 s) before it is asked.
  core->on_message(core.now, "p", NeighborReply{peer("p"), false, {}});
  core.commands();
  const core::Instant refused = core.now;
  for (int i = 0; i < 20; ++i) {
    std::vector<std::string> asked = neighbor_targets(core.fire_next());
    if (asked.empty()) continue;
    EXPECT_EQ(asked, std::vector<std::string>{"c"});
    EXPECT_GE(core.now - refused, 1s);
    break;
  }
}

TEST(MembershipTrace, AFullNodePairsTwoRequestersThatHaveRoom) {
  Core core(quiet_config(2));
  core.make_active({"a", "b"});  // full
  // "x" asks first: refused, no hint yet (nobody else looked for a slot).
  core->on_message(core.now, "x", Neighbor{peer("x"), false, false});
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  const auto* to_x = sent<NeighborReply>(commands[0], "x");
  ASSERT_NE(to_x, nullptr);
  EXPECT_FALSE(to_x->accepted);
  EXPECT_TRUE(to_x->room.empty());
  // "y" asks: refused, and told about "x", which had room a moment ago.
  core.now = core.now + 1s;
  core->on_message(core.now, "y", Neighbor{peer("y"), false, false});
  commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  const auto* to_y = sent<NeighborReply>(commands[0], "y");
  ASSERT_NE(to_y, nullptr);
  EXPECT_EQ(to_y->room, std::vector<PeerInfo>{peer("x")});
  // x is paired now: "z" is not sent to it too, and y (which got a hint) is not offered either.
  core->on_message(core.now, "z", Neighbor{peer("z"), false, false});
  commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_TRUE(sent<NeighborReply>(commands[0], "z")->room.empty());
  // Hints go stale: a requester long after z is not sent to z.
  core.now = core.now + Membership::kRoomSeenFor;
  core->on_message(core.now, "w", Neighbor{peer("w"), false, false});
  commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_TRUE(sent<NeighborReply>(commands[0], "w")->room.empty());
}

TEST(MembershipTrace, ARefusalWithAHintIsFollowedByARequestToTheHintedPeer) {
  Core core(quiet_config(4));
  core.make_active({"a", "b", "c"});
  core->on_message(core.now, "a", ShuffleReply{{peer("p"), peer("q")}});
  core.commands();
  const std::string target = neighbor_targets(core.fire_next()).at(0);
  // Refused with a hint: the hinted peer (unknown until now) is asked next, before the other
  // passive peer.
  core->on_message(core.now, target, NeighborReply{peer(target), false, {peer("h")}});
  EXPECT_EQ(neighbor_targets(core.commands()), std::vector<std::string>{"h"});
  EXPECT_TRUE(core->is_passive("h"));
  // Hints naming ourselves or an active peer are ignored: the remaining passive peer is next.
  core->on_message(core.now, "h", NeighborReply{peer("h"), false, {peer("me"), peer("a")}});
  EXPECT_EQ(neighbor_targets(core.commands()), std::vector<std::string>{target == "p" ? "q" : "p"});
  EXPECT_FALSE(core->is_passive("me"));
  EXPECT_TRUE(core->is_active("a"));
}

TEST(MembershipTrace, ARefusalMarksRoomOnlyForAWhile) {
  Config config;
  config.active_size = 1;
  config.shuffle_interval = std::chrono::hours(10);
  config.passive_max_age = std::chrono::hours(10);
  Core core(config);
  core.make_active({"a"});
  std::vector<PeerInfo> known;
  known.reserve(20);
  for (int i = 0; i < 20; ++i) known.push_back(peer("p" + std::to_string(i)));
  core->on_message(core.now, "a", ShuffleReply{known});
  core->on_message(core.now, "x", Neighbor{peer("x"), false, false});  // refused
  core.commands();
  // Long after the refusal, a lost peer is replaced by a random pick; over many seeds x would
  // be one in 21, here the seed picks another.
  core.now = core.now + Membership::kRoomSeenFor + 1s;
  core->on_link_down(core.now, "a");
  std::vector<std::string> asked = neighbor_targets(core.commands());
  ASSERT_EQ(asked.size(), 1U);
  EXPECT_NE(asked[0], "x");
}

TEST(MembershipTrace, JoinIsRetriedUntilAnActivePeerExists) {
  Config config;
  config.join_retry = 2s;
  Core core(config);
  const core::Instant start = core.now;
  core->join(core.now, peer("c"));
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_EQ(std::get<Send>(commands[0]).to, peer("c"));
  EXPECT_NE(sent<Join>(commands[0], "c"), nullptr);
  std::vector<core::Duration> joins;
  while (core->next_deadline() - start <= 7s) {
    for (const auto& command : core.fire_next()) {
      if (sent<Join>(command, "c") != nullptr) joins.push_back(core.now - start);
    }
  }
  EXPECT_EQ(joins, (std::vector<core::Duration>{2s, 4s, 6s}));
  core->on_message(core.now, "c", JoinReply{peer("c")});
  auto events = core.events();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(std::get<PeerUp>(events[0]).peer, peer("c"));
  EXPECT_TRUE(std::holds_alternative<Joined>(events[1]));
  while (core.now - start < 30s) {
    for (const auto& command : core.fire_next()) EXPECT_EQ(sent<Join>(command, "c"), nullptr);
  }
}

TEST(MembershipTrace, PassiveEntriesAgeOut) {
  Config config;
  config.passive_max_age = std::chrono::minutes(1);
  config.shuffle_interval = std::chrono::hours(10);
  config.active_size = 1;  // full: no NEIGHBOR probes that would fail the entries first
  Core core(config);
  core.make_active({"p"});
  core->on_message(core.now, "p", ShuffleReply{{peer("q1"), peer("q2")}});
  ASSERT_EQ(core->passive_view().size(), 2U);
  const core::Instant learned = core.now;
  while (core.now - learned < std::chrono::minutes(1)) core.fire_next();
  ASSERT_LT(core.now - learned, std::chrono::minutes(2));
  EXPECT_TRUE(core->passive_view().empty());
  EXPECT_EQ(core->stats().passive_expired, 2U);
}

TEST(MembershipTrace, LeaveDisconnectsEveryoneAndAnswersLateMessages) {
  Core core;
  core.make_active({"a", "b"});
  core->leave(core.now);
  auto commands = core.commands();
  ASSERT_EQ(commands.size(), 4U);
  EXPECT_TRUE(sent<Disconnect>(commands[0], "a")->leaving);
  EXPECT_TRUE(dropped(commands[1], "a"));
  EXPECT_TRUE(sent<Disconnect>(commands[2], "b")->leaving);
  EXPECT_TRUE(dropped(commands[3], "b"));
  auto events = core.events();
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(std::get<PeerDown>(events[0]).reason, DownReason::we_left);
  EXPECT_EQ(std::get<PeerDown>(events[1]).reason, DownReason::we_left);
  EXPECT_TRUE(std::holds_alternative<Left>(events[2]));
  EXPECT_EQ(core->next_deadline(), core::Instant::never());

  // A FORWARD_JOIN that crossed our DISCONNECT: its sender still holds us; tell it again.
  core->on_message(core.now, "c", ForwardJoin{peer("j"), 3});
  commands = core.commands();
  ASSERT_EQ(commands.size(), 2U);
  EXPECT_TRUE(sent<Disconnect>(commands[0], "c")->leaving);
  // A JOIN or a link loss changes nothing.
  core->on_message(core.now, "d", Join{peer("d")});
  core->on_link_down(core.now, "a");
  core->on_timeout(core.now + std::chrono::hours(1));
  EXPECT_TRUE(core.commands().empty());
  EXPECT_TRUE(core.events().empty());
  EXPECT_TRUE(core->active_view().empty());
}

TEST(MembershipTrace, ALeavingPeerIsForgottenEvenWhenOnlyPassive) {
  Core core;
  core.make_active({"p"});
  core->on_message(core.now, "p", ShuffleReply{{peer("q")}});
  ASSERT_TRUE(core->is_passive("q"));
  core->on_message(core.now, "q", Disconnect{false, {}});
  EXPECT_TRUE(core->is_passive("q"));  // not leaving: still a candidate
  core->on_message(core.now, "q", Disconnect{true, {}});
  EXPECT_FALSE(core->is_passive("q"));
}

TEST(MembershipTrace, StatsCountMessagesByType) {
  Core core;
  core->on_message(core.now, "z", Join{peer("z")});
  core.commands();
  const auto& stats = core->stats();
  EXPECT_EQ(stats.messages_in, 1U);
  EXPECT_EQ(stats.messages_in_by_type[Message(Join{}).index()], 1U);
  EXPECT_EQ(stats.messages_out_by_type[Message(JoinReply{}).index()], 1U);
  EXPECT_EQ(stats.messages_out, 1U);
  EXPECT_EQ(stats.joins_handled, 1U);
  EXPECT_STREQ(message_type_name(Message(Join{}).index()), "join");
  EXPECT_STREQ(message_type_name(Message(ShuffleReply{}).index()), "shuffle_reply");
  EXPECT_STREQ(message_type_name(kMessageTypeCount), "unknown");
}

TEST(MembershipTrace, APeerThatBecameActiveIsNotFailedByItsNeighborTimeout) {
  Config config;
  config.shuffle_interval = std::chrono::hours(10);
  Core core(config);
  core.make_active({"p"});
  core->on_message(core.now, "p", ShuffleReply{{peer("q")}});
  core.commands();
  bool asked = false;
  while (!asked) {
    for (const auto& command : core.fire_next()) asked |= sent<Neighbor>(command, "q") != nullptr;
  }
  // Our NEIGHBOR is lost; q asks us in turn, and we accept.
  core->on_message(core.now, "q", Neighbor{peer("q"), false, false});
  ASSERT_TRUE(core->is_active("q"));
  core.events();
  const core::Instant asked_at = core.now;
  while (core.now - asked_at <= 2 * config.neighbor_timeout) core.fire_next();
  EXPECT_TRUE(core->is_active("q"));
  EXPECT_TRUE(core.events().empty());
  EXPECT_EQ(core->stats().failures, 0U);
}

}  // namespace
}  // namespace barrel_p2p::hyparview
