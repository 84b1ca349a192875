// Re-merge after a partition (decision 0012): peers lost to a link failure are probed with a
// rejoin NEIGHBOR, which a full receiver accepts by evicting a random peer; the two evicted
// peers are handed to each other. Traces of one core, then properties over many cores.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/hyparview/membership_core_fixture.hpp"
#include "proto/hyparview/membership_net.hpp"

namespace barrel_p2p::hyparview {
namespace {

using namespace std::chrono_literals;
using testing_support::Net;

using testing_support::Core;
using testing_support::peer;
using testing_support::quiet_config;

// The rejoin NEIGHBORs in `commands`, by target.
std::vector<std::string> rejoins_to(const std::vector<Command>& commands) {
  std::vector<std::string> out;
  for (const auto& command : commands) {
    const auto* send = std::get_if<Send>(&command);
    if (send == nullptr) continue;
    if (const auto* n = std::get_if<Neighbor>(&send->message); n != nullptr && n->rejoin) {
      out.push_back(send->to.name);
    }
  }
  return out;
}

const Send* find_send(const std::vector<Command>& commands, std::size_t type) {
  for (const auto& command : commands) {
    const auto* send = std::get_if<Send>(&command);
    if (send != nullptr && send->message.index() == type) return send;
  }
  return nullptr;
}

constexpr std::size_t kNeighborReply = 4;
constexpr std::size_t kDisconnect = 5;

TEST(MembershipRemerge, APeerLostToAFailureIsProbedEvenWhenTheViewIsFullAgain) {
  Core core(quiet_config(3));
  core.make_active({"a", "b", "x"});
  core->on_link_down(core.now, "x");
  core.commands();
  EXPECT_EQ(core->lost_peers(), std::vector<std::string>{"x"});
  core.make_active({"c"});  // full again: no repair would ever ask "x"
  const core::Instant lost = core.now;
  std::vector<core::Instant> probes;
  for (int i = 0; i < 200 && probes.size() < 3; ++i) {
    const auto targets = rejoins_to(core.fire_next());
    if (!targets.empty()) {
      EXPECT_EQ(targets, std::vector<std::string>{"x"});
      probes.push_back(core.now);
      core->on_unreachable(core.now, "x");  // still cut off
      core.commands();
    }
  }
  ASSERT_EQ(probes.size(), 3U);
  // First after 0.5-1.5 remerge_interval, then the delay doubles (jittered).
  EXPECT_GE(probes[0] - lost, 5s);
  EXPECT_LE(probes[0] - lost, 15s);
  EXPECT_GE(probes[1] - probes[0], 10s);
  EXPECT_LE(probes[1] - probes[0], 30s);
  EXPECT_GE(probes[2] - probes[1], 20s);
  EXPECT_EQ(core->stats().rejoin_probes, 3U);
  EXPECT_EQ(core->active_view().size(), 3U);  // probing changed nothing
}

TEST(MembershipRemerge, ALostPeerIsForgottenAfterRemergeMaxAge) {
  Config config = quiet_config(2);
  config.remerge_max_age = 1min;
  Core core(config);
  core.make_active({"a", "x"});
  core->on_link_down(core.now, "x");
  core.commands();
  const core::Instant lost = core.now;
  for (int i = 0; i < 200 && core.now - lost < 5min; ++i) {
    const auto targets = rejoins_to(core.fire_next());
    if (!targets.empty()) {
      EXPECT_LT(core.now - lost, 1min);
    }
    if (core->next_deadline() == core::Instant::never()) break;
  }
  EXPECT_TRUE(core->lost_peers().empty());
}

TEST(MembershipRemerge, EvictionsAndDisconnectsAreNotLosses) {
  Core core(quiet_config(2));
  core.make_active({"a", "b"});
  core->on_message(core.now, "a", Disconnect{false, {}});
  core.make_active({"c", "d"});  // evicts one of b, c
  EXPECT_TRUE(core->lost_peers().empty());
}

TEST(MembershipRemerge, OffWhenRemergeContactsIsZero) {
  Config config = quiet_config(2);
  config.remerge_contacts = 0;
  Core core(config);
  core.make_active({"a", "b"});
  core->on_link_down(core.now, "a");
  core->on_link_down(core.now, "b");
  EXPECT_TRUE(core->lost_peers().empty());
  for (const auto& event : core.events()) {
    EXPECT_FALSE(std::holds_alternative<PartitionSuspected>(event));
  }
}

TEST(MembershipRemerge, AFullNodeAcceptsARejoinByEvictingOnePeerAndNamesIt) {
  Core core(quiet_config(3));
  core.make_active({"a", "b", "c"});
  core->on_message(core.now, "x", Neighbor{peer("x"), false, true});
  const auto commands = core.commands();
  const Send* disconnect = find_send(commands, kDisconnect);
  ASSERT_NE(disconnect, nullptr);
  const std::string victim = disconnect->to.name;
  EXPECT_TRUE(std::get<Disconnect>(disconnect->message).room.empty());
  const Send* reply = find_send(commands, kNeighborReply);
  ASSERT_NE(reply, nullptr);
  const auto& answer = std::get<NeighborReply>(reply->message);
  EXPECT_TRUE(answer.accepted);
  ASSERT_EQ(answer.room.size(), 1U);
  EXPECT_EQ(answer.room[0].name, victim);
  EXPECT_TRUE(core->is_active("x"));
  EXPECT_FALSE(core->is_active(victim));
  EXPECT_EQ(core->active_view().size(), 3U);
  EXPECT_EQ(core->stats().rejoin_evictions, 1U);
  // A plain low-priority NEIGHBOR is still refused by a full node.
  core->on_message(core.now, "y", Neighbor{peer("y"), false, false});
  EXPECT_FALSE(
      std::get<NeighborReply>(find_send(core.commands(), kNeighborReply)->message).accepted);
}

TEST(MembershipRemerge, AnAcceptedProbeHandsThePeerTheOtherSideEvictedToOurVictim) {
  Core core(quiet_config(3));
  core.make_active({"a", "b", "x"});
  core->on_link_down(core.now, "x");
  core.make_active({"c"});
  core.commands();
  for (int i = 0; i < 200 && rejoins_to(core.fire_next()).empty(); ++i) {
  }
  core->on_message(core.now, "x", NeighborReply{peer("x"), true, {peer("y")}});
  const auto commands = core.commands();
  const Send* disconnect = find_send(commands, kDisconnect);
  ASSERT_NE(disconnect, nullptr);
  const auto& room = std::get<Disconnect>(disconnect->message).room;
  ASSERT_EQ(room.size(), 1U);
  EXPECT_EQ(room[0].name, "y");
  EXPECT_TRUE(core->is_active("x"));
  EXPECT_EQ(core->active_view().size(), 3U);
  EXPECT_TRUE(core->lost_peers().empty());
  EXPECT_EQ(core->stats().rejoins, 1U);
}

// The peer the other side evicted may be one of ours too. Evicting it as well would leave it two
// links short and the swap undone (a property run found a split overlay that way): we keep it
// and evict another peer, handing it over.
TEST(MembershipRemerge, AProberKeepsThePeerTheOtherSideEvictedWhenItIsOursToo) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    Core core(quiet_config(3), seed);
    core.make_active({"a", "b", "x"});
    core->on_link_down(core.now, "x");
    core.make_active({"c"});
    for (int i = 0; i < 200 && rejoins_to(core.fire_next()).empty(); ++i) {
    }
    core->on_message(core.now, "x", NeighborReply{peer("x"), true, {peer("a")}});
    const auto commands = core.commands();
    const Send* disconnect = find_send(commands, kDisconnect);
    ASSERT_NE(disconnect, nullptr) << "seed " << seed;
    EXPECT_NE(disconnect->to.name, "a") << "seed " << seed;
    const auto& room = std::get<Disconnect>(disconnect->message).room;
    ASSERT_EQ(room.size(), 1U);
    EXPECT_EQ(room[0].name, "a");
    EXPECT_TRUE(core->is_active("a"));
    EXPECT_TRUE(core->is_active("x"));
    EXPECT_EQ(core->active_view().size(), 3U);
  }
}

