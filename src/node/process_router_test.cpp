// ProcessRouter driven directly: two routers joined by an in-memory wire that the test can
// cut, so every rule of the process protocol is checked without sockets or threads.
#include "node/process_router.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>

namespace barrel_p2p::node {
namespace {

using namespace std::chrono_literals;

struct FakeHost final : ProcessHost {
  std::map<std::uint64_t, std::deque<Envelope>> mailboxes;
  std::map<std::uint64_t, std::size_t> limits;
  std::vector<std::pair<std::uint64_t, ExitReason>> ended;
  std::deque<std::pair<std::string, core::Bytes>> outbox;  // (node, frame)
  std::set<std::string> unreachable;
  std::map<std::string, std::function<Result<core::Bytes>(core::ByteView)>> functions;
  std::vector<RpcRequest> rpcs;
  std::map<std::uint64_t, std::vector<Result<core::Bytes>>> completions;

  bool deliver(std::uint64_t id, Envelope&& envelope) override {
    auto& box = mailboxes[id];
    auto limit = limits.contains(id) ? limits[id] : 1000;
    if (box.size() >= limit) return false;
    box.push_back(std::move(envelope));
    return true;
  }
  void process_ended(std::uint64_t id, const ExitReason& reason) override {
    ended.emplace_back(id, reason);
  }
  Result<void> send_frame(const std::string& node, core::ByteView frame) override {
    if (unreachable.contains(node)) return fail(Errc::unreachable, "no address for " + node);
    outbox.emplace_back(node, core::Bytes(frame.begin(), frame.end()));
    return {};
  }
  void call_done(std::uint64_t ref, Result<core::Bytes> result) override {
    completions[ref].push_back(std::move(result));
  }
  /// The one completion of call `ref` (an internal error when it completed 0 or 2+ times).
  Result<core::Bytes> result(std::uint64_t ref) {
    auto& done = completions[ref];
    if (done.size() != 1) {
      return fail(Errc::internal, "completed " + std::to_string(done.size()) + " times");
    }
    return done.front();
  }
  bool run_function(RpcRequest&& request) override {
    if (!functions.contains(request.function)) return false;
    rpcs.push_back(std::move(request));
    return true;
  }
  std::optional<Envelope> take(const Pid& pid) {
    auto& box = mailboxes[pid.id];
    if (box.empty()) return std::nullopt;
    Envelope envelope = std::move(box.front());
    box.pop_front();
    return envelope;
  }
};

struct Pair {
  explicit Pair(ProcessRouterLimits limits = {})
      : a{"a", 11, host_a, limits}, b{"b", 22, host_b, limits} {}

