// Connection migration with real packets (issue 15, decision 0020): migrate_peer while process
// messages flow, its error paths, and a peer whose address changes without warning (NAT
// rebinding, through a UDP forwarder that switches its source port mid-run).
#include <poll.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "barrel_p2p/codec.hpp"
#include "core/socket_address.hpp"
#include "runtime/udp_socket.hpp"
#include "support/stream_support.hpp"
#include "support/test_support.hpp"

namespace barrel_p2p::testing {
namespace {

constexpr auto kWait = 10s;

/// A one-client UDP forwarder on 127.0.0.1: datagrams from the client go to `server` from an
/// upstream socket, the server's answers go back to the client. rebind() moves the upstream
/// socket to a new port (what a NAT does when it rebinds); drop_new_sources() drops datagrams
/// from any client address but the first (a path that loses every packet).
class Forwarder {
 public:
  explicit Forwarder(const std::string& server)
      : server_(*core::SocketAddress::parse(server)), front_(bind_loopback()) {
    upstreams_.push_back(std::make_unique<runtime::UdpSocket>(bind_loopback()));
    thread_ = std::thread([this] { run(); });
  }
  ~Forwarder() {
    stop_ = true;
    thread_.join();
  }
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  [[nodiscard]] std::string address() const { return front_.local_address().to_string(); }
  /// The next client datagrams leave from a new port; answers to the old one still return.
  void rebind() { rebind_ = true; }
  void drop_new_sources() { drop_new_ = true; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_.load(); }

 private:
  static runtime::UdpSocket bind_loopback() {
    auto socket = runtime::UdpSocket::bind(*core::SocketAddress::parse("127.0.0.1:0"));
    EXPECT_TRUE(socket) << socket.error().to_string();
    return std::move(socket).value();
  }

  void run() {
    // Only this thread touches the sockets once it runs.
    while (!stop_) {
      if (rebind_.exchange(false)) {
        upstreams_.push_back(std::make_unique<runtime::UdpSocket>(bind_loopback()));
      }
      std::vector<pollfd> fds;
      fds.push_back({front_.fd(), POLLIN, 0});
      for (auto& upstream : upstreams_) fds.push_back({upstream->fd(), POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 10) <= 0) continue;
      (void)front_.receive_batch(
          [&](const core::SocketAddress& from, core::ByteView data, std::uint8_t) {
            if (client_.empty()) client_ = from;
            if (!(from == client_)) {
              if (drop_new_) {
                ++dropped_;
                return;
              }
              client_ = from;  // the client moved: follow it
            }
            (void)upstreams_.back()->send(server_, data, std::max<std::size_t>(data.size(), 1), 0);
          });
      for (auto& upstream : upstreams_) {
        (void)upstream->receive_batch(
            [&](const core::SocketAddress&, core::ByteView data, std::uint8_t) {
              if (!client_.empty()) {
                (void)front_.send(client_, data, std::max<std::size_t>(data.size(), 1), 0);
              }
            });
      }
    }
  }

