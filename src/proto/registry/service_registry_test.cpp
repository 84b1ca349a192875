// Unit tests of the registry core: operations, events, the OR-Map merge rules, floors and
// tombstones, every bound and refusal.
#include "proto/registry/service_registry.hpp"

#include <gtest/gtest.h>

namespace barrel_p2p::registry {
namespace {

core::Bytes bytes_of(std::string_view text) { return {text.begin(), text.end()}; }
core::WallTime at(std::int64_t ms) { return core::WallTime{ms}; }

ServiceRegistry make(const std::string& self, Config config = {}) {
  return {config, self, at(1000)};
}

std::vector<Event> drain(ServiceRegistry& registry) {
  std::vector<Event> out;
  while (auto event = registry.poll_event()) out.push_back(std::move(*event));
  return out;
}

Delta must(Result<Delta> result) {
  EXPECT_TRUE(result.has_value()) << result.error().to_string();
  return result ? std::move(*result) : Delta{};
}

std::uint64_t digest_of_state(const ServiceRegistry& registry) {
  const core::Bytes bytes = encode(registry.export_state());
  std::uint64_t hash = 1469598103934665603ULL;
  for (const std::uint8_t byte : bytes) hash = (hash ^ byte) * 1099511628211ULL;
  return hash;
}

void merge_ok(ServiceRegistry& registry, const Delta& delta) {
  auto result = registry.merge(at(2000), delta);
  ASSERT_TRUE(result.has_value()) << result.error().to_string();
}

TEST(ServiceRegistry, AddIsVisibleLocallyAndEmitsRegistered) {
  ServiceRegistry a = make("a");
  drain(a);
  const Delta delta = must(a.add(at(1000), "db", bytes_of("pid1"), bytes_of("meta")));
  ASSERT_EQ(delta.nodes.size(), 1U);
  EXPECT_EQ(delta.nodes[0].node, "a");
  ASSERT_EQ(delta.nodes[0].entries.size(), 1U);
  const auto instances = a.lookup("db");
  ASSERT_EQ(instances.size(), 1U);
  EXPECT_EQ(instances[0].node, "a");
  EXPECT_EQ(instances[0].pid, bytes_of("pid1"));
  EXPECT_EQ(instances[0].metadata, bytes_of("meta"));
  EXPECT_EQ(a.floor_of("a"), instances[0].stamp);
  const auto events = drain(a);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Event::Kind::registered);
  EXPECT_EQ(events[0].registration.name, "db");
  EXPECT_TRUE(a.lookup("web").empty());
  EXPECT_EQ(a.stats().local_adds, 1U);
}

TEST(ServiceRegistry, DeltaReplicatesAndReRegistrationReplacesTheEntry) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  merge_ok(b, must(a.add(at(1000), "db", bytes_of("p"), bytes_of("v1"))));
  drain(a);
  drain(b);
  const Delta second = must(a.add(at(1001), "db", bytes_of("p"), bytes_of("v2")));
  EXPECT_EQ(second.nodes[0].removed.size(), 1U);  // the old dot goes in the same delta
  merge_ok(b, second);
  for (ServiceRegistry* r : {&a, &b}) {
    const auto instances = r->lookup("db");
    ASSERT_EQ(instances.size(), 1U);
    EXPECT_EQ(instances[0].metadata, bytes_of("v2"));
    const auto events = drain(*r);
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[0].kind, Event::Kind::unregistered);
    EXPECT_EQ(events[0].registration.instance.metadata, bytes_of("v1"));
    EXPECT_EQ(events[1].kind, Event::Kind::registered);
  }
  // A second pid under the same name is a second instance.
  merge_ok(b, must(a.add(at(1002), "db", bytes_of("q"), {})));
  EXPECT_EQ(b.lookup("db").size(), 2U);
}