  FakeHost host_a, host_b;
  ProcessRouter a;
  ProcessRouter b;
  core::Instant now = core::Instant::from_nanos(1'000'000'000);

  // Moves frames between the routers until both are quiet (bounded).
  void pump() {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      while (!host_a.outbox.empty()) {
        auto [node, frame] = std::move(host_a.outbox.front());
        host_a.outbox.pop_front();
        ASSERT_EQ(node, "b");
        ASSERT_TRUE(b.on_frame(now, "a", frame));
        moved = true;
      }
      while (!host_b.outbox.empty()) {
        auto [node, frame] = std::move(host_b.outbox.front());
        host_b.outbox.pop_front();
        ASSERT_EQ(node, "a");
        ASSERT_TRUE(a.on_frame(now, "b", frame));
        moved = true;
      }
      if (!moved) return;
    }
    FAIL() << "the routers never went quiet";
  }
  void finish_rpcs(FakeHost& host, ProcessRouter& router) {
    auto requests = std::move(host.rpcs);
    host.rpcs.clear();
    for (auto& request : requests)
      router.finish_rpc(request, host.functions[request.function](request.payload));
  }
};

core::Bytes bytes(std::string_view text) { return core::Bytes(text.begin(), text.end()); }

TEST(ProcessRouter, SendAcrossKeepsOrderAndSender) {
  Pair p;
  Pid sender = p.a.spawn(false);
  Pid receiver = p.b.spawn(false);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.a.send(sender, receiver, bytes(std::to_string(i))));
  p.pump();
  for (int i = 0; i < 5; ++i) {
    auto envelope = p.host_b.take(receiver);
    ASSERT_TRUE(envelope);
    EXPECT_EQ(envelope->from, sender);
    EXPECT_EQ(envelope->payload, bytes(std::to_string(i)));
  }
  EXPECT_EQ(p.b.stats().messages_remote_in, 5u);
}

// The wire side of the Pid hole: a pid decoded from a peer's frame holds at most the largest
// varint, so a process can print, parse and serialize any sender it receives.
TEST(ProcessRouter, SendersDecodedFromTheWireSerializeAndParse) {
  Pair p;
  Pid receiver = p.b.spawn(false);
  wire::Send send{
      {Pid::kIdMax, ~std::uint64_t{0}}, wire::Target::of({receiver.id, receiver.incarnation}), {}};
  ASSERT_TRUE(p.b.on_frame(p.now, "a", wire::encode_process_message(send)));
  auto envelope = p.host_b.take(receiver);
  ASSERT_TRUE(envelope);
  const Pid from = envelope->from;
  EXPECT_EQ(from, (Pid{"a", Pid::kIdMax, ~std::uint64_t{0}}));
  EXPECT_EQ(Pid::deserialize(from.serialize()).value(), from);
  EXPECT_EQ(Pid::parse(from.to_string()).value(), from);
}

TEST(ProcessRouter, CallReplyAndNoprocAndTimeout) {
  Pair p;
  Pid caller = p.a.spawn(false);
  Pid callee = p.b.spawn(false);
  auto reply = p.a.call(p.now, caller, callee, bytes("q"), 1s);
  p.pump();
  auto call = p.host_b.take(callee);
  ASSERT_TRUE(call);
  EXPECT_EQ(call->kind, EnvelopeKind::call);
  ASSERT_TRUE(p.b.reply(*call, bytes("r")));
  p.pump();
  ASSERT_EQ(p.host_a.completions[reply].size(), 1u);
  EXPECT_EQ(*p.host_a.result(reply), bytes("r"));

  Pid dead{"b", 999, 22};
  auto noproc = p.a.call(p.now, caller, dead, bytes("q"), 1s);
  p.pump();
  EXPECT_EQ(p.host_a.result(noproc).error().code, Errc::noproc);

  auto slow = p.a.call(p.now, caller, callee, bytes("q"), 1s);
  p.pump();
  EXPECT_EQ(p.a.next_deadline(), p.now + 1s);
  p.a.on_timeout(p.now + 1s);
  EXPECT_EQ(p.host_a.result(slow).error().code, Errc::timeout);
  // The late reply is ignored.
  auto late = p.host_b.take(callee);
  ASSERT_TRUE(late);
  ASSERT_TRUE(p.b.reply(*late, bytes("late")));
  p.pump();
  EXPECT_EQ(p.a.stats().pending_calls, 0u);
  EXPECT_EQ(p.a.stats().calls_started, 3u);  // the reply, the noproc and the timeout
  EXPECT_EQ(p.a.stats().calls_timed_out, 1u);
}

TEST(ProcessRouter, CalleeEndingWithoutReplyGivesNoprocAtOnce) {
  Pair p;
  Pid caller = p.a.spawn(false);
  Pid callee = p.b.spawn(false);
  Pid local_callee = p.a.spawn(false);
  auto remote = p.a.call(p.now, caller, callee, bytes("q"), 10s);
  auto local = p.a.call(p.now, caller, local_callee, bytes("q"), 10s);
  p.pump();
  p.b.end_process(callee, ExitReason::normal());
  p.a.end_process(local_callee, ExitReason::normal());
  p.pump();
  ASSERT_EQ(p.host_a.completions[remote].size(), 1u);
  EXPECT_EQ(p.host_a.result(remote).error().code, Errc::noproc);
  ASSERT_EQ(p.host_a.completions[local].size(), 1u);
  EXPECT_EQ(p.host_a.result(local).error().code, Errc::noproc);
  // An answered call leaves nothing behind.
  Pid other = p.b.spawn(false);
  auto answered = p.a.call(p.now, caller, other, bytes("q"), 10s);
  p.pump();
  ASSERT_TRUE(p.b.reply(*p.host_b.take(other), bytes("r")));
  p.b.end_process(other, ExitReason::normal());
  p.pump();
  EXPECT_EQ(*p.host_a.result(answered), bytes("r"));
}

TEST(ProcessRouter, ReplyFromAnotherNodeIsIgnored) {
  Pair p;
  Pid caller = p.a.spawn(false);
  Pid callee = p.b.spawn(false);
  auto reply = p.a.call(p.now, caller, callee, bytes("q"), 1s);
  p.pump();
  // "c" forges b's reply (same ref): refused, the call still waits.
  core::Bytes forged_payload = bytes("forged");
  wire::Reply forged{1, {caller.id, caller.incarnation}, wire::ReplyStatus::ok, forged_payload};
  core::Bytes frame = wire::encode_process_message(forged);
  ASSERT_TRUE(p.a.on_frame(p.now, "c", frame));
  EXPECT_EQ(p.host_a.completions[reply].size(), 0u);
}

TEST(ProcessRouter, MonitorGivesExactlyOneDown) {
  Pair p;
  Pid watcher = p.a.spawn(false);
  Pid target = p.b.spawn(false);
  auto ref = p.a.monitor(watcher, target);
  ASSERT_TRUE(ref);
  p.pump();
  EXPECT_TRUE(p.b.node_in_use("a"));
  p.b.end_process(target, ExitReason::user("bye"));
  p.pump();
  auto down = p.host_a.take(watcher);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->kind, EnvelopeKind::down);
  EXPECT_EQ(down->monitor, *ref);
  EXPECT_EQ(down->reason, ExitReason::user("bye"));
  // The connection dropping afterwards does not produce a second DOWN.
  p.a.on_node_down("b");
  EXPECT_FALSE(p.host_a.take(watcher));
  EXPECT_FALSE(p.a.node_in_use("b"));
}

