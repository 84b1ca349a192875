// The process table and the cross-node process protocol (SPEC §2.4), sans-IO: which processes
// exist, their names, links, monitors and pending calls, and what crosses the wire for them.
// Loop thread only. The host (src/runtime) owns mailboxes, handlers, threads and connections;
// the router tells it what to deliver, what to send to which node, and which process ended.
//
// Guarantees kept here (docs/concepts/processes.md):
// - exactly one DOWN per monitor: the monitor entry is removed when its DOWN is produced, and a
//   DOWN from the wire only counts when the entry still exists;
// - remote monitor and link set-up is acknowledged, and the watcher's entry exists before the
//   request is sent, so the target's death (DOWN/EXIT) or the loss of the node (noconnection)
//   always finds it;
// - a call always completes: reply, noproc, limit_reached, unreachable, timeout or closed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "barrel_p2p/envelope.hpp"
#include "core/bytes.hpp"
#include "core/time.hpp"
#include "wire/process_message.hpp"

namespace barrel_p2p::node {

/// Exit reasons on the wire (texts longer than the wire limit are cut).
wire::Reason to_wire(const ExitReason& reason);
ExitReason from_wire(const wire::Reason& reason);

/// An envelope of `kind` (message or call) carrying a copy of `payload`.
Envelope message_envelope(EnvelopeKind kind, const Pid& from, core::ByteView payload);
/// An envelope of `kind` (down or exit) carrying `reason`.
Envelope signal_envelope(EnvelopeKind kind, const Pid& from, const ExitReason& reason);

/// A request to run a registered function; handed to the host, answered with finish_rpc().
struct RpcRequest {
  std::string caller_node;  ///< Empty for a call from this node.
  wire::LocalPid caller;
  std::uint64_t ref = 0;
  std::string function;
  core::Bytes payload;
};

/// Implemented by the node Engine (and by test fixtures). Never calls back into the router.
class ProcessHost {
 public:
  virtual ~ProcessHost() = default;
  /// Appends `envelope` to local process `id`'s mailbox; false when the mailbox is full. A
  /// host that learns of a full mailbox only later reports it with delivery_refused().
  virtual bool deliver(std::uint64_t id, Envelope&& envelope) = 0;
  /// Local process `id` ended: drop its mailbox and handler (wake a Mailbox owner).
  virtual void process_ended(std::uint64_t id, const ExitReason& reason) = 0;
  /// Sends one process-protocol frame to `node`, connecting on demand. Errors: limit_reached
  /// (the queue towards `node` is full), unreachable (no address), closed.
  virtual Result<void> send_frame(const std::string& node, core::ByteView frame) = 0;
  /// Runs the function named in `request`; false when no such function is registered. The
  /// host answers later (or at once) with ProcessRouter::finish_rpc().
  virtual bool run_function(RpcRequest&& request) = 0;
  /// Call or rpc `ref` completed: a reply, or an error (timeout, noproc, unreachable,
  /// limit_reached, closed, ...). Exactly once per ref that call() or rpc() returned; it may
  /// come from inside call() or rpc() itself.
  virtual void call_done(std::uint64_t ref, Result<core::Bytes> result) = 0;
};

/// What a peer can make the router hold for one local process (SPEC §2.4; STYLE "bound
/// everything"). Watchers and linked processes on other nodes are chosen by peers, so each
/// local process takes at most these many; local monitors and links (both ends on this node)
/// are not counted.
struct ProcessRouterLimits {
  /// Most monitors that watchers on other nodes hold on one local process. At the bound a
  /// MONITOR from a peer is refused: the router answers it with a DOWN of reason noconnection
  /// (text "monitor refused: ...") instead of a MONITOR_ACK, as if the connection had been
  /// lost, and counts it in ProcessStats::remote_monitors_refused. That DOWN is the refused
  /// monitor's one DOWN (its watcher learns the target can no longer be watched, not that it
  /// died); every accepted monitor still gets exactly one DOWN. A repeated MONITOR (same node
  /// and ref) for an accepted monitor is acknowledged again, never refused.
  std::size_t remote_monitors_per_process_max = 10'000;
  /// Most links between one local process and processes on other nodes. At the bound a LINK
  /// from a peer is refused: the router answers it with a linked EXIT of reason noconnection
  /// (text "link refused: ..."), as if the connection had been lost, so the peer's process gets
  /// the exit signal a link that cannot be kept owes it (trapped, or ending it), and counts it
  /// in ProcessStats::remote_links_refused. A local link() to a remote process at the bound
  /// fails with limit_reached (not counted: its caller sees the error).
  std::size_t remote_links_per_process_max = 10'000;
};

struct ProcessStats {
  std::uint64_t spawned = 0;
  std::uint64_t exited = 0;
  std::uint64_t messages_local = 0;
  std::uint64_t messages_remote_in = 0;
  std::uint64_t messages_remote_out = 0;
  std::uint64_t dropped_noproc = 0;        ///< messages to processes that do not exist
  std::uint64_t dropped_mailbox_full = 0;  ///< remote messages refused by a full mailbox
  /// Calls and rpcs this router started (each completes once: reply, error or timeout).
  std::uint64_t calls_started = 0;
  std::uint64_t calls_timed_out = 0;
  std::uint64_t protocol_errors = 0;  ///< undecodable or out-of-place frames from peers
  /// MONITORs from peers refused at ProcessRouterLimits::remote_monitors_per_process_max.
  std::uint64_t remote_monitors_refused = 0;
  /// LINKs from peers refused at ProcessRouterLimits::remote_links_per_process_max.
  std::uint64_t remote_links_refused = 0;
  std::size_t processes = 0;        ///< current
  std::size_t pending_calls = 0;    ///< current
  std::size_t remote_monitors = 0;  ///< current: monitors peers hold on local processes
  std::size_t remote_links = 0;     ///< current: links between local and remote processes
};

class ProcessRouter {
 public:
  /// `host` must outlive the router. `limits` bound what peers can make it hold.
  ProcessRouter(std::string node_name, std::uint64_t incarnation, ProcessHost& host,
                ProcessRouterLimits limits = {});

