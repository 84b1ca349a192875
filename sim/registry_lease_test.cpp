// Registry leases on whole Engines (decision 0025): the services of a node that crashes are
// hidden on every live node once its lease runs out, each reported down (noconnection, "lease
// expired"), and pruned for good much later; a partition longer than the lease hides the other
// side's services during the cut and shows them again after the heal, with identical
// registries; only nodes with services send heartbeats; a lease of 0 turns it all off; hostile
// heartbeats are counted and renew nothing. Short leases and small clusters keep it fast.
#include <gtest/gtest.h>

#include <algorithm>

#include "proto/registry/registry_message.hpp"
#include "sim/registry_gossip.hpp"
#include "sim/simulation.hpp"

namespace barrel_p2p::sim {
namespace {

using namespace std::chrono_literals;

constexpr core::Duration kLease = 3s;
constexpr core::Duration kRenew = 1s;

SimConfig lease_config(std::uint64_t seed, core::Duration lease = kLease) {
  SimConfig c;
  c.seed = seed;
  c.registry_lease = lease;
  c.registry_lease_renew_interval = kRenew;
  return c;
}

// `nodes` nodes grown and settled for 20 s, then checked connected.
std::unique_ptr<Simulation> settled(const SimConfig& config, std::size_t nodes) {
  auto s = std::make_unique<Simulation>(config);
  s->record_service_events(true);
  s->grow(nodes, 2ms);
  s->run_for(20s);
  EXPECT_EQ(s->check_connected(), "") << "seed " << s->seed();
  return s;
}

void register_on(Simulation& s, std::size_t node, const std::string& name) {
  const Pid pid = s.engine(node).processes().spawn(false);
  ASSERT_TRUE(s.engine(node).register_service(s.now(), s.wall(), name, pid, {}));
  s.drain(node);
}

// True when `node` recorded a down event for `name` with the lease's reason.
bool saw_lease_down(const Simulation& s, std::size_t node, const std::string& name) {
  const auto& events = s.service_events(node);
  return std::any_of(events.begin(), events.end(), [&](const ServiceEvent& event) {
    return event.kind == ServiceEvent::Kind::down && event.instance.name == name &&
           event.reason == ExitReason{ExitCode::noconnection, std::string(node::kLeaseExpired)};
  });
}

// Nodes 0-5 and 6-11 of a 12-node cluster cannot reach each other.
void cut_in_halves(Simulation& s) {
  std::vector<int> groups(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) groups[i] = i < 6 ? 0 : 1;
  s.partition(groups);
}

// Heals the cut and checks one overlay and identical registries with both services visible.
void heal_and_see_both(Simulation& s) {
  s.partition({});
  s.run_for(40s);
  ASSERT_EQ(s.check_connected(), "") << "seed " << s.seed();
  EXPECT_EQ(s.check_registries(2), "") << "seed " << s.seed();
  for (std::size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s.engine(i).lookup_service("svc.left").size(), 1U) << s.name(i);
    EXPECT_EQ(s.engine(i).lookup_service("svc.right").size(), 1U) << s.name(i);
    EXPECT_EQ(s.engine(i).list_services("svc.").size(), 2U) << s.name(i);
  }
}

TEST(SimulationLease, ACrashedNodesServicesExpireEverywhereAndArePrunedLater) {
  auto cluster = settled(lease_config(41), 12);
  Simulation& s = *cluster;
  const std::size_t victim = 4;
  const std::size_t survivor = 7;
  register_on(s, victim, "svc.crash");
  register_on(s, survivor, "svc.live");
  s.run_for(5s);
  for (std::size_t i = 0; i < s.size(); ++i) {
    ASSERT_EQ(s.engine(i).lookup_service("svc.crash").size(), 1U) << s.name(i);
  }
  // Heartbeats come only from nodes with services of their own.
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto sent = s.engine(i).registry_stats().heartbeats_sent;
    if (i == victim || i == survivor) {
      EXPECT_GT(sent, 0U) << s.name(i);
    } else {
      EXPECT_EQ(sent, 0U) << s.name(i);
    }
  }

