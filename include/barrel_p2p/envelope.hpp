// What a process receives: a message, a call to answer, a DOWN notice or an exit signal.
#pragma once

#include <compare>
#include <cstdint>
#include <vector>

#include "barrel_p2p/pid.hpp"

namespace barrel_p2p {

/// Names one monitor; returned by monitor() and carried by its DOWN notice.
struct MonitorRef {
  std::uint64_t value = 0;  ///< Unique per node run; 0 names no monitor.
  /// Compares the values: refs sort and key maps.
  friend auto operator<=>(const MonitorRef&, const MonitorRef&) = default;
};

/// What an Envelope carries.
enum class EnvelopeKind : std::uint8_t {
  message,  ///< send(): `payload` from `from`.
  call,     ///< call(): answer it with reply(envelope, bytes); the caller waits.
  down,     ///< A monitored process ended: `from` is it, `monitor` the ref, `reason` why.
  exit,     ///< An exit signal from `from` (a linked process, or exit()) while trapping exits.
};

/// One item of a mailbox. Plain data: move it, keep it, inspect it.
struct Envelope {
  EnvelopeKind kind = EnvelopeKind::message;  ///< Which of the four it is.
  Pid from;                                   ///< Sender; for down/exit the process that ended.
  std::vector<std::uint8_t> payload;          ///< message and call only.
  std::uint64_t call_ref = 0;  ///< call only: pairs the reply with the caller's wait.
  MonitorRef monitor;          ///< down only.
  ExitReason reason;           ///< down and exit only.
};

}  // namespace barrel_p2p
