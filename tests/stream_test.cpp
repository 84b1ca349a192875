// Tagged streams (issue 15 deliverable 3, decision 0019) between real nodes over loopback QUIC,
// and against a raw QUIC peer that misbehaves. Tests assert behaviour, never timings: the
// timeouts only bound how long a broken build waits.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "support/raw_peer.hpp"
#include "support/scripted_client.hpp"
#include "support/stream_support.hpp"
#include "support/test_support.hpp"
#include "wire/stream_preamble.hpp"

namespace barrel_p2p::testing {
namespace {

TEST(Streams, LargeTransferArrivesIntactAndInOrder) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  Inbox inbox;
  ASSERT_TRUE(pair.b->register_acceptor("bulk", inbox.acceptor()));
  auto stream = pair.a->open_stream("bob", "bulk");
  ASSERT_TRUE(stream) << stream.error().to_string();
  EXPECT_EQ(stream->peer(), "bob");
  EXPECT_FALSE(stream->inbound());
  std::atomic<bool> written{false};
  std::thread writer([&] { written = write_pattern(*stream, 32 * kMiB); });
  auto inbound = inbox.take();
  ASSERT_TRUE(inbound);
  EXPECT_EQ(inbound->peer(), "alice");
  EXPECT_EQ(inbound->tag(), "bulk");
  EXPECT_TRUE(inbound->inbound());
  const auto received = read_pattern(*inbound, 32 * kMiB);
  writer.join();
  EXPECT_TRUE(written);
  ASSERT_TRUE(received);
  EXPECT_EQ(*received, 32 * kMiB);
  EXPECT_EQ(pair.a->stats().streams_opened_out, 1U);
  EXPECT_EQ(pair.b->stats().streams_opened_in, 1U);
}

TEST(Streams, WriterToAReaderThatDoesNotReadIsHeldBackAndResumes) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  Inbox inbox;
  ASSERT_TRUE(pair.b->register_acceptor("held", inbox.acceptor()));
  auto stream = pair.a->open_stream("bob", "held");
  ASSERT_TRUE(stream);
  const Bytes all = pattern_bytes(0, 16 * kMiB);
  // Nobody reads: the write takes what the send buffer and the peer's window hold, no more.
  auto taken = stream->write(all, 500ms);
  ASSERT_TRUE(taken) << taken.error().to_string();
  const StreamsConfig defaults;
  EXPECT_LT(*taken, all.size());
  EXPECT_LE(*taken, defaults.send_buffer + defaults.window + wire::kMaxStreamPreambleSize);
  // A second attempt while nobody reads takes nothing more than the bound either.
  auto again = stream->write(BytesView(all).subspan(*taken), 200ms);
  const std::size_t held = *taken + (again ? *again : 0);
  EXPECT_LE(held, defaults.send_buffer + defaults.window + wire::kMaxStreamPreambleSize);
  // The reader starts: the writer resumes and everything arrives.
  auto inbound = inbox.take();
  ASSERT_TRUE(inbound);
  std::atomic<bool> rest_written{false};
  std::thread writer([&] {
    auto rest = stream->write(BytesView(all).subspan(held), 30s);
    rest_written = rest && *rest == all.size() - held && stream->finish().has_value();
  });
  const auto received = read_pattern(*inbound, all.size());
  writer.join();
  EXPECT_TRUE(rest_written);
  ASSERT_TRUE(received);
  EXPECT_EQ(*received, all.size());
}

