// The idle reaper's race on whole Engines: a node closes an idle on-demand link while a frame
// its peer sent is still on the way. A close that does not wait drops that frame (send()
// succeeded, nothing arrives); a quiet close (PeerLinks::close_quietly) delivers it.
#include <gtest/gtest.h>

#include <string>

#include "sim/simulation.hpp"

namespace barrel_p2p::sim {
namespace {

using namespace std::chrono_literals;

/// Counts the messages delivered to processes on node 1.
class Inbox final : public ProcessObserver {
 public:
  void delivered(std::size_t node, std::uint64_t /*process*/, const Envelope& envelope) override {
    if (node == 1 && envelope.kind == EnvelopeKind::message) ++messages;
  }
  void ended(std::size_t /*node*/, std::uint64_t /*process*/,
             const ExitReason& /*reason*/) override {}
  void call_done(std::size_t /*node*/, std::uint64_t /*ref*/,
                 const Result<core::Bytes>& /*result*/) override {}
  std::size_t messages = 0;
};

/// Two nodes that never joined: a process on node 0 sends one message to a process on node 1,
/// which opens an on-demand link (reaped once quiet for reaper_interval, 60 s by default).
struct Pair {
  Pair() : s(make_config()) {
    s.set_process_observer(&inbox);
    s.add_node();
    s.add_node();
    s.engine(0).add_address(s.name(1), s.network().address(1));
    from = s.engine(0).processes().spawn(false);
    to = s.engine(1).processes().spawn(false);
    send("first");
    s.run_for(1s);
  }
  static SimConfig make_config() {
    SimConfig c;
    c.seed = 11;
    c.jitter = core::Duration(0);  // every frame takes exactly `latency` (5 ms)
    return c;
  }
  void send(const std::string& text) {
    auto sent = s.engine(0).processes().send(from, to, core::as_bytes(std::string_view(text)));
    ASSERT_TRUE(sent) << sent.error().to_string();
    s.drain(0);
  }
  std::uint64_t reaped() { return s.engine(1).stats().connections_reaped; }

  Inbox inbox;
  Simulation s;
  Pid from;
  Pid to;
};

TEST(SimulationReaper, AMessageOnItsWayWhileThePeerReapsTheLinkArrives) {
  // The same seed gives the same run: find the instant node 1 reaps the link...
  core::Instant reaped_at = core::Instant::never();
  {
    Pair probe;
    ASSERT_EQ(probe.inbox.messages, 1U);
    for (int step = 0; step < 200'000 && probe.reaped() == 0; ++step) probe.s.run_for(1ms);
    ASSERT_EQ(probe.reaped(), 1U) << "node 1 never reaped the quiet link";
    reaped_at = probe.s.now();
  }
  // ...then send 3 ms before it (the frame takes 5 ms): node 1 decides while it is on the way.
  Pair pair;
  pair.s.run_for(reaped_at - 3ms - pair.s.now());
  ASSERT_EQ(pair.reaped(), 0U);
  pair.send("second");
  pair.s.run_for(5s);
  EXPECT_EQ(pair.reaped(), 1U) << "the race was not reproduced: node 1 did not reap";
  EXPECT_EQ(pair.inbox.messages, 2U) << "the message sent as the link was reaped was lost";
}

}  // namespace
}  // namespace barrel_p2p::sim
