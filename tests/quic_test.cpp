// The QUIC transport alone: two bare endpoints on loopback, no authentication.
#include <algorithm>
#include <optional>

#include "support/raw_peer.hpp"
#include "support/test_support.hpp"
#include "transport/stream_in_flight.hpp"

namespace barrel_p2p::testing {
namespace {

using transport::CloseReason;
using transport::ConnectionId;
using transport::StreamKind;

struct Received {
  std::map<std::uint64_t, std::array<std::string, 2>> bytes;  // connection -> per stream
};

void record(RawPeer& peer, Received& received) {
  peer.data_hook = [&received](ConnectionId id, StreamKind kind, core::ByteView data) {
    received.bytes[id.value][static_cast<std::size_t>(kind)].append(data.begin(), data.end());
  };
}

bool pump_both(RawPeer& a, RawPeer& b, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    a.pump_for(1ms);
    b.pump_for(1ms);
  }
  return true;
}

/// A server with `config` and two plain peers to dial it.
std::array<std::unique_ptr<RawPeer>, 3> server_and_two_clients(
    const transport::TransportConfig& config) {
  return {RawPeer::create(config), RawPeer::create(), RawPeer::create()};
}

/// Two bare endpoints that record the link-stream bytes reaching each.
struct RecordingPair {
  explicit RecordingPair(const transport::TransportConfig& config = RawPeer::default_config())
      : a(RawPeer::create(config)), b(RawPeer::create(config)) {
    record(*a, at_a);
    record(*b, at_b);
  }
  std::unique_ptr<RawPeer> a;
  std::unique_ptr<RawPeer> b;
  Received at_a;
  Received at_b;
};

TEST(Quic, OneSocketAcceptsAndDialsAndCarriesBothStreams) {
  RecordingPair pair;
  auto& [a, b, at_a, at_b] = pair;
  auto ab = a->connect(b->address());
  auto ba = b->connect(a->address());  // the same sockets also dial the other way
  ASSERT_TRUE(ab && ba);
  ASSERT_TRUE(
      pump_both(*a, *b, [&] { return a->connected.size() == 2 && b->connected.size() == 2; }));
  EXPECT_EQ(a->connected.at(ab->value).role, transport::Role::client);
  EXPECT_EQ(a->endpoint().connection_count(), 2U);
  // The client sees the server's certificate hash; the server reports its own.
  EXPECT_EQ(a->connected.at(ab->value).server_cert_sha256, b->certificate().cert_sha256());
  ASSERT_TRUE(a->endpoint().send_copy(*ab, StreamKind::control, core::as_bytes("ctl")));
  ASSERT_TRUE(a->endpoint().send_copy(*ab, StreamKind::data, core::as_bytes("data")));
  ASSERT_TRUE(pump_both(*a, *b, [&] {
    for (auto& [id, streams] : at_b.bytes) {
      if (streams[0] == "ctl" && streams[1] == "data") return true;
    }
    return false;
  }));
}

/// The ends of one connection from pair.a to pair.b: a's id and b's id.
struct Ends {
  ConnectionId ab;
  ConnectionId ba;
};

/// Connects pair.a to pair.b and sends "one" and "uno" on the data stream, a to b and back,
/// until both have arrived and both sides freed their TLS session (the bytes carry the
/// client's HANDSHAKE_DONE and the acknowledgements that confirm). Nothing when that fails.
std::optional<Ends> connect_until_sessions_freed(RecordingPair& pair) {
  auto& [a, b, at_a, at_b] = pair;
  auto ab = a->connect(b->address());
  if (!ab ||
      !pump_both(*a, *b, [&] { return a->connected.size() == 1 && !b->connected.empty(); })) {
    return std::nullopt;
  }
  const Ends ends{*ab, ConnectionId{b->connected.begin()->first}};
  if (!a->endpoint().send_copy(ends.ab, StreamKind::data, core::as_bytes("one")) ||
      !b->endpoint().send_copy(ends.ba, StreamKind::data, core::as_bytes("uno"))) {
    return std::nullopt;
  }
  const bool freed = pump_both(*a, *b, [&] {
    return a->endpoint().stats().tls_sessions_released == 1 &&
           b->endpoint().stats().tls_sessions_released == 1 &&
           at_b.bytes[ends.ba.value][1] == "one" && at_a.bytes[ends.ab.value][1] == "uno";
  });
  return freed ? std::optional<Ends>(ends) : std::nullopt;
}

TEST(Quic, EachSideFreesItsTlsSessionOnceTheHandshakeIsConfirmedAndBytesStillFlow) {
  RecordingPair pair;
  auto& [a, b, at_a, at_b] = pair;
  const auto ends = connect_until_sessions_freed(pair);
  ASSERT_TRUE(ends);
  // Without the session, both streams still carry bytes both ways.
  ASSERT_TRUE(a->endpoint().send_copy(ends->ab, StreamKind::control, core::as_bytes("two")));
  ASSERT_TRUE(b->endpoint().send_copy(ends->ba, StreamKind::control, core::as_bytes("dos")));
  EXPECT_TRUE(pump_both(*a, *b, [&] {
    return at_b.bytes[ends->ba.value][0] == "two" && at_a.bytes[ends->ab.value][0] == "dos";
  }));
}

// Decision 0034: once a side freed its TLS session, handshake bytes from the peer (a session
// ticket, say; ours never send one) close the connection instead of reaching the freed session.
TEST(Quic, HandshakeBytesAfterTheSessionWasFreedCloseTheConnection) {
  RecordingPair pair;
  auto& [a, b, at_a, at_b] = pair;
  const auto ends = connect_until_sessions_freed(pair);
  ASSERT_TRUE(ends);
  ASSERT_TRUE(a->endpoint().send_post_handshake_bytes(ends->ab));
  EXPECT_TRUE(pump_both(*a, *b, [&] { return b->closed.contains(ends->ba.value); }));
  EXPECT_TRUE(pump_both(*a, *b, [&] { return a->closed.contains(ends->ab.value); }));
  EXPECT_FALSE(b->endpoint().send_post_handshake_bytes(ConnectionId{12345}));  // not_found
}

TEST(Quic, PathStatsReportTheRoleTheAddressesAndAnRttOnceBytesWereAcknowledged) {
  auto a = RawPeer::create();
  auto b = RawPeer::create();
  Received at_b;
  record(*b, at_b);
  auto id = a->connect(b->address());
  ASSERT_TRUE(id);
  ASSERT_TRUE(pump_both(*a, *b, [&] { return !a->connected.empty() && !b->connected.empty(); }));
  const std::string payload(256 << 10, 'x');
  ASSERT_TRUE(a->endpoint().send_copy(*id, StreamKind::data, core::as_bytes(payload)));
  ASSERT_TRUE(pump_both(*a, *b, [&] {
    return a->endpoint().buffered(*id, StreamKind::data) == 0 && !at_b.bytes.empty() &&
           at_b.bytes.begin()->second[1].size() == payload.size();
  }));
  auto client = a->endpoint().path_stats(*id);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->role, transport::Role::client);
  EXPECT_EQ(client->local.to_string(), a->address());
  EXPECT_EQ(client->remote.to_string(), b->address());
  EXPECT_GT(client->min_rtt.count(), 0);
  EXPECT_GE(client->smoothed_rtt, client->min_rtt);
  EXPECT_GE(client->latest_rtt, client->min_rtt);
  EXPECT_GT(client->congestion_window, 0U);
  EXPECT_GT(client->delivery_rate, 0U);  // 256 KiB acknowledged
  const auto server_id = b->connected.begin()->first;
  auto server = b->endpoint().path_stats(ConnectionId{server_id});
  ASSERT_TRUE(server);
  EXPECT_EQ(server->role, transport::Role::server);
  EXPECT_EQ(server->local.to_string(), b->address());
  EXPECT_EQ(server->remote.to_string(), a->address());
  EXPECT_FALSE(a->endpoint().path_stats(ConnectionId{987654}));
}

