// NodeImpl: migration of the accepting end of a connection, which QUIC cannot move itself
// (docs/internals/decisions/0036-accepting-side-migration-by-request.md). The accepting node
// binds its new socket and sends MOVE with its address on the link; the dialing node moves
// the connection there with a QUIC migration of its own (a new socket of its own too: QUIC
// migrates only to a new local address), which validates the new path both ways, and says
// MOVED on it; the packet carrying MOVED moves the accepting side's QUIC to the new path too,
// and migrate_peer completes. A node that cannot move answers
// UNABLE and the accepting side takes the link over with a new connection (decision 0020);
// one that will not answers REFUSED. Loop thread only.
#include <spdlog/spdlog.h>

#include "runtime/node_driver.hpp"

namespace barrel_p2p {

void NodeImpl::on_path_message(const std::string& peer, wire::PathMessage&& message) {
  switch (message.type) {
    case wire::PathMessageType::move: move_for_peer(peer, message.text); return;
    case wire::PathMessageType::moved: peer_moved(peer); return;
    case wire::PathMessageType::refused:
    case wire::PathMessageType::unable: peer_did_not_move(peer, message); return;
  }
}

void NodeImpl::move_for_peer(const std::string& peer, const std::string& address) {
  const auto answer = [&](wire::PathMessageType type, const std::string& why) {
    log_->debug("not moving the link to {} to {}: {}", peer, address, why);
    (void)engine_->send_path_message(peer, {type, why});
  };
  auto connection = engine_->link_connection(peer);
  if (!connection) return;  // the link is gone: nowhere to answer
  const transport::ConnectionId id{*connection};
  if (config_.disable_active_migration) {
    return answer(wire::PathMessageType::refused,
                  "the peer disabled active migration (disable_active_migration)");
  }
  if (!config_.follow_peer_migrations) {
    return answer(wire::PathMessageType::unable,
                  "the peer keeps its end on its listening socket (follow_peer_migrations off)");
  }
  if (migrations_.contains(*connection) || peer_moves_.contains(*connection)) {
    return answer(wire::PathMessageType::refused, "a migration of this link is in progress");
  }
  auto role = endpoint_->role(id);
  if (!role || *role != transport::Role::client) {
    return answer(wire::PathMessageType::unable, "the peer did not dial this connection");
  }
  if (auto current = endpoint_->path_local(id); current && *current != 0) {
    auto extra = extra_sockets_.find(*current);
    if (extra != extra_sockets_.end() && extra->second.transport) {
      // A node reaches a peer it relays to through the relay only: no takeover either.
      return answer(wire::PathMessageType::refused,
                    "the peer's end runs over a datagram transport of its own");
    }
  }
  auto remote = core::SocketAddress::parse(address);
  if (!remote) return answer(wire::PathMessageType::refused, "bad address: " + address);
  if (remote->is_unspecified()) {
    // A node listening on a wildcard address cannot name its interface: keep the host this
    // connection already sends to, with the new port.
    auto current = endpoint_->remote_address(id);
    if (!current) return answer(wire::PathMessageType::unable, current.error().message);
    const std::uint16_t port = remote->port();
    remote = *current;
    remote->set_port(port);
  }
  if (remote->is_ipv6() != local_.is_ipv6()) {
    return answer(wire::PathMessageType::unable, "the new address is of another IP family");
  }
  auto local = open_extra_socket({}, *connection);
  if (!local) return answer(wire::PathMessageType::unable, local.error().message);
  if (auto begun = endpoint_->migrate(now(), id, *local, *remote); !begun) {
    retire_socket(*local);
    // The accepting side's own refusal (disable_active_migration) is final; the others (no
    // spare connection ID yet, state) leave it the takeover.
    return answer(begun.error().code == Errc::unreachable || begun.error().code == Errc::busy
                      ? wire::PathMessageType::refused
                      : wire::PathMessageType::unable,
                  begun.error().message);
  }
  log_->debug("moving the link to {} to {} as it asked", peer, remote->to_string());
  peer_moves_[*connection] = PeerMove{*local, peer};
}

void NodeImpl::peer_move_validated(std::uint64_t connection, bool ok) {
  auto it = peer_moves_.find(connection);
  const PeerMove move = it->second;
  peer_moves_.erase(it);
  if (ok) {
    retire_other_sockets(connection, move.local);
    ++moves_for_peers_;
    // The first frame on the new path: the peer's QUIC starts validating it at once.
    (void)engine_->send_path_message(move.peer, {wire::PathMessageType::moved, {}});
    return;
  }
  retire_socket(move.local);
  (void)engine_->send_path_message(
      move.peer, {wire::PathMessageType::unable, "the new path failed validation"});
}

void NodeImpl::peer_did_not_move(const std::string& peer, const wire::PathMessage& answer) {
  auto connection = engine_->link_connection(peer);
  if (!connection) return;
  auto it = migrations_.find(*connection);
  if (it == migrations_.end() || !it->second.requested) return;
  Migration& migration = it->second;
  std::string why = "the link to '" + peer + "' did not move: " + answer.text;
  if (answer.type == wire::PathMessageType::unable && !migration.answered) {
    log_->debug("{} cannot move the link ({}): taking it over", peer, answer.text);
    auto taken = start_takeover(*connection, migration);
    if (taken) return;
    why += "; " + taken.error().message;
  }
  loop_->cancel(migration.timer);
  retire_socket(migration.local);
  migration_done(*connection, fail(Errc::unreachable, why));
  migrations_.erase(it);
}

void NodeImpl::peer_moved(const std::string& peer) {
  // The peer validated the new path (its challenge crossed it both ways) before it sent
  // MOVED, and the packet that carried MOVED, the first on that path, moved our QUIC there
  // too (it validates the peer's address in the background, as for any peer that moves).
  auto connection = engine_->link_connection(peer);
  if (!connection) return;
  if (auto local = endpoint_->path_local(transport::ConnectionId{*connection})) {
    path_moved(*connection, *local);
  }
}

void NodeImpl::on_path_validated(transport::ConnectionId id, transport::LocalId local) {
  path_moved(id.value, local);
}

void NodeImpl::path_moved(std::uint64_t connection, transport::LocalId local) {
  auto it = migrations_.find(connection);
  if (it == migrations_.end() || !it->second.requested || it->second.local != local) return;
  loop_->cancel(it->second.timer);
  retire_other_sockets(connection, local);
  migration_done(connection, {});
  log_->debug("the peer moved the link to {} to our new socket", it->second.peer);
  migrations_.erase(it);
}

void NodeImpl::retire_other_sockets(std::uint64_t connection, transport::LocalId keep) {
  for (const auto& [local, extra] : extra_sockets_) {
    if (extra.connection == connection && local != keep) retire_socket(local);
  }
}

}  // namespace barrel_p2p
