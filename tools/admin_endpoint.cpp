#include "admin_endpoint.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace barrel_p2p::cli {

namespace {

constexpr int kIoTimeoutMs = 5'000;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

/// A numeric IPv4 or IPv6 address and port, as the sockets API takes it. Tools-local: tools/
/// use the public API only, and the admin endpoint needs no more than this (decision 0007).
class AdminAddress {
 public:
  /// Parses "127.0.0.1:4000", "[::1]:4000" or "localhost:4000" (numeric hosts and "localhost"
  /// only: the admin endpoint is on loopback, so no name is resolved).
  /// Errors: invalid_argument naming the bad part.
  static Result<AdminAddress> parse(std::string_view text);
  /// The address getsockname() filled in. Errors: invalid_argument for other families.
  static Result<AdminAddress> from_sockaddr(const sockaddr_storage& storage, socklen_t length);

  [[nodiscard]] const sockaddr* data() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  [[nodiscard]] socklen_t size() const {
    return static_cast<socklen_t>(is_ipv6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  }
  [[nodiscard]] bool is_ipv6() const { return storage_.ss_family == AF_INET6; }
  /// 127.0.0.0/8 or ::1.
  [[nodiscard]] bool is_loopback() const;
  /// "127.0.0.1:4000" or "[::1]:4000".
  [[nodiscard]] std::string to_string() const;

 private:
  [[nodiscard]] const sockaddr_in& v4() const {
    return *reinterpret_cast<const sockaddr_in*>(&storage_);
  }
  [[nodiscard]] const sockaddr_in6& v6() const {
    return *reinterpret_cast<const sockaddr_in6*>(&storage_);
  }
  sockaddr_storage storage_{};
};

Result<AdminAddress> AdminAddress::parse(std::string_view text) {
  const bool bracketed = !text.empty() && text.front() == '[';
  const auto colon = bracketed ? text.find("]:") : text.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(Errc::invalid_argument,
                std::string(bracketed ? "expected [ipv6]:port" : "expected host:port") + ", got '" +
                    std::string(text) + "'");
  }
  const std::string_view host = bracketed ? text.substr(1, colon - 1) : text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + (bracketed ? 2 : 1));
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return fail(Errc::invalid_argument, "invalid port '" + std::string(port_text) + "'");
  }
  const std::string host_text(host == "localhost" ? "127.0.0.1" : host);
  AdminAddress address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage_);
  if (::inet_pton(AF_INET, host_text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
  } else if (::inet_pton(AF_INET6, host_text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
  } else {
    return fail(Errc::invalid_argument, "not a numeric IP address: '" + host_text + "'");
  }
  return address;
}

Result<AdminAddress> AdminAddress::from_sockaddr(const sockaddr_storage& storage,
                                                 socklen_t length) {
  const bool known = (storage.ss_family == AF_INET && length >= sizeof(sockaddr_in)) ||
                     (storage.ss_family == AF_INET6 && length >= sizeof(sockaddr_in6));
  if (!known) return fail(Errc::invalid_argument, "unsupported address family");
  AdminAddress address;
  address.storage_ = storage;
  return address;
}

bool AdminAddress::is_loopback() const {
  if (is_ipv6()) return IN6_IS_ADDR_LOOPBACK(&v6().sin6_addr);
  return (ntohl(v4().sin_addr.s_addr) >> 24) == 127;
}

std::string AdminAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (is_ipv6()) {
    ::inet_ntop(AF_INET6, &v6().sin6_addr, buffer, sizeof(buffer));
    return "[" + std::string(buffer) + "]:" + std::to_string(ntohs(v6().sin6_port));
  }
  ::inet_ntop(AF_INET, &v4().sin_addr, buffer, sizeof(buffer));
  return std::string(buffer) + ":" + std::to_string(ntohs(v4().sin_port));
}

Result<AdminAddress> loopback_address(const std::string& text) {
  auto address = AdminAddress::parse(text);
  if (!address) return fail(Errc::invalid_argument, "admin address: " + address.error().message);
  if (!address->is_loopback()) {
    return fail(Errc::invalid_argument, "admin address " + text +
                                            " is not a loopback address (127.0.0.0/8 or ::1): "
                                            "the admin endpoint has no authentication");
  }
  return address;
}

/// Waits until `fd` is ready for `events` or kIoTimeoutMs passed.
bool wait_for(int fd, short events) {
  pollfd ready{fd, events, 0};
  int rc = 0;
  do {
    rc = ::poll(&ready, 1, kIoTimeoutMs);
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

/// Writes all of `text`; false on error or timeout.
bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(fd, POLLOUT)) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

/// Reads one line of at most `limit` bytes (without the newline). Empty optional on error,
/// timeout, or a line that is too long.
std::optional<std::string> read_line(int fd, std::size_t limit) {
  std::string line;
  char buffer[256];
  while (line.find('\n') == std::string::npos) {
    if (line.size() > limit) return std::nullopt;
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n > 0) {
      line.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;  // the peer closed: what came is the line
    } else if (errno == EINTR) {
      continue;
    } else if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(fd, POLLIN)) {
      continue;
    } else {
      return std::nullopt;
    }
  }
  line = line.substr(0, line.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() > limit) return std::nullopt;
  return line;
}

std::string json_nodes(const std::vector<NodeInfo>& nodes) {
  std::string out = "[";
  for (const auto& node : nodes) {
    if (out.size() > 1) out += ",";
    out +=
        "{\"name\":" + json_string(node.name) + ",\"address\":" + json_string(node.address) + "}";
  }
  return out + "]";
}

