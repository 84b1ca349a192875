// NodeImpl::stats: the Engine's, the endpoint's and the driver's counters in one NodeStats.
#include "runtime/node_driver.hpp"

namespace barrel_p2p {

namespace {
void add_membership(const hyparview::Membership& membership, NodeStats& out) {
  const auto& stats = membership.stats();
  out.membership_neighbor_requests = stats.neighbor_requests;
  out.membership_neighbor_refused = stats.neighbor_refused;
  out.membership_evictions = stats.evictions;
  out.membership_failures = stats.failures;
  out.membership_shuffles = stats.shuffles;
  for (std::size_t type = 0; type < hyparview::kMessageTypeCount; ++type) {
    out.membership_messages_out[hyparview::message_type_name(type)] =
        stats.messages_out_by_type[type];
  }
}

void add_broadcast(const plumtree::BroadcastStats& stats, NodeStats& out) {
  out.broadcasts = stats.broadcasts;
  out.broadcast_deliveries = stats.deliveries;
  out.broadcast_duplicates = stats.duplicates;
  out.broadcast_rejected = stats.rejected;
  out.broadcast_announcements_sent = stats.ihave_sent;
  out.broadcast_announcements_received = stats.ihave_received;
  out.broadcast_frames_out = {{"gossip", stats.gossip_sent},
                              {"ihave", stats.ihave_messages_sent},
                              {"graft", stats.grafts_sent},
                              {"prune", stats.prunes_sent}};
  out.broadcast_frames_in = {{"gossip", stats.gossip_received},
                             {"graft", stats.grafts_received},
                             {"prune", stats.prunes_received}};
}

void add_transport(const transport::EndpointStats& transport, NodeStats& out) {
  out.datagrams_received = transport.datagrams_received;
  out.datagrams_dropped_garbage = transport.datagrams_dropped_garbage;
  out.datagrams_unknown_connection = transport.datagrams_unknown_connection;
  out.stateless_resets_sent = transport.stateless_resets_sent;
  out.connections_refused_limit = transport.connections_refused_limit;
  out.connections_initiated = transport.connections_initiated;
  out.connections_accepted = transport.connections_accepted;
  out.peer_address_changes = transport.peer_address_changes;
  out.connection_id_limit_drops = transport.connection_id_limit_drops;
}

void add_processes(const node::ProcessStats& processes, NodeStats& out) {
  out.processes = processes.processes;
  out.pending_calls = processes.pending_calls;
  out.process_messages_local = processes.messages_local;
  out.process_messages_in = processes.messages_remote_in;
  out.process_messages_out = processes.messages_remote_out;
  out.dropped_noproc = processes.dropped_noproc;
  out.dropped_mailbox_full = processes.dropped_mailbox_full;
  out.calls_started = processes.calls_started;
  out.calls_timed_out = processes.calls_timed_out;
  out.remote_monitors_refused = processes.remote_monitors_refused;
  out.remote_links_refused = processes.remote_links_refused;
}

void add_registry(const node::EngineRegistryStats& registry, NodeStats& out) {
  out.registry_names = registry.names;
  out.registry_entries = registry.entries;
  out.registry_tombstones = registry.tombstones;
  out.registry_deltas_out = registry.deltas_out;
  out.registry_deltas_in = registry.deltas_in;
  out.registry_digests_out = registry.digests_out;
  out.registry_digests_in = registry.digests_in;
  out.registry_states_out = registry.states_out;
  out.registry_states_in = registry.states_in;
  out.registry_anti_entropy_rounds = registry.anti_entropy_rounds;
  out.registry_malformed = registry.malformed;
  out.registry_clock_skew_rejections = registry.clock_skew_rejections;
  out.registry_refused = registry.refused;
  out.registry_dropped_too_large = registry.deltas_not_broadcast + registry.states_too_large;
  out.registry_unusable_entries = registry.unusable_entries;
  out.registry_route_requests_sent = registry.route_requests_sent;
  out.registry_route_requests_answered = registry.route_requests_answered;
  out.registry_route_requests_forwarded = registry.route_requests_forwarded;
  out.registry_route_requests_timed_out = registry.route_requests_timed_out;
  out.registry_route_cache_hits = registry.route_cache_hits;
  out.registry_route_dropped = registry.route_dropped;
  out.registry_heartbeats_sent = registry.heartbeats_sent;
  out.registry_heartbeats_received = registry.heartbeats_received;
  out.registry_leases_expired = registry.leases_expired;
  out.registry_leases_restored = registry.leases_restored;
  out.registry_leases_pruned = registry.leases_pruned;
  out.registry_entries_reasserted = registry.entries_reasserted;
}
}  // namespace

NodeStats NodeImpl::stats() const {
  auto snapshot = call_on_loop([this]() -> Result<NodeStats> {
    NodeStats out;
    const auto& link = engine_->link_stats();
    out.auth_succeeded = link.auth_succeeded;
    out.auth_failed = link.auth_failed;
    out.auth_failed_by_reason = link.auth_failed_by_reason;
    out.link_takeovers = link.takeovers;
    out.auth_succeeded_duration = link.auth_succeeded_duration;
    out.auth_failed_duration = link.auth_failed_duration;
    add_transport(endpoint_->stats(), out);
    add_processes(engine_->processes().stats(), out);
    add_membership(engine_->membership(), out);
    add_broadcast(engine_->broadcast_tree().stats(), out);
    add_registry(engine_->registry_stats(), out);
    const node::EngineStats engine = engine_->stats();
    out.messages_sent = engine.messages_sent;
    out.messages_received = engine.messages_received;
    out.dropped_connection_lost = engine.dropped_connection_lost;
    out.on_demand_connects = engine.on_demand_connects;
    out.connects_failed = engine.connects_failed;
    out.connections_reaped = engine.connections_reaped;
    out.pins_not_persisted = engine.pins_not_persisted;
    out.pins_rotated = engine.pins_rotated;
    out.dials_backed_off = engine.dials_backed_off;
    out.sends_dropped = sends_dropped_;
    out.migrations_ok = migrations_ok_;
    out.migrations_failed = migrations_failed_;
    out.migrations_timed_out = migrations_timed_out_;
    out.migrations_for_peers = moves_for_peers_;
    out.relay_datagrams_sent = relay_counters_->sent.load(std::memory_order_relaxed);
    out.relay_datagrams_received = relay_counters_->received.load(std::memory_order_relaxed);
    out.relay_datagrams_dropped = relay_counters_->dropped.load(std::memory_order_relaxed);
    out.loop_turns = loop_turns_;
    out.connections = endpoint_->connection_count();
    out.peers = engine_->peers().size();
    out.streams_open = streams_.size();
    out.streams_opened_out = stream_counters_.opened_out;
    out.streams_opened_in = stream_counters_.opened_in;
    out.stream_resets_sent = stream_counters_.resets_sent;
    out.stream_resets_received = stream_counters_.resets_received;
    out.stream_preamble_dropped = {{"cap", 0}, {"unknown_tag", 0}, {"malformed", 0}};
    for (const auto& [reason, count] : stream_counters_.preamble_dropped) {
      out.stream_preamble_dropped[reason] = count;
    }
    return out;
  });
  NodeStats out = snapshot ? *snapshot : NodeStats{};
  std::lock_guard lock(events_mutex_);
  out.events_dropped = events_dropped_;
  out.worker_jobs_refused = workers_->jobs_refused();
  return out;
}

}  // namespace barrel_p2p
