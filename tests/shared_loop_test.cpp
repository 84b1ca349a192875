// Many nodes on a few loop threads (barrel_p2p::Runtime), and the driver's contract: handlers
// and callbacks run after the node's turn and may call the API inline, subscriptions cancel,
// a full mailbox gives the same answer from every thread.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "barrel_p2p/runtime.hpp"
#include "support/test_support.hpp"

namespace barrel_p2p::testing {
namespace {

constexpr auto kWait = 10s;

Config runtime_config(const std::string& name, const TempDir& dir) {
  Config config = test_config(name, dir.sub(name));
  config.endpoint_dir = dir.sub("endpoints");
  return config;
}

std::unique_ptr<Node> start_on(Runtime& runtime, Config config) {
  auto node = runtime.start_node(std::move(config));
  EXPECT_TRUE(node) << (node ? "" : node.error().to_string());
  return node ? std::move(node).value() : nullptr;
}

// An echo process: answers calls with "pong:<request>".
Handler echo() {
  return [](Process& self, Envelope&& message) {
    if (message.kind != EnvelopeKind::call) return;
    std::string reply = "pong:" + text_of(message.payload);
    (void)self.reply(message, bytes_of(reply));
  };
}

TEST(Runtime, RefusesNoLoopsAndTooMany) {
  RuntimeOptions none;
  none.loop_threads = 0;
  auto zero = Runtime::create(none);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::invalid_argument);
  RuntimeOptions many;
  many.loop_threads = 257;
  EXPECT_FALSE(Runtime::create(many));
  auto runtime = Runtime::create();
  ASSERT_TRUE(runtime);
  TempDir dir;
  auto wrong = (*runtime)->start_node(runtime_config("a", dir), 1);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::invalid_argument);
}

// Six nodes on two loops: calls cross between nodes of one loop and of the other, with
// on-demand connections, and every node keeps its own address and identity.
TEST(Runtime, SixNodesOnTwoLoopsCallEachOther) {
  RuntimeOptions options;
  options.loop_threads = 2;
  auto runtime = Runtime::create(options);
  ASSERT_TRUE(runtime);
  EXPECT_EQ((*runtime)->loop_threads(), 2u);
  TempDir dir;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<Pid> echoes;
  std::set<std::string> addresses;
  std::set<std::string> keys;
  for (int i = 0; i < 6; ++i) {
    nodes.push_back(start_on(**runtime, runtime_config("n" + std::to_string(i), dir)));
    ASSERT_TRUE(nodes.back());
    auto pid = nodes.back()->spawn(echo());
    ASSERT_TRUE(pid) << pid.error().to_string();
    echoes.push_back(*pid);
    addresses.insert(nodes.back()->address());
    keys.insert(nodes.back()->fingerprint());
  }
  EXPECT_EQ(addresses.size(), 6u);
  EXPECT_EQ(keys.size(), 6u);
  for (std::size_t from = 0; from < nodes.size(); ++from) {
    for (std::size_t to = 0; to < nodes.size(); ++to) {
      auto reply = nodes[from]->call(echoes[to], bytes_of("x"), kWait).get();
      ASSERT_TRUE(reply) << from << "->" << to << ": " << reply.error().to_string();
      EXPECT_EQ(text_of(*reply), "pong:x");
    }
  }
  EXPECT_EQ(nodes[0]->peers().size(), 5u);
  // The runtime may go first: each node keeps its loop until it is destroyed.
  runtime->reset();
  auto reply = nodes[1]->call(echoes[4], bytes_of("after"), kWait).get();
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(text_of(*reply), "pong:after");
}

