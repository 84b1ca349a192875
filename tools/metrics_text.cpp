#include "metrics_text.hpp"

#include <chrono>
#include <cstdio>

#include "barrel_p2p/version.hpp"

namespace barrel_p2p::cli {

namespace {

/// One family's samples from a NodeStats map (by reason or by type).
PrometheusWriter::Samples from_map(const std::map<std::string, std::uint64_t>& counts) {
  return {counts.begin(), counts.end()};
}

void write_links(PrometheusWriter& out, const NodeStats& stats) {
  out.gauge("barrel_p2p_connections", "QUIC connections now, in any state.", stats.connections);
  out.gauge("barrel_p2p_peers", "Authenticated peer links now.", stats.peers);
  out.counters("barrel_p2p_auth_attempts_total", "Peer authentications by outcome.", "outcome",
               {{"succeeded", stats.auth_succeeded}, {"failed", stats.auth_failed}});
  out.counters("barrel_p2p_auth_failures_total", "Failed peer authentications by reason.", "reason",
               from_map(stats.auth_failed_by_reason));
  out.histograms(
      "barrel_p2p_auth_duration_seconds",
      "Peer authentications by outcome: time from the end of the TLS handshake to "
      "the outcome.",
      "outcome",
      {{"succeeded", &stats.auth_succeeded_duration}, {"failed", &stats.auth_failed_duration}});
  out.histograms("barrel_p2p_loop_turn_seconds",
                 "Time each of the node's loop turns took: inputs, Engine and transport calls, "
                 "and the user code run after them.",
                 "", {{"", &stats.loop_turns}});
  out.counter("barrel_p2p_datagrams_received_total", "UDP datagrams received.",
              stats.datagrams_received);
  out.counters("barrel_p2p_datagrams_dropped_total",
               "Datagrams dropped: garbage (not QUIC) or for no known connection.", "reason",
               {{"garbage", stats.datagrams_dropped_garbage},
                {"unknown_connection", stats.datagrams_unknown_connection}});
  out.counter("barrel_p2p_stateless_resets_sent_total", "QUIC stateless resets sent.",
              stats.stateless_resets_sent);
  out.counters(
      "barrel_p2p_connections_opened_total",
      "QUIC connections opened: dialled by this node or accepted from peers.", "direction",
      {{"initiated", stats.connections_initiated}, {"accepted", stats.connections_accepted}});
  out.counters("barrel_p2p_migrations_total",
               "Links moved to a new local address (migrate_peer), by outcome.", "outcome",
               {{"ok", stats.migrations_ok},
                {"failed", stats.migrations_failed},
                {"timed_out", stats.migrations_timed_out}});
  out.counter("barrel_p2p_link_takeovers_total",
              "Links moved to a takeover connection (the accepting side's migration).",
              stats.link_takeovers);
  out.counter("barrel_p2p_migrations_for_peers_total",
              "Connections moved to a new socket because the peer, which accepted them, "
              "migrated its end.",
              stats.migrations_for_peers);
  out.counter("barrel_p2p_peer_address_changes_total",
              "Accepted connections whose peer moved to another address (migration or NAT "
              "rebinding), validated.",
              stats.peer_address_changes);
  out.counter("barrel_p2p_connection_id_limit_drops_total",
              "Packets dropped, connection kept, because QUIC counted one connection ID too "
              "many after a migration.",
              stats.connection_id_limit_drops);
  out.counters("barrel_p2p_relay_datagrams_total",
               "Datagrams of relayed connections (set_connect_options), by outcome: sent "
               "through a user transport, received from one, dropped (queue bound, size, or "
               "refused by the transport).",
               "outcome",
               {{"sent", stats.relay_datagrams_sent},
                {"received", stats.relay_datagrams_received},
                {"dropped", stats.relay_datagrams_dropped}});
  out.counter("barrel_p2p_connections_refused_total",
              "Connections refused at transport.max_connections or max_handshakes.",
              stats.connections_refused_limit);
  out.counter("barrel_p2p_connections_reaped_total", "Idle connections closed by the reaper.",
              stats.connections_reaped);
  out.counters("barrel_p2p_on_demand_connects_total",
               "Connections opened because a process sent, by outcome.", "outcome",
               {{"started", stats.on_demand_connects}, {"failed", stats.connects_failed}});
  out.counter("barrel_p2p_dials_backed_off_total",
              "Dials not made because authentication with the address just failed.",
              stats.dials_backed_off);
  out.counter("barrel_p2p_pins_not_persisted_total",
              "First-contact or rotated pins whose file could not be written.",
              stats.pins_not_persisted);
  out.counter("barrel_p2p_pins_rotated_total",
              "Pins moved to a peer's new key by its rotation record.", stats.pins_rotated);
  out.counters("barrel_p2p_link_messages_total", "Messages on peer links by direction.",
               "direction", {{"sent", stats.messages_sent}, {"received", stats.messages_received}});
  out.counter("barrel_p2p_events_dropped_total", "Events dropped because the event queue was full.",
              stats.events_dropped);
  out.counter("barrel_p2p_sends_dropped_total",
              "Sends queued off the loop whose peer went away first.", stats.sends_dropped);
}

void write_processes(PrometheusWriter& out, const NodeStats& stats) {
  out.gauge("barrel_p2p_processes", "Processes running now.", stats.processes);
  out.gauge("barrel_p2p_pending_calls", "Calls waiting for a reply now.", stats.pending_calls);
  out.counters("barrel_p2p_process_messages_total",
               "Process messages: between local processes, received from and sent to peers.",
               "direction",
               {{"local", stats.process_messages_local},
                {"in", stats.process_messages_in},
                {"out", stats.process_messages_out}});
  out.counters("barrel_p2p_process_messages_dropped_total", "Process messages dropped by reason.",
               "reason",
               {{"noproc", stats.dropped_noproc},
                {"mailbox_full", stats.dropped_mailbox_full},
                {"connection_lost", stats.dropped_connection_lost}});
  out.counter("barrel_p2p_calls_total", "Calls and rpcs this node made.", stats.calls_started);
  out.counter("barrel_p2p_calls_timed_out_total", "Calls that timed out.", stats.calls_timed_out);
  out.counters("barrel_p2p_refused_total",
               "Work refused at its bound: worker-pool jobs, remote monitors, remote links.",
               "type",
               {{"worker_job", stats.worker_jobs_refused},
                {"remote_monitor", stats.remote_monitors_refused},
                {"remote_link", stats.remote_links_refused}});
}

void write_membership(PrometheusWriter& out, const Node& node, const NodeStats& stats,
                      const std::map<std::string, std::uint64_t>& event_counts) {
  out.gauge("barrel_p2p_membership_active_view_size", "Nodes in the active view now.",
            node.active_view().size());
  out.gauge("barrel_p2p_membership_passive_view_size", "Nodes in the passive view now.",
            node.passive_view().size());
  out.counters("barrel_p2p_membership_events_total",
               "Membership events since the admin endpoint started, by type.", "type",
               from_map(event_counts));
  out.counters("barrel_p2p_membership_messages_sent_total", "HyParView messages sent, by type.",
               "type", from_map(stats.membership_messages_out));
  out.counters("barrel_p2p_membership_neighbor_requests_total",
               "NEIGHBOR requests sent, by outcome (refused: the peer was full).", "outcome",
               {{"sent", stats.membership_neighbor_requests},
                {"refused", stats.membership_neighbor_refused}});
  out.counter("barrel_p2p_membership_evictions_total",
              "Active peers dropped to make room for another.", stats.membership_evictions);
  out.counter("barrel_p2p_membership_failures_total",
              "Lost active links, failed sends and unanswered NEIGHBOR requests.",
              stats.membership_failures);
  out.counter("barrel_p2p_membership_shuffles_total", "SHUFFLEs this node started.",
              stats.membership_shuffles);
}

void write_broadcast(PrometheusWriter& out, const NodeStats& stats) {
  out.counter("barrel_p2p_broadcasts_total", "Broadcasts this node started.", stats.broadcasts);
  out.counter("barrel_p2p_broadcast_deliveries_total",
              "Broadcasts delivered on this node, its own included.", stats.broadcast_deliveries);
  out.counter("barrel_p2p_broadcast_duplicates_total",
              "GOSSIP copies of a broadcast already delivered (redundancy).",
              stats.broadcast_duplicates);
  out.counter("barrel_p2p_broadcast_rejected_total",
              "GOSSIP over this node's tag or payload limits, dropped.", stats.broadcast_rejected);
  out.counters("barrel_p2p_broadcast_frames_sent_total", "Plumtree frames sent, by type.", "type",
               from_map(stats.broadcast_frames_out));
  out.counters("barrel_p2p_broadcast_frames_received_total",
               "Plumtree frames received, by type (IHAVE: see announcements).", "type",
               from_map(stats.broadcast_frames_in));
  out.counters("barrel_p2p_broadcast_announcements_total",
               "Broadcast ids announced in IHAVE frames, by direction.", "direction",
               {{"sent", stats.broadcast_announcements_sent},
                {"received", stats.broadcast_announcements_received}});
}

void write_registry(PrometheusWriter& out, const NodeStats& stats) {
  out.gauge("barrel_p2p_registry_names", "Service names with an instance now.",
            stats.registry_names);
  out.gauge("barrel_p2p_registry_entries", "Service instances now, on all nodes.",
            stats.registry_entries);
  out.gauge("barrel_p2p_registry_tombstones", "Removed registry entries remembered now.",
            stats.registry_tombstones);
  out.counters("barrel_p2p_registry_deltas_total", "Registry changes by direction.", "direction",
               {{"out", stats.registry_deltas_out}, {"in", stats.registry_deltas_in}});
  out.counters("barrel_p2p_registry_exchanges_total",
               "Registry digests and full states exchanged with peers, by type.", "type",
               {{"digest_out", stats.registry_digests_out},
                {"digest_in", stats.registry_digests_in},
                {"state_out", stats.registry_states_out},
                {"state_in", stats.registry_states_in}});
  out.counter("barrel_p2p_registry_anti_entropy_rounds_total",
              "Periodic registry digest comparisons started.", stats.registry_anti_entropy_rounds);
  out.counters("barrel_p2p_registry_refused_total",
               "Registry deltas, states and operations refused, by reason.", "reason",
               from_map(stats.registry_refused));
  out.counters("barrel_p2p_registry_dropped_total",
               "Registry messages and entries dropped: undecodable, too large, stamps too far "
               "ahead, or entries whose pid no application can use.",
               "reason",
               {{"malformed", stats.registry_malformed},
                {"too_large", stats.registry_dropped_too_large},
                {"clock_skew", stats.registry_clock_skew_rejections},
                {"unusable_entry", stats.registry_unusable_entries}});
  out.counters("barrel_p2p_registry_route_requests_total",
               "Overlay route requests (whereis_service step 3) by outcome.", "outcome",
               {{"sent", stats.registry_route_requests_sent},
                {"answered", stats.registry_route_requests_answered},
                {"forwarded", stats.registry_route_requests_forwarded},
                {"timed_out", stats.registry_route_requests_timed_out},
                {"cache_hit", stats.registry_route_cache_hits}});
  out.counters("barrel_p2p_registry_route_dropped_total",
               "Overlay route requests and replies dropped, by reason.", "reason",
               from_map(stats.registry_route_dropped));
  out.counters(
      "barrel_p2p_registry_heartbeats_total", "Registry lease heartbeats, by direction.",
      "direction",
      {{"sent", stats.registry_heartbeats_sent}, {"received", stats.registry_heartbeats_received}});
  out.counters("barrel_p2p_registry_leases_total",
               "Leases on other nodes' instances, by outcome: expired (hidden), restored "
               "(heard from again), pruned (removed for good).",
               "outcome",
               {{"expired", stats.registry_leases_expired},
                {"restored", stats.registry_leases_restored},
                {"pruned", stats.registry_leases_pruned}});
  out.counter("barrel_p2p_registry_entries_reasserted_total",
              "Instances of this node a peer pruned while their process ran, registered again.",
              stats.registry_entries_reasserted);
}

void write_streams(PrometheusWriter& out, const NodeStats& stats) {
  out.gauge("barrel_p2p_streams_open", "Tagged streams open now.", stats.streams_open);
  out.counters("barrel_p2p_streams_opened_total", "Tagged streams opened, by direction.",
               "direction", {{"out", stats.streams_opened_out}, {"in", stats.streams_opened_in}});
  out.counters("barrel_p2p_stream_resets_total", "Tagged stream resets, by direction.", "direction",
               {{"sent", stats.stream_resets_sent}, {"received", stats.stream_resets_received}});
  out.counters("barrel_p2p_stream_preamble_dropped_total",
               "Inbound tagged streams reset before an acceptor saw them, by reason.", "reason",
               from_map(stats.stream_preamble_dropped));
}

}  // namespace

void PrometheusWriter::header(std::string_view name, std::string_view help, std::string_view type) {
  text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusWriter::sample(std::string_view name, std::string_view help, std::string_view type,
                              std::uint64_t value) {
  header(name, help, type);
  text_.append(name).append(" ").append(std::to_string(value)).append("\n");
}

void PrometheusWriter::counter(std::string_view name, std::string_view help, std::uint64_t value) {
  sample(name, help, "counter", value);
}

void PrometheusWriter::gauge(std::string_view name, std::string_view help, std::uint64_t value) {
  sample(name, help, "gauge", value);
}

void PrometheusWriter::counters(std::string_view name, std::string_view help,
                                std::string_view label, const Samples& samples) {
  header(name, help, "counter");
  for (const auto& [label_value, value] : samples) {
    text_.append(name).append("{").append(label).append("=\"");
    text_.append(escape_label(label_value)).append("\"} ");
    text_.append(std::to_string(value)).append("\n");
  }
}

void PrometheusWriter::histograms(std::string_view name, std::string_view help,
                                  std::string_view label, const Histograms& histograms) {
  header(name, help, "histogram");
  const auto seconds_text = [](double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", seconds);
    return std::string(text);
  };
  for (const auto& [label_value, histogram] : histograms) {
    std::string labels;  // `label="value",` or empty
    if (!label.empty()) {
      labels.append(label).append("=\"").append(escape_label(label_value)).append("\",");
    }
    std::uint64_t cumulative = 0;
    for (std::size_t bucket = 0; bucket < histogram->buckets.size(); ++bucket) {
      cumulative += histogram->buckets[bucket];
      const std::string le =
          bucket < DurationHistogram::kBounds.size()
              ? seconds_text(
                    std::chrono::duration<double>(DurationHistogram::kBounds[bucket]).count())
              : "+Inf";
      text_.append(name).append("_bucket{").append(labels).append("le=\"").append(le);
      text_.append("\"} ").append(std::to_string(cumulative)).append("\n");
    }
    const std::string plain = labels.empty() ? "" : "{" + labels.substr(0, labels.size() - 1) + "}";
    text_.append(name).append("_sum").append(plain).append(" ");
    text_.append(seconds_text(std::chrono::duration<double>(histogram->sum).count())).append("\n");
    text_.append(name).append("_count").append(plain).append(" ");
    text_.append(std::to_string(histogram->count)).append("\n");
  }
}

void PrometheusWriter::info(std::string_view name, std::string_view help,
                            const std::vector<std::pair<std::string, std::string>>& labels) {
  header(name, help, "gauge");
  text_.append(name).append("{");
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) text_.append(",");
    text_.append(labels[i].first).append("=\"").append(escape_label(labels[i].second));
    text_.append("\"");
  }
  text_.append("} 1\n");
}

std::string PrometheusWriter::escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string metrics_text(const Node& node, const NodeStats& stats,
                         const std::map<std::string, std::uint64_t>& event_counts) {
  PrometheusWriter out;
  out.info("barrel_p2p_info", "The node and the library version it runs.",
           {{"node", node.name()}, {"version", std::string(version())}});
  write_links(out, stats);
  write_processes(out, stats);
  write_membership(out, node, stats, event_counts);
  write_broadcast(out, stats);
  write_registry(out, stats);
  write_streams(out, stats);
  return out.text();
}

}  // namespace barrel_p2p::cli