  core::SocketAddress server_;
  runtime::UdpSocket front_;
  std::vector<std::unique_ptr<runtime::UdpSocket>> upstreams_;
  core::SocketAddress client_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> rebind_{false};
  std::atomic<bool> drop_new_{false};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

void send_retrying(Mailbox& from, const Pid& to, const std::vector<std::uint8_t>& payload) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  for (;;) {
    auto sent = from.send(to, payload);
    if (sent) return;
    ASSERT_EQ(sent.error().code, Errc::limit_reached) << sent.error().to_string();
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "send stayed refused";
    std::this_thread::sleep_for(1ms);
  }
}

std::vector<std::uint8_t> numbered(std::uint32_t index, std::size_t size) {
  std::vector<std::uint8_t> payload(std::max<std::size_t>(size, 4),
                                    static_cast<std::uint8_t>(index));
  for (int byte = 0; byte < 4; ++byte)
    payload[byte] = static_cast<std::uint8_t>(index >> (8 * byte));
  return payload;
}

std::uint32_t number_of(const std::vector<std::uint8_t>& payload) {
  std::uint32_t index = 0;
  for (int byte = 0; byte < 4 && byte < static_cast<int>(payload.size()); ++byte) {
    index |= static_cast<std::uint32_t>(payload[byte]) << (8 * byte);
  }
  return index;
}

/// Drops the events queued on `node` (the PeerUp of linking).
void drain_events(Node& node) {
  while (node.next_event(20ms)) {
  }
}

/// No PeerUp or PeerDown is queued on `node` (drains its events).
void expect_no_link_events(Node& node) {
  while (auto event = node.next_event(50ms)) {
    EXPECT_FALSE(std::holds_alternative<PeerDown>(*event))
        << node.name() << ": PeerDown " << std::get<PeerDown>(*event).reason;
    EXPECT_FALSE(std::holds_alternative<PeerUp>(*event)) << node.name() << ": PeerUp";
  }
}

/// Sends kMessages numbered messages (every 1000th of 1 MiB) from `sender` on `from` to a
/// mailbox on `receiver`, calls `during` once a third is sent, and checks that every message
/// arrives once, in order, and that a monitor across the link sees no DOWN.
void flow_with(Node& from, Node& to, const std::function<void()>& during) {
  constexpr std::uint32_t kMessages = 10'000;
  auto inbox = to.mailbox(kMessages + 16);
  ASSERT_TRUE(inbox) << inbox.error().to_string();
  auto outbox = from.mailbox();
  ASSERT_TRUE(outbox) << outbox.error().to_string();
  auto watched = to.mailbox();
  ASSERT_TRUE(watched);
  ASSERT_TRUE((*outbox)->monitor((*watched)->self()));
  const Pid target = (*inbox)->self();
  std::atomic<std::uint32_t> received{0};
  std::atomic<bool> in_order{true};
  std::thread reader([&] {
    for (std::uint32_t expected = 0; expected < kMessages; ++expected) {
      auto envelope = (*inbox)->receive(kWait);
      if (!envelope) {
        ADD_FAILURE() << "message " << expected << " missing: " << envelope.error().to_string();
        return;
      }
      if (number_of(envelope->payload) != expected) in_order = false;
      received = expected + 1;
    }
  });
  std::thread side;
  for (std::uint32_t index = 0; index < kMessages; ++index) {
    const std::size_t size = index % 1000 == 999 ? 1024 * 1024 : 100;
    send_retrying(**outbox, target, numbered(index, size));
    if (index == kMessages / 3) side = std::thread(during);
  }
  side.join();
  reader.join();
  EXPECT_EQ(received.load(), kMessages);
  EXPECT_TRUE(in_order.load());
  // The monitored process is alive and its node reachable: no DOWN crossed the migration.
  auto down = (*outbox)->receive(100ms);
  EXPECT_FALSE(down) << "unexpected envelope of kind " << static_cast<int>(down->kind);
}

/// alice and bob linked through a Forwarder: alice dialed its address, bob sees the
/// forwarder's upstream socket as alice's address. Tests check `linked` first.
struct ForwardedPair {
  ForwardedPair() {
    a = start_node(test_config("alice", dir.sub("a")));
    b = start_node(test_config("bob", dir.sub("b")));
    if (!a || !b) return;
    forwarder = std::make_unique<Forwarder>(b->address());
    linked = a->connect_and_wait(forwarder->address(), kWait).has_value() &&
             wait_for<PeerUp>(*b).has_value();
    drain_events(*a);
  }
  TempDir dir;
  std::unique_ptr<Node> a;
  std::unique_ptr<Node> b;
  std::unique_ptr<Forwarder> forwarder;
  bool linked = false;
};

/// `total` pattern bytes on a tagged stream from `from` to `to`, written and read on threads
/// of their own. The reader stops once it has `pause_at` bytes until resume(), so a test can
/// move the link while the stream is mid-transfer (its windows and buffers full).
class Transfer {
 public:
  Transfer(Node& from, Node& to, const std::string& tag, std::size_t total, std::size_t pause_at)
      : total_(total), pause_at_(pause_at) {
    if (!to.register_acceptor(tag, inbox_.acceptor())) return;
    auto opened = from.open_stream(to.name(), tag);
    if (!opened) return;
    stream_ = *opened;
    writer_ = std::thread([this] { written_ = write_pattern(stream_, total_); });
    reader_ = std::thread([this] { read(); });
  }
  ~Transfer() {
    resume();
    if (writer_.joinable()) writer_.join();
    if (reader_.joinable()) reader_.join();
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  /// Waits (bounded) until the reader stopped at pause_at.
  bool paused() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return paused_; });
  }
  void resume() {
    std::lock_guard lock(mutex_);
    resumed_ = true;
    changed_.notify_all();
  }
  /// Waits for both ends: true when every byte was written and read back intact, in order.
  bool complete() {
    resume();
    if (writer_.joinable()) writer_.join();
    if (reader_.joinable()) reader_.join();
    return written_ && received_ == total_;
  }

