#include "sim/sim_network.hpp"

#include <algorithm>

#include "core/assert.hpp"

namespace barrel_p2p::sim {

namespace {
constexpr std::size_t kChannels = 2;
constexpr std::uint64_t kStreams = 2 * kChannels;  // (sending end, channel)
std::size_t stream_index(int end, node::Channel channel) {
  return static_cast<std::size_t>(end) * kChannels + static_cast<std::size_t>(channel);
}
}  // namespace

SimNetwork::SimNetwork(NetworkConfig config, core::Rng& rng, EventQueue& queue, NetworkHost& host)
    : config_(config), rng_(rng), queue_(queue), host_(host) {}

std::size_t SimNetwork::add_node() {
  const std::size_t index = nodes_.size();
  Node node;
  node.address = "10." + std::to_string((index >> 16) & 255) + "." +
                 std::to_string((index >> 8) & 255) + "." + std::to_string(index & 255) + ":4000";
  // A fake certificate hash per node: what both ends of a connection to it must agree on.
  for (std::size_t i = 0; i < node.certificate.size(); ++i) {
    node.certificate.at(i) = static_cast<std::uint8_t>((index >> ((i % 8) * 8)) ^ (i * 29 + 7));
  }
  BARREL_ASSERT(index < (std::size_t{1} << 24), "the simulated address space holds 2^24 nodes");
  by_address_[node.address] = index;
  nodes_.push_back(std::move(node));
  return index;
}

std::optional<std::size_t> SimNetwork::node_at(const std::string& address) const {
  auto it = by_address_.find(address);
  if (it == by_address_.end()) return std::nullopt;
  return it->second;
}

core::Duration SimNetwork::one_way() {
  if (config_.jitter.count() <= 0) return config_.latency;
  return config_.latency + core::Duration(static_cast<core::Duration::rep>(
                               rng_.uniform(static_cast<std::uint64_t>(config_.jitter.count()))));
}

bool SimNetwork::reachable(std::size_t from, std::size_t to) const {
  return nodes_[from].alive && nodes_[to].alive && nodes_[from].group == nodes_[to].group;
}

bool SimNetwork::current(const End& end) const {
  const Node& node = nodes_[end.node];
  return end.open && node.alive && node.generation == end.generation;
}

SimNetwork::Connection* SimNetwork::find(std::uint64_t connection) {
  auto it = connections_.find(connection);
  return it == connections_.end() ? nullptr : &it->second;
}

int SimNetwork::end_of(const Connection& connection, std::size_t node) const {
  for (int end = 0; end < 2; ++end) {
    const End& e = connection.ends.at(static_cast<std::size_t>(end));
    if (e.node == node && e.generation == nodes_[node].generation) return end;
  }
  return -1;
}

std::uint64_t SimNetwork::pair_key(std::size_t a, std::size_t b) {
  if (a > b) std::swap(a, b);
  return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint64_t>(b);
}

void SimNetwork::add_busy(std::size_t a, std::size_t b, int delta) {
  auto& count = busy_[pair_key(a, b)];
  count += delta;
  if (count == 0) busy_.erase(pair_key(a, b));
}

bool SimNetwork::busy(std::size_t a, std::size_t b) const {
  return busy_.contains(pair_key(a, b)) || frames_between(a, b) || frames_between(b, a);
}

bool SimNetwork::frames_between(std::size_t a, std::size_t b) const {
  for (const std::uint64_t id : nodes_[a].connections) {
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second.frames_in_flight == 0) continue;
    if (it->second.ends[0].node == b || it->second.ends[1].node == b) return true;
  }
  return false;
}

// ---- faults ------------------------------------------------------------------------------

void SimNetwork::crash(std::size_t index) {
  Node& node = nodes_[index];
  if (!node.alive) return;
  node.alive = false;
  const std::uint64_t generation = node.generation++;
  std::vector<std::uint64_t> gone;
  for (const std::uint64_t id : node.connections) {
    Connection* connection = find(id);
    if (connection == nullptr) continue;
    connection->cut = true;
    for (int end = 0; end < 2; ++end) {
      End& e = connection->ends.at(static_cast<std::size_t>(end));
      if (e.node == index && e.generation == generation) {
        e.open = false;  // gone with the node: it is told nothing
      } else if (e.open && !e.close_scheduled) {
        schedule_closed(id, end, queue_.now() + config_.detect_delay, "idle timeout (peer silent)");
      }
    }
    if (!connection->dialing && !connection->ends[0].open && !connection->ends[1].open) {
      gone.push_back(id);
    }
  }
  for (const std::uint64_t id : gone) connections_.erase(id);
  node.connections.clear();
}

