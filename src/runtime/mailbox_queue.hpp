// The queue behind every process mailbox: bounded, FIFO, thread-safe. Loop processes are fed
// and drained on the loop thread (the lock is then uncontended); worker processes and Mailbox
// owners take from other threads.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "barrel_p2p/envelope.hpp"
#include "barrel_p2p/process.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p::detail {

struct MailboxQueue {
  explicit MailboxQueue(std::size_t capacity) : limit(capacity) {}

  /// Appends; false when full or closed. `reserved`: the envelope holds a slot taken with
  /// reserve() (a local send), which it now uses.
  bool push(Envelope&& envelope, bool reserved = false) {
    {
      std::lock_guard lock(mutex);
      if (reserved && pending > 0) --pending;
      if (closed || items.size() + pending >= limit) return false;
      items.push_back(std::move(envelope));
    }
    ready.notify_one();
    return true;
  }

  /// Takes a slot for a local send on its way (counted until its push); false when full. A
  /// closed queue takes none and answers true (the router reports the dead process).
  bool reserve() {
    std::lock_guard lock(mutex);
    if (closed) return true;
    if (items.size() + pending >= limit) return false;
    ++pending;
    return true;
  }

  /// Gives back a slot reserve() took for a send that was not made.
  void release() {
    std::lock_guard lock(mutex);
    if (pending > 0) --pending;
  }

  /// The oldest envelope, if any (no waiting).
  std::optional<Envelope> try_pop() {
    std::lock_guard lock(mutex);
    if (items.empty()) return std::nullopt;
    Envelope envelope = std::move(items.front());
    items.pop_front();
    return envelope;
  }

  /// Moves up to `max` of the oldest envelopes to the end of `out` under one lock (a loop
  /// process's batch); returns how many.
  std::size_t take_some(std::vector<Envelope>& out, std::size_t max) {
    std::lock_guard lock(mutex);
    const std::size_t count = std::min(max, items.size());
    for (std::size_t i = 0; i < count; ++i) {
      out.push_back(std::move(items.front()));
      items.pop_front();
    }
    return count;
  }

  /// Waits up to `timeout` for the first envelope matching `predicate` (all when empty).
  Result<Envelope> pop(const std::function<bool(const Envelope&)>& predicate,
                       std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t scanned = 0;  // envelopes before this index did not match
    while (true) {
      for (; scanned < items.size(); ++scanned) {
        if (!predicate || predicate(items[scanned])) {
          Envelope envelope = std::move(items[scanned]);
          items.erase(items.begin() + static_cast<std::ptrdiff_t>(scanned));
          return envelope;
        }
      }
      if (closed) return fail(Errc::closed, "the process has ended: " + reason.to_string());
      if (ready.wait_until(lock, deadline) == std::cv_status::timeout && scanned == items.size()) {
        return fail(Errc::timeout, "no message within the receive timeout");
      }
    }
  }

  /// No more envelopes are accepted and those waiting are discarded (a dead process's
  /// messages vanish); waiting receivers wake up with closed.
  void close(const ExitReason& why) {
    {
      std::lock_guard lock(mutex);
      closed = true;
      items.clear();
      reason = why;
    }
    ready.notify_all();
  }

  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mutex);
    return items.size();
  }

  const std::size_t limit;
  mutable std::mutex mutex;
  std::condition_variable ready;
  std::deque<Envelope> items;
  std::size_t pending = 0;  // slots reserved by local sends not yet pushed
  bool closed = false;
  ExitReason reason;
};

}  // namespace barrel_p2p::detail
