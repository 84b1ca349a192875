#include "proto/auth/auth_session.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <memory>
#include <vector>

namespace barrel_p2p::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::int64_t kWallStart = 1700000000000;  // 2023-11-14, Unix ms
constexpr std::string_view kNames[] = {"HELLO", "CHALLENGE", "RESPONSE", "OK", "REJECT"};

std::string message_name(const core::Bytes& payload) {
  auto decoded = wire::decode_auth_message(payload);
  return decoded ? std::string(kNames[decoded->index()]) : "GARBAGE";
}

AuthConfig prod_config() {
  AuthConfig config;
  config.cluster_name = "prod";
  return config;
}

// One node's identity and settings.
struct Node {
  std::string name;
  KeyPair keys;
  TrustStore trust;
  AuthConfig config = prod_config();
  Sha256 cert_sha256{};  // what this side passes as server_cert_sha256
  core::WallTime wall{kWallStart};
};

Node make_node(std::string name, std::uint64_t seed) {
  core::SeededRng rng(seed);
  return Node{std::move(name), KeyPair::generate(rng), TrustStore{}};
}

// Two sessions wired back to back over in-memory streams, on simulated time.
class Pair {
 public:
  /// `expected`: the identity a contact string names, checked by a (the dialer).
  Pair(Node& a, Node& b, std::optional<ExpectedPeer> expected = std::nullopt)
      : a_(a),
        b_(b),
        session_a_(a.config, a.name, a.keys, a.trust, Role::client, a.cert_sha256,
                   std::move(expected)),
        session_b_(b.config, b.name, b.keys, b.trust, Role::server, b.cert_sha256) {}

  void start() {
    session_a_.start(now_, a_.wall, rng_);
    session_b_.start(now_, b_.wall, rng_);
  }

  // Delivers every queued message, a's then b's, until neither side has anything to send.
  void run() {
    bool moved = true;
    while (moved) {
      moved = deliver(session_a_, session_b_, b_.wall, "a>b ");
      moved = deliver(session_b_, session_a_, a_.wall, "b>a ") || moved;
    }
  }

  /// Delivers what one side has queued (one flight); returns those messages' names.
  std::vector<std::string> flight(bool from_a) {
    const std::size_t before = trace_.size();
    if (from_a) {
      deliver(session_a_, session_b_, b_.wall, "");
    } else {
      deliver(session_b_, session_a_, a_.wall, "");
    }
    return {trace_.begin() + static_cast<std::ptrdiff_t>(before), trace_.end()};
  }

  AuthSession& a() { return session_a_; }
  AuthSession& b() { return session_b_; }
  std::vector<std::string>& trace() { return trace_; }
  std::vector<core::Bytes>& sent_by_b() { return sent_by_b_; }
  core::Instant& now() { return now_; }
  core::SeededRng& rng() { return rng_; }

 private:
  bool deliver(AuthSession& from, AuthSession& to, core::WallTime to_wall, const char* label) {
    bool moved = false;
    while (auto payload = from.poll_transmit()) {
      trace_.push_back(label + message_name(*payload));
      if (&from == &session_b_) sent_by_b_.push_back(*payload);
      to.handle_message(now_, to_wall, *payload, rng_);
      moved = true;
    }
    return moved;
  }

