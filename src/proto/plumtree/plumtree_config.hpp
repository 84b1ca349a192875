// Plumtree settings (Leitão, Pereira, Rodrigues, SRDS 2007) and SPEC §2.5. Every buffer the
// core keeps has a limit here; each comment says what happens at the bound.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "barrel_p2p/result.hpp"
#include "core/time.hpp"
#include "proto/plumtree/plumtree_message.hpp"

namespace barrel_p2p::plumtree {

/// Settings of one BroadcastTree. Plain value; check with validate() before use.
struct Config {
  /// Time to wait for a GOSSIP after its first IHAVE before sending GRAFT (paper §3.6 "timer").
  /// The eager copy normally arrives first: IHAVEs leave only at the next lazy flush, so the
  /// lazy path is already lazy_flush_interval behind. 400 ms ≈ lazy_flush_interval + two WAN
  /// round trips: long enough that a slow eager copy usually still wins (a premature GRAFT
  /// costs one extra payload and a PRUNE), short enough that a broken tree heals in well
  /// under a second.
  core::Duration ihave_timeout = std::chrono::milliseconds(400);
  /// After a GRAFT, time before grafting the next announcer (paper: the second, shorter
  /// timer). One WAN round trip plus margin: the grafted peer answers at once if it has it.
  core::Duration graft_retry_timeout = std::chrono::milliseconds(200);
  /// IHAVEs are batched per lazy peer and flushed this often (0: sent immediately). 50 ms
  /// keeps announcement traffic to ~20 messages/s per lazy link under load while adding
  /// little to repair time (which is dominated by ihave_timeout).
  core::Duration lazy_flush_interval = std::chrono::milliseconds(50);
  /// Announcements per IHAVE message (≤ kMaxListSize). A peer's queue is flushed as soon as it
  /// holds this many, so no per-peer queue ever exceeds it.
  std::size_t max_ihave_batch = 64;
  /// A new neighbour is sent IHAVE for messages received this recently (0: none), so a
  /// broadcast sent while the tree was broken still reaches the nodes behind the break.
  /// At most max_ihave_batch of the newest are announced.
  core::Duration announce_window = std::chrono::seconds(5);
  /// Dedup cache: ids delivered are remembered this long and at most this many; the oldest is
  /// evicted at the bound (an evicted id could be delivered again if it came back later).
  std::size_t cache_capacity = 16'384;
  core::Duration cache_ttl = std::chrono::minutes(5);
  /// Payload bytes kept to answer GRAFTs. Beyond it the oldest payloads are dropped (their ids
  /// stay cached for dedup); a GRAFT for a dropped payload goes unanswered.
  std::size_t cache_payload_budget = 16 * 1024 * 1024;
  /// Longest payload broadcast() accepts and on_message() delivers (key max_broadcast_size).
  std::size_t max_payload_size = 1024 * 1024;
  /// Longest tag (≤ 255).
  std::size_t max_tag_size = 255;
  /// Paper's §3.8 optimisation: when an IHAVE for a message we already have announces it at
  /// least this many hops closer to the origin than the GOSSIP we got, GRAFT the announcer and
  /// PRUNE the eager sender, shortening the tree (0 disables). Off by default: the tree is
  /// shared by all origins, so with many broadcasters a swap that helps one origin is undone
  /// by another, and every swap costs a GRAFT, a PRUNE and one redundant payload (the GRAFT
  /// answer). Turn it on (3-7) when one node does most broadcasting.
  std::uint32_t optimization_threshold = 0;
  /// Ids announced but not yet received that we track (IHAVE timers). At the bound, new
  /// announcements are ignored (the eager path, or a later IHAVE, still brings them).
  std::size_t max_missing = 4096;
  /// Announcers remembered per missing id (GRAFT candidates); later ones are ignored.
  std::size_t max_announcers = 16;

  /// The decoding limits matching these settings.
  [[nodiscard]] Limits message_limits() const { return Limits{max_payload_size, max_tag_size}; }

  /// Errors: invalid_argument, "<key>: <why>" naming the first bad setting.
  [[nodiscard]] Result<void> validate() const {
    auto bad = [](const char* field, const char* why) {
      return fail(Errc::invalid_argument, std::string(field) + ": " + why);
    };
    if (ihave_timeout.count() <= 0) return bad("ihave_timeout", "must be positive");
    if (graft_retry_timeout.count() <= 0) return bad("graft_retry_timeout", "must be positive");
    if (lazy_flush_interval.count() < 0) return bad("lazy_flush_interval", "must not be negative");
    if (max_ihave_batch == 0 || max_ihave_batch > kMaxListSize) {
      return bad("max_ihave_batch", "must be 1-1024");
    }
    if (announce_window.count() < 0) return bad("announce_window", "must not be negative");
    if (cache_capacity == 0) return bad("cache_capacity", "must be at least 1");
    if (cache_ttl.count() <= 0) return bad("cache_ttl", "must be positive");
    if (max_payload_size == 0 || max_payload_size > (std::size_t{64} << 20)) {
      return bad("max_broadcast_size", "must be between 1 byte and 64 MiB");
    }
    if (max_tag_size == 0 || max_tag_size > 255) return bad("max_tag_size", "must be 1-255");
    if (max_missing == 0) return bad("max_missing", "must be at least 1");
    if (max_announcers == 0) return bad("max_announcers", "must be at least 1");
    return {};
  }
};

}  // namespace barrel_p2p::plumtree
