// The relay seam with real packets (issue 15 deliverables 4 and 5, decision 0022): node "a"
// dials node "b" through the example UDP relay (examples/relay: a relay thread with its own
// socket, the adapter a hands to set_connect_options, the gateway in front of b's UDP port).
// A session through it; a relay that corrupts datagrams or replays them (also a whole
// recorded handshake to a fresh node) cannot get in; the options are consumed once; the
// errors of set_connect_options; the receive queue's bound.
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>

#include "barrel_p2p/codec.hpp"
#include "core/socket_address.hpp"
#include "relay/udp_relay_adapter.hpp"
#include "relay/udp_relay_server.hpp"
#include "runtime/udp_socket.hpp"
#include "support/test_support.hpp"

namespace barrel_p2p::testing {
namespace {

constexpr std::uint64_t kSession = 7;
constexpr std::size_t kMiB = 1024 * 1024;

/// Forwards to an inner transport and counts start() and stop() (any thread reads them).
class CountingTransport final : public DatagramTransport {
 public:
  explicit CountingTransport(std::shared_ptr<DatagramTransport> inner) : inner_(std::move(inner)) {}
  Result<void> start(Receiver receiver) override {
    ++starts;
    return inner_->start(std::move(receiver));
  }
  Result<void> send(std::span<const std::uint8_t> datagram) override {
    return inner_->send(datagram);
  }
  void stop() override {
    ++stops;
    inner_->stop();
  }
  std::atomic<int> starts{0};
  std::atomic<int> stops{0};

 private:
  std::shared_ptr<DatagramTransport> inner_;
};

/// Node b behind a gateway, node a, and the relay between them.
struct RelayedPair {
  explicit RelayedPair(relay_example::UdpRelay::Filter filter = {}) {
    relay_example::UdpRelay::Options options;
    options.filter = std::move(filter);
    auto started = relay_example::UdpRelay::start(std::move(options));
    EXPECT_TRUE(started);
    relay = std::move(started).value();
    b = start_node(test_config("b", dir.sub("b")));
    a = start_node(test_config("a", dir.sub("a")));
    auto opened = relay_example::UdpRelayGateway::start(relay->address(), kSession, b->address());
    EXPECT_TRUE(opened);
    gateway = std::move(opened).value();
  }

  /// The adapter for a's next connection to b, wrapped to count its start and stop.
  std::shared_ptr<CountingTransport> use_relay() {
    auto transport = std::make_shared<CountingTransport>(
        std::make_shared<relay_example::UdpRelayAdapter>(relay->address(), kSession));
    ConnectOptions options;
    options.transport = transport;
    auto set = a->set_connect_options("b", options);
    EXPECT_TRUE(set) << set.error().to_string();
    return transport;
  }

  /// Connects a to b (through the relay when use_relay() ran) and waits until both sides hold
  /// the link.
  Result<std::string> connect(std::chrono::milliseconds timeout = 10s) {
    auto peer = a->connect_and_wait(b->contact(), timeout);
    if (peer && !eventually([&] { return b->peers() == std::vector<std::string>{"a"}; })) {
      return fail(Errc::timeout, "b never saw the link");
    }
    return peer;
  }

