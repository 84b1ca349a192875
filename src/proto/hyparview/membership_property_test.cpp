// Properties of the HyParView core under random event sequences (RapidCheck).
#include <gtest/gtest.h>
#include <rapidcheck.h>

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
            case 2: message = NeighborReply{net.info(b), true}; break;
            case 3: message = Disconnect{pick.uniform(2) == 1}; break;
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
TEST(MembershipProperty, QuietNetworkIsSymmetricAndConnected) {
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

}  // namespace
}  // namespace barrel_p2p::hyparview
