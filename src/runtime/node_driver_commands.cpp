// NodeImpl: carrying out the Engine's commands. I/O and mailboxes are done at once; what runs
// user code (call completions, loop rpc functions, event and membership callbacks) waits in
// user_work_ until the turn's I/O is done.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "runtime/endpoint_files.hpp"
#include "runtime/mailbox_queue.hpp"
#include "runtime/node_driver.hpp"
#include "runtime/pin_files.hpp"

namespace barrel_p2p {

namespace {
// Payload bytes of off-loop Node::send one drain hands to the Engine before the turn writes
// them out (bounds the turn's length and the Engine's output buffer).
constexpr std::size_t kInboxBytesPerTurn = 1024 * 1024;

transport::StreamKind to_stream(node::Channel channel) {
  return channel == node::Channel::control ? transport::StreamKind::control
                                           : transport::StreamKind::data;
}
}  // namespace

bool NodeImpl::drain_commands() {
  blocked_.clear();
  transmitted_ = false;
  drain_service_events();
  while (auto command = engine_->poll_command()) execute(std::move(*command));
  return transmitted_;
}

void NodeImpl::execute(node::Command&& command) {
  std::visit(
      [this](auto&& c) {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, node::Transmit>) {
          transmit(std::move(c));
        } else if constexpr (std::is_same_v<C, node::Dial>) {
          auto id = open_connection(c.address, c.node);
          engine_->handle_dial_started(now(), c.dial,
                                       id ? Result<std::uint64_t>(id->value)
                                          : Result<std::uint64_t>(Unexpected(id.error())));
        } else if constexpr (std::is_same_v<C, node::Close>) {
          // A retired duplicate link (a takeover's old connection, decision 0020) keeps its
          // tagged streams going until they end; its link bytes are delivered first. So are
          // those of a link closed quietly: its goodbyes must reach the peer.
          endpoint_->close(now(), transport::ConnectionId{c.connection},
                           static_cast<std::uint64_t>(c.code), c.reason,
                           c.code == node::CloseCode::duplicate_link ||
                               c.code == node::CloseCode::closed_quietly);
        } else if constexpr (std::is_same_v<C, node::Resolve>) {
          resolve(std::move(c));
        } else if constexpr (std::is_same_v<C, node::PersistPin>) {
          persist_pin(std::move(c));
        } else if constexpr (std::is_same_v<C, node::Deliver>) {
          deliver(std::move(c));
        } else if constexpr (std::is_same_v<C, node::ProcessEnded>) {
          process_ended(c.process, c.reason);
        } else if constexpr (std::is_same_v<C, node::ConnectionOutcome>) {
          if (c.peer) {
            // Routable from here on: the thread connect_and_wait() wakes may send at once.
            std::lock_guard lock(peers_mutex_);
            peers_.insert(*c.peer);
          }
          if (auto it = waiters_.find(c.connection); it != waiters_.end()) {
            it->second.set_value(std::move(c.peer));
            waiters_.erase(it);
          }
        } else if constexpr (std::is_same_v<C, node::ViewsGathered>) {
          if (auto ping = ping_waiters_.find(c.ref); ping != ping_waiters_.end()) {
            finish_ping(ping->second, c.view);
            ping_waiters_.erase(ping);
          } else if (auto it = view_waiters_.find(c.ref); it != view_waiters_.end()) {
            it->second.set_value(std::move(c.view));
            view_waiters_.erase(it);
          }
        } else if constexpr (std::is_same_v<C, node::PathMessageReceived>) {
          on_path_message(c.peer, std::move(c.message));
        } else if constexpr (std::is_same_v<C, node::Log>) {
          log_->log(static_cast<spdlog::level::level_enum>(c.level), c.text);
        } else if constexpr (std::is_same_v<C, node::EmitEvent>) {
          emit(std::move(c.event));
        } else if constexpr (std::is_same_v<C, node::RunRpc>) {
          auto it = functions_.find(c.request.function);
          if (it != functions_.end() && it->second->placement == Placement::worker) {
            run_rpc(std::move(c.request));  // on the worker pool: no user code on the loop
          } else {
            user_work_.emplace_back(std::move(c));
          }
        } else {
          user_work_.emplace_back(std::move(c));  // CallDone, EmitMembership, EmitBroadcast
        }
      },
      std::move(command));
}

