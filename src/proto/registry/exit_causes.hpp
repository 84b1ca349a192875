// Why recently removed registry entries ended, kept so that the reason reaches every node
// whichever way the removal travels (SPEC §2.6, service `down` events). A DELTA that removes
// the entries of an ended process names its exit cause; a full STATE does not, since the
// tombstone (or the floor that covers it) is all the CRDT keeps. A node that missed the DELTA
// and learns the removal from a peer's STATE would then report `unregistered`. So each node
// remembers the causes it made or received for a while, sends them along with its STATE
// (registry_message.hpp), and looks a removed entry's dot up here when it reports it.
//
// Bounded in count (the newest `capacity` are kept) and in time (`retention` after they were
// learned), both configured; a removal that travels for longer is reported `unregistered`.
// Sans-IO: time is passed in.
#pragma once

#include <cstddef>
#include <deque>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "proto/registry/registry_message.hpp"

namespace barrel_p2p::registry {

/// The exit causes of recently removed entries, by dot, newest last.
class RecentExitCauses {
 public:
  /// Keeps at most `capacity` causes (at most kMaxStateCauses are sent), each for `retention`.
  RecentExitCauses(std::size_t capacity, core::Duration retention);

  /// Remembers (or refreshes) why the entry with dot (node, stamp) ended, learned at `now`.
  /// The oldest cause goes when the memory is full. A dot whose node is empty or longer than
  /// kMaxRouteOriginSize is not kept (a STATE could not carry it).
  void remember(core::Instant now, DotCause cause);

  /// The cause remembered for dot (node, stamp), or nullptr.
  [[nodiscard]] const ExitCause* find(std::string_view node, const hlc::Timestamp& stamp) const;

  /// The causes still within their retention at `now`, newest first, at most kMaxStateCauses
  /// (what a STATE carries). Drops the expired ones.
  [[nodiscard]] std::vector<DotCause> recent(core::Instant now);

  /// Number of causes held (expired ones included until the next remember() or recent()).
  [[nodiscard]] std::size_t size() const { return causes_.size(); }

 private:
  struct Held {
    core::Instant learned;
    DotCause cause;
  };
  void expire(core::Instant now);

  std::size_t capacity_;
  core::Duration retention_;
  std::deque<Held> causes_;  // oldest first
};

}  // namespace barrel_p2p::registry