TEST(Streams, APausedReaderStallsNeitherMessagesNorOtherStreams) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  Inbox slow_inbox;
  Inbox fast_inbox;
  ASSERT_TRUE(pair.b->register_acceptor("slow", slow_inbox.acceptor()));
  ASSERT_TRUE(pair.b->register_acceptor("fast", fast_inbox.acceptor()));
  auto slow = pair.a->open_stream("bob", "slow");
  ASSERT_TRUE(slow);
  const Bytes big = pattern_bytes(0, 8 * kMiB);
  auto pending = slow->write(big);  // cannot complete while bob does not read
  auto slow_inbound = slow_inbox.take();
  ASSERT_TRUE(slow_inbound);
  // Process messages flow while the slow stream is held back.
  auto mailbox = pair.b->mailbox();
  ASSERT_TRUE(mailbox);
  constexpr int kMessages = 1000;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(pair.a->send((*mailbox)->self(), bytes_of("m" + std::to_string(i))));
  }
  for (int i = 0; i < kMessages; ++i) {
    auto envelope = (*mailbox)->receive(10s);
    ASSERT_TRUE(envelope) << "message " << i;
    EXPECT_EQ(text_of(envelope->payload), "m" + std::to_string(i));
  }
  // So does a second stream, to its end.
  auto fast = pair.a->open_stream("bob", "fast");
  ASSERT_TRUE(fast);
  std::atomic<bool> fast_written{false};
  std::thread writer([&] { fast_written = write_pattern(*fast, 4 * kMiB); });
  auto fast_inbound = fast_inbox.take();
  ASSERT_TRUE(fast_inbound);
  const auto fast_received = read_pattern(*fast_inbound, 4 * kMiB);
  writer.join();
  EXPECT_TRUE(fast_written);
  ASSERT_TRUE(fast_received);
  EXPECT_EQ(*fast_received, 4 * kMiB);
  EXPECT_FALSE(pending.is_ready()) << "the slow stream's reader has not read a byte";
  // The slow reader catches up; its writer completes.
  std::size_t offset = 0;
  while (offset < big.size()) {
    auto chunk = slow_inbound->read(kMiB, 30s);
    ASSERT_TRUE(chunk && !chunk->empty());
    for (std::uint8_t byte : *chunk) ASSERT_EQ(byte, pattern(offset++));
  }
  auto done = pending.get();
  ASSERT_TRUE(done);
  EXPECT_EQ(*done, big.size());
}

// A writer that drops its handle without finish(), and an acceptor that never keeps the
// stream: both sides end anyway, the written bytes arrive before the end, and the peer's
// slots come back (with 4 streams per peer, 12 streams in a row would leak all of them).
TEST(Streams, DroppingEveryHandleFinishesTheStreamAndFreesItsSlot) {
  LinkedPair pair([](Config& config) { config.streams.max_inbound_per_peer = 4; });
  ASSERT_TRUE(pair.linked);
  Inbox inbox;
  ASSERT_TRUE(pair.b->register_acceptor("kept", inbox.acceptor()));
  for (int round = 0; round < 12; ++round) {
    std::optional<Stream> stream;
    ASSERT_TRUE(eventually([&] {
      auto opened = pair.a->open_stream("bob", "kept");
      if (opened) stream = std::move(*opened);
      return opened.has_value();
    })) << "round "
        << round << ": no stream slot came back";
    const std::string text = "round " + std::to_string(round);
    ASSERT_TRUE(stream->write(bytes_of(text), 10s));
    stream.reset();  // no finish(): dropping the last handle ends our side
    auto inbound = inbox.take();
    ASSERT_TRUE(inbound) << "round " << round;
    std::string got;
    for (int reads = 0; reads < 100; ++reads) {
      auto chunk = inbound->read(1024, 10s);
      ASSERT_TRUE(chunk) << chunk.error().to_string();
      if (chunk->empty()) break;
      got += text_of(*chunk);
    }
    EXPECT_EQ(got, text);
    // bob never finishes either: his handle goes too.
  }
  // An acceptor that drops what it gets: alice's 4 MiB (beyond the 1 MiB window) are
  // discarded with their credit given back, and her read sees the stream's end.
  ASSERT_TRUE(pair.b->register_acceptor("dropped", [](Stream) {}));
  auto stream = pair.a->open_stream("bob", "dropped");
  ASSERT_TRUE(stream);
  const Bytes big = pattern_bytes(0, 4 * kMiB);
  auto written = stream->write(big, 30s);
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(*written, big.size());
  ASSERT_TRUE(stream->finish());
  auto end = stream->read(1024, 10s);
  ASSERT_TRUE(end) << end.error().to_string();
  EXPECT_TRUE(end->empty());
  EXPECT_EQ(pair.b->stats().stream_resets_received, 0U);
  EXPECT_EQ(pair.a->stats().stream_resets_received, 0U);
}

