// HyParView settings. Defaults follow Leitão et al. (DSN 2007) and SPEC §2.2.
#pragma once

#include <chrono>
#include <cstddef>

#include "barrel_p2p/result.hpp"
#include "core/time.hpp"

namespace barrel_p2p::hyparview {

struct Config {
  std::size_t active_size = 5;          ///< Active view: peers we keep a link with.
  std::size_t passive_size = 30;        ///< Passive view: known peers, for repairs.
  std::size_t active_random_walk = 6;   ///< FORWARD_JOIN and SHUFFLE walk length (ARWL).
  std::size_t passive_random_walk = 3;  ///< At this TTL a FORWARD_JOIN joiner goes passive.
  /// Between SHUFFLEs; the first one comes 0.05 to 0.15 intervals after start.
  core::Duration shuffle_interval = std::chrono::seconds(10);
  /// Peers offered per SHUFFLE, ourselves included: about 3/8 from the active view, the
  /// rest from the passive view (the paper's ka = 3, kp = 4 plus self for the default 8).
  std::size_t shuffle_size = 8;
  core::Duration backoff_initial = std::chrono::seconds(1);  ///< First retry of a lost peer.
  core::Duration backoff_max = std::chrono::minutes(5);      ///< Retry delay cap (doubling).
  std::size_t max_failures = 5;  ///< Consecutive failures before a passive peer is dropped.
  /// A passive entry not refreshed (by a shuffle, join or contact) for this long is dropped.
  core::Duration passive_max_age = std::chrono::minutes(30);
  /// How often a short active view asks a passive peer for a NEIGHBOR link.
  core::Duration repair_interval = std::chrono::milliseconds(200);
  /// A NEIGHBOR request unanswered for this long counts as a failure of that peer.
  core::Duration neighbor_timeout = std::chrono::seconds(5);
  /// JOIN is re-sent this often until the active view is non-empty.
  core::Duration join_retry = std::chrono::seconds(2);
  /// Re-merge (decision 0012): how many peers lost to a link failure are remembered and probed
  /// with a rejoin NEIGHBOR, so two groups that filled their views apart during a partition
  /// link up again once it heals. 0 turns re-merge probes off (the published HyParView).
  std::size_t remerge_contacts = 8;
  /// First probe of a lost peer (jittered 0.5 to 1.5 times); the delay doubles after every
  /// unanswered probe, up to backoff_max.
  core::Duration remerge_interval = std::chrono::seconds(10);
  /// A lost peer not reached again within this is forgotten.
  core::Duration remerge_max_age = std::chrono::hours(1);

  /// Errors: invalid_argument naming the field.
  [[nodiscard]] Result<void> validate() const {
    auto bad = [](const char* field, const char* why) {
      return fail(Errc::invalid_argument, std::string(field) + ": " + why);
    };
    if (active_size == 0 || active_size > 64) return bad("active_view_size", "must be 1-64");
    if (passive_size > 1024) return bad("passive_view_size", "must be at most 1024");
    if (active_random_walk == 0 || active_random_walk > 32) {
      return bad("active_random_walk", "must be 1-32");
    }
    if (passive_random_walk > active_random_walk) {
      return bad("passive_random_walk", "must not exceed active_random_walk");
    }
    if (shuffle_interval.count() <= 0) return bad("shuffle_interval", "must be positive");
    if (shuffle_size < 2 || shuffle_size > 64) return bad("shuffle_size", "must be 2-64");
    if (backoff_initial.count() <= 0 || backoff_max < backoff_initial) {
      return bad("backoff", "backoff_initial must be positive and at most backoff_max");
    }
    if (max_failures == 0) return bad("max_failures", "must be at least 1");
    if (remerge_contacts > 64) return bad("remerge_contacts", "must be at most 64");
    if (repair_interval.count() <= 0 || neighbor_timeout.count() <= 0 || join_retry.count() <= 0 ||
        passive_max_age.count() <= 0 || remerge_interval.count() <= 0 ||
        remerge_max_age.count() <= 0) {
      return bad("timers",
                 "repair_interval, neighbor_timeout, join_retry, passive_max_age, "
                 "remerge_interval and remerge_max_age must be positive");
    }
    return {};
  }
};

}  // namespace barrel_p2p::hyparview
