#include "udp_relay_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>

#include "relay_frame.hpp"

namespace relay_example {

using barrel_p2p::Errc;
using barrel_p2p::fail;
using barrel_p2p::Result;

barrel_p2p::Result<std::unique_ptr<UdpRelay>> UdpRelay::start(Options options) {
  auto listen = Address::parse(options.listen);
  if (!listen) return barrel_p2p::Unexpected(listen.error());
  auto fd = bind_udp(*listen);
  if (!fd) return barrel_p2p::Unexpected(fd.error());
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    ::close(*fd);
    return fail(Errc::io, "eventfd failed");
  }
  return std::unique_ptr<UdpRelay>(new UdpRelay(std::move(options), *fd, wake));
}

UdpRelay::UdpRelay(Options options, int fd, int wake)
    : options_(std::move(options)), fd_(fd), wake_(wake), local_(local_address(fd)) {
  thread_ = std::thread([this] { run(); });
}

UdpRelay::~UdpRelay() {
  stop_ = true;
  const std::uint64_t one = 1;
  (void)!::write(wake_, &one, sizeof(one));
  thread_.join();
  ::close(fd_);
  ::close(wake_);
}

void UdpRelay::run() {
  std::uint8_t buffer[kMaxFrameSize + 1];  // one more: an oversize datagram is seen as such
  while (!stop_) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (::poll(fds, 2, -1) <= 0 || (fds[1].revents & POLLIN) != 0) continue;
    // A bounded batch per wake-up, so a stop request is seen under load too.
    for (int i = 0; i < 256; ++i) {
      Address from;
      from.length = sizeof(from.storage);
      const ssize_t n = ::recvfrom(fd_, buffer, sizeof(buffer), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from.storage), &from.length);
      if (n < 0) break;
      handle(from, {buffer, static_cast<std::size_t>(n)});
    }
  }
}

void UdpRelay::handle(const Address& from, std::span<const std::uint8_t> datagram) {
  auto frame = decode_frame(datagram);
  if (!frame || frame->kind == FrameKind::registered) {
    ++dropped_;
    return;
  }
  std::unique_lock lock(mutex_);
  auto it = sessions_.find(frame->session);
  if (frame->kind == FrameKind::register_client) {
    if (it == sessions_.end()) {
      if (sessions_.size() >= options_.max_sessions) {
        ++dropped_;
        return;
      }
      it = sessions_.emplace(frame->session, Session{}).first;
    }
    Session& session = it->second;
    const bool known = (session.count > 0 && session.clients[0] == from) ||
                       (session.count > 1 && session.clients[1] == from);
    if (!known) {
      if (session.count == 2) {
        ++dropped_;  // the session is full: a third client is refused
        return;
      }
      session.clients[session.count++] = from;
    }
    const auto reply = encode_frame(FrameKind::registered, frame->session);
    (void)::sendto(fd_, reply.data(), reply.size(), MSG_DONTWAIT, from.data(), from.length);
    return;
  }
  if (it == sessions_.end() || it->second.count < 2) {
    ++dropped_;
    return;
  }
  const Session& session = it->second;
  std::size_t sender = 2;
  if (session.clients[0] == from) sender = 0;
  if (session.clients[1] == from) sender = 1;
  if (sender == 2) {
    ++dropped_;  // not a client of this session
    return;
  }
  const Address to = session.clients[1 - sender];
  lock.unlock();
  if (!options_.filter) {
    send_data(frame->session, to, frame->payload);
    return;
  }
  for (const auto& payload : options_.filter(sender, frame->payload)) {
    send_data(frame->session, to, payload);
  }
}

void UdpRelay::send_data(std::uint64_t session, const Address& to,
                         std::span<const std::uint8_t> payload) {
  std::uint8_t out[kMaxFrameSize];
  const std::size_t size = encode_frame(FrameKind::data, session, payload, out);
  if (size == 0) {
    ++dropped_;
    return;
  }
  std::lock_guard lock(mutex_);
  if (::sendto(fd_, out, size, MSG_DONTWAIT, to.data(), to.length) == static_cast<ssize_t>(size)) {
    ++forwarded_;
  } else {
    ++dropped_;
  }
}

bool UdpRelay::inject(std::uint64_t session, std::size_t to,
                      std::span<const std::uint8_t> payload) {
  Address address;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session);
    if (it == sessions_.end() || to >= it->second.count) return false;
    address = it->second.clients[to];
  }
  send_data(session, address, payload);
  return true;
}

}  // namespace relay_example