// A lost peer whose walk reaches us is in our component again: probing it would only swap links
// inside one component (a property run found an overlay split that way).
TEST(MembershipRemerge, ALostPeerHeardOfThroughAWalkIsForgottenNotProbed) {
  Core core(quiet_config(3));
  core.make_active({"a", "b", "x"});
  core->on_link_down(core.now, "x");
  core.make_active({"c"});
  core.events();
  ASSERT_EQ(core->lost_peers(), std::vector<std::string>{"x"});
  core->on_message(core.now, "a", Shuffle{peer("x"), 3, {peer("x")}});  // a forwards x's walk
  core.commands();
  EXPECT_TRUE(core->lost_peers().empty());
  EXPECT_EQ(core->stats().lost_heard, 1U);
  const core::Instant start = core.now;
  for (int i = 0; i < 100 && core.now - start < 5min; ++i) {
    if (core->next_deadline() == core::Instant::never()) break;
    EXPECT_TRUE(rejoins_to(core.fire_next()).empty());
  }
  EXPECT_EQ(core->stats().rejoin_probes, 0U);
}

// Shuffle walks through us from `origins` (each ends here, so we answer it).
void walks_from(Core& core, const std::vector<std::string>& origins) {
  for (const auto& origin : origins) {
    core->on_message(core.now, "a", Shuffle{peer(origin), 1, {peer(origin)}});
  }
  core.commands();
}

