// barrel_p2p::Node: the public face of NodeImpl.
#include "barrel_p2p/node.hpp"

#include "proto/auth/identity.hpp"
#include "runtime/node_impl.hpp"

namespace barrel_p2p {

Result<std::unique_ptr<Node>> Node::start(Config config) {
  auto impl = NodeImpl::create(std::move(config));
  if (!impl) return Unexpected(impl.error());
  return std::unique_ptr<Node>(new Node(std::move(impl).value()));
}

Node::Node(std::unique_ptr<NodeImpl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;
void Node::stop() { impl_->stop(); }
const std::string& Node::name() const { return impl_->name(); }
std::string Node::address() const { return impl_->address(); }
std::array<std::uint8_t, 32> Node::public_key() const { return impl_->keys().public_key().bytes; }
std::string Node::fingerprint() const { return auth::fingerprint(impl_->keys().public_key()); }
Result<void> Node::connect(std::string_view address) { return impl_->connect(address); }

Result<std::string> Node::connect_and_wait(std::string_view address,
                                           std::chrono::milliseconds timeout) {
  return impl_->connect_and_wait(address, timeout);
}

Result<void> Node::send(std::string_view peer, Channel channel,
                        std::span<const std::uint8_t> payload) {
  return impl_->send(peer, channel, payload);
}

Result<void> Node::disconnect(std::string_view peer, std::string_view reason) {
  return impl_->disconnect(peer, reason);
}

std::vector<std::string> Node::peers() const { return impl_->peers(); }

std::optional<Event> Node::next_event(std::chrono::milliseconds timeout) {
  return impl_->next_event(timeout);
}

NodeStats Node::stats() const { return impl_->stats(); }

Result<void> Node::pin(std::string_view peer, const std::array<std::uint8_t, 32>& public_key) {
  return impl_->pin(peer, public_key);
}

Result<void> Node::unpin(std::string_view peer) { return impl_->unpin(peer); }
std::optional<Pin> Node::lookup_pin(std::string_view peer) const { return impl_->lookup_pin(peer); }
std::vector<Pin> Node::pins() const { return impl_->pins(); }
void Node::set_trust_mode(TrustMode mode) { impl_->set_trust_mode(mode); }
TrustMode Node::trust_mode() const { return impl_->trust_mode(); }

std::string fingerprint(const std::array<std::uint8_t, 32>& public_key) {
  return auth::fingerprint(auth::PublicKey{public_key});
}

}  // namespace barrel_p2p
