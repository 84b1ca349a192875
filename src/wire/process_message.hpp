// Process messages: the payload of one `process` link frame (FrameType::process, data stream)
// between two authenticated nodes (SPEC §2.4). The sending node is known from the authenticated
// link, so every pid on the wire is a LOCAL pid of one side: a node can never forge another
// node's pids.
//   message = u8 type | header fields | payload
//   pid     = canonical varint id | u64 incarnation (8 bytes, big-endian)
//   target  = u8 0 | pid   or   u8 1 | string name (1..255 bytes)
//   reason  = u8 code | string text (0..1024 bytes)
//   string  = canonical varint length | bytes
//   bool    = u8 0 or 1
// Refs are canonical varints. Send, Call, Reply and Rpc end with a payload that is the rest of
// the frame (no length prefix: the link frame already delimits it); every other message must
// fill the frame exactly. A message has exactly one valid encoding: decode(bytes) re-encodes to
// the same bytes. Peer bytes are hostile: every limit below is checked when decoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "barrel_p2p/result.hpp"
#include "core/bytes.hpp"

namespace barrel_p2p::wire {

/// Longest registered process name (Target) and Rpc function name. Longer or empty names fail
/// decoding.
inline constexpr std::size_t kMaxProcessNameSize = 255;
/// Longest Reason text. A longer text fails decoding; senders truncate to it.
inline constexpr std::size_t kMaxReasonTextSize = 1024;
/// Longest payload of a non-ok Reply (its UTF-8 error detail). Longer fails decoding; senders
/// truncate to it. An ok Reply's payload is bounded only by the link frame limit.
inline constexpr std::size_t kMaxReplyErrorSize = 1024;
/// Largest encoding of everything before the payload of a Send, Call, Reply or Rpc (a Call with
/// 8-byte varints and a 255-byte name). A payload fits a link frame of limit L when its size is
/// at most L - kMaxProcessHeaderSize.
inline constexpr std::size_t kMaxProcessHeaderSize = 283;

/// A pid of the sending or of the receiving node (each field says which). The node itself is
/// implied by the link. `id` is a local counter; ids above 2^62 - 1 (the varint range, only a
/// caller-made pid can hold one) are encoded as 0, which names no process.
struct LocalPid {
  std::uint64_t id = 0;
  std::uint64_t incarnation = 0;  ///< Which run of the node.
  bool operator==(const LocalPid&) const = default;
};

/// A process on the receiving node: by pid, or by the name it is registered under there.
/// Build it with of() or named(); when `name` is non-empty, `pid` is not encoded (keep it zero).
struct Target {
  LocalPid pid;
  std::string name;  ///< Non-empty: the target is the process registered under this name.

