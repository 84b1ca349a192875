// Process and Mailbox: thin forwarding to the node's driver with the process's own pid as
// sender.
#include "barrel_p2p/process.hpp"

#include "barrel_p2p/node.hpp"
#include "runtime/mailbox_queue.hpp"
#include "runtime/node_driver.hpp"

namespace barrel_p2p {

Result<void> Process::send(const Pid& to, BytesView payload) {
  return node_.impl_->process_send(self_, to, payload);
}

Result<void> Process::send(std::string_view node, std::string_view name, BytesView payload) {
  return node_.impl_->process_send_named(self_, node, name, payload);
}

Future<Bytes> Process::call(const Pid& to, BytesView request, std::chrono::milliseconds timeout) {
  return node_.impl_->process_call(self_, to, request, timeout);
}

Result<void> Process::reply(const Envelope& call, BytesView payload) {
  return node_.impl_->process_reply(call, payload);
}

Future<Bytes> Process::rpc(std::string_view node, std::string_view function, BytesView payload,
                           std::chrono::milliseconds timeout) {
  return node_.impl_->process_rpc(self_, node, function, payload, timeout);
}

Result<MonitorRef> Process::monitor(const Pid& target) {
  return node_.impl_->process_monitor(self_, target);
}

Result<void> Process::demonitor(MonitorRef ref) {
  return node_.impl_->process_demonitor(self_, ref);
}

Result<void> Process::link(const Pid& other) {
  return node_.impl_->process_link(self_, other, true);
}

Result<void> Process::unlink(const Pid& other) {
  return node_.impl_->process_link(self_, other, false);
}

Result<void> Process::trap_exit(bool enabled) {
  return node_.impl_->process_trap_exit(self_, enabled);
}

Result<void> Process::exit(const Pid& target, ExitReason reason) {
  return node_.impl_->process_exit(self_, target, std::move(reason));
}

void Process::stop(ExitReason reason) {
  if (owned_by_thread_) {
    node_.impl_->process_stop(self_, std::move(reason));
    return;
  }
  stop_requested_ = true;
  stop_reason_ = std::move(reason);
}

Mailbox::Mailbox(Node& node, Pid self, std::shared_ptr<detail::MailboxQueue> queue)
    : Process(node, std::move(self)), queue_(std::move(queue)) {
  owned_by_thread_ = true;
}

Mailbox::~Mailbox() {
  // A closed queue means the process already ended (or the node stopped).
  bool closed = false;
  {
    std::lock_guard lock(queue_->mutex);
    closed = queue_->closed;
  }
  if (!closed) node_.impl_->process_stop(self_, ExitReason::normal());
}

Result<Envelope> Mailbox::receive(std::chrono::milliseconds timeout) {
  return queue_->pop(nullptr, timeout);
}

Result<Envelope> Mailbox::receive_if(const std::function<bool(const Envelope&)>& predicate,
                                     std::chrono::milliseconds timeout) {
  return queue_->pop(predicate, timeout);
}

std::size_t Mailbox::size() const { return queue_->size(); }

}  // namespace barrel_p2p