void SimNetwork::restart(std::size_t index) {
  Node& node = nodes_[index];
  BARREL_ASSERT(!node.alive, "restart of a running node");
  node.alive = true;
  ++node.generation;
}

void SimNetwork::partition(const std::vector<int>& group_of_node) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].group = i < group_of_node.size() ? group_of_node[i] : 0;
  }
  std::vector<std::uint64_t> across;
  for (const auto& [id, connection] : connections_) {
    if (!connection.cut &&
        nodes_[connection.ends[0].node].group != nodes_[connection.ends[1].node].group) {
      across.push_back(id);
    }
  }
  std::sort(across.begin(), across.end());  // the map's order is not the seed's
  for (const std::uint64_t id : across) cut(id, "idle timeout (partitioned)");
}

void SimNetwork::cut(std::uint64_t id, const std::string& reason) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  connection->cut = true;
  for (int end = 0; end < 2; ++end) {
    const End& e = connection->ends.at(static_cast<std::size_t>(end));
    if (e.open && !e.close_scheduled) {
      schedule_closed(id, end, queue_.now() + config_.detect_delay, reason);
    }
  }
}

// ---- connections -------------------------------------------------------------------------

void SimNetwork::dial(std::size_t index, std::uint64_t dial, const core::SocketAddress& address) {
  const auto target = node_at(address.to_string());
  const std::uint64_t generation = nodes_[index].generation;
  if (!target || *target == index) {
    queue_.schedule(queue_.now(), [this, index, generation, dial] {
      if (!nodes_[index].alive || nodes_[index].generation != generation) return;
      host_.dial_started(index, dial, fail(Errc::unreachable, "no simulated node there"));
    });
    return;
  }
  const std::uint64_t id = next_connection_++;
  Connection& connection = connections_[id];
  connection.ends[0] = End{index, generation, true, false};
  connection.ends[1] = End{*target, nodes_[*target].generation, false, false};  // not yet
  nodes_[index].connections.insert(id);
  add_busy(index, *target, 1);
  queue_.schedule(queue_.now(), [this, index, generation, dial, id] {
    if (!nodes_[index].alive || nodes_[index].generation != generation) return;
    host_.dial_started(index, dial, id);
  });
  const core::Instant deadline = queue_.now() + config_.dial_timeout;
  if (!reachable(index, *target)) {
    queue_.schedule(deadline, [this, id, deadline] { finish_dial(id, deadline); });
    return;
  }
  const core::Duration handshake =
      config_.connect_delay.count() > 0 ? config_.connect_delay : one_way() + one_way();
  queue_.schedule(queue_.now() + handshake, [this, id, deadline] { finish_dial(id, deadline); });
}

// The handshake's end: connected on both ends, or (the server is gone or cut off) a client
// that waits for its handshake timeout.
void SimNetwork::finish_dial(std::uint64_t id, core::Instant deadline) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  End& client = connection->ends[0];
  End& server = connection->ends[1];
  const bool answered = current(client) && nodes_[server.node].alive &&
                        nodes_[server.node].generation == server.generation &&
                        reachable(client.node, server.node) && queue_.now() < deadline;
  if (!answered) {
    if (queue_.now() < deadline) {
      queue_.schedule(deadline, [this, id, deadline] { finish_dial(id, deadline); });
      return;
    }
    add_busy(client.node, server.node, -1);
    connection->cut = true;
    connection->dialing = false;
    if (client.open) {
      end_closed(id, 0, "handshake timeout");
    } else {
      connections_.erase(id);  // the client crashed meanwhile
    }
    return;
  }
  add_busy(client.node, server.node, -1);
  connection->dialing = false;
  ++connections_opened_;
  server.open = true;
  nodes_[server.node].connections.insert(id);
  connection->last_arrival.fill(queue_.now());
  const auto certificate = nodes_[server.node].certificate;
  const std::size_t client_node = client.node;
  const std::size_t server_node = server.node;
  // The server first: the client's first bytes must find its end of the connection.
  host_.connected(server_node, id, false, certificate, nodes_[client_node].address);
  if (Connection* still = find(id); still != nullptr && current(still->ends[0])) {
    host_.connected(client_node, id, true, certificate, nodes_[server_node].address);
  }
}

