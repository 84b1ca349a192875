// barrel_p2p::Node: the public face of NodeImpl.
#include "barrel_p2p/node.hpp"

#include "proto/auth/contact.hpp"
#include "proto/auth/identity.hpp"
#include "runtime/loop_thread.hpp"
#include "runtime/node_driver.hpp"

namespace barrel_p2p {

Result<std::unique_ptr<Node>> Node::start(Config config) {
  runtime::EventLoopOptions options;
  options.spin_before_sleep = config.busy_poll;
  auto loop = runtime::LoopThread::start(options);  // a loop of the node's own
  if (!loop) return Unexpected(loop.error());
  auto impl = NodeImpl::create(std::move(config), std::move(loop).value());
  if (!impl) return Unexpected(impl.error());
  return std::unique_ptr<Node>(new Node(std::move(impl).value()));
}

Node::Node(std::unique_ptr<NodeImpl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;
void Node::stop() { impl_->stop(); }
void Node::abort() { impl_->abort(); }
const std::string& Node::name() const { return impl_->name(); }
std::string Node::address() const { return impl_->address(); }
std::array<std::uint8_t, 32> Node::public_key() const { return impl_->keys().public_key().bytes; }
std::string Node::fingerprint() const { return auth::fingerprint(impl_->keys().public_key()); }
std::string Node::contact() const {
  return auth::format_contact(impl_->name(), impl_->advertise_address(),
                              impl_->keys().public_key());
}
Result<void> Node::connect(std::string_view address) { return impl_->connect(address); }

Result<std::string> Node::connect_and_wait(std::string_view address,
                                           std::chrono::milliseconds timeout) {
  return impl_->connect_and_wait(address, timeout);
}

Result<void> Node::migrate_peer(std::string_view peer, std::chrono::milliseconds timeout,
                                std::string_view local_address) {
  return impl_->migrate_peer(peer, timeout, local_address);
}

Result<void> Node::send(std::string_view peer, Channel channel,
                        std::span<const std::uint8_t> payload) {
  return impl_->send(peer, channel, payload);
}

Result<void> Node::disconnect(std::string_view peer, std::string_view reason) {
  return impl_->disconnect(peer, reason);
}

Result<void> Node::set_connect_options(std::string_view node, ConnectOptions options) {
  return impl_->set_connect_options(node, std::move(options));
}

Result<void> Node::clear_connect_options(std::string_view node) {
  return impl_->clear_connect_options(node);
}

std::vector<std::string> Node::peers() const { return impl_->peers(); }
Result<PathStats> Node::path_stats(std::string_view node) const { return impl_->path_stats(node); }
std::vector<PathStats> Node::path_stats() const { return impl_->path_stats(); }
Result<std::chrono::nanoseconds> Node::ping(std::string_view node,
                                            std::chrono::milliseconds timeout) const {
  return impl_->ping(node, timeout);
}

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

std::uint64_t Node::incarnation() const { return impl_->incarnation(); }

Result<Pid> Node::spawn(Handler handler, SpawnOptions options) {
  return impl_->spawn(*this, std::move(handler), std::move(options));
}

Result<std::unique_ptr<Mailbox>> Node::mailbox(std::size_t mailbox_limit) {
  return impl_->open_mailbox(*this, mailbox_limit);
}

Result<void> Node::send(const Pid& to, BytesView payload) {
  return impl_->process_send(impl_->anonymous_pid(), to, payload);
}

Result<void> Node::send(std::string_view node, std::string_view name, BytesView payload) {
  return impl_->process_send_named(impl_->anonymous_pid(), node, name, payload);
}

Future<Bytes> Node::call(const Pid& to, BytesView request, std::chrono::milliseconds timeout) {
  return impl_->process_call(impl_->anonymous_pid(), to, request, timeout);
}

Future<Bytes> Node::rpc(std::string_view node, std::string_view function, BytesView payload,
                        std::chrono::milliseconds timeout) {
  return impl_->process_rpc(impl_->anonymous_pid(), node, function, payload, timeout);
}

Result<void> Node::exit(const Pid& target, ExitReason reason) {
  return impl_->process_exit(impl_->anonymous_pid(), target, std::move(reason));
}

Result<void> Node::register_name(std::string_view name, const Pid& pid) {
  return impl_->register_name(name, pid);
}

Result<void> Node::unregister_name(std::string_view name) { return impl_->unregister_name(name); }
std::optional<Pid> Node::whereis(std::string_view name) const { return impl_->whereis(name); }

Result<void> Node::register_function(std::string_view name, RpcFunction function,
                                     Placement placement) {
  return impl_->register_function(name, std::move(function), placement);
}

Result<void> Node::unregister_function(std::string_view name) {
  return impl_->unregister_function(name);
}

Result<Stream> Node::open_stream(std::string_view node, std::string_view tag) {
  return impl_->open_stream(node, tag);
}

Result<void> Node::register_acceptor(std::string_view tag, StreamAcceptor acceptor) {
  return impl_->register_acceptor(tag, std::nullopt, std::move(acceptor));
}

Result<void> Node::register_acceptor(std::string_view tag, const Pid& owner,
                                     StreamAcceptor acceptor) {
  return impl_->register_acceptor(tag, owner, std::move(acceptor));
}

Result<void> Node::unregister_acceptor(std::string_view tag) {
  return impl_->unregister_acceptor(tag);
}

Result<void> Node::join(std::string_view contact) { return impl_->join(contact); }
Result<void> Node::leave() { return impl_->leave(); }
std::vector<NodeInfo> Node::active_view() const { return impl_->active_view(); }
Result<ClusterView> Node::cluster_view(std::chrono::milliseconds timeout) const {
  return impl_->cluster_view(timeout);
}
std::vector<NodeInfo> Node::passive_view() const { return impl_->passive_view(); }

Result<void> Node::broadcast(std::string_view tag, BytesView payload) {
  return impl_->broadcast(tag, payload);
}

Result<Subscription> Node::subscribe(std::string_view tag,
                                     std::function<void(const BroadcastMessage&)> handler) {
  return impl_->subscribe(tag, std::move(handler));
}

Result<void> Node::register_service(std::string_view name, const Pid& pid, BytesView metadata) {
  return impl_->register_service(name, pid, metadata);
}

Result<void> Node::unregister_service(std::string_view name) {
  return impl_->unregister_service(name);
}

std::vector<ServiceInstance> Node::lookup_service(std::string_view name) const {
  return impl_->lookup_service(name);
}

std::vector<ServiceInstance> Node::lookup_local_service(std::string_view name) const {
  return impl_->lookup_local_service(name);
}

std::vector<std::string> Node::list_services(std::string_view prefix) const {
  return impl_->list_services(prefix);
}

Result<ServiceInstance> Node::whereis_service(std::string_view name) const {
  return impl_->whereis_service(name);
}

Future<ServiceInstance> Node::whereis_service(std::string_view name, std::uint32_t retries) {
  return impl_->whereis_service(name, retries);
}

Result<Subscription> Node::subscribe_services(ServiceFilter filter,
                                              std::function<void(const ServiceEvent&)> handler) {
  return impl_->subscribe_services(std::move(filter), std::move(handler));
}

Result<void> Node::send_service(std::string_view name, BytesView payload) {
  return impl_->send_service(impl_->anonymous_pid(), name, payload);
}

Future<Bytes> Node::call_service(std::string_view name, BytesView request,
                                 std::chrono::milliseconds timeout) {
  return impl_->call_service(impl_->anonymous_pid(), name, request, timeout);
}

std::string_view service_event_name(ServiceEvent::Kind kind) {
  switch (kind) {
    case ServiceEvent::Kind::registered: return "registered";
    case ServiceEvent::Kind::unregistered: return "unregistered";
    case ServiceEvent::Kind::down: return "down";
  }
  return "unknown";
}

Result<Subscription> Node::on_membership_event(
    std::function<void(const MembershipEvent&)> handler) {
  return impl_->on_membership_event(std::move(handler));
}

Result<void> Node::add_address(std::string_view node, std::string_view address) {
  return impl_->add_address(node, address);
}

std::string fingerprint(const std::array<std::uint8_t, 32>& public_key) {
  return auth::fingerprint(auth::PublicKey{public_key});
}

Result<std::string> make_contact(std::string_view name, std::string_view address,
                                 const std::array<std::uint8_t, 32>& public_key) {
  const std::string text = auth::format_contact(name, address, auth::PublicKey{public_key});
  auto parsed = auth::parse_contact(text);  // checks the name and the address, bounded
  if (!parsed) return Unexpected(parsed.error());
  if (parsed->address.is_unspecified() || parsed->address.port() == 0) {
    return fail(Errc::invalid_argument, "contact address '" + parsed->address.to_string() +
                                            "' cannot be dialed (a wildcard or port 0)");
  }
  return text;
}

}  // namespace barrel_p2p
