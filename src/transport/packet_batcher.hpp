// Collects consecutive QUIC packets bound for the same address into one GSO batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/bytes.hpp"
#include "core/socket_address.hpp"
#include "transport/endpoint_handler.hpp"

namespace barrel_p2p::transport {

/// Packets of equal size from one local socket to one destination with one ECN mark share a
/// buffer; a shorter packet ends the batch (the kernel's GSO rule). Bounds: kMaxSegments packets
/// and kMaxBytes per batch (65,507 is the largest UDP payload; 65,536 gives EMSGSIZE).
class PacketBatcher {
 public:
  /// `buffer` (at least kMaxBytes long, reused across batchers so no flush allocates) and
  /// `sink` must outlive the batcher.
  PacketBatcher(DatagramSink& sink, std::span<std::uint8_t> buffer);

  /// Space for one packet of at most `max_size` bytes; flushes first when it would not fit.
  std::uint8_t* reserve(std::size_t max_size);
  /// Adds the `size` bytes just written at reserve()'s pointer, bound for `to` with `ecn`,
  /// leaving from local socket `local`.
  void commit(std::size_t size, const core::SocketAddress& to, std::uint8_t ecn, LocalId local = 0);
  /// Hands the batch to the sink.
  void flush();
  /// True once the sink reported a full socket during this batcher's life.
  [[nodiscard]] bool blocked() const { return blocked_; }
  [[nodiscard]] std::uint64_t packets() const { return packets_; }

  static constexpr std::size_t kMaxSegments = 64;
  static constexpr std::size_t kMaxBytes = 65507;

 private:
  DatagramSink& sink_;              // Outlives the batcher (a stack object inside one flush).
  std::span<std::uint8_t> buffer_;  // Owned by the endpoint; outlives the batcher.
  std::size_t length_ = 0;
  std::size_t segment_size_ = 0;
  std::size_t count_ = 0;
  core::SocketAddress to_;
  std::uint8_t ecn_ = 0;
  LocalId local_ = 0;
  bool blocked_ = false;
  std::uint64_t packets_ = 0;
};

}  // namespace barrel_p2p::transport
