// A FIFO queue in one ring of slots: the Engine's command queue and the link queues take and
// give back no memory per element once warm, where std::deque allocates a 512-byte block for
// every two of the Engine's 184-byte commands (decision 0029).
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "core/assert.hpp"

namespace barrel_p2p::core {

/// First in, first out, with indexed access. The slots grow by doubling. Capacity above `keep`
/// (in elements) is given back once the queue has emptied kSmallCyclesBeforeRelease times in a
/// row after using at most a quarter of its slots: a burst does not pin its peak memory, and a
/// queue whose bursts come between a few small cycles (the Engine's command queue under many
/// busy links) keeps its slots instead of growing them back from 8 every burst. T must be
/// default-constructible and movable: a slot that is not in use holds a default T, so it owns
/// no resources.
template <class T>
class Fifo {
 public:
  /// Small cycles in a row (each used at most a quarter of the slots) before capacity above
  /// `keep` is given back.
  static constexpr std::size_t kSmallCyclesBeforeRelease = 8;

  explicit Fifo(std::size_t keep = 64) : keep_(keep) {}

  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  /// Slots held (for memory accounting and tests).
  [[nodiscard]] std::size_t capacity() const { return slots_.size(); }

  /// The element `index` places after the front. Precondition: index < size().
  T& operator[](std::size_t index) {
    BARREL_ASSERT(index < size_);
    return slots_[wrap(head_ + index)];
  }
  T& front() { return (*this)[0]; }
  T& back() { return (*this)[size_ - 1]; }

  /// Appends; may move every element to larger slots (references are not stable).
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == slots_.size()) grow();
    T* slot = &slots_[wrap(head_ + size_)];
    std::destroy_at(slot);  // a default T: nothing to release
    std::construct_at(slot, std::forward<Args>(args)...);
    if (++size_ > peak_) peak_ = size_;
    return *slot;
  }
  void push_back(T&& value) { emplace_back(std::move(value)); }

  /// Removes and returns the front. Precondition: !empty().
  T take_front() {
    BARREL_ASSERT(size_ > 0);
    T* slot = &slots_[head_];
    T value = std::move(*slot);
    std::destroy_at(slot);
    std::construct_at(slot);
    head_ = wrap(head_ + 1);
    if (--size_ == 0) emptied();
    return value;
  }

 private:
  // Capacity is 0 or a power of two.
  [[nodiscard]] std::size_t wrap(std::size_t index) const { return index & (slots_.size() - 1); }

  void grow() {
    std::vector<T> bigger(slots_.empty() ? 8 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_.swap(bigger);
    head_ = 0;
  }

  void emptied() {
    head_ = 0;
    if (slots_.size() > keep_ && peak_ <= slots_.size() / 4) {
      if (++small_cycles_ >= kSmallCyclesBeforeRelease) {
        std::vector<T>().swap(slots_);
        small_cycles_ = 0;
      }
    } else {
      small_cycles_ = 0;
    }
    peak_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t peak_ = 0;          // largest size since the queue last emptied
  std::size_t small_cycles_ = 0;  // small cycles in a row while holding more than keep_
  std::size_t keep_;
};

}  // namespace barrel_p2p::core
