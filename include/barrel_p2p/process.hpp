// Lightweight processes: a Pid, a bounded mailbox and a handler that takes one message at a
// time. See docs/concepts/processes.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "barrel_p2p/envelope.hpp"
#include "barrel_p2p/future.hpp"
#include "barrel_p2p/pid.hpp"
#include "barrel_p2p/result.hpp"

namespace barrel_p2p {

class Node;
namespace detail {
struct MailboxQueue;
}

/// Bytes a process sends or receives (an owned copy).
using Bytes = std::vector<std::uint8_t>;
/// Bytes passed in without a copy; valid for the duration of the call only.
using BytesView = std::span<const std::uint8_t>;

/// The operations a process performs as itself: every message it sends carries its pid, its
/// monitors and links end with it. A handler receives its Process; a Mailbox is one.
/// Thread-safety: use a Process from the thread running it (its handler, or the Mailbox
/// owner's thread). Calls made on the node's loop thread take no thread hop.
class Process {
 public:
  virtual ~Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// This process's pid.
  [[nodiscard]] const Pid& self() const { return self_; }
  /// The node this process runs on.
  [[nodiscard]] Node& node() const { return node_; }

  /// Sends `payload` to `to` (local or remote); returns once it is queued. Messages from one
  /// process to another arrive in the order sent. A message to a process that does not exist
  /// is dropped (like Erlang's `!`). Errors: limit_reached (the target's mailbox, or the queue
  /// towards its node, is full), unreachable (no address known for the node), closed.
  Result<void> send(const Pid& to, BytesView payload);
  /// Sends to the process registered as `name` on `node` (empty node: this node). A name
  /// with no process is dropped. Errors: as send(), plus not_found for an unregistered local name.
  Result<void> send(std::string_view node, std::string_view name, BytesView payload);
  /// Calls `to` and completes with its reply, or with timeout, noproc (no such process),
  /// unreachable (its node cannot be reached or the connection was lost), limit_reached
  /// (its mailbox is full) or closed.
  Future<Bytes> call(const Pid& to, BytesView request, std::chrono::milliseconds timeout);
  /// Answers a call envelope. Errors: invalid_argument (not a call), closed.
  Result<void> reply(const Envelope& call, BytesView payload);
  /// Runs the function registered as `function` on `node` with `payload` (SPEC §2.4 rpc).
  /// Completes with its result, or not_found (no such function), remote (it returned an
  /// error: the message says which), timeout, unreachable or closed.
  Future<Bytes> rpc(std::string_view node, std::string_view function, BytesView payload,
                    std::chrono::milliseconds timeout);

  /// Watches `target`: exactly one DOWN envelope arrives when it ends (or at once with
  /// noproc when it does not exist; noconnection when its node is lost). Errors: closed.
  Result<MonitorRef> monitor(const Pid& target);
  /// Cancels a monitor; no DOWN arrives for it afterwards. Unknown refs are ignored.
  Result<void> demonitor(MonitorRef ref);
  /// Links this process and `other`: when either ends with a reason other than normal, the
  /// other receives an exit signal (noproc at once if `other` does not exist; noconnection
  /// when its node is lost). Errors: invalid_argument (linking to self), closed.
  Result<void> link(const Pid& other);
  /// Removes a link (both directions). Unknown links are ignored.
  Result<void> unlink(const Pid& other);
  /// While enabled, exit signals (except kill) become EnvelopeKind::exit envelopes instead of
  /// ending this process.
  Result<void> trap_exit(bool enabled);
  /// Sends an exit signal with `reason` to `target` (ExitReason::killed cannot be trapped).
  Result<void> exit(const Pid& target, ExitReason reason);
  /// Ends this process with `reason` (inside a handler: once the handler returns).
  void stop(ExitReason reason = ExitReason::normal());

 protected:
  /// A process of `node` with pid `self` (made by the node: Node::spawn, Node::mailbox).
  Process(Node& node, Pid self) : node_(node), self_(std::move(self)) {}
  Node& node_;                    ///< The node it runs on; outlives the process.
  Pid self_;                      ///< This process's pid.
  bool owned_by_thread_ = false;  ///< A Mailbox: stop() ends the process at once.
  bool stop_requested_ = false;   ///< A handler called stop(): the runtime ends it afterwards.
  ExitReason stop_reason_;        ///< The reason stop() was given.
};

/// A process's behaviour: called with one envelope at a time, never concurrently.
using Handler = std::function<void(Process& self, Envelope&& message)>;

/// Where a process's handler runs.
enum class Placement : std::uint8_t {
  /// On the node's event-loop thread: no thread hop per message (fastest). The handler must
  /// not block: it delays the network and every other loop process of the node.
  loop,
  /// On the node's worker pool (Config::worker_threads): the handler may block or compute
  /// for long; each message costs a hop to a worker thread and back.
  worker,
};

/// Options for Node::spawn.
struct SpawnOptions {
  /// Where the handler runs.
  Placement placement = Placement::loop;
  /// Mailbox bound in messages (0: Config::mailbox_limit). At the bound send() returns
  /// limit_reached to local senders, remote messages are dropped and counted, and calls
  /// complete with limit_reached.
  std::size_t mailbox_limit = 0;
  /// Start trapping exits at once (see Process::trap_exit).
  bool trap_exit = false;
  /// Register the new process under this local name (empty: none).
  std::string name;
  /// Link the new process to this pid before it receives anything (Erlang's spawn_link).
  Pid link_to;
};

/// A process owned by a plain thread: the counterpart of an Erlang shell process. Messages
/// wait in it until the owner receives them. Destroying it ends the process normally.
class Mailbox final : public Process {
 public:
  ~Mailbox() override;
  /// Waits up to `timeout` for the next envelope. Errors: timeout, closed (process ended).
  Result<Envelope> receive(std::chrono::milliseconds timeout);
  /// Selective receive: the first envelope matching `predicate`; others keep their order.
  Result<Envelope> receive_if(const std::function<bool(const Envelope&)>& predicate,
                              std::chrono::milliseconds timeout);
  /// Envelopes waiting.
  [[nodiscard]] std::size_t size() const;

  /// Made by Node::mailbox (the queue is the runtime's).
  Mailbox(Node& node, Pid self, std::shared_ptr<detail::MailboxQueue> queue);

 private:
  std::shared_ptr<detail::MailboxQueue> queue_;
};

/// A named remote function: takes the request bytes, returns reply bytes or an error (sent
/// back to the caller as Errc::remote with the error's message).
using RpcFunction = std::function<Result<Bytes>(BytesView request)>;

}  // namespace barrel_p2p
