// Sans-IO mutual authentication of ONE connection (SPEC §2.1), symmetric in both directions:
//   each side:  HELLO ──►              (on start)
//               CHALLENGE ──►          (on start, right behind the HELLO: decision 0027)
//               RESPONSE ──►           (after the peer's CHALLENGE: signature + cluster MAC)
//               OK ──►                 (after verifying the peer's RESPONSE)
// The peer's messages are handled strictly in that order, so nothing it sends after its HELLO
// counts before the HELLO passed every check.
// Authenticated once we have sent OK and received the peer's OK. Any failure queues a REJECT,
// fails the session and emits Failed; the runtime then closes the connection.
// Shape (STYLE.md habit 1): handle_*() with time in, poll_transmit()/poll_event() to drain,
// next_deadline()/on_timeout(). No I/O, clocks or OS randomness inside.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <variant>

#include "core/bytes.hpp"
#include "core/rng.hpp"
#include "core/time.hpp"
#include "proto/auth/auth_transcript.hpp"
#include "proto/auth/contact.hpp"
#include "proto/auth/identity.hpp"
#include "proto/auth/rotation.hpp"
#include "proto/auth/trust_store.hpp"
#include "wire/auth_message.hpp"

namespace barrel_p2p::auth {

using wire::auth_failure_name;
using wire::AuthFailure;

/// How the HELLO_RESPONSE proof (a signature over the session transcript) is made and checked.
enum class ProofScheme : std::uint8_t {
  ed25519,  ///< Every real node: an Ed25519 signature by the node's key.
  /// The simulator only (docs/simulation.md): auth::simulated_signature, which honest sessions
  /// accept and refuse exactly as Ed25519 signatures but which anyone can forge. A session
  /// with one scheme refuses a peer using the other (bad_signature).
  simulated,
};

/// Authentication settings shared by every session of a node.
struct AuthConfig {
  /// Must equal the peer's (cluster_mismatch otherwise); a valid name (wire::is_valid_name).
  std::string cluster_name;
  /// When set, both sides must hold the same secret (cluster_secret_mismatch otherwise).
  std::optional<std::string> cluster_secret;
  /// Our latest key rotation (decision 0023), sent in every HELLO so that peers which pinned
  /// the key it replaced move their pin. Its new_key must be our key and its names ours (the
  /// runtime checks with check_rotation_record() before setting it).
  std::optional<wire::RotationRecord> rotation_record;
  /// Time from start() to authenticated; past it the session fails with budget_exceeded.
  core::Duration handshake_budget = std::chrono::seconds(10);
  /// Largest accepted |peer CHALLENGE timestamp - our wall clock| (timestamp_skew beyond).
  core::Duration timestamp_skew = std::chrono::seconds(30);
  /// Ed25519 for every real node; ProofScheme::simulated only in barrel-sim.
  ProofScheme proofs = ProofScheme::ed25519;
};

/// Our side of the QUIC connection; decides what server_cert_sha256 means.
enum class Role : std::uint8_t { client, server };

/// The peer proved its identity and we proved ours.
struct Authenticated {
  std::string peer_name;
  PublicKey peer_key;
  /// TOFU and no pin existed: the runtime must pin (TrustStore::pin) and persist the key. The
  /// session never pins. If pin() then fails with already_exists (a concurrent session pinned a
  /// different key first), the runtime must drop this link.
  bool newly_trusted = false;
  /// TOFU, the peer's name was pinned to this key, and the peer's HELLO carried a valid
  /// rotation record from it to peer_key (decision 0023): the runtime must move the pin
  /// (TrustStore::replace) and persist it. The session never changes the store.
  std::optional<PublicKey> rotated_from;
  /// This connection takes over the peer's existing link (our request_takeover(), or the
  /// peer's HELLO asked for it): it wins over that link whatever the duplicate rule says.
  bool takeover = false;
};

/// Authentication failed; the connection must be closed.
struct Failed {
  AuthFailure reason = AuthFailure::protocol_violation;
  /// What went wrong. For rejected_by_peer: "<peer's reason>: <peer's detail>".
  std::string detail;
  /// True when we detected the failure (and queued a REJECT); false when the peer rejected us.
  bool local = true;
};

/// Outcome of a session; exactly one Authenticated or Failed, except that a misbehaving peer
/// can still fail an authenticated session (then Failed follows Authenticated).
using AuthEvent = std::variant<Authenticated, Failed>;

/// One connection's authentication state machine. Not thread-safe.
class AuthSession {
 public:
  /// `keys` and `trust` must outlive the session. `server_cert_sha256`: SHA-256 of the TLS
  /// certificate the server presented — the client passes the hash of the certificate it
  /// received, the server the hash of its own. `local_name` must be a valid name.
  /// `expected`: the identity a contact string we dialed names (SPEC §3). The peer's HELLO
  /// must then carry that name and a key with that SHA-256, or the session fails with
  /// contact_mismatch, in either trust mode; a match counts as a pin in strict mode (the
  /// operator wrote the key down), and as a first contact when no pin exists
  /// (newly_trusted). A pin that differs from the key still fails with key_mismatch.
  /// A HELLO whose key differs from the pin may carry a rotation record (decision 0023): in
  /// TOFU mode, a record from the pinned key to the presented one, valid for the peer's name
  /// and our cluster, lets the handshake go on (Authenticated::rotated_from); a record from
  /// the pinned key that does not hold fails it with rotation_refused; a record from any
  /// other key is ignored (key_mismatch). Strict mode ignores records.
  AuthSession(const AuthConfig& config, std::string local_name, const KeyPair& keys,
              const TrustStore& trust, Role role, const Sha256& server_cert_sha256,
              std::optional<ExpectedPeer> expected = std::nullopt);
  AuthSession(const AuthSession&) = delete;
  AuthSession& operator=(const AuthSession&) = delete;
  /// Wipes the cluster MAC key.
  ~AuthSession();

