// Path statistics of the connections that carry links (Node::path_stats), and the timed
// ping of a linked peer (Node::ping: a views request to that peer alone).
#include "runtime/node_driver.hpp"

namespace barrel_p2p {

namespace {

PathStats to_public(std::string node, const transport::PathStats& stats) {
  PathStats out;
  out.node = std::move(node);
  out.dialed = stats.role == transport::Role::client;
  out.local_address = stats.local.to_string();
  out.remote_address = stats.remote.to_string();
  out.smoothed_rtt = stats.smoothed_rtt;
  out.latest_rtt = stats.latest_rtt;
  out.min_rtt = stats.min_rtt;
  out.rtt_variance = stats.rtt_variance;
  out.congestion_window = stats.congestion_window;
  out.bytes_in_flight = stats.bytes_in_flight;
  out.delivery_rate = stats.delivery_rate;
  return out;
}

}  // namespace

Result<PathStats> NodeImpl::path_stats(std::string_view node) const {
  return call_on_loop([&]() -> Result<PathStats> {
    auto connection = engine_->link_connection(node);
    if (!connection) {
      return fail(Errc::not_found, "no authenticated link to '" + std::string(node) + "'");
    }
    auto stats = endpoint_->path_stats(transport::ConnectionId{*connection});
    if (!stats) return Unexpected(stats.error());
    return to_public(std::string(node), *stats);
  });
}

std::vector<PathStats> NodeImpl::path_stats() const {
  auto all = call_on_loop([&]() -> Result<std::vector<PathStats>> {
    std::vector<PathStats> out;
    for (auto& peer : engine_->peers()) {  // sorted
      auto connection = engine_->link_connection(peer);
      if (!connection) continue;
      auto stats = endpoint_->path_stats(transport::ConnectionId{*connection});
      if (stats) out.push_back(to_public(std::move(peer), *stats));
    }
    return out;
  });
  return all ? std::move(*all) : std::vector<PathStats>{};
}

Result<std::chrono::nanoseconds> NodeImpl::ping(std::string_view node,
                                                std::chrono::milliseconds timeout) const {
  if (on_loop_thread()) return fail(Errc::invalid_argument, "ping() would block the loop thread");
  auto* self = const_cast<NodeImpl*>(this);
  std::future<Result<std::chrono::nanoseconds>> answered;
  auto started = call_on_loop([&]() -> Result<std::uint64_t> {
    if (stopping_) return fail(Errc::closed, "node is stopping");
    auto ref = engine_->ping_peer(now(), std::string(node), timeout);
    if (ref) {
      PingWaiter& waiter = self->ping_waiters_[*ref];
      waiter.started = now();
      answered = waiter.promise.get_future();
    }
    return ref;
  });
  if (!started) return Unexpected(started.error());
  // The Engine ends the ping at its deadline; the margin covers the loop's turn.
  if (answered.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready) {
    const std::uint64_t ref = *started;
    (void)loop_->post([self, ref] { self->ping_waiters_.erase(ref); });
    return fail(Errc::timeout, "the node's loop did not answer a ping request");
  }
  return answered.get();
}

void NodeImpl::finish_ping(PingWaiter& waiter, const ClusterView& answer) {
  if (!answer.peers.empty()) {
    waiter.promise.set_value(std::chrono::nanoseconds(now() - waiter.started));
    return;
  }
  const std::string peer =
      answer.unanswered.empty() ? std::string("the peer") : answer.unanswered[0];
  waiter.promise.set_value(
      fail(Errc::timeout, peer + " did not answer the ping in time, or its link was lost"));
}

}  // namespace barrel_p2p