  [[nodiscard]] const std::string& node_name() const { return node_; }
  [[nodiscard]] std::uint64_t incarnation() const { return incarnation_; }
  [[nodiscard]] const ProcessRouterLimits& limits() const { return limits_; }
  /// The pid used as sender by code that is not a process (Node::send and friends).
  [[nodiscard]] Pid anonymous() const { return Pid{node_, 0, incarnation_}; }

  /// Creates a process entry and returns its pid (the host attaches mailbox and handler).
  Pid spawn(bool trap_exit);
  [[nodiscard]] bool alive(const Pid& pid) const;
  Result<void> set_trap_exit(const Pid& pid, bool enabled);

  // Operations on behalf of `from` (a local process, or anonymous()).
  Result<void> send(const Pid& from, const Pid& to, core::ByteView payload);
  Result<void> send_named(const Pid& from, std::string_view node, std::string_view name,
                          core::ByteView payload);
  /// Starts a call; returns its ref, which ProcessHost::call_done() completes exactly once.
  std::uint64_t call(core::Instant now, const Pid& from, const Pid& to, core::ByteView request,
                     core::Duration timeout);
  Result<void> reply(const Envelope& call, core::ByteView payload);
  /// Starts an rpc; returns its ref, completed like a call's.
  std::uint64_t rpc(core::Instant now, const Pid& from, std::string_view node,
                    std::string_view function, core::ByteView payload, core::Duration timeout);
  /// Completes an rpc the host ran (local or remote caller).
  void finish_rpc(const RpcRequest& request, Result<core::Bytes> result);
  Result<MonitorRef> monitor(const Pid& watcher, const Pid& target);
  Result<void> demonitor(const Pid& watcher, MonitorRef ref);
  /// Links `from` (local) and `to`. Errors: invalid_argument (from == to), noproc (no `from`),
  /// limit_reached (`to` is remote and `from` already has remote_links_per_process_max remote
  /// links). A remote `to` that does not exist, or cannot be reached, gives `from` an exit
  /// signal (noproc, noconnection) instead of an error.
  Result<void> link(const Pid& from, const Pid& to);
  Result<void> unlink(const Pid& from, const Pid& to);
  /// Sends an exit signal from `from` to `to` (as Erlang's exit/2).
  Result<void> exit_signal(const Pid& from, const Pid& to, const ExitReason& reason);
  /// Ends local process `pid` with `reason`: DOWNs to its watchers, exits to its links.
  void end_process(const Pid& pid, const ExitReason& reason);
  /// The host could not append `envelope` to local process `id`'s mailbox (it was full):
  /// a call is answered limit_reached (rejected on the wire), anything else is counted lost.
  void delivery_refused(std::uint64_t id, Envelope&& envelope);
  /// Ends every process with `reason` and fails every pending call with closed.
  void shutdown(const ExitReason& reason);

  // Names (local registry).
  Result<void> register_name(std::string_view name, const Pid& pid);
  Result<void> unregister_name(std::string_view name);
  [[nodiscard]] std::optional<Pid> whereis(std::string_view name) const;

  // Input from peers and from the connection layer.
  /// A process frame from authenticated `node`. Errors: protocol (the caller counts it).
  Result<void> on_frame(core::Instant now, const std::string& node, core::ByteView frame);
  /// The connection to `node` was lost, or could not be made: pending calls to it fail with
  /// unreachable, monitors of its processes fire noconnection, links deliver noconnection.
  void on_node_down(const std::string& node);
  /// True while anything is in flight with `node` (calls, monitors or links either way):
  /// the idle reaper must not close its connection.
  [[nodiscard]] bool node_in_use(const std::string& node) const;

