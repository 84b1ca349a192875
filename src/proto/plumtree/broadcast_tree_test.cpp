// BroadcastTree unit tests: single trees fed inputs by hand (exact timers and commands), and
// small graphs through the in-test router of plumtree_test_net.hpp (exact message traces).
#include "proto/plumtree/broadcast_tree.hpp"

#include <gtest/gtest.h>

#include "proto/plumtree/plumtree_test_net.hpp"

namespace barrel_p2p::plumtree {
namespace {

using namespace std::chrono_literals;
using test::bytes;
using test::complete_graph;
using test::Graph;
using test::line_graph;
using test::node;

using Trace = std::vector<std::string>;

// ---- graphs ---------------------------------------------------------------------------------

TEST(BroadcastTree, FirstBroadcastReachesEveryNodeOnce) {
  Graph g = complete_graph(8);
  auto id = g.broadcast("n0", "hello");
  ASSERT_TRUE(id);
  g.run();
  for (const auto& name : g.names()) EXPECT_EQ(g.delivered(name, *id), 1U) << name;
}

TEST(BroadcastTree, FirstBroadcastOnALineAndARingReachesEveryNodeOnce) {
  for (bool ring : {false, true}) {
    Graph g = line_graph(7, ring);
    auto id = g.broadcast("n3", "hello");
    ASSERT_TRUE(id);
    g.run();
    for (const auto& name : g.names()) EXPECT_EQ(g.delivered(name, *id), 1U) << name;
    // A line has no redundant link; a ring has exactly one, which the two copies meet on.
    EXPECT_EQ(g.total(&BroadcastStats::duplicates), ring ? 2U : 0U);
    EXPECT_EQ(g.total(&BroadcastStats::prunes_sent), ring ? 2U : 0U);
  }
}

TEST(BroadcastTree, TriangleTraceIsPushThenPruneThenLazyAnnouncements) {
  Graph g(3);
  for (const char* name : {"a", "b", "c"}) g.add(name);
  g.connect("a", "b");
  g.connect("a", "c");
  g.connect("b", "c");
  ASSERT_TRUE(g.broadcast("a", "first"));
  g.run(1s);
  // b and c each forward to the other; both copies are duplicates and prune the b-c link.
  EXPECT_EQ(g.take_trace(), (Trace{"a>b GOSSIP", "a>c GOSSIP", "b>c GOSSIP", "c>b GOSSIP",
                                   "b>c PRUNE", "c>b PRUNE"}));
  EXPECT_EQ(g.tree("b").eager_peers(), (std::set<std::string>{"a"}));
  EXPECT_EQ(g.tree("b").lazy_peers(), (std::set<std::string>{"c"}));
  ASSERT_TRUE(g.broadcast("a", "second"));
  g.run(1s);
  EXPECT_EQ(g.take_trace(), (Trace{"a>b GOSSIP", "a>c GOSSIP", "b>c IHAVE", "c>b IHAVE"}));
}

TEST(BroadcastTree, DuplicatesPruneTheGraphIntoATree) {
  Graph g = complete_graph(8);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(g.broadcast(node(i % 8), "warm"));
    g.run();
  }
  // Steady state: a spanning tree; each node receives each broadcast once by GOSSIP.
  const std::uint64_t duplicates_before = g.total(&BroadcastStats::duplicates);
  const std::uint64_t gossip_before = g.total(&BroadcastStats::gossip_received);
  auto id = g.broadcast("n3", "steady");
  ASSERT_TRUE(id);
  g.run();
  for (const auto& name : g.names()) EXPECT_EQ(g.delivered(name, *id), 1U);
  EXPECT_EQ(g.total(&BroadcastStats::gossip_received) - gossip_before, 7U);  // one per node
  EXPECT_EQ(g.total(&BroadcastStats::duplicates) - duplicates_before, 0U);
  EXPECT_GT(duplicates_before, 0U);  // the warm-up did prune
  std::size_t eager_links = 0;
  for (const auto& name : g.names()) eager_links += g.tree(name).eager_peers().size();
  EXPECT_EQ(eager_links, 2U * 7U);  // a spanning tree of 8 nodes, seen from both ends
}

TEST(BroadcastTree, RingConvergesToRedundancyZero) {
  Graph g = line_graph(9, /*ring=*/true);
  ASSERT_TRUE(g.broadcast("n0", "warm"));
  g.run();
  for (int origin : {4, 7, 1}) {
    const std::uint64_t gossip_before = g.total(&BroadcastStats::gossip_received);
    const std::uint64_t duplicates_before = g.total(&BroadcastStats::duplicates);
    ASSERT_TRUE(g.broadcast(node(origin), "steady"));
    g.run();
    EXPECT_EQ(g.total(&BroadcastStats::gossip_received) - gossip_before, 8U) << origin;
    EXPECT_EQ(g.total(&BroadcastStats::duplicates) - duplicates_before, 0U) << origin;
  }
  EXPECT_EQ(g.total(&BroadcastStats::grafts_sent), 0U);
}

TEST(BroadcastTree, LostEagerLinkIsRepairedThroughIHaveAndGraft) {
  Graph g = complete_graph(6);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(g.broadcast("n0", "warm"));
    g.run();
  }
  // Cut every eager link of n0 except one: the tree must heal through lazy links.
  auto eager = g.tree("n0").eager_peers();
  ASSERT_GE(eager.size(), 2U);
  for (auto it = std::next(eager.begin()); it != eager.end(); ++it) g.cut("n0", *it);
  auto id = g.broadcast("n0", "after the cut");
  ASSERT_TRUE(id);
  g.run(10s);
  for (const auto& name : g.names()) EXPECT_EQ(g.delivered(name, *id), 1U) << name;
  EXPECT_GT(g.total(&BroadcastStats::grafts_sent), 0U);
}