Config small_world_config() {
  Config config = quiet_config(3);
  config.shuffle_interval = 10s;
  return config;
}

// A clique of active_size + 1 full nodes that hold only each other, closed off by swaps: its
// walks meet only its members. A node in it probes a passive peer it did not hear of.
TEST(MembershipRemerge, ANodeThatHearsOfFewNodesProbesAPassivePeerItDidNotHearOf) {
  Core core(small_world_config());
  core.make_active({"a", "b", "c"});
  core->on_message(core.now, "d", Disconnect{false, {}});  // not ours: arms nothing
  core->on_message(core.now, "c", Disconnect{false, {}});  // c evicted us: links moved here
  core.make_active({"c"});
  core->on_message(core.now, "a", ShuffleReply{{peer("z")}});  // z: from before the swaps
  core.commands();
  std::vector<std::string> probed;
  for (int i = 0; i < 60 && probed.empty(); ++i) {
    walks_from(core, {"a", "b", "c"});
    probed = rejoins_to(core.fire_next());
  }
  EXPECT_EQ(probed, std::vector<std::string>{"z"});
  EXPECT_EQ(core->stats().world_probes, 1U);
  // Accepted by eviction on z's side: we evict one of ours and link z.
  core->on_message(core.now, "z", NeighborReply{peer("z"), true, {peer("y")}});
  EXPECT_NE(find_send(core.commands(), kDisconnect), nullptr);
  EXPECT_TRUE(core->is_active("z"));
  EXPECT_EQ(core->active_view().size(), 3U);
}

// Without an eviction or a loss nothing moved links here: a stable node never checks.
TEST(MembershipRemerge, ANodeWhoseLinksNeverMovedNeverProbes) {
  Core core(small_world_config());
  core.make_active({"a", "b", "c"});
  core->on_message(core.now, "a", ShuffleReply{{peer("z")}});
  core.commands();
  for (int i = 0; i < 60; ++i) {
    walks_from(core, {"a", "b", "c"});
    EXPECT_TRUE(rejoins_to(core.fire_next()).empty());
  }
  EXPECT_EQ(core->stats().world_probes, 0U);
}