  TempDir dir;
  std::unique_ptr<relay_example::UdpRelay> relay;
  std::unique_ptr<Node> b;
  std::unique_ptr<Node> a;
  std::unique_ptr<relay_example::UdpRelayGateway> gateway;
};

Bytes numbered(std::uint32_t seq, std::size_t size) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(seq * 31 + i * 7);
  std::memcpy(out.data(), &seq, sizeof(seq));
  return out;
}

/// Sends `count` numbered messages from `from` to `to` (bounded retries on a full queue).
void send_numbered(Node& from, const std::string& to, std::uint32_t count) {
  for (std::uint32_t seq = 0; seq < count; ++seq) {
    const Bytes payload = numbered(seq, 64 + seq % 900);
    Result<void> sent = fail(Errc::closed, "not sent");
    for (int attempt = 0; attempt < 1000 && !sent; ++attempt) {
      sent = from.send(to, Channel::data, payload);
      if (!sent && sent.error().code == Errc::limit_reached) std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(sent) << sent.error().to_string();
  }
}

/// Reads `count` numbered messages on `node` in order; every message must be intact (a
/// corrupted or repeated one fails the test). Returns how many arrived within `timeout`.
/// PeerUp and PeerDown events seen meanwhile are counted in `link_events` when given.
std::uint32_t receive_numbered(Node& node, std::uint32_t count, std::chrono::milliseconds timeout,
                               int* link_events = nullptr) {
  std::uint32_t next = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (next < count && std::chrono::steady_clock::now() < deadline) {
    auto event = node.next_event(50ms);
    if (link_events != nullptr && event &&
        (std::holds_alternative<PeerUp>(*event) || std::holds_alternative<PeerDown>(*event))) {
      ++*link_events;
    }
    auto* message = event ? std::get_if<Message>(&*event) : nullptr;
    if (message == nullptr) continue;
    EXPECT_EQ(message->payload, numbered(next, 64 + next % 900)) << "message " << next;
    if (message->payload != numbered(next, 64 + next % 900)) return next;
    ++next;
  }
  return next;
}

/// True when no PeerUp or Message arrives on `node` within `window` (bounded).
bool quiet(Node& node, std::chrono::milliseconds window) {
  const auto deadline = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < deadline) {
    auto event = node.next_event(20ms);
    if (event &&
        (std::holds_alternative<PeerUp>(*event) || std::holds_alternative<Message>(*event))) {
      return false;
    }
  }
  return true;
}

TEST(Relay, AuthenticatedSessionThroughTheAdapter) {
  RelayedPair pair;
  auto transport = pair.use_relay();
  auto peer = pair.connect();
  ASSERT_TRUE(peer) << peer.error().to_string();
  EXPECT_EQ(*peer, "b");
  EXPECT_EQ(transport->starts.load(), 1);
  auto path = pair.a->path_stats("b");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->local_address.rfind("0.", 0), 0U) << path->local_address;  // virtual
  EXPECT_EQ(path->remote_address, pair.b->address());

  // Messages both ways, in order.
  send_numbered(*pair.a, "b", 300);
  EXPECT_EQ(receive_numbered(*pair.b, 300, 20s), 300U);
  send_numbered(*pair.b, "a", 300);
  EXPECT_EQ(receive_numbered(*pair.a, 300, 20s), 300U);

  // A call to a process of b.
  auto echo = pair.b->spawn([](Process& self, Envelope&& message) {
    if (message.kind == EnvelopeKind::call) (void)self.reply(message, message.payload);
  });
  ASSERT_TRUE(echo);
  auto mailbox = pair.a->mailbox();
  ASSERT_TRUE(mailbox);
  auto reply = (*mailbox)->call(*echo, encode(std::string("over the relay")), 10s).get();
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(decode<std::string>(*reply).value_or(""), "over the relay");

