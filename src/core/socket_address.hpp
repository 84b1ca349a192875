// An IPv4 or IPv6 UDP endpoint address as a value (no sockets are opened here).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "barrel_p2p/result.hpp"

struct sockaddr;

namespace barrel_p2p::core {

/// IPv4/IPv6 address plus port. Comparable and hashable, so it can key maps.
class SocketAddress {
 public:
  SocketAddress() = default;
  /// Parses "127.0.0.1:4000", "[::1]:4000" or "localhost:4000" (numeric hosts and
  /// "localhost" only; DNS resolution belongs to the runtime).
  /// Errors: invalid_argument naming the bad part.
  static Result<SocketAddress> parse(std::string_view text);
  /// Copies a sockaddr_in/sockaddr_in6. Errors: invalid_argument for other families.
  static Result<SocketAddress> from_sockaddr(const sockaddr* address, std::size_t length);

  [[nodiscard]] const sockaddr* data() const;
  [[nodiscard]] sockaddr* data();
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] bool is_ipv6() const { return storage_.ss_family == AF_INET6; }
  [[nodiscard]] bool empty() const { return storage_.ss_family == AF_UNSPEC; }
  /// True for 127.0.0.0/8, ::1 and IPv4-mapped ::ffff:127.0.0.0/104.
  [[nodiscard]] bool is_loopback() const;
  /// True for the unspecified (wildcard) address: 0.0.0.0, :: and ::ffff:0.0.0.0.
  [[nodiscard]] bool is_unspecified() const;
  [[nodiscard]] std::uint16_t port() const;
  void set_port(std::uint16_t port);
  /// "127.0.0.1:4000" or "[::1]:4000".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const SocketAddress& a, const SocketAddress& b);
  [[nodiscard]] std::size_t hash() const;

 private:
  sockaddr_storage storage_{};
};

struct SocketAddressHash {
  std::size_t operator()(const SocketAddress& address) const { return address.hash(); }
};

}  // namespace barrel_p2p::core
