// The example relay: a small UDP process that forwards datagrams between the two clients
// registered under one session id (relay_frame.hpp). It sees only QUIC packets, encrypted and
// authenticated end to end, so it can delay, drop, duplicate or corrupt them but never read,
// forge or replay its way into a barrel_p2p link (docs/how-to/relay-a-connection.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "barrel_p2p/result.hpp"
#include "udp_util.hpp"

namespace relay_example {

class UdpRelay {
 public:
  /// What the relay forwards for one DATA frame from client `from` (0: the session's first
  /// registered client, 1: the second): the payloads to send to the other client, in order.
  /// The default forwards the payload as it is. A hook for tests (a relay that tampers or
  /// replays); runs on the relay's thread.
  using Filter = std::function<std::vector<std::vector<std::uint8_t>>(
      std::size_t from, std::span<const std::uint8_t> payload)>;

  struct Options {
    std::string listen = "127.0.0.1:0";
    std::size_t max_sessions = 1024;  ///< REGISTERs for further sessions are ignored
    Filter filter;
  };

  /// Binds the relay's socket and starts its thread. Errors: invalid_argument, io.
  static barrel_p2p::Result<std::unique_ptr<UdpRelay>> start(Options options);
  /// Stops the thread and closes the socket.
  ~UdpRelay();
  UdpRelay(const UdpRelay&) = delete;
  UdpRelay& operator=(const UdpRelay&) = delete;

  /// The relay's bound address, "host:port".
  [[nodiscard]] std::string address() const { return to_string(local_); }
  /// DATA frames forwarded (payloads sent) and frames dropped (malformed, unknown session or
  /// sender, no peer registered yet).
  [[nodiscard]] std::uint64_t forwarded() const { return forwarded_.load(); }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_.load(); }
  /// Sends `payload` as a DATA frame to client `to` of `session` (a test hook: a replay). False
  /// when that client is not registered.
  bool inject(std::uint64_t session, std::size_t to, std::span<const std::uint8_t> payload);

 private:
  struct Session {
    Address clients[2];
    std::size_t count = 0;
  };
  UdpRelay(Options options, int fd, int wake);
  void run();
  void handle(const Address& from, std::span<const std::uint8_t> datagram);
  void send_data(std::uint64_t session, const Address& to, std::span<const std::uint8_t> payload);

  Options options_;
  int fd_ = -1;
  int wake_ = -1;  // eventfd: stop
  Address local_;
  std::mutex mutex_;  // sessions_ and the socket's sends (inject runs on other threads)
  std::unordered_map<std::uint64_t, Session> sessions_;
  std::atomic<std::uint64_t> forwarded_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace relay_example
