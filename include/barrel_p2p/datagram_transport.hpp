// The relay seam (SPEC §2.9, issue 15 deliverable 4): a user-supplied datagram transport that
// replaces the UDP socket for one connection, so its QUIC packets travel through a relay,
// a tunnel or any other carrier the application provides. The QUIC handshake, the Ed25519
// authentication bound to the TLS channel and the session run over it unchanged: the carrier
// sees only encrypted QUIC packets and can neither read nor forge them
// (docs/how-to/relay-a-connection.md, docs/internals/decisions/0022-relay-seam.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

/// Largest datagram the node sends to or accepts from a DatagramTransport, in bytes: the
/// QUIC packet size ngtcp2 uses on paths whose MTU it does not know (1,452: what a 1,500-byte
/// MTU carries under IPv6 and UDP headers; a relay's own framing needs that much more room on
/// the relay's path, or an MTU above 1,500, or IPv4's 20 bytes of slack). A relayed
/// connection advertises it as its max_udp_payload_size, so a conforming peer never sends more;
/// larger inbound datagrams are dropped and counted (NodeStats::relay_datagrams_dropped).
inline constexpr std::size_t kMaxRelayDatagramSize = 1452;

/// Datagrams a relayed connection queues between the transport's thread and the node's loop,
/// by default (ConnectOptions::receive_queue_limit).
inline constexpr std::size_t kDefaultRelayReceiveQueue = 1024;
/// The largest ConnectOptions::receive_queue_limit set_connect_options accepts.
inline constexpr std::size_t kMaxRelayReceiveQueue = 65'536;

/// A datagram carrier the application implements: unreliable, unordered, message-preserving,
/// like UDP. The node owns nothing of it but a shared_ptr; one transport serves one
/// connection (Node::set_connect_options), from start() to stop().
///
/// Threads: start(), send() and stop() are called on the node's loop thread, never
/// concurrently, and must not block for long (they hold up the node's other connections):
/// a send() that cannot go out at once should drop the datagram (QUIC retransmits what is
/// lost) and return an error. They must not call into the Node (its loop thread is the caller).
/// The Receiver the node installs may be called from any thread, also concurrently and from
/// inside send(): it copies the datagram into a bounded queue of the connection and wakes the
/// node's loop, which feeds the queued datagrams to QUIC on its own thread; no node or
/// transport state is touched on the caller's thread.
class DatagramTransport {
 public:
  /// Hands one inbound datagram to the node. Thread-safe; never blocks on the node's loop.
  /// The bytes are copied before it returns. Empty or oversize datagrams (above
  /// kMaxRelayDatagramSize), datagrams over the connection's receive queue limit, and those
  /// arriving after stop() are dropped (counted in NodeStats::relay_datagrams_dropped, except
  /// after stop()).
  using Receiver = std::function<void(std::span<const std::uint8_t> datagram)>;

  virtual ~DatagramTransport() = default;

  /// The node starts using the transport for a new connection: from now on, deliver inbound
  /// datagrams through `receiver` (keep a copy; it stays valid, and harmless, even after stop()
  /// and after the node is gone). Called once, before the first send(). An error fails the
  /// connection attempt (Node::connect returns it; a dial the node made on its own fails
  /// like an unreachable address) and the transport is released.
  virtual Result<void> start(Receiver receiver) = 0;
  /// Sends one datagram (a whole QUIC packet, at most kMaxRelayDatagramSize bytes) to the
  /// peer. An error drops it: the node counts it in NodeStats::relay_datagrams_dropped and QUIC
  /// treats it as lost; limit_reached also ends the node's current burst of writes (as a
  /// full UDP socket does), others do not.
  virtual Result<void> send(std::span<const std::uint8_t> datagram) = 0;
  /// The connection closed (or the node stopped): stop delivering and release resources.
  /// Called once, after start() succeeded; the node drops its shared_ptr afterwards.
  virtual void stop() = 0;
};

/// How the next connection to one node is made (Node::set_connect_options).
struct ConnectOptions {
  /// Carries the connection's datagrams instead of the node's UDP socket. Required.
  std::shared_ptr<DatagramTransport> transport;
  /// Inbound datagrams queued for the node's loop at most (1 to kMaxRelayReceiveQueue);
  /// beyond it datagrams are dropped and counted, and QUIC's loss recovery slows the sender.
  std::size_t receive_queue_limit = kDefaultRelayReceiveQueue;
};

}  // namespace barrel_p2p