TEST(BroadcastTree, LossyEagerLinkIsGraftedAroundWithAnExactTrace) {
  Graph g(3);
  for (const char* name : {"a", "b", "c"}) g.add(name);
  g.connect("a", "b");
  g.connect("a", "c");
  g.connect("b", "c");
  ASSERT_TRUE(g.broadcast("a", "warm"));
  g.run(1s);
  g.take_trace();
  g.drop("a", "c", "GOSSIP");  // the a-c link stays up but loses payloads
  auto id = g.broadcast("a", "lost on a-c");
  ASSERT_TRUE(id);
  g.run(2s);
  // c hears of it lazily from b, GRAFTs b after ihave_timeout and forwards the payload to its
  // other eager peer a, for whom it is a duplicate: a prunes a-c. The tree is now a-b-c.
  EXPECT_EQ(g.take_trace(), (Trace{"a>b GOSSIP", "b>c IHAVE", "c>b GRAFT", "b>c GOSSIP",
                                   "c>a GOSSIP", "a>c PRUNE"}));
  EXPECT_EQ(g.delivered("c", *id), 1U);
  EXPECT_EQ(g.tree("c").stats().grafts_sent, 1U);
  auto next = g.broadcast("a", "again");
  ASSERT_TRUE(next);
  g.run(2s);
  // c does not announce it back to a: a's IHAVE, flushed first, showed that a has it.
  EXPECT_EQ(g.take_trace(), (Trace{"a>b GOSSIP", "b>c GOSSIP", "a>c IHAVE"}));
  EXPECT_EQ(g.tree("c").stats().ihave_withdrawn, 1U);
  EXPECT_EQ(g.delivered("c", *next), 1U);
  EXPECT_EQ(g.tree("c").eager_peers(), (std::set<std::string>{"b"}));
  EXPECT_EQ(g.tree("a").eager_peers(), (std::set<std::string>{"b"}));
}

TEST(BroadcastTree, ANewNeighbourGetsRecentBroadcastsAnnouncedAndGraftsThem) {
  Graph g(7);
  g.add("a");
  g.add("b");
  g.add("c");
  g.connect("a", "b");
  auto id = g.broadcast("a", "sent while c was cut off");
  ASSERT_TRUE(id);
  g.run(1s);
  EXPECT_EQ(g.delivered("c", *id), 0U);
  g.connect("b", "c");  // a replacement link after the fact
  g.run(2s);
  EXPECT_EQ(g.delivered("c", *id), 1U);
  EXPECT_GE(g.tree("c").stats().grafts_sent, 1U);
}

