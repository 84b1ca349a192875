// Attackers written with a bare QUIC endpoint: a TLS-terminating relay, a peer that never
// answers the challenge, and a replayed RESPONSE from an earlier connection.
#include <atomic>
#include <thread>

#include "proto/auth/auth_session.hpp"
#include "proto/auth/identity.hpp"
#include "proto/auth/trust_store.hpp"
#include "support/raw_peer.hpp"
#include "support/scripted_client.hpp"
#include "support/test_support.hpp"
#include "wire/auth_message.hpp"
#include "wire/link_frame.hpp"

namespace barrel_p2p::testing {
namespace {

using transport::ConnectionId;
using transport::StreamKind;

// Pumps a RawPeer on its own thread while the test thread waits for node events.
class PumpThread {
 public:
  explicit PumpThread(RawPeer& peer)
      : thread_([this, &peer] {
          while (running_) peer.pump_for(5ms);
        }) {}
  ~PumpThread() {
    running_ = false;
    thread_.join();
  }

 private:
  std::atomic<bool> running_{true};
  std::thread thread_;
};

TEST(Attack, RelayTerminatingTlsOnBothLegsIsRejected) {
  TempDir dir;
  auto a = start_node(test_config("alice", dir.sub("a")));
  auto b = start_node(test_config("bob", dir.sub("b")));
  ASSERT_TRUE(a && b);
  auto relay = RawPeer::create();
  // The relay accepts alice with its own certificate, dials bob with its own certificate,
  // and forwards every stream byte verbatim in both directions.
  std::map<std::uint64_t, std::uint64_t> other_leg;
  std::map<std::uint64_t, std::vector<std::pair<StreamKind, core::Bytes>>> waiting;
  const std::string bob_address = b->address();
  relay->connected_hook = [&](ConnectionId id, const transport::ConnectionInfo& info) {
    if (info.role == transport::Role::server) {
      auto to_bob =
          relay->endpoint().connect(relay->now(), *core::SocketAddress::parse(bob_address));
      ASSERT_TRUE(to_bob);
      other_leg[id.value] = to_bob->value;
      other_leg[to_bob->value] = id.value;
      return;
    }
    for (auto& [kind, bytes] : waiting[id.value]) {
      (void)relay->endpoint().send(id, kind, std::move(bytes));
    }
    waiting.erase(id.value);
  };
  relay->data_hook = [&](ConnectionId id, StreamKind kind, core::ByteView data) {
    const std::uint64_t to = other_leg.at(id.value);
    if (relay->connected.count(to) == 0) {
      waiting[to].emplace_back(kind, core::Bytes(data.begin(), data.end()));
      return;
    }
    (void)relay->endpoint().send_copy(ConnectionId{to}, kind, data);
  };
  Result<std::string> outcome = fail(Errc::internal, "not run");
  {
    PumpThread pump(*relay);
    outcome = a->connect_and_wait(relay->address(), 5s);
  }
  ASSERT_FALSE(outcome) << "alice must not authenticate bob through the relay";
  std::vector<std::string> reasons;
  for (Node* node : {a.get(), b.get()}) {
    std::vector<Event> seen;
    wait_for<PeerUp>(
        *node, [](const PeerUp&) { return true; }, 300ms, &seen);
    for (auto& event : seen) {
      if (auto* failure = std::get_if<AuthFailure>(&event)) reasons.push_back(failure->reason);
    }
  }
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "bad_signature"), reasons.end())
      << "channel binding must make the forwarded signatures fail";
  EXPECT_TRUE(a->peers().empty());
  EXPECT_TRUE(b->peers().empty());
}

TEST(Attack, PeerThatNeverAnswersIsCutAtTheBudget) {
  TempDir dir;
  auto config = test_config("bob", dir.sub("b"));
  config.handshake_budget = 300ms;
  auto b = start_node(config);
  ASSERT_TRUE(b);
  auto silent = RawPeer::create();
  auto id = silent->connect(b->address());
  ASSERT_TRUE(id);
  // TLS completes, then the peer sends nothing at all.
  ASSERT_TRUE(silent->pump_until([&] { return silent->connected.count(id->value) > 0; }, 5s));
  ASSERT_TRUE(silent->pump_until([&] { return silent->closed.count(id->value) > 0; }, 5s))
      << "bob must close a connection that does not authenticate within the budget";
  auto failure = wait_for<AuthFailure>(*b, 1s);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->reason, "budget_exceeded");
  EXPECT_EQ(b->stats().auth_failed_by_reason["budget_exceeded"], 1U);
}

template <typename T>
const core::Bytes* find_sent(const ScriptedClient& client) {
  for (const core::Bytes& bytes : client.sent) {
    auto decoded = wire::decode_auth_message(bytes);
    if (decoded && std::holds_alternative<T>(*decoded)) return &bytes;
  }
  return nullptr;
}

TEST(Attack, ResponseReplayedFromAnEarlierConnectionFails) {
  TempDir dir;
  auto b = start_node(test_config("bob", dir.sub("b")));
  ASSERT_TRUE(b);
  auto raw = RawPeer::create();
  std::array<std::uint8_t, 32> seed{};
  seed.fill(7);
  const auth::KeyPair carol = auth::KeyPair::from_seed(seed);

  // Connection 1: a genuine authentication as carol, recorded.
  auto first_id = raw->connect(b->address());
  ASSERT_TRUE(first_id);
  ASSERT_TRUE(raw->pump_until([&] { return raw->connected.count(first_id->value) > 0; }, 5s));
  ScriptedClient first(*raw, *first_id, carol);
  first.start();
  raw->data_hook = [&](ConnectionId id, StreamKind, core::ByteView data) {
    if (id == *first_id) first.on_data(data, true);
  };
  raw->deliver_held(*first_id);
  ASSERT_TRUE(raw->pump_until([&] { return first.session->is_authenticated(); }, 5s));
  ASSERT_TRUE(wait_for<PeerUp>(
      *b, [](const PeerUp& up) { return up.peer == "carol"; }, 2s));
  const core::Bytes* hello = find_sent<wire::Hello>(first);
  const core::Bytes* challenge = find_sent<wire::Challenge>(first);
  const core::Bytes* response = find_sent<wire::Response>(first);
  ASSERT_TRUE(hello && challenge && response);

  // Connection 2: without the key, replay carol's recorded HELLO, CHALLENGE and RESPONSE.
  raw->data_hook = nullptr;  // bob's first messages are held until the replay's hook is set
  auto second_id = raw->connect(b->address());
  ASSERT_TRUE(second_id);
  ASSERT_TRUE(raw->pump_until([&] { return raw->connected.count(second_id->value) > 0; }, 5s));
  ScriptedClient second(*raw, *second_id, carol);
  second.send_raw(*hello);
  second.send_raw(*challenge);
  bool replayed = false;
  raw->data_hook = [&](ConnectionId id, StreamKind, core::ByteView data) {
    if (id != *second_id) return;
    second.on_data(data, false);
    const bool challenged = std::any_of(
        second.received.begin(), second.received.end(),
        [](const wire::AuthMessage& m) { return std::holds_alternative<wire::Challenge>(m); });
    if (challenged && !replayed) {
      replayed = true;
      second.send_raw(*response);
    }
  };
  raw->deliver_held(*second_id);
  ASSERT_TRUE(raw->pump_until([&] { return raw->closed.count(second_id->value) > 0; }, 5s));
  EXPECT_TRUE(replayed);
  auto failure = wait_for<AuthFailure>(*b, 2s);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->reason, "bad_signature");
  EXPECT_EQ(failure->peer, "carol");
}

}  // namespace
}  // namespace barrel_p2p::testing
