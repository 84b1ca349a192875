// Processes across nodes over real QUIC (SPEC §2.3, §2.4): send, call, rpc, names, monitors,
// links, ordering, bounds and on-demand connections. Nodes find each other through a shared
// endpoint directory; no test connects explicitly.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "barrel_p2p/codec.hpp"
#include "support/process_cluster.hpp"

namespace barrel_p2p::testing {
namespace {

constexpr auto kWait = 10s;

Envelope receive_ok(Mailbox& mailbox, std::chrono::milliseconds timeout = kWait) {
  auto envelope = mailbox.receive(timeout);
  EXPECT_TRUE(envelope) << envelope.error().to_string();
  return envelope ? std::move(*envelope) : Envelope{};
}

TEST(Process, CrossNodeSendAndCall) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto echo = cluster[1].spawn(echo_handler());
  ASSERT_TRUE(echo) << echo.error().to_string();
  auto mailbox = cluster[0].mailbox();
  ASSERT_TRUE(mailbox);
  Mailbox& me = **mailbox;

  ASSERT_TRUE(me.send(*echo, bytes_of("hello")));
  Envelope back = receive_ok(me);
  EXPECT_EQ(back.kind, EnvelopeKind::message);
  EXPECT_EQ(back.from, *echo);
  EXPECT_EQ(text_of(back.payload), "hello");

  auto reply = me.call(*echo, bytes_of("ping"), kWait).get();
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(text_of(*reply), "pong:ping");
  // The same from no process at all.
  auto anonymous = cluster[0].call(*echo, bytes_of("x"), kWait).get();
  ASSERT_TRUE(anonymous) << anonymous.error().to_string();
  EXPECT_EQ(text_of(*anonymous), "pong:x");
  EXPECT_GE(cluster[0].stats().on_demand_connects, 1u);
}

TEST(Process, CallTimesOutWhenNobodyReplies) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto silent = cluster[1].spawn([](Process&, Envelope&&) {});
  ASSERT_TRUE(silent);
  auto reply = cluster[0].call(*silent, bytes_of("anyone?"), 200ms).get();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, Errc::timeout);
  EXPECT_EQ(cluster[0].stats().calls_timed_out, 1u);
}

TEST(Process, CallToDeadPidFailsWithNoproc) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto local = cluster[0].spawn(stoppable_handler());
  auto remote = cluster[1].spawn(stoppable_handler());
  ASSERT_TRUE(local && remote);
  auto watcher = cluster[0].mailbox();
  ASSERT_TRUE(watcher);
  ASSERT_TRUE((*watcher)->monitor(*local));
  ASSERT_TRUE((*watcher)->monitor(*remote));
  ASSERT_TRUE(cluster[0].send(*local, bytes_of("stop")));
  ASSERT_TRUE(cluster[0].send(*remote, bytes_of("stop")));
  EXPECT_EQ(receive_ok(**watcher).kind, EnvelopeKind::down);
  EXPECT_EQ(receive_ok(**watcher).kind, EnvelopeKind::down);

  auto local_reply = cluster[0].call(*local, bytes_of("?"), kWait).get();
  ASSERT_FALSE(local_reply);
  EXPECT_EQ(local_reply.error().code, Errc::noproc);
  auto remote_reply = cluster[0].call(*remote, bytes_of("?"), kWait).get();
  ASSERT_FALSE(remote_reply);
  EXPECT_EQ(remote_reply.error().code, Errc::noproc) << remote_reply.error().to_string();
  // A pid from an earlier run of a node (other incarnation) is never a live process.
  Pid stale{cluster[1].name(), remote->id, remote->incarnation + 1};
  auto stale_reply = cluster[0].call(stale, bytes_of("?"), kWait).get();
  ASSERT_FALSE(stale_reply);
  EXPECT_EQ(stale_reply.error().code, Errc::noproc);
}