  Node& a_;
  Node& b_;
  AuthSession session_a_;
  AuthSession session_b_;
  core::SeededRng rng_{42};
  core::Instant now_ = core::Instant::from_nanos(1'000'000'000);
  std::vector<std::string> trace_;
  std::vector<core::Bytes> sent_by_b_;
};

std::optional<Failed> failure_of(AuthSession& session) {
  while (auto event = session.poll_event()) {
    if (auto* failed = std::get_if<Failed>(&*event)) return *failed;
  }
  return std::nullopt;
}

std::optional<Authenticated> success_of(AuthSession& session) {
  auto event = session.poll_event();
  if (!event || !std::holds_alternative<Authenticated>(*event)) return std::nullopt;
  return std::get<Authenticated>(*event);
}

// Runs a handshake between `a` and `b`; returns both sides' failures (nullopt = none).
std::pair<std::optional<Failed>, std::optional<Failed>> handshake(Node& a, Node& b) {
  Pair pair(a, b);
  pair.start();
  pair.run();
  return {failure_of(pair.a()), failure_of(pair.b())};
}

void expect_local(const std::optional<Failed>& failed, AuthFailure reason) {
  ASSERT_TRUE(failed.has_value()) << "expected " << auth_failure_name(reason);
  EXPECT_EQ(failed->reason, reason) << failed->detail;
  EXPECT_TRUE(failed->local);
}

void expect_rejected(const std::optional<Failed>& failed, AuthFailure peer_reason) {
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->reason, AuthFailure::rejected_by_peer);
  EXPECT_FALSE(failed->local);
  EXPECT_EQ(failed->detail.rfind(std::string(auth_failure_name(peer_reason)) + ": ", 0), 0U)
      << failed->detail;
}

class AuthSessionTest : public ::testing::Test {
 protected:
  Node a_ = make_node("alpha", 1);
  Node b_ = make_node("beta", 2);
};

TEST_F(AuthSessionTest, MutualAuthenticationExactTrace) {
  Pair pair(a_, b_);
  pair.start();
  pair.run();
  const std::vector<std::string> expected = {"a>b HELLO",     "a>b CHALLENGE", "b>a HELLO",
                                             "b>a CHALLENGE", "b>a RESPONSE",  "a>b RESPONSE",
                                             "a>b OK",        "b>a OK"};
  EXPECT_EQ(pair.trace(), expected);
  auto at_a = success_of(pair.a());
  auto at_b = success_of(pair.b());
  ASSERT_TRUE(at_a && at_b);
  EXPECT_EQ(at_a->peer_name, "beta");
  EXPECT_EQ(at_a->peer_key, b_.keys.public_key());
  EXPECT_TRUE(at_a->newly_trusted);  // TOFU, nothing pinned: the runtime pins
  EXPECT_EQ(at_b->peer_name, "alpha");
  EXPECT_EQ(at_b->peer_key, a_.keys.public_key());
  EXPECT_TRUE(pair.a().is_authenticated() && pair.b().is_authenticated());
  EXPECT_EQ(pair.a().peer_name(), "beta");
  EXPECT_EQ(pair.a().next_deadline(), core::Instant::never());
  EXPECT_FALSE(pair.a().poll_event().has_value());
  EXPECT_TRUE(a_.trust.list().empty());  // TOFU never pins by itself
}

// The accepting side starts as soon as it can send (0.5-RTT, decision 0027): its HELLO and
// CHALLENGE reach the dialer with the TLS handshake's last flight, the dialer answers with
// its HELLO, CHALLENGE and RESPONSE in one flight, and is authenticated one round trip later.
TEST_F(AuthSessionTest, TheDialerIsAuthenticatedOneRoundTripAfterItStarts) {
  Pair pair(a_, b_);
  pair.b().start(pair.now(), b_.wall, pair.rng());  // the server, at 0.5-RTT
  pair.a().start(pair.now(), a_.wall, pair.rng());  // the client, at its handshake's end
  EXPECT_EQ(pair.flight(false), (std::vector<std::string>{"HELLO", "CHALLENGE"}));
  EXPECT_EQ(pair.flight(true), (std::vector<std::string>{"HELLO", "CHALLENGE", "RESPONSE"}));
  EXPECT_FALSE(pair.a().is_authenticated());
  EXPECT_EQ(pair.flight(false), (std::vector<std::string>{"RESPONSE", "OK"}));
  EXPECT_TRUE(pair.a().is_authenticated());
  EXPECT_EQ(pair.flight(true), (std::vector<std::string>{"OK"}));
  EXPECT_TRUE(pair.b().is_authenticated());
}