void SimNetwork::transmit(std::size_t index, std::uint64_t id, node::Channel channel,
                          core::ByteView frame) {
  Connection* connection = find(id);
  const int from = connection == nullptr ? -1 : end_of(*connection, index);
  if (from < 0 || !connection->ends.at(static_cast<std::size_t>(from)).open) {
    ++frames_lost_;  // the Engine wrote after its end closed: nothing carries it
    return;
  }
  const int to = 1 - from;
  const End& receiver = connection->ends.at(static_cast<std::size_t>(to));
  if (connection->cut || !receiver.open) {
    ++frames_lost_;  // retransmitted into the void until the connection times out
    return;
  }
  core::Instant at = queue_.now() + one_way();
  if (config_.loss > 0 &&
      rng_.uniform(1'000'000) < static_cast<std::uint64_t>(config_.loss * 1e6)) {
    at += config_.retransmit_delay;
  }
  core::Instant& last = connection->last_arrival.at(stream_index(from, channel));
  at = std::max(at, last);
  last = at;
  const std::size_t stream = stream_index(from, channel);
  connection->in_flight.at(stream).emplace_back(frame.begin(), frame.end());
  ++connection->frames_in_flight;
  // The event names its stream only (small enough for std::function's inline storage).
  queue_.schedule(
      at, [this, key = id * kStreams + stream] { deliver(key / kStreams, key % kStreams); });
}

void SimNetwork::deliver(std::uint64_t id, std::size_t stream) {
  Connection* connection = find(id);
  if (connection == nullptr) {
    ++frames_lost_;  // gone with its connection
    return;
  }
  auto& queue = connection->in_flight.at(stream);
  BARREL_ASSERT(!queue.empty(), "a delivery event without its frame");
  const core::Bytes bytes = std::move(queue.front());
  queue.pop_front();
  --connection->frames_in_flight;
  const auto to = static_cast<std::size_t>(1 - static_cast<int>(stream / kChannels));
  const End& receiver = connection->ends.at(to);
  if (connection->cut || !current(receiver)) {
    ++frames_lost_;
    return;
  }
  const auto channel = static_cast<node::Channel>(stream % kChannels);
  host_.stream_data(receiver.node, id, channel, bytes);
}

void SimNetwork::close(std::size_t index, std::uint64_t id, const std::string& reason) {
  Connection* connection = find(id);
  const int from = connection == nullptr ? -1 : end_of(*connection, index);
  if (from < 0) return;
  End& closer = connection->ends.at(static_cast<std::size_t>(from));
  if (!closer.open || closer.close_scheduled) return;
  // Graceful: the other end gets what was written before the close, then the close.
  core::Instant at = queue_.now() + one_way();
  at = std::max({at, connection->last_arrival.at(stream_index(from, node::Channel::control)),
                 connection->last_arrival.at(stream_index(from, node::Channel::data))});
  const int to = 1 - from;
  schedule_closed(id, from, at, "closed: " + reason);
  const End& other = connection->ends.at(static_cast<std::size_t>(to));
  if (other.open && !other.close_scheduled) {
    schedule_closed(id, to, at, "closed by peer: " + reason);
  }
}

void SimNetwork::schedule_closed(std::uint64_t id, int end, core::Instant at, std::string reason) {
  Connection& connection = connections_.at(id);
  connection.ends.at(static_cast<std::size_t>(end)).close_scheduled = true;
  const std::size_t a = connection.ends[0].node;
  const std::size_t b = connection.ends[1].node;
  add_busy(a, b, 1);
  queue_.schedule(at, [this, id, end, a, b, reason = std::move(reason)] {
    add_busy(a, b, -1);
    end_closed(id, end, reason);
  });
}

void SimNetwork::end_closed(std::uint64_t id, int end, const std::string& reason) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  End& e = connection->ends.at(static_cast<std::size_t>(end));
  const bool tell = current(e);
  e.open = false;
  if (nodes_[e.node].generation == e.generation) nodes_[e.node].connections.erase(id);
  const std::size_t node = e.node;
  if (!connection->ends[0].open && !connection->ends[1].open) connections_.erase(id);
  if (tell) host_.closed(node, id, reason);
}

}  // namespace barrel_p2p::sim