TEST(ProcessRouter, MonitorOfDeadTargetAndNodeLoss) {
  Pair p;
  Pid watcher = p.a.spawn(false);
  auto ref = p.a.monitor(watcher, Pid{"b", 77, 22});
  p.pump();
  auto down = p.host_a.take(watcher);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->monitor, *ref);
  EXPECT_EQ(down->reason.code, ExitCode::noproc);

  Pid target = p.b.spawn(false);
  auto second = p.a.monitor(watcher, target);
  // The node is lost before the request even arrives: noconnection, once.
  p.host_a.outbox.clear();
  p.a.on_node_down("b");
  down = p.host_a.take(watcher);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->monitor, *second);
  EXPECT_EQ(down->reason.code, ExitCode::noconnection);
  p.a.on_node_down("b");
  EXPECT_FALSE(p.host_a.take(watcher));
}

TEST(ProcessRouter, UnreachableNodeFailsMonitorLinkAndCallAtOnce) {
  Pair p;
  p.host_a.unreachable.insert("b");
  Pid me = p.a.spawn(true);
  Pid there{"b", 1, 22};
  auto ref = p.a.monitor(me, there);
  ASSERT_TRUE(ref);
  auto down = p.host_a.take(me);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->reason.code, ExitCode::noconnection);
  ASSERT_TRUE(p.a.link(me, there));
  auto exit = p.host_a.take(me);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->kind, EnvelopeKind::exit);
  EXPECT_EQ(exit->reason.code, ExitCode::noconnection);
  auto call = p.a.call(p.now, me, there, bytes("q"), 1s);
  EXPECT_EQ(p.host_a.result(call).error().code, Errc::unreachable);
  EXPECT_FALSE(p.a.node_in_use("b"));
}