TEST_F(AuthSessionTest, PinnedPeerIsNotNewlyTrustedAndStrictModeAccepts) {
  ASSERT_TRUE(a_.trust.pin("beta", b_.keys.public_key()).has_value());
  a_.trust.set_mode(TrustMode::strict);
  ASSERT_TRUE(b_.trust.pin("alpha", a_.keys.public_key()).has_value());
  Pair pair(a_, b_);
  pair.start();
  pair.run();
  auto at_a = success_of(pair.a());
  auto at_b = success_of(pair.b());
  ASSERT_TRUE(at_a && at_b);
  EXPECT_FALSE(at_a->newly_trusted);
  EXPECT_FALSE(at_b->newly_trusted);
}

TEST_F(AuthSessionTest, MatchingClusterSecretAuthenticates) {
  a_.config.cluster_secret = "s3cret";
  b_.config.cluster_secret = "s3cret";
  auto [at_a, at_b] = handshake(a_, b_);
  EXPECT_FALSE(at_a.has_value());
  EXPECT_FALSE(at_b.has_value());
}

TEST_F(AuthSessionTest, WrongClusterFailsOnBothSides) {
  b_.config.cluster_name = "staging";
  auto [at_a, at_b] = handshake(a_, b_);
  expect_local(at_a, AuthFailure::cluster_mismatch);
  expect_local(at_b, AuthFailure::cluster_mismatch);
  EXPECT_NE(at_b->detail.find("'prod'"), std::string::npos);
  EXPECT_EQ(at_a->detail.find("prod"), std::string::npos);  // ours is not revealed
}

TEST_F(AuthSessionTest, WrongOrMissingClusterSecret) {
  a_.config.cluster_secret = "one";
  b_.config.cluster_secret = "two";
  auto [at_a, at_b] = handshake(a_, b_);
  expect_local(at_a, AuthFailure::cluster_secret_mismatch);
  expect_local(at_b, AuthFailure::cluster_secret_mismatch);
  b_.config.cluster_secret.reset();
  auto [one_sided_a, one_sided_b] = handshake(a_, b_);
  expect_local(one_sided_a, AuthFailure::cluster_secret_mismatch);
  expect_local(one_sided_b, AuthFailure::cluster_secret_mismatch);
}

TEST_F(AuthSessionTest, StrictModeRejectsUnknownKey) {
  a_.trust.set_mode(TrustMode::strict);
  Pair pair(a_, b_);
  pair.start();
  pair.run();
  expect_local(failure_of(pair.a()), AuthFailure::unknown_key);
  expect_rejected(failure_of(pair.b()), AuthFailure::unknown_key);
  EXPECT_EQ(pair.trace(),
            (std::vector<std::string>{"a>b HELLO", "a>b CHALLENGE", "b>a HELLO", "b>a CHALLENGE",
                                      "b>a RESPONSE", "a>b REJECT"}));
  EXPECT_EQ(pair.a().peer_name(), "beta");  // claimed name is kept for the logs
}

TEST_F(AuthSessionTest, PinMismatchFailsInBothModes) {
  core::SeededRng rng(99);
  ASSERT_TRUE(a_.trust.pin("beta", KeyPair::generate(rng).public_key()).has_value());
  for (TrustMode mode : {TrustMode::tofu, TrustMode::strict}) {
    a_.trust.set_mode(mode);
    auto [at_a, at_b] = handshake(a_, b_);
    expect_local(at_a, AuthFailure::key_mismatch);
    expect_rejected(at_b, AuthFailure::key_mismatch);
  }
}