  // A tagged stream of 8 MiB, checked byte for byte.
  std::mutex mutex;
  std::condition_variable ready;
  std::optional<Stream> inbound;
  ASSERT_TRUE(pair.b->register_acceptor("bulk", [&](Stream stream) {
    std::lock_guard lock(mutex);
    inbound = std::move(stream);
    ready.notify_all();
  }));
  auto outbound = pair.a->open_stream("b", "bulk");
  ASSERT_TRUE(outbound) << outbound.error().to_string();
  std::thread writer([&] {
    for (std::uint32_t block = 0; block < 8; ++block) {
      const Bytes bytes = numbered(block, kMiB);
      auto written = outbound->write(bytes, 30s);
      ASSERT_TRUE(written && *written == bytes.size());
    }
    EXPECT_TRUE(outbound->finish());
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(ready.wait_for(lock, 10s, [&] { return inbound.has_value(); }));
  }
  Bytes received;
  for (int reads = 0; reads < 100'000 && received.size() <= 8 * kMiB; ++reads) {
    auto chunk = inbound->read(256 * 1024, 30s);
    ASSERT_TRUE(chunk) << chunk.error().to_string();
    if (chunk->empty()) break;
    received.insert(received.end(), chunk->begin(), chunk->end());
  }
  writer.join();
  ASSERT_EQ(received.size(), 8 * kMiB);
  for (std::uint32_t block = 0; block < 8; ++block) {
    const Bytes expected = numbered(block, kMiB);
    ASSERT_TRUE(std::equal(expected.begin(), expected.end(), received.begin() + block * kMiB));
  }
  const NodeStats stats = pair.a->stats();
  EXPECT_GT(stats.relay_datagrams_sent, 8 * kMiB / kMaxRelayDatagramSize);
  EXPECT_GT(stats.relay_datagrams_received, 0U);
  EXPECT_GT(pair.relay->forwarded(), stats.relay_datagrams_sent / 2);
}

TEST(Relay, RelayFlippingEveryHandshakeDatagramNeverAuthenticates) {
  std::atomic<std::uint64_t> flipped{0};
  RelayedPair pair([&](std::size_t, std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> copy(payload.begin(), payload.end());
    copy[copy.size() / 2] ^= 0x20U;
    ++flipped;
    return std::vector<std::vector<std::uint8_t>>{copy};
  });
  pair.use_relay();
  auto peer = pair.a->connect_and_wait(pair.b->contact(), 3s);
  EXPECT_FALSE(peer);
  EXPECT_GT(flipped.load(), 0U);
  EXPECT_TRUE(pair.a->peers().empty());
  EXPECT_TRUE(pair.b->peers().empty());
  EXPECT_EQ(pair.a->stats().auth_succeeded, 0U);
  EXPECT_EQ(pair.b->stats().auth_succeeded, 0U);
  EXPECT_TRUE(quiet(*pair.b, 200ms));
}

TEST(Relay, RelayCorruptingSomeDatagramsNeverDeliversACorruptMessage) {
  std::atomic<std::uint64_t> seen{0};
  RelayedPair pair([&](std::size_t, std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> copy(payload.begin(), payload.end());
    if (++seen % 5 == 0) copy[copy.size() - 1 - (seen % copy.size())] ^= 0x01U;
    return std::vector<std::vector<std::uint8_t>>{copy};
  });
  pair.use_relay();
  auto peer = pair.connect();
  if (!peer) {
    // Allowed outcome: the handshake failed. Then no link exists anywhere.
    EXPECT_TRUE(pair.b->peers().empty());
    EXPECT_EQ(pair.b->stats().auth_succeeded, 0U);
    return;
  }
  send_numbered(*pair.a, "b", 500);
  send_numbered(*pair.b, "a", 500);
  // Every message that arrives is intact and in order (receive_numbered checks each one);
  // QUIC drops the corrupted packets and retransmits, so all of them arrive.
  EXPECT_EQ(receive_numbered(*pair.b, 500, 30s), 500U);
  EXPECT_EQ(receive_numbered(*pair.a, 500, 30s), 500U);
  EXPECT_GT(pair.b->stats().datagrams_received, 0U);
}

TEST(Relay, ReplayedDatagramsAreNeverDeliveredTwice) {
  std::mutex mutex;
  std::vector<std::vector<std::uint8_t>> history[2];
  RelayedPair pair([&](std::size_t from, std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> copy(payload.begin(), payload.end());
    std::lock_guard lock(mutex);
    auto& past = history[from];
    std::vector<std::vector<std::uint8_t>> out{copy, copy};        // every datagram twice
    if (past.size() >= 10) out.push_back(past[past.size() - 10]);  // and an old one again
    if (past.size() < 4096) past.push_back(std::move(copy));
    return out;
  });
  pair.use_relay();
  auto peer = pair.connect();
  ASSERT_TRUE(peer) << peer.error().to_string();
  send_numbered(*pair.a, "b", 400);
  send_numbered(*pair.b, "a", 400);
  EXPECT_EQ(receive_numbered(*pair.b, 400, 20s), 400U);
  EXPECT_EQ(receive_numbered(*pair.a, 400, 20s), 400U);
  // Replays of old datagrams go on (keep-alives); none becomes a message again.
  for (std::size_t from = 0; from < 2; ++from) {
    std::vector<std::vector<std::uint8_t>> old;
    {
      std::lock_guard lock(mutex);
      old = history[from];
    }
    for (const auto& datagram : old) pair.relay->inject(kSession, 1 - from, datagram);
  }
  EXPECT_TRUE(quiet(*pair.a, 300ms));
  EXPECT_TRUE(quiet(*pair.b, 300ms));
  EXPECT_EQ(pair.a->peers(), std::vector<std::string>{"b"});
}

TEST(Relay, ReplayedHandshakeToAFreshNodeGetsNoLink) {
  std::mutex mutex;
  std::vector<std::vector<std::uint8_t>> recorded;  // what a sent, in order
  RelayedPair pair([&](std::size_t from, std::span<const std::uint8_t> payload) {
    std::lock_guard lock(mutex);
    if (from == 1 && recorded.size() < 4096) recorded.emplace_back(payload.begin(), payload.end());
    return std::vector<std::vector<std::uint8_t>>{{payload.begin(), payload.end()}};
  });
  pair.use_relay();
  auto peer = pair.connect();
  ASSERT_TRUE(peer) << peer.error().to_string();
  send_numbered(*pair.a, "b", 20);
  EXPECT_EQ(receive_numbered(*pair.b, 20, 10s), 20U);
  ASSERT_TRUE(pair.a->disconnect("b", "done"));
  ASSERT_TRUE(eventually([&] { return pair.b->peers().empty(); }));
  std::vector<std::vector<std::uint8_t>> handshake;
  {
    std::lock_guard lock(mutex);
    handshake = recorded;
  }
  ASSERT_GT(handshake.size(), 3U);

  // The whole recording, from a socket of the relay's host, to a fresh node and to b again.
  auto fresh = start_node(test_config("b", pair.dir.sub("fresh")));
  ASSERT_TRUE(fresh);
  const std::uint64_t b_succeeded = pair.b->stats().auth_succeeded;
  auto socket = runtime::UdpSocket::bind(*core::SocketAddress::parse("127.0.0.1:0"));
  ASSERT_TRUE(socket);
  for (const std::string& target : {fresh->address(), pair.b->address()}) {
    const auto to = *core::SocketAddress::parse(target);
    for (int round = 0; round < 2; ++round) {
      for (const auto& datagram : handshake) {
        (void)socket->send(to, datagram, datagram.size(), 0);
        std::this_thread::sleep_for(100us);
      }
    }
  }
  EXPECT_TRUE(quiet(*fresh, 500ms));
  EXPECT_TRUE(fresh->peers().empty());
  EXPECT_EQ(fresh->stats().auth_succeeded, 0U);
  EXPECT_TRUE(pair.b->peers().empty());
  EXPECT_EQ(pair.b->stats().auth_succeeded, b_succeeded);
}

TEST(Relay, OptionsAreConsumedOnceAndReleasedWithTheConnection) {
  RelayedPair pair;
  auto transport = pair.use_relay();
  ASSERT_TRUE(pair.connect());
  ASSERT_TRUE(pair.a->disconnect("b", "done"));
  ASSERT_TRUE(eventually([&] { return pair.a->peers().empty() && pair.b->peers().empty(); }));
  // Closing the connection released the transport.
  EXPECT_TRUE(eventually([&] { return transport->stops.load() == 1; }));
  const std::uint64_t sent = pair.a->stats().relay_datagrams_sent;
  auto again = pair.connect();
  ASSERT_TRUE(again) << again.error().to_string();
  auto path = pair.a->path_stats("b");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->local_address, pair.a->address());  // UDP again
  send_numbered(*pair.a, "b", 10);
  EXPECT_EQ(receive_numbered(*pair.b, 10, 10s), 10U);
  EXPECT_EQ(pair.a->stats().relay_datagrams_sent, sent);
  EXPECT_EQ(transport->starts.load(), 1);
  // Unused options are released without being started when the node stops.
  ASSERT_TRUE(pair.a->disconnect("b", "done"));
  ASSERT_TRUE(eventually([&] { return pair.a->peers().empty(); }));
  auto unused = pair.use_relay();
  pair.a->stop();
  EXPECT_EQ(unused->starts.load(), 0);
  EXPECT_EQ(unused->stops.load(), 0);
}