// A handle that outlives its node is dropped safely (sanitizers check the rest).
TEST(Streams, AHandleOutlivingItsNodeIsDroppedSafely) {
  std::optional<Stream> kept;
  {
    Inbox inbox;  // declared first: it outlives the nodes, whose acceptor refers to it
    LinkedPair pair;
    ASSERT_TRUE(pair.linked);
    ASSERT_TRUE(pair.b->register_acceptor("late", inbox.acceptor()));
    auto stream = pair.a->open_stream("bob", "late");
    ASSERT_TRUE(stream);
    kept = *stream;
    ASSERT_TRUE(inbox.take());  // bob's end exists too
  }
  EXPECT_TRUE(kept->valid());
  kept.reset();  // after the node: a detached releaser, no call into the destroyed node
}

TEST(Streams, UnknownTagIsResetAndCounted) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  auto stream = pair.a->open_stream("bob", "nobody-listens");
  ASSERT_TRUE(stream);
  auto read = stream->read(1024, 10s);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, Errc::closed) << read.error().to_string();
  EXPECT_TRUE(
      eventually([&] { return pair.b->stats().stream_preamble_dropped["unknown_tag"] == 1; }));
  EXPECT_EQ(pair.b->stats().streams_opened_in, 0U);
  EXPECT_GE(pair.a->stats().stream_resets_received, 1U);
}

TEST(Streams, AcceptorsConflictAndReservedTagsAreRefused) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  Inbox inbox;
  ASSERT_TRUE(pair.b->register_acceptor("once", inbox.acceptor()));
  auto second = pair.b->register_acceptor("once", inbox.acceptor());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::already_exists);
  auto reserved = pair.b->register_acceptor("barrel_p2p:anything", inbox.acceptor());
  ASSERT_FALSE(reserved);
  EXPECT_EQ(reserved.error().code, Errc::invalid_argument);
  auto reserved_open = pair.a->open_stream("bob", "barrel_p2p:anything");
  ASSERT_FALSE(reserved_open);
  EXPECT_EQ(reserved_open.error().code, Errc::invalid_argument);
  EXPECT_FALSE(pair.a->open_stream("bob", ""));
  EXPECT_FALSE(pair.a->open_stream("bob", std::string(256, 't')));
  auto nobody = pair.a->open_stream("nobody", "once");
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, Errc::not_found);
  ASSERT_TRUE(pair.b->unregister_acceptor("once"));
  EXPECT_TRUE(pair.b->register_acceptor("once", inbox.acceptor()));
}

TEST(Streams, AnAcceptorWhoseOwnerExitsUnregistersItsTag) {
  LinkedPair pair;
  ASSERT_TRUE(pair.linked);
  Inbox inbox;
  auto owner = pair.b->mailbox();
  ASSERT_TRUE(owner);
  ASSERT_TRUE(pair.b->register_acceptor("owned", (*owner)->self(), inbox.acceptor()));
  auto live = pair.a->open_stream("bob", "owned");
  ASSERT_TRUE(live);
  ASSERT_TRUE(inbox.take());
  const Pid dead = (*owner)->self();
  owner->reset();  // the owning process ends
  Inbox other;
  EXPECT_TRUE(eventually([&] {
    if (!pair.b->register_acceptor("owned", other.acceptor())) return false;
    return pair.b->unregister_acceptor("owned").has_value();
  })) << "the tag must be free once its owner exited";
  auto late = pair.a->open_stream("bob", "owned");
  ASSERT_TRUE(late);
  EXPECT_FALSE(late->read(16, 10s));
  EXPECT_TRUE(
      eventually([&] { return pair.b->stats().stream_preamble_dropped["unknown_tag"] == 1; }));
  // A dead owner is refused up front.
  auto gone = pair.b->register_acceptor("owned", dead, inbox.acceptor());
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::noproc);
}

