#include "proto/registry/service_registry.hpp"

#include <algorithm>
#include <cstdint>

#include "core/assert.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p::registry {

// What merging one delta would do, computed before anything changes (all or nothing).
struct ServiceRegistry::Plan {
  struct SlicePlan {
    std::vector<const DeltaEntry*> adds;  // entries of the delta this replica does not know
    std::vector<hlc::Timestamp> kills;    // local live dots the delta knows and does not hold
  };
  std::vector<SlicePlan> slices;  // parallel to Delta::nodes
  // Change of the live entry count per name; views into the delta or into live values,
  // both unchanged until the plan is applied.
  std::map<std::string_view, std::int64_t> per_name;
  std::int64_t entries = 0;
  std::int64_t tombstones = 0;
  std::size_t new_nodes = 0;
};

namespace {
bool has_stamp(const std::vector<DeltaEntry>& entries, hlc::Timestamp stamp) {
  auto it = std::lower_bound(
      entries.begin(), entries.end(), stamp,
      [](const DeltaEntry& entry, const hlc::Timestamp& value) { return entry.stamp < value; });
  return it != entries.end() && it->stamp == stamp;
}

std::size_t as_size(std::int64_t value) { return value < 0 ? 0 : static_cast<std::size_t>(value); }
}  // namespace

ServiceRegistry::ServiceRegistry(Config config, std::string self, core::WallTime now)
    : config_(config), self_(std::move(self)), clock_(config_.clock) {
  BARREL_ASSERT(config_.validate().has_value(), "invalid registry config");
  BARREL_ASSERT(wire::is_valid_name(self_), "registry node name must be a valid name");
  own_last_ = clock_.now(now);
  nodes_[self_].floor = own_last_;
}

Unexpected ServiceRegistry::refuse(Refusal reason, Errc code, const std::string& message) {
  ++stats_.refused[static_cast<std::size_t>(reason)];
  return {code, "registry: " + message};
}

void ServiceRegistry::emit(Event::Kind kind, const std::string& node, hlc::Timestamp stamp,
                           const Value& value) {
  // Entries of a hidden node are invisible: their changes are not reported until show_node().
  if (kind != Event::Kind::expired && hidden_.contains(node)) return;
  if (events_.size() >= config_.max_events) {
    events_.pop_front();  // bound: the oldest event goes first
    ++stats_.events_dropped;
  }
  events_.push_back(
      Event{kind, Registration{value.name, Instance{node, stamp, value.pid, value.metadata}}});
}

void ServiceRegistry::kill(NodeState& state, const std::string& node, hlc::Timestamp stamp) {
  auto it = state.live.find(stamp);
  BARREL_ASSERT(it != state.live.end());
  emit(Event::Kind::unregistered, node, stamp, it->second);
  auto name = names_.find(it->second.name);
  BARREL_ASSERT(name != names_.end());
  name->second.erase(Dot{node, stamp});
  if (name->second.empty()) names_.erase(name);
  state.live.erase(it);
  --entry_count_;
}

void ServiceRegistry::make_live(NodeState& state, const std::string& node, hlc::Timestamp stamp,
                                Value value) {
  emit(Event::Kind::registered, node, stamp, value);
  names_[value.name].insert(Dot{node, stamp});
  state.live.emplace(stamp, std::move(value));
  ++entry_count_;
}

void ServiceRegistry::raise_floor(NodeState& state, hlc::Timestamp floor) {
  if (floor <= state.floor) return;
  state.floor = floor;
  auto end = state.removed.upper_bound(floor);
  const auto collected = static_cast<std::size_t>(std::distance(state.removed.begin(), end));
  state.removed.erase(state.removed.begin(), end);
  tombstone_count_ -= collected;
  stats_.tombstones_collected += collected;
}

const ServiceRegistry::Value* ServiceRegistry::find(const Dot& dot) const {
  auto node = nodes_.find(dot.node);
  if (node == nodes_.end()) return nullptr;
  auto it = node->second.live.find(dot.stamp);
  return it == node->second.live.end() ? nullptr : &it->second;
}

