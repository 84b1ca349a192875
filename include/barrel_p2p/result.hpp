// Result<T>: a value or an Error, with std::expected's member names so the switch to
// std::expected (C++23) is mechanical. Errors are values; no exceptions cross the API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace barrel_p2p {

/// Broad class of a failure; the message says exactly what went wrong.
enum class Errc : std::uint8_t {
  invalid_argument,  ///< A caller passed a value outside its contract.
  io,                ///< The operating system refused (file, socket).
  not_found,         ///< A named thing (peer, file, pin) does not exist.
  already_exists,    ///< A named thing exists and may not be replaced.
  limit_reached,     ///< A configured bound (connections, handshakes, queue) is full.
  auth_failed,       ///< A peer failed authentication (see message for the reason).
  protocol,          ///< A peer sent bytes that break the wire protocol.
  timeout,           ///< A deadline passed.
  closed,            ///< The node, link or connection is closed.
  crypto,            ///< A cryptographic primitive failed (key generation, signing).
  internal,          ///< A bug in barrel_p2p; please report it.
  noproc,            ///< The target process does not exist (never did, or exited).
  unreachable,       ///< The target node could not be reached, or its connection was lost.
  remote,            ///< A remote function ran and returned an error (see the message).
  /// A file is unsafe to use as it is: a secret readable by group or others, or a public key
  /// without its secret key. The message names the file; the operator must fix it.
  unsafe_file,
  /// Something needed for this call is taken: the data_dir lock held by another process (the
  /// message names the holder's pid), a migration of that link already in progress
  /// (Node::migrate_peer), or a link to that node that already exists
  /// (Node::set_connect_options).
  busy,
  /// Too many requests of this kind are in flight here (a configured cap); try again later.
  overloaded,
};

/// Human-readable name of an error class, e.g. "auth_failed".
std::string_view errc_name(Errc code) noexcept;

/// An error value: a class plus a message naming what went wrong.
struct Error {
  Errc code = Errc::internal;  ///< The broad class, for programs to branch on.
  std::string message;         ///< What went wrong, for people: names the file, peer or key.

  /// "code: message", for logs and CLI output.
  [[nodiscard]] std::string to_string() const;
};

/// Wraps an Error so it converts into any Result<T>, like std::unexpected.
class Unexpected {
 public:
  /// Wraps `error`.
  explicit Unexpected(Error error) : error_(std::move(error)) {}
  /// Wraps the Error {code, message}.
  Unexpected(Errc code, std::string message) : error_{code, std::move(message)} {}
  /// The wrapped error (the rvalue form moves it out).
  /// @{
  [[nodiscard]] const Error& error() const& { return error_; }
  [[nodiscard]] Error&& error() && { return std::move(error_); }
  /// @}

 private:
  Error error_;
};

/// Shorthand for returning an error: `return fail(Errc::io, "open failed");`.
inline Unexpected fail(Errc code, std::string message) {
  return Unexpected(code, std::move(message));
}

/// A value of type T or an Error. Result<void> carries only success or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;      ///< The success type, as in std::expected.
  using error_type = Error;  ///< Always Error.

  /// A default-constructed value (only when T has a default constructor).
  Result() requires std::is_default_constructible_v<T> : state_(std::in_place_index<0>) {}
  /// Success holding `value` (implicit, so `return value;` works).
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  /// Success holding a T built from `value` (implicit, so `return "text";` works for a
  /// Result<std::string>).
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Result> &&
           !std::is_same_v<std::decay_t<U>, Unexpected>) Result(U&& value)
      : state_(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT
  /// Failure holding the wrapped error (implicit, so `return fail(...);` works).
  Result(Unexpected unexpected)  // NOLINT(implicit)
      : state_(std::in_place_index<1>, std::move(unexpected).error()) {}

  /// True on success (a value is held), false when an Error is held.
  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  /// has_value(), so that `if (auto r = f(); !r)` reads naturally.
  explicit operator bool() const noexcept { return has_value(); }

  /// The value. Precondition: has_value() (checked: std::bad_variant_access otherwise, a bug
  /// in the caller).
  /// @{
  [[nodiscard]] T& value() & { return std::get<0>(state_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  /// @}

  /// The error (the rvalue form moves it out). Precondition: !has_value().
  /// @{
  [[nodiscard]] const Error& error() const& { return std::get<1>(state_); }
  [[nodiscard]] Error&& error() && { return std::get<1>(std::move(state_)); }
  /// @}

  /// A copy of the value on success, else `fallback` converted to T.
  template <typename U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> state_;
};

/// Success without a value, or an Error: what functions that only succeed or fail return.
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;   ///< No value on success.
  using error_type = Error;  ///< Always Error.

  /// Success.
  Result() = default;
  /// Failure holding the wrapped error (implicit, so `return fail(...);` works).
  Result(Unexpected unexpected) : error_(std::move(unexpected).error()), ok_(false) {}  // NOLINT

  /// True on success.
  [[nodiscard]] bool has_value() const noexcept { return ok_; }
  /// has_value().
  explicit operator bool() const noexcept { return ok_; }
  /// Does nothing; there for symmetry with Result<T>::value().
  void value() const {}
  /// The error (the rvalue form moves it out). Precondition: !has_value().
  /// @{
  [[nodiscard]] const Error& error() const& { return error_; }
  [[nodiscard]] Error&& error() && { return std::move(error_); }
  /// @}

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace barrel_p2p
