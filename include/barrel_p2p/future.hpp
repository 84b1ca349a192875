// Future<T>: the eventual Result of a call or rpc. Wait for it (get), chain on it (then), or
// co_await it from a C++20 coroutine. Completed exactly once, by the node's loop thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

namespace detail {
/// True on a node's event-loop thread, where blocking on a future would deadlock the node.
bool on_event_loop_thread();

template <typename T>
struct FutureState {
  std::mutex mutex;
  std::condition_variable ready;
  std::optional<Result<T>> value;
  bool done = false;
  std::function<void(Result<T>)> continuation;
};
}  // namespace detail

template <typename T>
class Future;

/// The completing side of a Future. Only the first set() counts.
template <typename T>
class Promise {
 public:
  Promise() : state_(std::make_shared<detail::FutureState<T>>()) {}
  /// The future this promise completes; each call returns a handle on the same state, but a
  /// result can be consumed only once.
  [[nodiscard]] Future<T> future() const { return Future<T>(state_); }
  /// Completes the future; returns false (and drops `value`) when it was already complete.
  bool set(Result<T> value) const {
    std::unique_lock lock(state_->mutex);
    if (state_->done) return false;
    state_->done = true;
    if (state_->continuation) {
      auto continuation = std::move(state_->continuation);
      lock.unlock();
      continuation(std::move(value));
      return true;
    }
    state_->value.emplace(std::move(value));
    lock.unlock();
    state_->ready.notify_all();
    return true;
  }

 private:
  std::shared_ptr<detail::FutureState<T>> state_;
};

/// The eventual Result<T> of an operation. Move-only; consume it with one of get(), then() or
/// co_await. Every path completes it: with the value, or with an error such as timeout,
/// noproc or unreachable, so nothing waits forever.
template <typename T>
class Future {
 public:
  /// A future that is already complete.
  static Future ready(Result<T> value) {
    Promise<T> promise;
    promise.set(std::move(value));
    return promise.future();
  }

  /// Takes over `other`'s state; `other` must not be used afterwards.
  /// @{
  Future(Future&&) noexcept = default;
  Future& operator=(Future&&) noexcept = default;
  /// @}
  Future(const Future&) = delete;
  Future& operator=(const Future&) = delete;

  /// True when get() would not block.
  [[nodiscard]] bool is_ready() const {
    std::lock_guard lock(state_->mutex);
    return state_->value.has_value();
  }

  /// Blocks until complete and returns the result. On a node's loop thread (inside a process
  /// handler that runs on the loop) it does not block: an incomplete future returns
  /// invalid_argument "would block the event loop" - use then() or co_await there.
  Result<T> get() {
    std::unique_lock lock(state_->mutex);
    if (!state_->value && detail::on_event_loop_thread()) {
      return Unexpected(Errc::invalid_argument,
                        "Future::get() would block the event loop; use then() or co_await");
    }
    state_->ready.wait(lock, [&] { return state_->value.has_value(); });
    return std::move(*state_->value);
  }

  /// Waits up to `timeout` for completion; true when complete (get() then returns at once).
  /// On a node's loop thread it does not wait and returns is_ready().
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_->mutex);
    if (detail::on_event_loop_thread()) return state_->value.has_value();
    return state_->ready.wait_for(lock, timeout, [&] { return state_->value.has_value(); });
  }

  /// Runs `function(Result<T>)` once: at once when complete, else on the thread that
  /// completes the future (the node's loop thread for calls and rpc).
  template <typename F>
  void then(F&& function) {
    std::unique_lock lock(state_->mutex);
    if (state_->value) {
      Result<T> value = std::move(*state_->value);
      lock.unlock();
      function(std::move(value));
      return;
    }
    state_->continuation = std::forward<F>(function);
  }

  /// co_await support: `Result<T> r = co_await future;` resumes the coroutine on the thread
  /// that completes the future (at once when it is already complete). Called by the compiler.
  /// @{
  bool await_ready() const { return is_ready(); }
  void await_suspend(std::coroutine_handle<> handle) {
    then([this, handle](Result<T> value) {
      resumed_.emplace(std::move(value));
      handle.resume();
    });
  }
  Result<T> await_resume() {
    if (resumed_) return std::move(*resumed_);
    std::lock_guard lock(state_->mutex);
    return std::move(*state_->value);
  }
  /// @}

 private:
  friend class Promise<T>;
  explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::FutureState<T>> state_;
  std::optional<Result<T>> resumed_;
};

/// A detached, eagerly started coroutine: the return type for handlers or helpers that
/// co_await futures. It runs until its first co_await and continues where the awaited future
/// completes. An exception escaping it terminates the program (errors are values here).
struct Task {
  /// The coroutine machinery the compiler calls: starts at once, never suspends at the end,
  /// terminates on an escaping exception.
  struct promise_type {
    /// Called by the compiler: a Task handle, no suspension at start or end, terminate on an
    /// escaping exception.
    /// @{
    Task get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
    /// @}
  };
};

}  // namespace barrel_p2p
