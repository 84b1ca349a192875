// Membership and broadcast over real QUIC in one process (SPEC §2.2, §2.5): 32 nodes joining
// through one contact at once, repair after abrupt failures, broadcast to every live node,
// bounded connections, leave().
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "support/test_support.hpp"

namespace barrel_p2p::testing {
namespace {

constexpr std::size_t kActive = 5;

class Cluster {
 public:
  /// `count` nodes; with `default_reaper`, the reaper keeps its defaults (5 min minimum age,
  /// 60 s sweep) instead of the short test values.
  explicit Cluster(std::size_t count, bool default_reaper = false) {
    for (std::size_t i = 0; i < count; ++i) {
      Config config = test_config("m" + std::to_string(i), dir.sub("m" + std::to_string(i)));
      config.idle_timeout = 2s;
      config.keep_alive = 500ms;
      if (!default_reaper) {
        config.reaper_min_age = 1s;
        config.reaper_interval = 500ms;
      }
      config.membership.shuffle_interval = 2s;
      auto node = start_node(std::move(config));
      if (!node) {
        ok = false;
        return;
      }
      auto* seen = &received_[node->name()];
      auto* mutex = &mutex_;
      (void)node->subscribe("test", [seen, mutex](const BroadcastMessage& message) {
        std::lock_guard lock(*mutex);
        seen->insert(std::string(message.payload.begin(), message.payload.end()));
      });
      nodes.push_back(std::move(node));
    }
  }

  std::vector<Node*> live() {
    std::vector<Node*> out;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!dead.contains(i)) out.push_back(nodes[i].get());
    }
    return out;
  }

  // Views of every live node: bounded, no dead or self entries, symmetric; overlay connected.
  std::string check_views() {
    std::map<std::string, std::set<std::string>> active;
    std::set<std::string> names;
    for (Node* node : live()) names.insert(node->name());
    for (Node* node : live()) {
      auto view = node->active_view();
      if (view.empty()) return node->name() + " has an empty active view";
      if (view.size() > kActive) return node->name() + " active view over its bound";
      for (const auto& peer : view) {
        if (peer.name == node->name()) return node->name() + " holds itself";
        if (!names.contains(peer.name)) return node->name() + " holds dead " + peer.name;
        active[node->name()].insert(peer.name);
      }
    }
    for (const auto& [name, peers] : active) {
      for (const auto& peer : peers) {
        if (!active[peer].contains(name)) return name + " -> " + peer + " is not symmetric";
      }
    }
    std::set<std::string> seen{*names.begin()};
    std::vector<std::string> stack{*names.begin()};
    while (!stack.empty()) {
      auto current = stack.back();
      stack.pop_back();
      for (const auto& peer : active[current]) {
        if (seen.insert(peer).second) stack.push_back(peer);
      }
    }
    if (seen.size() != names.size()) return "overlay not connected";
    return "";
  }

  // Waits (bounded) until check_views() passes; returns the last problem found.
  std::string wait_for_views(std::chrono::seconds limit) {
    std::string problem;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      problem = check_views();
      if (problem.empty()) return problem;
      std::this_thread::sleep_for(100ms);
    }
    return problem;
  }

  // Broadcasts `text` from `from` and waits until every live node has it; returns how many
  // live nodes did not get it.
  std::size_t broadcast_and_count_missing(Node& from, const std::string& text) {
    EXPECT_TRUE(from.broadcast("test", bytes_of(text)));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::size_t missing = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      missing = 0;
      {
        std::lock_guard lock(mutex_);
        for (Node* node : live()) missing += received_[node->name()].contains(text) ? 0 : 1;
      }
      if (missing == 0) return 0;
      std::this_thread::sleep_for(20ms);
    }
    return missing;
  }

  TempDir dir;
  std::vector<std::unique_ptr<Node>> nodes;
  std::set<std::size_t> dead;
  bool ok = true;

 private:
  std::mutex mutex_;
  std::map<std::string, std::set<std::string>> received_;
};

