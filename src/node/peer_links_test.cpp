// Two PeerLinks cores wired back to back in memory: deterministic traces, no sockets.
#include "node/peer_links.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <tuple>

namespace barrel_p2p::node {
namespace {

using namespace std::chrono_literals;

struct Side {
  explicit Side(std::string node_name, std::uint8_t seed_byte) : name(std::move(node_name)) {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(seed_byte);
    keys = std::make_unique<auth::KeyPair>(auth::KeyPair::from_seed(seed));
    LinkConfig config;
    config.auth.cluster_name = "test";
    config.auth.handshake_budget = 1s;
    links = std::make_unique<PeerLinks>(config, this->name, *keys, trust);
  }
  std::string name;
  std::unique_ptr<auth::KeyPair> keys;
  auth::TrustStore trust;
  std::unique_ptr<PeerLinks> links;
  std::vector<LinkEvent> events;
  std::vector<std::uint64_t> closed;

  template <typename T>
  std::vector<T> events_of() const {
    std::vector<T> out;
    for (const auto& event : events) {
      if (auto* match = std::get_if<T>(&event)) out.push_back(*match);
    }
    return out;
  }
};

// Delivers every command of one side to the other, in order, until both are quiet.
class Wire {
 public:
  Wire() : a("alice", 1), b("bob", 2), rng(42) {}

  void connect(std::uint64_t connection, bool a_dials) {
    const std::array<std::uint8_t, 32> cert_hash{9, 9, 9};
    a.links->on_connected(now, wall, rng, connection, a_dials, cert_hash, "b-address");
    b.links->on_connected(now, wall, rng, connection, !a_dials, cert_hash, "a-address");
  }

  // `hold` may keep a command back (returns true) to reorder delivery.
  void settle(const std::function<bool(const Side&, const SendBytes&)>& hold = nullptr) {
    for (int round = 0; round < 100; ++round) {
      bool moved = pump(a, b, hold) | pump(b, a, hold);
      if (!moved && held.empty()) return;
      if (!moved) release_held();
    }
    FAIL() << "did not settle";
  }

