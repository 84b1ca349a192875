// NodeImpl: processes. Loop processes run on the loop thread right after network input (no
// thread hop); worker processes and rpc functions run on the worker pool. Every operation from
// another thread is posted to the loop (one hop) and never waits for it, except those that
// must return a value (spawn, mailbox, monitor, names). See
// docs/internals/decisions/0003-process-scheduling.md.
#include <spdlog/spdlog.h>

#include "runtime/mailbox_queue.hpp"
#include "runtime/node_impl.hpp"

namespace barrel_p2p {

namespace {
// Envelopes one loop process handles before the next runnable process gets its turn.
constexpr int kProcessBatch = 64;
// Envelopes all loop processes handle before the loop polls the network again.
constexpr std::size_t kRunBudget = 4096;

// The Process a handler receives.
class HandlerProcess final : public Process {
 public:
  HandlerProcess(Node& node, NodeImpl& impl, Pid self) : Process(node, impl, std::move(self)) {}
};

std::chrono::nanoseconds to_duration(std::chrono::milliseconds timeout) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(timeout);
}

Unexpected closed() { return Unexpected(Errc::closed, "node stopped"); }
}  // namespace

Result<void> NodeImpl::on_loop(std::function<void()> job) {
  if (on_loop_thread()) {
    job();
    if (!running_processes_) after_input();
    return {};
  }
  auto posted = loop_->post([this, job = std::move(job)] {
    job();
    if (!run_scheduled_) {
      // One settle (run processes, flush) per batch of posted jobs, not one per job.
      run_scheduled_ = true;
      (void)loop_->post([this] {
        run_scheduled_ = false;
        after_input();
      });
    }
  });
  if (!posted) {
    if (loop_exited_) return closed();
    return posted;
  }
  return {};
}

// ---- spawning -------------------------------------------------------------------------------

Result<Pid> NodeImpl::spawn(Node& node, Handler handler, SpawnOptions options) {
  if (!handler) return fail(Errc::invalid_argument, "spawn: no handler");
  return call_on_loop([&]() -> Result<Pid> {
    if (stopping_) return closed();
    Pid pid = router_->spawn(options.trap_exit);
    auto process = std::make_shared<LocalProcess>();
    process->pid = pid;
    process->placement = options.placement;
    process->queue = std::make_shared<Mailbox::Queue>(
        options.mailbox_limit != 0 ? options.mailbox_limit : config_.mailbox_limit);
    process->handler = std::move(handler);
    process->context = std::make_unique<HandlerProcess>(node, *this, pid);
    processes_.emplace(pid.id, std::move(process));
    if (!options.name.empty()) {
      if (auto named = router_->register_name(options.name, pid); !named) {
        router_->end_process(pid, ExitReason::normal());
        return Unexpected(std::move(named).error());
      }
    }
    if (options.link_to.is_valid()) (void)router_->link(pid, options.link_to);
    if (!running_processes_) after_input();
    return pid;
  });
}

Result<std::unique_ptr<Mailbox>> NodeImpl::open_mailbox(Node& node, std::size_t limit) {
  return call_on_loop([&]() -> Result<std::unique_ptr<Mailbox>> {
    if (stopping_) return closed();
    Pid pid = router_->spawn(false);
    auto process = std::make_shared<LocalProcess>();
    process->pid = pid;
    process->is_mailbox = true;
    process->queue = std::make_shared<Mailbox::Queue>(limit != 0 ? limit : config_.mailbox_limit);
    auto queue = process->queue;
    processes_.emplace(pid.id, std::move(process));
    return std::unique_ptr<Mailbox>(new Mailbox(node, *this, pid, std::move(queue)));
  });
}

// ---- operations -----------------------------------------------------------------------------

Result<void> NodeImpl::process_send(const Pid& from, const Pid& to, BytesView payload) {
  if (payload.size() > config_.max_frame_size - 64) {
    return fail(Errc::invalid_argument,
                "message of " + std::to_string(payload.size()) + " bytes exceeds max_frame_size");
  }
  if (on_loop_thread()) {
    auto sent = router_->send(from, to, payload);
    if (!running_processes_) after_input();
    return sent;
  }
  return on_loop([this, from, to, bytes = Bytes(payload.begin(), payload.end())] {
    if (auto sent = router_->send(from, to, bytes); !sent) {
      log_->debug("send from {} to {} failed: {}", from.to_string(), to.to_string(),
                  sent.error().message);
    }
  });
}