TEST(Membership, ThirtyTwoNodesJoinAtOnceHealAfterFailuresAndBroadcastToAll) {
  Cluster cluster(32);
  ASSERT_TRUE(cluster.ok);
  const std::string contact = cluster.nodes[0]->address();
  for (std::size_t i = 1; i < cluster.nodes.size(); ++i) {
    ASSERT_TRUE(cluster.nodes[i]->join(contact));  // all at once, no waiting in between
  }
  ASSERT_EQ(cluster.wait_for_views(30s), "");
  EXPECT_EQ(cluster.broadcast_and_count_missing(*cluster.nodes[7], "first"), 0U);
  EXPECT_EQ(cluster.broadcast_and_count_missing(*cluster.nodes[31], "second"), 0U);

  // Connections stay O(active view): never above the active bound plus a few temporary
  // links (shuffle replies, rejected NEIGHBOR requests), and each node drops back to its
  // active view once those are closed or reaped.
  std::this_thread::sleep_for(3s);  // the join storm's temporary links are reaped by now
  std::set<std::string> settled;
  std::size_t most = 0;
  for (int sample = 0; sample < 100 && settled.size() < cluster.live().size(); ++sample) {
    for (Node* node : cluster.live()) {
      const std::size_t connections = node->peers().size();
      most = std::max(most, connections);
      if (connections <= node->active_view().size()) settled.insert(node->name());
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(settled.size(), cluster.live().size()) << "some node never dropped to its active view";
  EXPECT_LE(most, kActive + 3);
  for (Node* node : cluster.live()) {
    if (settled.contains(node->name())) continue;
    std::string text = node->name() + " connected:";
    for (const auto& peer : node->peers()) text += " " + peer;
    text += " | active:";
    for (const auto& peer : node->active_view()) text += " " + peer.name;
    ADD_FAILURE() << text;
  }

  // Abruptly stop 25% (no goodbye): peers notice through the idle timeout and repair.
  for (std::size_t i : {3U, 8U, 12U, 15U, 19U, 22U, 26U, 30U}) {
    cluster.nodes[i]->abort();
    cluster.dead.insert(i);
  }
  ASSERT_EQ(cluster.wait_for_views(30s), "");
  EXPECT_EQ(cluster.broadcast_and_count_missing(*cluster.nodes[1], "after failures"), 0U);
}

// With the default reaper (on-demand links live at least 5 min), links opened for a single
// membership message (the join storm's JOINs, NEIGHBOR probes, SHUFFLE_REPLYs) still close
// once quiet, while a link that carries process traffic stays.
TEST(Membership, GossipOnlyLinksCloseWhenQuietButProcessLinksStay) {
  Cluster cluster(16, /*default_reaper=*/true);
  ASSERT_TRUE(cluster.ok);
  const std::string contact = cluster.nodes[0]->address();
  for (std::size_t i = 1; i < cluster.nodes.size(); ++i) {
    ASSERT_TRUE(cluster.nodes[i]->join(contact));
  }
  ASSERT_EQ(cluster.wait_for_views(30s), "");

  // A process link between two nodes that are not active peers.
  Node& sender = *cluster.nodes[1];
  Node* receiver = nullptr;
  for (Node* node : cluster.live()) {
    const auto view = sender.active_view();
    const bool neighbour = std::any_of(
        view.begin(), view.end(), [&](const NodeInfo& peer) { return peer.name == node->name(); });
    if (node != &sender && !neighbour) receiver = node;
  }
  ASSERT_NE(receiver, nullptr);
  auto inbox = receiver->mailbox();
  ASSERT_TRUE(inbox);
  ASSERT_TRUE(sender.add_address(receiver->name(), receiver->address()));
  ASSERT_TRUE(sender.send((*inbox)->self(), bytes_of("hello")));
  ASSERT_TRUE((*inbox)->receive(10s));

  // Within 20 s every node is down to its active view, plus the process link.
  std::string problem;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    problem.clear();
    for (Node* node : cluster.live()) {
      std::size_t allowed = node->active_view().size();
      if (node == &sender || node == receiver) ++allowed;
      if (node->peers().size() > allowed) {
        problem = node->name() + " has " + std::to_string(node->peers().size()) +
                  " connections for " + std::to_string(allowed) + " allowed";
        break;
      }
    }
    if (problem.empty()) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(problem, "");
  const auto links = sender.peers();
  EXPECT_NE(std::find(links.begin(), links.end(), receiver->name()), links.end())
      << "the process link was closed";
}

TEST(Membership, LeaveMakesPeersDropTheNodePromptly) {
  Cluster cluster(6);
  ASSERT_TRUE(cluster.ok);
  for (std::size_t i = 1; i < cluster.nodes.size(); ++i) {
    ASSERT_TRUE(cluster.nodes[i]->join(cluster.nodes[0]->address()));
  }
  ASSERT_EQ(cluster.wait_for_views(20s), "");
  Node& leaver = *cluster.nodes[2];
  std::atomic<int> left{0};
  ASSERT_TRUE(leaver.on_membership_event([&](const MembershipEvent& event) {
    if (std::holds_alternative<Left>(event)) ++left;
  }));
  ASSERT_TRUE(leaver.leave());
  cluster.dead.insert(2);
  // Well below the idle timeout: DISCONNECT(leaving) removes it at once.
  bool dropped = false;
  for (int i = 0; i < 50 && !dropped; ++i) {
    dropped = true;
    for (Node* node : cluster.live()) {
      for (const auto& peer : node->active_view()) dropped = dropped && peer.name != "m2";
      for (const auto& peer : node->passive_view()) dropped = dropped && peer.name != "m2";
    }
    if (!dropped) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(dropped);
  EXPECT_TRUE(leaver.active_view().empty());
  // The callback runs on the leaver's loop after leave() returned, possibly after the others
  // dropped it (its DISCONNECTs leave first): wait for it, bounded.
  for (int i = 0; i < 250 && left.load() == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(left.load(), 1);
  EXPECT_EQ(cluster.wait_for_views(20s), "");
}

std::set<std::string> names_of(const std::vector<NodeInfo>& nodes) {
  std::set<std::string> out;
  for (const auto& node : nodes) out.insert(node.name);
  return out;
}

// What node.cluster_view() should hold: every active peer's report matches that peer's own
// active view and passive size. Returns the first difference, or "".
std::string check_cluster_view(Cluster& cluster, Node& node) {
  auto view = node.cluster_view(5s);
  if (!view) return "cluster_view failed: " + view.error().to_string();
  if (view->self.name != node.name()) return "self is " + view->self.name;
  if (names_of(view->self.active_view) != names_of(node.active_view())) return "self differs";
  if (view->self.address != node.address()) return "self address " + view->self.address;
  std::set<std::string> reported;
  for (const NodeViews& peer : view->peers) {
    reported.insert(peer.name);
    for (Node* other : cluster.live()) {
      if (other->name() != peer.name) continue;
      if (names_of(peer.active_view) != names_of(other->active_view())) {
        return peer.name + " reported a different active view";
      }
      if (peer.passive_view_size != other->passive_view().size()) {
        return peer.name + " reported a different passive size";
      }
      if (peer.address != other->address()) return peer.name + " address " + peer.address;
    }
  }
  if (reported != names_of(view->self.active_view) || !view->unanswered.empty()) {
    return "not every active peer answered";
  }
  return "";
}

// check_cluster_view() until it passes (at most 20 tries, 100 ms apart): views move while a
// SHUFFLE or repair runs. Returns the last difference.
std::string settled_cluster_view(Cluster& cluster, Node& node) {
  std::string problem;
  for (int attempt = 0; attempt < 20; ++attempt) {
    problem = check_cluster_view(cluster, node);
    if (problem.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  return problem;
}

// Node::cluster_view: the member list the admin endpoint gathers from active peers (views
// frames, docs/reference/wire-format.md).
TEST(Membership, ClusterViewGathersTheViewsOfEveryActivePeer) {
  Cluster cluster(6);
  ASSERT_TRUE(cluster.ok);
  for (std::size_t i = 1; i < cluster.nodes.size(); ++i) {
    ASSERT_TRUE(cluster.nodes[i]->join(cluster.nodes[0]->address()));
  }
  ASSERT_EQ(cluster.wait_for_views(20s), "");
  for (Node* node : {cluster.nodes[0].get(), cluster.nodes[4].get()}) {
    EXPECT_EQ(settled_cluster_view(cluster, *node), "") << node->name();
  }

  // A stopped node: its peers stop asking it once it left their active views, and the ones
  // still waiting for it list it as unanswered rather than hang.
  cluster.nodes[5]->abort();
  cluster.dead.insert(5);
  auto during = cluster.nodes[0]->cluster_view(2s);
  ASSERT_TRUE(during) << during.error().to_string();
  for (const NodeViews& peer : during->peers) EXPECT_NE(peer.name, "m5");
  ASSERT_EQ(cluster.wait_for_views(30s), "");
  EXPECT_EQ(settled_cluster_view(cluster, *cluster.nodes[0]), "");
}

TEST(Membership, ClusterViewOfALoneNodeIsItsOwnViews) {
  TempDir dir;
  auto node = start_node(test_config("lone", dir.sub("lone")));
  ASSERT_TRUE(node);
  auto view = node->cluster_view(1s);
  ASSERT_TRUE(view) << view.error().to_string();
  EXPECT_EQ(view->self.name, "lone");
  EXPECT_TRUE(view->peers.empty());
  EXPECT_TRUE(view->unanswered.empty());
}

TEST(Membership, ContactsFromConfigAreTriedAtStart) {
  TempDir dir;
  auto seed = start_node(test_config("seed", dir.sub("seed")));
  ASSERT_TRUE(seed);
  Config config = test_config("late", dir.sub("late"));
  config.membership.contacts = {seed->address()};
  auto late = start_node(std::move(config));
  ASSERT_TRUE(late);
  bool joined = false;
  for (int i = 0; i < 100 && !joined; ++i) {
    joined = !late->active_view().empty() && !seed->active_view().empty();
    if (!joined) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(joined);
}

// membership.max_broadcast_size above the 1 MiB default holds on the receiving side too (the
// frame used to be decoded with the default limit, which closed the link).
TEST(Membership, BroadcastLargerThanTheDefaultLimitArrivesWhenConfigured) {
  TempDir dir;
  auto make = [&](const std::string& name) {
    Config config = test_config(name, dir.sub(name));
    config.membership.max_broadcast_size = 3 * 1024 * 1024;
    return start_node(std::move(config));
  };
  auto a = make("big-a");
  auto b = make("big-b");
  ASSERT_TRUE(a && b);
  std::mutex mutex;
  std::size_t received = 0;
  ASSERT_TRUE(b->subscribe("big", [&](const BroadcastMessage& message) {
    std::lock_guard lock(mutex);
    received = message.payload.size();
  }));
  ASSERT_TRUE(b->join(a->address()));
  for (int i = 0; i < 100 && (a->active_view().empty() || b->active_view().empty()); ++i) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(a->active_view().empty());
  const std::size_t size = 2 * 1024 * 1024;
  ASSERT_TRUE(a->broadcast("big", std::vector<std::uint8_t>(size, 7)));
  std::size_t got = 0;
  for (int i = 0; i < 200 && got == 0; ++i) {
    std::this_thread::sleep_for(50ms);
    std::lock_guard lock(mutex);
    got = received;
  }
  EXPECT_EQ(got, size);
  EXPECT_FALSE(a->active_view().empty());  // the link was not closed as a protocol violation
}

// NodeStats counts the connections and membership messages a join costs on both sides.
TEST(Membership, StatsCountConnectionsAndMembershipMessages) {
  TempDir dir;
  auto seed = start_node(test_config("seed", dir.sub("seed")));
  ASSERT_TRUE(seed);
  auto joiner = start_node(test_config("joiner", dir.sub("joiner")));
  ASSERT_TRUE(joiner);
  const NodeStats before = joiner->stats();
  EXPECT_EQ(before.connections_initiated, 0u);
  EXPECT_EQ(before.membership_messages_out.at("join"), 0u);
  EXPECT_EQ(before.membership_messages_out.size(), 8u);  // every type, zero or not
  ASSERT_TRUE(joiner->join(seed->address()));
  bool joined = false;
  for (int i = 0; i < 100 && !joined; ++i) {
    joined = !joiner->active_view().empty() && !seed->active_view().empty();
    if (!joined) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(joined);
  const NodeStats joiner_stats = joiner->stats();
  const NodeStats seed_stats = seed->stats();
  EXPECT_GE(joiner_stats.connections_initiated, 1u);
  EXPECT_GE(joiner_stats.membership_messages_out.at("join"), 1u);
  EXPECT_GE(seed_stats.connections_accepted, 1u);
  EXPECT_EQ(seed_stats.membership_messages_out.at("join"), 0u);
  EXPECT_EQ(seed_stats.membership_evictions, 0u);  // room for one peer
}

// Node::join keeps trying a contact whose first connection fails (as a join storm's busy
// contact refuses handshakes), so the node joins once the right node answers there.
TEST(Membership, JoinRetriesAContactWhoseFirstConnectionFailed) {
  TempDir dir;
  Config other_config = test_config("other", dir.sub("other"));
  other_config.cluster_name = "another-cluster";  // authentication fails: cluster_mismatch
  auto other = start_node(std::move(other_config));
  ASSERT_TRUE(other);
  const std::string address = other->address();
  Config early_config = test_config("early", dir.sub("early"));
  early_config.membership.contact_retry = 200ms;
  auto early = start_node(std::move(early_config));
  ASSERT_TRUE(early);
  ASSERT_TRUE(early->join(address));
  std::this_thread::sleep_for(1s);  // the first attempts are refused
  EXPECT_TRUE(early->active_view().empty());
  other.reset();  // stopped and its port released
  Config seed_config = test_config("seed", dir.sub("seed"));
  seed_config.listen_address = address;
  auto seed = start_node(std::move(seed_config));
  ASSERT_TRUE(seed);
  bool joined = false;
  for (int i = 0; i < 200 && !joined; ++i) {
    joined = !early->active_view().empty() && !seed->active_view().empty();
    if (!joined) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(joined);
}

TEST(Membership, BadMembershipConfigIsRefusedWithTheKey) {
  TempDir dir;
  Config config = test_config("bad", dir.sub("bad"));
  config.membership.contacts = {"not an address"};
  auto node = Node::start(config);
  ASSERT_FALSE(node);
  EXPECT_NE(node.error().message.find("membership.contacts"), std::string::npos);
  config.membership.contacts.clear();
  config.membership.active_view_size = 0;
  node = Node::start(config);
  ASSERT_FALSE(node);
  EXPECT_NE(node.error().message.find("membership.active_view_size"), std::string::npos);
}

}  // namespace
}  // namespace barrel_p2p::testing