void NodeImpl::transmit(node::Transmit&& transmit) {
  transmitted_ = true;
  const auto stream = std::make_pair(transmit.connection, transmit.channel);
  // Once a stream refused a frame, every later frame of this drain goes back too (order).
  if (std::find(blocked_.begin(), blocked_.end(), stream) == blocked_.end()) {
    const transport::ConnectionId id{transmit.connection};
    // A large frame's own buffer moves into the stream's queue (a refusal leaves it intact).
    auto sent = transmit.owned.empty()
                    ? endpoint_->send_copy(id, to_stream(transmit.channel), transmit.frame)
                    : endpoint_->send(id, to_stream(transmit.channel), std::move(transmit.owned));
    if (sent) return;
    if (sent.error().code != Errc::limit_reached) {
      log_->debug("frame on connection {} dropped: {}", transmit.connection, sent.error().message);
      return;  // the connection is gone or closing: the Engine hears it closed
    }
    blocked_.push_back(stream);
  }
  engine_->handle_transmit_blocked(now(), transmit.connection, transmit.channel,
                                   transmit.owned.empty()
                                       ? core::Bytes(transmit.frame.begin(), transmit.frame.end())
                                       : std::move(transmit.owned));
}

void NodeImpl::resolve(node::Resolve&& resolve) {
  std::string host = std::move(resolve.host);
  if (host.empty()) {
    auto found = runtime::read_endpoint_file(config_.endpoint_dir, resolve.node);
    if (!found) {
      engine_->handle_resolved(now(), resolve.node, Unexpected(found.error()));
      return;
    }
    host = std::move(found).value();
  }
  if (auto numeric = core::SocketAddress::parse(host)) {
    engine_->handle_resolved(now(), resolve.node, *numeric);
    return;
  }
  // A DNS name: the resolver blocks, so it runs on a worker; the answer comes back in a job.
  const bool queued =
      workers_->submit([this, node = std::move(resolve.node), host = std::move(host)] {
        auto address = runtime::resolve_host(host);
        (void)loop_->post([this, node, address = std::move(address)]() mutable {
          if (finished_) return;
          engine_->handle_resolved(now(), node, std::move(address));
          request_turn();
        });
      });
  if (!queued) {
    engine_->handle_resolved(now(), resolve.node,
                             fail(Errc::limit_reached, "the worker pool refused the lookup"));
  }
}

void NodeImpl::persist_pin(node::PersistPin&& pin) {
  // The pin already holds in the Engine's trust store; only its file waits for the writer.
  // A success is not reported back (the join storm writes ~23,000 pins); a failure is, and
  // the Engine then drops the pin and the peer's links (handle_pin_persisted). Jobs finish
  // before stop() returns (files_->flush()), and their posts run before ~NodeImpl.
  auto write = [this, directory = config_.data_dir, pin] {
    auto saved = runtime::save_pin(directory, pin.peer, pin.key);
    if (saved) return;
    pin_not_persisted(pin, saved.error());
  };
  if (!files_->submit(std::move(write))) {
    pin_not_persisted(
        pin, Error{Errc::limit_reached, std::to_string(runtime::FileWriter::kQueuedJobsMax) +
                                            " file writes are already queued"});
  }
}

void NodeImpl::pin_not_persisted(const node::PersistPin& pin, const Error& error) {
  log_->error("could not persist the pin for {}: {}; refusing it", pin.peer, error.message);
  // Posted, from the writer's thread or from inside drain_commands(): the Engine is fed
  // between turns only.
  (void)loop_->post([this, pin, error] {
    if (finished_) return;
    engine_->handle_pin_persisted(now(), pin, Unexpected(error));
    request_turn();
  });
}