TEST(Process, RemoteMonitorFiresExactlyOneDownWithTheReason) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto normal = cluster[1].spawn(stoppable_handler());
  auto victim = cluster[1].spawn(stoppable_handler());
  auto crasher = cluster[1].spawn(stoppable_handler());
  ASSERT_TRUE(normal && victim && crasher);
  auto watcher = cluster[0].mailbox();
  ASSERT_TRUE(watcher);
  Mailbox& me = **watcher;
  auto ref_normal = me.monitor(*normal);
  auto ref_victim = me.monitor(*victim);
  auto ref_crasher = me.monitor(*crasher);
  ASSERT_TRUE(ref_normal && ref_victim && ref_crasher);

  ASSERT_TRUE(me.send(*normal, bytes_of("stop")));
  Envelope down = receive_ok(me);
  EXPECT_EQ(down.kind, EnvelopeKind::down);
  EXPECT_EQ(down.from, *normal);
  EXPECT_EQ(down.monitor, *ref_normal);
  EXPECT_EQ(down.reason.code, ExitCode::normal);

  ASSERT_TRUE(cluster[0].exit(*victim, ExitReason::killed()));
  down = receive_ok(me);
  EXPECT_EQ(down.from, *victim);
  EXPECT_EQ(down.monitor, *ref_victim);
  EXPECT_EQ(down.reason.code, ExitCode::killed);

  ASSERT_TRUE(me.send(*crasher, bytes_of("crash")));
  down = receive_ok(me);
  EXPECT_EQ(down.monitor, *ref_crasher);
  EXPECT_EQ(down.reason, ExitReason::user("crashed on purpose"));
  // Exactly one DOWN each: nothing else arrives.
  auto extra = me.receive(300ms);
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error().code, Errc::timeout);
}

TEST(Process, MonitorOfMissingOrDyingProcessStillGivesOneDown) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto watcher = cluster[0].mailbox();
  ASSERT_TRUE(watcher);
  Mailbox& me = **watcher;
  // Never existed: DOWN noproc.
  Pid missing{cluster[1].name(), 999'999, cluster[1].incarnation()};
  auto ref = me.monitor(missing);
  ASSERT_TRUE(ref);
  Envelope down = receive_ok(me);
  EXPECT_EQ(down.monitor, *ref);
  EXPECT_EQ(down.reason.code, ExitCode::noproc);
  // Dies while the monitor request travels: one DOWN, normal or noproc.
  for (int i = 0; i < 20; ++i) {
    auto target = cluster[1].spawn(stoppable_handler());
    ASSERT_TRUE(target);
    ASSERT_TRUE(me.send(*target, bytes_of("stop")));
    auto racing = me.monitor(*target);
    ASSERT_TRUE(racing);
    Envelope first = receive_ok(me);
    EXPECT_EQ(first.monitor, *racing);
    EXPECT_TRUE(first.reason.code == ExitCode::normal || first.reason.code == ExitCode::noproc);
  }
  EXPECT_FALSE(me.receive(200ms));
}

TEST(Process, DemonitorSuppressesTheDown) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto target = cluster[1].spawn(stoppable_handler());
  ASSERT_TRUE(target);
  auto watcher = cluster[0].mailbox();
  ASSERT_TRUE(watcher);
  auto ref = (*watcher)->monitor(*target);
  ASSERT_TRUE(ref);
  ASSERT_TRUE((*watcher)->demonitor(*ref));
  auto probe = (*watcher)->monitor(*target);  // ordered after the demonitor
  ASSERT_TRUE((*watcher)->send(*target, bytes_of("stop")));
  Envelope down = receive_ok(**watcher);
  EXPECT_EQ(down.monitor, *probe);
  EXPECT_FALSE((*watcher)->receive(200ms));
}

