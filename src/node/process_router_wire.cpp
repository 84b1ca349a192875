// ProcessRouter: process frames from peers. `node` is the authenticated sender, so every pid a
// frame names on the sender's side is that node's own: a peer cannot speak for another node.
#include <utility>

#include "node/process_router.hpp"

namespace barrel_p2p::node {

wire::Reason to_wire(const ExitReason& reason) {
  std::string text = reason.text;
  if (text.size() > wire::kMaxReasonTextSize) text.resize(wire::kMaxReasonTextSize);
  return wire::Reason{static_cast<wire::ReasonCode>(reason.code), std::move(text)};
}

ExitReason from_wire(const wire::Reason& reason) {
  return ExitReason{static_cast<ExitCode>(reason.code), reason.text};
}

namespace {
Error reply_error(const std::string& node, wire::ReplyStatus status, core::ByteView text) {
  std::string detail(text.begin(), text.end());
  switch (status) {
    case wire::ReplyStatus::noproc: return {Errc::noproc, "no such process on node " + node};
    case wire::ReplyStatus::unknown_function:
      return {Errc::not_found,
              "node " + node + " has no such function" + (detail.empty() ? "" : ": " + detail)};
    case wire::ReplyStatus::function_failed:
      return {Errc::remote, "function failed on node " + node + ": " + detail};
    case wire::ReplyStatus::rejected:
      return {Errc::limit_reached, "the callee's mailbox on node " + node + " is full"};
    case wire::ReplyStatus::ok: break;
  }
  return {Errc::internal, "unexpected reply status"};
}
}  // namespace

Result<void> ProcessRouter::on_frame(core::Instant now, const std::string& node,
                                     core::ByteView frame) {
  auto message = wire::decode_process_message(frame);
  if (!message) {
    ++stats_.protocol_errors;
    return Unexpected(Errc::protocol, "process frame: " + message.error().message);
  }
  handle(now, node, std::move(*message));
  return {};
}

void ProcessRouter::handle_call(const std::string& node, const wire::Call& call) {
  Pid caller = remote_pid(node, call.from);
  Entry* entry = nullptr;
  if (call.to.is_name()) {
    if (auto it = names_.find(call.to.name); it != names_.end()) {
      entry = processes_.at(it->second).get();
    }
  } else {
    entry = find_local(call.to.pid);
  }
  wire::Reply refusal{call.ref, call.from, wire::ReplyStatus::noproc, {}};
  if (entry != nullptr) {
    if (deliver_call(*entry, caller, call.ref, call.payload)) return;
    refusal.status = wire::ReplyStatus::rejected;
  }
  (void)send_wire(node, refusal);
}

void ProcessRouter::handle_exit(const std::string& node, const wire::Exit& exit) {
  Entry* entry = find_local(exit.to);
  Pid from = remote_pid(node, exit.from);
  if (entry == nullptr) return;
  if (exit.linked) {
    // Only a link that exists carries an exit signal.
    if (!remove_link(*entry, from)) return;
    if (auto it = remote_links_.find(node); it != remote_links_.end()) {
      it->second.erase(LinkKey{entry->pid.id, from});
    }
  }
  apply_exit(*entry, from, from_wire(exit.reason), exit.linked);
}

// A MONITOR from a peer: acknowledged, or answered with its one DOWN (noproc when the target
// does not exist; noconnection when the target already has remote_monitors_per_process_max
// remote watchers, see ProcessRouterLimits).
void ProcessRouter::handle_monitor(const std::string& node, const wire::Monitor& monitor) {
  Entry* entry = nullptr;
  if (monitor.target.is_name()) {
    if (auto it = names_.find(monitor.target.name); it != names_.end()) {
      entry = processes_.at(it->second).get();
    }
  } else {
    entry = find_local(monitor.target.pid);
  }
  if (entry == nullptr) {
    wire::LocalPid target = monitor.target.is_name() ? wire::LocalPid{} : monitor.target.pid;
    (void)send_wire(node, wire::Down{monitor.ref, monitor.watcher, target,
                                     to_wire(ExitReason{ExitCode::noproc, {}})});
    return;
  }
  const std::pair<std::string, std::uint64_t> key{node, monitor.ref};
  // A repeated MONITOR for an accepted monitor is acknowledged again: refusing it would give
  // that monitor a second DOWN.
  if (!entry->watchers.contains(key)) {
    if (entry->remote_watcher_count >= limits_.remote_monitors_per_process_max) {
      ++stats_.remote_monitors_refused;
      ExitReason refused{ExitCode::noconnection, "monitor refused: " + entry->pid.to_string() +
                                                     " has " +
                                                     std::to_string(entry->remote_watcher_count) +
                                                     " monitors from other nodes (the limit)"};
      (void)send_wire(
          node, wire::Down{monitor.ref, monitor.watcher, local(entry->pid), to_wire(refused)});
      return;
    }
    entry->watchers.emplace(key, remote_pid(node, monitor.watcher));
    ++entry->remote_watcher_count;
    ++remote_watchers_[node];
  }
  (void)send_wire(node, wire::MonitorAck{monitor.ref, monitor.watcher, local(entry->pid)});
}

// A LINK from a peer: acknowledged, or answered with a linked EXIT (noproc when the target does
// not exist; noconnection when it already has remote_links_per_process_max remote links).
void ProcessRouter::handle_link(const std::string& node, const wire::Link& link) {
  Entry* entry = find_local(link.to);
  Pid from = remote_pid(node, link.from);
  ExitReason refused{ExitCode::noproc, {}};
  if (entry != nullptr && !entry->links.contains(from) &&
      entry->remote_link_count >= limits_.remote_links_per_process_max) {
    ++stats_.remote_links_refused;
    refused =
        ExitReason{ExitCode::noconnection, "link refused: " + entry->pid.to_string() + " has " +
                                               std::to_string(entry->remote_link_count) +
                                               " links to other nodes (the limit)"};
    entry = nullptr;
  }
  if (entry == nullptr) {
    (void)send_wire(node, wire::Exit{link.to, link.from, to_wire(refused), true});
    return;
  }
  add_link(*entry, from);
  remote_links_[node].emplace(entry->pid.id, from);
  (void)send_wire(node, wire::LinkAck{link.to, link.from});
}

void ProcessRouter::handle(core::Instant /*now*/, const std::string& node,
                           wire::ProcessMessage&& message) {
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, wire::Send>) {
          ++stats_.messages_remote_in;
          Entry* entry = nullptr;
          if (m.to.is_name()) {
            if (auto it = names_.find(m.to.name); it != names_.end()) {
              entry = processes_.at(it->second).get();
            }
          } else {
            entry = find_local(m.to.pid);
          }
          if (entry == nullptr) {
            ++stats_.dropped_noproc;
            return;
          }
          Envelope envelope =
              message_envelope(EnvelopeKind::message, remote_pid(node, m.from), m.payload);
          if (!deliver(*entry, std::move(envelope))) ++stats_.dropped_mailbox_full;
        } else if constexpr (std::is_same_v<M, wire::Call>) {
          ++stats_.messages_remote_in;
          handle_call(node, m);
        } else if constexpr (std::is_same_v<M, wire::Reply>) {
          auto it = calls_.find(m.ref);
          if (it == calls_.end() || it->second.node != node) return;  // late, or not theirs
          if (m.status == wire::ReplyStatus::ok) {
            complete_call(m.ref, core::Bytes(m.payload.begin(), m.payload.end()));
          } else {
            complete_call(m.ref, Unexpected(reply_error(node, m.status, m.payload)));
          }
        } else if constexpr (std::is_same_v<M, wire::Rpc>) {
          RpcRequest request{node, m.from, m.ref, m.function,
                             core::Bytes(m.payload.begin(), m.payload.end())};
          if (!host_.run_function(std::move(request))) {
            (void)send_wire(node, wire::Reply{m.ref, m.from, wire::ReplyStatus::unknown_function,
                                              core::as_bytes(m.function)});
          }
        } else if constexpr (std::is_same_v<M, wire::Monitor>) {
          handle_monitor(node, m);
        } else if constexpr (std::is_same_v<M, wire::MonitorAck>) {
          // The monitor is in place; nothing to do (its entry already exists here).
        } else if constexpr (std::is_same_v<M, wire::Demonitor>) {
          for (auto& [id, entry] : processes_) {
            if (remove_remote_watcher(*entry, node, m.ref)) break;
          }
        } else if constexpr (std::is_same_v<M, wire::Down>) {
          auto it = remote_monitors_.find(node);
          if (it == remote_monitors_.end()) return;
          auto monitor = it->second.find(m.ref);
          if (monitor == it->second.end()) return;  // demonitored, or already fired
          RemoteMonitor fired = monitor->second;
          it->second.erase(monitor);
          deliver_down(fired.watcher, MonitorRef{m.ref}, fired.target, from_wire(m.reason));
        } else if constexpr (std::is_same_v<M, wire::Link>) {
          handle_link(node, m);
        } else if constexpr (std::is_same_v<M, wire::LinkAck>) {
          // The link is in place on both sides.
        } else if constexpr (std::is_same_v<M, wire::Unlink>) {
          Entry* entry = find_local(m.to);
          Pid from = remote_pid(node, m.from);
          if (entry == nullptr) return;
          remove_link(*entry, from);
          if (auto it = remote_links_.find(node); it != remote_links_.end()) {
            it->second.erase(LinkKey{entry->pid.id, from});
          }
        } else if constexpr (std::is_same_v<M, wire::Exit>) {
          handle_exit(node, m);
        }
      },
      message);
}

}  // namespace barrel_p2p::node