  [[nodiscard]] core::Instant next_deadline() const;
  void on_timeout(core::Instant now);
  [[nodiscard]] ProcessStats stats() const;

 private:
  /// One local process: its flags, links, monitors both ways and names.
  struct Entry {
    Pid pid;
    bool trap_exit = false;
    std::set<Pid> links;
    /// How many of `links` are on other nodes (bounded by remote_links_per_process_max).
    std::size_t remote_link_count = 0;
    /// Monitors on this process: (watcher node, ref) -> watcher.
    std::map<std::pair<std::string, std::uint64_t>, Pid> watchers;
    /// How many of `watchers` are on other nodes (bounded by remote_monitors_per_process_max).
    std::size_t remote_watcher_count = 0;
    /// Monitors this process holds: ref -> target.
    std::map<std::uint64_t, Pid> held;
    std::vector<std::string> names;
    /// Calls delivered to this process and not answered yet: (caller node, ref).
    std::set<std::pair<std::string, std::uint64_t>> open_calls;
  };
  using LinkKey = std::pair<std::uint64_t, Pid>;  // (local id, remote pid)
  struct PendingCall {
    std::string node;  ///< Where the request went (replies from elsewhere are ignored).
    core::Instant deadline;
  };
  struct RemoteMonitor {  // a local watcher's monitor of a process on another node
    Pid watcher;
    Pid target;
  };

  Entry* find(const Pid& pid);
  [[nodiscard]] const Entry* find(const Pid& pid) const;
  Entry* find_local(const wire::LocalPid& pid);
  [[nodiscard]] bool is_local(const Pid& pid) const { return pid.node == node_; }
  [[nodiscard]] wire::LocalPid local(const Pid& pid) const { return {pid.id, pid.incarnation}; }
  [[nodiscard]] Pid remote_pid(const std::string& node, const wire::LocalPid& pid) const {
    return Pid{node, pid.id, pid.incarnation};
  }
  Result<void> send_wire(const std::string& node, const wire::ProcessMessage& message);
  bool deliver(Entry& entry, Envelope&& envelope);
  void deliver_down(const Pid& watcher, MonitorRef ref, const Pid& target,
                    const ExitReason& reason);
  void apply_exit(Entry& target, const Pid& from, const ExitReason& reason, bool linked);
  std::uint64_t start_call(core::Instant now, const std::string& node, core::Duration timeout);
  void complete_call(std::uint64_t ref, Result<core::Bytes> result);
  void handle(core::Instant now, const std::string& node, wire::ProcessMessage&& message);
  void handle_call(const std::string& node, const wire::Call& call);
  void handle_exit(const std::string& node, const wire::Exit& exit);
  void handle_monitor(const std::string& node, const wire::Monitor& monitor);
  void handle_link(const std::string& node, const wire::Link& link);
  /// Adds or removes a link of `entry`, keeping its remote_link_count; false when unchanged.
  bool add_link(Entry& entry, const Pid& other);
  bool remove_link(Entry& entry, const Pid& other);
  /// Removes the watcher (node, ref) of `entry` (node != node_), keeping the counts.
  bool remove_remote_watcher(Entry& entry, const std::string& node, std::uint64_t ref);
  bool deliver_call(Entry& entry, const Pid& caller, std::uint64_t ref, core::ByteView request);
  void answer_noproc(const std::string& caller_node, std::uint64_t ref, const Pid& caller);
  void refuse_call(const std::string& caller_node, std::uint64_t ref, const Pid& caller,
                   const Pid& callee);

  std::string node_;
  std::uint64_t incarnation_;
  ProcessHost& host_;
  ProcessRouterLimits limits_;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_ref_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Entry>> processes_;
  std::map<std::string, std::uint64_t, std::less<>> names_;
  std::unordered_map<std::uint64_t, PendingCall> calls_;
  std::set<std::pair<core::Instant, std::uint64_t>> call_deadlines_;
  // Monitors held by local watchers on remote targets, by target node then ref.
  std::map<std::string, std::map<std::uint64_t, RemoteMonitor>, std::less<>> remote_monitors_;
  // Links between a local process and a remote one, by remote node: (local id, remote pid).
  std::map<std::string, std::set<LinkKey>, std::less<>> remote_links_;
  // Remote watchers of local processes, by watcher node: count of monitors.
  std::map<std::string, std::size_t, std::less<>> remote_watchers_;
  // Unanswered calls delivered to local processes: (caller node, ref) -> callee id. When the
  // callee ends first, the caller gets noproc at once instead of waiting for its timeout.
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> open_calls_;
  core::Bytes scratch_;
  ProcessStats stats_;
};

}  // namespace barrel_p2p::node
