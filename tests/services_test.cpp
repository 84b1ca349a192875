// The cluster-wide service registry over real QUIC in one process (SPEC §2.6): a registration
// reaches all 32 nodes, concurrent registrations of one name coexist, unregister and process
// death propagate with their events, a late joiner receives the whole registry, calls by
// service name cross nodes, a stopping node takes its services with it, and the services of a
// node that crashes (Node::abort) go once their lease runs out.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "barrel_p2p/runtime.hpp"
#include "support/process_cluster.hpp"
#include "support/test_support.hpp"

namespace barrel_p2p::testing {
namespace {

constexpr auto kWait = 20s;

// Registrations arrive in milliseconds; the bound leaves room for loaded sanitizer runs.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = kWait) {
  return testing::eventually(condition, timeout);
}

// Service events seen by one node's subscriber, in order.
struct EventLog {
  std::mutex mutex;
  std::vector<ServiceEvent> events;
  std::vector<ServiceEvent> snapshot() {
    std::lock_guard lock(mutex);
    return events;
  }
  bool has(ServiceEvent::Kind kind, const std::string& name) {
    std::lock_guard lock(mutex);
    return std::any_of(events.begin(), events.end(), [&](const ServiceEvent& event) {
      return event.kind == kind && event.instance.name == name;
    });
  }
  // The reasons of the down events seen for `name`, in order.
  std::vector<ExitReason> downs(const std::string& name) {
    std::lock_guard lock(mutex);
    std::vector<ExitReason> out;
    for (const ServiceEvent& event : events) {
      if (event.kind == ServiceEvent::Kind::down && event.instance.name == name) {
        out.push_back(event.reason);
      }
    }
    return out;
  }
};

// 32 nodes on two loop threads, joined into one overlay, each with a subscriber to "svc.".
class RegistryCluster : public ::testing::Test {
 protected:
  static constexpr std::size_t kNodes = 32;

  static void SetUpTestSuite() {
    RuntimeOptions options;
    options.loop_threads = 2;
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime);
    runtime_ = std::move(runtime).value().release();
    dir_ = new TempDir();
    logs_ = new std::map<std::string, EventLog>();
    for (std::size_t i = 0; i < kNodes; ++i) add_node("r" + std::to_string(i));
    for (std::size_t i = 1; i < kNodes; ++i) {
      ASSERT_TRUE(nodes_[i]->join(nodes_[0]->address()));
    }
    ASSERT_TRUE(eventually([] {
      return std::all_of(nodes_.begin(), nodes_.end(),
                         [](const auto& node) { return !node->active_view().empty(); });
    }));
  }

  static void TearDownTestSuite() {
    nodes_.clear();
    delete runtime_;
    delete logs_;
    delete dir_;
  }

  // `deaf`: the test hook that makes the node ignore registry deltas, digests and states.
  static Node& add_node(const std::string& name, bool deaf = false) {
    Config config = test_config(name, dir_->sub(name));
    config.registry.anti_entropy_interval = 1s;
    config.registry.ignore_replication_for_testing = deaf;
    config.registry.route_timeout = 500ms;
    // Short leases (decision 0025): a crashed node's services go within seconds. A stopping
    // node's last delta must still win: ZStopping… fails on any "lease expired" down.
    config.registry.lease = 3s;
    config.registry.lease_renew_interval = 500ms;
    auto node = runtime_->start_node(std::move(config));
    EXPECT_TRUE(node) << (node ? "" : node.error().to_string());
    EventLog* log = &(*logs_)[name];
    (void)(*node)->subscribe_services(ServiceFilter::starting_with("svc."),
                                      [log](const ServiceEvent& event) {
                                        std::lock_guard lock(log->mutex);
                                        log->events.push_back(event);
                                      });
    nodes_.push_back(std::move(node).value());
    return *nodes_.back();
  }

  // True once every node sees exactly `count` instances under `name` (within `timeout`).
  static bool everywhere(const std::string& name, std::size_t count,
                         std::chrono::milliseconds timeout = kWait) {
    return eventually(
        [&] {
          return std::all_of(nodes_.begin(), nodes_.end(), [&](const auto& node) {
            return node->lookup_service(name).size() == count;
          });
        },
        timeout);
  }

  // The last node registers `name` on a new process.
  static void register_on_last(const std::string& name) {
    Node& last = *nodes_.back();
    auto pid = last.spawn(echo_handler());
    ASSERT_TRUE(pid);
    ASSERT_TRUE(last.register_service(name, *pid));
  }