TEST(Process, LinksPropagateExitsAndTrapExitTurnsThemIntoMessages) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto watcher = cluster[0].mailbox();
  ASSERT_TRUE(watcher);
  Mailbox& me = **watcher;
  ASSERT_TRUE(me.trap_exit(true));
  // bob's crasher is linked to a plain process on alice (not trapping) and to `me` (trapping).
  auto crasher = cluster[1].spawn(stoppable_handler());
  ASSERT_TRUE(crasher);
  SpawnOptions linked;
  linked.link_to = *crasher;
  auto follower = cluster[0].spawn([](Process&, Envelope&&) {}, linked);
  ASSERT_TRUE(follower);
  auto follower_ref = me.monitor(*follower);
  ASSERT_TRUE(follower_ref);
  ASSERT_TRUE(me.link(*crasher));
  // Round trip through bob so both link requests have arrived before the crash.
  auto echo = cluster[1].spawn(echo_handler());
  ASSERT_TRUE(echo && me.call(*echo, bytes_of("sync"), kWait).get());

  ASSERT_TRUE(me.send(*crasher, bytes_of("crash")));
  std::map<EnvelopeKind, Envelope> got;
  for (int i = 0; i < 2; ++i) {
    Envelope envelope = receive_ok(me);
    got[envelope.kind] = envelope;
  }
  ASSERT_TRUE(got.contains(EnvelopeKind::exit));
  EXPECT_EQ(got[EnvelopeKind::exit].from, *crasher);
  EXPECT_EQ(got[EnvelopeKind::exit].reason, ExitReason::user("crashed on purpose"));
  ASSERT_TRUE(got.contains(EnvelopeKind::down));  // the follower died of the same reason
  EXPECT_EQ(got[EnvelopeKind::down].from, *follower);
  EXPECT_EQ(got[EnvelopeKind::down].reason, ExitReason::user("crashed on purpose"));
}

TEST(Process, NormalExitDoesNotKillLinkedProcessesButKillCannotBeTrapped) {
  ProcessCluster cluster(1);
  ASSERT_TRUE(cluster.ok);
  Node& node = cluster[0];
  auto watcher = node.mailbox();
  ASSERT_TRUE(watcher);
  Mailbox& me = **watcher;
  auto a = node.spawn(stoppable_handler());
  ASSERT_TRUE(a);
  SpawnOptions options;
  options.link_to = *a;
  options.trap_exit = true;
  std::atomic<int> exits{0};
  auto b = node.spawn(
      [&](Process&, Envelope&& m) {
        if (m.kind == EnvelopeKind::exit) ++exits;
      },
      options);
  ASSERT_TRUE(b);
  auto ref_b = me.monitor(*b);
  ASSERT_TRUE(ref_b);
  ASSERT_TRUE(node.send(*a, bytes_of("stop")));  // normal: b traps it, stays alive
  ASSERT_TRUE(node.call(*b, bytes_of("?"), 300ms).get().error().code == Errc::timeout);
  EXPECT_EQ(exits.load(), 1);
  ASSERT_TRUE(node.exit(*b, ExitReason::killed()));  // untrappable
  Envelope down = receive_ok(me);
  EXPECT_EQ(down.from, *b);
  EXPECT_EQ(down.reason.code, ExitCode::killed);
}

TEST(Process, StoppingANodeGivesShutdownToMonitorsLinksAndCalls) {
  ProcessCluster cluster(2, [](Config& config) {
    config.idle_timeout = 2s;
    config.keep_alive = 500ms;
    config.connect_timeout = 1s;
  });
  ASSERT_TRUE(cluster.ok);
  auto target = cluster[1].spawn([](Process&, Envelope&&) {});
  ASSERT_TRUE(target);
  auto watcher = cluster[0].mailbox();
  ASSERT_TRUE(watcher);
  Mailbox& me = **watcher;
  ASSERT_TRUE(me.trap_exit(true));
  auto ref = me.monitor(*target);
  ASSERT_TRUE(ref);
  ASSERT_TRUE(me.link(*target));
  auto pending = me.call(*target, bytes_of("never answered"), 30s);
  auto echo = cluster[1].spawn(echo_handler());
  // Ordered after the call: once answered, the call has reached the target.
  ASSERT_TRUE(echo && me.call(*echo, bytes_of("sync"), kWait).get());

  cluster.nodes[1]->stop();
  std::map<EnvelopeKind, Envelope> got;
  for (int i = 0; i < 2; ++i) {
    Envelope envelope = receive_ok(me);
    got[envelope.kind] = envelope;
  }
  // A clean stop ends its processes with `shutdown` before it closes its connections (an
  // abrupt one gives noconnection: ProcessOs.CallMonitorAndKillAcrossOsProcesses).
  EXPECT_EQ(got[EnvelopeKind::down].reason.code, ExitCode::shutdown);
  EXPECT_EQ(got[EnvelopeKind::down].monitor, *ref);
  EXPECT_EQ(got[EnvelopeKind::exit].reason.code, ExitCode::shutdown);
  EXPECT_EQ(got[EnvelopeKind::exit].from, *target);
  auto reply = pending.get();  // the callee ended without replying
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, Errc::noproc);
  // Later calls to that node fail: nobody listens at its address any more.
  auto later = me.call(*echo, bytes_of("?"), 20s).get();
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code, Errc::unreachable);
}