// SPEC §3, contact strings: dialing "beta@...#SHA256:<hex>", a peer that presents another
// name, or the right name with another key, is refused in both trust modes, even with no pin
// (a first contact), and nothing is trusted.
TEST_F(AuthSessionTest, ContactMismatchOfNameOrKeyFailsInBothModes) {
  core::SeededRng rng(98);
  const PublicKey other = KeyPair::generate(rng).public_key();
  const ExpectedPeer wrong_name{"gamma", sha256(b_.keys.public_key().view())};
  const ExpectedPeer wrong_key{"beta", sha256(other.view())};
  for (TrustMode mode : {TrustMode::tofu, TrustMode::strict}) {
    a_.trust.set_mode(mode);
    for (const ExpectedPeer& expected : {wrong_name, wrong_key}) {
      Pair pair(a_, b_, expected);
      pair.start();
      pair.run();
      const auto at_a = failure_of(pair.a());
      expect_local(at_a, AuthFailure::contact_mismatch);
      expect_rejected(failure_of(pair.b()), AuthFailure::contact_mismatch);
      ASSERT_TRUE(at_a);
      const std::string names =
          expected.name == "gamma" ? "name 'beta'" : fingerprint(b_.keys.public_key());
      EXPECT_NE(at_a->detail.find(names), std::string::npos) << at_a->detail;
      EXPECT_FALSE(pair.a().peer_key().has_value());
      // Refused at the HELLO: a never reads beta's CHALLENGE, so never signs for this peer.
      EXPECT_EQ(pair.trace(),
                (std::vector<std::string>{"a>b HELLO", "a>b CHALLENGE", "b>a HELLO",
                                          "b>a CHALLENGE", "b>a RESPONSE", "a>b REJECT"}));
    }
  }
}

TEST_F(AuthSessionTest, MatchingContactIsAFirstContactInTofuAndAPinInStrictMode) {
  const ExpectedPeer beta{"beta", sha256(b_.keys.public_key().view())};
  for (TrustMode mode : {TrustMode::tofu, TrustMode::strict}) {
    a_.trust.set_mode(mode);
    Pair pair(a_, b_, beta);
    pair.start();
    pair.run();
    auto at_a = success_of(pair.a());
    ASSERT_TRUE(at_a) << "mode " << static_cast<int>(mode);
    EXPECT_EQ(at_a->peer_name, "beta");
    EXPECT_EQ(at_a->peer_key, b_.keys.public_key());
    EXPECT_TRUE(at_a->newly_trusted);  // the runtime pins it, as any first contact
    EXPECT_TRUE(success_of(pair.b()));
  }
}

TEST_F(AuthSessionTest, APinThatDiffersFromAMatchingContactStillWins) {
  core::SeededRng rng(97);
  ASSERT_TRUE(a_.trust.pin("beta", KeyPair::generate(rng).public_key()).has_value());
  const ExpectedPeer beta{"beta", sha256(b_.keys.public_key().view())};
  Pair pair(a_, b_, beta);
  pair.start();
  pair.run();
  expect_local(failure_of(pair.a()), AuthFailure::key_mismatch);
}

/// A relay in the middle: the client sees the relay's certificate, the server its own, so the
/// proofs bind to different channels and both sides refuse.
void expect_relay_refused(Node& a, Node& b) {
  a.cert_sha256.fill(0x01);  // the relay's certificate, seen by the client
  b.cert_sha256.fill(0x02);  // the server's own certificate
  auto [at_a, at_b] = handshake(a, b);
  expect_local(at_a, AuthFailure::bad_signature);
  expect_local(at_b, AuthFailure::bad_signature);
}

TEST_F(AuthSessionTest, RelayWithDifferentCertificatesFailsSignature) {
  expect_relay_refused(a_, b_);
}

TEST_F(AuthSessionTest, SimulatedProofsAuthenticateBetweenSimulatedNodesOnly) {
  a_.config.proofs = ProofScheme::simulated;
  b_.config.proofs = ProofScheme::simulated;
  auto [at_a, at_b] = handshake(a_, b_);
  EXPECT_FALSE(at_a.has_value());
  EXPECT_FALSE(at_b.has_value());
  // A real node never accepts a simulated proof, and a simulated node refuses a signature.
  b_.config.proofs = ProofScheme::ed25519;
  auto [mixed_a, mixed_b] = handshake(a_, b_);
  expect_local(mixed_a, AuthFailure::bad_signature);
  expect_local(mixed_b, AuthFailure::bad_signature);
}