TEST(ProcessRouter, LinksPropagateBothWaysAndTrapExit) {
  Pair p;
  Pid trapper = p.a.spawn(true);
  Pid plain = p.a.spawn(false);
  Pid remote = p.b.spawn(false);
  ASSERT_TRUE(p.a.link(trapper, remote));
  ASSERT_TRUE(p.a.link(plain, remote));
  p.pump();
  p.b.end_process(remote, ExitReason::user("boom"));
  p.pump();
  auto exit = p.host_a.take(trapper);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->kind, EnvelopeKind::exit);
  EXPECT_EQ(exit->from, remote);
  EXPECT_EQ(exit->reason, ExitReason::user("boom"));
  EXPECT_TRUE(p.a.alive(trapper));
  EXPECT_FALSE(p.a.alive(plain));

  // The other direction: a local death reaches the remote linked process.
  Pid remote2 = p.b.spawn(false);
  Pid local = p.a.spawn(false);
  ASSERT_TRUE(p.a.link(local, remote2));
  p.pump();
  p.a.end_process(local, ExitReason::killed());
  p.pump();
  EXPECT_FALSE(p.b.alive(remote2));
}

TEST(ProcessRouter, NormalExitSignalsAreIgnoredUnlessTrappedAndKillIsNot) {
  Pair p;
  Pid a = p.a.spawn(false);
  Pid trapper = p.a.spawn(true);
  ASSERT_TRUE(p.a.exit_signal(p.a.anonymous(), a, ExitReason::normal()));
  EXPECT_TRUE(p.a.alive(a));
  ASSERT_TRUE(p.a.exit_signal(p.a.anonymous(), trapper, ExitReason::user("x")));
  EXPECT_TRUE(p.a.alive(trapper));
  EXPECT_EQ(p.host_a.take(trapper)->kind, EnvelopeKind::exit);
  ASSERT_TRUE(p.a.exit_signal(p.a.anonymous(), trapper, ExitReason::killed()));
  EXPECT_FALSE(p.a.alive(trapper));
}

TEST(ProcessRouter, NamesAndRpc) {
  Pair p;
  Pid server = p.b.spawn(false);
  ASSERT_TRUE(p.b.register_name("svc", server));
  EXPECT_EQ(p.b.register_name("svc", server).error().code, Errc::already_exists);
  Pid client = p.a.spawn(false);
  ASSERT_TRUE(p.a.send_named(client, "b", "svc", bytes("hi")));
  ASSERT_TRUE(p.a.send_named(client, "b", "nobody", bytes("lost")));
  p.pump();
  EXPECT_EQ(p.host_b.take(server)->payload, bytes("hi"));
  EXPECT_EQ(p.b.stats().dropped_noproc, 1u);

  p.host_b.functions["double"] = [](core::ByteView in) -> Result<core::Bytes> {
    core::Bytes out(in.begin(), in.end());
    out.insert(out.end(), in.begin(), in.end());
    return out;
  };
  p.host_b.functions["fail"] = [](core::ByteView) -> Result<core::Bytes> {
    return fail(Errc::invalid_argument, "bad input");
  };
  auto ok = p.a.rpc(p.now, client, "b", "double", bytes("ab"), 1s);
  auto failed = p.a.rpc(p.now, client, "b", "fail", bytes(""), 1s);
  auto missing = p.a.rpc(p.now, client, "b", "missing", bytes(""), 1s);
  p.pump();
  p.finish_rpcs(p.host_b, p.b);
  p.pump();
  EXPECT_EQ(*p.host_a.result(ok), bytes("abab"));
  EXPECT_EQ(p.host_a.result(failed).error().code, Errc::remote);
  EXPECT_EQ(p.host_a.result(missing).error().code, Errc::not_found);

  p.b.end_process(server, ExitReason::normal());
  EXPECT_FALSE(p.b.whereis("svc"));
}