TEST(BroadcastTree, DedupCacheIsBoundedByCapacity) {
  Config config;
  config.cache_capacity = 10;
  Graph g(4, config);
  g.add("a");
  g.add("b");
  g.connect("a", "b");
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(g.broadcast("a", "x"));
    g.run(50ms);
  }
  EXPECT_LE(g.tree("a").cached(), 10U);
  EXPECT_LE(g.tree("b").cached(), 10U);
  EXPECT_GE(g.tree("b").stats().cache_evictions, 15U);
}

TEST(BroadcastTree, CacheEntriesExpireAfterTheTtl) {
  Config config;
  config.cache_ttl = 1s;
  Graph g(5, config);
  g.add("a");
  ASSERT_TRUE(g.broadcast("a", "x"));
  EXPECT_EQ(g.tree("a").cached(), 1U);
  EXPECT_EQ(g.tree("a").next_deadline(), g.now + 1s);
  g.run(2s);
  EXPECT_EQ(g.tree("a").cached(), 0U);
  EXPECT_EQ(g.tree("a").stats().cache_evictions, 1U);
  EXPECT_TRUE(g.tree("a").next_deadline().is_never());
}

TEST(BroadcastTree, OversizeTagOrPayloadIsRefused) {
  Graph g(6);
  g.add("a");
  EXPECT_FALSE(g.tree("a").broadcast(g.now, std::string(256, 't'), {}));
  EXPECT_FALSE(g.tree("a").broadcast(g.now, "t", core::Bytes(2 * 1024 * 1024)));
  EXPECT_EQ(g.tree("a").stats().broadcasts, 0U);
}

// ---- one tree, inputs by hand ---------------------------------------------------------------

class OneTree : public ::testing::Test {
 protected:
  explicit OneTree(Config config = {}) : tree_(config, "x", rng_) {}

  std::vector<Send> drain() {
    std::vector<Send> out;
    while (auto send = tree_.poll_send()) out.push_back(std::move(*send));
    return out;
  }
  static MessageId id_of(std::uint8_t seed) {
    MessageId id;
    id.bytes.fill(seed);
    return id;
  }
  static Gossip gossip(std::uint8_t seed, std::uint32_t round) {
    return Gossip{id_of(seed), round, "origin", "t", bytes("payload")};
  }
  void up(std::initializer_list<const char*> peers) {
    for (const char* peer : peers) tree_.on_neighbor_up(t0_, peer);
    drain();
  }

