// Path statistics of the connection that carries a link (QUIC's RFC 9002 estimators).
// See docs/concepts/path-statistics.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace barrel_p2p {

/// What the QUIC connection carrying the link to one node measures on its current path
/// (Node::path_stats). The estimators start again on a new path, after a migration.
struct PathStats {
  std::string node;            ///< The peer at the other end.
  bool dialed = false;         ///< This node dialed the connection (QUIC client side).
  std::string local_address;   ///< The current path's local "host:port".
  std::string remote_address;  ///< The current path's remote "host:port".
  /// Smoothed round-trip time (RFC 9002 §5.3); 333 ms, QUIC's initial guess, until the
  /// first sample.
  std::chrono::nanoseconds smoothed_rtt{};
  std::chrono::nanoseconds latest_rtt{};    ///< The latest sample; 0 before the first.
  std::chrono::nanoseconds min_rtt{};       ///< The smallest sample; 0 before the first.
  std::chrono::nanoseconds rtt_variance{};  ///< Mean deviation of the samples.
  std::uint64_t congestion_window = 0;      ///< Bytes the sender may have in flight.
  std::uint64_t bytes_in_flight = 0;        ///< Bytes sent and not yet acknowledged or lost.
  /// Delivery rate estimate in bytes per second (0 until data was acknowledged). It reflects
  /// what the application sent, so a quiet link shows a low rate, not the path's capacity.
  std::uint64_t delivery_rate = 0;
};

}  // namespace barrel_p2p