std::size_t largest(const std::vector<std::size_t>& sizes) {
  return sizes.empty() ? 0 : *std::max_element(sizes.begin(), sizes.end());
}

/// Connects a to b, then sends 1 MiB from a to b and 1 MiB back; returns the largest datagrams
/// sent with handshake packets and for the stream bytes of each side.
struct DatagramSizes {
  std::size_t handshake = 0;    // the largest datagram either side sent during the handshake
  std::size_t client_bulk = 0;  // the largest the dialing side sent for 1 MiB of stream bytes
  std::size_t server_bulk = 0;  // ... and the accepting side, for 1 MiB back
};

DatagramSizes datagram_sizes(const transport::TransportConfig& config) {
  RecordingPair pair(config);
  auto& [a, b, at_a, at_b] = pair;
  auto id = a->connect(b->address());
  EXPECT_TRUE(id);
  if (!id) return {};
  EXPECT_TRUE(pump_both(*a, *b, [&] { return !a->connected.empty() && !b->connected.empty(); }));
  DatagramSizes sizes;
  a->sent_datagrams.clear();
  b->sent_datagrams.clear();
  const std::string payload(1 << 20, 'x');
  EXPECT_TRUE(a->endpoint().send_copy(*id, StreamKind::data, core::as_bytes(payload)));
  EXPECT_TRUE(pump_both(*a, *b, [&] {
    return !at_b.bytes.empty() && at_b.bytes.begin()->second[1].size() == payload.size();
  }));
  sizes.client_bulk = largest(a->sent_datagrams);
  b->sent_datagrams.clear();
  const ConnectionId back{b->connected.begin()->first};
  EXPECT_TRUE(b->endpoint().send_copy(back, StreamKind::data, core::as_bytes(payload)));
  EXPECT_TRUE(pump_both(*a, *b, [&] { return at_a.bytes[id->value][1].size() == payload.size(); }));
  sizes.server_bulk = largest(b->sent_datagrams);
  sizes.handshake =
      std::max(largest(a->sent_long_header_datagrams), largest(b->sent_long_header_datagrams));
  return sizes;
}

