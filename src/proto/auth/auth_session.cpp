#include "proto/auth/auth_session.hpp"

#include <sodium.h>

#include <limits>

#include "core/assert.hpp"
#include "proto/auth/sodium_init.hpp"

namespace barrel_p2p::auth {

namespace {

constexpr std::string_view kMessageNames[] = {"HELLO", "CHALLENGE", "RESPONSE", "OK", "REJECT"};

std::int64_t to_millis(core::Duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

// |timestamp - wall| in milliseconds, exact for every pair of inputs (no overflow).
std::uint64_t distance_ms(std::uint64_t timestamp, core::WallTime wall) {
  const auto ours = static_cast<std::uint64_t>(wall.unix_millis);
  if (wall.unix_millis >= 0) return timestamp >= ours ? timestamp - ours : ours - timestamp;
  const std::uint64_t magnitude = ~ours + 1;  // |wall| for a negative wall clock
  const std::uint64_t room = std::numeric_limits<std::uint64_t>::max() - magnitude;
  return timestamp > room ? std::numeric_limits<std::uint64_t>::max() : timestamp + magnitude;
}

// A REJECT detail must fit its wire limit; ours are ASCII, so cutting bytes is safe.
std::string bounded_detail(std::string detail) {
  if (detail.size() > wire::kMaxRejectDetailSize) detail.resize(wire::kMaxRejectDetailSize);
  return detail;
}

}  // namespace

AuthSession::AuthSession(const AuthConfig& config, std::string local_name, const KeyPair& keys,
                         const TrustStore& trust, Role role, const Sha256& server_cert_sha256,
                         std::optional<ExpectedPeer> expected)
    : cluster_name_(config.cluster_name),
      handshake_budget_(config.handshake_budget),
      timestamp_skew_(config.timestamp_skew),
      local_name_(std::move(local_name)),
      keys_(keys),
      trust_(trust),
      role_(role),
      server_cert_sha256_(server_cert_sha256),
      expected_(std::move(expected)),
      rotation_record_(config.rotation_record),
      proofs_(config.proofs) {
  BARREL_ASSERT(wire::is_valid_name(cluster_name_), "cluster name must be a valid name");
  BARREL_ASSERT(wire::is_valid_name(local_name_), "node name must be a valid name");
  if (config.cluster_secret) mac_key_ = cluster_mac_key(*config.cluster_secret);
}

AuthSession::~AuthSession() {
  if (mac_key_) sodium_memzero(mac_key_->data(), mac_key_->size());
}

void AuthSession::start(core::Instant now, core::WallTime wall, core::Rng& rng) {
  BARREL_ASSERT(phase_ == Phase::idle, "start() called twice");
  phase_ = Phase::await_hello;
  deadline_ = now + handshake_budget_;
  send(wire::Hello{wire::kAuthProtocolVersion, cluster_name_, local_name_, keys_.public_key().bytes,
                   takeover_, rotation_record_});
  // Our CHALLENGE follows at once rather than after the peer's HELLO (decision 0027): a nonce
  // tells nothing and asks nothing of us, and the peer can answer in the flight that carries
  // its own HELLO, one round trip sooner. The peer's messages are still checked in order, so
  // its RESPONSE is verified only after its HELLO passed every check.
  rng.fill(our_nonce_);
  our_timestamp_unix_ms_ = wall.unix_millis < 0 ? 0 : static_cast<std::uint64_t>(wall.unix_millis);
  send(wire::Challenge{our_nonce_, our_timestamp_unix_ms_});
}

bool AuthSession::in_handshake() const {
  return phase_ != Phase::idle && phase_ != Phase::authenticated && phase_ != Phase::failed;
}

void AuthSession::handle_message(core::Instant now, core::WallTime wall,
                                 core::ByteView auth_frame_payload, core::Rng& /*rng*/) {
  BARREL_ASSERT(phase_ != Phase::idle, "handle_message() before start()");
  if (phase_ == Phase::failed) return;  // our REJECT is queued; the connection is closing
  if (in_handshake() && now >= deadline_) {
    on_timeout(now);
    return;
  }
  auto decoded = wire::decode_auth_message(auth_frame_payload);
  if (!decoded) {
    fail(AuthFailure::protocol_violation, decoded.error().message);
    return;
  }
  dispatch(*decoded, wall);
}

void AuthSession::dispatch(const wire::AuthMessage& message, core::WallTime wall) {
  if (const auto* reject = std::get_if<wire::Reject>(&message)) {
    on_reject(*reject);
    return;
  }
  const std::string_view received = kMessageNames[message.index()];
  if (phase_ == Phase::authenticated) {
    fail(AuthFailure::protocol_violation,
         "unexpected " + std::string(received) + " after authentication");
    return;
  }
  // The peer's messages arrive on one ordered stream in exactly this order (see header).
  const std::size_t expected =
      static_cast<std::size_t>(phase_) - static_cast<std::size_t>(Phase::await_hello);
  if (message.index() != expected) {
    fail(AuthFailure::protocol_violation, "unexpected " + std::string(received) +
                                              " while waiting for " +
                                              std::string(kMessageNames[expected]));
    return;
  }
  switch (phase_) {
    case Phase::await_hello: on_hello(std::get<wire::Hello>(message)); break;
    case Phase::await_challenge: on_challenge(std::get<wire::Challenge>(message), wall); break;
    case Phase::await_response: on_response(std::get<wire::Response>(message)); break;
    case Phase::await_ok: on_ok(); break;
    default: BARREL_ASSERT(false, "dispatch() outside the handshake");
  }
}

void AuthSession::on_hello(const wire::Hello& hello) {
  peer_name_ = hello.node_name;
  peer_takeover_ = hello.takeover && role_ == Role::server;  // a server never takes over
  if (hello.protocol_version != wire::kAuthProtocolVersion) {
    fail(AuthFailure::version_mismatch, "peer speaks auth protocol version " +
                                            std::to_string(hello.protocol_version) + ", we speak " +
                                            std::to_string(wire::kAuthProtocolVersion));
    return;
  }
  // Our own cluster name stays out of the detail: the REJECT goes to an unauthenticated peer.
  if (hello.cluster_name != cluster_name_) {
    fail(AuthFailure::cluster_mismatch,
         "peer cluster '" + hello.cluster_name + "' differs from ours");
    return;
  }
  if (hello.node_name == local_name_) {
    fail(AuthFailure::duplicate_name_self, "peer claims our own node name '" + local_name_ + "'");
    return;
  }
  check_peer_key(hello);
  if (phase_ == Phase::failed) return;
  phase_ = Phase::await_challenge;
}

void AuthSession::check_peer_key(const wire::Hello& hello) {
  const PublicKey presented{hello.public_key};
  // A peer presenting our own key could reflect our CHALLENGE to us on a second connection
  // (same server certificate when we are the server on both) and pass verification.
  if (presented == keys_.public_key()) {
    fail(AuthFailure::key_mismatch, "peer '" + hello.node_name + "' presented our own public key");
    return;
  }
  if (!matches_contact(hello, presented)) return;
  // A contact string in the configuration names this peer's key: it holds for every link,
  // dialed or accepted, pinned or not (decision 0024).
  const std::optional<Sha256> required = trust_.required(hello.node_name);
  if (required && !key_matches(ExpectedPeer{hello.node_name, *required}, presented)) {
    fail(AuthFailure::contact_mismatch, "peer '" + hello.node_name + "' presented " +
                                            fingerprint(presented) +
                                            ", not the key a configured contact string names");
    return;
  }
  const std::optional<PublicKey> pinned = trust_.lookup(hello.node_name);
  if (pinned && *pinned != presented && accepts_rotation(hello, *pinned, presented)) {
    rotated_from_ = *pinned;
    peer_key_ = presented;
    return;
  }
  if (phase_ == Phase::failed) return;
  if (pinned && *pinned != presented) {
    fail(AuthFailure::key_mismatch, "peer '" + hello.node_name + "' presented " +
                                        fingerprint(presented) + " but " + fingerprint(*pinned) +
                                        " is pinned");
    return;
  }
  if (!pinned && trust_.mode() == TrustMode::strict && !expected_ && !required) {
    fail(AuthFailure::unknown_key,
         "no key pinned for peer '" + hello.node_name + "' (strict trust mode)");
    return;
  }
  newly_trusted_ = !pinned;
  peer_key_ = presented;
}

bool AuthSession::accepts_rotation(const wire::Hello& hello, const PublicKey& pinned,
                                   const PublicKey& presented) {
  // Strict-mode pins are the operator's: they never move (decision 0023).
  if (!hello.rotation || trust_.mode() != TrustMode::tofu) return false;
  // A record about another key than our pin (a replay after a later rotation, or a peer we
  // never pinned under its old key) says nothing to us: ignored, key_mismatch follows.
  if (hello.rotation->old_key != pinned.bytes) return false;
  // From our pin, it must hold in full; the pin itself moves only once the RESPONSE proved
  // `presented` on this TLS channel (on_ok()).
  auto checked = check_rotation_record(*hello.rotation, cluster_name_, hello.node_name, presented);
  if (!checked) {
    fail(AuthFailure::rotation_refused, "peer '" + hello.node_name + "' presented " +
                                            fingerprint(presented) +
                                            " with a rotation record from its pinned key that "
                                            "does not hold: " +
                                            checked.error().message);
    return false;
  }
  return true;
}

bool AuthSession::matches_contact(const wire::Hello& hello, const PublicKey& presented) {
  if (!expected_) return true;
  // The detail goes to the peer too: it says what the peer presented, not what we expected.
  if (hello.node_name != expected_->name) {
    fail(AuthFailure::contact_mismatch,
         "peer presented the name '" + hello.node_name + "', not the one the contact names");
    return false;
  }
  if (!key_matches(*expected_, presented)) {
    fail(AuthFailure::contact_mismatch, "peer '" + hello.node_name + "' presented " +
                                            fingerprint(presented) +
                                            ", not the key the contact names");
    return false;
  }
  return true;
}

void AuthSession::on_challenge(const wire::Challenge& challenge, core::WallTime wall) {
  const std::uint64_t skew = distance_ms(challenge.timestamp_unix_ms, wall);
  const auto limit = static_cast<std::uint64_t>(to_millis(timestamp_skew_));
  if (skew > limit) {
    fail(AuthFailure::timestamp_skew, "challenge timestamp is " + std::to_string(skew) +
                                          " ms from our clock (limit " + std::to_string(limit) +
                                          " ms)");
    return;
  }
  const core::Bytes transcript =
      auth_transcript(cluster_name_, challenge.nonce, challenge.timestamp_unix_ms,
                      keys_.public_key(), server_cert_sha256_);
  wire::Response response;
  response.signature = proofs_ == ProofScheme::ed25519
                           ? keys_.sign(transcript)
                           : simulated_signature(keys_.public_key(), transcript);
  if (mac_key_) response.cluster_mac = cluster_mac(*mac_key_, transcript);
  phase_ = Phase::await_response;
  send(response);
}

void AuthSession::on_response(const wire::Response& response) {
  BARREL_ASSERT(peer_key_.has_value());
  const core::Bytes transcript = auth_transcript(cluster_name_, our_nonce_, our_timestamp_unix_ms_,
                                                 *peer_key_, server_cert_sha256_);
  const bool proven = proofs_ == ProofScheme::ed25519
                          ? verify(*peer_key_, transcript, response.signature)
                          : verify_simulated(*peer_key_, transcript, response.signature);
  if (!proven) {
    fail(AuthFailure::bad_signature,
         "signature does not verify for this challenge and channel (wrong key, replay or relay)");
    return;
  }
  if (mac_key_) {
    const ClusterMac expected = cluster_mac(*mac_key_, transcript);
    if (sodium_memcmp(expected.data(), response.cluster_mac.data(), expected.size()) != 0) {
      fail(AuthFailure::cluster_secret_mismatch, "cluster MAC does not verify");
      return;
    }
  } else if (sodium_is_zero(response.cluster_mac.data(), response.cluster_mac.size()) == 0) {
    // The peer MACs with a secret we do not have: report the same reason it will.
    fail(AuthFailure::cluster_secret_mismatch, "peer uses a cluster secret and we do not");
    return;
  }
  phase_ = Phase::await_ok;
  send(wire::Ok{});
}

void AuthSession::on_ok() {
  phase_ = Phase::authenticated;
  deadline_ = core::Instant::never();
  events_.emplace_back(Authenticated{peer_name_, *peer_key_, newly_trusted_, rotated_from_,
                                     takeover_ || peer_takeover_});
}

void AuthSession::on_reject(const wire::Reject& reject) {
  phase_ = Phase::failed;
  deadline_ = core::Instant::never();
  std::string detail(auth_failure_name(reject.reason));
  if (!reject.detail.empty()) detail += ": " + reject.detail;
  events_.emplace_back(Failed{AuthFailure::rejected_by_peer, std::move(detail), false});
}

void AuthSession::handle_application_frame(core::Instant /*now*/) {
  BARREL_ASSERT(phase_ != Phase::idle, "handle_application_frame() before start()");
  if (in_handshake()) {
    fail(AuthFailure::protocol_violation, "application frame before authentication");
  }
}

void AuthSession::fail(AuthFailure reason, std::string detail) {
  detail = bounded_detail(std::move(detail));
  send(wire::Reject{reason, detail});
  phase_ = Phase::failed;
  deadline_ = core::Instant::never();
  events_.emplace_back(Failed{reason, std::move(detail), true});
}

void AuthSession::send(const wire::AuthMessage& message) {
  transmit_.push_back(wire::encode(message));
}

std::optional<core::Bytes> AuthSession::poll_transmit() {
  if (transmit_.empty()) return std::nullopt;
  core::Bytes message = std::move(transmit_.front());
  transmit_.pop_front();
  return message;
}

std::optional<AuthEvent> AuthSession::poll_event() {
  if (events_.empty()) return std::nullopt;
  AuthEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

core::Instant AuthSession::next_deadline() const {
  return in_handshake() ? deadline_ : core::Instant::never();
}

void AuthSession::on_timeout(core::Instant now) {
  if (!in_handshake() || now < deadline_) return;
  fail(AuthFailure::budget_exceeded,
       "handshake did not finish within " + std::to_string(to_millis(handshake_budget_)) + " ms");
}

}  // namespace barrel_p2p::auth