Result<void> NodeImpl::process_send_named(const Pid& from, std::string_view node,
                                          std::string_view name, BytesView payload) {
  if (on_loop_thread()) {
    auto sent = router_->send_named(from, node, name, payload);
    if (!running_processes_) after_input();
    return sent;
  }
  if (node.empty() || node == config_.node_name) {
    // A local name is checked now so an unregistered name is an error, as on the loop.
    auto target = whereis(name);
    if (!target) {
      return fail(Errc::not_found, "no process registered as '" + std::string(name) + "'");
    }
    return process_send(from, *target, payload);
  }
  return on_loop([this, from, node = std::string(node), name = std::string(name),
                  bytes = Bytes(payload.begin(), payload.end())] {
    (void)router_->send_named(from, node, name, bytes);
  });
}

Future<Bytes> NodeImpl::process_call(const Pid& from, const Pid& to, BytesView request,
                                     std::chrono::milliseconds timeout) {
  if (on_loop_thread()) {
    auto future = track_call(router_->call(clock_.now(), from, to, request, to_duration(timeout)));
    if (!running_processes_) after_input();
    rearm_timer();
    return future;
  }
  Promise<Bytes> promise;
  auto future = promise.future();
  auto posted =
      on_loop([this, promise, from, to, timeout, bytes = Bytes(request.begin(), request.end())] {
        track_call(router_->call(clock_.now(), from, to, bytes, to_duration(timeout)))
            .then([promise](Result<Bytes> reply) { promise.set(std::move(reply)); });
      });
  if (!posted) promise.set(Unexpected(std::move(posted).error()));
  return future;
}

Result<void> NodeImpl::process_reply(const Envelope& call, BytesView payload) {
  if (call.kind != EnvelopeKind::call) {
    return fail(Errc::invalid_argument, "reply: the envelope is not a call");
  }
  if (on_loop_thread()) {
    auto sent = router_->reply(call, payload);
    if (!running_processes_) after_input();
    return sent;
  }
  Envelope header = node::message_envelope(call.kind, call.from, {});
  header.call_ref = call.call_ref;
  return on_loop([this, header = std::move(header), bytes = Bytes(payload.begin(), payload.end())] {
    (void)router_->reply(header, bytes);
  });
}

Future<Bytes> NodeImpl::process_rpc(const Pid& from, std::string_view node,
                                    std::string_view function, BytesView payload,
                                    std::chrono::milliseconds timeout) {
  Promise<Bytes> promise;
  auto future = promise.future();
  auto posted =
      on_loop([this, promise, from, node = std::string(node), function = std::string(function),
               bytes = Bytes(payload.begin(), payload.end()), timeout] {
        track_call(router_->rpc(clock_.now(), from, node, function, bytes, to_duration(timeout)))
            .then([promise](Result<Bytes> reply) { promise.set(std::move(reply)); });
        rearm_timer();
      });
  if (!posted) promise.set(Unexpected(std::move(posted).error()));
  return future;
}

Result<MonitorRef> NodeImpl::process_monitor(const Pid& watcher, const Pid& target) {
  return call_on_loop([&]() -> Result<MonitorRef> {
    auto ref = router_->monitor(watcher, target);
    if (!running_processes_) after_input();
    return ref;
  });
}

Result<void> NodeImpl::process_demonitor(const Pid& watcher, MonitorRef ref) {
  return on_loop([this, watcher, ref] { (void)router_->demonitor(watcher, ref); });
}

Result<void> NodeImpl::process_link(const Pid& from, const Pid& to, bool add) {
  if (from == to) return fail(Errc::invalid_argument, "link: a process cannot link to itself");
  return on_loop(
      [this, from, to, add] { (void)(add ? router_->link(from, to) : router_->unlink(from, to)); });
}