  core::SeededRng rng_{11};
  BroadcastTree tree_;
  core::Instant t0_ = core::Instant::from_nanos(5'000'000'000);
};

using Peers = std::set<std::string>;

TEST_F(OneTree, IHaveTimerGraftsTheFirstAnnouncerThenTheNext) {
  up({"p", "q"});
  tree_.on_message(t0_, "p", IHave{{{id_of(1), 2}}});
  tree_.on_message(t0_ + 10ms, "q", IHave{{{id_of(1), 3}}});
  EXPECT_EQ(tree_.missing(), 1U);
  EXPECT_EQ(tree_.next_deadline(), t0_ + 400ms);
  tree_.on_timeout(t0_ + 399ms);
  EXPECT_TRUE(drain().empty());
  tree_.on_timeout(t0_ + 400ms);
  auto sends = drain();
  ASSERT_EQ(sends.size(), 1U);
  EXPECT_EQ(sends[0].peer, "p");
  EXPECT_EQ(sends[0].message, Message(Graft{{id_of(1)}}));
  EXPECT_EQ(tree_.next_deadline(), t0_ + 600ms);
  tree_.on_timeout(t0_ + 600ms);
  sends = drain();
  ASSERT_EQ(sends.size(), 1U);
  EXPECT_EQ(sends[0].peer, "q");
  // q answers: delivered once, timers gone, both grafted peers eager.
  tree_.on_message(t0_ + 650ms, "q", gossip(1, 3));
  auto delivery = tree_.poll_delivery();
  ASSERT_TRUE(delivery);
  EXPECT_EQ(delivery->hops, 3U);
  EXPECT_EQ(tree_.missing(), 0U);
  EXPECT_EQ(tree_.eager_peers(), (Peers{"p", "q"}));
  sends = drain();  // forwarded to the other eager peer
  ASSERT_EQ(sends.size(), 1U);
  EXPECT_EQ(sends[0].peer, "p");
  EXPECT_TRUE(std::holds_alternative<Gossip>(sends[0].message));
  // p's late answer is a duplicate from an eager peer: PRUNE, and no second delivery.
  tree_.on_message(t0_ + 700ms, "p", gossip(1, 2));
  EXPECT_FALSE(tree_.poll_delivery());
  sends = drain();
  ASSERT_EQ(sends.size(), 1U);
  EXPECT_EQ(sends[0].message, Message(Prune{}));
  EXPECT_EQ(tree_.lazy_peers(), (Peers{"p"}));
}

TEST_F(OneTree, NeighbourDownMovesAPendingGraftToTheNextAnnouncerAtOnce) {
  up({"p", "q", "r"});
  tree_.on_message(t0_, "p", IHave{{{id_of(1), 2}}});
  tree_.on_message(t0_, "q", IHave{{{id_of(1), 2}}});
  tree_.on_timeout(t0_ + 400ms);
  ASSERT_EQ(drain().at(0).peer, "p");
  tree_.on_neighbor_down(t0_ + 410ms, "p");
  auto sends = drain();
  ASSERT_EQ(sends.size(), 1U);
  EXPECT_EQ(sends[0].peer, "q");
  EXPECT_EQ(sends[0].message, Message(Graft{{id_of(1)}}));
  EXPECT_EQ(tree_.next_deadline(), t0_ + 610ms);
  EXPECT_EQ(tree_.eager_peers(), (Peers{"q", "r"}));
}

TEST_F(OneTree, AnAnnouncerLeavingBeforeTheTimerIsForgotten) {
  up({"p", "q"});
  tree_.on_message(t0_, "p", IHave{{{id_of(1), 2}}});
  tree_.on_neighbor_down(t0_ + 10ms, "p");
  EXPECT_EQ(tree_.missing(), 0U);
  EXPECT_TRUE(tree_.next_deadline().is_never());
  EXPECT_TRUE(drain().empty());
}

TEST_F(OneTree, PruneMakesTheSenderLazyAndGraftMakesItEagerAndResendsThePayload) {
  up({"p", "q"});
  tree_.on_message(t0_, "p", Prune{});
  EXPECT_EQ(tree_.eager_peers(), (Peers{"q"}));
  EXPECT_EQ(tree_.lazy_peers(), (Peers{"p"}));
  auto id = tree_.broadcast(t0_, "t", bytes("hi"));
  ASSERT_TRUE(id);
  auto sends = drain();  // GOSSIP to q only; p's IHAVE waits for the flush
  ASSERT_EQ(sends.size(), 1U);
  EXPECT_EQ(sends[0].peer, "q");
  EXPECT_EQ(tree_.queued_announcements("p"), 1U);
  // A GRAFT naming the id twice is answered once, with the round we would forward at.
  tree_.on_message(t0_ + 1ms, "p", Graft{{*id, *id, id_of(9)}});
  sends = drain();
  ASSERT_EQ(sends.size(), 1U);
  EXPECT_EQ(sends[0].peer, "p");
  const auto* answer = std::get_if<Gossip>(&sends[0].message);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->id, *id);
  EXPECT_EQ(answer->round, 1U);
  EXPECT_EQ(answer->origin, "x");
  EXPECT_EQ(tree_.eager_peers(), (Peers{"p", "q"}));
  EXPECT_EQ(tree_.stats().grafts_received, 1U);
  EXPECT_EQ(tree_.stats().prunes_received, 1U);
}