  static Runtime* runtime_;
  static TempDir* dir_;
  static std::map<std::string, EventLog>* logs_;
  static std::vector<std::unique_ptr<Node>> nodes_;
};

Runtime* RegistryCluster::runtime_ = nullptr;
TempDir* RegistryCluster::dir_ = nullptr;
std::map<std::string, EventLog>* RegistryCluster::logs_ = nullptr;
std::vector<std::unique_ptr<Node>> RegistryCluster::nodes_;

TEST_F(RegistryCluster, ARegistrationIsVisibleOnAllThirtyTwoNodes) {
  Node& owner = *nodes_[5];
  auto pid = owner.spawn(echo_handler());
  ASSERT_TRUE(pid);
  ASSERT_TRUE(owner.register_service("svc.db", *pid, bytes_of("primary")));
  // Visible at once where it was made, then everywhere with its pid and metadata.
  ASSERT_EQ(owner.lookup_local_service("svc.db").size(), 1U);
  ASSERT_TRUE(everywhere("svc.db", 1));
  for (const auto& node : nodes_) {
    const auto instances = node->lookup_service("svc.db");
    ASSERT_EQ(instances.size(), 1U) << node->name();
    EXPECT_EQ(instances[0].pid, *pid);
    EXPECT_EQ(text_of(instances[0].metadata), "primary");
    EXPECT_EQ(node->list_services("svc.d"), std::vector<std::string>{"svc.db"});
  }
  EXPECT_TRUE(
      eventually([] { return (*logs_)["r20"].has(ServiceEvent::Kind::registered, "svc.db"); }));
  EXPECT_TRUE(nodes_[20]->lookup_local_service("svc.db").empty());
  EXPECT_GT(owner.stats().registry_deltas_out, 0U);
  EXPECT_EQ(nodes_[20]->stats().registry_entries, nodes_[5]->stats().registry_entries);
}

TEST_F(RegistryCluster, ConcurrentRegistrationsOfOneNameGiveTwoInstancesEverywhere) {
  auto a = nodes_[3]->spawn(echo_handler());
  auto b = nodes_[17]->spawn(echo_handler());
  ASSERT_TRUE(a && b);
  std::thread other([&] { EXPECT_TRUE(nodes_[17]->register_service("svc.kv", *b)); });
  EXPECT_TRUE(nodes_[3]->register_service("svc.kv", *a));
  other.join();
  ASSERT_TRUE(everywhere("svc.kv", 2));
  // Local first: each owner picks its own instance, others one of the two.
  EXPECT_EQ(nodes_[3]->whereis_service("svc.kv")->pid, *a);
  EXPECT_EQ(nodes_[17]->whereis_service("svc.kv")->pid, *b);
  auto elsewhere = nodes_[9]->whereis_service("svc.kv");
  ASSERT_TRUE(elsewhere);
  EXPECT_TRUE(elsewhere->pid == *a || elsewhere->pid == *b);
}

TEST_F(RegistryCluster, UnregisterAndProcessDeathPropagateWithServiceDown) {
  auto kept = nodes_[1]->spawn(echo_handler());
  auto dying = nodes_[2]->spawn(stoppable_handler());
  ASSERT_TRUE(kept && dying);
  ASSERT_TRUE(nodes_[1]->register_service("svc.gone", *kept));
  ASSERT_TRUE(nodes_[2]->register_service("svc.dies", *dying));
  ASSERT_TRUE(everywhere("svc.gone", 1) && everywhere("svc.dies", 1));

  ASSERT_TRUE(nodes_[1]->unregister_service("svc.gone"));
  EXPECT_EQ(nodes_[1]->unregister_service("svc.gone").error().code, Errc::not_found);
  EXPECT_TRUE(everywhere("svc.gone", 0));
  EXPECT_TRUE(
      eventually([] { return (*logs_)["r30"].has(ServiceEvent::Kind::unregistered, "svc.gone"); }));

  ASSERT_TRUE(nodes_[2]->send(*dying, bytes_of("crash")));
  EXPECT_TRUE(everywhere("svc.dies", 0));
  // Every node, whether the removal reached it by its DELTA or by an anti-entropy STATE (that
  // carries the causes of recent removals too, decision 0014).
  for (const auto& node : nodes_) {
    const std::string name = node->name();
    ASSERT_TRUE(eventually([&] {
      return (*logs_)[name].has(ServiceEvent::Kind::down, "svc.dies");
    })) << name;
    EXPECT_FALSE((*logs_)[name].has(ServiceEvent::Kind::unregistered, "svc.dies")) << name;
    for (const ServiceEvent& event : (*logs_)[name].snapshot()) {
      if (event.kind != ServiceEvent::Kind::down || event.instance.name != "svc.dies") continue;
      EXPECT_EQ(event.reason, ExitReason::user("crashed on purpose")) << name;
      EXPECT_EQ(event.instance.pid, *dying);
    }
  }
}

