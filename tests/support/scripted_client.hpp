// ScriptedClient: one side of the node authentication played over a RawPeer connection with a
// real AuthSession, so a test can act as an authenticated but otherwise ill-behaved peer.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/auth/auth_session.hpp"
#include "proto/auth/identity.hpp"
#include "proto/auth/trust_store.hpp"
#include "support/raw_peer.hpp"
#include "wire/auth_message.hpp"
#include "wire/link_frame.hpp"

namespace barrel_p2p::testing {

// Plays one side of the authentication over a RawPeer connection with a real AuthSession,
// recording every auth message it sends.
struct ScriptedClient {
  ScriptedClient(RawPeer& raw, transport::ConnectionId connection, const auth::KeyPair& key_pair)
      : peer(raw), id(connection), keys(key_pair) {}
  RawPeer& peer;
  transport::ConnectionId id;
  const auth::KeyPair& keys;
  std::string name = "carol";                    ///< The node name the HELLO claims.
  std::optional<wire::RotationRecord> rotation;  ///< Sent in the HELLO as it is.
  auth::TrustStore trust;
  std::unique_ptr<auth::AuthSession> session;
  wire::FrameDecoder decoder{std::size_t{1} << 20};
  std::vector<core::Bytes> sent;
  std::vector<wire::AuthMessage> received;

  void start() {
    auth::AuthConfig config;
    config.cluster_name = "test";
    config.rotation_record = rotation;
    session = std::make_unique<auth::AuthSession>(config, name, keys, trust, auth::Role::client,
                                                  peer.connected.at(id.value).server_cert_sha256);
    session->start(peer.now(), peer.wall_now(), peer.rng());
    flush();
  }
  void flush() {
    while (auto message = session->poll_transmit()) {
      send_raw(*message);
      sent.push_back(*message);
    }
  }
  void send_raw(const core::Bytes& message) {
    core::Bytes frame;
    wire::encode_frame(frame, wire::FrameType::auth, message);
    ASSERT_TRUE(peer.endpoint().send(id, transport::StreamKind::control, std::move(frame)));
  }
  void on_data(core::ByteView data, bool drive_session) {
    ASSERT_TRUE(decoder.push(data));
    while (auto frame = decoder.next()) {
      auto message = wire::decode_auth_message(frame->payload);
      ASSERT_TRUE(message);
      received.push_back(*message);
      if (drive_session) {
        session->handle_message(peer.now(), peer.wall_now(), frame->payload, peer.rng());
        flush();
      }
    }
  }
};

}  // namespace barrel_p2p::testing