Result<Delta> ServiceRegistry::add(core::WallTime now, std::string_view name, core::Bytes pid,
                                   core::Bytes metadata) {
  if (name.empty() || name.size() > config_.max_name_size) {
    return refuse(Refusal::name_size, Errc::invalid_argument, "name must be 1-max_name_size bytes");
  }
  if (pid.empty() || pid.size() > config_.max_pid_size) {
    return refuse(Refusal::pid_size, Errc::invalid_argument, "pid must be 1-max_pid_size bytes");
  }
  if (metadata.size() > config_.max_metadata_size) {
    return refuse(Refusal::metadata_size, Errc::invalid_argument,
                  "metadata longer than max_metadata_size");
  }
  std::vector<hlc::Timestamp> superseded;  // this node's entries of the same pid under `name`
  std::size_t before = 0;
  if (auto it = names_.find(name); it != names_.end()) {
    before = it->second.size();
    for (const Dot& dot : it->second) {
      if (dot.node == self_ && find(dot)->pid == pid) superseded.push_back(dot.stamp);
    }
  }
  if (before - superseded.size() + 1 > config_.max_entries_per_name) {
    return refuse(Refusal::entries_per_name, Errc::limit_reached,
                  "name holds max_entries_per_name entries");
  }
  if (before == 0 && names_.size() >= config_.max_names) {
    return refuse(Refusal::names, Errc::limit_reached, "max_names names registered");
  }
  if (superseded.empty() && entry_count_ >= config_.max_entries) {
    return refuse(Refusal::entries, Errc::limit_reached, "max_entries entries registered");
  }
  const hlc::Timestamp stamp = clock_.now(now);
  own_last_ = stamp;
  NodeState& own = nodes_[self_];
  own.carry = true;
  for (const hlc::Timestamp& old : superseded) kill(own, self_, old);
  raise_floor(own, stamp);  // F(self) is always the latest own stamp (header, "Floors")
  Delta delta;
  delta.nodes.push_back(
      NodeSlice{self_, {}, superseded, {DeltaEntry{stamp, std::string(name), pid, metadata}}});
  make_live(own, self_, stamp, Value{std::string(name), std::move(pid), std::move(metadata)});
  ++stats_.local_adds;
  return delta;
}

Result<Delta> ServiceRegistry::remove_dots(const std::vector<Dot>& dots) {
  // `dots` are live and sorted by (node, stamp): the delta's slices come out in order.
  Delta delta;
  std::size_t needed = 0;
  for (const Dot& dot : dots) {
    if (delta.nodes.empty() || delta.nodes.back().node != dot.node) {
      delta.nodes.push_back(NodeSlice{dot.node, {}, {}, {}});
    }
    delta.nodes.back().removed.push_back(dot.stamp);
    if (dot.stamp > nodes_.find(dot.node)->second.floor) ++needed;
  }
  if (tombstone_count_ + needed > config_.max_tombstones) {
    return refuse(Refusal::tombstones, Errc::limit_reached, "max_tombstones tombstones held");
  }
  if (encoded_size(delta) > config_.max_delta_size) {
    return refuse(Refusal::too_large, Errc::limit_reached, "remove delta above max_delta_size");
  }
  for (const Dot& dot : dots) {
    NodeState& state = nodes_.find(dot.node)->second;
    kill(state, dot.node, dot.stamp);
    if (dot.stamp > state.floor && state.removed.insert(dot.stamp).second) ++tombstone_count_;
  }
  ++stats_.local_removes;
  return delta;
}

Result<Delta> ServiceRegistry::remove(std::string_view name) {
  auto it = names_.find(name);
  if (it == names_.end()) return fail(Errc::not_found, "registry: no entry under that name");
  return remove_dots(std::vector<Dot>(it->second.begin(), it->second.end()));
}