  static Target of(LocalPid pid) { return Target{pid, {}}; }
  /// Precondition for encoding (the receiver rejects otherwise): 1..kMaxProcessNameSize bytes.
  static Target named(std::string name) { return Target{{}, std::move(name)}; }
  [[nodiscard]] bool is_name() const { return !name.empty(); }
  bool operator==(const Target&) const = default;
};

/// Why a process exited (the wire values of barrel_p2p::ExitCode). Wire-visible: values never
/// change; an unknown value fails decoding.
enum class ReasonCode : std::uint8_t {
  normal = 0,
  killed = 1,
  noproc = 2,
  noconnection = 3,
  shutdown = 4,
  user = 5,
};

/// An exit reason carried by Down and Exit.
struct Reason {
  ReasonCode code = ReasonCode::normal;
  std::string text;  ///< <= kMaxReasonTextSize bytes; meaningful for `user`, allowed for all.
  bool operator==(const Reason&) const = default;
};

/// Outcome of a Call or Rpc. Wire-visible: values never change; an unknown value fails decoding.
enum class ReplyStatus : std::uint8_t {
  ok = 0,                ///< The payload is the reply.
  noproc = 1,            ///< No such process (Call) on the callee's node.
  unknown_function = 2,  ///< No such function (Rpc) on the callee's node.
  function_failed = 3,   ///< The function ran and failed; the payload says why.
  rejected = 4,          ///< The callee's mailbox is full.
};

// Payload views (Send, Call, Reply, Rpc) point into the decoded frame: a decoded message must
// not outlive the frame it was decoded from. operator== compares payloads by content.

/// A message to a process (fire and forget).
struct Send {
  LocalPid from;  ///< On the sending node.
  Target to;      ///< On the receiving node.
  core::ByteView payload;
  bool operator==(const Send& other) const;
};

/// A request to a process; the receiver answers with a Reply carrying `ref`.
struct Call {
  std::uint64_t ref = 0;  ///< Chosen by the caller; unique among its pending calls.
  LocalPid from;          ///< The caller, on the sending node.
  Target to;              ///< The callee, on the receiving node.
  core::ByteView payload;
  bool operator==(const Call& other) const;
};

/// The answer to a Call or Rpc.
struct Reply {
  std::uint64_t ref = 0;  ///< The Call's or Rpc's ref.
  LocalPid to;            ///< The caller, on the receiving node.
  ReplyStatus status = ReplyStatus::ok;
  core::ByteView payload;  ///< ok: the reply; otherwise UTF-8 detail <= kMaxReplyErrorSize.
  bool operator==(const Reply& other) const;
};

/// A request to run a registered function on the receiving node; answered with a Reply.
struct Rpc {
  std::uint64_t ref = 0;
  LocalPid from;         ///< The caller, on the sending node.
  std::string function;  ///< 1..kMaxProcessNameSize bytes.
  core::ByteView payload;
  bool operator==(const Rpc& other) const;
};

/// `watcher` (sending node) monitors `target` (receiving node); answered by MonitorAck or Down.
struct Monitor {
  std::uint64_t ref = 0;
  LocalPid watcher;
  Target target;
  bool operator==(const Monitor&) const = default;
};

/// The monitor `ref` is set up; `target` is the resolved pid (e.g. of a name), on the sender.
struct MonitorAck {
  std::uint64_t ref = 0;
  LocalPid watcher;  ///< On the receiving node.
  LocalPid target;   ///< On the sending node.
  bool operator==(const MonitorAck&) const = default;
};

/// `watcher` (sending node) drops its monitor `ref`.
struct Demonitor {
  std::uint64_t ref = 0;
  LocalPid watcher;
  bool operator==(const Demonitor&) const = default;
};

/// The monitored `target` (sending node) exited, or never existed (noproc).
struct Down {
  std::uint64_t ref = 0;
  LocalPid watcher;  ///< On the receiving node.
  LocalPid target;   ///< On the sending node; zero when a name did not resolve.
  Reason reason;
  bool operator==(const Down&) const = default;
};

/// `from` (sending node) links to `to` (receiving node); answered by LinkAck or an Exit.
struct Link {
  LocalPid from;
  LocalPid to;
  bool operator==(const Link&) const = default;
};

/// The link is set up: `from` is on the sending node (the Link's `to`).
struct LinkAck {
  LocalPid from;
  LocalPid to;
  bool operator==(const LinkAck&) const = default;
};

/// `from` (sending node) removes its link to `to` (receiving node).
struct Unlink {
  LocalPid from;
  LocalPid to;
  bool operator==(const Unlink&) const = default;
};

/// An exit signal from `from` (sending node) to `to` (receiving node).
struct Exit {
  LocalPid from;
  LocalPid to;
  Reason reason;
  bool linked = false;  ///< true: a link's exit signal; false: an explicit exit(pid, reason).
  bool operator==(const Exit&) const = default;
};

/// Any process message. The wire type is the variant index + 1 (Send = 1 ... Exit = 12).
using ProcessMessage = std::variant<Send, Call, Reply, Rpc, Monitor, MonitorAck, Demonitor, Down,
                                    Link, LinkAck, Unlink, Exit>;

/// Appends the encoding of `message` to `out` (does not clear it): no allocation once `out` has
/// capacity, so a sender reuses one buffer. The payload is copied once, into `out`.
/// Preconditions, NOT asserted because they can come from API callers (a pid parsed from text,
/// a name passed to send_named): names and functions 1..kMaxProcessNameSize bytes, Reason text
/// <= kMaxReasonTextSize, non-ok Reply payload <= kMaxReplyErrorSize. A message that breaks them
/// is encoded as given and the receiver rejects it (a protocol error); callers check first.
/// Enum values outside their enum are our bug and asserted.
void encode_process_message(const ProcessMessage& message, core::Bytes& out);

/// encode_process_message() into a new buffer (allocates; for tests and cold paths).
core::Bytes encode_process_message(const ProcessMessage& message);

/// Decodes one process message that fills `frame` (a link frame's payload). Payload views point
/// into `frame`: the result must not outlive it. Allocates nothing for Send, Call and Reply with
/// pid targets (only names, functions and reason texts are copied).
/// Errors: Errc::protocol, "process message: <why>": truncated input, unknown message type,
/// unknown target kind, unknown reason code, unknown reply status, empty target or function
/// name, field longer than its limit (names, reason text, non-ok Reply payload), non-minimal
/// varint, bool not 0 or 1, trailing bytes after a message without payload.
[[nodiscard]] Result<ProcessMessage> decode_process_message(core::ByteView frame);

}  // namespace barrel_p2p::wire
