#include "udp_relay_adapter.hpp"

#include <poll.h>
#include <sys/eventfd.h>

#include <chrono>

#include "relay_frame.hpp"

namespace relay_example {

using barrel_p2p::Errc;
using barrel_p2p::fail;
using barrel_p2p::Result;
using barrel_p2p::Unexpected;

namespace {
constexpr int kRegisterIntervalMs = 200;  // REGISTER again until the relay answers

/// A socket of the family of `peer`, bound to the wildcard address and an ephemeral port.
Result<int> bind_for(const Address& peer) {
  auto any = Address::parse(peer.storage.ss_family == AF_INET6 ? "[::]:0" : "0.0.0.0:0");
  if (!any) return Unexpected(any.error());
  return bind_udp(*any);
}

void send_register(int fd, const Address& relay, std::uint64_t session) {
  const auto frame = encode_frame(FrameKind::register_client, session);
  (void)::sendto(fd, frame.data(), frame.size(), MSG_DONTWAIT, relay.data(), relay.length);
}

void wake(int fd) {
  const std::uint64_t one = 1;
  (void)!::write(fd, &one, sizeof(one));
}
}  // namespace

UdpRelayAdapter::UdpRelayAdapter(std::string relay, std::uint64_t session)
    : relay_text_(std::move(relay)), session_(session) {}

UdpRelayAdapter::~UdpRelayAdapter() { stop(); }

Result<void> UdpRelayAdapter::start(Receiver receiver) {
  if (fd_ >= 0) return fail(Errc::already_exists, "the adapter was started before");
  auto relay = Address::parse(relay_text_);
  if (!relay) return Unexpected(relay.error());
  relay_ = *relay;
  auto fd = bind_for(relay_);
  if (!fd) return Unexpected(fd.error());
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_ < 0) {
    ::close(*fd);
    return fail(Errc::io, "eventfd failed");
  }
  fd_ = *fd;
  receiver_ = std::move(receiver);
  send_register(fd_, relay_, session_);
  thread_ = std::thread([this] { run(); });
  return {};
}

Result<void> UdpRelayAdapter::send(std::span<const std::uint8_t> datagram) {
  if (fd_ < 0 || stop_) return fail(Errc::closed, "the adapter is not running");
  std::uint8_t frame[kMaxFrameSize];
  const std::size_t size = encode_frame(FrameKind::data, session_, datagram, frame);
  if (size == 0) return fail(Errc::invalid_argument, "datagram too large for the relay");
  const ssize_t sent = ::sendto(fd_, frame, size, MSG_DONTWAIT, relay_.data(), relay_.length);
  if (sent == static_cast<ssize_t>(size)) return {};
  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return fail(Errc::limit_reached, "the socket buffer is full");
  }
  return fail(Errc::io, "sendto to the relay failed");
}

void UdpRelayAdapter::stop() {
  if (fd_ < 0 || stop_.exchange(true)) return;
  wake(wake_);
  thread_.join();
  ::close(fd_);
  ::close(wake_);
}

void UdpRelayAdapter::run() {
  std::uint8_t buffer[kMaxFrameSize + 1];
  while (!stop_) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    const int ready = ::poll(fds, 2, registered_ ? -1 : kRegisterIntervalMs);
    if (ready == 0) send_register(fd_, relay_, session_);
    if (ready <= 0 || (fds[1].revents & POLLIN) != 0) continue;
    for (int i = 0; i < 256; ++i) {  // bounded: the stop request is seen under load too
      Address from;
      from.length = sizeof(from.storage);
      const ssize_t n = ::recvfrom(fd_, buffer, sizeof(buffer), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from.storage), &from.length);
      if (n < 0) break;
      if (!(from == relay_)) continue;  // only the relay speaks to us
      auto frame = decode_frame({buffer, static_cast<std::size_t>(n)});
      if (!frame || frame->session != session_) continue;
      if (frame->kind == FrameKind::registered) registered_ = true;
      if (frame->kind == FrameKind::data) receiver_(frame->payload);
    }
  }
}

Result<std::unique_ptr<UdpRelayGateway>> UdpRelayGateway::start(const std::string& relay,
                                                                std::uint64_t session,
                                                                const std::string& node) {
  auto relay_address = Address::parse(relay);
  if (!relay_address) return Unexpected(relay_address.error());
  auto node_address = Address::parse(node);
  if (!node_address) return Unexpected(node_address.error());
  auto relay_fd = bind_for(*relay_address);
  if (!relay_fd) return Unexpected(relay_fd.error());
  auto node_fd = bind_for(*node_address);
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!node_fd || wake < 0) {
    ::close(*relay_fd);
    if (node_fd) ::close(*node_fd);
    if (wake >= 0) ::close(wake);
    return fail(Errc::io, "the gateway's sockets could not be made");
  }
  return std::unique_ptr<UdpRelayGateway>(
      new UdpRelayGateway(*relay_address, session, *node_address, *relay_fd, *node_fd, wake));
}

UdpRelayGateway::UdpRelayGateway(Address relay, std::uint64_t session, Address node, int relay_fd,
                                 int node_fd, int wake)
    : relay_(relay),
      session_(session),
      node_(node),
      relay_fd_(relay_fd),
      node_fd_(node_fd),
      wake_(wake) {
  send_register(relay_fd_, relay_, session_);
  thread_ = std::thread([this] { run(); });
}

UdpRelayGateway::~UdpRelayGateway() {
  stop_ = true;
  wake(wake_);
  thread_.join();
  ::close(relay_fd_);
  ::close(node_fd_);
  ::close(wake_);
}

void UdpRelayGateway::run() {
  std::uint8_t buffer[kMaxFrameSize + 1];
  std::uint8_t frame[kMaxFrameSize];
  while (!stop_) {
    pollfd fds[3] = {{relay_fd_, POLLIN, 0}, {node_fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    const int ready = ::poll(fds, 3, registered_ ? -1 : kRegisterIntervalMs);
    if (ready == 0) send_register(relay_fd_, relay_, session_);
    if (ready <= 0 || (fds[2].revents & POLLIN) != 0) continue;
    for (int i = 0; i < 256; ++i) {  // relay to node
      Address from;
      from.length = sizeof(from.storage);
      const ssize_t n = ::recvfrom(relay_fd_, buffer, sizeof(buffer), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from.storage), &from.length);
      if (n < 0) break;
      auto decoded = decode_frame({buffer, static_cast<std::size_t>(n)});
      if (!(from == relay_) || !decoded || decoded->session != session_) continue;
      if (decoded->kind == FrameKind::registered) registered_ = true;
      if (decoded->kind != FrameKind::data || decoded->payload.empty()) continue;
      (void)::sendto(node_fd_, decoded->payload.data(), decoded->payload.size(), MSG_DONTWAIT,
                     node_.data(), node_.length);
    }
    for (int i = 0; i < 256; ++i) {  // node to relay; larger datagrams are dropped
      Address from;
      from.length = sizeof(from.storage);
      const ssize_t n = ::recvfrom(node_fd_, buffer, sizeof(buffer), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from.storage), &from.length);
      if (n < 0) break;
      if (!(from == node_)) continue;
      const std::size_t size =
          encode_frame(FrameKind::data, session_, {buffer, static_cast<std::size_t>(n)}, frame);
      if (size == 0) continue;
      (void)::sendto(relay_fd_, frame, size, MSG_DONTWAIT, relay_.data(), relay_.length);
    }
  }
}

}  // namespace relay_example