TEST_F(AuthSessionTest, SimulatedProofsStillBindTheChannel) {
  a_.config.proofs = ProofScheme::simulated;
  b_.config.proofs = ProofScheme::simulated;
  expect_relay_refused(a_, b_);
}

TEST_F(AuthSessionTest, ReplayedResponseFromEarlierSessionFailsSignature) {
  Pair first(a_, b_);
  first.start();
  first.run();
  ASSERT_TRUE(first.a().is_authenticated());
  const std::vector<core::Bytes> recorded = first.sent_by_b();  // HELLO, CHALLENGE, RESPONSE, OK
  ASSERT_EQ(recorded.size(), 4U);
  // An attacker holding only recorded bytes replays them to a fresh session of alpha.
  core::SeededRng rng(1234);
  AuthSession victim(a_.config, a_.name, a_.keys, a_.trust, Role::client, a_.cert_sha256);
  victim.start(first.now(), a_.wall, rng);
  for (std::size_t i = 0; i < 3 && !victim.has_failed(); ++i) {
    victim.handle_message(first.now(), a_.wall, recorded[i], rng);
  }
  expect_local(failure_of(victim), AuthFailure::bad_signature);
}

TEST_F(AuthSessionTest, SkewedWallClock) {
  b_.wall.unix_millis = kWallStart + 30'000;  // exactly at the window: accepted
  auto [ok_a, ok_b] = handshake(a_, b_);
  EXPECT_FALSE(ok_a.has_value());
  EXPECT_FALSE(ok_b.has_value());
  b_.wall.unix_millis = kWallStart + 30'001;
  auto [at_a, at_b] = handshake(a_, b_);
  expect_local(at_a, AuthFailure::timestamp_skew);
  expect_local(at_b, AuthFailure::timestamp_skew);
  EXPECT_NE(at_a->detail.find("30001 ms"), std::string::npos) << at_a->detail;
}

TEST_F(AuthSessionTest, BudgetExceeded) {
  Pair pair(a_, b_);
  pair.start();
  const core::Instant deadline = pair.now() + seconds(10);
  EXPECT_EQ(pair.a().next_deadline(), deadline);
  pair.a().on_timeout(deadline - core::Duration(1));
  EXPECT_FALSE(pair.a().has_failed());
  pair.a().on_timeout(deadline);
  expect_local(failure_of(pair.a()), AuthFailure::budget_exceeded);
  EXPECT_EQ(pair.a().next_deadline(), core::Instant::never());
  // A message arriving after the budget also fails, even before on_timeout() runs.
  pair.now() = deadline;
  pair.run();
  expect_local(failure_of(pair.b()), AuthFailure::budget_exceeded);
}

TEST_F(AuthSessionTest, OutOfOrderDuplicateAndLateMessages) {
  const std::vector<std::pair<wire::AuthMessage, std::string>> first_messages = {
      {wire::Ok{}, "unexpected OK while waiting for HELLO"},
      {wire::Challenge{}, "unexpected CHALLENGE while waiting for HELLO"},
      {wire::Response{}, "unexpected RESPONSE while waiting for HELLO"}};
  for (const auto& [message, detail] : first_messages) {
    Pair pair(a_, b_);
    pair.start();
    pair.a().handle_message(pair.now(), a_.wall, wire::encode(message), pair.rng());
    auto failed = failure_of(pair.a());
    expect_local(failed, AuthFailure::protocol_violation);
    EXPECT_EQ(failed->detail, detail);
  }
  Pair duplicate(a_, b_);
  duplicate.start();
  const core::Bytes hello = *duplicate.b().poll_transmit();
  duplicate.a().handle_message(duplicate.now(), a_.wall, hello, duplicate.rng());
  duplicate.a().handle_message(duplicate.now(), a_.wall, hello, duplicate.rng());
  expect_local(failure_of(duplicate.a()), AuthFailure::protocol_violation);
  Pair late(a_, b_);
  late.start();
  late.run();
  ASSERT_TRUE(success_of(late.a()).has_value());
  late.a().handle_message(late.now(), a_.wall, wire::encode(wire::Ok{}), late.rng());
  expect_local(failure_of(late.a()), AuthFailure::protocol_violation);
}