TEST(Process, RpcRunsNamedFunctionsAndReportsErrors) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  ASSERT_TRUE(cluster[1].register_function("upper", [](BytesView in) -> Result<Bytes> {
    Bytes out(in.begin(), in.end());
    for (auto& c : out) c = static_cast<std::uint8_t>(std::toupper(c));
    return out;
  }));
  ASSERT_TRUE(cluster[1].register_function(
      "refuse", [](BytesView) -> Result<Bytes> { return fail(Errc::invalid_argument, "no way"); },
      Placement::worker));
  EXPECT_EQ(cluster[1]
                .register_function("upper", [](BytesView) -> Result<Bytes> { return {}; })
                .error()
                .code,
            Errc::already_exists);

  auto upper = cluster[0].rpc("n1", "upper", bytes_of("shout"), kWait).get();
  ASSERT_TRUE(upper) << upper.error().to_string();
  EXPECT_EQ(text_of(*upper), "SHOUT");
  auto unknown = cluster[0].rpc("n1", "nope", bytes_of(""), kWait).get();
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
  auto refused = cluster[0].rpc("n1", "refuse", bytes_of(""), kWait).get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::remote);
  EXPECT_NE(refused.error().message.find("no way"), std::string::npos);
  // Local rpc goes through the same path.
  auto local = cluster[1].rpc("", "upper", bytes_of("here"), kWait).get();
  ASSERT_TRUE(local);
  EXPECT_EQ(text_of(*local), "HERE");
  auto unreachable = cluster[0].rpc("ghost", "upper", bytes_of(""), kWait).get();
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, Errc::unreachable);
}

TEST(Process, SendByRegisteredName) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  SpawnOptions options;
  options.name = "echo";
  auto echo = cluster[1].spawn(echo_handler(), options);
  ASSERT_TRUE(echo);
  EXPECT_EQ(cluster[1].whereis("echo"), *echo);
  EXPECT_EQ(cluster[1].spawn(echo_handler(), options).error().code, Errc::already_exists);
  auto mailbox = cluster[0].mailbox();
  ASSERT_TRUE(mailbox);
  ASSERT_TRUE((*mailbox)->send("n1", "echo", bytes_of("by name")));
  Envelope back = receive_ok(**mailbox);
  EXPECT_EQ(text_of(back.payload), "by name");
  EXPECT_EQ(back.from, *echo);
  EXPECT_EQ(cluster[0].send("", "nobody", bytes_of("x")).error().code, Errc::not_found);
  // The name goes with the process.
  ASSERT_TRUE(cluster[1].exit(*echo, ExitReason::killed()));
  for (int i = 0; i < 100 && cluster[1].whereis("echo"); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(cluster[1].whereis("echo"));
}

// A loop process on the sender's node that sends `total` numbered messages to `to`, 500 per
// turn (it re-sends itself "more" so the loop keeps serving the network in between).
Handler numbered_sender(Pid to, std::uint64_t total) {
  auto next = std::make_shared<std::uint64_t>(0);
  return [to, total, next](Process& self, Envelope&&) {
    for (int i = 0; i < 500 && *next < total; ++i) {
      if (!self.send(to, u64_bytes(*next))) break;  // queue full: retry on the next turn
      ++*next;
    }
    if (*next < total) (void)self.send(self.self(), bytes_of("more"));
  };
}