 private:
  void read() {
    auto inbound = inbox_.take();
    if (!inbound) return;
    std::size_t offset = 0;
    for (;;) {
      if (offset >= pause_at_) {
        std::unique_lock lock(mutex_);
        paused_ = true;
        changed_.notify_all();
        if (!changed_.wait_for(lock, kWait * 3, [&] { return resumed_; })) return;
      }
      auto chunk = inbound->read(256 * 1024, 30s);
      if (!chunk) return;
      if (chunk->empty()) break;
      for (std::uint8_t byte : *chunk) {
        if (byte != pattern(offset++)) return;
      }
    }
    received_ = offset;
  }

  std::size_t total_;
  std::size_t pause_at_;
  Inbox inbox_;
  Stream stream_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool paused_ = false;
  bool resumed_ = false;
  std::atomic<bool> written_{false};
  std::atomic<std::size_t> received_{0};
  std::thread writer_;
  std::thread reader_;
};

/// A 32 MiB stream from alice to bob and an 8 MiB one back, both mid-transfer, and 10,000
/// messages while bob (the accepting side) migrates: every byte and message arrives.
void move_accepting_end_while_streams_flow(LinkedPair& pair) {
  drain_events(*pair.a);
  drain_events(*pair.b);
  Transfer to_bob(*pair.a, *pair.b, "bulk", 32 * kMiB, 8 * kMiB);
  Transfer to_alice(*pair.b, *pair.a, "back", 8 * kMiB, 2 * kMiB);
  flow_with(*pair.a, *pair.b, [&] {
    EXPECT_TRUE(to_bob.paused());
    EXPECT_TRUE(to_alice.paused());
    to_bob.resume();
    to_alice.resume();
    auto moved = pair.b->migrate_peer("alice", kWait);
    EXPECT_TRUE(moved) << moved.error().to_string();
  });
  EXPECT_TRUE(to_bob.complete());
  EXPECT_TRUE(to_alice.complete());
  EXPECT_EQ(pair.b->stats().migrations_ok, 1U);
  EXPECT_EQ(pair.a->stats().stream_resets_received, 0U);
  EXPECT_EQ(pair.b->stats().stream_resets_received, 0U);
}

/// bob, who accepted alice's connection, migrated once by asking alice to move it: still the
/// one connection alice dialed (no takeover), now on a new socket of bob's.
void expect_accepting_end_moved(LinkedPair& pair) {
  EXPECT_EQ(pair.a->stats().migrations_for_peers, 1U);
  EXPECT_EQ(pair.b->stats().link_takeovers, 0U);
  EXPECT_EQ(pair.a->stats().link_takeovers, 0U);
  EXPECT_EQ(pair.a->stats().connections, 1U);
  EXPECT_EQ(pair.b->stats().connections, 1U);
  auto path = pair.b->path_stats("alice");
  ASSERT_TRUE(path) << path.error().to_string();
  EXPECT_FALSE(path->dialed);
  EXPECT_NE(path->local_address, pair.b->address());
}

/// Nodes that keep their end of a connection they dialed where it is when the peer migrates.
void keep_ends(Config& config) { config.follow_peer_migrations = false; }