  /// Client only, before start(): our HELLO asks that this connection take over our existing
  /// link with the peer (decision 0020).
  void request_takeover() { takeover_ = role_ == Role::client; }
  /// Queues our HELLO and our CHALLENGE (nonce from `rng`, timestamp `wall`) and starts the
  /// handshake budget. Call once, as soon as the connection can carry application data: on
  /// the accepting side that is before the TLS handshake ends (0.5-RTT data, decision 0027);
  /// the peer's messages come only after it finished its side of the handshake.
  void start(core::Instant now, core::WallTime wall, core::Rng& rng);

  /// Handles one auth frame's payload from the peer. Precondition: start() was called.
  /// Failures (decode error, out-of-order or duplicate message, any check above) fail the
  /// session; input after failure is ignored. `rng` is unused today; every input takes it so
  /// the shape never changes.
  void handle_message(core::Instant now, core::WallTime wall, core::ByteView auth_frame_payload,
                      core::Rng& rng);

  /// The peer sent an application (non-auth) frame: a protocol_violation before authentication,
  /// nothing afterwards.
  void handle_application_frame(core::Instant now);

  /// The next encoded auth message payload to send in an auth frame, in order. At most five
  /// are ever queued (HELLO, CHALLENGE, RESPONSE, OK, REJECT).
  std::optional<core::Bytes> poll_transmit();
  /// The next outcome event (at most two are ever queued).
  std::optional<AuthEvent> poll_event();

  /// start + handshake_budget while the handshake runs; Instant::never() before start() and
  /// once authenticated or failed.
  [[nodiscard]] core::Instant next_deadline() const;
  /// Fails the session with budget_exceeded when `now` has reached next_deadline().
  void on_timeout(core::Instant now);

  /// True once we sent OK and received the peer's OK (until a later violation fails it).
  [[nodiscard]] bool is_authenticated() const { return phase_ == Phase::authenticated; }
  /// True after any failure (ours or the peer's REJECT); the connection must close.
  [[nodiscard]] bool has_failed() const { return phase_ == Phase::failed; }
  /// The name the peer claimed in its HELLO (even if rejected), or empty before it arrived.
  [[nodiscard]] const std::string& peer_name() const { return peer_name_; }
  /// The peer's key once its HELLO was accepted.
  [[nodiscard]] const std::optional<PublicKey>& peer_key() const { return peer_key_; }
  /// Our side of the connection, as constructed.
  [[nodiscard]] Role role() const { return role_; }

 private:
  enum class Phase : std::uint8_t {
    idle,         // before start()
    await_hello,  // the peer's messages arrive in this order ...
    await_challenge,
    await_response,
    await_ok,  // ... on one ordered stream
    authenticated,
    failed,
  };

  void dispatch(const wire::AuthMessage& message, core::WallTime wall);
  void on_hello(const wire::Hello& hello);
  void check_peer_key(const wire::Hello& hello);
  [[nodiscard]] bool accepts_rotation(const wire::Hello& hello, const PublicKey& pinned,
                                      const PublicKey& presented);
  [[nodiscard]] bool matches_contact(const wire::Hello& hello, const PublicKey& presented);
  void on_challenge(const wire::Challenge& challenge, core::WallTime wall);
  void on_response(const wire::Response& response);
  void on_ok();
  void on_reject(const wire::Reject& reject);
  void fail(AuthFailure reason, std::string detail);
  void send(const wire::AuthMessage& message);
  [[nodiscard]] bool in_handshake() const;

  // Settings.
  std::string cluster_name_;
  std::optional<Sha256> mac_key_;  // SHA-256 of the cluster secret; wiped by the destructor
  core::Duration handshake_budget_;
  core::Duration timestamp_skew_;
  std::string local_name_;
  const KeyPair& keys_;      // outlives the session (constructor contract)
  const TrustStore& trust_;  // outlives the session (constructor contract)
  Role role_;
  Sha256 server_cert_sha256_;
  std::optional<ExpectedPeer> expected_;                 // from a contact string we dialed
  std::optional<wire::RotationRecord> rotation_record_;  // sent in our HELLO (decision 0023)
  ProofScheme proofs_;

  // Progress.
  Phase phase_ = Phase::idle;
  core::Instant deadline_ = core::Instant::never();
  std::string peer_name_;
  std::optional<PublicKey> peer_key_;
  bool newly_trusted_ = false;
  std::optional<PublicKey> rotated_from_;  // the pin a valid rotation record replaces
  bool takeover_ = false;                  // our HELLO asks for a takeover (client)
  bool peer_takeover_ = false;             // the peer's HELLO did (server)
  Nonce our_nonce_{};
  std::uint64_t our_timestamp_unix_ms_ = 0;

  // Outputs, bounded by the protocol: at most 5 messages and 2 events per session.
  std::deque<core::Bytes> transmit_;
  std::deque<AuthEvent> events_;
};

}  // namespace barrel_p2p::auth