// Decision 0019 §8: while link bytes flow, a tagged stream keeps about two bandwidth-delay
// products in flight (at least two small packets); alone, congestion control alone holds it.
// The peer is not pumped while the sender runs, so nothing is acknowledged: what is in flight
// is what the sender chose to send.
TEST(Quic, WhileLinkBytesFlowATaggedStreamKeepsFewBytesInFlight) {
  auto config = RawPeer::default_config();
  config.app_stream_window = 16 << 20;  // so that alone, congestion control is the only limit
  config.app_stream_send_buffer = 16 << 20;
  auto a = RawPeer::create(config);
  auto b = RawPeer::create(config);
  std::map<std::int64_t, std::size_t> unconsumed;  // b's stream -> bytes to give credit for
  std::size_t received = 0;
  b->app_data_hook = [&](ConnectionId, std::int64_t stream, core::ByteView data, bool) {
    unconsumed[stream] += data.size();
    received += data.size();
  };
  auto id = a->connect(b->address());
  ASSERT_TRUE(id);
  ASSERT_TRUE(pump_both(*a, *b, [&] { return !a->connected.empty() && !b->connected.empty(); }));
  const auto b_id = ConnectionId{b->connected.begin()->first};
  const auto pump_and_consume = [&](const std::function<bool()>& done) {
    return pump_both(
        *a, *b,
        [&] {
          for (auto& [stream, count] : unconsumed)
            b->endpoint().consume_app_stream(b_id, stream, count);
          unconsumed.clear();
          return done();
        },
        20s);
  };
  const std::string block(8 << 20, 's');
  // Sends `total` bytes on a new stream with `a` alone pumped for a while; returns the bytes
  // in flight then (`link` writes a link byte before each step), and lets the peer catch up.
  const auto in_flight_while_unacknowledged = [&](bool link) -> std::uint64_t {
    auto stream = a->endpoint().open_app_stream(*id);
    EXPECT_TRUE(stream);
    if (!stream) return 0;
    const std::size_t before = received;
    std::size_t queued = 0;
    auto written = a->endpoint().write_app_stream(*id, *stream, core::as_bytes(block), false);
    EXPECT_TRUE(written);
    queued += written.value_or(0);
    for (int step = 0; step < 10; ++step) {
      if (link) {
        EXPECT_TRUE(a->endpoint().send_copy(*id, StreamKind::control, core::as_bytes("x")));
      }
      a->pump_for(1ms);
    }
    const auto stats = a->endpoint().path_stats(*id);
    EXPECT_TRUE(stats);
    EXPECT_TRUE(pump_and_consume([&] { return received - before == queued; }));
    return stats ? stats->bytes_in_flight : 0;
  };
  // Warm up: cwnd and the delivery rate grow over a few MiB.
  for (int i = 0; i < 3; ++i) (void)in_flight_while_unacknowledged(false);
  const std::uint64_t alone = in_flight_while_unacknowledged(false);
  const auto estimate = a->endpoint().path_stats(*id);  // unchanged until acknowledgements
  ASSERT_TRUE(estimate);
  const std::uint64_t limit = transport::app_stream_in_flight_limit(
      estimate->delivery_rate, static_cast<std::uint64_t>(estimate->min_rtt.count()),
      transport::kLatencyPacketBytes);
  const std::uint64_t with_link = in_flight_while_unacknowledged(true);
  // The limit is checked before each packet: one more packet, plus the link bytes' own small
  // packets (and a probe, should a PTO fire), may go beyond it.
  EXPECT_LE(with_link, limit + 2 * transport::kLatencyPacketBytes + 4096)
      << "delivery rate " << estimate->delivery_rate << " B/s, min RTT "
      << estimate->min_rtt.count() << " ns";
  EXPECT_GT(alone, limit + 2 * transport::kLatencyPacketBytes + 4096)
      << "alone, the stream fills what congestion control allows";
}