// A handler of one node calls another node of the same loop inline: with no re-entry into
// either node's turn, the call completes and its continuation runs on the loop.
TEST(Runtime, AHandlerCallsANodeOfItsOwnLoop) {
  auto runtime = Runtime::create();  // one loop: both nodes on it
  ASSERT_TRUE(runtime);
  TempDir dir;
  auto a = start_on(**runtime, runtime_config("a", dir));
  auto b = start_on(**runtime, runtime_config("b", dir));
  ASSERT_TRUE(a && b);
  auto echo_b = b->spawn(echo());
  ASSERT_TRUE(echo_b);
  std::promise<std::string> result;
  Node* node_b = b.get();
  const Pid target = *echo_b;
  auto relay = a->spawn([&result, node_b, target](Process&, Envelope&&) {
    // From a's handler: b's API, inline (same loop thread), then a continuation.
    auto pid = node_b->spawn(echo());
    if (!pid) {
      result.set_value("spawn failed: " + pid.error().to_string());
      return;
    }
    node_b->call(target, bytes_of("inline"), kWait).then([&result](Result<Bytes> reply) {
      result.set_value(reply ? text_of(*reply) : reply.error().to_string());
    });
  });
  ASSERT_TRUE(relay);
  ASSERT_TRUE(a->send(*relay, bytes_of("go")));
  auto answer = result.get_future();
  ASSERT_EQ(answer.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(answer.get(), "pong:inline");
}

// A membership callback and a broadcast subscriber call the node's API inline (join,
// broadcast, views): they run after the turn, so nothing deadlocks or re-enters.
TEST(Runtime, CallbacksUseTheApiAndSubscriptionsCancel) {
  RuntimeOptions options;
  options.loop_threads = 2;
  auto runtime = Runtime::create(options);
  ASSERT_TRUE(runtime);
  TempDir dir;
  auto a = start_on(**runtime, runtime_config("a", dir));
  auto b = start_on(**runtime, runtime_config("b", dir));
  ASSERT_TRUE(a && b);
  std::atomic<int> views_seen{0};
  Node* node_b = b.get();
  auto watched = b->on_membership_event([&views_seen, node_b](const MembershipEvent& event) {
    if (std::holds_alternative<NeighborUp>(event) && !node_b->active_view().empty()) {
      ++views_seen;
    }
  });
  ASSERT_TRUE(watched);
  std::mutex mutex;
  std::vector<std::string> kept;
  std::vector<std::string> cancelled;
  auto keep = b->subscribe("t", [&](const BroadcastMessage& message) {
    std::lock_guard lock(mutex);
    kept.push_back(text_of(message.payload));
    if (kept.size() == 1) (void)node_b->broadcast("echo", bytes_of("from a callback"));
  });
  auto cancel = b->subscribe("t", [&](const BroadcastMessage& message) {
    std::lock_guard lock(mutex);
    cancelled.push_back(text_of(message.payload));
  });
  ASSERT_TRUE(keep && cancel);
  EXPECT_NE(keep->id(), cancel->id());
  std::atomic<bool> echoed{false};
  ASSERT_TRUE(a->subscribe("echo", [&](const BroadcastMessage&) { echoed = true; }));
  ASSERT_TRUE(b->join(a->address()));
  ASSERT_TRUE(eventually([&] { return !a->active_view().empty() && views_seen > 0; }));
  ASSERT_TRUE(a->broadcast("t", bytes_of("one")));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return kept.size() == 1 && cancelled.size() == 1;
  }));
  EXPECT_TRUE(eventually([&] { return echoed.load(); }));
  cancel->cancel();
  cancel->cancel();  // idempotent
  ASSERT_TRUE(a->broadcast("t", bytes_of("two")));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return kept.size() == 2;
  }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(cancelled, std::vector<std::string>{"one"});
}

// A send to a full local mailbox is refused with limit_reached, from the application's
// thread and from a loop process alike; nothing is dropped silently.
TEST(Runtime, AFullMailboxRefusesFromEveryThread) {
  TempDir dir;
  auto node = start_node(runtime_config("a", dir));
  ASSERT_TRUE(node);
  auto full = node->mailbox(2);
  ASSERT_TRUE(full);
  const Pid target = (*full)->self();
  ASSERT_TRUE(node->send(target, bytes_of("1")));
  ASSERT_TRUE(node->send(target, bytes_of("2")));
  ASSERT_TRUE(eventually([&] { return (*full)->size() == 2; }));
  auto off_loop = node->send(target, bytes_of("3"));
  ASSERT_FALSE(off_loop);
  EXPECT_EQ(off_loop.error().code, Errc::limit_reached);
  std::promise<Errc> on_loop;
  auto sender = node->spawn([&on_loop, target](Process& self, Envelope&&) {
    auto sent = self.send(target, bytes_of("4"));
    on_loop.set_value(sent ? Errc::internal : sent.error().code);
  });
  ASSERT_TRUE(sender);
  ASSERT_TRUE(node->send(*sender, bytes_of("go")));
  auto code = on_loop.get_future();
  ASSERT_EQ(code.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(code.get(), Errc::limit_reached);
  EXPECT_EQ((*full)->size(), 2u);
  EXPECT_EQ(node->stats().dropped_mailbox_full, 0u);
}

}  // namespace
}  // namespace barrel_p2p::testing