  Side a;
  Side b;
  core::SeededRng rng;
  core::Instant now = core::Instant::from_nanos(1'000'000'000);
  core::WallTime wall{1'700'000'000'000};
  std::vector<std::pair<Side*, SendBytes>> held;
  bool drop_held = false;

 private:
  bool pump(Side& from, Side& to, const std::function<bool(const Side&, const SendBytes&)>& hold) {
    bool moved = false;
    while (auto event = from.links->poll_event()) {
      from.events.push_back(std::move(*event));
      moved = true;
    }
    while (auto command = from.links->poll_command()) {
      moved = true;
      if (auto* send = std::get_if<SendBytes>(&*command)) {
        if (hold && hold(from, *send)) {
          held.emplace_back(&to, std::move(*send));
          continue;
        }
        to.links->on_stream_data(now, wall, rng, send->connection, send->channel, send->bytes);
      } else {
        const auto& close = std::get<CloseConnection>(*command);
        from.closed.push_back(close.connection);
        from.links->on_closed(close.connection, "local");
        to.links->on_closed(close.connection, "peer_closed");
      }
    }
    return moved;
  }
  void release_held() {
    auto pending = std::move(held);
    held.clear();
    if (drop_held) return;  // the held commands are lost
    for (auto& [to, send] : pending) {
      to->links->on_stream_data(now, wall, rng, send.connection, send.channel, send.bytes);
    }
  }
};

core::Bytes frame_bytes(wire::FrameType type, const std::string& text) {
  core::Bytes out;
  wire::encode_frame(out, type, core::as_bytes(text));
  return out;
}

TEST(PeerLinks, BothSidesAuthenticateAndReportPeerUp) {
  Wire net;
  net.connect(1, true);
  net.settle();
  auto up_a = net.a.events_of<PeerUp>();
  auto up_b = net.b.events_of<PeerUp>();
  ASSERT_EQ(up_a.size(), 1U);
  ASSERT_EQ(up_b.size(), 1U);
  EXPECT_EQ(up_a[0].peer, "bob");
  EXPECT_EQ(up_b[0].peer, "alice");
  EXPECT_TRUE(up_a[0].newly_trusted);  // TOFU, nothing pinned
  EXPECT_EQ(*net.a.links->route("bob"), 1U);
  EXPECT_EQ(net.a.links->stats().auth_succeeded, 1U);
}

TEST(PeerLinks, FramesFlowInOrderPerChannel) {
  Wire net;
  net.connect(1, true);
  net.settle();
  for (int i = 0; i < 5; ++i) {
    net.b.links->on_stream_data(net.now, net.wall, net.rng, 1, Channel::data,
                                frame_bytes(wire::FrameType::data, "d" + std::to_string(i)));
  }
  net.b.links->on_stream_data(net.now, net.wall, net.rng, 1, Channel::control,
                              frame_bytes(wire::FrameType::control, "c0"));
  net.settle();
  auto frames = net.b.events_of<FrameReceived>();
  ASSERT_EQ(frames.size(), 6U);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(frames[i].channel, Channel::data);
    EXPECT_EQ(std::string(frames[i].payload.begin(), frames[i].payload.end()),
              "d" + std::to_string(i));
  }
  EXPECT_EQ(frames[5].channel, Channel::control);
  EXPECT_EQ(frames[5].peer, "alice");
}

TEST(PeerLinks, DataThatOvertakesTheOkIsHeldUntilAuthenticated) {
  Wire net;
  net.connect(1, true);
  // Bob (accepting) is authenticated first, by alice's OK; alice waits for bob's. Hold bob's
  // auth frames to alice once bob is authenticated, and send data to alice meanwhile.
  bool injected = false;
  net.settle([&](const Side& from, const SendBytes& send) {
    if (&from != &net.b || send.channel != Channel::control) return false;
    if (!net.b.links->route("alice")) return false;
    if (!injected) {
      injected = true;
      net.a.links->on_stream_data(net.now, net.wall, net.rng, 1, Channel::data,
                                  frame_bytes(wire::FrameType::data, "early"));
      EXPECT_TRUE(net.a.events_of<FrameReceived>().empty());
    }
    return true;
  });
  EXPECT_TRUE(injected);
  auto frames = net.a.events_of<FrameReceived>();
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_EQ(std::string(frames[0].payload.begin(), frames[0].payload.end()), "early");
  EXPECT_TRUE(net.a.closed.empty());
}

TEST(PeerLinks, ApplicationFrameBeforeAuthenticationClosesTheConnection) {
  Wire net;
  const std::array<std::uint8_t, 32> cert_hash{};
  net.b.links->on_connected(net.now, net.wall, net.rng, 7, false, cert_hash, "evil");
  net.b.links->on_stream_data(net.now, net.wall, net.rng, 7, Channel::control,
                              frame_bytes(wire::FrameType::control, "sneaky"));
  std::vector<LinkEvent> events;
  while (auto event = net.b.links->poll_event()) events.push_back(std::move(*event));
  ASSERT_EQ(events.size(), 1U);
  auto& failed = std::get<AuthFailed>(events[0]);
  EXPECT_EQ(failed.reason, wire::AuthFailure::protocol_violation);
  EXPECT_EQ(failed.address, "evil");
  bool closed = false;
  while (auto command = net.b.links->poll_command()) {
    if (auto* close = std::get_if<CloseConnection>(&*command)) {
      closed = true;
      EXPECT_EQ(close->code, CloseCode::protocol_violation);
    }
  }
  EXPECT_TRUE(closed);
}

TEST(PeerLinks, SimultaneousDialsKeepTheSameLinkOnBothSides) {
  Wire net;
  net.connect(1, true);   // alice dials
  net.connect(2, false);  // bob dials at the same moment
  net.settle();
  ASSERT_TRUE(net.a.links->route("bob"));
  ASSERT_TRUE(net.b.links->route("alice"));
  // "alice" < "bob": the connection alice dialed survives on both sides.
  EXPECT_EQ(*net.a.links->route("bob"), 1U);
  EXPECT_EQ(*net.b.links->route("alice"), 1U);
  EXPECT_EQ(net.a.events_of<PeerUp>().size(), 1U);
  EXPECT_EQ(net.b.events_of<PeerUp>().size(), 1U);
  EXPECT_TRUE(net.a.events_of<PeerDown>().empty());
  EXPECT_TRUE(net.b.events_of<PeerDown>().empty());
}

TEST(PeerLinks, FramesSentOnTheRetiredDuplicateStillArriveBeforeItCloses) {
  Wire net;
  net.connect(2, false);  // bob dials first and starts using that link
  net.settle();
  ASSERT_EQ(*net.b.links->route("alice"), 2U);
  // A frame bob wrote on link 2 is still in flight when alice's dial (link 1) wins the race.
  net.held.emplace_back(&net.a,
                        SendBytes{2, Channel::data, frame_bytes(wire::FrameType::data, "late")});
  net.connect(1, true);
  // Everything on link 2 waits behind it (the harness closes links at once, so hold both
  // markers: a real close waits until the closer's own frames are acknowledged).
  net.settle([](const Side&, const SendBytes& send) { return send.connection == 2; });
  EXPECT_EQ(*net.a.links->route("bob"), 1U);
  EXPECT_EQ(*net.b.links->route("alice"), 1U);
  ASSERT_EQ(net.a.events_of<LinkRetired>().size(), 1U);
  EXPECT_EQ(net.a.events_of<LinkRetired>()[0].connection, 2U);
  ASSERT_EQ(net.b.events_of<LinkRetired>().size(), 1U);
  auto frames = net.a.events_of<FrameReceived>();
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_EQ(frames[0].payload, core::Bytes({'l', 'a', 't', 'e'}));
  // Link 2 closed once both markers arrived; the peer never went down.
  EXPECT_NE(std::find(net.a.closed.begin(), net.a.closed.end(), 2U), net.a.closed.end());
  EXPECT_TRUE(net.a.events_of<PeerDown>().empty());
  EXPECT_TRUE(net.b.events_of<PeerDown>().empty());
}

TEST(PeerLinks, RetiredLinkClosesAtTheGraceWithoutAMarker) {
  Wire net;
  net.connect(2, false);
  net.settle();
  net.connect(1, true);
  net.drop_held = true;  // both retire markers are lost
  net.settle([](const Side&, const SendBytes& send) {
    return send.connection == 2 && send.channel == Channel::data;
  });
  net.drop_held = false;
  EXPECT_TRUE(std::find(net.a.closed.begin(), net.a.closed.end(), 2U) == net.a.closed.end());
  net.now += std::chrono::seconds(10);
  EXPECT_LE(net.a.links->next_deadline(), net.now);
  net.a.links->on_timeout(net.now);
  net.settle();
  EXPECT_NE(std::find(net.a.closed.begin(), net.a.closed.end(), 2U), net.a.closed.end());
}

TEST(PeerLinks, GoodbyeReasonReachesThePeer) {
  Wire net;
  net.connect(1, true);
  net.settle();
  ASSERT_TRUE(net.a.links->disconnect("bob", "rolling upgrade"));
  net.settle();
  auto down = net.b.events_of<PeerDown>();
  ASSERT_EQ(down.size(), 1U);
  EXPECT_EQ(down[0].reason, "peer left: rolling upgrade");
  EXPECT_FALSE(net.a.links->route("bob"));
  EXPECT_EQ(net.a.links->disconnect("bob", "again").error().code, Errc::not_found);
}

// Commands `side` queued since the last call: (channel, type, payload) of each frame sent and
// the code of each close.
struct Sent {
  std::vector<std::tuple<Channel, wire::FrameType, std::string>> frames;
  std::vector<CloseCode> closes;
};
Sent sent_by(Side& side) {
  Sent out;
  while (auto command = side.links->poll_command()) {
    if (auto* send = std::get_if<SendBytes>(&*command)) {
      wire::FrameDecoder decoder(1024);
      EXPECT_TRUE(decoder.push(send->bytes));
      while (auto frame = decoder.next()) {
        out.frames.emplace_back(send->channel, frame->type,
                                std::string(frame->payload.begin(), frame->payload.end()));
      }
    } else {
      out.closes.push_back(std::get<CloseConnection>(*command).code);
    }
  }
  while (auto event = side.links->poll_event()) side.events.push_back(std::move(*event));
  return out;
}

// The reaper's race: bob sent frames while alice decided to close their quiet link. A close
// that does not wait loses them; a quiet close still delivers them, and closes only once both
// of bob's streams ended with his goodbyes (his control frames may come after his data
// goodbye: the two streams are not ordered).
TEST(PeerLinks, QuietCloseDeliversWhatThePeerSentBeforeItsGoodbyes) {
  Wire net;
  net.connect(1, true);
  net.settle();
  ASSERT_TRUE(net.a.links->close_quietly(net.now, "bob", "idle"));
  const Sent goodbyes = sent_by(net.a);
  ASSERT_EQ(goodbyes.frames.size(), 2U);
  EXPECT_EQ(goodbyes.frames[0],
            std::make_tuple(Channel::control, wire::FrameType::goodbye, std::string("idle")));
  EXPECT_EQ(goodbyes.frames[1],
            std::make_tuple(Channel::data, wire::FrameType::goodbye, std::string(kClosingMarker)));
  EXPECT_TRUE(goodbyes.closes.empty());
  // The route goes at once (a new frame needs a new link) and alice reports bob down.
  EXPECT_FALSE(net.a.links->route("bob"));
  auto down = net.a.events_of<PeerDown>();
  ASSERT_EQ(down.size(), 1U);
  EXPECT_EQ(down[0].reason, "disconnected: idle");

  auto from_bob = [&](Channel channel, wire::FrameType type, const std::string& text) {
    net.a.links->on_stream_data(net.now, net.wall, net.rng, 1, channel, frame_bytes(type, text));
  };
  from_bob(Channel::data, wire::FrameType::process, "sent before the goodbyes arrived");
  from_bob(Channel::data, wire::FrameType::goodbye, std::string(kClosingMarker));
  EXPECT_TRUE(sent_by(net.a).closes.empty()) << "closed before bob's control stream ended";
  from_bob(Channel::control, wire::FrameType::membership, "late on the control stream");
  from_bob(Channel::control, wire::FrameType::goodbye, "idle");
  const Sent after = sent_by(net.a);
  EXPECT_TRUE(after.frames.empty());
  EXPECT_EQ(after.closes, std::vector<CloseCode>{CloseCode::closed_quietly});
  // The process frame is delivered; the membership frame is not (membership counts bob
  // gone since the PeerDown, and answering it would open a link again).
  auto frames = net.a.events_of<FrameReceived>();
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_EQ(frames[0].type, wire::FrameType::process);
  EXPECT_EQ(net.a.links->stats().frames_dropped_closing, 1U);
  EXPECT_EQ(net.a.links->stats().links_closed_quietly, 1U);
  EXPECT_EQ(net.a.events_of<PeerDown>().size(), 1U);
}

TEST(PeerLinks, APeerClosingQuietlyIsAnsweredWithGoodbyesAndBothEndsClose) {
  Wire net;
  net.connect(1, true);
  net.settle();
  ASSERT_TRUE(net.a.links->close_quietly(net.now, "bob", "membership"));
  net.settle();
  EXPECT_FALSE(net.b.links->route("alice"));
  auto down = net.b.events_of<PeerDown>();
  ASSERT_EQ(down.size(), 1U);
  EXPECT_EQ(down[0].reason, "peer left: membership");
  EXPECT_EQ(net.a.closed, std::vector<std::uint64_t>{1});
  EXPECT_EQ(net.b.links->stats().links_closed_quietly, 1U);
  EXPECT_EQ(net.a.events_of<PeerDown>().size(), 1U);
}

TEST(PeerLinks, QuietClosesFromBothEndsAtOnceStillClose) {
  Wire net;
  net.connect(1, true);
  net.settle();
  ASSERT_TRUE(net.a.links->close_quietly(net.now, "bob", "idle"));
  ASSERT_TRUE(net.b.links->close_quietly(net.now, "alice", "idle"));
  net.settle();
  EXPECT_FALSE(net.a.closed.empty() && net.b.closed.empty());
  EXPECT_EQ(net.a.events_of<PeerDown>().size(), 1U);
  EXPECT_EQ(net.b.events_of<PeerDown>().size(), 1U);
  EXPECT_EQ(net.a.links->next_deadline(), core::Instant::never());
  EXPECT_EQ(net.b.links->next_deadline(), core::Instant::never());
}

TEST(PeerLinks, AQuietCloseWithoutAnswerEndsAtTheGrace) {
  Wire net;
  net.connect(1, true);
  net.settle();
  ASSERT_TRUE(net.a.links->close_quietly(net.now, "bob", "idle"));
  EXPECT_EQ(net.a.links->close_quietly(net.now, "bob", "again").error().code, Errc::not_found);
  (void)sent_by(net.a);  // the goodbyes are lost
  EXPECT_EQ(net.a.links->next_deadline(), net.now + std::chrono::seconds(10));
  net.now += std::chrono::seconds(10);
  net.a.links->on_timeout(net.now);
  EXPECT_EQ(sent_by(net.a).closes, std::vector<CloseCode>{CloseCode::closed_quietly});
}

TEST(PeerLinks, SilentPeerIsCutAtTheBudget) {
  Wire net;
  const std::array<std::uint8_t, 32> cert_hash{};
  net.b.links->on_connected(net.now, net.wall, net.rng, 3, false, cert_hash, "silent");
  while (net.b.links->poll_command()) {
  }
  EXPECT_EQ(net.b.links->next_deadline(), net.now + 1s);
  net.b.links->on_timeout(net.now + 1s);
  bool failed = false;
  while (auto event = net.b.links->poll_event()) {
    if (auto* f = std::get_if<AuthFailed>(&*event)) {
      failed = f->reason == wire::AuthFailure::budget_exceeded;
    }
  }
  EXPECT_TRUE(failed);
}

}  // namespace
}  // namespace barrel_p2p::node
