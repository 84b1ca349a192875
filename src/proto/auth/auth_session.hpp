// The mutual authentication of one connection, as a sans-IO state machine (SPEC §2.1).
//
// Both sides run the same exchange at once: HELLO (name, key) -> CHALLENGE (nonce, wall time)
// -> RESPONSE (signature) -> OK. A RESPONSE signs the transcript
//   "barrel_p2p/auth/v1" | cluster name | challenger's nonce | challenger's timestamp |
//   responder's own public key | SHA-256 of the server's DER certificate
// so it is bound to this TLS channel: a relay that terminates TLS on two legs sees two
// different server certificates and its forwarded signatures fail. With a cluster secret, a
// keyed BLAKE2b MAC over the same transcript proves the secret without sending it.
// The session is authenticated once it has verified the peer (sent OK) and been verified
// (received OK). Any failure queues a REJECT, then the caller closes the connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/bytes.hpp"
#include "core/rng.hpp"
#include "core/time.hpp"
#include "proto/auth/identity.hpp"
#include "proto/auth/trust_store.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p::auth {

using namespace std::chrono_literals;

/// Which end of the QUIC connection this session runs on.
enum class Role : std::uint8_t { client, server };

struct AuthConfig {
  /// Must equal the peer's cluster name.
  std::string cluster_name;
  /// When set, the peer must prove it holds the same secret.
  std::optional<std::string> cluster_secret;
  /// The whole exchange must finish within this time of start().
  core::Duration handshake_budget = 10s;
  /// Largest accepted difference between a CHALLENGE timestamp and our wall clock.
  core::Duration timestamp_skew = 30s;
};

/// The peer proved its identity and accepted ours.
struct Authenticated {
  std::string peer_name;
  PublicKey peer_key;
  /// TOFU accepted a name that had no pin: the caller must pin and persist it.
  bool newly_trusted = false;
};

/// Authentication failed; the session is over.
struct Failed {
  wire::AuthFailure reason = wire::AuthFailure::protocol_violation;
  std::string detail;
  bool local = true;  ///< We detected the failure (true) or the peer rejected us (false).
};

using AuthEvent = std::variant<Authenticated, Failed>;

/// One connection's authentication. Not thread-safe; owned by the node's loop.
class AuthSession {
 public:
  /// `keys` and `trust` must outlive the session. `server_cert_sha256`: the client passes the
  /// hash of the certificate it received, the server the hash of its own.
  AuthSession(const AuthConfig& config, std::string local_name, const KeyPair& keys,
              const TrustStore& trust, Role role,
              const std::array<std::uint8_t, 32>& server_cert_sha256);

  /// Queues our HELLO and starts the budget clock. Call once.
  void start(core::Instant now, core::WallTime wall, core::Rng& rng);
  /// Handles one auth message payload from the peer (hostile bytes).
  void handle_message(core::Instant now, core::WallTime wall, core::ByteView payload,
                      core::Rng& rng);
  /// Fails the session with budget_exceeded once the budget has passed.
  void on_timeout(core::Instant now);

  /// The next encoded auth message to send, in order.
  std::optional<core::Bytes> poll_transmit();
  /// The outcome, once.
  std::optional<AuthEvent> poll_event();
  /// When on_timeout must run (never once finished).
  [[nodiscard]] core::Instant next_deadline() const;

  [[nodiscard]] bool is_authenticated() const { return stage_ == Stage::authenticated; }
  [[nodiscard]] bool has_failed() const { return stage_ == Stage::failed; }
  /// The name the peer claimed in its HELLO (empty before it arrived).
  [[nodiscard]] std::string_view peer_name() const { return peer_name_; }

 private:
  enum class Stage : std::uint8_t { idle, running, authenticated, failed };

  void on_hello(const wire::Hello& hello, core::WallTime wall, core::Rng& rng);
  void on_challenge(const wire::Challenge& challenge, core::WallTime wall);
  void on_response(const wire::Response& response);
  void on_ok();
  void send(const wire::AuthMessage& message);
  void fail(wire::AuthFailure reason, std::string detail);
  void finish_if_done();
  [[nodiscard]] core::Bytes transcript(const std::array<std::uint8_t, 32>& nonce,
                                       std::uint64_t timestamp,
                                       const std::array<std::uint8_t, 32>& responder_key) const;
  [[nodiscard]] std::array<std::uint8_t, 32> mac(core::ByteView transcript) const;

  AuthConfig config_;
  std::string local_name_;
  const KeyPair& keys_;      // outlives the session
  const TrustStore& trust_;  // outlives the session
  Role role_;
  std::array<std::uint8_t, 32> server_cert_sha256_;
  Stage stage_ = Stage::idle;
  core::Instant deadline_ = core::Instant::never();
  // Peer state.
  std::string peer_name_;
  PublicKey peer_key_{};
  bool have_peer_hello_ = false;
  bool newly_trusted_ = false;
  // Our challenge to the peer.
  bool challenge_sent_ = false;
  std::array<std::uint8_t, 32> nonce_{};
  std::uint64_t challenge_timestamp_ = 0;
  // Progress.
  bool response_sent_ = false;  // we answered the peer's challenge
  bool ok_sent_ = false;        // we verified the peer
  bool ok_received_ = false;    // the peer verified us
  // At most a handful of messages per handshake; drained after every input.
  std::deque<core::Bytes> transmit_;
  std::optional<AuthEvent> event_;
};

}  // namespace barrel_p2p::auth
