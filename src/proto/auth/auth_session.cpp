#include "proto/auth/auth_session.hpp"

#include <sodium.h>

#include <cstdlib>

#include "core/assert.hpp"
#include "proto/auth/sodium_init.hpp"

namespace barrel_p2p::auth {

namespace {
constexpr std::string_view kTranscriptLabel = "barrel_p2p/auth/v1";
}  // namespace

AuthSession::AuthSession(const AuthConfig& config, std::string local_name, const KeyPair& keys,
                         const TrustStore& trust, Role role,
                         const std::array<std::uint8_t, 32>& server_cert_sha256)
    : config_(config),
      local_name_(std::move(local_name)),
      keys_(keys),
      trust_(trust),
      role_(role),
      server_cert_sha256_(server_cert_sha256) {
  ensure_sodium_initialized();
}

void AuthSession::start(core::Instant now, core::WallTime /*wall*/, core::Rng& /*rng*/) {
  BARREL_ASSERT(stage_ == Stage::idle);
  stage_ = Stage::running;
  deadline_ = now + config_.handshake_budget;
  wire::Hello hello;
  hello.cluster_name = config_.cluster_name;
  hello.node_name = local_name_;
  hello.public_key = keys_.public_key().bytes;
  send(hello);
}

void AuthSession::handle_message(core::Instant now, core::WallTime wall, core::ByteView payload,
                                 core::Rng& rng) {
  if (stage_ == Stage::failed) return;  // the connection is being closed
  if (stage_ != Stage::running) {
    fail(wire::AuthFailure::protocol_violation, "auth message after the handshake ended");
    return;
  }
  if (now >= deadline_) {
    on_timeout(now);
    return;
  }
  auto message = wire::decode_auth_message(payload);
  if (!message) {
    fail(wire::AuthFailure::protocol_violation, message.error().message);
    return;
  }
  if (auto* hello = std::get_if<wire::Hello>(&*message)) {
    on_hello(*hello, wall, rng);
  } else if (auto* challenge = std::get_if<wire::Challenge>(&*message)) {
    on_challenge(*challenge, wall);
  } else if (auto* response = std::get_if<wire::Response>(&*message)) {
    on_response(*response);
  } else if (std::holds_alternative<wire::Ok>(*message)) {
    on_ok();
  } else {
    const auto& reject = std::get<wire::Reject>(*message);
    stage_ = Stage::failed;
    std::string detail(wire::auth_failure_name(reject.reason));
    if (!reject.detail.empty()) detail += ": " + reject.detail;
    event_ = Failed{wire::AuthFailure::rejected_by_peer, std::move(detail), false};
  }
}

void AuthSession::on_hello(const wire::Hello& hello, core::WallTime wall, core::Rng& rng) {
  if (have_peer_hello_) {
    fail(wire::AuthFailure::protocol_violation, "second HELLO");
    return;
  }
  have_peer_hello_ = true;
  peer_name_ = hello.node_name;
  peer_key_ = PublicKey{hello.public_key};
  if (hello.protocol_version != wire::kAuthProtocolVersion) {
    fail(wire::AuthFailure::version_mismatch,
         "peer speaks auth version " + std::to_string(hello.protocol_version));
    return;
  }
  if (hello.cluster_name != config_.cluster_name) {
    fail(wire::AuthFailure::cluster_mismatch, "peer is in cluster '" + hello.cluster_name + "'");
    return;
  }
  if (hello.node_name == local_name_) {
    fail(wire::AuthFailure::duplicate_name_self, "peer claims our own name");
    return;
  }
  const std::optional<PublicKey> pinned = trust_.lookup(hello.node_name);
  if (pinned && !(*pinned == peer_key_)) {
    fail(wire::AuthFailure::key_mismatch,
         "pinned key " + fingerprint(*pinned) + " differs from presented " + fingerprint(peer_key_));
    return;
  }
  if (!pinned && trust_.mode() == TrustMode::strict) {
    fail(wire::AuthFailure::unknown_key, "no pin for '" + hello.node_name + "' in strict mode");
    return;
  }
  newly_trusted_ = !pinned;
  rng.fill(nonce_);
  challenge_timestamp_ = static_cast<std::uint64_t>(std::max<std::int64_t>(wall.unix_millis, 0));
  challenge_sent_ = true;
  send(wire::Challenge{nonce_, challenge_timestamp_});
}

void AuthSession::on_challenge(const wire::Challenge& challenge, core::WallTime wall) {
  if (!have_peer_hello_ || response_sent_) {
    fail(wire::AuthFailure::protocol_violation, "CHALLENGE out of order");
    return;
  }
  const auto skew_ms = std::chrono::duration_cast<std::chrono::milliseconds>(config_.timestamp_skew);
  const std::int64_t difference =
      static_cast<std::int64_t>(challenge.timestamp_unix_ms) - wall.unix_millis;
  if (challenge.timestamp_unix_ms > static_cast<std::uint64_t>(INT64_MAX) ||
      std::llabs(difference) > skew_ms.count()) {
    fail(wire::AuthFailure::timestamp_skew,
         "challenge timestamp differs from our clock by " + std::to_string(difference) + " ms");
    return;
  }
  const core::Bytes signed_bytes =
      transcript(challenge.nonce, challenge.timestamp_unix_ms, keys_.public_key().bytes);
  wire::Response response;
  response.signature = keys_.sign(signed_bytes);
  response.cluster_mac = mac(signed_bytes);
  response_sent_ = true;
  send(response);
}

void AuthSession::on_response(const wire::Response& response) {
  if (!challenge_sent_ || ok_sent_) {
    fail(wire::AuthFailure::protocol_violation, "RESPONSE out of order");
    return;
  }
  const core::Bytes expected = transcript(nonce_, challenge_timestamp_, peer_key_.bytes);
  if (!verify(peer_key_, expected, response.signature)) {
    fail(wire::AuthFailure::bad_signature, "signature does not verify for this channel");
    return;
  }
  const auto expected_mac = mac(expected);
  if (sodium_memcmp(expected_mac.data(), response.cluster_mac.data(), expected_mac.size()) != 0) {
    fail(wire::AuthFailure::cluster_secret_mismatch, "cluster secret proof does not verify");
    return;
  }
  ok_sent_ = true;
  send(wire::Ok{});
  finish_if_done();
}

void AuthSession::on_ok() {
  if (!response_sent_ || ok_received_) {
    fail(wire::AuthFailure::protocol_violation, "OK out of order");
    return;
  }
  ok_received_ = true;
  finish_if_done();
}

void AuthSession::finish_if_done() {
  if (!ok_sent_ || !ok_received_) return;
  stage_ = Stage::authenticated;
  deadline_ = core::Instant::never();
  event_ = Authenticated{peer_name_, peer_key_, newly_trusted_};
}

void AuthSession::on_timeout(core::Instant now) {
  if (stage_ != Stage::running || now < deadline_) return;
  fail(wire::AuthFailure::budget_exceeded,
       "not authenticated within " +
           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                              config_.handshake_budget)
                              .count()) +
           " ms");
}