TEST_F(AuthSessionTest, PeerClaimsOurNameOrOurKey) {
  b_.name = "alpha";
  auto [at_a, at_b] = handshake(a_, b_);
  expect_local(at_a, AuthFailure::duplicate_name_self);
  expect_local(at_b, AuthFailure::duplicate_name_self);
  Node impostor{"mallory", a_.keys, TrustStore{}};
  auto [key_a, key_m] = handshake(a_, impostor);
  expect_local(key_a, AuthFailure::key_mismatch);
  expect_local(key_m, AuthFailure::key_mismatch);
}

TEST_F(AuthSessionTest, VersionMismatch) {
  Pair pair(a_, b_);
  pair.start();
  wire::Hello hello{2, "prod", "beta", b_.keys.public_key().bytes, false, std::nullopt};
  pair.a().handle_message(pair.now(), a_.wall, wire::encode(hello), pair.rng());
  expect_local(failure_of(pair.a()), AuthFailure::version_mismatch);
}

TEST_F(AuthSessionTest, GarbageBytesAreAProtocolViolationAndQueueAReject) {
  Pair pair(a_, b_);
  pair.start();
  ASSERT_EQ(message_name(*pair.a().poll_transmit()), "HELLO");
  ASSERT_EQ(message_name(*pair.a().poll_transmit()), "CHALLENGE");
  pair.a().handle_message(pair.now(), a_.wall, core::Bytes{0xff, 0x00, 0x13}, pair.rng());
  expect_local(failure_of(pair.a()), AuthFailure::protocol_violation);
  auto reject = wire::decode_auth_message(*pair.a().poll_transmit());
  ASSERT_TRUE(reject.has_value());
  EXPECT_EQ(std::get<wire::Reject>(*reject).reason, AuthFailure::protocol_violation);
  EXPECT_NE(std::get<wire::Reject>(*reject).detail.find("unknown message type"), std::string::npos);
  // Failed sessions ignore further input and send nothing more.
  pair.a().handle_message(pair.now(), a_.wall, core::Bytes{4}, pair.rng());
  EXPECT_FALSE(pair.a().poll_transmit().has_value());
  EXPECT_FALSE(pair.a().poll_event().has_value());
}

TEST_F(AuthSessionTest, ApplicationFrameBeforeAuthentication) {
  Pair early(a_, b_);
  early.start();
  early.a().handle_application_frame(early.now());
  expect_local(failure_of(early.a()), AuthFailure::protocol_violation);
  Pair after(a_, b_);
  after.start();
  after.run();
  after.a().handle_application_frame(after.now());
  EXPECT_TRUE(after.a().is_authenticated());
}

TEST_F(AuthSessionTest, RejectKeepsThePeerReasonInTheDetail) {
  Pair pair(a_, b_);
  pair.start();
  wire::Reject reject{AuthFailure::timestamp_skew, "clock off"};
  pair.a().handle_message(pair.now(), a_.wall, wire::encode(reject), pair.rng());
  auto failed = failure_of(pair.a());
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->reason, AuthFailure::rejected_by_peer);
  EXPECT_EQ(failed->detail, "timestamp_skew: clock off");
  EXPECT_FALSE(failed->local);
  EXPECT_TRUE(pair.a().has_failed());
}

// ---- key rotation (decision 0023) -----------------------------------------------------------

