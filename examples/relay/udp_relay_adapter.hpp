// Both ends of a connection through the example relay (udp_relay_server.hpp):
// - UdpRelayAdapter, the dialing node's side: a barrel_p2p::DatagramTransport that wraps each
//   QUIC packet in a DATA frame to the relay (give it to Node::set_connect_options);
// - UdpRelayGateway, the accepting node's side: a small forwarder next to that node that
//   registers the same session and passes DATA frames to the node's UDP port and back, so the
//   node accepts the connection as any other (it needs no relay support of its own).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "barrel_p2p/datagram_transport.hpp"
#include "udp_util.hpp"

namespace relay_example {

class UdpRelayAdapter final : public barrel_p2p::DatagramTransport {
 public:
  /// Talks to the relay at `relay` ("host:port") in session `session`.
  UdpRelayAdapter(std::string relay, std::uint64_t session);
  ~UdpRelayAdapter() override;
  UdpRelayAdapter(const UdpRelayAdapter&) = delete;
  UdpRelayAdapter& operator=(const UdpRelayAdapter&) = delete;

  /// Binds a socket, registers with the relay (again every 200 ms until it answers) and starts
  /// the receive thread. Errors: invalid_argument (the relay address), io, already_exists
  /// (started before).
  barrel_p2p::Result<void> start(Receiver receiver) override;
  /// One DATA frame to the relay. Errors: limit_reached (the socket buffer is full), io,
  /// invalid_argument (too large), closed (not started or stopped).
  barrel_p2p::Result<void> send(std::span<const std::uint8_t> datagram) override;
  /// Stops the receive thread and closes the socket.
  void stop() override;

  [[nodiscard]] bool registered() const { return registered_.load(); }

 private:
  void run();

  std::string relay_text_;
  std::uint64_t session_;
  Address relay_;
  Receiver receiver_;
  int fd_ = -1;
  int wake_ = -1;
  std::atomic<bool> registered_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class UdpRelayGateway {
 public:
  /// Registers session `session` at the relay `relay` and forwards its DATA frames to the node
  /// listening at `node` ("host:port"), and the node's answers back. Errors: invalid_argument,
  /// io.
  static barrel_p2p::Result<std::unique_ptr<UdpRelayGateway>> start(const std::string& relay,
                                                                    std::uint64_t session,
                                                                    const std::string& node);
  ~UdpRelayGateway();
  UdpRelayGateway(const UdpRelayGateway&) = delete;
  UdpRelayGateway& operator=(const UdpRelayGateway&) = delete;

  /// True once the relay confirmed the registration.
  [[nodiscard]] bool registered() const { return registered_.load(); }

 private:
  UdpRelayGateway(Address relay, std::uint64_t session, Address node, int relay_fd, int node_fd,
                  int wake);
  void run();

  Address relay_;
  std::uint64_t session_;
  Address node_;
  int relay_fd_;
  int node_fd_;
  int wake_;
  std::atomic<bool> registered_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace relay_example