TEST_F(RegistryCluster, ALateJoinerReceivesTheWholeRegistry) {
  for (std::size_t i = 0; i < 4; ++i) {
    auto pid = nodes_[i + 6]->spawn(echo_handler());
    ASSERT_TRUE(pid);
    ASSERT_TRUE(nodes_[i + 6]->register_service("svc.late." + std::to_string(i), *pid));
  }
  // Four deltas from four nodes: each arrives on its own path.
  for (std::size_t i = 0; i < 4; ++i) ASSERT_TRUE(everywhere("svc.late." + std::to_string(i), 1));
  const std::vector<std::string> expected = nodes_[0]->list_services("svc.late.");
  ASSERT_EQ(expected.size(), 4U);
  Node& late = add_node("late");
  ASSERT_TRUE(late.join(nodes_[8]->address()));
  // Not through the deltas (made before it joined): through the state exchange of its links.
  EXPECT_TRUE(eventually([&] { return late.list_services("svc.late.") == expected; }));
  EXPECT_GT(late.stats().registry_states_in, 0U);
  nodes_.back()->stop();
  nodes_.pop_back();
}

TEST_F(RegistryCluster, SendAndCallByServiceNameAcrossNodes) {
  auto pid = nodes_[4]->spawn(echo_handler());
  ASSERT_TRUE(pid);
  ASSERT_TRUE(nodes_[4]->register_service("svc.echo", *pid));
  ASSERT_TRUE(everywhere("svc.echo", 1));
  auto reply = nodes_[28]->call_service("svc.echo", bytes_of("hi"), 10s).get();
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(text_of(*reply), "pong:hi");
  EXPECT_TRUE(nodes_[28]->send_service("svc.echo", bytes_of("ping")));
  auto missing = nodes_[28]->call_service("svc.none", bytes_of("hi"), 1s).get();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_EQ(nodes_[28]->send_service("svc.none", bytes_of("x")).error().code, Errc::not_found);
}

TEST_F(RegistryCluster, WhereisFindsAServiceByOverlayRouteWhenGossipToTheAskerIsSuppressed) {
  auto pid = nodes_[12]->spawn(echo_handler());
  ASSERT_TRUE(pid);
  ASSERT_TRUE(nodes_[12]->register_service("svc.routed", *pid, bytes_of("far")));
  ASSERT_TRUE(everywhere("svc.routed", 1));
  Node& deaf = add_node("deaf", true);
  ASSERT_TRUE(deaf.join(nodes_[20]->address()));
  ASSERT_TRUE(eventually([&] { return !deaf.active_view().empty(); }));
  // Neither a local instance nor the replica: the registry never reached it.
  EXPECT_TRUE(deaf.lookup_service("svc.routed").empty());
  EXPECT_EQ(deaf.whereis_service("svc.routed").error().code, Errc::not_found);

  auto found = deaf.whereis_service("svc.routed", 3).get();
  ASSERT_TRUE(found) << found.error().to_string();
  EXPECT_EQ(found->pid, *pid);
  EXPECT_EQ(text_of(found->metadata), "far");
  EXPECT_GE(deaf.stats().registry_route_requests_sent, 1U);
  std::uint64_t answered = 0;
  for (const auto& node : nodes_) answered += node->stats().registry_route_requests_answered;
  EXPECT_GE(answered, 1U);
  // The answer is cached: the next whereis does not walk again.
  const std::uint64_t sent = deaf.stats().registry_route_requests_sent;
  auto again = deaf.whereis_service("svc.routed", 0).get();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->pid, *pid);
  EXPECT_EQ(deaf.stats().registry_route_requests_sent, sent);
  EXPECT_EQ(deaf.stats().registry_route_cache_hits, 1U);
  // The instance found is usable as a normal pid.
  auto reply = deaf.call(found->pid, bytes_of("hi"), 10s).get();
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(text_of(*reply), "pong:hi");

  // A name nobody knows: every walk times out (one retry), then not_found.
  auto missing = deaf.whereis_service("svc.nobody", 1).get();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_GE(deaf.stats().registry_route_requests_timed_out, 2U);
  nodes_.back()->stop();
  nodes_.pop_back();
}