Result<Delta> ServiceRegistry::remove_entry(std::string_view name, std::string_view node,
                                            core::ByteView pid) {
  std::vector<Dot> dots;
  if (auto it = names_.find(name); it != names_.end()) {
    for (const Dot& dot : it->second) {
      const core::Bytes& value_pid = find(dot)->pid;
      if (dot.node == node &&
          std::equal(value_pid.begin(), value_pid.end(), pid.begin(), pid.end())) {
        dots.push_back(dot);
      }
    }
  }
  if (dots.empty()) return fail(Errc::not_found, "registry: no such entry under that name");
  return remove_dots(dots);
}

Result<Delta> ServiceRegistry::remove_node(std::string_view node) {
  if (node == self_) {
    return fail(Errc::invalid_argument, "registry: remove_node of this node (use remove)");
  }
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return fail(Errc::not_found, "registry: no dot of that node seen");
  NodeState& state = it->second;
  hlc::Timestamp floor = state.floor;
  if (!state.live.empty()) floor = std::max(floor, state.live.rbegin()->first);
  if (!state.removed.empty()) floor = std::max(floor, *state.removed.rbegin());
  while (!state.live.empty()) kill(state, it->first, state.live.begin()->first);
  raise_floor(state, floor);
  state.carry = true;
  if (auto hidden = hidden_.find(node); hidden != hidden_.end()) hidden_.erase(hidden);
  ++stats_.local_removes;
  Delta delta;
  delta.nodes.push_back(NodeSlice{it->first, floor, {}, {}});
  return delta;
}

Result<std::size_t> ServiceRegistry::hide_node(std::string_view node) {
  if (node == self_) return fail(Errc::invalid_argument, "registry: hide_node of this node");
  auto it = nodes_.find(node);
  if (it == nodes_.end() || it->second.live.empty()) {
    return fail(Errc::not_found, "registry: no live entry of that node");
  }
  if (hidden_.contains(node)) return std::size_t{0};
  for (const auto& [stamp, value] : it->second.live) {
    emit(Event::Kind::expired, it->first, stamp, value);
  }
  hidden_.insert(it->first);
  return it->second.live.size();
}

std::size_t ServiceRegistry::show_node(std::string_view node) {
  auto hidden = hidden_.find(node);
  if (hidden == hidden_.end()) return 0;
  hidden_.erase(hidden);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return 0;
  for (const auto& [stamp, value] : it->second.live) {
    emit(Event::Kind::registered, it->first, stamp, value);
  }
  return it->second.live.size();
}

std::vector<std::string> ServiceRegistry::nodes_with_entries() const {
  std::vector<std::string> out;
  for (const auto& [node, state] : nodes_) {
    if (node != self_ && !state.live.empty()) out.push_back(node);
  }
  return out;
}

bool ServiceRegistry::has_own_entries() const {
  auto it = nodes_.find(self_);
  return it != nodes_.end() && !it->second.live.empty();
}

std::optional<ShapeError> ServiceRegistry::check_own_slice(const NodeSlice& slice) const {
  // This node made every dot of its own; a peer cannot know one it never made (header).
  const bool beyond = slice.floor > own_last_ ||
                      (!slice.removed.empty() && slice.removed.back() > own_last_) ||
                      (!slice.entries.empty() && slice.entries.back().stamp > own_last_);
  if (beyond) return ShapeError{Refusal::foreign_dot, "dot of this node it never made"};
  return std::nullopt;
}