void AuthSession::fail(wire::AuthFailure reason, std::string detail) {
  stage_ = Stage::failed;
  deadline_ = core::Instant::never();
  wire::Reject reject;
  reject.reason = reason;
  // The detail travels to the peer: keep it printable and within the wire limit.
  for (char c : detail) {
    if (reject.detail.size() == wire::kMaxRejectDetailSize) break;
    reject.detail.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  send(reject);
  event_ = Failed{reason, std::move(detail), true};
}

void AuthSession::send(const wire::AuthMessage& message) {
  transmit_.push_back(wire::encode(message));
}

core::Bytes AuthSession::transcript(const std::array<std::uint8_t, 32>& nonce,
                                    std::uint64_t timestamp,
                                    const std::array<std::uint8_t, 32>& responder_key) const {
  core::Bytes out;
  core::ByteWriter writer(out);
  writer.string(kTranscriptLabel);
  writer.string(config_.cluster_name);
  writer.bytes(nonce);
  writer.u64(timestamp);
  writer.bytes(responder_key);
  writer.bytes(server_cert_sha256_);
  return out;
}

std::array<std::uint8_t, 32> AuthSession::mac(core::ByteView signed_bytes) const {
  std::array<std::uint8_t, 32> out{};
  if (!config_.cluster_secret) return out;
  const Sha256 key = sha256(core::as_bytes(*config_.cluster_secret));
  crypto_generichash(out.data(), out.size(), signed_bytes.data(), signed_bytes.size(), key.data(),
                     key.size());
  return out;
}

std::optional<core::Bytes> AuthSession::poll_transmit() {
  if (transmit_.empty()) return std::nullopt;
  core::Bytes next = std::move(transmit_.front());
  transmit_.pop_front();
  return next;
}

std::optional<AuthEvent> AuthSession::poll_event() {
  std::optional<AuthEvent> out = std::move(event_);
  event_.reset();
  return out;
}

core::Instant AuthSession::next_deadline() const { return deadline_; }

}  // namespace barrel_p2p::auth