TEST(Migration, DialingSideMovesWhileMessagesFlow) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  drain_events(*pair.a);
  drain_events(*pair.b);
  const std::string listening = pair.a->address();
  auto before = pair.a->path_stats("bob");
  ASSERT_TRUE(before) << before.error().to_string();
  flow_with(*pair.a, *pair.b, [&] {
    auto moved = pair.a->migrate_peer("bob", kWait);
    EXPECT_TRUE(moved) << moved.error().to_string();
    // A second move retires the first new socket.
    auto again = pair.a->migrate_peer("bob", kWait);
    EXPECT_TRUE(again) << again.error().to_string();
  });
  EXPECT_EQ(pair.a->stats().migrations_ok, 2U);
  // The link left the listening socket for a new one; the listening port did not move.
  auto after = pair.a->path_stats("bob");
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_NE(after->local_address, before->local_address);
  EXPECT_EQ(after->remote_address, before->remote_address);
  EXPECT_TRUE(after->dialed);
  EXPECT_EQ(pair.a->address(), listening);
  // bob validated alice's new address (at least the last one: a second move that comes while
  // bob still validates the first supersedes that validation).
  EXPECT_TRUE(eventually([&] { return pair.b->stats().peer_address_changes >= 1; }));
  EXPECT_EQ(pair.a->peers(), std::vector<std::string>{"bob"});
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
  // Replies travel the new path too.
  auto echo =
      pair.b->spawn([](Process& self, Envelope&& call) { (void)self.reply(call, call.payload); });
  ASSERT_TRUE(echo);
  auto reply = pair.a->call(*echo, bytes_of("after"), kWait).get();
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(text_of(*reply), "after");
}

// The accepting side (decision 0036): bob asks alice to move the connection to his new
// socket; she moves it with a QUIC migration to a socket of her own; the same connection
// carries on, validated by bob's QUIC.
TEST(Migration, AcceptingSideMovesWhileMessagesFlow) {
  LinkedPair pair;  // alice dialed: bob is the accepting side
  ASSERT_TRUE(pair.linked);
  drain_events(*pair.a);
  drain_events(*pair.b);
  auto before = pair.a->path_stats("bob");
  ASSERT_TRUE(before) << before.error().to_string();
  // alice keeps sending to bob while bob moves his end of the connection.
  flow_with(*pair.a, *pair.b, [&] {
    auto moved = pair.b->migrate_peer("alice", kWait);
    EXPECT_TRUE(moved) << moved.error().to_string();
  });
  EXPECT_EQ(pair.b->stats().migrations_ok, 1U);
  expect_accepting_end_moved(pair);
  auto moved_b = pair.b->path_stats("alice");
  ASSERT_TRUE(moved_b) << moved_b.error().to_string();
  auto moved_a = pair.a->path_stats("bob");
  ASSERT_TRUE(moved_a) << moved_a.error().to_string();
  EXPECT_TRUE(moved_a->dialed);
  EXPECT_NE(moved_a->local_address, before->local_address);
  EXPECT_EQ(moved_a->remote_address, moved_b->local_address);
  EXPECT_EQ(moved_b->remote_address, moved_a->local_address);
  EXPECT_EQ(pair.a->peers(), std::vector<std::string>{"bob"});
  EXPECT_EQ(pair.b->peers(), std::vector<std::string>{"alice"});
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
  // bob moves again (his previous new socket is given up), and so does alice, as the client.
  auto again = pair.b->migrate_peer("alice", kWait);
  EXPECT_TRUE(again) << again.error().to_string();
  auto third = pair.b->path_stats("alice");
  ASSERT_TRUE(third);
  EXPECT_NE(third->local_address, moved_b->local_address);
  // And the other direction flows in order across a move of the accepting end too.
  flow_with(*pair.b, *pair.a, [&] {
    auto moved = pair.b->migrate_peer("alice", kWait);
    EXPECT_TRUE(moved) << moved.error().to_string();
  });
  auto by_client = pair.a->migrate_peer("bob", kWait);
  EXPECT_TRUE(by_client) << by_client.error().to_string();
  EXPECT_EQ(pair.b->stats().migrations_ok, 3U);
  EXPECT_EQ(pair.a->stats().migrations_ok, 1U);
  EXPECT_EQ(pair.a->stats().migrations_for_peers, 3U);
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
}