// Bulk-ordering tests check order, not failure detection: a sanitizer build on a loaded host
// can starve a loop thread for seconds, which must not idle out the link under test.
void patient_links(Config& config) {
  config.idle_timeout = 60s;
  config.keep_alive = 5s;
}

// What to print when a bulk test times out: where messages went.
std::string drops_of(ProcessCluster& cluster) {
  std::string out;
  for (std::size_t i = 0; i < 2; ++i) {
    const NodeStats stats = cluster[i].stats();
    out += "n" + std::to_string(i) + ": in " + std::to_string(stats.process_messages_in) +
           ", out " + std::to_string(stats.process_messages_out) + ", mailbox_full " +
           std::to_string(stats.dropped_mailbox_full) + ", connection_lost " +
           std::to_string(stats.dropped_connection_lost) + ", noproc " +
           std::to_string(stats.dropped_noproc) + "; ";
  }
  return out;
}

// Counts per-sender sequences; reports to `report` once `expected` messages arrived.
Handler sequence_checker(Pid report, std::uint64_t expected) {
  struct State {
    std::map<Pid, std::uint64_t> next;
    std::uint64_t received = 0;
    std::uint64_t out_of_order = 0;
  };
  auto state = std::make_shared<State>();
  return [report, expected, state](Process& self, Envelope&& message) {
    auto& next = state->next[message.from];
    if (u64_of(message.payload) != next) ++state->out_of_order;
    next = u64_of(message.payload) + 1;
    if (++state->received == expected) {
      (void)self.send(report, u64_bytes(state->out_of_order));
    }
  };
}

TEST(Process, HundredThousandMessagesArriveInOrder) {
  ProcessCluster cluster(2, patient_links);
  ASSERT_TRUE(cluster.ok);
  auto report = cluster[1].mailbox();
  ASSERT_TRUE(report);
  constexpr std::uint64_t kTotal = 100'000;
  // Remote messages to a full mailbox are dropped (documented); a slow (sanitizer) build may
  // fall behind the sender, so the checker's mailbox holds the whole run.
  SpawnOptions roomy;
  roomy.mailbox_limit = 2 * kTotal;
  auto checker = cluster[1].spawn(sequence_checker((*report)->self(), kTotal), roomy);
  ASSERT_TRUE(checker);
  auto sender = cluster[0].spawn(numbered_sender(*checker, kTotal));
  ASSERT_TRUE(sender);
  ASSERT_TRUE(cluster[0].send(*sender, bytes_of("go")));
  Envelope done = receive_ok(**report, 240s);
  EXPECT_EQ(u64_of(done.payload), 0u) << "messages out of order";
  EXPECT_FALSE(done.payload.empty()) << drops_of(cluster);
  EXPECT_EQ(cluster[1].stats().dropped_mailbox_full, 0u);
}

TEST(Process, ConcurrentPairsKeepPerPairOrder) {
  ProcessCluster cluster(2, patient_links);
  ASSERT_TRUE(cluster.ok);
  constexpr int kPairs = 8;
  constexpr std::uint64_t kEach = 5'000;
  auto report0 = cluster[0].mailbox();
  auto report1 = cluster[1].mailbox();
  ASSERT_TRUE(report0 && report1);
  // One checker per node receives from kPairs senders on the other node (and vice versa).
  SpawnOptions roomy;
  roomy.mailbox_limit = 2 * kPairs * kEach;
  auto checker0 = cluster[0].spawn(sequence_checker((*report0)->self(), kPairs * kEach), roomy);
  auto checker1 = cluster[1].spawn(sequence_checker((*report1)->self(), kPairs * kEach), roomy);
  ASSERT_TRUE(checker0 && checker1);
  std::vector<Pid> senders;
  for (int i = 0; i < kPairs; ++i) {
    auto a = cluster[0].spawn(numbered_sender(*checker1, kEach));
    auto b = cluster[1].spawn(numbered_sender(*checker0, kEach));
    ASSERT_TRUE(a && b);
    senders.push_back(*a);
    senders.push_back(*b);
  }
  for (const auto& sender : senders) {
    ASSERT_TRUE(cluster[sender.node == "n0" ? 0 : 1].send(sender, bytes_of("go")));
  }
  for (Mailbox* report : {report0->get(), report1->get()}) {
    Envelope done = receive_ok(*report, 240s);
    EXPECT_FALSE(done.payload.empty()) << drops_of(cluster);
    EXPECT_EQ(u64_of(done.payload), 0u) << "messages out of order";
  }
}