Result<void> NodeImpl::process_trap_exit(const Pid& pid, bool enabled) {
  return on_loop([this, pid, enabled] { (void)router_->set_trap_exit(pid, enabled); });
}

Result<void> NodeImpl::process_exit(const Pid& from, const Pid& to, ExitReason reason) {
  return on_loop([this, from, to, reason = std::move(reason)] {
    (void)router_->exit_signal(from, to, reason);
  });
}

void NodeImpl::process_stop(const Pid& pid, ExitReason reason) {
  (void)on_loop([this, pid, reason = std::move(reason)] { router_->end_process(pid, reason); });
}

Result<void> NodeImpl::register_name(std::string_view name, const Pid& pid) {
  return call_on_loop([&] { return router_->register_name(name, pid); });
}

Result<void> NodeImpl::unregister_name(std::string_view name) {
  return call_on_loop([&] { return router_->unregister_name(name); });
}

std::optional<Pid> NodeImpl::whereis(std::string_view name) {
  auto found = call_on_loop([&]() -> Result<std::optional<Pid>> { return router_->whereis(name); });
  return found ? *found : std::nullopt;
}

Result<void> NodeImpl::register_function(std::string_view name, RpcFunction function,
                                         Placement placement) {
  if (name.empty() || name.size() > wire::kMaxProcessNameSize) {
    return fail(Errc::invalid_argument, "register_function: a name is 1-255 bytes");
  }
  if (!function) return fail(Errc::invalid_argument, "register_function: no function");
  return call_on_loop([&]() -> Result<void> {
    if (functions_.contains(name)) {
      return fail(Errc::already_exists, "function '" + std::string(name) + "' is registered");
    }
    functions_.emplace(std::string(name),
                       std::make_shared<Function>(Function{std::move(function), placement}));
    return {};
  });
}

Result<void> NodeImpl::unregister_function(std::string_view name) {
  return call_on_loop([&]() -> Result<void> {
    auto it = functions_.find(name);
    if (it == functions_.end()) {
      return fail(Errc::not_found, "function '" + std::string(name) + "' is not registered");
    }
    functions_.erase(it);
    return {};
  });
}

// ---- ProcessHost ----------------------------------------------------------------------------

Future<Bytes> NodeImpl::track_call(std::uint64_t ref) {
  if (auto early = done_early_.find(ref); early != done_early_.end()) {
    Result<Bytes> result = std::move(early->second);
    done_early_.erase(early);
    return Future<Bytes>::ready(std::move(result));
  }
  Promise<Bytes> promise;
  auto future = promise.future();
  call_promises_.emplace(ref, std::move(promise));
  return future;
}

void NodeImpl::call_done(std::uint64_t ref, Result<Bytes> result) {
  auto it = call_promises_.find(ref);
  if (it == call_promises_.end()) {
    done_early_.emplace(ref, std::move(result));  // inside router_->call(): see track_call
    return;
  }
  Promise<Bytes> promise = std::move(it->second);
  call_promises_.erase(it);
  promise.set(std::move(result));
}

bool NodeImpl::deliver(std::uint64_t id, Envelope&& envelope) {
  auto it = processes_.find(id);
  if (it == processes_.end()) return false;
  LocalProcess& process = *it->second;
  if (!process.queue->push(std::move(envelope))) {
    if (dropped_mailbox_full_++ % 10000 == 0) {
      log_->warn("mailbox of {} is full ({} envelopes)", process.pid.to_string(),
                 process.queue->limit);
    }
    return false;
  }
  schedule(process);
  return true;
}

void NodeImpl::schedule(LocalProcess& process) {
  if (process.is_mailbox || process.scheduled || process.ended) return;
  process.scheduled = true;
  if (process.placement == Placement::loop) {
    run_queue_.push_back(process.pid.id);
    return;
  }
  auto shared = processes_.at(process.pid.id);
  if (!workers_->submit([this, shared] { run_worker_batch(shared); })) process.scheduled = false;
}

void NodeImpl::process_ended(std::uint64_t id, const ExitReason& reason) {
  auto it = processes_.find(id);
  if (it == processes_.end()) return;
  it->second->ended = true;
  it->second->queue->close(reason);
  processes_.erase(it);
}