TEST_F(OneTree, IHavesAreBatchedPerPeerUntilTheFlush) {
  up({"p"});
  tree_.on_message(t0_, "p", Prune{});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tree_.broadcast(t0_ + 10ms * i, "t", bytes("m")));
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(tree_.next_deadline(), t0_ + 50ms);
  tree_.on_timeout(t0_ + 50ms);
  auto sends = drain();
  ASSERT_EQ(sends.size(), 1U);
  const auto* ihave = std::get_if<IHave>(&sends[0].message);
  ASSERT_NE(ihave, nullptr);
  EXPECT_EQ(ihave->entries.size(), 3U);
  EXPECT_EQ(ihave->entries[0].round, 1U);
  EXPECT_EQ(tree_.stats().ihave_sent, 3U);
  EXPECT_EQ(tree_.stats().ihave_messages_sent, 1U);
}

// A lazy peer that shows it has a message (its IHAVE or a duplicate GOSSIP arrives before our
// flush, or its IHAVE arrived before the message itself) is not sent an IHAVE for it.
TEST_F(OneTree, APeerThatShowedItHasAMessageIsNotAnnouncedIt) {
  up({"e", "p", "q"});
  tree_.on_message(t0_, "p", Prune{});
  tree_.on_message(t0_, "q", Prune{});
  tree_.on_message(t0_, "e", gossip(1, 1));                  // queued: IHAVE(1) for p and q
  tree_.on_message(t0_ + 1ms, "q", IHave{{{id_of(2), 1}}});  // q announces 2 first ...
  tree_.on_message(t0_ + 5ms, "p", IHave{{{id_of(1), 3}}});  // (p has 1)
  tree_.on_message(t0_ + 6ms, "e", gossip(2, 2));            // ... then e pushes it to us
  (void)drain();
  tree_.on_timeout(t0_ + 50ms);
  const auto sends = drain();
  ASSERT_EQ(sends.size(), 2U);  // p: IHAVE(2); q: IHAVE(1)
  for (const Send& send : sends) {
    const auto* ihave = std::get_if<IHave>(&send.message);
    ASSERT_NE(ihave, nullptr);
    ASSERT_EQ(ihave->entries.size(), 1U);
    EXPECT_EQ(ihave->entries[0].id, id_of(send.peer == "p" ? 2 : 1)) << send.peer;
  }
  EXPECT_EQ(tree_.stats().ihave_withdrawn, 2U);
  EXPECT_EQ(tree_.stats().ihave_sent, 2U);
}

// A node whose neighbours all pruned it sends its own broadcasts only as IHAVEs, which the
// neighbours GRAFT back from it later. Once leaving(), it cannot answer a GRAFT: its own
// broadcasts go as GOSSIP to every neighbour at once; messages of others still go lazily.
TEST_F(OneTree, ALeavingNodePushesItsOwnBroadcastsToEveryNeighbour) {
  up({"p", "q"});
  tree_.on_message(t0_, "p", Prune{});
  tree_.on_message(t0_, "q", Prune{});
  ASSERT_TRUE(tree_.eager_peers().empty());
  ASSERT_TRUE(tree_.broadcast(t0_, "t", bytes("before")));
  EXPECT_TRUE(drain().empty());  // only announcements, waiting for the flush
  tree_.leaving();
  auto id = tree_.broadcast(t0_ + 1ms, "t", bytes("last"));
  ASSERT_TRUE(id);
  auto sends = drain();
  Peers pushed;
  for (const Send& send : sends) {
    const auto* gossip = std::get_if<Gossip>(&send.message);
    ASSERT_NE(gossip, nullptr);
    EXPECT_EQ(gossip->id, *id);
    EXPECT_EQ(gossip->origin, "x");
    pushed.insert(send.peer);
  }
  EXPECT_EQ(sends.size(), 2U);
  EXPECT_EQ(pushed, (Peers{"p", "q"}));
  // Another node's message reaching us from p is still only announced to q.
  tree_.on_message(t0_ + 2ms, "p", gossip(7, 1));
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(tree_.queued_announcements("q"), 2U);
}