// A node whose walks bring more than active_size + 1 names is in a large component: no probe,
// however long it runs, although its passive view holds a peer it never hears of.
TEST(MembershipRemerge, ANodeThatHearsOfManyNodesNeverProbes) {
  Core core(small_world_config());
  core.make_active({"a", "b", "c"});
  core->on_message(core.now, "c", Disconnect{false, {}});
  core.make_active({"c"});
  core->on_message(core.now, "a", ShuffleReply{{peer("z")}});
  core.commands();
  for (int i = 0; i < 60; ++i) {
    walks_from(core, {"a", "b", "c", "d", "e"});
    EXPECT_TRUE(rejoins_to(core.fire_next()).empty());
  }
  EXPECT_EQ(core->stats().world_probes, 0U);
}

TEST(MembershipRemerge, AnEvictedPeerAsksTheNamedPeerFirst) {
  Core core(quiet_config(3));
  core.make_active({"a", "b", "c"});
  core->on_message(core.now, "a", ShuffleReply{{peer("p"), peer("q")}});
  core.commands();
  core->on_message(core.now, "c", Disconnect{false, {peer("y")}});
  std::vector<std::string> asked;
  for (const auto& command : core.commands()) {
    const auto* send = std::get_if<Send>(&command);
    if (send != nullptr && std::holds_alternative<Neighbor>(send->message)) {
      asked.push_back(send->to.name);
    }
  }
  EXPECT_EQ(asked, std::vector<std::string>{"y"});
}

TEST(MembershipRemerge, TwoFailuresAtOnceAreASuspectedPartitionAndALinkBackHealsIt) {
  Core core(quiet_config(4));
  core.make_active({"a", "b", "c", "d"});
  core->on_link_down(core.now, "a");
  EXPECT_TRUE(core.events().size() == 1U);  // PeerDown only: one loss is not a partition
  core.now += 2s;
  core->on_link_down(core.now, "b");
  bool suspected = false;
  for (const auto& event : core.events()) {
    if (const auto* s = std::get_if<PartitionSuspected>(&event)) {
      suspected = true;
      EXPECT_EQ(s->lost, (std::vector<std::string>{"a", "b"}));
    }
  }
  EXPECT_TRUE(suspected);
  core.commands();
  core->on_message(core.now, "b", Neighbor{peer("b"), false, true});  // b probes us
  std::size_t healed = 0;
  for (const auto& event : core.events()) {
    if (const auto* h = std::get_if<PartitionHealed>(&event)) {
      ++healed;
      EXPECT_EQ(h->peer, "b");
    }
  }
  EXPECT_EQ(healed, 1U);
  EXPECT_EQ(core->lost_peers(), std::vector<std::string>{"a"});
  // "a" coming back too is no second PartitionHealed (the suspicion ended).
  core->on_message(core.now, "a", Neighbor{peer("a"), false, true});
  for (const auto& event : core.events()) {
    EXPECT_FALSE(std::holds_alternative<PartitionHealed>(event));
  }
}

TEST(MembershipRemerge, AFailedPeerThatLeavesForGoodIsNotProbed) {
  Core core(quiet_config(2));
  core.make_active({"a", "x"});
  core->on_link_down(core.now, "x");
  core->on_message(core.now, "x", Disconnect{true, {}});
  EXPECT_TRUE(core->lost_peers().empty());
}

// Builds `size` nodes joining through random earlier ones; settles 30 s.
void build(Net& net, int size, core::SeededRng& pick) {
  for (int i = 0; i < size; ++i) {
    net.add("n" + std::to_string(i));
    if (i > 0) {
      net.node("n" + std::to_string(i))
          .join(net.now,
                net.info("n" + std::to_string(pick.uniform(static_cast<std::uint64_t>(i)))));
    }
  }
  net.settle();
  net.run_for(30s, 200ms);
}