TEST(Quic, HandshakeDatagramsKeepTheMinimumSizeAndLoopbackLinksThenUseLargeOnes) {
  const DatagramSizes sizes = datagram_sizes(RawPeer::default_config());
  EXPECT_LE(sizes.handshake, 1200U);  // every path carries these
  // Loopback's MTU is known: no climb from 1,200, on either side of the connection.
  for (const std::size_t bulk : {sizes.client_bulk, sizes.server_bulk}) {
    EXPECT_GT(bulk, 1500U);
    EXPECT_LE(bulk, RawPeer::default_config().loopback_udp_payload);
  }
}

TEST(Quic, WithoutTheLoopbackSizeDatagramsStayWithinPathMtuDiscovery) {
  auto config = RawPeer::default_config();
  config.loopback_udp_payload = 0;
  const DatagramSizes sizes = datagram_sizes(config);
  EXPECT_LE(sizes.handshake, 1200U);
  EXPECT_LE(sizes.client_bulk, 1452U);  // ngtcp2 0.12's path MTU discovery ceiling
  EXPECT_LE(sizes.server_bulk, 1452U);
}

TEST(Quic, SendBeforeTheHandshakeCompletesIsAnError) {
  auto a = RawPeer::create();
  auto b = RawPeer::create();
  auto id = a->connect(b->address());
  ASSERT_TRUE(id);
  auto early = a->endpoint().send_copy(*id, StreamKind::data, core::as_bytes("x"));
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, Errc::closed);
  EXPECT_EQ(a->endpoint()
                .send_copy(ConnectionId{999}, StreamKind::data, core::as_bytes("x"))
                .error()
                .code,
            Errc::not_found);
}

