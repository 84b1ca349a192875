// Process identity: which node, which process there, and which run of that node.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

/// Identifies one process in the cluster. `incarnation` is chosen at random each time a node
/// starts, so a pid from an earlier run of a node never names a process of a later run
/// (sending to it fails with noproc instead of reaching a stranger). Pids are values: compare,
/// hash, print, parse and serialise them freely.
struct Pid {
  /// Largest process number: ids are QUIC varints in the binary and wire forms (2^62 - 1).
  static constexpr std::uint64_t kIdMax = (std::uint64_t{1} << 62U) - 1;

  std::string node;               ///< The node the process lives on.
  std::uint64_t id = 0;           ///< Local process number on that node (never 0, never reused).
  std::uint64_t incarnation = 0;  ///< Which run of the node.

  /// False for a default-constructed Pid.
  [[nodiscard]] bool is_valid() const { return !node.empty() && id != 0; }
  /// "<node.id.incarnation>" with the incarnation in hex, e.g. "<alpha.7.9f3c01aa42d0be11>".
  [[nodiscard]] std::string to_string() const;
  /// Parses to_string()'s format (decimal id, hex incarnation; leading zeros and upper-case hex
  /// are accepted). Every pid it returns serializes and round-trips. Errors: invalid_argument
  /// (malformed text, a node name that is not a valid node name, an id above kIdMax).
  static Result<Pid> parse(std::string_view text);
  /// A compact binary form (for embedding pids in message payloads). Never fails. A hand-made
  /// pid with an id above kIdMax is written with id 0 (it names no process, as on the wire);
  /// one with a non-empty node name that is not a valid node name does not deserialize().
  [[nodiscard]] std::vector<std::uint8_t> serialize() const;
  /// Reads serialize()'s form; the whole input must be one pid. Errors: invalid_argument.
  static Result<Pid> deserialize(std::span<const std::uint8_t> bytes);

  /// Member-wise comparison (node, then id, then incarnation): pids sort and serve as map keys.
  /// @{
  friend auto operator<=>(const Pid&, const Pid&) = default;
  friend bool operator==(const Pid&, const Pid&) = default;
  /// @}
};

/// Why a process exited, or why a monitor fired. Codes match Erlang's common reasons.
enum class ExitCode : std::uint8_t {
  normal = 0,        ///< The process finished (its handler called stop(), or the mailbox closed).
  killed = 1,        ///< kill(pid): cannot be trapped.
  noproc = 2,        ///< The process did not exist when the monitor or link was set up.
  noconnection = 3,  ///< The connection to the process's node was lost or never made.
  shutdown = 4,      ///< The node is stopping.
  user = 5,          ///< An application reason, in `text`.
};

/// An exit reason: a code plus free text (the text is the whole reason for ExitCode::user).
struct ExitReason {
  ExitCode code = ExitCode::normal;  ///< The class of the reason.
  std::string text;                  ///< Free text; the whole reason for ExitCode::user.

  /// ExitCode::normal, no text.
  static ExitReason normal() { return {}; }
  /// ExitCode::killed, no text.
  static ExitReason killed() { return {ExitCode::killed, {}}; }
  /// ExitCode::user with the application's `text`.
  static ExitReason user(std::string text) { return {ExitCode::user, std::move(text)}; }
  /// True for ExitCode::normal (an exit that does not take linked processes down).
  [[nodiscard]] bool is_normal() const { return code == ExitCode::normal; }
  /// "normal", "killed", ..., or the user text.
  [[nodiscard]] std::string to_string() const;
  /// Equal code and text.
  friend bool operator==(const ExitReason&, const ExitReason&) = default;
};

/// snake_case name of an exit code.
std::string_view exit_code_name(ExitCode code);

}  // namespace barrel_p2p

namespace std {
/// Hashes a Pid (all three fields), so pids key unordered containers.
template <>
struct hash<barrel_p2p::Pid> {
  /// The hash of `pid`.
  std::size_t operator()(const barrel_p2p::Pid& pid) const noexcept {
    std::size_t h = std::hash<std::string>{}(pid.node);
    h ^= std::hash<std::uint64_t>{}(pid.id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= std::hash<std::uint64_t>{}(pid.incarnation) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
  }
};
}  // namespace std
