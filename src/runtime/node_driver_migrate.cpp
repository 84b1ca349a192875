// NodeImpl: connection migration (Node::migrate_peer) and the extra sockets it binds
// (docs/internals/decisions/0020-connection-migration.md). Every member runs on the loop
// thread except migrate_peer, which waits on an API thread.
#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include <algorithm>

#include "runtime/node_driver.hpp"

namespace barrel_p2p {

namespace {
constexpr int kMaxReadBatches = 16;  // as the listening socket (node_driver.cpp)

/// The address a migration binds: `requested` ("host:port") or the listening IP, port 0.
Result<core::SocketAddress> migration_address(const core::SocketAddress& listening,
                                              std::string_view requested) {
  if (!requested.empty()) {
    auto parsed = core::SocketAddress::parse(requested);
    if (!parsed) {
      return fail(Errc::invalid_argument, "local_address: " + parsed.error().message);
    }
    return *parsed;
  }
  core::SocketAddress any_port = listening;
  any_port.set_port(0);
  return any_port;
}
}  // namespace

Result<void> NodeImpl::migrate_peer(std::string_view peer, std::chrono::milliseconds timeout,
                                    std::string_view local_address) {
  if (on_loop_thread()) {
    return fail(Errc::invalid_argument,
                "migrate_peer blocks: call it from a thread other than the node's loop");
  }
  std::future<Result<void>> outcome;
  auto started = call_on_loop([&]() -> Result<void> {
    if (stopping_) return fail(Errc::closed, "node is stopping");
    auto connection = engine_->link_connection(peer);
    auto begun = connection ? start_migration(*connection, std::string(peer), local_address,
                                              timeout, outcome)
                            : fail(Errc::not_found,
                                   "cannot migrate: no authenticated link to "
                                   "peer '" +
                                       std::string(peer) + "'");
    if (!begun) ++migrations_failed_;
    return begun;
  });
  if (!started) return started;
  // The loop always answers: validation, the timeout timer, the connection closing or stop.
  return outcome.get();
}

Result<void> NodeImpl::start_migration(std::uint64_t connection, const std::string& peer,
                                       std::string_view local_address,
                                       std::chrono::milliseconds timeout,
                                       std::future<Result<void>>& outcome) {
  const transport::ConnectionId id{connection};
  auto role = endpoint_->role(id);
  if (!role) return Unexpected(role.error());
  if (migrations_.contains(connection)) {
    return fail(Errc::busy, "a migration of the link to '" + peer + "' is in progress");
  }
  auto local = open_extra_socket(local_address, connection);
  if (!local) return Unexpected(local.error());
  const bool requested = *role == transport::Role::server;
  if (requested) {
    // QUIC cannot move the accepting end: ask the peer to move the connection to the new
    // socket (decision 0036); a peer that cannot makes us take the link over instead.
    const std::string address = extra_sockets_.at(*local).socket->local_address().to_string();
    if (auto asked = engine_->send_path_message(peer, {wire::PathMessageType::move, address});
        !asked) {
      retire_socket(*local);
      return fail(asked.error().code,
                  "cannot migrate the link to '" + peer + "': " + asked.error().message);
    }
  } else if (auto begun = endpoint_->migrate(now(), id, *local); !begun) {
    retire_socket(*local);
    return fail(begun.error().code,
                "cannot migrate the link to '" + peer + "': " + begun.error().message);
  }
  log_->debug("{} the link to {} to {}", requested ? "asking the peer to move" : "migrating", peer,
              extra_sockets_.at(*local).socket->local_address().to_string());
  Migration& migration = migrations_[connection];
  migration.local = *local;
  migration.peer = peer;
  migration.requested = requested;
  outcome = migration.promise.get_future();
  migration.timer =
      loop_->schedule(now() + timeout, [this, connection] { migration_timed_out(connection); });
  return {};
}

Result<transport::LocalId> NodeImpl::open_extra_socket(std::string_view local_address,
                                                       std::uint64_t connection) {
  auto address = migration_address(local_, local_address);
  if (!address) return Unexpected(address.error());
  auto bound = runtime::UdpSocket::bind(*address);
  if (!bound) return Unexpected(bound.error());
  auto socket = std::make_unique<runtime::UdpSocket>(std::move(bound).value());
  const transport::LocalId local = endpoint_->add_local(socket->local_address());
  if (auto added = loop_->add_fd(socket->fd(), EPOLLIN,
                                 [this, local](std::uint32_t) { on_extra_socket_readable(local); });
      !added) {
    endpoint_->remove_local(local);
    return Unexpected(added.error());
  }
  ExtraSocket extra;
  extra.socket = std::move(socket);
  extra.connection = connection;
  extra_sockets_.emplace(local, std::move(extra));
  return local;
}

void NodeImpl::migration_timed_out(std::uint64_t connection) {
  auto it = migrations_.find(connection);
  if (it == migrations_.end() || it->second.answered) return;
  Migration& migration = it->second;
  if (migration.takeover != 0) {
    auto route = engine_->link_connection(migration.peer);
    if (route && *route == migration.takeover) {
      // The link already runs on the new connection; the old one is still delivering what
      // was queued on it (FIFO), and closes by itself.
      migration_done(connection, {});
      return;
    }
    endpoint_->close(now(), transport::ConnectionId{migration.takeover}, 0, "takeover timed out");
  }
  if (it->second.answered) return;
  it->second.answered = true;
  ++migrations_timed_out_;
  // ngtcp2 has no way to cancel a validation: it ends on its own (on_migrated), and the
  // connection keeps its old path until then.
  it->second.promise.set_value(
      fail(Errc::timeout, "the new path to '" + it->second.peer +
                              "' was not validated in time; the link stays on its old path"));
}

Result<void> NodeImpl::start_takeover(std::uint64_t connection, Migration& migration) {
  // Dial the peer again from the new socket, and that connection takes the link over
  // (decision 0020): to the peer's listening address (its other sockets accept no
  // connections), else to the address its packets come from.
  const transport::ConnectionId id{connection};
  Result<core::SocketAddress> remote = endpoint_->remote_address(id);
  if (auto known = engine_->listening_address(migration.peer)) {
    if (auto parsed = core::SocketAddress::parse(*known)) remote = *parsed;
  }
  auto dialed = remote ? endpoint_->connect(now(), *remote, migration.local)
                       : Result<transport::ConnectionId>(Unexpected(remote.error()));
  if (!dialed) {
    return fail(dialed.error().code,
                "cannot take over the link to '" + migration.peer + "': " + dialed.error().message);
  }
  migration.takeover = dialed->value;
  migration.requested = false;
  extra_sockets_.at(migration.local).connection = migration.takeover;
  engine_->handle_takeover_connect(migration.takeover);
  log_->debug("taking over the link to {} from {}", migration.peer,
              extra_sockets_.at(migration.local).socket->local_address().to_string());
  return {};
}

void NodeImpl::on_migrated(transport::ConnectionId id, bool ok) {
  if (peer_moves_.contains(id.value)) {
    peer_move_validated(id.value, ok);
    return;
  }
  auto it = migrations_.find(id.value);
  if (it == migrations_.end()) return;
  Migration& migration = it->second;
  loop_->cancel(migration.timer);
  if (ok) {
    // The connection left its previous extra socket (if it had one) for the new one.
    retire_other_sockets(id.value, migration.local);
  } else {
    retire_socket(migration.local);
  }
  if (!migration.answered) {
    ++(ok ? migrations_ok_ : migrations_failed_);
    migration.promise.set_value(
        ok ? Result<void>{}
           : fail(Errc::unreachable, "the new path to '" + migration.peer +
                                         "' failed validation; the link stays on its old path"));
  }
  log_->debug("migration of the link to {} {}", migration.peer, ok ? "done" : "failed");
  migrations_.erase(it);
}

void NodeImpl::on_peer_address_changed(transport::ConnectionId id,
                                       const core::SocketAddress& remote) {
  log_->debug("connection {}: the peer now sends from {}", id.value, remote.to_string());
}

void NodeImpl::migration_done(std::uint64_t connection, Result<void> outcome) {
  auto it = migrations_.find(connection);
  if (it == migrations_.end()) return;
  if (!it->second.answered) {
    it->second.answered = true;
    ++(outcome ? migrations_ok_ : migrations_failed_);
    it->second.promise.set_value(std::move(outcome));
  }
}

void NodeImpl::takeover_settled(std::uint64_t connection, const std::string& failure) {
  auto it = migrations_.find(connection);
  if (it == migrations_.end() || it->second.takeover == 0) return;
  loop_->cancel(it->second.timer);
  auto route = engine_->link_connection(it->second.peer);
  migration_done(connection, route && *route == it->second.takeover
                                 ? Result<void>{}
                                 : fail(Errc::unreachable, failure));
  migrations_.erase(it);
}

void NodeImpl::on_link_streams_flushed(transport::ConnectionId id) {
  // A retired link delivered everything queued on it and stays open only for the tagged
  // streams it still carries: frames held since the retirement go on the new link.
  engine_->handle_link_flushed(now(), id.value);
  auto it = migrations_.find(id.value);
  if (it != migrations_.end()) {
    takeover_settled(id.value, "the link to '" + it->second.peer + "' was retired elsewhere");
  }
}

void NodeImpl::migration_connection_closed(std::uint64_t connection) {
  peer_moves_.erase(connection);
  if (auto it = migrations_.find(connection); it != migrations_.end()) {
    const std::string peer = it->second.peer;
    if (it->second.takeover != 0) {
      // The retired link closed once everything queued on it was delivered: done if the
      // link now runs on the takeover connection.
      takeover_settled(connection, "the link to '" + peer + "' closed during the takeover");
    } else {
      loop_->cancel(it->second.timer);
      migration_done(connection,
                     fail(Errc::closed, "the connection to '" + peer + "' closed while migrating"));
      migrations_.erase(it);
    }
  }
  // A takeover connection that closed before taking the link over: the old link stays.
  for (auto it = migrations_.begin(); it != migrations_.end(); ++it) {
    if (it->second.takeover != connection) continue;
    auto route = engine_->link_connection(it->second.peer);
    if (route && *route == connection) continue;  // it carried the link: PeerDown follows
    loop_->cancel(it->second.timer);
    migration_done(it->first,
                   fail(Errc::unreachable, "the takeover connection to '" + it->second.peer +
                                               "' closed before it took the link over"));
    migrations_.erase(it);
    break;
  }
  for (const auto& [local, extra] : extra_sockets_) {
    if (extra.connection == connection) retire_socket(local);
  }
}

void NodeImpl::retire_socket(transport::LocalId local) {
  endpoint_->remove_local(local);
  if (std::find(retired_sockets_.begin(), retired_sockets_.end(), local) ==
      retired_sockets_.end()) {
    retired_sockets_.push_back(local);
  }
}

void NodeImpl::close_retired_sockets() {
  for (const transport::LocalId local : retired_sockets_) {
    auto it = extra_sockets_.find(local);
    if (it == extra_sockets_.end()) continue;
    release_extra(it->second);  // a socket leaves the loop, a relay's transport stops
    extra_sockets_.erase(it);
  }
  retired_sockets_.clear();
}

void NodeImpl::finish_migrations(const std::string& why) {
  for (auto& [connection, migration] : migrations_) {
    loop_->cancel(migration.timer);
    if (!migration.answered) migration.promise.set_value(fail(Errc::closed, why));
  }
  migrations_.clear();
  peer_moves_.clear();
  for (auto& [local, extra] : extra_sockets_) release_extra(extra);
  extra_sockets_.clear();
  connect_options_.clear();  // never used: released without being started
  retired_sockets_.clear();
}

void NodeImpl::on_extra_socket_readable(transport::LocalId local) {
  auto it = extra_sockets_.find(local);
  if (it == extra_sockets_.end() || finished_) return;
  runtime::UdpSocket& socket = *it->second.socket;  // closed only after the turn
  const core::Instant at = now();
  // As on the listening socket (on_socket_readable): work for the Engine ends the reading.
  const auto pause = [this] { return pause_reading(); };
  for (int batch = 0; batch < kMaxReadBatches; ++batch) {
    auto received = socket.receive_batch(
        [&](const core::SocketAddress& from, core::ByteView data, std::uint8_t ecn) {
          endpoint_->handle_datagram(at, from, data, ecn, local);
        },
        pause);
    if (!received || *received == 0 || pause()) break;
  }
  turn();
  it = extra_sockets_.find(local);  // the turn may have closed it
  if (!finished_ && it != extra_sockets_.end() && it->second.socket &&
      it->second.socket->holds_datagrams()) {
    (void)loop_->post([this, local] { on_extra_socket_readable(local); });
  }
}

bool NodeImpl::send_datagrams_from(transport::LocalId local, const core::SocketAddress& to,
                                   core::ByteView data, std::size_t segment_size,
                                   std::uint8_t ecn) {
  auto it = extra_sockets_.find(local);
  if (it == extra_sockets_.end()) return true;  // closed: QUIC treats the packets as lost
  if (it->second.transport) return send_relayed(it->second, data, segment_size);
  if (!it->second.socket) return true;  // a relay whose transport was released
  auto sent = it->second.socket->send(to, data, segment_size, ecn);
  if (!sent && sent.error().code != Errc::limit_reached) {
    log_->debug("send from {} to {} failed: {}", it->second.socket->local_address().to_string(),
                to.to_string(), sent.error().message);
  }
  return sent.has_value();
}

}  // namespace barrel_p2p
