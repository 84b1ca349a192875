#include "support/raw_peer.hpp"

#include <gtest/gtest.h>
#include <poll.h>

namespace barrel_p2p::testing {

transport::TransportConfig RawPeer::default_config() {
  transport::TransportConfig config;
  config.idle_timeout = std::chrono::seconds(30);
  config.keep_alive = std::chrono::seconds(5);
  return config;
}

void RawPeer::lose_state() {
  endpoint_ = std::make_unique<transport::Endpoint>(config_, *certificate_, rng_, *this,
                                                    socket_->local_address());
  connected.clear();
}

std::unique_ptr<RawPeer> RawPeer::create(transport::TransportConfig config) {
  std::unique_ptr<RawPeer> peer(new RawPeer());
  auto certificate = transport::TlsCertificate::generate("raw-peer");
  EXPECT_TRUE(certificate);
  peer->certificate_ = std::make_unique<transport::TlsCertificate>(std::move(certificate).value());
  auto socket = runtime::UdpSocket::bind(*core::SocketAddress::parse("127.0.0.1:0"));
  EXPECT_TRUE(socket);
  peer->socket_ = std::make_unique<runtime::UdpSocket>(std::move(socket).value());
  peer->rng_.fill(config.static_secret);
  peer->config_ = config;
  peer->endpoint_ = std::make_unique<transport::Endpoint>(config, *peer->certificate_, peer->rng_,
                                                          *peer, peer->socket_->local_address());
  return peer;
}

RawPeer::~RawPeer() { endpoint_.reset(); }

Result<transport::ConnectionId> RawPeer::connect(const std::string& address) {
  auto remote = core::SocketAddress::parse(address);
  if (!remote) return Unexpected(remote.error());
  auto id = endpoint_->connect(clock_.now(), *remote);
  endpoint_->flush(clock_.now(), *this);
  return id;
}

void RawPeer::step(std::chrono::milliseconds max_wait) {
  pollfd descriptor{socket_->fd(), POLLIN, 0};
  (void)::poll(&descriptor, 1, static_cast<int>(max_wait.count()));
  const core::Instant now = clock_.now();
  for (int i = 0; i < 16; ++i) {
    auto received = socket_->receive_batch(
        [&](const core::SocketAddress& from, core::ByteView data, std::uint8_t ecn) {
          endpoint_->handle_datagram(now, from, data, ecn);
        });
    if (!received || *received == 0) break;
  }
  if (endpoint_->next_deadline() <= clock_.now()) endpoint_->on_timeout(clock_.now());
  endpoint_->flush(clock_.now(), *this);
}

bool RawPeer::pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    step(std::chrono::milliseconds(1));
  }
  return true;
}

void RawPeer::pump_for(std::chrono::milliseconds duration) {
  pump_until([] { return false; }, duration);
}

void RawPeer::on_connected(transport::ConnectionId id, const transport::ConnectionInfo& info) {
  connected[id.value] = info;
  if (connected_hook) connected_hook(id, info);
}

void RawPeer::deliver_held(transport::ConnectionId id) {
  auto it = held.find(id.value);
  if (it == held.end()) return;
  auto bytes = std::move(it->second);
  held.erase(it);
  for (const auto& [kind, data] : bytes) data_hook(id, kind, data);
}

void RawPeer::on_stream_data(transport::ConnectionId id, transport::StreamKind kind,
                             core::ByteView data) {
  if (data_hook) {
    data_hook(id, kind, data);
  } else {
    held[id.value].emplace_back(kind, core::Bytes(data.begin(), data.end()));
  }
}

void RawPeer::on_closed(transport::ConnectionId id, transport::CloseReason reason,
                        const std::string& detail) {
  closed[id.value] = std::string(transport::close_reason_name(reason)) + ": " + detail;
  if (closed_hook) closed_hook(id, reason, detail);
}

bool RawPeer::send_datagrams(const core::SocketAddress& to, core::ByteView data,
                             std::size_t segment_size, std::uint8_t ecn) {
  const std::size_t step = segment_size == 0 ? data.size() : segment_size;
  for (std::size_t at = 0; at < data.size(); at += step) {
    const std::size_t size = std::min(step, data.size() - at);
    sent_datagrams.push_back(size);
    if ((data[at] & 0x80U) != 0) sent_long_header_datagrams.push_back(size);
  }
  return socket_->send(to, data, segment_size, ecn).has_value();
}

}  // namespace barrel_p2p::testing