bool NodeImpl::run_function(node::RpcRequest&& request) {
  auto it = functions_.find(request.function);
  if (it == functions_.end()) return false;
  std::shared_ptr<Function> function = it->second;
  auto run = [function](const node::RpcRequest& call) -> Result<Bytes> {
    try {
      return function->function(call.payload);
    } catch (const std::exception& error) {
      return fail(Errc::internal, std::string("the function threw: ") + error.what());
    } catch (...) {
      return fail(Errc::internal, "the function threw");
    }
  };
  if (function->placement == Placement::worker) {
    (void)workers_->submit([this, run, request = std::move(request)]() mutable {
      auto result = run(request);
      (void)on_loop([this, request = std::move(request), result = std::move(result)]() mutable {
        router_->finish_rpc(request, std::move(result));
      });
    });
    return true;
  }
  if (request.caller_node.empty()) {
    // A local caller is inside router_->rpc(): answer from a fresh loop turn.
    (void)loop_->post([this, run, request = std::move(request)] {
      router_->finish_rpc(request, run(request));
      after_input();
    });
    return true;
  }
  router_->finish_rpc(request, run(request));
  return true;
}

// ---- running handlers -----------------------------------------------------------------------

namespace {
// Runs a handler; an escaping exception ends the process with a user reason.
bool invoke(const Handler& handler, Process& context, Envelope&& envelope, ExitReason& failure) {
  try {
    handler(context, std::move(envelope));
    return true;
  } catch (const std::exception& error) {
    failure = ExitReason::user(std::string("handler threw: ") + error.what());
  } catch (...) {
    failure = ExitReason::user("handler threw");
  }
  return false;
}
}  // namespace

void NodeImpl::finish_handler(LocalProcess& process, Process& context) {
  if (!context.stop_requested_ || process.ended) return;
  context.stop_requested_ = false;
  router_->end_process(process.pid, context.stop_reason_);
}

void NodeImpl::run_processes() {
  if (running_processes_) return;
  running_processes_ = true;
  std::size_t budget = kRunBudget;
  while (!run_queue_.empty() && budget > 0) {
    const std::uint64_t id = run_queue_.front();
    run_queue_.pop_front();
    auto it = processes_.find(id);
    if (it == processes_.end()) continue;
    std::shared_ptr<LocalProcess> process = it->second;  // kept alive while it runs
    process->scheduled = false;
    for (int i = 0; i < kProcessBatch && budget > 0 && !process->ended; ++i, --budget) {
      auto envelope = process->queue->try_pop();
      if (!envelope) break;
      ExitReason failure;
      if (!invoke(process->handler, *process->context, std::move(*envelope), failure)) {
        log_->warn("process {} ended: {}", process->pid.to_string(), failure.text);
        router_->end_process(process->pid, failure);
        break;
      }
      finish_handler(*process, *process->context);
    }
    if (!process->ended && process->queue->size() > 0) schedule(*process);
  }
  running_processes_ = false;
  if (!run_queue_.empty() && !run_scheduled_) {
    run_scheduled_ = true;  // more work: yield to the network, then continue
    (void)loop_->post([this] {
      run_scheduled_ = false;
      after_input();
    });
  }
}

void NodeImpl::run_worker_batch(std::shared_ptr<LocalProcess> process) {  // worker thread
  Process& context = *process->context;
  std::optional<ExitReason> failure;
  for (int i = 0; i < kProcessBatch && !context.stop_requested_; ++i) {
    auto envelope = process->queue->try_pop();
    if (!envelope) break;
    ExitReason reason;
    if (!invoke(process->handler, context, std::move(*envelope), reason)) {
      failure = std::move(reason);
      break;
    }
  }
  (void)on_loop([this, process, failure = std::move(failure)] {
    process->scheduled = false;
    if (failure && !process->ended) {
      log_->warn("process {} ended: {}", process->pid.to_string(), failure->text);
      router_->end_process(process->pid, *failure);
    }
    finish_handler(*process, *process->context);
    if (!process->ended && process->queue->size() > 0) schedule(*process);
  });
}

}  // namespace barrel_p2p