// The measured case of issue 12: 12 nodes, active view 5, cut 6 | 6 for 60 s. The published
// HyParView (remerge_contacts = 0) stays split; with re-merge probes it is one overlay again.
TEST(MembershipRemerge, SixAndSixWithActiveViewFiveReMerge) {
  for (std::size_t contacts : {std::size_t{0}, std::size_t{8}}) {
    std::size_t split_after = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      Config config;
      config.remerge_contacts = contacts;
      Net net(seed, config);
      core::SeededRng pick(seed);
      build(net, 12, pick);
      ASSERT_EQ(net.components(), 1U);
      std::map<std::string, int> groups;
      for (int i = 0; i < 12; ++i) groups["n" + std::to_string(i)] = i < 6 ? 0 : 1;
      net.partition(groups);
      net.run_for(60s, 200ms);
      EXPECT_EQ(net.components(), 2U);
      net.partition({});
      net.run_for(60s, 200ms);
      if (net.components() > 1) ++split_after;
      EXPECT_TRUE(net.bounded());
      if (contacts > 0) {
        EXPECT_EQ(net.components(), 1U) << "seed " << seed;
        EXPECT_TRUE(net.symmetric()) << "seed " << seed;
      }
    }
    if (contacts == 0) {
      EXPECT_GT(split_after, 0U);  // the bug this rule fixes
    }
  }
}

// One random word picks the overlay size, the number of groups and the cut's length; the overlay
// is cut, healed, and left 120 s to re-merge. Returns the net afterwards, or nothing when the
// random build did not make one component to begin with.
std::optional<Net> cut_and_heal(std::uint64_t seed, std::uint32_t picks) {
  const unsigned size_pick = picks & 0xffU;
  const unsigned groups_pick = (picks >> 8U) & 0xffU;
  const unsigned cut_pick = (picks >> 16U) & 0xffU;
  Config config;
  config.active_size = 3 + size_pick % 3;
  config.passive_size = 12;
  std::optional<Net> net(std::in_place, seed, config);
  core::SeededRng pick(seed ^ 0xcafe);
  const int size = 8 + static_cast<int>(size_pick % 25);
  build(*net, size, pick);
  if (net->components() != 1U) return std::nullopt;
  const int groups = 2 + static_cast<int>(groups_pick % 3);
  std::map<std::string, int> group_of;
  for (int i = 0; i < size; ++i) {
    group_of["n" + std::to_string(i)] =
        static_cast<int>(pick.uniform(static_cast<std::uint64_t>(groups)));
  }
  net->partition(group_of);
  net->run_for(std::chrono::seconds(5 + cut_pick % 120), 500ms);
  net->partition({});
  net->run_for(120s, 500ms);
  return net;
}

// Any overlay cut into any number of groups of any sizes for a random time is one component
// again after the heal, with bounded, symmetric views.
TEST(MembershipRemerge, AnyPartitionHealsIntoOneComponent) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed, std::uint32_t picks) {
    auto net = cut_and_heal(seed, picks);
    RC_PRE(net.has_value());
    RC_ASSERT(net->bounded());
    RC_ASSERT(net->symmetric());
    RC_ASSERT(net->components() == 1U);
  }));
}

// Cases the property found once (CI, 2026-12-05), kept as fixed inputs. Each split the overlay
// again after it had re-merged: a rejoin swap whose two sides evicted the same peer; a clique
// of active_size + 1 closed off by swaps; a late probe of a lost peer already back in our
// component, whose swap cut it in two.
TEST(MembershipRemerge, CasesThePropertyFoundHealToo) {
  const std::vector<std::pair<std::uint64_t, std::uint32_t>> cases{
      {48008105512U, 50483U},
      {2183526721011729640U, 925236398U},
      {2980908895426007925U, 358010316U},
  };
  for (const auto& [seed, picks] : cases) {
    auto net = cut_and_heal(seed, picks);
    ASSERT_TRUE(net.has_value());
    EXPECT_TRUE(net->bounded()) << seed;
    EXPECT_TRUE(net->symmetric()) << seed;
    EXPECT_EQ(net->components(), 1U) << seed;
  }
}

}  // namespace
}  // namespace barrel_p2p::hyparview
