// NodeImpl: the relay seam (Node::set_connect_options, decision 0022). A connection made over
// a user DatagramTransport is one more extra entry of the endpoint (decision 0020, point 6):
// a virtual local address no socket can have, whose datagrams leave through the transport's
// send() and arrive through its Receiver, queued in a RelayInbox and fed to the endpoint on
// the loop thread. Every member runs on the loop thread except the public calls, which hand
// their work to it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "core/assert.hpp"
#include "proto/auth/contact.hpp"
#include "runtime/node_driver.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p {

namespace {
// Nodes with connect options set and not used yet; set_connect_options refuses more.
constexpr std::size_t kMaxConnectOptions = 64;

/// The node name `text` names: itself, or the name of a contact string.
Result<std::string> node_name_of(std::string_view text) {
  if (auth::is_contact_string(text)) {
    auto contact = auth::parse_contact(text);
    if (!contact) return Unexpected(contact.error());
    return contact->peer->name;
  }
  if (!wire::is_valid_name(text)) {
    return fail(Errc::invalid_argument, "invalid node name '" + std::string(text) + "'");
  }
  return std::string(text);
}

/// The virtual local address of relay number `serial` (1 to 2^24 - 1): port 0, which no bound
/// socket ever has, so it never equals the address of one of the endpoint's sockets; in
/// 0.0.0.0/8 for an IPv4 peer, in the discard-only prefix 100::/64 (RFC 6666) for an IPv6
/// one (ngtcp2 only compares the bytes; the family matches the peer's).
core::SocketAddress relay_address(const core::SocketAddress& remote, std::uint32_t serial) {
  char text[48];
  if (remote.is_ipv6()) {
    std::snprintf(text, sizeof(text), "[100::%x:%x]:0", serial >> 16U, serial & 0xffffU);
  } else {
    std::snprintf(text, sizeof(text), "0.%u.%u.%u:0", (serial >> 16U) & 0xffU,
                  (serial >> 8U) & 0xffU, serial & 0xffU);
  }
  auto parsed = core::SocketAddress::parse(text);
  BARREL_ASSERT(parsed.has_value());
  return *parsed;
}
}  // namespace

Result<void> NodeImpl::set_connect_options(std::string_view node, ConnectOptions options) {
  auto name = node_name_of(node);
  if (!name) return Unexpected(name.error());
  if (*name == config_.node_name) {
    return fail(Errc::invalid_argument, "connect options for this node itself ('" + *name + "')");
  }
  if (!options.transport) {
    return fail(Errc::invalid_argument, "connect options without a transport");
  }
  if (options.receive_queue_limit == 0 || options.receive_queue_limit > kMaxRelayReceiveQueue) {
    return fail(Errc::invalid_argument, "receive_queue_limit must be 1 to " +
                                            std::to_string(kMaxRelayReceiveQueue) + ", not " +
                                            std::to_string(options.receive_queue_limit));
  }
  return call_on_loop([&]() -> Result<void> {
    if (stopping_) return fail(Errc::closed, "node is stopping");
    if (engine_->link_connection(*name)) {
      return fail(Errc::busy, "an authenticated link to '" + *name +
                                  "' exists: connect options apply to the next connection "
                                  "(disconnect first)");
    }
    if (connect_options_.contains(*name)) {
      return fail(Errc::already_exists, "connect options for '" + *name +
                                            "' are set and not used yet "
                                            "(clear_connect_options first)");
    }
    if (connect_options_.size() >= kMaxConnectOptions) {
      return fail(Errc::limit_reached, "connect options for " + std::to_string(kMaxConnectOptions) +
                                           " nodes are pending");
    }
    connect_options_.emplace(*name, std::move(options));
    return {};
  });
}

Result<void> NodeImpl::clear_connect_options(std::string_view node) {
  auto name = node_name_of(node);
  if (!name) return Unexpected(name.error());
  return call_on_loop([&]() -> Result<void> {
    if (connect_options_.erase(*name) == 0) {
      return fail(Errc::not_found, "no connect options pending for '" + *name + "'");
    }
    return {};
  });
}

Result<transport::ConnectionId> NodeImpl::open_connection(const core::SocketAddress& remote,
                                                          std::string_view node) {
  auto it = node.empty() ? connect_options_.end() : connect_options_.find(node);
  if (it == connect_options_.end()) return endpoint_->connect(now(), remote);
  ConnectOptions options = std::move(it->second);
  connect_options_.erase(it);  // consumed, whatever the outcome
  log_->debug("connecting to {} through its datagram transport", node);
  return connect_relayed(remote, std::move(options));
}

Result<transport::ConnectionId> NodeImpl::connect_relayed(const core::SocketAddress& remote,
                                                          ConnectOptions options) {
  relay_serial_ = relay_serial_ % 0xffffffU + 1;  // 1 to 2^24 - 1, see relay_address
  const transport::LocalId local =
      endpoint_->add_local(relay_address(remote, relay_serial_), kMaxRelayDatagramSize);
  auto inbox = std::make_shared<runtime::RelayInbox>(loop_thread_, relay_counters_,
                                                     options.receive_queue_limit);
  inbox->set_ready([this, local] { on_relay_ready(local); });
  if (auto started = options.transport->start(inbox->receiver()); !started) {
    inbox->detach();
    endpoint_->remove_local(local);
    return fail(started.error().code,
                "the datagram transport did not start: " + started.error().message);
  }
  ExtraSocket extra;
  extra.transport = options.transport;
  extra.inbox = inbox;
  extra.remote = remote;
  auto id = endpoint_->connect(now(), remote, local);
  if (!id) {
    release_extra(extra);
    endpoint_->remove_local(local);
    return id;
  }
  extra.connection = id->value;
  extra_sockets_.emplace(local, std::move(extra));
  return id;
}

void NodeImpl::on_relay_ready(transport::LocalId local) {
  auto it = extra_sockets_.find(local);
  if (it == extra_sockets_.end() || !it->second.inbox || finished_) return;
  const core::Instant at = now();
  turn_started_ = at;
  // At most receive_queue_limit datagrams: the queue's bound is the batch's.
  std::deque<core::Bytes> datagrams = it->second.inbox->take();
  const core::SocketAddress remote = it->second.remote;  // the entry may go during the feed
  for (const core::Bytes& datagram : datagrams) {
    endpoint_->handle_datagram(at, remote, datagram, 0, local);
  }
  relay_counters_->received.fetch_add(datagrams.size(), std::memory_order_relaxed);
  turn();
}

bool NodeImpl::send_relayed(ExtraSocket& extra, core::ByteView data, std::size_t segment_size) {
  // The endpoint batches packets for GSO: one datagram per segment, the last may be shorter.
  for (std::size_t offset = 0; offset < data.size(); offset += segment_size) {
    const std::size_t size = std::min(segment_size, data.size() - offset);
    if (size > kMaxRelayDatagramSize) {
      relay_counters_->dropped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    auto sent = extra.transport->send(data.subspan(offset, size));
    if (sent) {
      relay_counters_->sent.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    relay_counters_->dropped.fetch_add(1, std::memory_order_relaxed);
    if (sent.error().code == Errc::limit_reached) return false;  // full: as a UDP socket
    log_->debug("relay send failed: {}", sent.error().message);
  }
  return true;
}

void NodeImpl::release_extra(ExtraSocket& extra) {
  if (extra.socket) loop_->remove_fd(extra.socket->fd());
  if (extra.inbox) extra.inbox->detach();
  if (extra.transport) extra.transport->stop();
  extra.transport.reset();
}

}  // namespace barrel_p2p