std::string json_names(const std::vector<std::string>& names) {
  std::string out = "[";
  for (const auto& name : names) out += (out.size() > 1 ? "," : "") + json_string(name);
  return out + "]";
}

std::string json_stats(Node& node) {
  const NodeStats stats = node.stats();
  const std::pair<const char*, std::uint64_t> fields[] = {
      {"connections", stats.connections},
      {"peers", stats.peers},
      {"processes", stats.processes},
      {"pending_calls", stats.pending_calls},
      {"auth_succeeded", stats.auth_succeeded},
      {"auth_failed", stats.auth_failed},
      {"datagrams_received", stats.datagrams_received},
      {"datagrams_dropped_garbage", stats.datagrams_dropped_garbage},
      {"connections_refused_limit", stats.connections_refused_limit},
      {"messages_sent", stats.messages_sent},
      {"messages_received", stats.messages_received},
      {"dropped_mailbox_full", stats.dropped_mailbox_full},
      {"dropped_connection_lost", stats.dropped_connection_lost},
      {"on_demand_connects", stats.on_demand_connects},
      {"connects_failed", stats.connects_failed},
      {"connections_reaped", stats.connections_reaped},
      {"pins_not_persisted", stats.pins_not_persisted},
      {"dials_backed_off", stats.dials_backed_off},
      {"connections_initiated", stats.connections_initiated},
      {"connections_accepted", stats.connections_accepted},
      {"membership_neighbor_requests", stats.membership_neighbor_requests},
      {"membership_neighbor_refused", stats.membership_neighbor_refused},
      {"membership_evictions", stats.membership_evictions},
      {"membership_failures", stats.membership_failures},
      {"membership_shuffles", stats.membership_shuffles},
  };
  std::string out = "{\"node\":" + json_string(node.name());
  for (const auto& [name, value] : fields) {
    out += ",\"" + std::string(name) + "\":" + std::to_string(value);
  }
  return out + "}";
}

}  // namespace

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string admin_answer(Node& node, const std::string& request) {
  const std::string name = json_string(node.name());
  if (request == "views") {
    return "{\"node\":" + name + ",\"active\":" + json_nodes(node.active_view()) +
           ",\"passive\":" + json_nodes(node.passive_view()) + "}";
  }
  if (request == "connections") {
    return "{\"node\":" + name + ",\"connected\":" + json_names(node.peers()) + "}";
  }
  if (request == "stats") return json_stats(node);
  return "{\"error\":" +
         json_string("unknown command '" + request + "' (commands: views, connections, stats)") +
         "}";
}

Result<std::unique_ptr<AdminEndpoint>> AdminEndpoint::start(Node& node,
                                                            const std::string& address) {
  auto local = loopback_address(address);
  if (!local) return Unexpected(local.error());
  const int listener =
      ::socket(local->is_ipv6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return fail(Errc::io, errno_text("admin endpoint socket"));
  const int yes = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (::bind(listener, local->data(), local->size()) != 0 || ::listen(listener, 16) != 0) {
    const std::string why = errno_text("admin endpoint on " + address);
    ::close(listener);
    return fail(Errc::io, why);
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length);
  auto actual = AdminAddress::from_sockaddr(bound, length);
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0 || !actual) {
    ::close(listener);
    if (wake >= 0) ::close(wake);
    return fail(Errc::io, errno_text("admin endpoint setup"));
  }
  return std::unique_ptr<AdminEndpoint>(
      new AdminEndpoint(node, listener, wake, actual->to_string()));
}

AdminEndpoint::AdminEndpoint(Node& node, int listener, int wake, std::string address)
    : node_(node), listener_(listener), wake_(wake), address_(std::move(address)) {
  thread_ = std::thread([this] { serve(); });
}

AdminEndpoint::~AdminEndpoint() { stop(); }

void AdminEndpoint::stop() {
  if (stopping_.exchange(true)) return;
  const std::uint64_t one = 1;
  (void)!::write(wake_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
  ::close(wake_);
}

void AdminEndpoint::serve() {
  while (!stopping_) {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) continue;
    answer(client);  // one at a time: each is bounded by kIoTimeoutMs
    ::close(client);
  }
}

void AdminEndpoint::answer(int client) {
  const auto request = read_line(client, kAdminRequestMax);
  const std::string reply = request ? admin_answer(node_, *request)
                                    : "{\"error\":\"request line missing or longer than " +
                                          std::to_string(kAdminRequestMax) + " bytes\"}";
  (void)write_all(client, reply + "\n");
}

Result<std::string> admin_request(const std::string& address, const std::string& request) {
  auto remote = AdminAddress::parse(address);
  if (!remote) return fail(Errc::invalid_argument, "admin address: " + remote.error().message);
  const int fd = ::socket(remote->is_ipv6() ? AF_INET6 : AF_INET,
                          SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(Errc::io, errno_text("socket"));
  const auto close_with = [fd](Errc code, const std::string& why) -> Unexpected {
    ::close(fd);
    return fail(code, why);
  };
  if (::connect(fd, remote->data(), remote->size()) != 0 && errno != EINPROGRESS) {
    return close_with(Errc::io, errno_text("cannot connect to " + address));
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (!wait_for(fd, POLLOUT) || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 ||
      error != 0) {
    errno = error != 0 ? error : ETIMEDOUT;
    return close_with(Errc::io, errno_text("cannot connect to " + address));
  }
  if (!write_all(fd, request + "\n")) return close_with(Errc::io, errno_text("send"));
  auto line = read_line(fd, 1 << 20);
  if (!line) return close_with(Errc::io, "no answer from " + address + " within 5 s");
  ::close(fd);
  return *line;
}

}  // namespace barrel_p2p::cli