TEST(ProcessRouter, FullMailboxRejectsCallsAndCountsDrops) {
  Pair p;
  Pid caller = p.a.spawn(false);
  Pid callee = p.b.spawn(false);
  p.host_b.limits[callee.id] = 0;
  ASSERT_TRUE(p.a.send(caller, callee, bytes("x")));
  auto call = p.a.call(p.now, caller, callee, bytes("q"), 1s);
  p.pump();
  EXPECT_EQ(p.host_a.result(call).error().code, Errc::limit_reached);
  EXPECT_EQ(p.b.stats().dropped_mailbox_full, 1u);
  // Locally the sender is told at once.
  Pid local = p.b.spawn(false);
  EXPECT_EQ(p.b.send(local, callee, bytes("x")).error().code, Errc::limit_reached);
}

// A host that finds the mailbox full only after deliver() returned (the Engine: its driver owns
// the mailboxes) reports it with delivery_refused(): the call still completes exactly once.
TEST(ProcessRouter, ARefusalReportedLaterAnswersTheCallOnce) {
  Pair p;
  Pid caller = p.a.spawn(false);
  Pid remote_callee = p.b.spawn(false);
  Pid local_callee = p.a.spawn(false);
  auto remote = p.a.call(p.now, caller, remote_callee, bytes("q"), 10s);
  auto local = p.a.call(p.now, caller, local_callee, bytes("q"), 10s);
  p.pump();
  auto remote_call = p.host_b.take(remote_callee);
  auto local_call = p.host_a.take(local_callee);
  ASSERT_TRUE(remote_call && local_call);
  p.b.delivery_refused(remote_callee.id, std::move(*remote_call));
  p.a.delivery_refused(local_callee.id, std::move(*local_call));
  p.pump();
  EXPECT_EQ(p.host_a.result(remote).error().code, Errc::limit_reached);
  EXPECT_EQ(p.host_a.result(local).error().code, Errc::limit_reached);
  EXPECT_EQ(p.b.stats().dropped_mailbox_full, 1u);
  // The callee ending later sends no second answer (its open call is gone).
  p.b.end_process(remote_callee, ExitReason::normal());
  p.a.end_process(local_callee, ExitReason::normal());
  p.pump();
  EXPECT_EQ(p.host_a.completions[remote].size(), 1u);
  EXPECT_EQ(p.host_a.completions[local].size(), 1u);
  EXPECT_EQ(p.a.stats().pending_calls, 0u);
}