TEST_F(RegistryCluster, RegisterRefusesBadInput) {
  Node& node = *nodes_[7];
  auto pid = node.spawn(echo_handler());
  ASSERT_TRUE(pid);
  EXPECT_EQ(node.register_service("", *pid).error().code, Errc::invalid_argument);
  EXPECT_EQ(node.register_service(std::string(256, 'x'), *pid).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(node.register_service("svc.big", *pid, std::vector<std::uint8_t>(1025)).error().code,
            Errc::invalid_argument);
  auto remote = nodes_[8]->spawn(echo_handler());
  ASSERT_TRUE(remote);
  EXPECT_EQ(node.register_service("svc.remote", *remote).error().code, Errc::invalid_argument);
  Pid dead = *pid;
  dead.id += 1000;
  EXPECT_EQ(node.register_service("svc.dead", dead).error().code, Errc::noproc);
  EXPECT_EQ(node.broadcast("barrel_p2p:registry", bytes_of("x")).error().code,
            Errc::invalid_argument);
}

// Last: it stops a node of the shared cluster.
TEST_F(RegistryCluster, ZStoppingANodeTakesItsServicesWithIt) {
  ASSERT_EQ(nodes_.size(), 32U);
  register_on_last("svc.leaving");
  ASSERT_TRUE(everywhere("svc.leaving", 1));
  nodes_[31]->stop();
  nodes_.pop_back();
  EXPECT_TRUE(everywhere("svc.leaving", 0));
  // Every node reports down, reason shutdown: from the DELTA that names the cause, or from an
  // anti-entropy STATE that overtook it (states carry recent causes too, decision 0014). The
  // stopping node pushes that delta to every neighbour, lazy ones too
  // (BroadcastTree::leaving), on the link before its goodbye. No other cause: "lease expired"
  // would mean it reached nobody (once seen in CI when every neighbour had pruned the stopping
  // node and it only announced it).
  ASSERT_TRUE(eventually([&] {
    return std::all_of(nodes_.begin(), nodes_.end(), [&](const auto& node) {
      return (*logs_)[node->name()].has(ServiceEvent::Kind::down, "svc.leaving");
    });
  }));
  for (const auto& node : nodes_) {
    const auto downs = (*logs_)[node->name()].downs("svc.leaving");
    ASSERT_EQ(downs.size(), 1U) << node->name();
    EXPECT_EQ(downs[0].code, ExitCode::shutdown) << node->name();
    EXPECT_FALSE((*logs_)[node->name()].has(ServiceEvent::Kind::unregistered, "svc.leaving"))
        << node->name();
  }
}

// After the stop above (31 nodes left). A node that vanishes without a goodbye keeps sending
// nothing: every other node hides its services once the lease (3 s) runs out after its links
// broke (idle timeout, 3 s), each reported down with reason noconnection "lease expired".
TEST_F(RegistryCluster, ZZTheServicesOfACrashedNodeGoWhenTheirLeaseRunsOut) {
  register_on_last("svc.crashed");
  ASSERT_TRUE(everywhere("svc.crashed", 1));
  // It has a service, so it renews its lease with heartbeats (every 500 ms).
  Node& doomed = *nodes_.back();
  EXPECT_TRUE(eventually([&] { return doomed.stats().registry_heartbeats_sent > 0; }));
  doomed.abort();
  nodes_.pop_back();
  EXPECT_TRUE(everywhere("svc.crashed", 0, 60s));
  ASSERT_TRUE(
      eventually([] { return (*logs_)["r12"].has(ServiceEvent::Kind::down, "svc.crashed"); }, 60s));
  for (const ExitReason& reason : (*logs_)["r12"].downs("svc.crashed")) {
    EXPECT_EQ(reason, (ExitReason{ExitCode::noconnection, "lease expired"}));
  }
  EXPECT_GE(nodes_[12]->stats().registry_leases_expired, 1U);
}

}  // namespace
}  // namespace barrel_p2p::testing
