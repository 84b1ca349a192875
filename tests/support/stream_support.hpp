// Helpers for tests of tagged streams: an acceptor that hands streams to the test thread, and
// a known byte pattern written and checked in large blocks.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "barrel_p2p/stream.hpp"

namespace barrel_p2p::testing {

inline constexpr std::size_t kMiB = 1024 * 1024;

/// Streams handed to an acceptor, for the test thread to take.
struct Inbox {
  std::mutex mutex;
  std::condition_variable ready;
  std::vector<Stream> streams;

  StreamAcceptor acceptor() {
    return [this](Stream stream) {
      std::lock_guard lock(mutex);
      streams.push_back(std::move(stream));
      ready.notify_all();
    };
  }
  std::optional<Stream> take(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex);
    if (!ready.wait_for(lock, timeout, [&] { return !streams.empty(); })) return std::nullopt;
    Stream stream = streams.front();
    streams.erase(streams.begin());
    return stream;
  }
};

/// The byte at `offset` of the test pattern.
inline std::uint8_t pattern(std::size_t offset) {
  return static_cast<std::uint8_t>((offset * 2654435761U) >> 13U);
}

/// `size` pattern bytes from `start`.
inline Bytes pattern_bytes(std::size_t start, std::size_t size) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = pattern(start + i);
  return out;
}

/// Writes `total` pattern bytes in 1 MiB blocking writes, then finishes. Returns false on error.
inline bool write_pattern(Stream stream, std::size_t total) {
  for (std::size_t offset = 0; offset < total; offset += kMiB) {
    const Bytes block = pattern_bytes(offset, std::min(kMiB, total - offset));
    auto written = stream.write(block, std::chrono::seconds(30));
    if (!written || *written != block.size()) return false;
  }
  return stream.finish().has_value();
}

/// Reads until the end of the stream, checking the pattern; returns the bytes read, or
/// nothing on an error, a timeout or a wrong byte. At most `limit` bytes are accepted.
inline std::optional<std::size_t> read_pattern(Stream stream, std::size_t limit) {
  std::size_t offset = 0;
  while (offset <= limit) {
    auto chunk = stream.read(256 * 1024, std::chrono::seconds(30));
    if (!chunk) return std::nullopt;
    if (chunk->empty()) return offset;
    for (std::uint8_t byte : *chunk) {
      if (byte != pattern(offset++)) return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace barrel_p2p::testing