void ServiceRegistry::plan_slice(const NodeSlice& slice, Plan& plan) const {
  Plan::SlicePlan& out = plan.slices.emplace_back();
  auto it = nodes_.find(slice.node);
  const NodeState* local = it == nodes_.end() ? nullptr : &it->second;
  if (local == nullptr) ++plan.new_nodes;
  auto known = [local](hlc::Timestamp stamp) {
    return local != nullptr &&
           (stamp <= local->floor || local->removed.contains(stamp) || local->live.contains(stamp));
  };
  for (const DeltaEntry& entry : slice.entries) {
    if (known(entry.stamp)) continue;
    out.adds.push_back(&entry);
    ++plan.per_name[entry.name];
    ++plan.entries;
  }
  if (local == nullptr) {
    plan.tombstones += static_cast<std::int64_t>(slice.removed.size());
    return;
  }
  for (auto live = local->live.begin(); live != local->live.end() && live->first <= slice.floor;
       ++live) {
    if (!has_stamp(slice.entries, live->first)) out.kills.push_back(live->first);
  }
  for (const hlc::Timestamp& stamp : slice.removed) {
    if (local->live.contains(stamp)) out.kills.push_back(stamp);
  }
  for (const hlc::Timestamp& stamp : out.kills) {
    --plan.per_name[local->live.find(stamp)->second.name];
    --plan.entries;
  }
  // Tombstones after: the union of both sets, above the joined floor.
  const hlc::Timestamp floor = std::max(local->floor, slice.floor);
  const auto absorbed = std::distance(local->removed.begin(), local->removed.upper_bound(floor));
  plan.tombstones -= absorbed;
  for (const hlc::Timestamp& stamp : slice.removed) {
    if (stamp > floor && !local->removed.contains(stamp)) ++plan.tombstones;
  }
}

std::optional<ShapeError> ServiceRegistry::check_bounds(const Plan& plan) const {
  if (nodes_.size() + plan.new_nodes > config_.max_nodes) {
    return ShapeError{Refusal::nodes, "would know more than max_nodes nodes"};
  }
  if (plan.entries > 0 && entry_count_ + as_size(plan.entries) > config_.max_entries) {
    return ShapeError{Refusal::entries, "would hold more than max_entries entries"};
  }
  if (plan.tombstones > 0 && tombstone_count_ + as_size(plan.tombstones) > config_.max_tombstones) {
    return ShapeError{Refusal::tombstones, "would hold more than max_tombstones tombstones"};
  }
  auto names = static_cast<std::int64_t>(names_.size());
  std::int64_t new_names = 0;
  for (const auto& [name, change] : plan.per_name) {
    auto it = names_.find(name);
    const auto before = static_cast<std::int64_t>(it == names_.end() ? 0 : it->second.size());
    const std::int64_t after = before + change;
    if (change > 0 && as_size(after) > config_.max_entries_per_name) {
      return ShapeError{Refusal::entries_per_name, "a name would exceed max_entries_per_name"};
    }
    if (before == 0 && after > 0) ++new_names;
    if (before > 0 && after == 0) --names;
  }
  if (new_names > 0 && as_size(names + new_names) > config_.max_names) {
    return ShapeError{Refusal::names, "would hold more than max_names names"};
  }
  return std::nullopt;
}

void ServiceRegistry::apply_slice(const NodeSlice& slice, const Plan& plan, std::size_t index,
                                  MergeReport& report) {
  const Plan::SlicePlan& slice_plan = plan.slices[index];
  NodeState& state = nodes_[slice.node];
  // A floor from a peer, or a peer's word on this node's own dots, is worth passing on.
  if (!slice.floor.is_zero() || slice.node == self_) state.carry = true;
  for (const hlc::Timestamp& stamp : slice_plan.kills) kill(state, slice.node, stamp);
  raise_floor(state, slice.floor);
  for (const hlc::Timestamp& stamp : slice.removed) {
    if (stamp > state.floor && state.removed.insert(stamp).second) ++tombstone_count_;
  }
  for (const DeltaEntry* entry : slice_plan.adds) {
    make_live(state, slice.node, entry->stamp, Value{entry->name, entry->pid, entry->metadata});
  }
  report.added += slice_plan.adds.size();
  report.removed += slice_plan.kills.size();
}

