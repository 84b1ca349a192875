// NodeImpl: the node's API for links, trust, membership and broadcast. Each call either runs
// on the loop thread (inline when already there) or hands its work to the loop.
#include <spdlog/spdlog.h>

#include "proto/auth/contact.hpp"
#include "runtime/node_driver.hpp"
#include "runtime/pin_files.hpp"
#include "wire/auth_message.hpp"
#include "wire/link_frame.hpp"

namespace barrel_p2p {

namespace {
std::vector<Pin> to_pins(const auth::TrustStore& trust) {
  std::vector<Pin> out;
  for (const auto& [peer, key] : trust.list()) {
    out.push_back(Pin{peer, key.bytes, auth::fingerprint(key)});
  }
  return out;
}
}  // namespace

Result<void> NodeImpl::connect(std::string_view address) {
  auto remote = auth::parse_contact_or_address(address);
  if (!remote) return Unexpected(remote.error());
  return call_on_loop([&]() -> Result<void> {
    if (stopping_) return fail(Errc::closed, "node is stopping");
    auto id = open_connection(remote->address, remote->peer ? remote->peer->name : "");
    if (!id) return Unexpected(id.error());
    // Kept until disconnect() (never reaped); a contact string's identity is checked.
    engine_->handle_user_connect(id->value, remote->peer);
    return {};
  });
}

Result<std::string> NodeImpl::connect_and_wait(std::string_view address,
                                               std::chrono::milliseconds timeout) {
  auto remote = auth::parse_contact_or_address(address);
  if (!remote) return Unexpected(remote.error());
  std::future<Result<std::string>> outcome;
  auto started = call_on_loop([&]() -> Result<std::uint64_t> {
    if (stopping_) return fail(Errc::closed, "node is stopping");
    auto id = open_connection(remote->address, remote->peer ? remote->peer->name : "");
    if (!id) return Unexpected(id.error());
    engine_->handle_user_connect(id->value, remote->peer);  // as connect()
    outcome = waiters_[id->value].get_future();
    return id->value;
  });
  if (!started) return Unexpected(started.error());
  if (outcome.wait_for(timeout) != std::future_status::ready) {
    const std::uint64_t id = *started;
    (void)loop_->post([this, id] { waiters_.erase(id); });
    return fail(Errc::timeout, "peer at " + std::string(address) + " not authenticated within " +
                                   std::to_string(timeout.count()) + " ms");
  }
  return outcome.get();
}

Result<void> NodeImpl::send(std::string_view peer, Channel channel,
                            std::span<const std::uint8_t> payload) {
  if (payload.size() > config_.max_frame_size) {
    return fail(Errc::invalid_argument, "message of " + std::to_string(payload.size()) +
                                            " bytes exceeds max_frame_size (" +
                                            std::to_string(config_.max_frame_size) + ")");
  }
  const auto engine_channel =
      channel == Channel::control ? node::Channel::control : node::Channel::data;
  if (on_loop_thread()) {
    if (finished_) return fail(Errc::closed, "node stopped");
    auto sent = engine_->send_peer(peer, engine_channel, payload);
    request_turn();
    return sent;
  }
  if (stopped_.load()) return fail(Errc::closed, "node stopped");
  {
    std::lock_guard lock(peers_mutex_);
    if (peers_.find(peer) == peers_.end()) {
      return fail(Errc::not_found, "no authenticated link to peer '" + std::string(peer) + "'");
    }
  }
  bool schedule = false;
  {
    std::lock_guard lock(inbox_mutex_);
    const auto index = static_cast<std::size_t>(channel);
    const std::size_t queued = inbox_[index].bytes();
    if (queued > 0 && queued + payload.size() > config_.send_buffer_limit) {
      return fail(Errc::limit_reached,
                  "send queue full (" + std::to_string(config_.send_buffer_limit) + " bytes)");
    }
    // Framed here, so a large message is copied once on its way to the transport.
    inbox_header_.clear();
    wire::encode_frame_header(
        inbox_header_,
        channel == Channel::control ? wire::FrameType::control : wire::FrameType::data,
        payload.size());
    inbox_[index].push(peer, inbox_header_, payload);
    schedule = !inbox_scheduled_;
    inbox_scheduled_ = true;
  }
  // One wake-up sends every message queued before the loop gets to it (batching).
  if (schedule) {
    if (auto posted = loop_->post([this] {
          if (!finished_) drain_inbox();
        });
        !posted) {
      // The loop's job queue is full: the message stays queued and the next send, or the
      // stream's next writable report, schedules the drain.
      std::lock_guard lock(inbox_mutex_);
      inbox_scheduled_ = false;
    }
  }
  return {};
}

Result<void> NodeImpl::disconnect(std::string_view peer, std::string_view reason) {
  return call_on_loop([&] { return engine_->disconnect(peer, reason); });
}

std::vector<std::string> NodeImpl::peers() const {
  std::lock_guard lock(peers_mutex_);
  return {peers_.begin(), peers_.end()};
}

std::optional<Event> NodeImpl::next_event(std::chrono::milliseconds timeout) {
  std::unique_lock lock(events_mutex_);
  events_ready_.wait_for(lock, timeout, [this] { return !events_.empty() || stopped_.load(); });
  if (events_.empty()) return std::nullopt;
  Event event = std::move(events_.front());
  events_.pop_front();
  return event;
}

Result<void> NodeImpl::pin(std::string_view peer, const std::array<std::uint8_t, 32>& key) {
  if (!wire::is_valid_name(peer)) {
    return fail(Errc::invalid_argument, "invalid node name '" + std::string(peer) + "'");
  }
  auto pinned = call_on_loop([&]() -> Result<void> {
    return engine_->trust().pin(std::string(peer), auth::PublicKey{key});
  });
  if (!pinned) return pinned;
  // Behind any first-contact pin still queued, so the explicit one is what stays on disk.
  return files_->write_and_wait(
      [&] { return runtime::save_pin(config_.data_dir, std::string(peer), key); });
}

Result<void> NodeImpl::unpin(std::string_view peer) {
  auto removed =
      call_on_loop([&]() -> Result<void> { return engine_->trust().unpin(std::string(peer)); });
  if (!removed) return removed;
  return files_->write_and_wait(
      [&] { return runtime::remove_pin(config_.data_dir, std::string(peer)); });
}

std::optional<Pin> NodeImpl::lookup_pin(std::string_view peer) const {
  auto found = call_on_loop([&]() -> Result<std::optional<Pin>> {
    auto key = engine_->trust().lookup(std::string(peer));
    if (!key) return std::optional<Pin>();
    return std::optional<Pin>(Pin{std::string(peer), key->bytes, auth::fingerprint(*key)});
  });
  return found ? *found : std::nullopt;
}

std::vector<Pin> NodeImpl::pins() const {
  auto all = call_on_loop([&]() -> Result<std::vector<Pin>> { return to_pins(engine_->trust()); });
  return all ? *all : std::vector<Pin>{};
}

void NodeImpl::set_trust_mode(TrustMode mode) {
  (void)call_on_loop([&]() -> Result<void> {
    engine_->trust().set_mode(mode == TrustMode::strict ? auth::TrustMode::strict
                                                        : auth::TrustMode::tofu);
    return {};
  });
}

TrustMode NodeImpl::trust_mode() const {
  auto mode = call_on_loop([&]() -> Result<TrustMode> {
    return engine_->trust().mode() == auth::TrustMode::strict ? TrustMode::strict : TrustMode::tofu;
  });
  return mode ? *mode : config_.trust_mode;
}

Result<void> NodeImpl::add_address(std::string_view node, std::string_view address) {
  if (!wire::is_valid_name(node)) {
    return fail(Errc::invalid_argument, "add_address: invalid node name");
  }
  if (address.rfind(':') == std::string_view::npos || address.size() > 255) {
    return fail(Errc::invalid_argument,
                "add_address: '" + std::string(address) + "' is not host:port");
  }
  return call_on_loop([&]() -> Result<void> {
    engine_->add_address(node, address);
    return {};
  });
}

// ---- membership and broadcast --------------------------------------------------------------

Result<void> NodeImpl::join(std::string_view contact) {
  if (auto remote = auth::parse_contact_or_address(contact); !remote) {
    return fail(Errc::invalid_argument, "join: " + remote.error().message);
  }
  return call_on_loop([&] { return engine_->join(now(), contact); });
}

Result<void> NodeImpl::leave() {
  return call_on_loop([&]() -> Result<void> {
    engine_->leave(now());
    return {};
  });
}

Result<ClusterView> NodeImpl::cluster_view(std::chrono::milliseconds timeout) const {
  if (on_loop_thread()) {
    return fail(Errc::invalid_argument, "cluster_view() would block the loop thread");
  }
  auto* self = const_cast<NodeImpl*>(this);
  std::future<ClusterView> gathered;
  auto started = call_on_loop([&]() -> Result<std::uint64_t> {
    if (stopping_) return fail(Errc::closed, "node is stopping");
    auto ref = engine_->gather_views(now(), timeout);
    if (ref) gathered = self->view_waiters_[*ref].get_future();
    return ref;
  });
  if (!started) return Unexpected(started.error());
  // The Engine finishes the gather at its deadline; the margin covers the loop's turn.
  if (gathered.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready) {
    const std::uint64_t ref = *started;
    (void)loop_->post([self, ref] { self->view_waiters_.erase(ref); });
    return fail(Errc::timeout, "the node's loop did not answer a cluster view request");
  }
  return gathered.get();
}

std::vector<NodeInfo> NodeImpl::active_view() const {
  auto view =
      call_on_loop([&]() -> Result<std::vector<NodeInfo>> { return engine_->active_view(); });
  return view ? *view : std::vector<NodeInfo>{};
}

std::vector<NodeInfo> NodeImpl::passive_view() const {
  auto view =
      call_on_loop([&]() -> Result<std::vector<NodeInfo>> { return engine_->passive_view(); });
  return view ? *view : std::vector<NodeInfo>{};
}

Result<void> NodeImpl::broadcast(std::string_view tag, BytesView payload) {
  return call_on_loop([&] { return engine_->broadcast(now(), tag, payload); });
}

Result<Subscription> NodeImpl::subscribe(std::string_view tag,
                                         std::function<void(const BroadcastMessage&)> handler) {
  if (!handler) return fail(Errc::invalid_argument, "subscribe: no handler");
  if (stopped_.load()) return fail(Errc::closed, "node stopped");
  const std::uint64_t id = subscriptions_->add_broadcast(std::string(tag), std::move(handler));
  return subscription_of(id);
}

Result<Subscription> NodeImpl::on_membership_event(
    std::function<void(const MembershipEvent&)> handler) {
  if (!handler) return fail(Errc::invalid_argument, "on_membership_event: no handler");
  if (stopped_.load()) return fail(Errc::closed, "node stopped");
  const std::uint64_t id = subscriptions_->add_membership(std::move(handler));
  return subscription_of(id);
}

Result<Subscription> NodeImpl::subscription_of(std::uint64_t id) {
  if (id == 0) {
    return fail(Errc::limit_reached, "at most " + std::to_string(runtime::Subscriptions::kLimit) +
                                         " subscriptions per node");
  }
  return Subscription(subscriptions_, id);
}

}  // namespace barrel_p2p
