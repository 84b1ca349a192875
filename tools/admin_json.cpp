#include "admin_json.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <type_traits>
#include <utility>

namespace barrel_p2p::cli {

namespace {

using Json = nlohmann::json;

Json nodes_json(const std::vector<NodeInfo>& nodes) {
  Json out = Json::array();
  for (const auto& node : nodes) out.push_back({{"name", node.name}, {"address", node.address}});
  return out;
}

/// The scalar NodeStats fields, in declaration order, under their own names. std::size_t and
/// std::uint64_t are one type on the platforms built here, so one member pointer type covers
/// both the counters and the current values.
using Field = std::pair<const char*, std::uint64_t NodeStats::*>;
static_assert(std::is_same_v<std::size_t, std::uint64_t>);
constexpr Field kScalarFields[] = {
    {"auth_succeeded", &NodeStats::auth_succeeded},
    {"auth_failed", &NodeStats::auth_failed},
    {"datagrams_received", &NodeStats::datagrams_received},
    {"datagrams_dropped_garbage", &NodeStats::datagrams_dropped_garbage},
    {"datagrams_unknown_connection", &NodeStats::datagrams_unknown_connection},
    {"stateless_resets_sent", &NodeStats::stateless_resets_sent},
    {"connections_refused_limit", &NodeStats::connections_refused_limit},
    {"messages_sent", &NodeStats::messages_sent},
    {"messages_received", &NodeStats::messages_received},
    {"events_dropped", &NodeStats::events_dropped},
    {"sends_dropped", &NodeStats::sends_dropped},
    {"connections", &NodeStats::connections},
    {"peers", &NodeStats::peers},
    {"processes", &NodeStats::processes},
    {"pending_calls", &NodeStats::pending_calls},
    {"process_messages_local", &NodeStats::process_messages_local},
    {"process_messages_in", &NodeStats::process_messages_in},
    {"process_messages_out", &NodeStats::process_messages_out},
    {"dropped_noproc", &NodeStats::dropped_noproc},
    {"dropped_mailbox_full", &NodeStats::dropped_mailbox_full},
    {"worker_jobs_refused", &NodeStats::worker_jobs_refused},
    {"remote_monitors_refused", &NodeStats::remote_monitors_refused},
    {"remote_links_refused", &NodeStats::remote_links_refused},
    {"dropped_connection_lost", &NodeStats::dropped_connection_lost},
    {"calls_started", &NodeStats::calls_started},
    {"calls_timed_out", &NodeStats::calls_timed_out},
    {"on_demand_connects", &NodeStats::on_demand_connects},
    {"connects_failed", &NodeStats::connects_failed},
    {"connections_reaped", &NodeStats::connections_reaped},
    {"pins_not_persisted", &NodeStats::pins_not_persisted},
    {"pins_rotated", &NodeStats::pins_rotated},
    {"dials_backed_off", &NodeStats::dials_backed_off},
    {"connections_initiated", &NodeStats::connections_initiated},
    {"connections_accepted", &NodeStats::connections_accepted},
    {"migrations_ok", &NodeStats::migrations_ok},
    {"migrations_failed", &NodeStats::migrations_failed},
    {"migrations_timed_out", &NodeStats::migrations_timed_out},
    {"link_takeovers", &NodeStats::link_takeovers},
    {"migrations_for_peers", &NodeStats::migrations_for_peers},
    {"peer_address_changes", &NodeStats::peer_address_changes},
    {"connection_id_limit_drops", &NodeStats::connection_id_limit_drops},
    {"relay_datagrams_sent", &NodeStats::relay_datagrams_sent},
    {"relay_datagrams_received", &NodeStats::relay_datagrams_received},
    {"relay_datagrams_dropped", &NodeStats::relay_datagrams_dropped},
    {"membership_neighbor_requests", &NodeStats::membership_neighbor_requests},
    {"membership_neighbor_refused", &NodeStats::membership_neighbor_refused},
    {"membership_evictions", &NodeStats::membership_evictions},
    {"membership_failures", &NodeStats::membership_failures},
    {"membership_shuffles", &NodeStats::membership_shuffles},
    {"broadcasts", &NodeStats::broadcasts},
    {"broadcast_deliveries", &NodeStats::broadcast_deliveries},
    {"broadcast_duplicates", &NodeStats::broadcast_duplicates},
    {"broadcast_rejected", &NodeStats::broadcast_rejected},
    {"broadcast_announcements_sent", &NodeStats::broadcast_announcements_sent},
    {"broadcast_announcements_received", &NodeStats::broadcast_announcements_received},
    {"registry_names", &NodeStats::registry_names},
    {"registry_entries", &NodeStats::registry_entries},
    {"registry_tombstones", &NodeStats::registry_tombstones},
    {"registry_deltas_out", &NodeStats::registry_deltas_out},
    {"registry_deltas_in", &NodeStats::registry_deltas_in},
    {"registry_digests_out", &NodeStats::registry_digests_out},
    {"registry_digests_in", &NodeStats::registry_digests_in},
    {"registry_states_out", &NodeStats::registry_states_out},
    {"registry_states_in", &NodeStats::registry_states_in},
    {"registry_anti_entropy_rounds", &NodeStats::registry_anti_entropy_rounds},
    {"registry_malformed", &NodeStats::registry_malformed},
    {"registry_clock_skew_rejections", &NodeStats::registry_clock_skew_rejections},
    {"registry_dropped_too_large", &NodeStats::registry_dropped_too_large},
    {"registry_unusable_entries", &NodeStats::registry_unusable_entries},
    {"registry_route_requests_sent", &NodeStats::registry_route_requests_sent},
    {"registry_route_requests_answered", &NodeStats::registry_route_requests_answered},
    {"registry_route_requests_forwarded", &NodeStats::registry_route_requests_forwarded},
    {"registry_route_requests_timed_out", &NodeStats::registry_route_requests_timed_out},
    {"registry_route_cache_hits", &NodeStats::registry_route_cache_hits},
    {"registry_heartbeats_sent", &NodeStats::registry_heartbeats_sent},
    {"registry_heartbeats_received", &NodeStats::registry_heartbeats_received},
    {"registry_leases_expired", &NodeStats::registry_leases_expired},
    {"registry_leases_restored", &NodeStats::registry_leases_restored},
    {"registry_leases_pruned", &NodeStats::registry_leases_pruned},
    {"registry_entries_reasserted", &NodeStats::registry_entries_reasserted},
    {"streams_open", &NodeStats::streams_open},
    {"streams_opened_out", &NodeStats::streams_opened_out},
    {"streams_opened_in", &NodeStats::streams_opened_in},
    {"stream_resets_sent", &NodeStats::stream_resets_sent},
    {"stream_resets_received", &NodeStats::stream_resets_received},
};

/// The map fields (counts by reason or type).
using MapField = std::pair<const char*, std::map<std::string, std::uint64_t> NodeStats::*>;
const MapField kMapFields[] = {
    {"auth_failed_by_reason", &NodeStats::auth_failed_by_reason},
    {"membership_messages_out", &NodeStats::membership_messages_out},
    {"broadcast_frames_out", &NodeStats::broadcast_frames_out},
    {"broadcast_frames_in", &NodeStats::broadcast_frames_in},
    {"registry_refused", &NodeStats::registry_refused},
    {"registry_route_dropped", &NodeStats::registry_route_dropped},
    {"stream_preamble_dropped", &NodeStats::stream_preamble_dropped},
};

/// The duration histograms.
using HistogramField = std::pair<const char*, DurationHistogram NodeStats::*>;
constexpr HistogramField kHistogramFields[] = {
    {"auth_succeeded_duration", &NodeStats::auth_succeeded_duration},
    {"auth_failed_duration", &NodeStats::auth_failed_duration},
    {"loop_turns", &NodeStats::loop_turns},
};

/// {"count":N,"sum_us":S,"bounds_us":[10,25,...],"buckets":[n0,n1,...]}: `buckets` has one
/// more entry than `bounds_us` (above the last bound); each counts its own bucket only.
Json histogram_json(const DurationHistogram& histogram) {
  Json bounds = Json::array();
  for (const auto bound : DurationHistogram::kBounds) bounds.push_back(bound.count());
  return {{"count", histogram.count},
          {"sum_us", std::chrono::duration_cast<std::chrono::microseconds>(histogram.sum).count()},
          {"bounds_us", std::move(bounds)},
          {"buckets", histogram.buckets}};
}

}  // namespace

Json members_json(const Node& node) {
  return {
      {"node",
       {{"name", node.name()}, {"address", node.address()}, {"fingerprint", node.fingerprint()}}},
      {"active", nodes_json(node.active_view())},
      {"passive", nodes_json(node.passive_view())},
      {"connected", node.peers()}};
}

namespace {
using Link = std::pair<std::string, std::string>;

Link link_of(const std::string& a, const std::string& b) { return a < b ? Link{a, b} : Link{b, a}; }

Json reported_json(const NodeViews& views, const char* source) {
  Json active = Json::array();
  for (const auto& peer : views.active_view) active.push_back(peer.name);
  return {{"name", views.name},
          {"address", views.address},
          {"source", source},
          {"health", "ok"},
          {"active", std::move(active)},
          {"passive_size", views.passive_view_size},
          {"on_demand", views.on_demand}};
}

Json unknown_json(const std::string& name, const char* health) {
  return {{"name", name},
          {"address", ""},
          {"source", "seen"},
          {"health", health},
          {"active", Json::array()},
          {"passive_size", nullptr},
          {"on_demand", Json::array()}};
}
}  // namespace

Json cluster_json(const ClusterView& view) {
  std::map<std::string, Json> nodes;
  std::set<Link> active_links;
  std::set<Link> on_demand_links;
  std::set<std::string> named;
  auto add_reported = [&](const NodeViews& views, const char* source) {
    nodes[views.name] = reported_json(views, source);
    for (const auto& peer : views.active_view) {
      active_links.insert(link_of(views.name, peer.name));
      named.insert(peer.name);
    }
    for (const auto& peer : views.on_demand) {
      on_demand_links.insert(link_of(views.name, peer));
      named.insert(peer);
    }
  };
  add_reported(view.self, "self");
  for (const auto& peer : view.peers) add_reported(peer, "peer");
  for (const auto& name : view.unanswered) {
    nodes[name] = unknown_json(name, "no_answer");
    nodes[name]["source"] = "peer";
  }
  for (const auto& name : named) {
    if (!nodes.contains(name)) nodes[name] = unknown_json(name, "unknown");
  }
  // A pair linked both ways is an active link, whatever one side's list says meanwhile.
  for (const auto& link : active_links) on_demand_links.erase(link);
  Json out = {{"nodes", Json::array()},
              {"active_links", Json::array()},
              {"on_demand_links", Json::array()},
              {"unanswered", view.unanswered}};
  for (auto& [name, node] : nodes) out["nodes"].push_back(std::move(node));
  for (const auto& [a, b] : active_links) out["active_links"].push_back({a, b});
  for (const auto& [a, b] : on_demand_links) out["on_demand_links"].push_back({a, b});
  return out;
}

Json connections_json(const Node& node, const NodeStats& stats,
                      const std::vector<PathStats>& paths) {
  const auto active = node.active_view();
  std::map<std::string_view, const PathStats*> path_of;
  for (const auto& path : paths) path_of[path.node] = &path;
  Json peers = Json::array();
  for (const auto& name : node.peers()) {
    const bool in_active_view = std::any_of(
        active.begin(), active.end(), [&](const NodeInfo& info) { return info.name == name; });
    Json peer = {{"name", name}, {"active", in_active_view}};
    if (auto found = path_of.find(name); found != path_of.end()) {
      peer["path"] = path_json(*found->second);
    }
    peers.push_back(std::move(peer));
  }
  return {{"node", node.name()}, {"connections", stats.connections}, {"peers", std::move(peers)}};
}

Json path_json(const PathStats& path) {
  auto micros = [](std::chrono::nanoseconds value) {
    return std::chrono::duration_cast<std::chrono::microseconds>(value).count();
  };
  return {{"dialed", path.dialed},
          {"local", path.local_address},
          {"remote", path.remote_address},
          {"smoothed_rtt_us", micros(path.smoothed_rtt)},
          {"latest_rtt_us", micros(path.latest_rtt)},
          {"min_rtt_us", micros(path.min_rtt)},
          {"rtt_variance_us", micros(path.rtt_variance)},
          {"congestion_window", path.congestion_window},
          {"bytes_in_flight", path.bytes_in_flight},
          {"delivery_rate", path.delivery_rate}};
}

Json stats_json(const std::string& node_name, const NodeStats& stats) {
  Json out = {{"node", node_name}};
  for (const auto& [name, member] : kScalarFields) out[name] = stats.*member;
  for (const auto& [name, member] : kMapFields) out[name] = Json(stats.*member);
  for (const auto& [name, member] : kHistogramFields) out[name] = histogram_json(stats.*member);
  return out;
}

Json services_json(const Node& node, const std::string& prefix) {
  static constexpr char kHex[] = "0123456789abcdef";
  Json services = Json::array();
  for (const std::string& name : node.list_services(prefix)) {
    Json instances = Json::array();
    for (const ServiceInstance& instance : node.lookup_service(name)) {
      std::string hex;
      for (const std::uint8_t byte : instance.metadata) {
        hex.push_back(kHex[byte >> 4U]);
        hex.push_back(kHex[byte & 0xfU]);
      }
      instances.push_back({{"node", instance.pid.node},
                           {"pid", instance.pid.to_string()},
                           {"metadata_hex", std::move(hex)}});
    }
    services.push_back({{"name", name}, {"instances", std::move(instances)}});
  }
  return {{"node", node.name()}, {"services", std::move(services)}};
}

std::size_t stats_json_field_count() {
  return std::size(kScalarFields) + std::size(kMapFields) + std::size(kHistogramFields);
}

Json event_json(const FeedEvent& event) {
  Json out = {
      {"id", event.id}, {"time_ms", event.unix_time_ms}, {"type", event_type_name(event.event)}};
  if (const auto* up = std::get_if<NeighborUp>(&event.event)) {
    out["node"] = up->node.name;
    out["address"] = up->node.address;
  } else if (const auto* down = std::get_if<NeighborDown>(&event.event)) {
    out["node"] = down->node;
    out["reason"] = down->reason;
  } else if (const auto* suspected = std::get_if<PartitionSuspected>(&event.event)) {
    out["lost"] = suspected->lost;
  } else if (const auto* healed = std::get_if<PartitionHealed>(&event.event)) {
    out["node"] = healed->node;
  }
  return out;
}

std::string json_text(const Json& document) {
  return document.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json error_json(const std::string& message) { return {{"error", message}}; }

}  // namespace barrel_p2p::cli