// A raw QUIC peer opens more half-preamble streams than the cap: the excess is reset.
TEST(Streams, HalfPreamblesBeyondTheCapAreResetAndCounted) {
  TempDir dir;
  Config config = test_config("bob", dir.sub("b"));
  config.streams.max_pending_preambles = 64;
  auto b = start_node(config);
  ASSERT_TRUE(b);
  auto raw = RawPeer::create();
  auto id = raw->connect(b->address());
  ASSERT_TRUE(id);
  ASSERT_TRUE(raw->pump_until([&] { return raw->connected.count(id->value) > 0; }, 5s));
  const core::Bytes half{10, 'h', 'a', 'l', 'f'};  // announces 10 tag bytes, sends 4
  for (int i = 0; i < 65; ++i) {
    auto stream = raw->endpoint().open_app_stream(*id);
    ASSERT_TRUE(stream) << stream.error().to_string();
    auto written = raw->endpoint().write_app_stream(*id, *stream, half, false);
    ASSERT_TRUE(written && *written == half.size());
  }
  ASSERT_TRUE(raw->pump_until([&] { return !raw->app_resets.empty(); }, 5s));
  raw->pump_for(100ms);  // a second reset would show up too
  EXPECT_EQ(raw->app_resets.size(), 1U);
  EXPECT_EQ(b->stats().stream_preamble_dropped["cap"], 1U);
  EXPECT_EQ(b->stats().streams_opened_in, 0U);
}

// An authenticated raw peer sends a preamble in several packets: the stream is accepted.
TEST(Streams, APreambleSplitAcrossPacketsIsReassembled) {
  TempDir dir;
  auto b = start_node(test_config("bob", dir.sub("b")));
  ASSERT_TRUE(b);
  Inbox inbox;
  ASSERT_TRUE(b->register_acceptor("split-tag", inbox.acceptor()));
  auto raw = RawPeer::create();
  std::array<std::uint8_t, 32> seed{};
  seed.fill(9);
  const auth::KeyPair carol = auth::KeyPair::from_seed(seed);
  auto id = raw->connect(b->address());
  ASSERT_TRUE(id);
  ASSERT_TRUE(raw->pump_until([&] { return raw->connected.count(id->value) > 0; }, 5s));
  ScriptedClient client(*raw, *id, carol);
  client.start();
  raw->data_hook = [&](transport::ConnectionId, transport::StreamKind kind, core::ByteView data) {
    if (kind == transport::StreamKind::control) client.on_data(data, true);
  };
  raw->deliver_held(*id);
  ASSERT_TRUE(raw->pump_until([&] { return client.session->is_authenticated(); }, 5s));
  auto stream = raw->endpoint().open_app_stream(*id);
  ASSERT_TRUE(stream);
  core::Bytes bytes = wire::encode_stream_preamble("split-tag");
  const std::string body = "hello over a split preamble";
  bytes.insert(bytes.end(), body.begin(), body.end());
  for (std::size_t i = 0; i < bytes.size(); i += 3) {  // 3 bytes per packet
    const std::size_t size = std::min<std::size_t>(3, bytes.size() - i);
    const bool last = i + size == bytes.size();
    ASSERT_TRUE(raw->endpoint().write_app_stream(*id, *stream,
                                                 core::ByteView(bytes.data() + i, size), last));
    raw->pump_for(5ms);
  }
  std::atomic<bool> stop{false};
  std::thread pump([&] { raw->pump_until([&] { return stop.load(); }, 20s); });
  auto inbound = inbox.take();
  std::string text;
  if (inbound) {
    EXPECT_EQ(inbound->peer(), "carol");
    for (int i = 0; i < 100; ++i) {
      auto chunk = inbound->read(1024, 10s);
      if (!chunk || chunk->empty()) break;
      text += text_of(*chunk);
    }
  }
  stop = true;
  pump.join();
  ASSERT_TRUE(inbound);
  EXPECT_EQ(text, body);
  EXPECT_EQ(b->stats().stream_preamble_dropped["malformed"], 0U);
}

}  // namespace
}  // namespace barrel_p2p::testing