// The scenario: a 32 MiB stream mid-transfer and 10,000 messages while the dialing
// side moves (a QUIC migration: the stream moves with the connection).
TEST(Migration, DialingSideMovesWhileA32MiBStreamAndMessagesFlow) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  drain_events(*pair.a);
  drain_events(*pair.b);
  Transfer transfer(*pair.a, *pair.b, "bulk", 32 * kMiB, 8 * kMiB);
  flow_with(*pair.a, *pair.b, [&] {
    EXPECT_TRUE(transfer.paused());
    transfer.resume();  // bytes flow again while the path changes
    auto moved = pair.a->migrate_peer("bob", kWait);
    EXPECT_TRUE(moved) << moved.error().to_string();
  });
  EXPECT_TRUE(transfer.complete());
  EXPECT_EQ(pair.a->stats().migrations_ok, 1U);
  EXPECT_EQ(pair.a->stats().link_takeovers, 0U);
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
}

// The same from the accepting side: the connection moves, so streams in both directions move
// with it (decision 0036).
TEST(Migration, AcceptingSideMovesWhileA32MiBStreamAndMessagesFlow) {
  LinkedPair pair;  // alice dialed: bob is the accepting side
  ASSERT_TRUE(pair.linked);
  move_accepting_end_while_streams_flow(pair);
  expect_accepting_end_moved(pair);  // the streams moved with the connection
  // A stream opened now runs on the moved connection.
  Transfer after(*pair.a, *pair.b, "after", 2 * kMiB, 0);
  EXPECT_TRUE(after.complete());
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
}

// A peer that keeps its end on its listening socket (follow_peer_migrations off) answers
// UNABLE: the accepting side dials it from its new socket and that connection takes the link
// over, in order (decisions 0020 and 0036).
TEST(Migration, AcceptingSideTakesOverWhenThePeerDoesNotFollow) {
  LinkedPair pair(keep_ends);  // alice dialed: bob is the accepting side
  ASSERT_TRUE(pair.linked);
  drain_events(*pair.a);
  drain_events(*pair.b);
  // alice keeps sending to bob while bob moves the link to a connection he dials.
  flow_with(*pair.a, *pair.b, [&] {
    auto moved = pair.b->migrate_peer("alice", kWait);
    EXPECT_TRUE(moved) << moved.error().to_string();
  });
  EXPECT_EQ(pair.b->stats().migrations_ok, 1U);
  EXPECT_EQ(pair.b->stats().link_takeovers, 1U);
  EXPECT_EQ(pair.a->stats().migrations_for_peers, 0U);
  // The link now runs on a connection bob dialed from his new socket.
  auto taken = pair.b->path_stats("alice");
  ASSERT_TRUE(taken) << taken.error().to_string();
  EXPECT_TRUE(taken->dialed);
  EXPECT_NE(taken->local_address, pair.b->address());
  EXPECT_TRUE(eventually([&] { return pair.a->stats().link_takeovers == 1; }));
  EXPECT_EQ(pair.a->peers(), std::vector<std::string>{"bob"});
  EXPECT_EQ(pair.b->peers(), std::vector<std::string>{"alice"});
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
  // bob's link now runs on a connection he dialed: he can migrate it as a client too.
  auto again = pair.b->migrate_peer("alice", kWait);
  EXPECT_TRUE(again) << again.error().to_string();
  // And the other direction flows in order across a takeover too.
  flow_with(*pair.b, *pair.a, [&] {
    auto moved = pair.a->migrate_peer("bob", kWait);
    EXPECT_TRUE(moved) << moved.error().to_string();
  });
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
}

