// Properties of the HyParView core under random event sequences (RapidCheck).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <set>

#include "proto/hyparview/membership_net.hpp"

namespace barrel_p2p::hyparview {
namespace {

using namespace std::chrono_literals;
using testing_support::Net;

// Random joins, crashes, leaves, timer advances and hostile messages from random senders:
// after every step the views are bounded, never hold self, never hold a peer twice.
TEST(MembershipProperty, ViewsStayBoundedUnderRandomEvents) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed, const std::vector<std::uint8_t>& ops) {
    Config config;
    config.active_size = 3;
    config.passive_size = 6;
    Net net(seed, config);
    const int size = 12;
    for (int i = 0; i < size; ++i) net.add("n" + std::to_string(i));
    core::SeededRng pick(seed ^ 0x5eed);
    for (std::uint8_t op : ops) {
      std::string a = "n" + std::to_string(pick.uniform(size));
      std::string b = "n" + std::to_string(pick.uniform(size));
      if (net.crashed(a)) continue;
      switch (op % 7) {
        case 0:
        case 1: net.node(a).join(net.now, net.info(b)); break;
        case 2: net.advance(std::chrono::milliseconds(50 + pick.uniform(3000))); break;
        case 3:
          if (net.names().size() > 3) net.crash(a);
          break;
        case 4: net.node(a).on_link_down(net.now, b); break;
        case 5: net.node(a).on_unreachable(net.now, b); break;
        case 6: {
          // A hostile or confused peer: arbitrary membership messages under its own name.
          std::vector<PeerInfo> peers{net.info(a), net.info(b), PeerInfo{"ghost", "x:1"}};
          Message message;
          switch (pick.uniform(5)) {
            case 0: message = Shuffle{net.info(b), 0, peers}; break;
            case 1: message = ShuffleReply{peers}; break;
            case 2: message = NeighborReply{net.info(b), true, {}}; break;
            case 3: message = Disconnect{pick.uniform(2) == 1, {}}; break;
            default: message = ForwardJoin{net.info(a), static_cast<std::uint8_t>(pick.uniform(8))};
          }
          if (!net.crashed(b)) net.node(a).on_message(net.now, b, std::move(message));
          break;
        }
      }
      net.settle();
      RC_ASSERT(net.bounded());
    }
  }));
}

// Without failures, every node joining through random earlier nodes ends in symmetric active
// views once the network is quiet. (Connectivity is probabilistic in HyParView; it is checked
// with the default view sizes in membership_test.cpp and at scale in the simulator.)
TEST(MembershipProperty, QuietNetworkIsSymmetric) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed, std::uint8_t extra) {
    Config config;
    config.active_size = 3;
    config.passive_size = 8;
    Net net(seed, config);
    const int size = 6 + extra % 20;
    core::SeededRng pick(seed);
    for (int i = 0; i < size; ++i) {
      net.add("n" + std::to_string(i));
      if (i > 0) {
        net.node("n" + std::to_string(i))
            .join(net.now, net.info("n" + std::to_string(pick.uniform(i))));
      }
    }
    net.settle();
    net.run_for(20s, 200ms);
    RC_ASSERT(net.bounded());
    RC_ASSERT(net.symmetric());
  }));
}

// A random message naming peers from `names` (ourselves and forged senders included).
Message random_message(core::SeededRng& pick, const std::vector<std::string>& names) {
  auto any = [&]() {
    const std::string& name = names[pick.uniform(names.size())];
    return PeerInfo{name, name + ":9"};
  };
  std::vector<PeerInfo> peers;
  for (std::uint64_t i = pick.uniform(10); i > 0; --i) peers.push_back(any());
  const auto ttl = static_cast<std::uint8_t>(pick.uniform(256));
  const bool flag = pick.uniform(2) == 1;
  switch (pick.uniform(kMessageTypeCount)) {
    case 0: return Join{any()};
    case 1: return ForwardJoin{any(), ttl};
    case 2: return JoinReply{any()};
    case 3: return Neighbor{any(), flag, !flag && pick.uniform(2) == 1};
    case 4:
      return flag ? NeighborReply{any(), true, {any()}} : NeighborReply{any(), false, {any()}};
    case 5: return Disconnect{flag, {any()}};
    case 6: return Shuffle{any(), ttl, peers};
    default: return ShuffleReply{peers};
  }
}