// beta rotated from `old_keys` to b_.keys and sends the record; alpha pinned the old key.
class RotationSessionTest : public AuthSessionTest {
 protected:
  void SetUp() override {
    b_.config.rotation_record =
        make_rotation_record(old_keys_, b_.keys, "prod", "beta", 1, kWallStart);
    ASSERT_TRUE(a_.trust.pin("beta", old_keys_.public_key()).has_value());
  }

  static KeyPair generate(std::uint64_t seed) {
    core::SeededRng rng(seed);
    return KeyPair::generate(rng);
  }

  KeyPair old_keys_ = generate(50);
  KeyPair other_keys_ = generate(51);
};

TEST_F(RotationSessionTest, AValidRecordFromThePinAuthenticatesTheNewKey) {
  Pair pair(a_, b_);
  pair.start();
  pair.run();
  auto at_a = success_of(pair.a());
  ASSERT_TRUE(at_a);
  EXPECT_EQ(at_a->peer_key, b_.keys.public_key());
  EXPECT_EQ(at_a->rotated_from, old_keys_.public_key());
  EXPECT_FALSE(at_a->newly_trusted);
  EXPECT_EQ(a_.trust.lookup("beta"), old_keys_.public_key());  // the runtime moves the pin
  auto at_b = success_of(pair.b());
  ASSERT_TRUE(at_b);
  EXPECT_FALSE(at_b->rotated_from.has_value());  // alpha sent no record
}

TEST_F(RotationSessionTest, TheRecordIsIgnoredWhenThePinAlreadyMatchesOrIsMissing) {
  ASSERT_TRUE(a_.trust.replace("beta", old_keys_.public_key(), b_.keys.public_key()));
  Pair pinned(a_, b_);
  pinned.start();
  pinned.run();
  auto at_a = success_of(pinned.a());
  ASSERT_TRUE(at_a);
  EXPECT_FALSE(at_a->rotated_from.has_value());
  ASSERT_TRUE(a_.trust.unpin("beta"));
  Pair first(a_, b_);
  first.start();
  first.run();
  at_a = success_of(first.a());
  ASSERT_TRUE(at_a);
  EXPECT_TRUE(at_a->newly_trusted);  // a first contact pins what it sees, as without a record
  EXPECT_FALSE(at_a->rotated_from.has_value());
}

// Each forged field of a record from the pinned key fails the handshake at the HELLO.
TEST_F(RotationSessionTest, AForgedRecordFromThePinIsRefused) {
  const wire::RotationRecord good = *b_.config.rotation_record;
  std::vector<wire::RotationRecord> forged(5, good);
  forged[0].old_signature[1] ^= 1U;
  forged[1].new_signature[2] ^= 1U;
  forged[2].node_name = "gamma";
  forged[3].cluster_name = "staging";
  // Another key's valid rotation from the pinned key, shown with beta's key.
  forged[4] = make_rotation_record(old_keys_, other_keys_, "prod", "beta", 1, kWallStart);
  for (const wire::RotationRecord& record : forged) {
    b_.config.rotation_record = record;
    Pair pair(a_, b_);
    pair.start();
    pair.run();
    expect_local(failure_of(pair.a()), AuthFailure::rotation_refused);
    expect_rejected(failure_of(pair.b()), AuthFailure::rotation_refused);
    EXPECT_EQ(pair.trace(),
              (std::vector<std::string>{"a>b HELLO", "a>b CHALLENGE", "b>a HELLO", "b>a CHALLENGE",
                                        "b>a RESPONSE", "a>b REJECT"}));
  }
  EXPECT_EQ(a_.trust.lookup("beta"), old_keys_.public_key());
}

// A record that does not start from our pin says nothing to us: a replay after a second
// rotation, or a record shown to a peer that pinned another key, changes nothing.
TEST_F(RotationSessionTest, ARecordFromAnotherKeyThanThePinIsIgnored) {
  ASSERT_TRUE(a_.trust.replace("beta", old_keys_.public_key(), other_keys_.public_key()));
  auto [at_a, at_b] = handshake(a_, b_);
  expect_local(at_a, AuthFailure::key_mismatch);
  expect_rejected(at_b, AuthFailure::key_mismatch);
}