// A takeover with streams: streams opened on the old connection, in both directions, finish
// there while the link moves to the new one; the old connection closes once they ended.
TEST(Migration, AcceptingSideTakeoverKeepsStreamsAndMessagesFlowing) {
  LinkedPair pair(keep_ends);  // alice dialed: bob is the accepting side
  ASSERT_TRUE(pair.linked);
  move_accepting_end_while_streams_flow(pair);
  EXPECT_EQ(pair.b->stats().link_takeovers, 1U);
  // The retired connection goes once its streams ended: one connection each.
  EXPECT_TRUE(eventually([&] { return pair.a->stats().connections == 1; }));
  EXPECT_TRUE(eventually([&] { return pair.b->stats().connections == 1; }));
  auto path = pair.b->path_stats("alice");
  ASSERT_TRUE(path) << path.error().to_string();
  EXPECT_TRUE(path->dialed);
  // A stream opened now runs on the new connection.
  Transfer after(*pair.a, *pair.b, "after", 2 * kMiB, 0);
  EXPECT_TRUE(after.complete());
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
}

// A QUIC migration starts the new path's congestion control afresh (RFC 9000 §9.4).
TEST(Migration, PathStatisticsStartAfreshOnTheNewPath) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  {
    Transfer warm(*pair.a, *pair.b, "warm", 16 * kMiB, 0);  // grows the window
    ASSERT_TRUE(warm.complete());
  }
  auto before = pair.a->path_stats("bob");
  ASSERT_TRUE(before) << before.error().to_string();
  auto moved = pair.a->migrate_peer("bob", kWait);
  ASSERT_TRUE(moved) << moved.error().to_string();
  auto after = pair.a->path_stats("bob");
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_NE(after->local_address, before->local_address);
  EXPECT_LT(after->congestion_window, before->congestion_window)
      << "before " << before->congestion_window << ", after " << after->congestion_window;
}

// A second migrate_peer while the first still validates its path is refused with busy; the
// first ends on its own and the old path stays usable.
TEST(Migration, ASecondMigrationWhileOneIsInProgressIsBusy) {
  ForwardedPair pair;
  ASSERT_TRUE(pair.linked);
  pair.forwarder->drop_new_sources();  // the new path never validates
  std::optional<Result<void>> first;
  std::thread mover([&] { first = pair.a->migrate_peer("bob", 2s); });
  // Once the forwarder drops probes, the first migration is validating (for seconds: a
  // lost path takes QUIC three probe timeouts of at least the initial RTT to give up).
  const bool probing = eventually([&] { return pair.forwarder->dropped() > 0; });
  auto second = pair.a->migrate_peer("bob", 1s);
  mover.join();
  ASSERT_TRUE(probing);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::busy) << second.error().to_string();
  EXPECT_NE(second.error().message.find("in progress"), std::string::npos);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(*first);
  ASSERT_TRUE(pair.a->send("bob", Channel::data, bytes_of("old path")));
  auto there = wait_for<Message>(*pair.b);
  ASSERT_TRUE(there);
  EXPECT_EQ(text_of(there->payload), "old path");
}

/// alice and bob joined (bob dialed): three migrations, alternating sides, leave both active
/// views and the membership events untouched. `follow`: Config::follow_peer_migrations on
/// both (off: the accepting side's migrations are takeovers).
void expect_views_unchanged_across_migrations(bool follow) {
  TempDir dir;
  auto config = [&](const std::string& name) {
    Config out = test_config(name, dir.sub(name));
    out.follow_peer_migrations = follow;
    return out;
  };
  auto a = start_node(config("alice"));
  auto b = start_node(config("bob"));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(b->join(a->address()));  // bob dials alice: alice is the accepting side
  ASSERT_TRUE(
      eventually([&] { return a->active_view().size() == 1 && b->active_view().size() == 1; }));
  std::atomic<int> events{0};
  auto on_a = a->on_membership_event([&](const MembershipEvent&) { ++events; });
  auto on_b = b->on_membership_event([&](const MembershipEvent&) { ++events; });
  ASSERT_TRUE(on_a && on_b);
  const auto view_a = a->active_view();
  const auto view_b = b->active_view();
  auto first = a->migrate_peer("bob", kWait);  // alice accepted: bob moves it, or a takeover
  ASSERT_TRUE(first) << first.error().to_string();
  auto second = b->migrate_peer("alice", kWait);  // bob dialed, or alice's takeover: either
  ASSERT_TRUE(second) << second.error().to_string();
  auto third = a->migrate_peer("bob", kWait);
  ASSERT_TRUE(third) << third.error().to_string();
  EXPECT_EQ(a->stats().link_takeovers + b->stats().migrations_for_peers, follow ? 2U : 3U);
  std::this_thread::sleep_for(200ms);  // time for a membership change to show, if any came
  EXPECT_EQ(a->active_view(), view_a);
  EXPECT_EQ(b->active_view(), view_b);
  EXPECT_EQ(events.load(), 0);
  EXPECT_EQ(a->stats().membership_failures, 0U);
  EXPECT_EQ(b->stats().membership_failures, 0U);
}

