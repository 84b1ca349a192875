// Path statistics of the connections that carry links (Node::path_stats).
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

}  // namespace barrel_p2p