TEST(Process, FullMailboxRefusesLocalSendsAndCalls) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto full = cluster[1].mailbox(3);  // never received from
  ASSERT_TRUE(full);
  Pid target = (*full)->self();
  // A loop process on the same node sends five: the fourth and fifth are refused.
  auto results = cluster[1].mailbox();
  ASSERT_TRUE(results);
  auto sender = cluster[1].spawn([target, report = (*results)->self()](Process& self, Envelope&&) {
    std::string outcome;
    for (int i = 0; i < 5; ++i) {
      auto sent = self.send(target, bytes_of("x"));
      outcome += sent ? "ok " : std::string(errc_name(sent.error().code)) + " ";
    }
    (void)self.send(report, bytes_of(outcome));
  });
  ASSERT_TRUE(sender);
  ASSERT_TRUE(cluster[1].send(*sender, bytes_of("go")));
  EXPECT_EQ(text_of(receive_ok(**results).payload), "ok ok ok limit_reached limit_reached ");
  // A call into the full mailbox fails at once with limit_reached, locally and remotely.
  auto local = cluster[1].call(target, bytes_of("?"), kWait).get();
  ASSERT_FALSE(local);
  EXPECT_EQ(local.error().code, Errc::limit_reached);
  auto remote = cluster[0].call(target, bytes_of("?"), kWait).get();
  ASSERT_FALSE(remote);
  EXPECT_EQ(remote.error().code, Errc::limit_reached) << remote.error().to_string();
  // The refused sends were errors to their sender, not drops; the two refused calls count.
  EXPECT_EQ(cluster[1].stats().dropped_mailbox_full, 2u);
  EXPECT_EQ((*full)->size(), 3u);
}

TEST(Process, UnknownNodeAndDeadAddressFailClearly) {
  ProcessCluster cluster(1, [](Config& config) { config.connect_timeout = 500ms; });
  ASSERT_TRUE(cluster.ok);
  Node& node = cluster[0];
  Pid ghost{"ghost", 1, 1};
  auto sent = node.call(ghost, bytes_of("?"), kWait).get();
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Errc::unreachable);
  EXPECT_NE(sent.error().message.find("ghost"), std::string::npos);
  // An address where nobody answers: the call fails when the connect times out.
  ASSERT_TRUE(node.add_address("silent", "127.0.0.1:9"));
  auto watcher = node.mailbox();
  ASSERT_TRUE(watcher);
  Pid silent{"silent", 1, 1};
  auto ref = (*watcher)->monitor(silent);
  ASSERT_TRUE(ref);
  auto reply = node.call(silent, bytes_of("?"), kWait).get();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, Errc::unreachable);
  Envelope down = receive_ok(**watcher);
  EXPECT_EQ(down.monitor, *ref);
  EXPECT_EQ(down.reason.code, ExitCode::noconnection);
  EXPECT_GE(node.stats().connects_failed, 1u);
}