// Whoever holds only the OLD key gains nothing: once the pin moved, showing the old key with
// the record (or any record) is a key mismatch.
TEST_F(RotationSessionTest, TheOldKeyAloneNeverTakesTheNameBack) {
  ASSERT_TRUE(a_.trust.replace("beta", old_keys_.public_key(), b_.keys.public_key()));
  Node thief{"beta", old_keys_, TrustStore{}};
  thief.config.rotation_record = b_.config.rotation_record;
  auto [at_a, at_b] = handshake(a_, thief);
  expect_local(at_a, AuthFailure::key_mismatch);
  thief.config.rotation_record =
      make_rotation_record(b_.keys, old_keys_, "prod", "beta", 2, kWallStart);  // cannot sign
  thief.config.rotation_record->old_signature.fill(0);
  auto [again_a, again_b] = handshake(a_, thief);
  expect_local(again_a, AuthFailure::rotation_refused);
  EXPECT_EQ(a_.trust.lookup("beta"), b_.keys.public_key());
}

// A captured record shown with the new key by someone who does not hold it: the HELLO passes,
// the RESPONSE does not, and nothing authenticates (so nothing would move the pin).
TEST_F(RotationSessionTest, ARecordDoesNotReplaceProvingTheNewKey) {
  core::SeededRng rng(5);
  AuthSession victim(a_.config, a_.name, a_.keys, a_.trust, Role::server, a_.cert_sha256);
  const core::Instant now = core::Instant::from_nanos(1);
  victim.start(now, a_.wall, rng);
  wire::Hello hello{
      1, "prod", "beta", b_.keys.public_key().bytes, false, b_.config.rotation_record};
  victim.handle_message(now, a_.wall, wire::encode(hello), rng);
  victim.handle_message(
      now, a_.wall, wire::encode(wire::Challenge{{}, static_cast<std::uint64_t>(kWallStart)}), rng);
  victim.handle_message(now, a_.wall, wire::encode(wire::Response{}), rng);
  expect_local(failure_of(victim), AuthFailure::bad_signature);
}

// Strict-mode pins and contact strings are the operator's: a valid record moves neither.
TEST_F(RotationSessionTest, StrictPinsAndContactStringsDoNotFollowARecord) {
  a_.trust.set_mode(TrustMode::strict);
  auto [strict_a, strict_b] = handshake(a_, b_);
  expect_local(strict_a, AuthFailure::key_mismatch);
  a_.trust.set_mode(TrustMode::tofu);
  Pair pair(a_, b_, ExpectedPeer{"beta", sha256(old_keys_.public_key().view())});
  pair.start();
  pair.run();
  expect_local(failure_of(pair.a()), AuthFailure::contact_mismatch);
}

TEST(AuthSessionProperty, SkewDecidesTheOutcome) {
  EXPECT_TRUE(rc::check("fresh keys authenticate iff the clocks are within the window", [] {
    const auto seed = *rc::gen::arbitrary<std::uint32_t>();
    const auto skew_ms = *rc::gen::inRange<std::int64_t>(-60'000, 60'001);
    Node a = make_node("a", seed);
    Node b = make_node("b", std::uint64_t{seed} + 1);
    b.wall.unix_millis = kWallStart + skew_ms;
    auto [at_a, at_b] = handshake(a, b);
    const bool within = skew_ms >= -30'000 && skew_ms <= 30'000;
    RC_ASSERT(at_a.has_value() != within);
    RC_ASSERT(at_b.has_value() != within);
    if (!within) RC_ASSERT(at_a->reason == AuthFailure::timestamp_skew);
  }));
}

}  // namespace
}  // namespace barrel_p2p::auth