// Decision 0027: the accepting side reports a connection up as soon as its 1-RTT keys exist,
// so the link's first bytes leave with its handshake flight (0.5-RTT data).
TEST(Quic, TheAcceptingSideSendsItsFirstBytesWithItsHandshakeFlight) {
  auto client = RawPeer::create();
  auto server = RawPeer::create();
  Received at_client;
  record(*client, at_client);
  server->connected_hook = [&server](ConnectionId id, const transport::ConnectionInfo&) {
    ASSERT_TRUE(server->endpoint().send_copy(id, StreamKind::control, core::as_bytes("first")));
  };
  auto id = client->connect(server->address());
  ASSERT_TRUE(id);
  client->pump_for(5ms);  // sends the Initial
  ASSERT_TRUE(server->pump_until([&] { return !server->connected.empty(); }, 5s));
  EXPECT_TRUE(client->connected.empty());
  server->pump_for(5ms);  // nothing from the client can arrive: it is not pumped
  // The server never saw the client's Finished, yet its bytes arrive with the handshake.
  ASSERT_TRUE(client->pump_until([&] { return at_client.bytes[id->value][0] == "first"; }, 5s));
  EXPECT_EQ(client->connected.size(), 1U);
}

// A server connection established at 0.5-RTT still counts as a handshake until its TLS
// handshake ends: TransportConfig::max_handshakes keeps bounding half-open connections.
TEST(Quic, AHalfOpenConnectionStillCountsTowardTheHandshakeCap) {
  auto config = RawPeer::default_config();
  config.max_handshakes = 1;
  auto [server, first, second] = server_and_two_clients(config);
  ASSERT_TRUE(first->connect(server->address()));
  first->pump_for(5ms);
  ASSERT_TRUE(server->pump_until([&] { return !server->connected.empty(); }, 5s));
  ASSERT_TRUE(second->connect(server->address()));
  second->pump_for(5ms);
  server->pump_for(20ms);  // the first client is not pumped: its handshake stays open
  EXPECT_EQ(server->connected.size(), 1U);
  EXPECT_GE(server->endpoint().stats().connections_refused_limit, 1U);
  // Once the first handshake ends, the second client gets in (its Initial is re-sent).
  ASSERT_TRUE(pump_both(*first, *server, [&] { return !first->connected.empty(); }));
  ASSERT_TRUE(pump_both(*second, *server, [&] { return !second->connected.empty(); }));
}

TEST(Quic, CloseReachesThePeer) {
  auto a = RawPeer::create();
  auto b = RawPeer::create();
  auto id = a->connect(b->address());
  ASSERT_TRUE(id);
  ASSERT_TRUE(pump_both(*a, *b, [&] { return !b->connected.empty() && !a->connected.empty(); }));
  a->endpoint().close(a->now(), *id, 0, "done");
  ASSERT_TRUE(pump_both(*a, *b, [&] { return !b->closed.empty(); }));
  EXPECT_EQ(b->closed.begin()->second.rfind("peer_closed", 0), 0U) << b->closed.begin()->second;
  EXPECT_EQ(a->closed.at(id->value).rfind("local", 0), 0U);
}