TEST(Migration, HyParViewNeighboursDoNotChange) { expect_views_unchanged_across_migrations(true); }

TEST(Migration, HyParViewNeighboursDoNotChangeAcrossTakeovers) {
  expect_views_unchanged_across_migrations(false);
}

TEST(Migration, NotConnectedIsNotFound) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  auto moved = pair.a->migrate_peer("carol", 1s);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::not_found);
  EXPECT_NE(moved.error().message.find("no authenticated link"), std::string::npos);
  EXPECT_EQ(pair.a->stats().migrations_failed, 1U);
}

// A node listening on the wildcard address binds its new socket there too, and its MOVE names
// an unspecified host: the peer keeps the host it already sends to, with the new port.
TEST(Migration, AcceptingSideListeningOnTheWildcardAddressMoves) {
  TempDir dir;
  Config config_b = test_config("bob", dir.sub("b"));
  config_b.listen_address = "0.0.0.0:0";
  config_b.membership.advertise_address = "127.0.0.1:1";  // required with a wildcard; unused
  auto a = start_node(test_config("alice", dir.sub("a")));
  auto b = start_node(std::move(config_b));
  ASSERT_TRUE(a && b);
  auto port = b->address().substr(b->address().rfind(':'));
  ASSERT_TRUE(a->connect_and_wait("127.0.0.1" + port, kWait));
  ASSERT_TRUE(wait_for<PeerUp>(*b));
  auto moved = b->migrate_peer("alice", kWait);
  ASSERT_TRUE(moved) << moved.error().to_string();
  EXPECT_EQ(a->stats().migrations_for_peers, 1U);
  auto path = a->path_stats("bob");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->remote_address.rfind("127.0.0.1:", 0), 0U) << path->remote_address;
  EXPECT_NE(path->remote_address, "127.0.0.1" + port);
  ASSERT_TRUE(a->send("bob", Channel::data, bytes_of("moved")));
  auto message = wait_for<Message>(*b);
  ASSERT_TRUE(message);
  EXPECT_EQ(text_of(message->payload), "moved");
}

TEST(Migration, BadLocalAddressIsInvalidArgument) {
  LinkedPair pair;  // alice dialed: bob is the accepting side
  ASSERT_TRUE(pair.linked);
  for (Node* node : {pair.a.get(), pair.b.get()}) {
    auto moved = node->migrate_peer(node == pair.a.get() ? "bob" : "alice", kWait, "no address");
    ASSERT_FALSE(moved);
    EXPECT_EQ(moved.error().code, Errc::invalid_argument) << moved.error().to_string();
    EXPECT_NE(moved.error().message.find("local_address"), std::string::npos);
  }
  EXPECT_EQ(pair.a->stats().migrations_failed, 1U);
  EXPECT_EQ(pair.b->stats().migrations_failed, 1U);
}

// bob asks alice to move to an IPv6 socket while she reaches him over IPv4: she cannot
// (UNABLE), and bob's takeover from that socket cannot reach her IPv4 address either.
TEST(Migration, AcceptingSideFailsWhenThePeerCannotMoveAndTheTakeoverFails) {
  LinkedPair pair;  // alice dialed: bob is the accepting side
  ASSERT_TRUE(pair.linked);
  drain_events(*pair.a);
  drain_events(*pair.b);
  auto moved = pair.b->migrate_peer("alice", kWait, "[::1]:0");
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::unreachable) << moved.error().to_string();
  EXPECT_NE(moved.error().message.find("takeover connection"), std::string::npos)
      << moved.error().message;
  EXPECT_EQ(pair.b->stats().migrations_failed, 1U);
  EXPECT_EQ(pair.a->stats().migrations_for_peers, 0U);
  EXPECT_EQ(pair.b->stats().link_takeovers, 0U);
  auto path = pair.b->path_stats("alice");  // the link stays where it was
  ASSERT_TRUE(path);
  EXPECT_EQ(path->local_address, pair.b->address());
  ASSERT_TRUE(pair.a->send("bob", Channel::data, bytes_of("still here")));
  auto message = wait_for<Message>(*pair.b);
  ASSERT_TRUE(message);
  EXPECT_EQ(text_of(message->payload), "still here");
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
}

