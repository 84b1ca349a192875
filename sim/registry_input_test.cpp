// Hostile registry input on whole Engines (SPEC §5, issue 12): one node of a simulated cluster
// sends every malformed delta shape as Plumtree gossip under the registry's reserved tag (so
// every node receives each one), and malformed registry frames on its links. No node crashes,
// every shape is counted (malformed or refused by reason), and a registration made afterwards
// still reaches every node.
#include <gtest/gtest.h>

#include "proto/registry/registry_message.hpp"
#include "sim/registry_gossip.hpp"
#include "sim/simulation.hpp"

namespace barrel_p2p::sim {
namespace {

using namespace std::chrono_literals;
namespace reg = registry;

core::Bytes concat(core::Bytes a, const core::Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

core::Bytes delta_message(const reg::Delta& delta) {
  return reg::encode_delta_message(reg::encode(delta));
}

reg::DeltaEntry entry(std::uint64_t wall, std::string name, std::size_t pid_size = 4,
                      std::size_t metadata_size = 0) {
  return reg::DeltaEntry{hlc::Timestamp{wall, 0}, std::move(name), core::Bytes(pid_size, 7),
                         core::Bytes(metadata_size, 'm')};
}

// One delta per rule of registry_delta.hpp, each broken, plus envelope faults.
std::vector<core::Bytes> malformed_payloads(const std::string& victim) {
  const std::uint64_t wall = 1'700'000'000'000;
  const reg::Delta good{{reg::NodeSlice{"ghost", {}, {}, {entry(wall, "svc.x")}}}};
  const core::Bytes good_bytes = reg::encode(good);
  std::vector<core::Bytes> out = {
      {},                                                  // empty
      {9},                                                 // unknown message type
      reg::encode_digest_message(1),                       // not a delta
      reg::encode_state_message(good_bytes, false),        // not a delta
      {1, 7, 0},                                           // unknown cause
      {1, 1, 5, 200, 'x'},                                 // truncated exit text
      {1, 0},                                              // no delta
      {1, 0, 0xff, 0xff, 0xff},                            // garbage delta
      concat(reg::encode_delta_message(good_bytes), {0}),  // trailing byte
      concat({1, 0, 1, 0x40, 0x01}, {}),                   // non-canonical varint count
  };
  for (std::size_t size = 1; size < good_bytes.size(); ++size) {  // every truncation
    out.push_back(reg::encode_delta_message(
        core::Bytes(good_bytes.begin(), good_bytes.begin() + static_cast<std::ptrdiff_t>(size))));
  }
  const reg::NodeSlice a{"a", {}, {}, {entry(wall, "svc.a")}};
  const reg::NodeSlice b{"b", {}, {}, {entry(wall, "svc.b")}};
  const std::vector<reg::Delta> shapes = {
      reg::Delta{{b, a}},                                                // nodes out of order
      reg::Delta{{a, a}},                                                // a node twice
      reg::Delta{{reg::NodeSlice{"a", {}, {}, {}}}},                     // empty slice
      reg::Delta{{reg::NodeSlice{"", {}, {}, {entry(wall, "svc.e")}}}},  // empty node name
      reg::Delta{{reg::NodeSlice{std::string(200, 'n'), {}, {}, {entry(wall, "s")}}}},
      reg::Delta{{reg::NodeSlice{"a", {}, {}, {entry(0, "svc.zero")}}}},  // zero stamp
      reg::Delta{{reg::NodeSlice{"a", {}, {}, {entry(wall + 1, "y"), entry(wall, "x")}}}},
      reg::Delta{{reg::NodeSlice{"a", {}, {}, {entry(wall, "x"), entry(wall, "y")}}}},
      reg::Delta{{reg::NodeSlice{"a", hlc::Timestamp{wall, 0}, {hlc::Timestamp{wall - 1, 0}}, {}}}},
      reg::Delta{{reg::NodeSlice{
          "a", {}, {hlc::Timestamp{wall + 2, 0}, hlc::Timestamp{wall + 1, 0}}, {}}}},
      reg::Delta{{reg::NodeSlice{"a", {}, {hlc::Timestamp{wall, 0}}, {entry(wall, "x")}}}},
      reg::Delta{{reg::NodeSlice{"a", {}, {}, {entry(wall, "")}}}},  // empty name
      reg::Delta{{reg::NodeSlice{"a", {}, {}, {entry(wall, std::string(300, 'x'))}}}},
      reg::Delta{{reg::NodeSlice{"a", {}, {}, {entry(wall, "svc.p", 0)}}}},        // empty pid
      reg::Delta{{reg::NodeSlice{"a", {}, {}, {entry(wall, "svc.p", 4000)}}}},     // pid size
      reg::Delta{{reg::NodeSlice{"a", {}, {}, {entry(wall, "svc.m", 4, 5000)}}}},  // metadata
      // A dot of the victim that the victim never made (foreign_dot).
      reg::Delta{{reg::NodeSlice{victim, {}, {}, {entry(wall * 2, "svc.forged")}}}},
      // An entry whose pid is no contact: accepted by the core, unusable to the Engine.
      reg::Delta{{reg::NodeSlice{"ghost", {}, {}, {entry(wall, "svc.ghost")}}}},
  };
  for (const reg::Delta& shape : shapes) out.push_back(delta_message(shape));
  return out;
}

TEST(SimulationRegistry, MalformedDeltasCauseNoCrashAndLaterRegistrationsStillApply) {
  SimConfig c;
  c.seed = 31;
  Simulation s(c);
  s.grow(10, 2ms);
  s.run_for(20s);
  ASSERT_EQ(s.check_connected(), "") << "seed " << s.seed();
  const std::size_t attacker = 0;
  const std::vector<std::string> peers = s.engine(attacker).peers();
  ASSERT_FALSE(peers.empty());

  // Each shape once, as gossip from the attacker (each node receives it through the tree).
  const std::vector<core::Bytes> payloads = malformed_payloads(s.name(1));
  ASSERT_LT(payloads.size(), 256U);
  std::uint8_t serial = 0;
  for (const core::Bytes& payload : payloads) {
    const core::Bytes frame = registry_gossip_frame(serial++, s.name(attacker), payload);
    for (const std::string& peer : peers) {
      ASSERT_TRUE(s.engine(attacker).send_peer_frame(peer, node::Channel::control, frame));
    }
    s.drain(attacker);
  }
  s.run_for(2s);
  // Malformed registry frames on a link close that link; the overlay heals around it.
  core::Bytes bad_frame;
  wire::encode_frame(bad_frame, wire::FrameType::registry, core::Bytes{1, 0, 1, 0});
  ASSERT_TRUE(s.engine(attacker).send_peer_frame(peers.front(), node::Channel::control, bad_frame));
  s.drain(attacker);
  s.run_for(10s);

  std::uint64_t malformed = 0;
  std::uint64_t refused = 0;
  std::uint64_t unusable = 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const node::EngineRegistryStats stats = s.engine(i).registry_stats();
    malformed += stats.malformed;
    unusable += stats.unusable_entries;
    for (const auto& [reason, count] : stats.refused) refused += count;
    EXPECT_TRUE(s.engine(i).lookup_service("svc.forged").empty()) << s.name(i);
    EXPECT_TRUE(s.engine(i).lookup_service("svc.ghost").empty()) << s.name(i);
  }
  EXPECT_GT(malformed, 0U);
  EXPECT_GT(refused, 0U);
  EXPECT_GT(unusable, 0U);  // svc.ghost: accepted by the CRDT, never shown
  EXPECT_GT(s.engine(1).registry_stats().refused.count("foreign_dot"), 0U);

  // A registration made afterwards reaches every node.
  node::Engine& owner = s.engine(5);
  const Pid pid = owner.processes().spawn(false);
  ASSERT_TRUE(owner.register_service(s.now(), s.wall(), "svc.after", pid, {}));
  s.drain(5);
  s.run_for(5s);
  for (std::size_t i = 0; i < s.size(); ++i) {
    ASSERT_EQ(s.engine(i).lookup_service("svc.after").size(), 1U) << s.name(i);
  }
}

}  // namespace
}  // namespace barrel_p2p::sim