// Checks one core's outputs and views after an input; `active` replays its PeerUp/PeerDown.
void check_core(Membership& core, std::set<std::string>& active) {
  const Config& config = core.config();
  while (auto command = core.poll_command()) {
    if (const auto* send = std::get_if<Send>(&*command)) RC_ASSERT(send->to.name != "me");
  }
  while (auto event = core.poll_event()) {
    if (const auto* up = std::get_if<PeerUp>(&*event)) {
      RC_ASSERT(active.insert(up->peer.name).second);  // no PeerUp twice without a PeerDown
    } else if (const auto* down = std::get_if<PeerDown>(&*event)) {
      RC_ASSERT(active.erase(down->peer) == 1U);  // no PeerDown without a PeerUp
    }
  }
  std::set<std::string> seen;
  for (const auto& peer : core.active_view()) {
    RC_ASSERT(peer.name != "me");
    RC_ASSERT(seen.insert(peer.name).second);
  }
  RC_ASSERT(seen == active);
  for (const auto& peer : core.passive_view()) {
    RC_ASSERT(peer.name != "me");
    RC_ASSERT(seen.insert(peer.name).second);  // not active, not twice
  }
  RC_ASSERT(core.active_view().size() <= config.active_size);
  RC_ASSERT(core.passive_view().size() <= config.passive_size);
}

// One core fed arbitrary inputs in any order, as a hostile or buggy cluster could: every
// output and view is checked after every input.
TEST(MembershipProperty, OneCoreKeepsItsInvariantsUnderArbitraryInputs) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed, const std::vector<std::uint8_t>& ops) {
    Config config;
    config.active_size = 3;
    config.passive_size = 5;
    core::SeededRng rng(seed);
    core::SeededRng pick(seed ^ 0xfeed);
    Membership core(config, PeerInfo{"me", "me:1"}, rng);
    const std::vector<std::string> names{"me", "a", "b", "c", "d", "e", "f", "g", "h", "i"};
    std::set<std::string> active;
    core::Instant now = core::Instant::from_nanos(1'000'000'000);
    for (std::uint8_t op : ops) {
      const std::string& other = names[pick.uniform(names.size())];
      switch (op % 8) {
        case 0: core.join(now, PeerInfo{other, other + ":9"}); break;
        case 1: core.on_link_down(now, other); break;
        case 2: core.on_unreachable(now, other); break;
        case 3:
          now = std::max(now, core.next_deadline() == core::Instant::never()
                                  ? now + std::chrono::seconds(1)
                                  : core.next_deadline());
          core.on_timeout(now);
          break;
        case 4:
          if (pick.uniform(8) == 0) core.leave(now);
          break;
        default: core.on_message(now, other, random_message(pick, names)); break;
      }
      check_core(core, active);
    }
  }));
}

// Joins, crashes and broken links (seen at both ends, as with a real connection) in a lossless
// network: once it is quiet, every active link is held at both ends.
TEST(MembershipProperty, ActiveLinksAreSymmetricOnceQuietAfterFailures) {
  EXPECT_TRUE(rc::check([](std::uint64_t seed, const std::vector<std::uint8_t>& ops) {
    Config config;
    config.active_size = 3;
    config.passive_size = 6;
    Net net(seed, config);
    const int size = 10;
    core::SeededRng pick(seed ^ 0xc0de);
    for (int i = 0; i < size; ++i) net.add("n" + std::to_string(i));
    for (std::uint8_t op : ops) {
      const std::string a = "n" + std::to_string(pick.uniform(size));
      const std::string b = "n" + std::to_string(pick.uniform(size));
      if (net.crashed(a)) continue;
      switch (op % 4) {
        case 0: net.node(a).join(net.now, net.info(b)); break;
        case 1: net.cut(a, b); break;
        case 2:
          if (net.names().size() > 4) net.crash(a);
          break;
        default: net.advance(std::chrono::milliseconds(pick.uniform(5000)));
      }
      net.settle();
      RC_ASSERT(net.bounded());
    }
    net.run_for(30s, 250ms);
    RC_ASSERT(net.bounded());
    RC_ASSERT(net.symmetric());
  }));
}

}  // namespace
}  // namespace barrel_p2p::hyparview
