// NodeImpl: local processes. The Engine's process router decides what happens; the driver
// keeps mailboxes and handlers. Loop processes run on the loop thread in the user phase of a
// turn (no thread hop); worker processes and rpc functions run on the worker pool. Operations
// from other threads are posted to the loop (one hop); only those that must return a value
// wait for it (spawn, mailbox, monitor, names).
// docs/internals/decisions/0003-process-scheduling.md.
#include <spdlog/spdlog.h>

#include "runtime/mailbox_queue.hpp"
#include "runtime/node_driver.hpp"

namespace barrel_p2p {

namespace {
// Envelopes one loop process handles before the next runnable process gets its turn.
constexpr int kProcessBatch = 64;
// Envelopes all loop processes of the node handle before the loop polls the network again.
constexpr std::size_t kRunBudget = 4096;

core::Duration to_duration(std::chrono::milliseconds timeout) {
  return std::chrono::duration_cast<core::Duration>(timeout);
}

Unexpected closed() { return Unexpected(Errc::closed, "node stopped"); }

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

/// The Process a handler receives: the driver reads the stop it asked for.
struct NodeImpl::HandlerContext final : Process {
  HandlerContext(Node& node, Pid self) : Process(node, std::move(self)) {}
  /// The reason of a stop() the handler asked for, once (then cleared).
  std::optional<ExitReason> take_stop() {
    if (!stop_requested_) return std::nullopt;
    stop_requested_ = false;
    return std::move(stop_reason_);
  }
  [[nodiscard]] bool stop_requested() const { return stop_requested_; }
};

Result<void> NodeImpl::on_loop(std::function<void()> job) {
  if (on_loop_thread()) {
    if (finished_) return closed();
    job();
    request_turn();
    return {};
  }
  if (stopped_.load()) return closed();
  return loop_->post([this, job = std::move(job)] {
    if (finished_) return;
    job();
    request_turn();  // one turn for every job posted before it runs
  });
}

// ---- spawning ------------------------------------------------------------------------------

Result<Pid> NodeImpl::spawn(Node& node, Handler handler, SpawnOptions options) {
  if (!handler) return fail(Errc::invalid_argument, "spawn: no handler");
  return call_on_loop(
      [&]() -> Result<Pid> { return spawn_on_loop(node, std::move(handler), std::move(options)); });
}

Result<Pid> NodeImpl::spawn_on_loop(Node& node, Handler handler, SpawnOptions options) {
  if (stopping_) return closed();
  node::ProcessRouter& router = engine_->processes();
  Pid pid = router.spawn(options.trap_exit);
  auto process = std::make_shared<LocalProcess>();
  process->pid = pid;
  process->placement = options.placement;
  process->queue = std::make_shared<detail::MailboxQueue>(
      options.mailbox_limit != 0 ? options.mailbox_limit : config_.mailbox_limit);
  process->handler = std::move(handler);
  process->context = std::make_unique<HandlerContext>(node, pid);
  {
    std::lock_guard lock(directory_mutex_);
    directory_.emplace(pid.id, process->queue);
  }
  processes_.emplace(pid.id, std::move(process));
  if (!options.name.empty()) {
    if (auto named = router.register_name(options.name, pid); !named) {
      router.end_process(pid, ExitReason::normal());
      return Unexpected(std::move(named).error());
    }
  }
  if (options.link_to.is_valid()) (void)router.link(pid, options.link_to);
  return pid;
}

Result<std::unique_ptr<Mailbox>> NodeImpl::open_mailbox(Node& node, std::size_t limit) {
  return call_on_loop([&]() -> Result<std::unique_ptr<Mailbox>> {
    if (stopping_) return closed();
    Pid pid = engine_->processes().spawn(false);
    auto process = std::make_shared<LocalProcess>();
    process->pid = pid;
    process->is_mailbox = true;
    process->queue =
        std::make_shared<detail::MailboxQueue>(limit != 0 ? limit : config_.mailbox_limit);
    auto queue = process->queue;
    {
      std::lock_guard lock(directory_mutex_);
      directory_.emplace(pid.id, queue);
    }
    processes_.emplace(pid.id, std::move(process));
    return std::make_unique<Mailbox>(node, pid, std::move(queue));
  });
}

// ---- operations ----------------------------------------------------------------------------

Result<void> NodeImpl::check_mailbox(const Pid& to) const {
  if (to.node != config_.node_name || to.incarnation != incarnation_) return {};
  std::lock_guard lock(directory_mutex_);
  auto it = directory_.find(to.id);
  if (it == directory_.end() || it->second->reserve()) return {};
  return fail(Errc::limit_reached, "the mailbox of " + to.to_string() + " is full (" +
                                       std::to_string(it->second->limit) + " envelopes)");
}

Result<void> NodeImpl::process_send(const Pid& from, const Pid& to, BytesView payload) {
  if (payload.size() > config_.max_frame_size - 64) {
    return fail(Errc::invalid_argument,
                "message of " + std::to_string(payload.size()) + " bytes exceeds max_frame_size");
  }
  if (auto room = check_mailbox(to); !room) return room;
  if (on_loop_thread()) {
    if (finished_) return closed();
    auto sent = engine_->processes().send(from, to, payload);
    if (!sent) release_mailbox(to);
    request_turn();
    return sent;
  }
  return on_loop([this, from, to, bytes = Bytes(payload.begin(), payload.end())] {
    if (auto sent = engine_->processes().send(from, to, bytes); !sent) {
      release_mailbox(to);
      log_->debug("send from {} to {} failed: {}", from.to_string(), to.to_string(),
                  sent.error().message);
    }
  });
}

void NodeImpl::release_mailbox(const Pid& to) const {
  if (to.node != config_.node_name || to.incarnation != incarnation_) return;
  std::lock_guard lock(directory_mutex_);
  if (auto it = directory_.find(to.id); it != directory_.end()) it->second->release();
}

Result<void> NodeImpl::process_send_named(const Pid& from, std::string_view node,
                                          std::string_view name, BytesView payload) {
  if (node.empty() || node == config_.node_name) {
    // A local name is checked now, so an unregistered name is an error from every thread.
    auto target = whereis(name);
    if (!target) {
      return fail(Errc::not_found, "no process registered as '" + std::string(name) + "'");
    }
    return process_send(from, *target, payload);
  }
  return on_loop([this, from, node = std::string(node), name = std::string(name),
                  bytes = Bytes(payload.begin(), payload.end())] {
    (void)engine_->processes().send_named(from, node, name, bytes);
  });
}

Future<Bytes> NodeImpl::process_call(const Pid& from, const Pid& to, BytesView request,
                                     std::chrono::milliseconds timeout) {
  Promise<Bytes> promise;
  auto future = promise.future();
  auto started = on_loop([this, promise, from, to, timeout,
                          bytes = Bytes(request.begin(), request.end())] {
    call_promises_.emplace(engine_->call(now(), from, to, bytes, to_duration(timeout)), promise);
  });
  if (!started) promise.set(Unexpected(std::move(started).error()));
  return future;
}

Result<void> NodeImpl::process_reply(const Envelope& call, BytesView payload) {
  if (call.kind != EnvelopeKind::call) {
    return fail(Errc::invalid_argument, "reply: the envelope is not a call");
  }
  if (on_loop_thread()) {
    if (finished_) return closed();
    auto sent = engine_->processes().reply(call, payload);
    request_turn();
    return sent;
  }
  Envelope header = node::message_envelope(call.kind, call.from, {});
  header.call_ref = call.call_ref;
  return on_loop([this, header = std::move(header), bytes = Bytes(payload.begin(), payload.end())] {
    (void)engine_->processes().reply(header, bytes);
  });
}

Future<Bytes> NodeImpl::process_rpc(const Pid& from, std::string_view node,
                                    std::string_view function, BytesView payload,
                                    std::chrono::milliseconds timeout) {
  Promise<Bytes> promise;
  auto future = promise.future();
  auto started =
      on_loop([this, promise, from, node = std::string(node), function = std::string(function),
               bytes = Bytes(payload.begin(), payload.end()), timeout] {
        call_promises_.emplace(
            engine_->rpc(now(), from, node, function, bytes, to_duration(timeout)), promise);
      });
  if (!started) promise.set(Unexpected(std::move(started).error()));
  return future;
}

Result<MonitorRef> NodeImpl::process_monitor(const Pid& watcher, const Pid& target) {
  return call_on_loop([&] { return engine_->processes().monitor(watcher, target); });
}

Result<void> NodeImpl::process_demonitor(const Pid& watcher, MonitorRef ref) {
  return on_loop([this, watcher, ref] { (void)engine_->processes().demonitor(watcher, ref); });
}

Result<void> NodeImpl::process_link(const Pid& from, const Pid& to, bool add) {
  if (from == to) return fail(Errc::invalid_argument, "link: a process cannot link to itself");
  return on_loop([this, from, to, add] {
    auto& router = engine_->processes();
    (void)(add ? router.link(from, to) : router.unlink(from, to));
  });
}

Result<void> NodeImpl::process_trap_exit(const Pid& pid, bool enabled) {
  return on_loop([this, pid, enabled] { (void)engine_->processes().set_trap_exit(pid, enabled); });
}

Result<void> NodeImpl::process_exit(const Pid& from, const Pid& to, ExitReason reason) {
  return on_loop([this, from, to, reason = std::move(reason)] {
    (void)engine_->processes().exit_signal(from, to, reason);
  });
}

void NodeImpl::process_stop(const Pid& pid, ExitReason reason) {
  (void)on_loop(
      [this, pid, reason = std::move(reason)] { engine_->processes().end_process(pid, reason); });
}

Result<void> NodeImpl::register_name(std::string_view name, const Pid& pid) {
  return call_on_loop([&] { return engine_->processes().register_name(name, pid); });
}

Result<void> NodeImpl::unregister_name(std::string_view name) {
  return call_on_loop([&] { return engine_->processes().unregister_name(name); });
}

std::optional<Pid> NodeImpl::whereis(std::string_view name) {
  auto found = call_on_loop(
      [&]() -> Result<std::optional<Pid>> { return engine_->processes().whereis(name); });
  return found ? *found : std::nullopt;
}

Result<void> NodeImpl::register_function(std::string_view name, RpcFunction function,
                                         Placement placement) {
  if (name.empty() || name.size() > wire::kMaxProcessNameSize) {
    return fail(Errc::invalid_argument, "register_function: a name is 1-255 bytes");
  }
  if (!function) return fail(Errc::invalid_argument, "register_function: no function");
  return call_on_loop([&]() -> Result<void> {
    if (auto added = engine_->add_function(name); !added) return added;
    functions_.emplace(std::string(name),
                       std::make_shared<Function>(Function{std::move(function), placement}));
    return {};
  });
}

Result<void> NodeImpl::unregister_function(std::string_view name) {
  return call_on_loop([&]() -> Result<void> {
    if (auto removed = engine_->remove_function(name); !removed) return removed;
    functions_.erase(functions_.find(name));
    return {};
  });
}

// ---- the Engine's process commands -----------------------------------------------------------

void NodeImpl::complete_call(std::uint64_t ref, Result<Bytes> result) {
  auto it = call_promises_.find(ref);
  if (it == call_promises_.end()) return;
  Promise<Bytes> promise = std::move(it->second);
  call_promises_.erase(it);
  promise.set(std::move(result));  // continuations and coroutines run here, in the user phase
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
  drop_acceptors_of(id);  // an acceptor that dies unregisters its tag
  processes_.erase(it);
  std::lock_guard lock(directory_mutex_);
  directory_.erase(id);
}

void NodeImpl::run_rpc(node::RpcRequest&& request) {
  auto it = functions_.find(request.function);
  if (it == functions_.end()) {  // unregistered since the request arrived
    engine_->finish_rpc(request, fail(Errc::not_found, "no function '" + request.function + "'"));
    return;
  }
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
  if (function->placement == Placement::loop) {
    engine_->finish_rpc(request, run(request));  // in the user phase: commands drain next
    return;
  }
  auto shared = std::make_shared<node::RpcRequest>(std::move(request));
  const bool queued = workers_->submit([this, run, shared] {
    auto result = run(*shared);
    (void)on_loop([this, shared, result = std::move(result)]() mutable {
      engine_->finish_rpc(*shared, std::move(result));
    });
  });
  if (!queued) engine_->finish_rpc(*shared, fail(Errc::limit_reached, "worker pool is full"));
}

// ---- running handlers ------------------------------------------------------------------------

void NodeImpl::finish_handler(LocalProcess& process) {
  if (process.ended) return;
  if (auto reason = process.context->take_stop()) {
    engine_->processes().end_process(process.pid, *reason);
  }
}

bool NodeImpl::run_processes() {
  std::size_t budget = kRunBudget;
  bool ran = false;
  while (!run_queue_.empty() && budget > 0) {
    const std::uint64_t id = run_queue_.front();
    run_queue_.pop_front();
    auto it = processes_.find(id);
    if (it == processes_.end()) continue;
    std::shared_ptr<LocalProcess> process = it->second;  // kept alive while it runs
    process->scheduled = false;
    // One lock for the batch. Envelopes taken but not run (the process ended on the way) are
    // dropped, as close() drops those still queued.
    std::vector<Envelope> batch = std::move(process_batch_);  // its capacity, reused
    batch.clear();
    const std::size_t taken =
        process->queue->take_some(batch, std::min<std::size_t>(kProcessBatch, budget));
    budget -= taken;
    for (std::size_t i = 0; i < taken && !process->ended; ++i) {
      ran = true;
      ExitReason failure;
      if (!invoke(process->handler, *process->context, std::move(batch[i]), failure)) {
        log_->warn("process {} ended: {}", process->pid.to_string(), failure.text);
        engine_->processes().end_process(process->pid, failure);
        break;
      }
      finish_handler(*process);
    }
    batch.clear();
    process_batch_ = std::move(batch);
    if (!process->ended && process->queue->size() > 0) schedule(*process);
  }
  return ran;
}

void NodeImpl::run_worker_batch(std::shared_ptr<LocalProcess> process) {  // worker thread
  HandlerContext& context = *process->context;
  std::optional<ExitReason> failure;
  for (int i = 0; i < kProcessBatch && !context.stop_requested(); ++i) {
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
      engine_->processes().end_process(process->pid, *failure);
    }
    finish_handler(*process);
    if (!process->ended && process->queue->size() > 0) schedule(*process);
  });
}

}  // namespace barrel_p2p
