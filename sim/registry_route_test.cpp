// Overlay route requests on whole Engines (whereis_service step 3, decision 0017). Every Engine
// ignores registry replication (the test hook), so a name is known only on the node that
// registered it: a query from a node that has no link to it must walk the overlay, and the
// answer comes back over an on-demand connection. Then the cache, not_found after retries,
// and the in-flight cap.
#include <gtest/gtest.h>

#include <algorithm>

#include "sim/simulation.hpp"

namespace barrel_p2p::sim {
namespace {

using namespace std::chrono_literals;

// The answer of query `query` on `node`, once finished.
std::optional<node::ServiceFound> found_on(Simulation& s, std::size_t node, std::uint64_t query) {
  while (auto found = s.engine(node).poll_service_found()) {
    if (found->query == query) return found;
  }
  return std::nullopt;
}

TEST(SimulationRegistry, WhereisWalksToTheOnlyNodeThatKnowsANameWhichAnswersDirectly) {
  SimConfig c;
  c.seed = 33;
  c.ignore_registry_replication = true;
  c.route.max_in_flight = 2;
  Simulation s(c);
  s.grow(16, 2ms);
  s.run_for(20s);
  ASSERT_EQ(s.check_connected(), "") << "seed " << s.seed();
  const std::size_t owner = 7;
  const Pid pid = s.engine(owner).processes().spawn(false);
  ASSERT_TRUE(s.engine(owner).register_service(s.now(), s.wall(), "svc.lone", pid, {}));
  s.drain(owner);
  s.run_for(2s);
  // An asker with no link at all to the owner.
  const std::vector<std::string> linked = s.engine(owner).peers();
  std::size_t origin = 0;
  while (origin == owner ||
         std::find(linked.begin(), linked.end(), s.name(origin)) != linked.end()) {
    ++origin;
  }
  ASSERT_LT(origin, s.size());
  ASSERT_TRUE(s.engine(origin).lookup_service("svc.lone").empty());

  const std::uint64_t dials_before = s.engine(owner).stats().on_demand_connects;
  auto query = s.engine(origin).find_service(s.now(), "svc.lone", 5);
  ASSERT_TRUE(query) << query.error().to_string();
  ASSERT_TRUE(query->found.empty());
  s.drain(origin);
  std::optional<node::ServiceFound> found;
  for (int step = 0; step < 80 && !found; ++step) {  // at most 8 s: 1 + 5 walks of 1 s
    s.run_for(100ms);
    found = found_on(s, origin, query->query);
  }
  ASSERT_TRUE(found.has_value()) << "seed " << s.seed();
  ASSERT_TRUE(found->found) << found->found.error().to_string();
  ASSERT_EQ(found->found->size(), 1U);
  EXPECT_EQ(found->found->front().pid, pid);
  EXPECT_GE(s.engine(owner).registry_stats().route_requests_answered, 1U);
  std::uint64_t forwarded = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    forwarded += s.engine(i).registry_stats().route_requests_forwarded;
  }
  EXPECT_GE(forwarded, 1U);  // the owner is no neighbour of the asker: some node passed it on
  EXPECT_GT(s.engine(owner).stats().on_demand_connects, dials_before);  // straight back

  // Cached: answered at once, until route cache_ttl (5 s) has passed.
  auto cached = s.engine(origin).find_service(s.now(), "svc.lone", 0);
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->found.size(), 1U);
  EXPECT_EQ(s.engine(origin).registry_stats().route_cache_hits, 1U);
  s.run_for(6s);
  auto expired = s.engine(origin).find_service(s.now(), "svc.lone", 0);
  ASSERT_TRUE(expired);
  EXPECT_TRUE(expired->found.empty());  // walks again
  s.drain(origin);

  // A name nobody knows: not_found after 1 + retries walks. The cap (2) holds meanwhile.
  auto unknown = s.engine(origin).find_service(s.now(), "svc.none", 1);
  ASSERT_TRUE(unknown);
  s.drain(origin);
  auto refused = s.engine(origin).find_service(s.now(), "svc.other", 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::overloaded);
  s.run_for(5s);
  auto missing = found_on(s, origin, unknown->query);
  ASSERT_TRUE(missing.has_value());
  ASSERT_FALSE(missing->found);
  EXPECT_EQ(missing->found.error().code, Errc::not_found);
  const node::EngineRegistryStats stats = s.engine(origin).registry_stats();
  EXPECT_GE(stats.route_requests_timed_out, 2U);
  EXPECT_EQ(stats.route_dropped.at("overloaded"), 1U);
}

}  // namespace
}  // namespace barrel_p2p::sim