TEST(ProcessRouter, MalformedFrameIsAProtocolError) {
  Pair p;
  auto result = p.a.on_frame(p.now, "b", bytes("\xff garbage"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::protocol);
  EXPECT_EQ(p.a.stats().protocol_errors, 1u);
}

TEST(ProcessRouter, ShutdownEndsEverythingAndFailsCalls) {
  Pair p;
  Pid watcher = p.a.spawn(false);
  Pid local = p.a.spawn(false);
  Pid remote = p.b.spawn(false);
  ASSERT_TRUE(p.a.monitor(watcher, remote));
  auto call = p.a.call(p.now, local, remote, bytes("q"), 10s);
  p.pump();
  p.a.shutdown(ExitReason{ExitCode::shutdown, {}});
  EXPECT_EQ(p.host_a.result(call).error().code, Errc::closed);
  EXPECT_EQ(p.a.stats().processes, 0u);
  p.pump();
  EXPECT_FALSE(p.b.node_in_use("a"));  // the demonitor reached b
}

ProcessRouterLimits small_limits() {
  ProcessRouterLimits limits;
  limits.remote_monitors_per_process_max = 3;
  limits.remote_links_per_process_max = 2;
  return limits;
}

TEST(ProcessRouter, DefaultLimitsBoundWhatPeersCanHold) {
  Pair p;
  EXPECT_EQ(p.a.limits().remote_monitors_per_process_max, 10'000u);
  EXPECT_EQ(p.a.limits().remote_links_per_process_max, 10'000u);
}

// Five watchers on a monitor one target on b, whose bound is three: two MONITORs are refused
// with their one DOWN (noconnection, "monitor refused"); the three accepted monitors get exactly
// one DOWN each when the target ends, and the refused ones nothing more.
TEST(ProcessRouter, MonitorsFromPeersStopAtTheBoundWithOneDownEach) {
  Pair p(small_limits());
  Pid target = p.b.spawn(false);
  std::vector<Pid> watchers;
  std::vector<MonitorRef> refs;
  for (int i = 0; i < 5; ++i) {
    watchers.push_back(p.a.spawn(false));
    auto ref = p.a.monitor(watchers.back(), target);
    ASSERT_TRUE(ref);
    refs.push_back(*ref);
  }
  p.pump();
  EXPECT_EQ(p.b.stats().remote_monitors, 3u);
  EXPECT_EQ(p.b.stats().remote_monitors_refused, 2u);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(p.host_a.take(watchers[i]));
  for (int i = 3; i < 5; ++i) {
    auto down = p.host_a.take(watchers[i]);
    ASSERT_TRUE(down);
    EXPECT_EQ(down->kind, EnvelopeKind::down);
    EXPECT_EQ(down->monitor, refs[i]);
    EXPECT_EQ(down->from, target);
    EXPECT_EQ(down->reason.code, ExitCode::noconnection);
    EXPECT_NE(down->reason.text.find("monitor refused"), std::string::npos);
  }
  EXPECT_TRUE(p.b.alive(target));
  p.b.end_process(target, ExitReason::user("bye"));
  p.pump();
  for (int i = 0; i < 3; ++i) {
    auto down = p.host_a.take(watchers[i]);
    ASSERT_TRUE(down);
    EXPECT_EQ(down->monitor, refs[i]);
    EXPECT_EQ(down->reason, ExitReason::user("bye"));
  }
  p.a.on_node_down("b");
  for (const Pid& watcher : watchers) EXPECT_FALSE(p.host_a.take(watcher));
  EXPECT_EQ(p.b.stats().remote_monitors, 0u);
}

// The bound counts monitors held now: a DEMONITOR or a lost connection frees room, and a
// repeated MONITOR for an accepted monitor is acknowledged, not refused.
TEST(ProcessRouter, RemoteMonitorRoomIsFreedAndRepeatsAreAcknowledged) {
  Pair p(small_limits());
  Pid target = p.b.spawn(false);
  Pid watcher = p.a.spawn(false);
  std::vector<MonitorRef> refs;
  for (int i = 0; i < 3; ++i) refs.push_back(*p.a.monitor(watcher, target));
  p.pump();
  ASSERT_TRUE(p.a.demonitor(watcher, refs[0]));
  p.pump();
  EXPECT_EQ(p.b.stats().remote_monitors, 2u);
  ASSERT_TRUE(p.a.monitor(watcher, target));
  // The same MONITOR frame again (a peer retrying): acknowledged, still three held.
  wire::Monitor repeat{refs[1].value,
                       {watcher.id, watcher.incarnation},
                       wire::Target::of({target.id, target.incarnation})};
  p.host_a.outbox.emplace_back("b", wire::encode_process_message(repeat));
  p.pump();
  EXPECT_FALSE(p.host_a.take(watcher));
  EXPECT_EQ(p.b.stats().remote_monitors, 3u);
  EXPECT_EQ(p.b.stats().remote_monitors_refused, 0u);
  // The connection to a drops: its monitors are gone and a new one fits again.
  p.b.on_node_down("a");
  EXPECT_EQ(p.b.stats().remote_monitors, 0u);
  p.a.on_node_down("b");
  while (p.host_a.take(watcher)) {
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.a.monitor(watcher, target));
  p.pump();
  EXPECT_FALSE(p.host_a.take(watcher));
  EXPECT_EQ(p.b.stats().remote_monitors, 3u);
  EXPECT_EQ(p.b.stats().remote_monitors_refused, 0u);
}

// Hostile frames: a peer inventing refs cannot grow a process's watcher table past the bound.
TEST(ProcessRouter, ForgedMonitorFloodIsBounded) {
  Pair p(small_limits());
  Pid target = p.b.spawn(false);
  for (std::uint64_t ref = 1; ref <= 1000; ++ref) {
    wire::Monitor forged{ref, {5, 11}, wire::Target::of({target.id, target.incarnation})};
    ASSERT_TRUE(p.b.on_frame(p.now, "a", wire::encode_process_message(forged)));
  }
  EXPECT_EQ(p.b.stats().remote_monitors, 3u);
  EXPECT_EQ(p.b.stats().remote_monitors_refused, 997u);
}

// Three processes on a link to one target on b, whose bound is two: the third LINK is refused
// with a linked EXIT (noconnection), which a trapping linker receives and a plain one dies of.
TEST(ProcessRouter, LinksFromPeersStopAtTheBound) {
  Pair p(small_limits());
  Pid target = p.b.spawn(false);
  Pid first = p.a.spawn(true);
  Pid second = p.a.spawn(true);
  Pid trapper = p.a.spawn(true);
  Pid plain = p.a.spawn(false);
  for (const Pid& from : {first, second, trapper, plain}) ASSERT_TRUE(p.a.link(from, target));
  p.pump();
  EXPECT_EQ(p.b.stats().remote_links, 2u);
  EXPECT_EQ(p.b.stats().remote_links_refused, 2u);
  auto exit = p.host_a.take(trapper);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->kind, EnvelopeKind::exit);
  EXPECT_EQ(exit->from, target);
  EXPECT_EQ(exit->reason.code, ExitCode::noconnection);
  EXPECT_NE(exit->reason.text.find("link refused"), std::string::npos);
  EXPECT_FALSE(p.a.alive(plain));
  EXPECT_FALSE(p.host_a.take(first));
  // A repeated LINK of an existing link is acknowledged, not refused.
  ASSERT_TRUE(p.b.on_frame(p.now, "a",
                           wire::encode_process_message(wire::Link{
                               {first.id, first.incarnation}, {target.id, target.incarnation}})));
  EXPECT_EQ(p.b.stats().remote_links_refused, 2u);
  p.pump();
  // The accepted links still carry the target's exit; the refused one is not linked.
  p.b.end_process(target, ExitReason::user("boom"));
  p.pump();
  for (const Pid& linked : {first, second}) {
    auto signal = p.host_a.take(linked);
    ASSERT_TRUE(signal);
    EXPECT_EQ(signal->reason, ExitReason::user("boom"));
  }
  EXPECT_FALSE(p.host_a.take(trapper));
  EXPECT_EQ(p.b.stats().remote_links, 0u);
}

// The same bound holds for links a local process makes to remote ones: link() fails with
// limit_reached, and an unlink frees room.
TEST(ProcessRouter, LocalLinkToRemoteFailsAtTheBound) {
  Pair p(small_limits());
  Pid local = p.a.spawn(false);
  Pid one = p.b.spawn(false);
  Pid two = p.b.spawn(false);
  Pid three = p.b.spawn(false);
  Pid neighbour = p.a.spawn(false);
  ASSERT_TRUE(p.a.link(local, neighbour));  // local links do not count
  ASSERT_TRUE(p.a.link(local, one));
  ASSERT_TRUE(p.a.link(local, two));
  auto refused = p.a.link(local, three);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::limit_reached);
  ASSERT_TRUE(p.a.link(local, one));  // already linked: no new room needed
  ASSERT_TRUE(p.a.unlink(local, one));
  ASSERT_TRUE(p.a.link(local, three));
  p.pump();
  EXPECT_EQ(p.a.stats().remote_links, 2u);
  EXPECT_EQ(p.b.stats().remote_links, 2u);
  EXPECT_TRUE(p.a.alive(local));
}

}  // namespace
}  // namespace barrel_p2p::node