  s.crash(victim);
  // Links to it break after detect_delay (4 s); then the lease (3 s) and one check (1 s).
  s.run_for(12s);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!s.alive(i)) continue;
    EXPECT_TRUE(s.engine(i).lookup_service("svc.crash").empty()) << s.name(i);
    EXPECT_TRUE(s.engine(i).list_services("svc.").size() == 1) << s.name(i);
    EXPECT_EQ(s.engine(i).lookup_service("svc.live").size(), 1U) << s.name(i);
    EXPECT_TRUE(saw_lease_down(s, i, "svc.crash")) << s.name(i);
    EXPECT_FALSE(saw_lease_down(s, i, "svc.live")) << s.name(i);
    EXPECT_EQ(s.engine(i).registry_stats().leases_expired, 1U) << s.name(i);
    // Hidden, not deleted: the CRDT still holds it, so digests still agree.
    EXPECT_EQ(s.engine(i).registry().entries(), 2U) << s.name(i);
  }

  // After kLeasePruneFactor leases hidden, every replica prunes it for real.
  s.run_for(kLease * node::kLeasePruneFactor + 10s);
  EXPECT_EQ(s.check_registries(1), "") << "seed " << s.seed();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!s.alive(i)) continue;
    EXPECT_EQ(s.engine(i).lookup_service("svc.live").size(), 1U) << s.name(i);
    EXPECT_EQ(s.engine(i).registry_stats().leases_restored, 0U) << s.name(i);
  }
}

TEST(SimulationLease, APartitionLongerThanTheLeaseHidesTheOtherSideUntilTheHeal) {
  auto cluster = settled(lease_config(42), 12);
  Simulation& s = *cluster;
  register_on(s, 2, "svc.left");
  register_on(s, 9, "svc.right");
  s.run_for(5s);
  ASSERT_EQ(s.check_registries(2), "") << "seed " << s.seed();

  cut_in_halves(s);
  s.run_for(15s);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool left = i < 6;
    EXPECT_EQ(s.engine(i).lookup_service("svc.left").size(), left ? 1U : 0U) << s.name(i);
    EXPECT_EQ(s.engine(i).lookup_service("svc.right").size(), left ? 0U : 1U) << s.name(i);
    EXPECT_TRUE(saw_lease_down(s, i, left ? "svc.right" : "svc.left")) << s.name(i);
  }

  heal_and_see_both(s);
  for (std::size_t i = 0; i < s.size(); ++i) {
    // Every lease that ran out is restored: the other side's, and its own side's too on a
    // node the cut left briefly without a link into its own half (it rejoins from its
    // passive view; seed 42 leaves one such node since decision 0027 shifted the timing).
    std::size_t lease_downs = 0;
    for (const char* name : {"svc.left", "svc.right"}) lease_downs += saw_lease_down(s, i, name);
    EXPECT_EQ(s.engine(i).registry_stats().leases_restored, lease_downs) << s.name(i);
    EXPECT_EQ(s.engine(i).registry_stats().leases_pruned, 0U) << s.name(i);
    // The last event about the other side's service: registered again.
    const std::string other = i < 6 ? "svc.right" : "svc.left";
    const auto& events = s.service_events(i);
    auto last = std::find_if(events.rbegin(), events.rend(), [&](const ServiceEvent& event) {
      return event.instance.name == other;
    });
    ASSERT_NE(last, events.rend()) << s.name(i);
    EXPECT_EQ(last->kind, ServiceEvent::Kind::registered) << s.name(i);
  }
}

// Cut off for longer than the prune time (60 leases): each side prunes the other's service for
// good, and after the heal the pruning floors reach the owners, which still run the processes
// and register them again: one registry with both services everywhere.
TEST(SimulationLease, ServicesPrunedAcrossALongCutAreRegisteredAgainByTheirOwners) {
  auto cluster = settled(lease_config(45), 12);
  Simulation& s = *cluster;
  register_on(s, 2, "svc.left");
  register_on(s, 9, "svc.right");
  s.run_for(5s);
  cut_in_halves(s);
  s.run_for(kLease * node::kLeasePruneFactor + 20s);
  // Each side pruned the other's entry: by its own lease, or by a sibling's floor.
  std::uint64_t pruned = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    pruned += s.engine(i).registry_stats().leases_pruned;
    EXPECT_EQ(s.engine(i).registry().entries(), 1U) << s.name(i);
  }
  EXPECT_GE(pruned, 2U);
  heal_and_see_both(s);
  EXPECT_EQ(s.engine(2).registry_stats().entries_reasserted, 1U);
  EXPECT_EQ(s.engine(9).registry_stats().entries_reasserted, 1U);
}

TEST(SimulationLease, ALeaseOfZeroKeepsACrashedNodesServicesAndSendsNoHeartbeats) {
  auto cluster = settled(lease_config(43, core::Duration(0)), 8);
  Simulation& s = *cluster;
  register_on(s, 3, "svc.kept");
  s.run_for(5s);
  s.crash(3);
  s.run_for(30s);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!s.alive(i)) continue;
    EXPECT_EQ(s.engine(i).lookup_service("svc.kept").size(), 1U) << s.name(i);
    const node::EngineRegistryStats stats = s.engine(i).registry_stats();
    EXPECT_EQ(stats.heartbeats_received, 0U) << s.name(i);
    EXPECT_EQ(stats.leases_expired, 0U) << s.name(i);
  }
}

