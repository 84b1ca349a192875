// The JSON documents of the admin endpoint (docs/reference/admin-api.md), built with
// nlohmann-json from the public Node API. Pure functions of what they are given, so tests can
// check each shape without a server.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "barrel_p2p/node.hpp"
#include "membership_feed.hpp"

namespace barrel_p2p::cli {

/// GET /v1/members: {"node":{name,address,fingerprint},"active":[{name,address}],
/// "passive":[...],"connected":[names]}.
nlohmann::json members_json(const Node& node);

/// The "cluster" member of GET /v1/members: the overlay as `view` shows it.
/// {"nodes":[{"name","address","source","health","active":[names],"passive_size",
/// "on_demand":[names]}], "active_links":[[a,b]], "on_demand_links":[[a,b]],
/// "unanswered":[names]}, nodes ordered by name. `source` is "self", "peer" (an active peer)
/// or "seen" (named in a report only); `health` is "ok" (self, or a peer that answered),
/// "no_answer" (an active peer that did not answer in time) or "unknown" (seen only). Nodes
/// without a report have an empty address and views and a null passive_size.
/// Links are unordered pairs [a, b] with a < b, each once, sorted; an active link appears when
/// either end reported it, an on-demand link when either end listed the other as on-demand.
nlohmann::json cluster_json(const ClusterView& view);

/// GET /v1/connections: {"node":N,"connections":count,"peers":[{"name":..,"active":bool,
/// "path":{...}}]} where `active` says whether the peer is in the active view (a gossip link)
/// or not (an on-demand or plain link), and `path` is path_json() of the peer's entry in
/// `paths` (left out when `paths` has none, e.g. the link went in between).
nlohmann::json connections_json(const Node& node, const NodeStats& stats,
                                const std::vector<PathStats>& paths);
/// One link's path statistics: {"dialed","local","remote","smoothed_rtt_us","latest_rtt_us",
/// "min_rtt_us","rtt_variance_us","congestion_window","bytes_in_flight","delivery_rate"}
/// (times in whole microseconds, the window and in-flight in bytes, the rate in bytes/s).
nlohmann::json path_json(const PathStats& path);

/// GET /v1/stats: {"node":N, one member per NodeStats field under the field's name}; the
/// by-reason and by-type maps are objects, the duration histograms {"count","sum_us",
/// "bounds_us","buckets"} (each bucket counted alone; one more bucket than bounds).
nlohmann::json stats_json(const std::string& node_name, const NodeStats& stats);
/// GET /v1/services: the names starting with `prefix` this node's registry replica holds, each
/// with its instances (node, pid, metadata as lower-case hex).
nlohmann::json services_json(const Node& node, const std::string& prefix);

/// The number of members stats_json() writes for NodeStats (every field once).
std::size_t stats_json_field_count();

/// One event as GET /v1/events sends it: {"id":..,"time_ms":..,"type":..,...}, with "node"
/// and "address" (neighbor_up), "node" and "reason" (neighbor_down), "lost" (partition
/// suspected), "node" (partition_healed).
nlohmann::json event_json(const FeedEvent& event);

/// `document` as compact text. Never throws: bytes that are not UTF-8 (hostile names cannot
/// reach here, but payloads might) are replaced by U+FFFD.
std::string json_text(const nlohmann::json& document);

/// {"error": message}.
nlohmann::json error_json(const std::string& message);

}  // namespace barrel_p2p::cli