TEST(Process, AddressWithADnsNameIsResolved) {
  TempDir dir;
  auto a = start_node(test_config("dns-a", dir.sub("a")));
  auto b = start_node(test_config("dns-b", dir.sub("b")));
  ASSERT_TRUE(a && b);
  auto echo = b->spawn(echo_handler());
  ASSERT_TRUE(echo);
  const std::string port = b->address().substr(b->address().rfind(':') + 1);
  ASSERT_TRUE(a->add_address("dns-b", "localhost:" + port));
  auto reply = a->call(*echo, bytes_of("by name"), kWait).get();
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(text_of(*reply), "pong:by name");
  ASSERT_TRUE(a->add_address("dns-c", "no-such-host.invalid:1"));
  auto unresolved = a->call(Pid{"dns-c", 1, 1}, bytes_of("?"), kWait).get();
  ASSERT_FALSE(unresolved);
  EXPECT_EQ(unresolved.error().code, Errc::unreachable);
}

TEST(Process, ReaperClosesIdleOnDemandConnectionAndSendReopensIt) {
  ProcessCluster cluster(2, [](Config& config) {
    config.reaper_min_age = 200ms;
    config.reaper_interval = 100ms;
  });
  ASSERT_TRUE(cluster.ok);
  auto echo = cluster[1].spawn(echo_handler());
  ASSERT_TRUE(echo);
  auto first = cluster[0].call(*echo, bytes_of("one"), kWait).get();
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(cluster[0].peers().size(), 1u);
  // Nothing in flight: the connection goes within a few sweeps.
  for (int i = 0; i < 100 && !cluster[0].peers().empty(); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(cluster[0].peers().empty());
  EXPECT_GE(cluster[0].stats().connections_reaped + cluster[1].stats().connections_reaped, 1u);
  auto second = cluster[0].call(*echo, bytes_of("two"), kWait).get();
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(text_of(*second), "pong:two");
}

TEST(Process, ReaperSparesConnectionsInUse) {
  ProcessCluster cluster(2, [](Config& config) {
    config.reaper_min_age = 100ms;
    config.reaper_interval = 50ms;
  });
  ASSERT_TRUE(cluster.ok);
  auto target = cluster[1].spawn([](Process&, Envelope&&) {});
  ASSERT_TRUE(target);
  auto watcher = cluster[0].mailbox();
  ASSERT_TRUE(watcher);
  ASSERT_TRUE((*watcher)->monitor(*target));  // a monitor keeps the connection needed
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(cluster[0].peers().size(), 1u);
  EXPECT_EQ(cluster[0].stats().connections_reaped + cluster[1].stats().connections_reaped, 0u);
  EXPECT_FALSE((*watcher)->receive(10ms));  // and no spurious DOWN
}

TEST(Process, WorkerProcessesMayBlockWithoutStallingTheLoop) {
  ProcessCluster cluster(1, [](Config& config) { config.worker_threads = 2; });
  ASSERT_TRUE(cluster.ok);
  Node& node = cluster[0];
  SpawnOptions worker;
  worker.placement = Placement::worker;
  auto slow = node.spawn(
      [](Process& self, Envelope&& m) {
        std::this_thread::sleep_for(300ms);
        if (m.kind == EnvelopeKind::call) (void)self.reply(m, bytes_of("slow"));
      },
      worker);
  auto fast = node.spawn(echo_handler());
  ASSERT_TRUE(slow && fast);
  auto slow_reply = node.call(*slow, bytes_of("?"), kWait);
  // The loop process answers while the worker sleeps.
  auto fast_reply = node.call(*fast, bytes_of("quick"), kWait).get();
  ASSERT_TRUE(fast_reply);
  EXPECT_FALSE(slow_reply.is_ready());
  auto slow_result = slow_reply.get();
  ASSERT_TRUE(slow_result);
  EXPECT_EQ(text_of(*slow_result), "slow");
}

Task call_twice(Node& node, Pid echo, std::promise<std::string>& done) {
  auto first = co_await node.call(echo, bytes_of("a"), kWait);
  auto second = co_await node.call(echo, bytes_of("b"), kWait);
  done.set_value((first ? text_of(*first) : first.error().to_string()) + "," +
                 (second ? text_of(*second) : second.error().to_string()));
}

TEST(Process, CallsComposeWithCoroutines) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto echo = cluster[1].spawn(echo_handler());
  ASSERT_TRUE(echo);
  std::promise<std::string> done;
  auto result = done.get_future();
  call_twice(cluster[0], *echo, done);
  ASSERT_EQ(result.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(result.get(), "pong:a,pong:b");
}

// Each call starts in the previous call's continuation, which runs on the loop thread while
// the reply is being read: the next request must still go out (regression: flushing from
// inside the transport's read callback lost it).
TEST(Process, CallsChainedFromContinuationsAllComplete) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto echo = cluster[1].spawn(echo_handler());
  auto results = cluster[0].mailbox();
  ASSERT_TRUE(echo && results);
  struct Chain {
    Process* self = nullptr;
    Pid echo;
    Pid report;
    int left = 2000;
    int ok = 0;
    void next() {
      if (left-- == 0) {
        (void)self->send(report, u64_bytes(static_cast<std::uint64_t>(ok)));
        return;
      }
      self->call(echo, bytes_of("x"), 10s).then([this](Result<Bytes> reply) {
        if (reply) ++ok;
        next();
      });
    }
  };
  auto chain = std::make_shared<Chain>();
  chain->echo = *echo;
  chain->report = (*results)->self();
  auto caller = cluster[0].spawn([chain](Process& self, Envelope&&) {
    chain->self = &self;
    chain->next();
  });
  ASSERT_TRUE(caller);
  ASSERT_TRUE(cluster[0].send(*caller, bytes_of("go")));
  EXPECT_EQ(u64_of(receive_ok(**results, 60s).payload), 2000u);
}