// Decision 0022: migrate_peer on a relayed link moves it onto a UDP socket of the node (a way
// to leave the relay once a direct path exists). The relay entry is retired like a migration
// socket, the link and its order survive, and no datagram crosses the relay afterwards.
TEST(Relay, MigratePeerMovesARelayedLinkOntoADirectPath) {
  RelayedPair pair;
  auto transport = pair.use_relay();
  ASSERT_TRUE(pair.connect());
  send_numbered(*pair.a, "b", 100);
  ASSERT_EQ(receive_numbered(*pair.b, 100, 20s), 100U);
  while (pair.a->next_event(0ms)) {
  }  // a's PeerUp of the connect
  const std::uint64_t forwarded_before = pair.relay->forwarded();
  EXPECT_GT(forwarded_before, 0U);

  auto migrated = pair.a->migrate_peer("b", 10s);
  ASSERT_TRUE(migrated) << migrated.error().to_string();
  auto path = pair.a->path_stats("b");
  ASSERT_TRUE(path);
  EXPECT_NE(path->local_address.rfind("0.", 0), 0U) << path->local_address;  // not virtual
  EXPECT_NE(path->local_address, pair.a->address());  // a socket of its own, as any migration
  EXPECT_EQ(path->remote_address, pair.b->address());
  // The relay entry was retired: its transport stopped, once.
  EXPECT_TRUE(eventually([&] { return transport->stops.load() == 1; }));
  EXPECT_EQ(transport->starts.load(), 1);

  const std::uint64_t relayed_sent = pair.a->stats().relay_datagrams_sent;
  int link_events = 0;
  send_numbered(*pair.a, "b", 300);
  EXPECT_EQ(receive_numbered(*pair.b, 300, 20s, &link_events), 300U);
  send_numbered(*pair.b, "a", 300);
  EXPECT_EQ(receive_numbered(*pair.a, 300, 20s, &link_events), 300U);
  EXPECT_EQ(link_events, 0);  // no PeerDown or PeerUp on either side
  // Packets b sent before it saw a's new address may still cross the relay (to a stopped
  // adapter); once b's messages reached a, which only the direct path can carry now, b has
  // switched: later traffic never touches the relay.
  const std::uint64_t forwarded = pair.relay->forwarded();
  send_numbered(*pair.a, "b", 100);
  EXPECT_EQ(receive_numbered(*pair.b, 100, 20s, &link_events), 100U);
  send_numbered(*pair.b, "a", 100);
  EXPECT_EQ(receive_numbered(*pair.a, 100, 20s, &link_events), 100U);
  EXPECT_EQ(link_events, 0);
  EXPECT_EQ(pair.relay->forwarded(), forwarded);
  EXPECT_EQ(pair.a->stats().relay_datagrams_sent, relayed_sent);
  EXPECT_EQ(pair.a->stats().migrations_ok, 1U);
  EXPECT_EQ(pair.a->peers(), std::vector<std::string>{"b"});
  EXPECT_EQ(pair.b->peers(), std::vector<std::string>{"a"});
}

