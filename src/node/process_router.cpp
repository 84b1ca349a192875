// ProcessRouter: local operations. Wire input is in process_router_wire.cpp.
#include "node/process_router.hpp"

#include <utility>

namespace barrel_p2p::node {

namespace {
Unexpected closed_error() { return Unexpected(Errc::closed, "the node is stopping"); }
}  // namespace

Envelope message_envelope(EnvelopeKind kind, const Pid& from, core::ByteView payload) {
  Envelope envelope;
  envelope.kind = kind;
  envelope.from = from;
  envelope.payload.assign(payload.begin(), payload.end());
  return envelope;
}

Envelope signal_envelope(EnvelopeKind kind, const Pid& from, const ExitReason& reason) {
  Envelope envelope;
  envelope.kind = kind;
  envelope.from = from;
  envelope.reason = reason;
  return envelope;
}

ProcessRouter::ProcessRouter(std::string node_name, std::uint64_t incarnation, ProcessHost& host,
                             ProcessRouterLimits limits)
    : node_(std::move(node_name)), incarnation_(incarnation), host_(host), limits_(limits) {}

Pid ProcessRouter::spawn(bool trap_exit) {
  auto entry = std::make_unique<Entry>();
  entry->pid = Pid{node_, next_id_++, incarnation_};
  entry->trap_exit = trap_exit;
  Pid pid = entry->pid;
  processes_.emplace(pid.id, std::move(entry));
  ++stats_.spawned;
  return pid;
}

ProcessRouter::Entry* ProcessRouter::find(const Pid& pid) {
  if (!is_local(pid) || pid.incarnation != incarnation_) return nullptr;
  auto it = processes_.find(pid.id);
  return it == processes_.end() ? nullptr : it->second.get();
}

const ProcessRouter::Entry* ProcessRouter::find(const Pid& pid) const {
  return const_cast<ProcessRouter*>(this)->find(pid);
}

ProcessRouter::Entry* ProcessRouter::find_local(const wire::LocalPid& pid) {
  if (pid.incarnation != incarnation_) return nullptr;
  auto it = processes_.find(pid.id);
  return it == processes_.end() ? nullptr : it->second.get();
}

bool ProcessRouter::alive(const Pid& pid) const { return find(pid) != nullptr; }

bool ProcessRouter::add_link(Entry& entry, const Pid& other) {
  if (!entry.links.insert(other).second) return false;
  if (!is_local(other)) ++entry.remote_link_count;
  return true;
}

bool ProcessRouter::remove_link(Entry& entry, const Pid& other) {
  if (entry.links.erase(other) == 0) return false;
  if (!is_local(other)) --entry.remote_link_count;
  return true;
}

bool ProcessRouter::remove_remote_watcher(Entry& entry, const std::string& node,
                                          std::uint64_t ref) {
  if (entry.watchers.erase({node, ref}) == 0) return false;
  --entry.remote_watcher_count;
  if (auto count = remote_watchers_.find(node); count != remote_watchers_.end()) {
    if (--count->second == 0) remote_watchers_.erase(count);
  }
  return true;
}

Result<void> ProcessRouter::set_trap_exit(const Pid& pid, bool enabled) {
  Entry* entry = find(pid);
  if (entry == nullptr) return fail(Errc::noproc, "no process " + pid.to_string());
  entry->trap_exit = enabled;
  return {};
}

bool ProcessRouter::deliver(Entry& entry, Envelope&& envelope) {
  return host_.deliver(entry.pid.id, std::move(envelope));
}

Result<void> ProcessRouter::send_wire(const std::string& node,
                                      const wire::ProcessMessage& message) {
  scratch_.clear();
  wire::encode_process_message(message, scratch_);
  return host_.send_frame(node, scratch_);
}

Result<void> ProcessRouter::send(const Pid& from, const Pid& to, core::ByteView payload) {
  if (!to.is_valid()) return fail(Errc::invalid_argument, "send: invalid pid");
  if (!is_local(to)) {
    auto sent = send_wire(to.node, wire::Send{local(from), wire::Target::of(local(to)), payload});
    if (sent) ++stats_.messages_remote_out;
    return sent;
  }
  Entry* entry = find(to);
  if (entry == nullptr) {
    ++stats_.dropped_noproc;
    return {};  // like Erlang's `!`: a message to a dead process is dropped
  }
  Envelope envelope = message_envelope(EnvelopeKind::message, from, payload);
  if (!deliver(*entry, std::move(envelope))) {
    return fail(Errc::limit_reached, "mailbox of " + to.to_string() + " is full");
  }
  ++stats_.messages_local;
  return {};
}

Result<void> ProcessRouter::send_named(const Pid& from, std::string_view node,
                                       std::string_view name, core::ByteView payload) {
  if (node.empty() || node == node_) {
    auto pid = whereis(name);
    if (!pid) return fail(Errc::not_found, "no process registered as '" + std::string(name) + "'");
    return send(from, *pid, payload);
  }
  auto sent = send_wire(std::string(node),
                        wire::Send{local(from), wire::Target::named(std::string(name)), payload});
  if (sent) ++stats_.messages_remote_out;
  return sent;
}

std::uint64_t ProcessRouter::start_call(core::Instant now, const std::string& node,
                                        core::Duration timeout) {
  const std::uint64_t ref = next_ref_++;
  ++stats_.calls_started;
  PendingCall pending{node, now + timeout};
  call_deadlines_.emplace(pending.deadline, ref);
  calls_.emplace(ref, std::move(pending));
  return ref;
}

void ProcessRouter::complete_call(std::uint64_t ref, Result<core::Bytes> result) {
  auto it = calls_.find(ref);
  if (it == calls_.end()) return;  // already completed (late reply, timeout)
  call_deadlines_.erase({it->second.deadline, ref});
  calls_.erase(it);
  host_.call_done(ref, std::move(result));
}

std::uint64_t ProcessRouter::call(core::Instant now, const Pid& from, const Pid& to,
                                  core::ByteView request, core::Duration timeout) {
  if (!to.is_valid() || !is_local(to)) {
    const std::uint64_t ref = start_call(now, to.node, timeout);
    if (!to.is_valid()) {
      complete_call(ref, fail(Errc::invalid_argument, "invalid pid"));
      return ref;
    }
    auto sent =
        send_wire(to.node, wire::Call{ref, local(from), wire::Target::of(local(to)), request});
    if (!sent) complete_call(ref, Unexpected(std::move(sent).error()));
    return ref;
  }
  const std::uint64_t ref = start_call(now, node_, timeout);
  Entry* entry = find(to);
  if (entry == nullptr) {
    complete_call(ref, fail(Errc::noproc, "no process " + to.to_string()));
  } else if (!deliver_call(*entry, from, ref, request)) {
    complete_call(ref, fail(Errc::limit_reached, "mailbox of " + to.to_string() + " is full"));
  }
  return ref;
}

bool ProcessRouter::deliver_call(Entry& entry, const Pid& caller, std::uint64_t ref,
                                 core::ByteView request) {
  Envelope envelope = message_envelope(EnvelopeKind::call, caller, request);
  envelope.call_ref = ref;
  if (!deliver(entry, std::move(envelope))) return false;
  if (open_calls_.emplace(std::pair{caller.node, ref}, entry.pid.id).second) {
    entry.open_calls.emplace(caller.node, ref);
  }
  return true;
}

void ProcessRouter::answer_noproc(const std::string& caller_node, std::uint64_t ref,
                                  const Pid& caller) {
  if (caller_node == node_) {
    complete_call(ref, fail(Errc::noproc, "the called process ended without replying"));
  } else {
    (void)send_wire(caller_node, wire::Reply{ref, local(caller), wire::ReplyStatus::noproc, {}});
  }
}

void ProcessRouter::refuse_call(const std::string& caller_node, std::uint64_t ref,
                                const Pid& caller, const Pid& callee) {
  if (caller_node == node_) {
    complete_call(ref, fail(Errc::limit_reached, "mailbox of " + callee.to_string() + " is full"));
  } else {
    (void)send_wire(caller_node, wire::Reply{ref, local(caller), wire::ReplyStatus::rejected, {}});
  }
}

void ProcessRouter::delivery_refused(std::uint64_t id, Envelope&& envelope) {
  ++stats_.dropped_mailbox_full;
  if (envelope.kind != EnvelopeKind::call) return;  // a message, DOWN or EXIT is lost: counted
  const std::pair<std::string, std::uint64_t> key{envelope.from.node, envelope.call_ref};
  auto open = open_calls_.find(key);
  if (open == open_calls_.end() || open->second != id) return;  // already answered
  open_calls_.erase(open);
  Pid callee{node_, id, incarnation_};
  if (auto process = processes_.find(id); process != processes_.end()) {
    process->second->open_calls.erase(key);
  }
  refuse_call(envelope.from.node, envelope.call_ref, envelope.from, callee);
}

Result<void> ProcessRouter::reply(const Envelope& call, core::ByteView payload) {
  if (call.kind != EnvelopeKind::call) {
    return fail(Errc::invalid_argument, "reply: the envelope is not a call");
  }
  if (auto open = open_calls_.find({call.from.node, call.call_ref}); open != open_calls_.end()) {
    if (auto process = processes_.find(open->second); process != processes_.end()) {
      process->second->open_calls.erase(open->first);
    }
    open_calls_.erase(open);
  }
  if (is_local(call.from)) {
    complete_call(call.call_ref, core::Bytes(payload.begin(), payload.end()));
    return {};
  }
  return send_wire(call.from.node,
                   wire::Reply{call.call_ref, local(call.from), wire::ReplyStatus::ok, payload});
}

std::uint64_t ProcessRouter::rpc(core::Instant now, const Pid& from, std::string_view node,
                                 std::string_view function, core::ByteView payload,
                                 core::Duration timeout) {
  const bool here = node.empty() || node == node_;
  const std::uint64_t ref = start_call(now, here ? node_ : std::string(node), timeout);
  if (here) {
    RpcRequest request{
        {}, local(from), ref, std::string(function), core::Bytes(payload.begin(), payload.end())};
    if (!host_.run_function(std::move(request))) {
      complete_call(ref, fail(Errc::not_found,
                              "no function '" + std::string(function) + "' on node " + node_));
    }
    return ref;
  }
  auto sent =
      send_wire(std::string(node), wire::Rpc{ref, local(from), std::string(function), payload});
  if (!sent) complete_call(ref, Unexpected(std::move(sent).error()));
  return ref;
}

void ProcessRouter::finish_rpc(const RpcRequest& request, Result<core::Bytes> result) {
  if (request.caller_node.empty()) {
    if (!result) {
      complete_call(request.ref,
                    fail(Errc::remote, request.function + ": " + result.error().message));
    } else {
      complete_call(request.ref, std::move(result));
    }
    return;
  }
  core::Bytes text;
  wire::Reply reply{request.ref, request.caller, wire::ReplyStatus::ok, {}};
  if (result) {
    reply.payload = *result;
  } else {
    reply.status = wire::ReplyStatus::function_failed;
    std::string message = result.error().to_string();
    if (message.size() > wire::kMaxReplyErrorSize) message.resize(wire::kMaxReplyErrorSize);
    text.assign(message.begin(), message.end());
    reply.payload = text;
  }
  (void)send_wire(request.caller_node, reply);  // a lost caller connection fails its call there
}

void ProcessRouter::deliver_down(const Pid& watcher, MonitorRef ref, const Pid& target,
                                 const ExitReason& reason) {
  Entry* entry = find(watcher);
  if (entry == nullptr) return;
  entry->held.erase(ref.value);
  Envelope envelope = signal_envelope(EnvelopeKind::down, target, reason);
  envelope.monitor = ref;
  (void)deliver(*entry, std::move(envelope));  // a full mailbox loses the notice: counted there
}

Result<MonitorRef> ProcessRouter::monitor(const Pid& watcher, const Pid& target) {
  Entry* owner = find(watcher);
  if (owner == nullptr) return fail(Errc::noproc, "monitor: no process " + watcher.to_string());
  MonitorRef ref{next_ref_++};
  owner->held.emplace(ref.value, target);
  if (is_local(target)) {
    Entry* entry = find(target);
    if (entry == nullptr) {
      deliver_down(watcher, ref, target, ExitReason{ExitCode::noproc, {}});
    } else {
      entry->watchers.emplace(std::pair{node_, ref.value}, watcher);
    }
    return ref;
  }
  remote_monitors_[target.node].emplace(ref.value, RemoteMonitor{watcher, target});
  auto sent = send_wire(target.node,
                        wire::Monitor{ref.value, local(watcher), wire::Target::of(local(target))});
  if (!sent) {
    remote_monitors_[target.node].erase(ref.value);
    deliver_down(watcher, ref, target, ExitReason{ExitCode::noconnection, sent.error().message});
  }
  return ref;
}

Result<void> ProcessRouter::demonitor(const Pid& watcher, MonitorRef ref) {
  Entry* owner = find(watcher);
  if (owner == nullptr) return {};
  auto held = owner->held.find(ref.value);
  if (held == owner->held.end()) return {};
  Pid target = held->second;
  owner->held.erase(held);
  if (is_local(target)) {
    if (Entry* entry = find(target)) entry->watchers.erase({node_, ref.value});
    return {};
  }
  auto node = remote_monitors_.find(target.node);
  if (node != remote_monitors_.end()) node->second.erase(ref.value);
  (void)send_wire(target.node, wire::Demonitor{ref.value, local(watcher)});
  return {};
}

Result<void> ProcessRouter::link(const Pid& from, const Pid& to) {
  if (from == to) return fail(Errc::invalid_argument, "link: a process cannot link to itself");
  Entry* a = find(from);
  if (a == nullptr) return fail(Errc::noproc, "link: no process " + from.to_string());
  if (a->links.contains(to)) return {};
  if (is_local(to)) {
    Entry* b = find(to);
    if (b == nullptr) {
      apply_exit(*a, to, ExitReason{ExitCode::noproc, {}}, true);
      return {};
    }
    add_link(*a, to);
    add_link(*b, from);
    return {};
  }
  if (a->remote_link_count >= limits_.remote_links_per_process_max) {
    return fail(Errc::limit_reached, "link: " + from.to_string() + " already has " +
                                         std::to_string(a->remote_link_count) +
                                         " links to other nodes (the limit)");
  }
  add_link(*a, to);
  remote_links_[to.node].emplace(from.id, to);
  auto sent = send_wire(to.node, wire::Link{local(from), local(to)});
  if (!sent) {
    remove_link(*a, to);
    remote_links_[to.node].erase(LinkKey{from.id, to});
    apply_exit(*a, to, ExitReason{ExitCode::noconnection, sent.error().message}, true);
  }
  return {};
}

Result<void> ProcessRouter::unlink(const Pid& from, const Pid& to) {
  Entry* a = find(from);
  if (a == nullptr || !remove_link(*a, to)) return {};
  if (is_local(to)) {
    if (Entry* b = find(to)) remove_link(*b, from);
    return {};
  }
  if (auto it = remote_links_.find(to.node); it != remote_links_.end()) {
    it->second.erase(LinkKey{from.id, to});
  }
  (void)send_wire(to.node, wire::Unlink{local(from), local(to)});
  return {};
}

void ProcessRouter::apply_exit(Entry& target, const Pid& from, const ExitReason& reason,
                               bool linked) {
  if (!linked && reason.code == ExitCode::killed) {
    end_process(target.pid, reason);  // kill cannot be trapped
    return;
  }
  if (target.trap_exit) {
    Envelope envelope = signal_envelope(EnvelopeKind::exit, from, reason);
    (void)deliver(target, std::move(envelope));
    return;
  }
  if (reason.is_normal()) return;  // normal exit signals end nobody
  end_process(target.pid, reason);
}

Result<void> ProcessRouter::exit_signal(const Pid& from, const Pid& to, const ExitReason& reason) {
  if (!is_local(to)) {
    return send_wire(to.node, wire::Exit{local(from), local(to), to_wire(reason), false});
  }
  Entry* entry = find(to);
  if (entry == nullptr) return {};
  apply_exit(*entry, from, reason, false);
  return {};
}

void ProcessRouter::end_process(const Pid& pid, const ExitReason& reason) {
  auto it = processes_.find(pid.id);
  if (it == processes_.end() || it->second->pid != pid) return;
  std::unique_ptr<Entry> entry = std::move(it->second);
  processes_.erase(it);
  ++stats_.exited;
  for (const auto& name : entry->names) names_.erase(name);
  // Calls it will never answer.
  for (const auto& [caller_node, ref] : entry->open_calls) {
    open_calls_.erase({caller_node, ref});
    answer_noproc(caller_node, ref, Pid{caller_node, 0, 0});
  }
  // Monitors this process held.
  for (const auto& [ref, target] : entry->held) {
    if (is_local(target)) {
      if (Entry* other = find(target)) other->watchers.erase({node_, ref});
    } else {
      if (auto node = remote_monitors_.find(target.node); node != remote_monitors_.end()) {
        node->second.erase(ref);
      }
      (void)send_wire(target.node, wire::Demonitor{ref, local(pid)});
    }
  }
  // Monitors on this process: one DOWN each.
  for (const auto& [key, watcher] : entry->watchers) {
    const auto& [watcher_node, ref] = key;
    if (watcher_node == node_) {
      deliver_down(watcher, MonitorRef{ref}, pid, reason);
    } else {
      if (auto count = remote_watchers_.find(watcher_node); count != remote_watchers_.end()) {
        if (--count->second == 0) remote_watchers_.erase(count);
      }
      (void)send_wire(watcher_node, wire::Down{ref, local(watcher), local(pid), to_wire(reason)});
    }
  }
  // Links: exit signals both ways.
  for (const Pid& other : entry->links) {
    if (is_local(other)) {
      if (Entry* peer = find(other)) {
        remove_link(*peer, pid);
        apply_exit(*peer, pid, reason, true);
      }
    } else {
      if (auto node = remote_links_.find(other.node); node != remote_links_.end()) {
        node->second.erase(LinkKey{pid.id, other});
      }
      (void)send_wire(other.node, wire::Exit{local(pid), local(other), to_wire(reason), true});
    }
  }
  host_.process_ended(pid.id, reason);
}

void ProcessRouter::shutdown(const ExitReason& reason) {
  while (!processes_.empty()) {
    end_process(processes_.begin()->second->pid, reason);
  }
  while (!calls_.empty()) complete_call(calls_.begin()->first, closed_error());
}

Result<void> ProcessRouter::register_name(std::string_view name, const Pid& pid) {
  if (name.empty() || name.size() > wire::kMaxProcessNameSize) {
    return fail(Errc::invalid_argument, "register_name: a name is 1-255 bytes");
  }
  Entry* entry = find(pid);
  if (entry == nullptr) return fail(Errc::noproc, "register_name: no process " + pid.to_string());
  if (names_.contains(name)) {
    return fail(Errc::already_exists, "register_name: '" + std::string(name) + "' is taken");
  }
  names_.emplace(std::string(name), pid.id);
  entry->names.emplace_back(name);
  return {};
}

Result<void> ProcessRouter::unregister_name(std::string_view name) {
  auto it = names_.find(name);
  if (it == names_.end()) {
    return fail(Errc::not_found, "unregister_name: '" + std::string(name) + "' is not registered");
  }
  if (auto process = processes_.find(it->second); process != processes_.end()) {
    std::erase(process->second->names, std::string(name));
  }
  names_.erase(it);
  return {};
}

std::optional<Pid> ProcessRouter::whereis(std::string_view name) const {
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return Pid{node_, it->second, incarnation_};
}

void ProcessRouter::on_node_down(const std::string& node) {
  std::vector<std::uint64_t> failed;
  for (const auto& [ref, call] : calls_) {
    if (call.node == node) failed.push_back(ref);
  }
  for (auto ref : failed) {
    complete_call(ref, fail(Errc::unreachable, "connection to node " + node + " lost"));
  }
  // Calls from that node can no longer be answered.
  for (auto it = open_calls_.lower_bound({node, 0});
       it != open_calls_.end() && it->first.first == node;) {
    if (auto process = processes_.find(it->second); process != processes_.end()) {
      process->second->open_calls.erase(it->first);
    }
    it = open_calls_.erase(it);
  }
  ExitReason lost{ExitCode::noconnection, "connection to node " + node + " lost"};
  if (auto it = remote_monitors_.find(node); it != remote_monitors_.end()) {
    auto monitors = std::move(it->second);
    remote_monitors_.erase(it);
    for (const auto& [ref, monitor] : monitors) {
      deliver_down(monitor.watcher, MonitorRef{ref}, monitor.target, lost);
    }
  }
  if (remote_watchers_.erase(node) > 0) {
    for (auto& [id, entry] : processes_) {
      entry->remote_watcher_count -= std::erase_if(
          entry->watchers, [&](const auto& item) { return item.first.first == node; });
    }
  }
  if (auto it = remote_links_.find(node); it != remote_links_.end()) {
    auto links = std::move(it->second);
    remote_links_.erase(it);
    for (const auto& [id, remote] : links) {
      auto process = processes_.find(id);
      if (process == processes_.end()) continue;
      Entry& entry = *process->second;
      if (!remove_link(entry, remote)) continue;
      apply_exit(entry, remote, lost, true);
    }
  }
}

bool ProcessRouter::node_in_use(const std::string& node) const {
  for (const auto& [ref, call] : calls_) {
    if (call.node == node) return true;
  }
  if (auto it = remote_monitors_.find(node); it != remote_monitors_.end() && !it->second.empty()) {
    return true;
  }
  if (auto it = remote_links_.find(node); it != remote_links_.end() && !it->second.empty()) {
    return true;
  }
  return remote_watchers_.contains(node);
}

core::Instant ProcessRouter::next_deadline() const {
  return call_deadlines_.empty() ? core::Instant::never() : call_deadlines_.begin()->first;
}

void ProcessRouter::on_timeout(core::Instant now) {
  while (!call_deadlines_.empty() && call_deadlines_.begin()->first <= now) {
    auto ref = call_deadlines_.begin()->second;
    ++stats_.calls_timed_out;
    complete_call(ref, fail(Errc::timeout, "no reply within the call timeout"));
  }
}

ProcessStats ProcessRouter::stats() const {
  ProcessStats stats = stats_;
  stats.processes = processes_.size();
  stats.pending_calls = calls_.size();
  for (const auto& [node, count] : remote_watchers_) stats.remote_monitors += count;
  for (const auto& [node, links] : remote_links_) stats.remote_links += links.size();
  return stats;
}

}  // namespace barrel_p2p::node