TEST(ServiceRegistry, ListAndEntriesOf) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  merge_ok(b, must(a.add(at(1000), "svc.db", bytes_of("p"), {})));
  must(b.add(at(1000), "svc.web", bytes_of("q"), {}));
  must(b.add(at(1000), "other", bytes_of("r"), {}));
  EXPECT_EQ(b.list("svc."), (std::vector<std::string>{"svc.db", "svc.web"}));
  EXPECT_EQ(b.list(), (std::vector<std::string>{"other", "svc.db", "svc.web"}));
  EXPECT_TRUE(b.list("zzz").empty());
  const auto of_b = b.entries_of("b");
  ASSERT_EQ(of_b.size(), 2U);
  EXPECT_EQ(of_b[0].name, "svc.web");  // ordered by stamp
  EXPECT_EQ(b.entries_of("a").size(), 1U);
  EXPECT_TRUE(b.entries_of("nobody").empty());
  EXPECT_EQ(b.names(), 3U);
  EXPECT_EQ(b.entries(), 3U);
}

TEST(ServiceRegistry, RemoveDeletesObservedEntriesEverywhere) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  merge_ok(b, must(a.add(at(1000), "db", bytes_of("p"), {})));
  merge_ok(a, must(b.add(at(1000), "db", bytes_of("q"), {})));
  drain(a);
  drain(b);
  const Delta removal = must(b.remove("db"));
  EXPECT_EQ(removal.nodes.size(), 2U);  // one slice per node whose entry it saw
  EXPECT_TRUE(b.lookup("db").empty());
  EXPECT_EQ(b.tombstones(), 1U);  // a's dot (b's own is under b's floor)
  merge_ok(a, removal);
  EXPECT_TRUE(a.lookup("db").empty());
  EXPECT_EQ(drain(a).size(), 2U);
  EXPECT_EQ(a.remove("db").error().code, Errc::not_found);
}

TEST(ServiceRegistry, AddWinsOverAConcurrentRemoveThatDidNotObserveIt) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  merge_ok(b, must(a.add(at(1000), "db", bytes_of("old"), {})));
  // Concurrently: a adds a second instance, b removes the name (seeing only the first).
  const Delta add = must(a.add(at(1001), "db", bytes_of("new"), {}));
  const Delta removal = must(b.remove("db"));
  merge_ok(a, removal);
  merge_ok(b, add);
  for (ServiceRegistry* r : {&a, &b}) {
    const auto instances = r->lookup("db");
    ASSERT_EQ(instances.size(), 1U);
    EXPECT_EQ(instances[0].pid, bytes_of("new"));
  }
}

TEST(ServiceRegistry, RemoveBeforeItsAddKeepsTheAddDead) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  ServiceRegistry c = make("c");
  const Delta add = must(a.add(at(1000), "db", bytes_of("p"), {}));
  merge_ok(b, add);
  const Delta removal = must(b.remove("db"));
  merge_ok(c, removal);  // the remove overtakes the add
  EXPECT_EQ(c.tombstones(), 1U);
  merge_ok(c, add);
  EXPECT_TRUE(c.lookup("db").empty());
  EXPECT_TRUE(drain(c).empty());
}

TEST(ServiceRegistry, RemoveEntryTouchesOnlyThatInstance) {
  ServiceRegistry a = make("a");
  must(a.add(at(1000), "db", bytes_of("p"), {}));
  must(a.add(at(1000), "db", bytes_of("q"), {}));
  EXPECT_EQ(a.remove_entry("db", "a", bytes_of("zz")).error().code, Errc::not_found);
  EXPECT_EQ(a.remove_entry("db", "b", bytes_of("p")).error().code, Errc::not_found);
  must(a.remove_entry("db", "a", bytes_of("p")));
  const auto instances = a.lookup("db");
  ASSERT_EQ(instances.size(), 1U);
  EXPECT_EQ(instances[0].pid, bytes_of("q"));
  EXPECT_EQ(a.tombstones(), 0U);  // own dots are under the own floor
}