// Decision 0036: the accepting side (b) asks a to move the connection, but a's end runs over
// a datagram transport of its own, and a reaches b through it only: a refuses, b's
// migrate_peer fails, and the link stays on the relay, usable.
TEST(Relay, AcceptingSideCannotMoveAPeerWhoseEndIsRelayed) {
  RelayedPair pair;
  auto transport = pair.use_relay();
  ASSERT_TRUE(pair.connect());
  while (pair.a->next_event(0ms)) {
  }  // the PeerUp of the connect, on both sides
  while (pair.b->next_event(0ms)) {
  }
  auto moved = pair.b->migrate_peer("a", 10s);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::unreachable);
  EXPECT_NE(moved.error().message.find("datagram transport"), std::string::npos)
      << moved.error().message;
  EXPECT_EQ(pair.b->stats().migrations_failed, 1U);
  EXPECT_EQ(pair.b->stats().link_takeovers, 0U);
  const std::uint64_t forwarded = pair.relay->forwarded();
  int link_events = 0;
  send_numbered(*pair.a, "b", 100);
  EXPECT_EQ(receive_numbered(*pair.b, 100, 20s, &link_events), 100U);
  send_numbered(*pair.b, "a", 100);
  EXPECT_EQ(receive_numbered(*pair.a, 100, 20s, &link_events), 100U);
  EXPECT_EQ(link_events, 0);
  EXPECT_GT(pair.relay->forwarded(), forwarded);  // still through the relay
  EXPECT_EQ(transport->stops.load(), 0);
}

