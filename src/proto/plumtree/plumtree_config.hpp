// Plumtree settings (Leitão, Pereira, Rodrigues, SRDS 2007) and SPEC §2.5.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "barrel_p2p/result.hpp"
#include "core/time.hpp"

namespace barrel_p2p::plumtree {

struct Config {
  /// Time to wait for a GOSSIP after its first IHAVE before sending GRAFT. A few round trips:
  /// long enough that the eager copy usually wins, short enough that a broken tree heals fast.
  core::Duration ihave_timeout = std::chrono::milliseconds(400);
  /// After a GRAFT, time before grafting the next announcer.
  core::Duration graft_retry_timeout = std::chrono::milliseconds(200);
  /// IHAVEs are batched per lazy peer and flushed this often.
  core::Duration lazy_flush_interval = std::chrono::milliseconds(50);
  std::size_t max_ihave_batch = 64;  ///< Announcements per IHAVE message.
  /// A new neighbour is sent IHAVE for messages received this recently (0: none), so a
  /// broadcast sent while the tree was broken still reaches the nodes behind the break.
  core::Duration announce_window = std::chrono::seconds(5);
  /// Dedup cache: ids seen (delivered) are remembered this long, at most this many.
  std::size_t cache_capacity = 16'384;
  core::Duration cache_ttl = std::chrono::minutes(5);
  /// Payload bytes kept to answer GRAFTs (oldest dropped first beyond it).
  std::size_t cache_payload_budget = 16 * 1024 * 1024;
  std::size_t max_payload_size = 1024 * 1024;
  std::size_t max_tag_size = 255;
  /// Paper's optimisation: when an IHAVE announces a message at least this many hops closer
  /// than the eager copy we got, swap the two links (0 disables).
  std::uint32_t optimization_threshold = 3;

  /// Errors: invalid_argument naming the field.
  [[nodiscard]] Result<void> validate() const {
    auto bad = [](const char* field, const char* why) {
      return fail(Errc::invalid_argument, std::string(field) + ": " + why);
    };
    if (ihave_timeout.count() <= 0) return bad("ihave_timeout", "must be positive");
    if (graft_retry_timeout.count() <= 0) return bad("graft_retry_timeout", "must be positive");
    if (lazy_flush_interval.count() < 0) return bad("lazy_flush_interval", "must not be negative");
    if (max_ihave_batch == 0 || max_ihave_batch > 1024) {
      return bad("max_ihave_batch", "must be 1-1024");
    }
    if (cache_capacity == 0) return bad("cache_capacity", "must be at least 1");
    if (cache_ttl.count() <= 0) return bad("cache_ttl", "must be positive");
    if (max_payload_size == 0 || max_payload_size > (std::size_t{64} << 20)) {
      return bad("max_broadcast_size", "must be between 1 byte and 64 MiB");
    }
    if (max_tag_size == 0 || max_tag_size > 255) return bad("max_tag_size", "must be 1-255");
    return {};
  }
};

}  // namespace barrel_p2p::plumtree