TEST(ServiceRegistry, RemoveNodePrunesEvenEntriesThisReplicaNeverSaw) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  ServiceRegistry c = make("c");
  const Delta first = must(a.add(at(1000), "db", bytes_of("p"), {}));
  const Delta second = must(a.add(at(1000), "web", bytes_of("p"), {}));
  merge_ok(b, first);
  merge_ok(b, second);
  merge_ok(c, first);  // c never sees `second` before the prune
  EXPECT_EQ(b.remove_node("b").error().code, Errc::invalid_argument);
  EXPECT_EQ(b.remove_node("nobody").error().code, Errc::not_found);
  const Delta prune = must(b.remove_node("a"));
  ASSERT_EQ(prune.nodes.size(), 1U);
  EXPECT_TRUE(prune.nodes[0].entries.empty());
  EXPECT_EQ(prune.nodes[0].floor, a.floor_of("a"));
  EXPECT_TRUE(b.entries_of("a").empty());
  merge_ok(c, prune);
  merge_ok(c, second);  // arrives late: under the floor, stays dead
  EXPECT_TRUE(c.entries_of("a").empty());
  EXPECT_EQ(c.tombstones(), 0U);
  // a itself merges the prune (a peer took it for gone): its entries are unregistered and it
  // can register again with newer stamps, which the prune does not cover.
  drain(a);
  merge_ok(a, prune);
  EXPECT_EQ(drain(a).size(), 2U);
  merge_ok(c, must(a.add(at(1000), "db", bytes_of("p"), {})));
  EXPECT_EQ(c.lookup("db").size(), 1U);
}

TEST(ServiceRegistry, FullStateRaisesFloorsAndCollectsTombstones) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  ServiceRegistry c = make("c");
  merge_ok(b, must(a.add(at(1000), "db", bytes_of("p"), {})));
  merge_ok(c, must(b.remove("db")));  // c never saw the add: the tombstone keeps it out
  EXPECT_EQ(b.tombstones(), 1U);
  EXPECT_EQ(c.tombstones(), 1U);
  // a missed the remove and still holds the entry. Its full state carries its floor (its
  // latest stamp): c already knows the dot as removed, and the floor collects the tombstone.
  merge_ok(c, a.export_state());
  EXPECT_TRUE(c.lookup("db").empty());
  EXPECT_EQ(c.tombstones(), 0U);
  EXPECT_EQ(c.floor_of("a"), a.floor_of("a"));
  EXPECT_EQ(c.stats().tombstones_collected, 1U);
  // c's state says "every dot of a up to the floor is known, none live": a drops its entry.
  merge_ok(a, c.export_state());
  EXPECT_TRUE(a.lookup("db").empty());
  merge_ok(b, c.export_state());
  EXPECT_EQ(b.tombstones(), 0U);
  // Only a's floor travels: b and c never registered anything (bare floors nobody needs).
  ASSERT_EQ(b.export_state().nodes.size(), 1U);
  EXPECT_EQ(b.export_state().nodes[0].node, "a");
}

TEST(ServiceRegistry, NodesThatNeverRegisterSpreadNoContexts) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  EXPECT_TRUE(a.export_state().empty());
  merge_ok(a, b.export_state());
  merge_ok(b, a.export_state());
  EXPECT_EQ(a.nodes(), 1U);
  EXPECT_EQ(b.nodes(), 1U);
  // Once a registers, its floor travels, and stays exported after the entry is gone.
  merge_ok(b, must(a.add(at(1000), "db", bytes_of("p"), {})));
  merge_ok(b, must(a.remove("db")));
  merge_ok(b, a.export_state());
  EXPECT_EQ(b.tombstones(), 0U);
  ASSERT_EQ(b.export_state().nodes.size(), 1U);
  EXPECT_EQ(b.export_state().nodes[0].floor, a.floor_of("a"));
}

TEST(ServiceRegistry, RestartedNodeRetiresTheEntriesOfItsPreviousRun) {
  ServiceRegistry old_a = make("a");
  ServiceRegistry b = make("b");
  merge_ok(b, must(old_a.add(at(1000), "db", bytes_of("p"), {})));
  // Same name, empty state, started later: its floor is above every old dot.
  ServiceRegistry new_a(Config{}, "a", at(5000));
  merge_ok(new_a, b.export_state());
  EXPECT_TRUE(new_a.lookup("db").empty());
  merge_ok(b, new_a.export_state());
  EXPECT_TRUE(b.lookup("db").empty());
}