/// A transport whose start() fails, or which floods the node on start.
class ScriptedTransport final : public DatagramTransport {
 public:
  explicit ScriptedTransport(bool fail_start) : fail_start_(fail_start) {}
  Result<void> start(Receiver receiver) override {
    if (fail_start_) return fail(Errc::io, "scripted start failure");
    const Bytes garbage(100, 0x5a);
    for (int i = 0; i < 200; ++i) receiver(garbage);
    receiver(Bytes(kMaxRelayDatagramSize + 1, 0x5a));  // oversize
    receiver(Bytes());                                 // empty
    return {};
  }
  Result<void> send(std::span<const std::uint8_t>) override { return {}; }
  void stop() override {}

 private:
  bool fail_start_;
};

/// Nodes a and b, not linked, no relay.
struct PlainPair {
  TempDir dir;
  std::unique_ptr<Node> a = start_node(test_config("a", dir.sub("a")));
  std::unique_ptr<Node> b = start_node(test_config("b", dir.sub("b")));
};

TEST(Relay, SetConnectOptionsErrors) {
  PlainPair pair;
  ASSERT_TRUE(pair.a && pair.b);
  Node* a = pair.a.get();
  Node* b = pair.b.get();
  ConnectOptions none;
  EXPECT_EQ(a->set_connect_options("b", none).error().code, Errc::invalid_argument);
  ConnectOptions options;
  options.transport = std::make_shared<ScriptedTransport>(true);
  EXPECT_EQ(a->set_connect_options("not a name!", options).error().code, Errc::invalid_argument);
  EXPECT_EQ(a->set_connect_options("b@nowhere", options).error().code, Errc::invalid_argument);
  EXPECT_EQ(a->set_connect_options("a", options).error().code, Errc::invalid_argument);
  ConnectOptions zero = options;
  zero.receive_queue_limit = 0;
  EXPECT_EQ(a->set_connect_options("b", zero).error().code, Errc::invalid_argument);
  EXPECT_EQ(a->clear_connect_options("b").error().code, Errc::not_found);
  // Set, set again, clear, clear again; a contact string names the same node.
  ASSERT_TRUE(a->set_connect_options(b->contact(), options));
  auto twice = a->set_connect_options("b", options);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::already_exists);
  EXPECT_TRUE(a->clear_connect_options("b"));
  EXPECT_EQ(a->clear_connect_options(b->contact()).error().code, Errc::not_found);
  // A transport that does not start fails that connection, and is consumed: UDP next.
  ASSERT_TRUE(a->set_connect_options("b", options));
  auto failed = a->connect_and_wait(b->contact(), 5s);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("scripted start failure"), std::string::npos);
  ASSERT_TRUE(a->connect_and_wait(b->contact(), 10s));
  // Connected: the options would never be used.
  auto linked = a->set_connect_options("b", options);
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code, Errc::busy);
  // A bound on pending options.
  Result<void> last;
  for (int i = 0; i < 65 && last; ++i)
    last = a->set_connect_options("n" + std::to_string(i), options);
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code, Errc::limit_reached);
  a->stop();
  EXPECT_EQ(a->set_connect_options("c", options).error().code, Errc::closed);
}

TEST(Relay, ReceiveQueueIsBoundedAndDropsAreCounted) {
  PlainPair pair;
  ASSERT_TRUE(pair.a && pair.b);
  Node* a = pair.a.get();
  Node* b = pair.b.get();
  ConnectOptions options;
  options.transport = std::make_shared<ScriptedTransport>(false);
  options.receive_queue_limit = 16;
  ASSERT_TRUE(a->set_connect_options("b", options));
  ASSERT_TRUE(a->connect(b->contact()));  // the handshake goes nowhere: send() drops it
  ASSERT_TRUE(eventually([&] { return a->stats().relay_datagrams_received >= 16; }));
  const NodeStats stats = a->stats();
  EXPECT_EQ(stats.relay_datagrams_received, 16U);             // the queue's bound
  EXPECT_EQ(stats.relay_datagrams_dropped, 200U - 16U + 2U);  // the excess, oversize and empty
  // Not QUIC: dropped by the endpoint.
  EXPECT_GE(stats.datagrams_dropped_garbage + stats.datagrams_unknown_connection, 16U);
  EXPECT_GT(stats.relay_datagrams_sent, 0U);
}

}  // namespace
}  // namespace barrel_p2p::testing