TEST(Quic, GracefulCloseDeliversEverythingToASlowPeer) {
  auto config = RawPeer::default_config();
  config.idle_timeout = 5s;
  auto a = RawPeer::create(config);
  auto b = RawPeer::create(config);
  Received at_b;
  record(*b, at_b);
  auto id = a->connect(b->address());
  ASSERT_TRUE(id);
  ASSERT_TRUE(pump_both(*a, *b, [&] { return !b->connected.empty() && !a->connected.empty(); }));
  // A megabyte queued, then a close: the bytes must arrive before the close does.
  const std::string chunk(16 * 1024, 'x');
  constexpr std::size_t kChunks = 64;
  for (std::size_t i = 0; i < kChunks; ++i) {
    ASSERT_TRUE(a->endpoint().send_copy(*id, StreamKind::data, core::as_bytes(chunk)));
  }
  a->endpoint().close(a->now(), *id, 0, "done");
  // b stalls (a loaded host) far longer than 3 PTO, so nothing is acknowledged meanwhile...
  a->pump_for(800ms);
  EXPECT_TRUE(a->closed.empty()) << "gave up on a live peer: " << a->closed.begin()->second;
  // ...then catches up: everything arrives, then the close.
  ASSERT_TRUE(pump_both(
      *a, *b, [&] { return !b->closed.empty(); }, 10s));
  std::size_t received = 0;
  for (const auto& [connection, streams] : at_b.bytes) received += streams[1].size();
  EXPECT_EQ(received, kChunks * chunk.size());
  EXPECT_EQ(b->closed.begin()->second.rfind("peer_closed", 0), 0U) << b->closed.begin()->second;
}

TEST(Quic, SilentPeerIsDroppedAtTheIdleTimeoutWhileKeepAliveHoldsOthers) {
  auto config = RawPeer::default_config();
  config.idle_timeout = 400ms;
  config.keep_alive = 100ms;
  auto a = RawPeer::create(config);
  auto b = RawPeer::create(config);
  auto id = a->connect(b->address());
  ASSERT_TRUE(id);
  ASSERT_TRUE(pump_both(*a, *b, [&] { return !b->connected.empty() && !a->connected.empty(); }));
  // Both pumping: keep-alive PINGs hold the connection well past the idle timeout.
  pump_both(
      *a, *b, [] { return false; }, 1200ms);
  EXPECT_TRUE(a->closed.empty());
  // b goes silent (not pumped): a drops the connection by idle timeout.
  ASSERT_TRUE(a->pump_until([&] { return !a->closed.empty(); }, 5s));
  EXPECT_EQ(a->closed.at(id->value).rfind("idle_timeout", 0), 0U) << a->closed.at(id->value);
}

TEST(Quic, PeerThatLostStateResetsTheConnection) {
  auto a = RawPeer::create();
  auto b = RawPeer::create();
  auto id = a->connect(b->address());
  ASSERT_TRUE(id);
  ASSERT_TRUE(pump_both(*a, *b, [&] { return !b->connected.empty() && !a->connected.empty(); }));
  b->lose_state();  // same socket, same reset secret, no connections
  ASSERT_TRUE(a->endpoint().send_copy(*id, StreamKind::data, core::Bytes(100, 1)));
  ASSERT_TRUE(pump_both(*a, *b, [&] { return !a->closed.empty(); }));
  EXPECT_EQ(a->closed.at(id->value).rfind("stateless_reset", 0), 0U) << a->closed.at(id->value);
  EXPECT_GE(b->endpoint().stats().stateless_resets_sent, 1U);
  EXPECT_EQ(a->endpoint().stats().stateless_resets_received, 1U);
}

TEST(Quic, HandshakeCapRefusesExtraInboundConnections) {
  auto config = RawPeer::default_config();
  config.max_connections = 1;
  auto [server, first, second] = server_and_two_clients(config);
  ASSERT_TRUE(first->connect(server->address()));
  ASSERT_TRUE(pump_both(*first, *server, [&] { return !first->connected.empty(); }));
  ASSERT_TRUE(second->connect(server->address()));
  pump_both(
      *second, *server, [] { return false; }, 300ms);
  EXPECT_TRUE(second->connected.empty());
  EXPECT_GE(server->endpoint().stats().connections_refused_limit, 1U);
  auto over = server->connect(first->address());
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Errc::limit_reached);
}

}  // namespace
}  // namespace barrel_p2p::testing