TEST(ServiceRegistry, DotOfThisNodeItNeverMadeIsRefused) {
  ServiceRegistry a = make("a");
  Delta forged;
  forged.nodes.push_back(NodeSlice{"a", {}, {}, {DeltaEntry{{999'999, 0}, "x", {1}, {}}}});
  auto result = a.merge(at(1000), forged);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, Errc::protocol);
  EXPECT_EQ(a.stats().refusals(Refusal::foreign_dot), 1U);
  forged.nodes[0] = NodeSlice{"a", {999'999, 0}, {}, {}};
  EXPECT_FALSE(a.merge(at(1000), forged).has_value());
  forged.nodes[0] = NodeSlice{"a", {}, {{999'999, 0}}, {}};
  EXPECT_FALSE(a.merge(at(1000), forged).has_value());
  EXPECT_EQ(a.stats().refusals(Refusal::foreign_dot), 3U);
  EXPECT_TRUE(a.list().empty());
}

TEST(ServiceRegistry, MergeIsAllOrNothing) {
  Config config;
  config.max_entries_per_name = 2;
  ServiceRegistry b = make("b", config);
  Delta delta;
  delta.nodes.push_back(NodeSlice{"a", {}, {}, {DeltaEntry{{5, 0}, "ok", {1}, {}}}});
  delta.nodes.push_back(
      NodeSlice{"c",
                {},
                {},
                {DeltaEntry{{5, 0}, "full", {1}, {}}, DeltaEntry{{6, 0}, "full", {2}, {}},
                 DeltaEntry{{7, 0}, "full", {3}, {}}}});
  auto result = b.merge(at(1000), delta);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, Errc::limit_reached);
  EXPECT_NE(result.error().message.find("max_entries_per_name"), std::string::npos);
  EXPECT_TRUE(b.list().empty());
  EXPECT_EQ(b.nodes(), 1U);
  EXPECT_TRUE(drain(b).empty());
  EXPECT_EQ(b.stats().refusals(Refusal::entries_per_name), 1U);
  EXPECT_EQ(b.stats().merges, 0U);
}

// One test per bound, each for a local operation and for a merged delta.
TEST(ServiceRegistry, FieldSizeBounds) {
  Config config;
  config.max_name_size = 4;
  config.max_pid_size = 3;
  config.max_metadata_size = 2;
  ServiceRegistry a = make("a", config);
  EXPECT_EQ(a.add(at(1000), "", {1}, {}).error().code, Errc::invalid_argument);
  EXPECT_EQ(a.add(at(1000), "12345", {1}, {}).error().code, Errc::invalid_argument);
  EXPECT_EQ(a.add(at(1000), "n", {}, {}).error().code, Errc::invalid_argument);
  EXPECT_EQ(a.add(at(1000), "n", {1, 2, 3, 4}, {}).error().code, Errc::invalid_argument);
  EXPECT_EQ(a.add(at(1000), "n", {1}, {1, 2, 3}).error().code, Errc::invalid_argument);
  EXPECT_TRUE(a.add(at(1000), "1234", {1, 2, 3}, {1, 2}).has_value());
  EXPECT_EQ(a.stats().refusals(Refusal::name_size), 2U);
  EXPECT_EQ(a.stats().refusals(Refusal::pid_size), 2U);
  EXPECT_EQ(a.stats().refusals(Refusal::metadata_size), 1U);
  Delta delta;
  delta.nodes.push_back(NodeSlice{"b", {}, {}, {DeltaEntry{{5, 0}, "n", {1}, {1, 2, 3}}}});
  EXPECT_EQ(a.merge(at(1000), delta).error().code, Errc::protocol);
  EXPECT_EQ(a.stats().refusals(Refusal::metadata_size), 2U);
}

TEST(ServiceRegistry, NamesAndEntriesBounds) {
  Config config;
  config.max_names = 2;
  config.max_entries = 3;
  ServiceRegistry a = make("a", config);
  must(a.add(at(1000), "x", {1}, {}));
  must(a.add(at(1000), "y", {1}, {}));
  EXPECT_EQ(a.add(at(1000), "z", {1}, {}).error().code, Errc::limit_reached);
  EXPECT_EQ(a.stats().refusals(Refusal::names), 1U);
  must(a.add(at(1000), "x", {2}, {}));
  EXPECT_EQ(a.add(at(1000), "y", {2}, {}).error().code, Errc::limit_reached);
  EXPECT_EQ(a.stats().refusals(Refusal::entries), 1U);
  must(a.add(at(1000), "x", {2}, {9}));  // a replacement needs no new room
  Delta delta;
  delta.nodes.push_back(NodeSlice{"b", {}, {}, {DeltaEntry{{5, 0}, "w", {1}, {}}}});
  EXPECT_EQ(a.merge(at(1000), delta).error().code, Errc::limit_reached);
  EXPECT_EQ(a.stats().refusals(Refusal::entries), 2U);
  // Two new names where one is free: the whole state is refused.
  must(a.remove("y"));
  must(a.remove_entry("x", "a", std::vector<std::uint8_t>{2}));
  ServiceRegistry b = make("b", config);
  must(b.add(at(1000), "v", {1}, {}));
  must(b.add(at(1000), "w", {1}, {}));
  EXPECT_EQ(a.merge(at(1000), b.export_state()).error().code, Errc::limit_reached);
  EXPECT_EQ(a.stats().refusals(Refusal::names), 2U);
}

TEST(ServiceRegistry, EntriesPerNameBound) {
  Config config;
  config.max_entries_per_name = 2;
  ServiceRegistry a = make("a", config);
  must(a.add(at(1000), "x", {1}, {}));
  must(a.add(at(1000), "x", {2}, {}));
  EXPECT_EQ(a.add(at(1000), "x", {3}, {}).error().code, Errc::limit_reached);
  must(a.add(at(1000), "x", {2}, {7}));  // replacing stays within the bound
  EXPECT_EQ(a.stats().refusals(Refusal::entries_per_name), 1U);
}

TEST(ServiceRegistry, TombstoneBound) {
  Config config;
  config.max_tombstones = 1;
  ServiceRegistry a = make("a", config);
  ServiceRegistry b = make("b", config);
  merge_ok(b, must(a.add(at(1000), "x", {1}, {})));
  merge_ok(b, must(a.add(at(1000), "y", {1}, {})));
  must(b.remove("x"));
  EXPECT_EQ(b.tombstones(), 1U);
  EXPECT_EQ(b.remove("y").error().code, Errc::limit_reached);
  EXPECT_EQ(b.stats().refusals(Refusal::tombstones), 1U);
  EXPECT_EQ(b.lookup("y").size(), 1U);  // refused as a whole
  Delta delta;
  delta.nodes.push_back(NodeSlice{"c", {}, {{5, 0}}, {}});
  EXPECT_EQ(b.merge(at(1000), delta).error().code, Errc::limit_reached);
  EXPECT_EQ(b.stats().refusals(Refusal::tombstones), 2U);
  // a's full state raises a's floor over the tombstone: collected, and room again.
  merge_ok(b, a.export_state());
  EXPECT_EQ(b.tombstones(), 0U);
  must(b.remove("y"));
}

TEST(ServiceRegistry, NodeBoundAndCollect) {
  Config config;
  config.max_nodes = 2;
  config.node_retention = std::chrono::seconds(10);
  ServiceRegistry a = make("a", config);
  ServiceRegistry b = make("b", config);
  ServiceRegistry c = make("c", config);
  merge_ok(a, must(b.add(at(1000), "x", {1}, {})));
  EXPECT_EQ(a.nodes(), 2U);
  auto result = a.merge(at(1000), must(c.add(at(1000), "y", {1}, {})));
  EXPECT_EQ(result.error().code, Errc::limit_reached);
  EXPECT_EQ(a.stats().refusals(Refusal::nodes), 1U);
  must(a.remove_node("b"));
  EXPECT_EQ(a.collect(at(5000)), 0U);  // within the retention
  EXPECT_EQ(a.collect(at(20'000)), 1U);
  EXPECT_EQ(a.nodes(), 1U);
  EXPECT_EQ(a.floor_of("b"), hlc::Timestamp{});
  EXPECT_EQ(a.stats().nodes_collected, 1U);
}

TEST(ServiceRegistry, EncodedInputIsCheckedAgainstItsKindsLimit) {
  Config config;
  config.max_delta_size = 2048;
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b", config);
  for (int i = 0; i < 40; ++i) {
    must(a.add(at(1000), "service-" + std::to_string(i), {1}, core::Bytes(50, 0xaa)));
  }
  const core::Bytes state = encode(a.export_state());
  ASSERT_GT(state.size(), config.max_delta_size);
  auto refused = b.merge_encoded(at(1000), state, Kind::delta);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(b.stats().refusals(Refusal::too_large), 1U);
  auto merged = b.merge_encoded(at(1000), state, Kind::state);
  ASSERT_TRUE(merged.has_value()) << merged.error().to_string();
  EXPECT_EQ(merged->added, 40U);
  const core::Bytes garbage{1, 1, 0xff};
  EXPECT_EQ(b.merge_encoded(at(1000), garbage, Kind::delta).error().code, Errc::protocol);
  EXPECT_EQ(b.stats().refusals(Refusal::malformed), 1U);
  EXPECT_EQ(b.list().size(), 40U);  // later registrations still apply after refusals
}

TEST(ServiceRegistry, MalformedDeltaIsRefusedAndLaterDeltasStillApply) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  Delta bad;
  bad.nodes.push_back(NodeSlice{"a", {}, {}, {}});  // empty slice
  EXPECT_EQ(b.merge(at(1000), bad).error().code, Errc::protocol);
  EXPECT_EQ(b.stats().refusals(Refusal::malformed), 1U);
  merge_ok(b, must(a.add(at(1000), "db", {1}, {})));
  EXPECT_EQ(b.lookup("db").size(), 1U);
}

TEST(ServiceRegistry, MergeAdvancesTheClockAndCountsSkew) {
  ServiceRegistry b = make("b");
  Delta delta;
  delta.nodes.push_back(NodeSlice{"a", {}, {}, {DeltaEntry{{20'000, 3}, "x", {1}, {}}}});
  merge_ok(b, delta);  // at wall time 2000: 18 s ahead, within the 30 s skew
  EXPECT_GT(b.clock().last(), (hlc::Timestamp{20'000, 3}));
  // A dot far ahead of the clock still merges; the clock does not follow it.
  delta.nodes[0].entries[0].stamp = {10'000'000'000, 0};
  merge_ok(b, delta);
  EXPECT_EQ(b.clock().stats().skew_rejections, 1U);
  EXPECT_EQ(b.lookup("x").size(), 2U);
  const Delta own = must(b.add(at(2000), "y", {1}, {}));
  EXPECT_LT(own.nodes[0].entries[0].stamp.wall_ms, 10'000'000'000U);
}

TEST(ServiceRegistry, EventQueueIsBounded) {
  Config config;
  config.max_events = 2;
  ServiceRegistry a = make("a", config);
  for (int i = 0; i < 5; ++i) must(a.add(at(1000), "s" + std::to_string(i), {1}, {}));
  const auto events = drain(a);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].registration.name, "s3");  // the oldest were dropped
  EXPECT_EQ(a.stats().events_dropped, 3U);
}

TEST(ServiceRegistry, ConfigValidationNamesTheKey) {
  EXPECT_TRUE(Config{}.validate().has_value());
  Config config;
  config.max_delta_size = 100;
  auto result = config.validate();
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("max_delta_size"), std::string::npos);
  config = Config{};
  config.max_names = 0;
  EXPECT_NE(config.validate().error().message.find("max_names"), std::string::npos);
  config = Config{};
  config.clock.max_skew = std::chrono::milliseconds(0);
  EXPECT_NE(config.validate().error().message.find("max_skew"), std::string::npos);
}

TEST(ServiceRegistry, HidingANodeKeepsItsEntriesInTheStateButOutOfSight) {
  ServiceRegistry a = make("a");
  ServiceRegistry b = make("b");
  ServiceRegistry c = make("c");
  merge_ok(c, must(a.add(at(1000), "db", bytes_of("p"), {})));
  merge_ok(c, must(b.add(at(1000), "db", bytes_of("q"), {})));
  merge_ok(c, must(a.add(at(1001), "web", bytes_of("p"), {})));
  drain(c);
  const std::uint64_t digest = digest_of_state(c);
  ASSERT_EQ(c.hide_node("a").value_or(0), 2U);
  EXPECT_TRUE(c.hidden("a"));
  auto events = drain(c);
  ASSERT_EQ(events.size(), 2U);
  for (const Event& event : events) {
    EXPECT_EQ(event.kind, Event::Kind::expired);
    EXPECT_EQ(event.registration.instance.node, "a");
  }
  ASSERT_EQ(c.lookup("db").size(), 1U);
  EXPECT_EQ(c.lookup("db")[0].node, "b");
  EXPECT_TRUE(c.lookup("web").empty());
  EXPECT_EQ(c.list(), std::vector<std::string>{"db"});
  EXPECT_EQ(digest_of_state(c), digest);  // the CRDT is untouched: digests still agree
  EXPECT_EQ(c.entries(), 3U);
  EXPECT_EQ(c.hide_node("a").value_or(9), 0U);  // already hidden: nothing more
  EXPECT_FALSE(c.hide_node("c"));               // never this node
  EXPECT_FALSE(c.hide_node("nobody"));

  // While hidden, changes of the node's entries merge silently.
  merge_ok(c, must(a.remove("web")));
  merge_ok(c, must(a.add(at(1002), "cache", bytes_of("p"), {})));
  EXPECT_TRUE(drain(c).empty());
  EXPECT_TRUE(c.lookup("cache").empty());

  // Shown again: its current entries, each registered.
  EXPECT_EQ(c.show_node("a"), 2U);
  EXPECT_FALSE(c.hidden("a"));
  events = drain(c);
  ASSERT_EQ(events.size(), 2U);
  for (const Event& event : events) EXPECT_EQ(event.kind, Event::Kind::registered);
  EXPECT_EQ(c.lookup("cache").size(), 1U);
  EXPECT_EQ(c.lookup("db").size(), 2U);
  EXPECT_TRUE(c.lookup("web").empty());
  EXPECT_EQ(c.show_node("a"), 0U);
}

TEST(ServiceRegistry, PruningAHiddenNodeEmitsNothingMoreAndEndsTheHiding) {
  ServiceRegistry a = make("a");
  ServiceRegistry c = make("c");
  merge_ok(c, must(a.add(at(1000), "db", bytes_of("p"), {})));
  ASSERT_TRUE(c.hide_node("a"));
  drain(c);
  EXPECT_EQ(c.nodes_with_entries(), std::vector<std::string>{"a"});
  ASSERT_TRUE(c.remove_node("a"));
  EXPECT_TRUE(drain(c).empty());  // already reported as expired
  EXPECT_FALSE(c.hidden("a"));
  EXPECT_TRUE(c.nodes_with_entries().empty());
  EXPECT_EQ(c.entries(), 0U);
  // A later run of the node (newer stamps) is visible at once.
  merge_ok(c, must(a.add(at(5000), "db", bytes_of("p2"), {})));
  EXPECT_EQ(c.lookup("db").size(), 1U);
  EXPECT_FALSE(c.has_own_entries());
  EXPECT_TRUE(a.has_own_entries());
}

}  // namespace
}  // namespace barrel_p2p::registry
