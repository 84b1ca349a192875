// How many bytes a connection lets its tagged streams keep in flight while link bytes
// (process messages, control frames) flow on it (decision 0019 §8).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/time.hpp"

namespace barrel_p2p::transport {

/// Largest tagged-stream packet while the limit applies: fewer bytes for the peer to decrypt
/// ahead of a message (loopback paths otherwise carry ~64 KiB packets).
inline constexpr std::size_t kLatencyPacketBytes = 16 * 1024;

/// The bytes in flight beyond which a connection writes no more tagged-stream data until
/// acknowledgements arrive: twice the path's bandwidth-delay product, estimated as the delivery
/// rate (bytes per second) times the minimum RTT (nanoseconds), and at least two packets of
/// `packet_size` bytes (two, so that the peer acknowledges at once instead of after its ACK
/// delay). The product grows with the delivery rate, about doubling per round trip while the
/// RTT stays at its minimum, and stops growing once more bytes would only queue: a message
/// written behind the stream then waits about one minimum RTT, not a congestion window.
inline std::uint64_t app_stream_in_flight_limit(std::uint64_t delivery_rate_per_s,
                                                std::uint64_t min_rtt_ns, std::size_t packet_size) {
  constexpr std::uint64_t kMinPackets = 2;
  constexpr std::uint64_t kGain = 2;
  constexpr std::uint64_t kNanosPerSecond = 1'000'000'000;
  constexpr std::uint64_t kMaxRttNs = 10 * kNanosPerSecond;
  const std::uint64_t floor = kMinPackets * std::max<std::uint64_t>(packet_size, 1200);
  if (delivery_rate_per_s == 0 || min_rtt_ns == UINT64_MAX) return floor;  // no estimate yet
  min_rtt_ns = std::min(min_rtt_ns, kMaxRttNs);
  // Split so that no product overflows (the second stays below 1e9 × 1e10).
  const std::uint64_t bdp = delivery_rate_per_s / kNanosPerSecond * min_rtt_ns +
                            delivery_rate_per_s % kNanosPerSecond * min_rtt_ns / kNanosPerSecond;
  return std::max(floor, kGain * bdp);
}

/// How long after link bytes were written the limit applies: 100 ms, or 8 smoothed RTTs on a
/// slower path. A stream alone on its connection is held by congestion control only.
inline core::Duration latency_window(std::uint64_t smoothed_rtt_ns) {
  constexpr std::uint64_t kMinimumNs = 100'000'000;
  constexpr std::uint64_t kMaxRttNs = 10'000'000'000;
  const std::uint64_t rtts = 8 * std::min(smoothed_rtt_ns, kMaxRttNs);
  return core::Duration(static_cast<std::int64_t>(std::max(kMinimumNs, rtts)));
}

}  // namespace barrel_p2p::transport