Result<MergeReport> ServiceRegistry::merge(core::WallTime now, const Delta& delta) {
  Limits limits = config_.state_limits();
  if (auto error = check_shape(delta, limits)) {
    return refuse(error->reason, Errc::protocol, "delta refused: " + error->detail);
  }
  Plan plan;
  hlc::Timestamp highest;
  for (const NodeSlice& slice : delta.nodes) {
    if (slice.node == self_) {
      if (auto error = check_own_slice(slice)) {
        return refuse(error->reason, Errc::protocol, "delta refused: " + error->detail);
      }
    }
    plan_slice(slice, plan);
    highest = std::max(highest, slice.floor);
    if (!slice.removed.empty()) highest = std::max(highest, slice.removed.back());
    if (!slice.entries.empty()) highest = std::max(highest, slice.entries.back().stamp);
  }
  if (auto error = check_bounds(plan)) {
    return refuse(error->reason, Errc::limit_reached, "delta refused: " + error->detail);
  }
  MergeReport report;
  for (std::size_t i = 0; i < delta.nodes.size(); ++i) apply_slice(delta.nodes[i], plan, i, report);
  if (!highest.is_zero()) clock_.update(highest, now);  // a skew rejection is counted there
  ++stats_.merges;
  stats_.entries_added += report.added;
  stats_.entries_removed += report.removed;
  return report;
}

Result<MergeReport> ServiceRegistry::merge_encoded(core::WallTime now, core::ByteView bytes,
                                                   Kind kind) {
  Refusal why = Refusal::malformed;
  auto delta =
      decode(bytes, kind == Kind::delta ? config_.delta_limits() : config_.state_limits(), &why);
  if (!delta) return refuse(why, Errc::protocol, delta.error().message);
  return merge(now, *delta);
}

Delta ServiceRegistry::export_state() const {
  Delta delta;
  for (const auto& [node, state] : nodes_) {
    if (!state.carry && state.live.empty() && state.removed.empty()) continue;
    NodeSlice slice{node, state.floor, {state.removed.begin(), state.removed.end()}, {}};
    for (const auto& [stamp, value] : state.live) {
      slice.entries.push_back(DeltaEntry{stamp, value.name, value.pid, value.metadata});
    }
    delta.nodes.push_back(std::move(slice));
  }
  return delta;
}

std::size_t ServiceRegistry::collect(core::WallTime now) {
  std::size_t dropped = 0;
  const auto retention = static_cast<std::int64_t>(config_.node_retention.count());
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    const NodeState& state = it->second;
    const auto floor_ms = static_cast<std::int64_t>(
        std::min<std::uint64_t>(state.floor.wall_ms, std::uint64_t{1} << 62U));
    if (it->first != self_ && state.live.empty() && state.removed.empty() &&
        now.unix_millis - retention > floor_ms) {
      if (auto hidden = hidden_.find(it->first); hidden != hidden_.end()) hidden_.erase(hidden);
      it = nodes_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  stats_.nodes_collected += dropped;
  return dropped;
}

std::optional<Event> ServiceRegistry::poll_event() {
  if (events_.empty()) return std::nullopt;
  Event event = std::move(events_.front());
  events_.pop_front();
  return event;
}

std::vector<Instance> ServiceRegistry::lookup(std::string_view name) const {
  std::vector<Instance> out;
  auto it = names_.find(name);
  if (it == names_.end()) return out;
  out.reserve(it->second.size());
  for (const Dot& dot : it->second) {
    if (!hidden_.empty() && hidden_.contains(dot.node)) continue;
    const Value* value = find(dot);
    out.push_back(Instance{dot.node, dot.stamp, value->pid, value->metadata});
  }
  return out;
}

std::vector<std::string> ServiceRegistry::list(std::string_view prefix) const {
  std::vector<std::string> out;
  for (auto it = names_.lower_bound(prefix);
       it != names_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    const bool visible = hidden_.empty() ||
                         std::any_of(it->second.begin(), it->second.end(), [this](const Dot& dot) {
                           return !hidden_.contains(dot.node);
                         });
    if (visible) out.push_back(it->first);
  }
  return out;
}

std::vector<Registration> ServiceRegistry::entries_of(std::string_view node) const {
  std::vector<Registration> out;
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return out;
  for (const auto& [stamp, value] : it->second.live) {
    out.push_back(Registration{value.name, Instance{it->first, stamp, value.pid, value.metadata}});
  }
  return out;
}

hlc::Timestamp ServiceRegistry::floor_of(std::string_view node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? hlc::Timestamp{} : it->second.floor;
}

}  // namespace barrel_p2p::registry