TEST(Migration, PeerThatDisabledMigrationRefusesIt) {
  LinkedPair pair([](Config& config) { config.disable_active_migration = true; });
  ASSERT_TRUE(pair.linked);
  auto moved = pair.a->migrate_peer("bob", kWait);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::unreachable);
  EXPECT_NE(moved.error().message.find("disabled active migration"), std::string::npos)
      << moved.error().message;
  EXPECT_EQ(pair.a->stats().migrations_failed, 1U);
  // From the accepting side too: alice refuses to move the connection for bob.
  auto asked = pair.b->migrate_peer("alice", kWait);
  ASSERT_FALSE(asked);
  EXPECT_EQ(asked.error().code, Errc::unreachable);
  EXPECT_NE(asked.error().message.find("disabled active migration"), std::string::npos)
      << asked.error().message;
  EXPECT_EQ(pair.b->stats().migrations_failed, 1U);
  EXPECT_EQ(pair.b->stats().link_takeovers, 0U);
  // The link is untouched, on its first sockets.
  auto path = pair.b->path_stats("alice");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->local_address, pair.b->address());
  ASSERT_TRUE(pair.a->send("bob", Channel::data, bytes_of("still here")));
  auto message = wait_for<Message>(*pair.b);
  ASSERT_TRUE(message);
  EXPECT_EQ(text_of(message->payload), "still here");
  ASSERT_TRUE(pair.b->send("alice", Channel::data, bytes_of("and here")));
  auto back = wait_for<Message>(*pair.a);
  ASSERT_TRUE(back);
  EXPECT_EQ(text_of(back->payload), "and here");
}

TEST(Migration, TimeoutLeavesTheOldPathUsable) {
  ForwardedPair pair;
  ASSERT_TRUE(pair.linked);
  Node& a = *pair.a;
  Node& b = *pair.b;
  Forwarder& forwarder = *pair.forwarder;
  forwarder.drop_new_sources();  // the new path loses every packet
  auto moved = a.migrate_peer("bob", 300ms);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::timeout) << moved.error().to_string();
  EXPECT_NE(moved.error().message.find("old path"), std::string::npos);
  EXPECT_GT(forwarder.dropped(), 0U);
  EXPECT_EQ(a.stats().migrations_timed_out, 1U);
  // The old path carries messages both ways.
  ASSERT_TRUE(a.send("bob", Channel::data, bytes_of("old path")));
  auto there = wait_for<Message>(b);
  ASSERT_TRUE(there);
  EXPECT_EQ(text_of(there->payload), "old path");
  ASSERT_TRUE(b.send("alice", Channel::data, bytes_of("and back")));
  auto back = wait_for<Message>(a);
  ASSERT_TRUE(back);
  EXPECT_EQ(text_of(back->payload), "and back");
  expect_no_link_events(a);
  expect_no_link_events(b);
}

TEST(Migration, NatRebindingKeepsTheConnection) {
  ForwardedPair pair;
  ASSERT_TRUE(pair.linked);
  flow_with(*pair.a, *pair.b, [&] { pair.forwarder->rebind(); });
  // bob validated alice's new address and kept the connection.
  EXPECT_TRUE(eventually([&] { return pair.b->stats().peer_address_changes >= 1; }));
  EXPECT_EQ(pair.b->peers(), std::vector<std::string>{"alice"});
  expect_no_link_events(*pair.a);
  expect_no_link_events(*pair.b);
}

}  // namespace
}  // namespace barrel_p2p::testing
