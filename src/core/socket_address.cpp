#include "core/socket_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <functional>

namespace barrel_p2p::core {

namespace {

Result<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535 || text.empty()) {
    return fail(Errc::invalid_argument, "invalid port '" + std::string(text) + "'");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Result<SocketAddress> SocketAddress::parse(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(Errc::invalid_argument, "expected [ipv6]:port, got '" + std::string(text) + "'");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail(Errc::invalid_argument, "expected host:port, got '" + std::string(text) + "'");
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto port = parse_port(port_text);
  if (!port) return Unexpected(port.error());
  std::string host_string(host == "localhost" ? "127.0.0.1" : host);
  SocketAddress address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage_);
  if (inet_pton(AF_INET, host_string.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(*port);
  } else if (inet_pton(AF_INET6, host_string.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(*port);
  } else {
    return fail(Errc::invalid_argument, "not a numeric IP address: '" + host_string + "'");
  }
  return address;
}

Result<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* address, std::size_t length) {
  SocketAddress out;
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    std::memcpy(&out.storage_, address, sizeof(sockaddr_in));
  } else if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    std::memcpy(&out.storage_, address, sizeof(sockaddr_in6));
  } else {
    return fail(Errc::invalid_argument, "unsupported address family");
  }
  return out;
}

const sockaddr* SocketAddress::data() const { return reinterpret_cast<const sockaddr*>(&storage_); }
sockaddr* SocketAddress::data() { return reinterpret_cast<sockaddr*>(&storage_); }

std::size_t SocketAddress::size() const {
  if (storage_.ss_family == AF_INET) return sizeof(sockaddr_in);
  if (storage_.ss_family == AF_INET6) return sizeof(sockaddr_in6);
  return 0;
}

bool SocketAddress::is_loopback() const {
  if (storage_.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(storage_);
    return (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
  }
  if (storage_.ss_family != AF_INET6) return false;
  const auto& v6 = reinterpret_cast<const sockaddr_in6&>(storage_);
  if (IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr) && v6.sin6_addr.s6_addr[12] == 127;
}

bool SocketAddress::is_unspecified() const {
  if (storage_.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(storage_).sin_addr.s_addr == INADDR_ANY;
  }
  if (storage_.ss_family != AF_INET6) return false;
  const auto& v6 = reinterpret_cast<const sockaddr_in6&>(storage_);
  if (IN6_IS_ADDR_UNSPECIFIED(&v6.sin6_addr)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr) && v6.sin6_addr.s6_addr[12] == 0 &&
         v6.sin6_addr.s6_addr[13] == 0 && v6.sin6_addr.s6_addr[14] == 0 &&
         v6.sin6_addr.s6_addr[15] == 0;
}

std::uint16_t SocketAddress::port() const {
  if (storage_.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  if (storage_.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

void SocketAddress::set_port(std::uint16_t port) {
  if (storage_.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  } else if (storage_.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
  }
}

std::string SocketAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (storage_.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buffer,
              sizeof(buffer));
    return std::string(buffer) + ":" + std::to_string(port());
  }
  if (storage_.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buffer,
              sizeof(buffer));
    return "[" + std::string(buffer) + "]:" + std::to_string(port());
  }
  return "<unspecified>";
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

std::size_t SocketAddress::hash() const {
  std::string_view raw(reinterpret_cast<const char*>(&storage_), size());
  return std::hash<std::string_view>{}(raw);
}

}  // namespace barrel_p2p::core