TEST_F(OneTree, MessagesFromNonNeighboursLeaveThePeerSetsAlone) {
  up({"p"});
  tree_.on_message(t0_, "stranger", gossip(1, 4));
  EXPECT_TRUE(tree_.poll_delivery());
  tree_.on_message(t0_, "stranger", Graft{{id_of(1)}});
  tree_.on_message(t0_, "stranger", Prune{});
  tree_.on_message(t0_, "x", gossip(2, 1));  // from ourselves: ignored
  EXPECT_FALSE(tree_.poll_delivery());
  EXPECT_EQ(tree_.eager_peers(), (Peers{"p"}));
  EXPECT_TRUE(tree_.lazy_peers().empty());
}

TEST_F(OneTree, AnnouncementsBeyondMaxMissingAreIgnored) {
  Config config;
  config.max_missing = 5;
  BroadcastTree tree(config, "x", rng_);
  tree.on_neighbor_up(t0_, "p");
  IHave ihave;
  for (std::uint8_t i = 0; i < 20; ++i) ihave.entries.push_back({id_of(i), 1});
  tree.on_message(t0_, "p", ihave);
  EXPECT_EQ(tree.missing(), 5U);
  EXPECT_EQ(tree.stats().ihave_received, 20U);
}

TEST_F(OneTree, FullIHaveBatchesLeaveAtOnce) {
  Config config;
  config.max_ihave_batch = 2;
  BroadcastTree tree(config, "x", rng_);
  tree.on_neighbor_up(t0_, "p");
  tree.on_message(t0_, "p", Prune{});
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(tree.broadcast(t0_, "t", bytes("m")));
    EXPECT_LE(tree.queued_announcements("p"), 2U);
  }
  std::size_t messages = 0;
  while (auto send = tree.poll_send()) ++messages;
  EXPECT_EQ(messages, 2U);  // two full batches; the fifth waits for the flush
  EXPECT_EQ(tree.queued_announcements("p"), 1U);
}

TEST_F(OneTree, GossipOverOurLimitsIsRejected) {
  Config config;
  config.max_payload_size = 4;
  BroadcastTree tree(config, "x", rng_);
  tree.on_neighbor_up(t0_, "p");
  tree.on_message(t0_, "p", gossip(1, 1));  // "payload" is 7 bytes
  EXPECT_FALSE(tree.poll_delivery());
  EXPECT_EQ(tree.stats().rejected, 1U);
  EXPECT_EQ(tree.cached(), 0U);
}

TEST_F(OneTree, OptimisationSwapsAFarParentForACloserAnnouncer) {
  Config config;
  config.optimization_threshold = 2;
  BroadcastTree tree(config, "x", rng_);
  tree.on_neighbor_up(t0_, "p");
  tree.on_neighbor_up(t0_, "q");
  tree.on_message(t0_, "q", Prune{});
  tree.on_message(t0_, "p", gossip(1, 5));
  while (tree.poll_send()) {
  }
  tree.on_message(t0_ + 1ms, "q", IHave{{{id_of(1), 4}}});  // only 1 hop closer: no swap
  EXPECT_FALSE(tree.poll_send());
  tree.on_message(t0_ + 2ms, "q", IHave{{{id_of(1), 3}}});
  std::vector<Send> sends;
  while (auto send = tree.poll_send()) sends.push_back(std::move(*send));
  ASSERT_EQ(sends.size(), 2U);
  EXPECT_EQ(sends[0].peer, "q");
  EXPECT_EQ(sends[0].message, Message(Graft{{id_of(1)}}));
  EXPECT_EQ(sends[1].peer, "p");
  EXPECT_EQ(sends[1].message, Message(Prune{}));
  // q's answer is the expected duplicate: it must not prune the new parent.
  tree.on_message(t0_ + 3ms, "q", gossip(1, 3));
  EXPECT_FALSE(tree.poll_send());
  EXPECT_EQ(tree.eager_peers(), (Peers{"q"}));
  EXPECT_EQ(tree.lazy_peers(), (Peers{"p"}));
  EXPECT_EQ(tree.stats().optimizations, 1U);
}

}  // namespace
}  // namespace barrel_p2p::plumtree
