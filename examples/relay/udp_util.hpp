// Small POSIX UDP helpers shared by the example relay, its adapter and its gateway.
#pragma once

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "barrel_p2p/result.hpp"

namespace relay_example {

/// An IPv4 or IPv6 socket address.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  /// "127.0.0.1:9000" or "[::1]:9000" (numeric hosts only).
  static barrel_p2p::Result<Address> parse(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return barrel_p2p::fail(barrel_p2p::Errc::invalid_argument, "not host:port: " + text);
    }
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), text.c_str() + colon + 1, &hints, &found) != 0 ||
        found == nullptr) {
      return barrel_p2p::fail(barrel_p2p::Errc::invalid_argument, "bad address: " + text);
    }
    Address out;
    std::memcpy(&out.storage, found->ai_addr, found->ai_addrlen);
    out.length = found->ai_addrlen;
    ::freeaddrinfo(found);
    return out;
  }
  [[nodiscard]] const sockaddr* data() const { return reinterpret_cast<const sockaddr*>(&storage); }
  bool operator==(const Address& other) const {
    return length == other.length && std::memcmp(&storage, &other.storage, length) == 0;
  }
};

/// A UDP socket bound to `local` (port 0: the kernel chooses). Errors: io.
inline barrel_p2p::Result<int> bind_udp(const Address& local) {
  const int fd = ::socket(local.storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return barrel_p2p::fail(barrel_p2p::Errc::io, "socket: " + std::string(strerror(errno)));
  if (::bind(fd, local.data(), local.length) != 0) {
    const std::string why = strerror(errno);
    ::close(fd);
    return barrel_p2p::fail(barrel_p2p::Errc::io, "bind: " + why);
  }
  return fd;
}

/// The address `fd` is bound to.
inline Address local_address(int fd) {
  Address out;
  out.length = sizeof(out.storage);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&out.storage), &out.length);
  return out;
}

/// "host:port" of `address`.
inline std::string to_string(const Address& address) {
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (::getnameinfo(address.data(), address.length, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  const bool v6 = address.storage.ss_family == AF_INET6;
  return (v6 ? "[" : "") + std::string(host) + (v6 ? "]:" : ":") + port;
}

}  // namespace relay_example
