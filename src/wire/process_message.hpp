// Process messages: the payloads of process frames (FrameType::process, data stream) between
// two authenticated nodes (SPEC §2.4). The sending node is known from the link, so pids on the
// wire are LOCAL pids of one side: a node can never forge another node's pids.
//   message = u8 type | fields | payload (the rest of the frame, for Send/Call/Reply/Rpc)
// Integers are canonical varints (pid incarnations: 8 bytes big-endian; a pid id above the
// varint range is sent as 0, which names no process), strings canonical-varint length-prefixed,
// bools one byte (0 or 1). One valid encoding per message. Peer bytes are hostile: every limit is
// checked.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::wire {

/// Longest registered process name or function name.
inline constexpr std::size_t kMaxProcessNameSize = 255;
/// Longest exit-reason text.
inline constexpr std::size_t kMaxReasonTextSize = 1024;
/// Longest error text in a non-ok Reply.
inline constexpr std::size_t kMaxReplyErrorSize = 1024;

/// A pid of the sending or the receiving node (which one is given by the field).
struct LocalPid {
  std::uint64_t id = 0;
  std::uint64_t incarnation = 0;
  bool operator==(const LocalPid&) const = default;
};

/// A process on the receiving node: by pid or by registered name.
struct Target {
  LocalPid pid;
  std::string name;  ///< Non-empty: the target is the process registered under this name.
  static Target of(LocalPid pid) { return Target{pid, {}}; }
  static Target named(std::string name) { return Target{{}, std::move(name)}; }
  [[nodiscard]] bool is_name() const { return !name.empty(); }
  bool operator==(const Target&) const = default;
};

/// Wire values of barrel_p2p::ExitCode.
enum class ReasonCode : std::uint8_t {
  normal = 0,
  killed = 1,
  noproc = 2,
  noconnection = 3,
  shutdown = 4,
  user = 5
};

struct Reason {
  ReasonCode code = ReasonCode::normal;
  std::string text;  ///< ≤ kMaxReasonTextSize.
  bool operator==(const Reason&) const = default;
};

enum class ReplyStatus : std::uint8_t {
  ok = 0,
  noproc = 1,
  unknown_function = 2,
  function_failed = 3,
  rejected = 4,  ///< The callee's mailbox is full.
};

// Payload views point into the decoded frame: they must not outlive it.
struct Send {
  LocalPid from;
  Target to;
  core::ByteView payload;
};
struct Call {
  std::uint64_t ref = 0;
  LocalPid from;
  Target to;
  core::ByteView payload;
};
struct Reply {
  std::uint64_t ref = 0;
  LocalPid to;  ///< The caller.
  ReplyStatus status = ReplyStatus::ok;
  core::ByteView payload;  ///< ok: the reply; otherwise UTF-8 detail ≤ kMaxReplyErrorSize.
};
struct Rpc {
  std::uint64_t ref = 0;
  LocalPid from;
  std::string function;  ///< 1..kMaxProcessNameSize bytes.
  core::ByteView payload;
};
struct Monitor {
  std::uint64_t ref = 0;
  LocalPid watcher;
  Target target;
};
struct MonitorAck {
  std::uint64_t ref = 0;
  LocalPid watcher;
  LocalPid target;
};
struct Demonitor {
  std::uint64_t ref = 0;
  LocalPid watcher;
};
struct Down {
  std::uint64_t ref = 0;
  LocalPid watcher;
  LocalPid target;
  Reason reason;
};
struct Link {
  LocalPid from;
  LocalPid to;
};
struct LinkAck {
  LocalPid from;
  LocalPid to;
};
struct Unlink {
  LocalPid from;
  LocalPid to;
};
struct Exit {
  LocalPid from;
  LocalPid to;
  Reason reason;
  bool linked = false;  ///< true: a link's exit signal; false: an explicit exit(pid, reason).
};

using ProcessMessage = std::variant<Send, Call, Reply, Rpc, Monitor, MonitorAck, Demonitor, Down,
                                    Link, LinkAck, Unlink, Exit>;

/// Appends the encoding of `message` to `out` (no allocation once `out` has capacity).
void encode_process_message(const ProcessMessage& message, core::Bytes& out);
/// The encoding of `message` in a new buffer.
core::Bytes encode_process_message(const ProcessMessage& message);
/// Decodes one whole frame. Payload views point into `frame`. Errors: protocol, naming the
/// field.
[[nodiscard]] Result<ProcessMessage> decode_process_message(core::ByteView frame);

}  // namespace barrel_p2p::wire