TEST(SimulationLease, HostileHeartbeatsAreCountedAndRenewNothing) {
  auto cluster = settled(lease_config(44), 10);
  Simulation& s = *cluster;
  const std::size_t victim = 6;
  const std::size_t attacker = 0;
  register_on(s, victim, "svc.gone");
  s.run_for(5s);
  s.crash(victim);

  // Every 500 ms until well past the lease: broken heartbeats, and heartbeats from the
  // attacker that speak for the crashed node.
  const hlc::Timestamp far{static_cast<std::uint64_t>(s.wall().unix_millis) + 1'000'000, 0};
  const core::Bytes good = registry::encode_heartbeat(s.name(victim), far);
  std::vector<core::Bytes> payloads = {
      core::Bytes{6},                             // no name
      core::Bytes{6, 0},                          // empty name, no stamp
      core::Bytes(good.begin(), good.end() - 1),  // truncated stamp
      [&] {
        core::Bytes b = good;
        b.push_back(0);
        return b;
      }(),   // trailing byte
      good,  // names the victim, but comes from the attacker
  };
  std::uint8_t serial = 0;
  for (int round = 0; round < 30; ++round) {
    const std::vector<std::string> peers = s.engine(attacker).peers();
    for (const core::Bytes& payload : payloads) {
      const core::Bytes frame = registry_gossip_frame(serial++, s.name(attacker), payload, 0x5a);
      for (const std::string& peer : peers) {
        (void)s.engine(attacker).send_peer_frame(peer, node::Channel::control, frame);
      }
    }
    s.drain(attacker);
    s.run_for(500ms);
  }
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (!s.alive(i)) continue;
    const node::EngineRegistryStats stats = s.engine(i).registry_stats();
    EXPECT_GE(stats.malformed, payloads.size()) << s.name(i);
    EXPECT_TRUE(s.engine(i).lookup_service("svc.gone").empty()) << s.name(i);
    EXPECT_EQ(stats.leases_expired, 1U) << s.name(i);
    EXPECT_EQ(stats.leases_restored, 0U) << s.name(i);
  }
  // A heartbeat is a broadcast: one in a link's registry frame is a protocol violation.
  const std::string peer = s.engine(attacker).peers().front();
  const std::size_t target = std::stoul(peer.substr(1));  // simulated names are "s<index>"
  const std::uint64_t before = s.engine(target).registry_stats().malformed;
  core::Bytes frame;
  wire::encode_frame(frame, wire::FrameType::registry,
                     registry::encode_heartbeat(s.name(attacker), far));
  ASSERT_TRUE(s.engine(attacker).send_peer_frame(peer, node::Channel::control, frame));
  s.drain(attacker);
  s.run_for(1s);
  EXPECT_EQ(s.engine(target).registry_stats().malformed, before + 1);
}

}  // namespace
}  // namespace barrel_p2p::sim

namespace barrel_p2p::sim {
namespace {
// Measurement for decision 0025 (run by hand): link frames per node per second with every node
// holding one service, leases on (60 s / 10 s) and off.
TEST(SimulationLeaseCost, DISABLED_HeartbeatCost) {
  for (const std::size_t nodes : {std::size_t{100}, std::size_t{300}}) {
    for (const bool on : {false, true}) {
      SimConfig c;
      c.seed = 5;
      c.registry_lease = on ? core::Duration(std::chrono::seconds(60)) : core::Duration(0);
      c.registry_lease_renew_interval = std::chrono::seconds(10);
      Simulation s(c);
      s.grow(nodes, 2ms);
      s.run_for(30s);
      for (std::size_t i = 0; i < nodes; ++i) register_on(s, i, "svc." + std::to_string(i));
      s.run_for(30s);
      auto total = [&] {
        std::uint64_t sum = 0;
        for (std::size_t i = 0; i < nodes; ++i) sum += s.engine(i).stats().messages_sent;
        return sum;
      };
      const std::uint64_t before = total();
      std::uint64_t beats = 0;
      for (std::size_t i = 0; i < nodes; ++i)
        beats += s.engine(i).registry_stats().heartbeats_received;
      s.run_for(60s);
      std::uint64_t beats_after = 0;
      for (std::size_t i = 0; i < nodes; ++i)
        beats_after += s.engine(i).registry_stats().heartbeats_received;
      const double per_node =
          static_cast<double>(total() - before) / static_cast<double>(nodes) / 60.0;
      std::printf(
          "nodes %zu leases %s: %.2f frames/node/s, %.2f heartbeats received/node/s, check %s\n",
          nodes, on ? "on" : "off", per_node,
          static_cast<double>(beats_after - beats) / static_cast<double>(nodes) / 60.0,
          s.check_connected().c_str());
    }
  }
}
}  // namespace
}  // namespace barrel_p2p::sim