void NodeImpl::deliver(node::Deliver&& deliver) {
  auto it = processes_.find(deliver.process);
  if (it == processes_.end()) return;  // ended meanwhile: its ProcessEnded is on the way
  LocalProcess& process = *it->second;
  // A plain message from a process of this node took its slot at send time (check_mailbox).
  const bool reserved = deliver.envelope.kind == EnvelopeKind::message &&
                        deliver.envelope.from.node == config_.node_name;
  if (!process.queue->push(std::move(deliver.envelope), reserved)) {
    // Full (push left the envelope intact): a call is answered limit_reached, the rest counted.
    engine_->handle_delivery_refused(deliver.process, std::move(deliver.envelope));
    return;
  }
  schedule(process);
}

void NodeImpl::emit(Event&& event) {
  if (const auto* up = std::get_if<PeerUp>(&event)) {
    std::lock_guard lock(peers_mutex_);
    peers_.insert(up->peer);
  } else if (const auto* down = std::get_if<PeerDown>(&event)) {
    std::lock_guard lock(peers_mutex_);
    peers_.erase(down->peer);
  }
  if (config_.event_handler) {
    user_work_.emplace_back(node::EmitEvent{std::move(event)});
    return;
  }
  std::lock_guard lock(events_mutex_);
  if (events_.size() >= config_.event_queue_limit && std::holds_alternative<Message>(event)) {
    if (events_dropped_++ % 10000 == 0) {
      log_->warn("event queue full ({} events): dropping messages", events_.size());
    }
    return;
  }
  events_.push_back(std::move(event));
  events_ready_.notify_one();
}

void NodeImpl::drain_inbox() {
  {
    // A batch left over (a full stream, or the budget) goes first: what arrived meanwhile
    // waits in inbox_, so order holds without copying the rest back.
    std::lock_guard lock(inbox_mutex_);
    inbox_scheduled_ = false;
    for (std::size_t channel = 0; channel < 2; ++channel) {
      if (inbox_batch_[channel].empty()) inbox_batch_[channel].swap(inbox_[channel]);
    }
  }
  bool blocked = false;
  bool budget_left = true;
  std::size_t budget = kInboxBytesPerTurn;
  for (std::size_t channel = 0; channel < 2 && !blocked && budget_left; ++channel) {
    inbox_batch_[channel].drain(
        [&](std::string_view peer, core::ByteView frame, core::Bytes* whole) {
          if (budget == 0) {
            budget_left = false;
            return false;  // the turn writes what is queued, then the drain goes on
          }
          const auto engine_channel = static_cast<node::Channel>(channel);
          // A large frame's chunk moves on (only if accepted: a refused one stays queued).
          auto sent = whole != nullptr ? engine_->send_peer_frame(peer, engine_channel, *whole)
                                       : engine_->send_peer_frame(peer, engine_channel, frame);
          if (!sent && sent.error().code == Errc::limit_reached) {
            blocked = true;
            return false;  // resumed by on_writable
          }
          if (!sent) {
            ++sends_dropped_;
            log_->debug("queued message to {} dropped: {}", peer, sent.error().message);
          }
          budget -= std::min(budget, frame.size());
          return true;
        });
  }
  if (!blocked) {
    std::lock_guard lock(inbox_mutex_);
    const bool waiting = !inbox_[0].empty() || !inbox_[1].empty() || !inbox_batch_[0].empty() ||
                         !inbox_batch_[1].empty();
    if (waiting && !inbox_scheduled_) {
      inbox_scheduled_ = loop_
                             ->post([this] {
                               if (!finished_) drain_inbox();
                             })
                             .has_value();
    }
  }
  turn();
}

}  // namespace barrel_p2p