TEST(Process, FutureGetOnTheLoopThreadRefusesToBlock) {
  ProcessCluster cluster(1);
  ASSERT_TRUE(cluster.ok);
  auto silent = cluster[0].spawn([](Process&, Envelope&&) {});
  auto results = cluster[0].mailbox();
  ASSERT_TRUE(silent && results);
  auto caller = cluster[0].spawn([&, report = (*results)->self()](Process& self, Envelope&&) {
    auto reply = self.call(*silent, bytes_of("?"), 1s).get();
    (void)self.send(report,
                    bytes_of(reply ? "blocked" : std::string(errc_name(reply.error().code))));
  });
  ASSERT_TRUE(caller);
  ASSERT_TRUE(cluster[0].send(*caller, bytes_of("go")));
  EXPECT_EQ(text_of(receive_ok(**results).payload), "invalid_argument");
}

struct Point {
  std::int32_t x = 0;
  std::int32_t y = 0;
};

}  // namespace
}  // namespace barrel_p2p::testing

template <>
struct barrel_p2p::Codec<barrel_p2p::testing::Point> {
  static Bytes encode(const testing::Point& p) {
    Bytes out(8);
    std::memcpy(out.data(), &p.x, 4);
    std::memcpy(out.data() + 4, &p.y, 4);
    return out;
  }
  static Result<testing::Point> decode(BytesView bytes) {
    if (bytes.size() != 8) return fail(Errc::invalid_argument, "a Point is 8 bytes");
    testing::Point p;
    std::memcpy(&p.x, bytes.data(), 4);
    std::memcpy(&p.y, bytes.data() + 4, 4);
    return p;
  }
};

namespace barrel_p2p::testing {
namespace {

TEST(Process, TypedMessagesThroughTheCodec) {
  ProcessCluster cluster(2);
  ASSERT_TRUE(cluster.ok);
  auto echo = cluster[1].spawn(echo_handler());
  auto mailbox = cluster[0].mailbox();
  ASSERT_TRUE(echo && mailbox);
  ASSERT_TRUE((*mailbox)->send(*echo, encode(Point{3, -4})));
  auto point = decode_as<Point>(receive_ok(**mailbox));
  ASSERT_TRUE(point);
  EXPECT_EQ(point->x, 3);
  EXPECT_EQ(point->y, -4);
  EXPECT_FALSE(decode<Point>(bytes_of("short")));
}

}  // namespace
}  // namespace barrel_p2p::testing
