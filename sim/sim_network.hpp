// The simulated transport under the node Engines: connections with ordered streams, latency
// and jitter, loss as QUIC shows it, partitions and crashes (docs/simulation.md, "The model").
//
// - A dial to a reachable node opens a connection after one handshake round trip: both ends
//   get connected (server first), each with the server node's fake certificate hash, so the
//   authentication binds to the same channel on both sides. A dial to a crashed, partitioned
//   or unknown node fails after `dial_timeout` (a handshake that never completes).
// - Stream bytes arrive after latency + jitter, never before earlier bytes of the same
//   connection, direction and channel (QUIC streams are ordered). A lost packet is retransmitted:
//   with probability `loss` a frame (and what queues behind it) is late by `retransmit_delay`.
// - Close: the other end gets closed once the closing end's bytes in flight have arrived.
// - Crash: the node's ends vanish; its peers see closed after `detect_delay` (keep-alive +
//   idle timeout of the real transport), and what was in flight to or from it is lost.
// - Partition: connections across the cut lose their bytes and close on both ends after
//   `detect_delay`; connections made after a heal work again.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"
#include "core/rng.hpp"
#include "core/socket_address.hpp"
#include "node/peer_links.hpp"
#include "sim/event_queue.hpp"

namespace barrel_p2p::sim {

struct NetworkConfig {
  core::Duration latency = std::chrono::milliseconds(5);  ///< one-way base latency
  core::Duration jitter = std::chrono::milliseconds(5);   ///< + uniform [0, jitter)
  /// Probability that a frame needs a retransmission (it and what follows on its stream are
  /// late by retransmit_delay; QUIC never leaves a hole in a stream).
  double loss = 0.0;
  core::Duration retransmit_delay = std::chrono::milliseconds(30);
  /// A crashed or partitioned peer is seen (closed) after this: idle timeout 3 s + keep-alive
  /// 1 s of the real transport (decision 0004).
  core::Duration detect_delay = std::chrono::seconds(4);
  /// A dial to a node that does not answer fails after this (the QUIC idle timeout, 3 s).
  core::Duration dial_timeout = std::chrono::seconds(3);
  /// Time from a dial to connected; 0 means one round trip of the drawn latency.
  core::Duration connect_delay = core::Duration(0);
};

/// What the network calls on the nodes. Called only for a live node's current run; the
/// implementation feeds its Engine and drains it. It must not call back into the network
/// before returning except to queue (transmit, dial, close), which only schedules events.
class NetworkHost {
 public:
  virtual ~NetworkHost() = default;
  virtual void dial_started(std::size_t node, std::uint64_t dial,
                            Result<std::uint64_t> connection) = 0;
  virtual void connected(std::size_t node, std::uint64_t connection, bool is_client,
                         const std::array<std::uint8_t, 32>& server_cert_sha256,
                         const std::string& address) = 0;
  virtual void stream_data(std::size_t node, std::uint64_t connection, node::Channel channel,
                           const core::Bytes& bytes) = 0;
  virtual void closed(std::size_t node, std::uint64_t connection, const std::string& reason) = 0;
};

class SimNetwork {
 public:
  /// `rng`, `queue` and `host` must outlive the network.
  SimNetwork(NetworkConfig config, core::Rng& rng, EventQueue& queue, NetworkHost& host);

  /// Adds a node (alive); its address is "10.a.b.c:4000" from its index.
  std::size_t add_node();
  [[nodiscard]] const std::string& address(std::size_t node) const { return nodes_[node].address; }
  [[nodiscard]] bool alive(std::size_t node) const { return nodes_[node].alive; }
  /// The node at `address`, if any.
  [[nodiscard]] std::optional<std::size_t> node_at(const std::string& address) const;

  /// The node's connections vanish; its peers see them close after detect_delay.
  void crash(std::size_t node);
  /// The node runs again (a new run: events for the old one are dropped).
  void restart(std::size_t node);
  /// Nodes in different groups cannot reach each other; empty = heal.
  void partition(const std::vector<int>& group_of_node);
  [[nodiscard]] bool reachable(std::size_t from, std::size_t to) const;

  // Commands of `node`'s Engine.
  void dial(std::size_t node, std::uint64_t dial, const core::SocketAddress& address);
  void transmit(std::size_t node, std::uint64_t connection, node::Channel channel,
                core::ByteView frame);
  void close(std::size_t node, std::uint64_t connection, const std::string& reason);

  /// True while a dial, a frame or a close between `a` and `b` (either way) is under way.
  [[nodiscard]] bool busy(std::size_t a, std::size_t b) const;
  /// Connections that reached connected since the start.
  [[nodiscard]] std::uint64_t connections_opened() const { return connections_opened_; }
  /// Frames dropped because their connection was cut, closed or its other end had crashed.
  [[nodiscard]] std::uint64_t frames_lost() const { return frames_lost_; }
  /// Connections the network holds now (open on at least one end).
  [[nodiscard]] std::size_t open_connections() const { return connections_.size(); }

 private:
  struct Node {
    std::string address;
    std::array<std::uint8_t, 32> certificate{};  // fake TLS certificate hash of this node
    bool alive = true;
    std::uint64_t generation = 0;
    int group = 0;
    std::unordered_set<std::uint64_t> connections;
  };
  struct End {
    std::size_t node = 0;
    std::uint64_t generation = 0;
    bool open = true;              // has not been told closed (and has not crashed)
    bool close_scheduled = false;  // a closed event for it is queued
  };
  struct Connection {
    std::array<End, 2> ends;                      // 0: client, 1: server
    std::array<core::Instant, 4> last_arrival{};  // by (sending end, channel)
    // Frames under way, by (sending end, channel), in arrival order: a delivery event takes
    // the front of its stream (events of one stream run in arrival order).
    std::array<std::deque<core::Bytes>, 4> in_flight;
    std::size_t frames_in_flight = 0;
    bool cut = false;     // bytes are lost; both ends close
    bool dialing = true;  // finish_dial() has not settled it yet
  };

  core::Duration one_way();
  [[nodiscard]] bool current(const End& end) const;
  Connection* find(std::uint64_t connection);
  int end_of(const Connection& connection, std::size_t node) const;
  void finish_dial(std::uint64_t id, core::Instant deadline);
  void schedule_closed(std::uint64_t id, int end, core::Instant at, std::string reason);
  void end_closed(std::uint64_t id, int end, const std::string& reason);
  void cut(std::uint64_t id, const std::string& reason);
  void deliver(std::uint64_t id, std::size_t stream);
  [[nodiscard]] bool frames_between(std::size_t a, std::size_t b) const;
  void add_busy(std::size_t a, std::size_t b, int delta);
  [[nodiscard]] static std::uint64_t pair_key(std::size_t a, std::size_t b);

  NetworkConfig config_;
  core::Rng& rng_;     // outlives this object
  EventQueue& queue_;  // outlives this object
  NetworkHost& host_;  // outlives this object
  std::vector<Node> nodes_;
  std::unordered_map<std::string, std::size_t> by_address_;
  std::unordered_map<std::uint64_t, Connection> connections_;
  std::unordered_map<std::uint64_t, int> busy_;  // dials and closes under way, by unordered pair
  std::uint64_t next_connection_ = 1;
  std::uint64_t connections_opened_ = 0;
  std::uint64_t frames_lost_ = 0;
};

}  // namespace barrel_p2p::sim
